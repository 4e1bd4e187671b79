"""Becoming a member in the browser: the applicant's page (`/apply`: their address's
confirmation, their application and its decision) and the approvers' queue
(`/applications`), with the same actions as the API (`forum.applications`).

Forms post back with their CSRF field and get Post/Redirect/Get; errors show next to the
fields with the input kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import accounts, applications, organisations
from forum.catalog import Catalog
from forum.errors import DomainError, Kind
from forum.models import ApplicationStatus
from forum.permissions import Actor, allows, check_can_apply
from web import forms, schemas
from web.inputs import path_id, query_text
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import Unit, unit

APPLY = "/apply"
QUEUE = "/applications"
MAX_LISTED = 500  # organisations offered in the application form, by name


async def _directory(u: Unit, known: Catalog) -> list[tuple[str, str]]:
    listed, _ = await organisations.list_organisations(u.session, u.actor, known, limit=MAX_LISTED)
    return [(o.slug, o.name) for o in listed]


async def _apply_page(
    request: Request,
    u: Unit,
    reader: Viewer,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    assert u.actor.user_id is not None
    known = await u.catalog()
    found = await applications.mine(u.session, u.actor)
    user = await accounts.get(u.session, u.actor.user_id)
    if values is None:
        values = dict(found) if found and found["status"] == ApplicationStatus.PENDING else {}
    return render(
        request, reader, "apply.html", status,
        application=found, user=user, values=values, errors=errors or {},
        countries=[(c.code, c.name) for c in known.countries],
        directory=await _directory(u, known), sent=request.query_params.get("sent"),
    )  # fmt: skip


def _applicant_only(actor: Actor) -> Response | None:
    """Where anyone but an applicant goes instead of /apply."""
    if not actor.authenticated:
        return forms.redirect(f"/login?next={APPLY}")
    if not allows(check_can_apply, actor):  # a member has nothing to apply for
        return forms.redirect("/")
    return None


async def apply_form(request: Request) -> Response:
    async with unit(request) as u:
        if (elsewhere := _applicant_only(u.actor)) is not None:
            return elsewhere
        return await _apply_page(request, u, viewer(request, u.current))


async def apply(request: Request) -> Response:
    form = await forms.read_form(request)
    names = ("country", "organisation", "organisation_name", "motivation")
    values = {name: form.get(name) or None for name in names}
    async with unit(request, form_token=form.token) as u:
        if (elsewhere := _applicant_only(u.actor)) is not None:
            return elsewhere
        reader = viewer(request, u.current)
        try:
            sent = {**values, "motivation": values["motivation"] or ""}
            data = forms.check(schemas.ApplicationIn, sent)
            await applications.submit(
                u.session, u.actor, await u.catalog(), country=data.country,
                motivation=data.motivation, organisation=data.organisation,
                organisation_name=data.organisation_name,
            )  # fmt: skip
        except (ValidationError, DomainError) as failure:
            errors = messages.for_form(failure, reader.gettext)
            return await _apply_page(request, u, reader, values, errors, 422)
    return forms.redirect(f"{APPLY}?sent=1")


async def _queue_page(
    request: Request,
    u: Unit,
    reader: Viewer,
    *,
    status: str = ApplicationStatus.PENDING.value,
    cursor: str | None = None,
    errors: dict[int, dict[str, str]] | None = None,
    http_status: int = 200,
) -> Response:
    found, following = await applications.queue(u.session, u.actor, status=status, cursor=cursor)
    return render(
        request, reader, "applications.html", http_status,
        found=found, state=status, following=following, errors=errors or {},
        named=(await u.catalog()).name, decided=request.query_params.get("decided"),
    )  # fmt: skip


async def queue(request: Request) -> Response:
    status = query_text(request, "status", 16) or ApplicationStatus.PENDING.value
    async with unit(request) as u:
        reader = viewer(request, u.current)
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next={QUEUE}")
        try:
            return await _queue_page(
                request, u, reader, status=status, cursor=query_text(request, "cursor")
            )
        except DomainError as exc:
            if exc.kind is Kind.INVALID:
                return not_found_page(request, reader)
            raise


async def approve(request: Request) -> Response:
    application_id = path_id(request, "application_id", "application")
    form = await forms.read_form(request)
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        try:
            await applications.decide(
                u.session, u.actor, request.app.state.mailer, application_id, approve=True
            )
        except DomainError as failure:
            if failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            errors = {application_id: messages.for_form(failure, reader.gettext)}
            return await _queue_page(request, u, reader, errors=errors, http_status=409)
    return forms.redirect(f"{QUEUE}?decided={application_id}")


async def refuse_form(request: Request) -> Response:
    application_id = path_id(request, "application_id", "application")
    async with unit(request) as u:
        reader = viewer(request, u.current)
        try:
            found = await applications.one(u.session, u.actor, application_id)
        except DomainError as failure:
            if failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            raise
    return render(request, reader, "application_refuse.html", a=found, values={}, errors={})


async def refuse(request: Request) -> Response:
    application_id = path_id(request, "application_id", "application")
    form = await forms.read_form(request)
    values = {"reason": form.get("reason") or ""}
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        try:
            found = await applications.one(u.session, u.actor, application_id)
            reason = forms.check(schemas.Refusal, values).reason
            await applications.decide(
                u.session, u.actor, request.app.state.mailer, application_id,
                approve=False, reason=reason,
            )  # fmt: skip
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            errors = messages.for_form(failure, reader.gettext)
            return render(request, reader, "application_refuse.html", 422, a=found,
                          values=values, errors=errors)  # fmt: skip
    return forms.redirect(f"{QUEUE}?decided={application_id}")


ROUTES = [
    Route(APPLY, apply_form, methods=["GET"]),
    Route(APPLY, apply, methods=["POST"]),
    Route(QUEUE, queue, methods=["GET"]),
    Route(QUEUE + "/{application_id}/approve", approve, methods=["POST"]),
    Route(QUEUE + "/{application_id}/refuse", refuse_form, methods=["GET"]),
    Route(QUEUE + "/{application_id}/refuse", refuse, methods=["POST"]),
]
