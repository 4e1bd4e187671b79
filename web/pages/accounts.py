"""Accounts in the browser: register, log in, log out; one's settings (display name,
interface language, password) and open sessions.

Every form posts back here with its CSRF field and gets Post/Redirect/Get: 303 on
success, the same page with the errors next to the fields and the input kept (422)
otherwise. Passwords are never written back into a page. The actions are the API's
(`web.account_actions`, `web.unit.log_in`, `forum.accounts`, `forum.sessions`), under
the same rate limits.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import accounts, sessions
from forum.errors import DomainError, Kind
from forum.models import EmailMode
from forum.permissions import check_can_manage_sessions, check_signed_in
from web import account_actions, auth, forms, i18n, schemas
from web.forms import Form
from web.i18n import N_
from web.pages import messages
from web.pages.membership import APPLY
from web.pages.view import Viewer, render, viewer
from web.unit import log_in, unit

SETTINGS = "/settings"
SESSIONS = "/settings/sessions"
EMAIL_MODES = {
    EmailMode.IMMEDIATELY.value: N_("As it happens (at most one mail every 5 minutes)"),
    EmailMode.DAILY.value: N_("A daily digest"),
    EmailMode.WEEKLY.value: N_("A weekly digest"),
    EmailMode.NONE.value: N_("No notification mail"),
}


def _next(value: str | None) -> str:
    return forms.local_path(value)


async def _read(request: Request) -> tuple[Form, Viewer]:
    """The posted form, its CSRF field checked, and who sent it."""
    form = await forms.read_form(request)
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
    return form, reader


# -- register ---------------------------------------------------------------------------


async def register_form(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
    next_path = _next(request.query_params.get("next"))
    return render(request, reader, "register.html", values={}, errors={}, next=next_path)


async def register(request: Request) -> Response:
    form, reader = await _read(request)
    next_path = _next(form.get("next"))
    values = {name: form.get(name) for name in ("display_name", "email")}
    try:
        data = forms.check(schemas.Register, {**values, "password": form.get("password")})
        done = await account_actions.register(
            request,
            email=data.email,
            display_name=data.display_name,
            password=data.password,
            # The language the new member reads the forum in now.
            language=reader.locale,
            form_token=form.token,
        )
    except (ValidationError, DomainError) as failure:
        errors = messages.for_form(failure, reader.gettext)
        return render(
            request, reader, "register.html", 422, values=values, errors=errors, next=next_path
        )
    # A new account is an applicant: its next step is the application.
    response = forms.redirect(APPLY)
    auth.set_cookies(request, response, done)
    return response


# -- log in, log out --------------------------------------------------------------------


async def login_form(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
    next_path = _next(request.query_params.get("next"))
    return render(request, reader, "login.html", email="", errors={}, next=next_path)


async def login(request: Request) -> Response:
    form, reader = await _read(request)
    next_path = _next(form.get("next"))
    email = form.get("email")
    try:
        data = forms.check(schemas.LoginRequest, {"email": email, "password": form.get("password")})
        done = await log_in(request, data.email, data.password, form.token)
    except ValidationError:
        errors = {messages.FORM: reader.gettext(messages.BY_CODE["invalid_credentials"])}
    except DomainError as failure:
        if failure.kind is not Kind.UNAUTHENTICATED:
            raise
        # One thing for every failure: which of the two was wrong is not told.
        errors = messages.explain(failure, reader.gettext)
    else:
        response = forms.redirect(next_path)
        auth.set_cookies(request, response, done)
        return response
    email = email if len(email) <= 254 else ""
    return render(request, reader, "login.html", 422, email=email, errors=errors, next=next_path)


async def logout(request: Request) -> Response:
    form = await forms.read_form(request)
    await account_actions.log_out(request, form.token)
    response = forms.redirect("/")
    auth.clear_cookie(response)
    return response


# -- settings ---------------------------------------------------------------------------


async def _settings_page(
    request: Request,
    reader: Viewer,
    user: dict,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    password_errors: dict[str, str] | None = None,
    mail_errors: dict[str, str] | None = None,
    handle: tuple[str, dict[str, str]] | None = None,
) -> Response:
    return render(
        request,
        reader,
        "settings.html",
        status,
        user=user,
        values=values or {"display_name": user["display_name"], "language": user["language"]},
        errors=errors or {},
        password_errors=password_errors or {},
        handle_value=handle[0] if handle else user["handle"],
        handle_errors=handle[1] if handle else {},
        languages=[(code, i18n.NAMES[code]) for code in accounts.INTERFACE_LANGUAGES],
        email_modes=[(mode, reader.gettext(label)) for mode, label in EMAIL_MODES.items()],
        mail_errors=mail_errors or {},
        saved=request.query_params.get("saved") if status == 200 else None,
    )


async def settings(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        check_signed_in(u.actor)
        assert u.actor.user_id is not None
        user = await accounts.get(u.session, u.actor.user_id)
    return await _settings_page(request, reader, user)


async def change_settings(request: Request) -> Response:
    form = await forms.read_form(request)
    values = {name: form.get(name) for name in ("display_name", "language")}
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        check_signed_in(u.actor)
        assert u.actor.user_id is not None
        try:
            data = forms.check(schemas.SettingsChange, values)
            await accounts.change_settings(
                u.session, u.actor, display_name=data.display_name, language=data.language
            )
        except (ValidationError, DomainError) as failure:
            errors = messages.for_form(failure, reader.gettext)
            user = await accounts.get(u.session, u.actor.user_id)
            return await _settings_page(request, reader, user, 422, values, errors)
    # The next page is in the language just chosen: it is read with the session.
    return forms.redirect(SETTINGS + "?saved=profile")


async def _change_one(
    request: Request, name: str, saved: str, kept: Callable[[str, dict[str, str]], dict]
) -> Response:
    """One setting's own form on the settings page (`name`: a `SettingsChange` field);
    `kept` says how the page shows the value sent back with its errors."""
    form = await forms.read_form(request)
    wanted = form.get(name) or ""
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        check_signed_in(u.actor)
        assert u.actor.user_id is not None
        try:
            data = forms.check(schemas.SettingsChange, {name: wanted})
            await accounts.change_settings(u.session, u.actor, **{name: getattr(data, name)})
        except (ValidationError, DomainError) as failure:
            errors = messages.for_form(failure, reader.gettext)
            user = await accounts.get(u.session, u.actor.user_id)
            return await _settings_page(request, reader, user, 422, **kept(wanted, errors))
    return forms.redirect(SETTINGS + f"?saved={saved}")


async def change_handle(request: Request) -> Response:
    return await _change_one(request, "handle", "handle", lambda v, e: {"handle": (v, e)})


async def change_email_mode(request: Request) -> Response:
    return await _change_one(request, "email_mode", "mail", lambda v, e: {"mail_errors": e})


async def change_password(request: Request) -> Response:
    """A new session here, every other one (this browser's old one too) ended."""
    form, reader = await _read(request)
    check_signed_in(reader.actor)
    try:
        data = forms.check(
            schemas.PasswordChange,
            {name: form.get(name) for name in ("current_password", "new_password")},
        )
        login, _ = await account_actions.change_password(
            request, data.current_password, data.new_password, form.token
        )
    except (ValidationError, DomainError) as failure:
        errors = messages.for_form(failure, reader.gettext)
        async with unit(request, form_token=form.token) as u:
            check_signed_in(u.actor)
            assert u.actor.user_id is not None
            user = await accounts.get(u.session, u.actor.user_id)
        return await _settings_page(request, reader, user, 422, password_errors=errors)
    response = forms.redirect(SETTINGS + "?saved=password")
    auth.set_cookie(request, response, login)
    return response


# -- leaving ----------------------------------------------------------------------------

LEAVE = SETTINGS + "/delete"


async def delete_form(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        check_signed_in(u.actor)
    return render(request, reader, "account_delete.html", values={}, errors={})


async def delete_account(request: Request) -> Response:
    """Delete the account (`forum.leaving`), then the home page, logged out."""
    form, reader = await _read(request)
    check_signed_in(reader.actor)
    choice = form.get("posts")
    values = {"posts": choice or ""}
    try:
        if choice not in ("keep", "delete"):
            message = "Choose what happens to your posts."
            raise DomainError(Kind.INVALID, "choose_posts", message, fields={"posts": message})
        await account_actions.delete_account(
            request, form.get("password") or "", keep_posts=choice == "keep", form_token=form.token
        )
    except DomainError as failure:
        errors = messages.for_form(failure, reader.gettext)
        return render(request, reader, "account_delete.html", 422, values=values, errors=errors)
    response = forms.redirect("/")
    auth.clear_cookie(response)
    return response


# -- sessions ---------------------------------------------------------------------------

# What a person recognises in a User-Agent, first match wins (Edge and Opera say
# "Chrome" too, Chrome says "Safari", Android says "Linux").
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"))  # fmt: skip
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"),
            ("Windows", "Windows"), ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"),
            ("Linux", "Linux"))  # fmt: skip


def browser_of(user_agent: str | None) -> str | None:
    """A User-Agent as a person knows it ("Firefox · Android"); None if nothing is known."""
    if not user_agent:
        return None
    found = [
        next((name for mark, name in table if mark in user_agent), None)
        for table in (_BROWSERS, _SYSTEMS)
    ]
    known = [name for name in found if name]
    return " · ".join(known) if known else None


async def sessions_page(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        check_can_manage_sessions(u.actor)
        assert u.current is not None
        found = await sessions.list_open(
            u.session, request.app.state.policy, u.actor, u.current.key
        )
    ended = request.query_params.get("ended", "")
    return render(
        request,
        reader,
        "sessions.html",
        sessions=found,
        browser_of=browser_of,
        others=sum(not s.current for s in found),
        ended=int(ended) if ended.isdigit() and len(ended) < 4 else None,
    )


async def end_session(request: Request) -> Response:
    form = await forms.read_form(request)
    async with unit(request, form_token=form.token) as u:
        viewer(request, u.current)
        check_can_manage_sessions(u.actor)
        assert u.current is not None
        ended = await sessions.end(
            u.session, request.app.state.policy, u.actor, form.get("session")[:64]
        )
    if ended == u.current.key:  # this browser's own: it is logged out
        response = forms.redirect("/")
        auth.clear_cookie(response)
        return response
    return forms.redirect(SESSIONS + "?ended=1")


async def end_other_sessions(request: Request) -> Response:
    form = await forms.read_form(request)
    async with unit(request, form_token=form.token) as u:
        viewer(request, u.current)
        check_can_manage_sessions(u.actor)
        assert u.current is not None
        ended = await sessions.end_others(u.session, u.actor, u.current.key)
    return forms.redirect(f"{SESSIONS}?ended={ended}")


ROUTES = [
    Route("/register", register_form, methods=["GET"]),
    Route("/register", register, methods=["POST"]),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route(SETTINGS, settings, methods=["GET"]),
    Route(SETTINGS, change_settings, methods=["POST"]),
    Route(SETTINGS + "/mail", change_email_mode, methods=["POST"]),
    Route(SETTINGS + "/password", change_password, methods=["POST"]),
    Route(SETTINGS + "/handle", change_handle, methods=["POST"]),
    Route(LEAVE, delete_form, methods=["GET"]),
    Route(LEAVE, delete_account, methods=["POST"]),
    Route(SESSIONS, sessions_page, methods=["GET"]),
    Route(SESSIONS + "/end", end_session, methods=["POST"]),
    Route(SESSIONS + "/end-others", end_other_sessions, methods=["POST"]),
]
