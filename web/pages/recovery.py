"""Pages for the links sent by email: confirming an address, resetting a forgotten
password; and the settings page's "send the link again".

A link's token appears in its own address and nowhere else: no page, form or redirect
writes it back (the reset form posts to the address it was read from), and the site's
`Referrer-Policy: same-origin` (`web.headers`) keeps that address from every other site.
Not `no-referrer`: the browser would then send `Origin: null` with the reset form (and
the header's logout form), and the Origin check would refuse them."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum.errors import DomainError, Kind
from web import account_actions, forms, schemas
from web.i18n import N_
from web.pages import messages
from web.pages.accounts import SETTINGS
from web.pages.view import Viewer, reader_viewer, render, viewer
from web.unit import unit

FORGOT = "/password/forgot"
CHANGED = "/password/changed"
_UNUSABLE = N_("This link has expired or was already used. Nothing was changed.")


def _notice(request: Request, reader: Viewer, title: str, text: str, status: int = 200,
            link: tuple[str, str] | None = None) -> Response:  # fmt: skip
    response = render(
        request, reader, "mail_notice.html", status, title=title, text=text, link=link
    )
    return _private(response)


def _private(response: Response) -> Response:
    """For a page whose address holds a token: no cache keeps it."""
    response.headers["cache-control"] = "no-store"
    return response


async def verify(request: Request) -> Response:
    """Following the link confirms the address at once: a link scanner that opens it has
    only shown that the message reached a mailbox."""
    token = request.path_params["token"]
    reader = await reader_viewer(request)
    try:
        await account_actions.verify_email(request, token)
    except DomainError as failure:
        if failure.code != "token_unusable":
            raise
        title = reader.gettext(N_("This link cannot be used"))
        text = reader.gettext(_UNUSABLE)
        return _notice(request, reader, title, text, 400, ("/settings", N_("Your settings")))
    title = reader.gettext(N_("Your email address is confirmed"))
    text = reader.gettext(N_("Thank you: the forum now knows this address is yours."))
    return _notice(request, reader, title, text, link=("/", N_("Go to the forum")))


async def resend(request: Request) -> Response:
    form = await forms.read_form(request)
    try:
        await account_actions.resend_verification(request, form.token)
    except DomainError as failure:
        if failure.code != "already_verified":
            raise
    return forms.redirect(SETTINGS + "?saved=verify")


async def forgot_form(request: Request) -> Response:
    reader = await reader_viewer(request)
    sent = request.query_params.get("sent") == "1"
    return render(request, reader, "password_forgot.html", email="", errors={}, sent=sent)


async def forgot(request: Request) -> Response:
    form = await forms.read_form(request)
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
    email = form.get("email")
    try:
        data = forms.check(schemas.PasswordForgot, {"email": email})
        await account_actions.forgot_password(request, data.email, form.token)
    except (ValidationError, DomainError) as failure:
        if isinstance(failure, DomainError) and failure.kind is not Kind.INVALID:
            raise
        errors = messages.explain(failure, reader.gettext)
        email = email if len(email) <= 254 else ""
        return render(
            request, reader, "password_forgot.html", 422, email=email, errors=errors, sent=False
        )
    return forms.redirect(FORGOT + "?sent=1")


async def reset_form(request: Request) -> Response:
    reader = await reader_viewer(request)
    try:
        await account_actions.check_reset(request, request.path_params["token"])
    except DomainError as failure:
        if failure.code != "token_unusable":
            raise
        return _unusable_reset(request, reader)
    return _private(render(request, reader, "password_reset.html", errors={}))


def _unusable_reset(request: Request, reader: Viewer) -> Response:
    title = reader.gettext(N_("This link cannot be used"))
    text = reader.gettext(_UNUSABLE)
    return _notice(request, reader, title, text, 400, (FORGOT, N_("Ask for a new link")))


async def reset(request: Request) -> Response:
    form = await forms.read_form(request)
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
    try:
        data = forms.check(
            schemas.PasswordReset,
            {"token": request.path_params["token"], "new_password": form.get("new_password")},
        )
        await account_actions.reset_password(request, data.token, data.new_password, form.token)
    except (ValidationError, DomainError) as failure:
        if isinstance(failure, DomainError) and failure.code == "token_unusable":
            return _unusable_reset(request, reader)
        if isinstance(failure, DomainError) and failure.kind is not Kind.INVALID:
            raise
        errors = messages.explain(failure, reader.gettext)
        return _private(render(request, reader, "password_reset.html", 422, errors=errors))
    return forms.redirect(CHANGED)


async def changed(request: Request) -> Response:
    reader = await reader_viewer(request)
    title = reader.gettext(N_("Your password is changed"))
    text = reader.gettext(
        N_("Every session of your account has ended: log in with your new password.")
    )
    return _notice(request, reader, title, text, link=("/login", N_("Log in")))


ROUTES = [
    Route("/verify/{token}", verify, methods=["GET"]),
    Route(SETTINGS + "/verify", resend, methods=["POST"]),
    Route(FORGOT, forgot_form, methods=["GET"]),
    Route(FORGOT, forgot, methods=["POST"]),
    Route(CHANGED, changed, methods=["GET"]),
    Route("/password/reset/{token}", reset_form, methods=["GET"]),
    Route("/password/reset/{token}", reset, methods=["POST"]),
]
