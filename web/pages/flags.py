"""Flag pages (`forum.reports`, `forum.cases`): a member's report of a post
(`/posts/{id}/flag`), the moderators' entry to their regions' queues (`/moderation`), a
region's queue of open cases (`/regions/{slug}/flags`, live with the script) and a case's page
(`/flag-cases/{id}`: the post, its reports, notes, taking it and resolving it).
Post/Redirect/Get; errors next to the fields with the input kept."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import cases, posts, reports
from forum.errors import DomainError, Kind
from forum.permissions import check_can_flag
from web import forms, schemas
from web.inputs import path_id, query_text
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import Unit, unit

REPORT = "/posts/{post_id}/flag"
CASE = "/flag-cases/{case_id}"


def _status(failure: DomainError | ValidationError) -> int:
    return 409 if isinstance(failure, DomainError) and failure.kind is Kind.CONFLICT else 422


async def _report_page(
    request: Request, u: Unit, reader: Viewer, post_id: int, values: dict[str, Any],
    errors: dict[str, str], status: int = 200, *, blank: bool = False,
) -> Response:  # fmt: skip
    try:
        post = await posts.get(u.session, u.actor, post_id)
    except DomainError as failure:
        if failure.kind is Kind.NOT_FOUND:
            return not_found_page(request, reader)
        raise
    if post["body"] is None:  # deleted, or hidden from this reader: nothing to report
        return not_found_page(request, reader)
    if blank:
        # Before the form, not after sending it: an applicant, a suspended member or the
        # author reads why they cannot report it (the failure page, as `/threads/new`).
        check_can_flag(u.actor, post["author"]["id"])
    return render(request, reader, "flag.html", status, post=post, values=values, errors=errors,
                  reasons=reports.REASONS, done=request.query_params.get("done"))  # fmt: skip


async def report_form(request: Request) -> Response:
    post_id = path_id(request, "post_id", "post")
    async with unit(request) as u:
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next={REPORT.format(post_id=post_id)}")
        return await _report_page(request, u, viewer(request, u.current), post_id, {}, {},
                                  blank=True)  # fmt: skip


async def report(request: Request) -> Response:
    post_id = path_id(request, "post_id", "post")
    posted = await forms.read_form(request)
    values = {"reason": posted.get("reason"), "text": posted.get("text")}
    async with unit(request, form_token=posted.token) as u:
        reader = viewer(request, u.current)
        try:
            data = forms.check(schemas.FlagIn, {"reason": values["reason"] or "",
                                                "text": values["text"] or None})  # fmt: skip
            await reports.raise_flag(u.session, u.actor, post_id, data.reason, data.text)
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            errors = messages.for_form(failure, reader.gettext)
            return await _report_page(request, u, reader, post_id, values, errors,
                                      _status(failure))  # fmt: skip
    return forms.redirect(f"{REPORT.format(post_id=post_id)}?done=1")


async def queues(request: Request) -> Response:
    async with unit(request) as u:
        if not u.actor.authenticated:
            return forms.redirect("/login?next=/moderation")
        reader = viewer(request, u.current)
        found = await cases.queues(u.session, u.actor, await u.catalog())
    return render(request, reader, "queue_flags_index.html", queues=found)


async def queue(request: Request) -> Response:
    slug = request.path_params["slug"]
    since = str(request.app.state.realtime.position)
    async with unit(request) as u:
        reader = viewer(request, u.current)
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next=/regions/{slug}/flags")
        known = await u.catalog()
        try:
            found, following = await cases.queue(u.session, u.actor, known, slug,
                                                 cursor=query_text(request, "cursor"))  # fmt: skip
        except DomainError as failure:
            if failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            raise
    return render(request, reader, "queue_flags.html", cases=found, following=following,
                  slug=slug, region=known.name("region", slug), since=since)  # fmt: skip


async def _case_page(
    request: Request, u: Unit, reader: Viewer, case_id: int, values: dict[str, Any],
    errors: dict[str, str], status: int = 200,
) -> Response:  # fmt: skip
    try:
        found = await cases.case(u.session, u.actor, await u.catalog(), case_id)
    except DomainError as failure:
        if failure.kind is Kind.NOT_FOUND:
            return not_found_page(request, reader)
        raise
    return render(request, reader, "flag_case.html", status, case=found, values=values,
                  errors=errors, reasons=reports.REASONS, outcomes=cases.OUTCOMES)  # fmt: skip


async def case(request: Request) -> Response:
    case_id = path_id(request, "case_id", "case")
    async with unit(request) as u:
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next={CASE.format(case_id=case_id)}")
        return await _case_page(request, u, viewer(request, u.current), case_id, {}, {})


async def _act(request: Request, names: tuple[str, ...], act: Any) -> Response:
    """Read the form's `names`, `act(unit, values)`, then back to the case (its errors
    next to the fields, the input kept)."""
    case_id = path_id(request, "case_id", "case")
    posted = await forms.read_form(request)
    values = {name: posted.get(name) for name in names}
    async with unit(request, form_token=posted.token) as u:
        reader = viewer(request, u.current)
        try:
            await act(u, case_id, values)
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            errors = messages.for_form(failure, reader.gettext)
            return await _case_page(request, u, reader, case_id, values, errors,
                                    _status(failure))  # fmt: skip
    return forms.redirect(CASE.format(case_id=case_id))


async def assign(request: Request) -> Response:
    async def act(u: Unit, case_id: int, values: dict[str, Any]) -> None:
        await cases.assign(u.session, u.actor, await u.catalog(), case_id,
                           to_me=values["to"] == "me")  # fmt: skip

    return await _act(request, ("to",), act)


async def note(request: Request) -> Response:
    async def act(u: Unit, case_id: int, values: dict[str, Any]) -> None:
        data = forms.check(schemas.FlagNoteIn, {"body": values["body"] or ""})
        await cases.add_note(u.session, u.actor, await u.catalog(), case_id, data.body)

    return await _act(request, ("body",), act)


async def resolve(request: Request) -> Response:
    async def act(u: Unit, case_id: int, values: dict[str, Any]) -> None:
        sent = {"outcome": values["outcome"] or "", "reason": values["reason"] or "",
                "until": values["until"] or None}  # fmt: skip
        data = forms.check(schemas.FlagResolution, sent)
        await cases.resolve(u.session, u.actor, await u.catalog(), u.request.app.state.mailer,
                            case_id, outcome=data.outcome, reason=data.reason,
                            until=data.until)  # fmt: skip

    return await _act(request, ("outcome", "reason", "until"), act)


ROUTES = [
    Route(REPORT, report_form, methods=["GET"]),
    Route(REPORT, report, methods=["POST"]),
    Route("/moderation", queues, methods=["GET"]),
    Route("/regions/{slug}/flags", queue, methods=["GET"]),
    Route(CASE, case, methods=["GET"]),
    Route(CASE + "/assign", assign, methods=["POST"]),
    Route(CASE + "/notes", note, methods=["POST"]),
    Route(CASE + "/resolve", resolve, methods=["POST"]),
]
