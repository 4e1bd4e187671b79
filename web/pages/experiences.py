"""Experiences (CSO case stories) in the browser: the list with its filters, one
experience, its earlier versions (the organisation's members and moderators; anyone
else gets 404, as if there were none), and the forms to tell one and to edit it (the
organisation's members).

Every form is a real form with its CSRF field: errors come back next to their field
with the input kept (422), success is Post/Redirect/Get. The actions are the API's
(`forum.experiences`), the rules the policy module's.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import experiences, organisations
from forum.catalog import Catalog
from forum.errors import DomainError, Kind
from forum.organisation_fields import SLUG
from web import forms, schemas
from web.forms import Form
from web.i18n import N_
from web.inputs import query_text
from web.pages import messages
from web.pages.listing import filtered
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import unit

LIST_PAGE = 30
ON_PROFILE = 20
_LIST_SPLIT = re.compile(r"[\s,;]+")
_ID = re.compile(r"^[0-9]{1,18}$")

TEXTS = (
    ("context", N_("Context")),
    ("action", N_("What was done")),
    ("obstacles", N_("Obstacles")),
    ("outcome", N_("Outcome")),
    ("lessons", N_("Lessons")),
)


def _text_labels(reader: Viewer) -> list[tuple[str, str]]:
    return [(name, reader.gettext(label)) for name, label in TEXTS]


async def listing(request: Request) -> Response:
    return await filtered(request, "experiences.html", ("organisation", "country", "topic"),
                          experiences.list_experiences, LIST_PAGE,
                          lambda page: {"countries": page.countries(),
                                        "topics": page.topics()})  # fmt: skip


def _experience_id(request: Request) -> int | None:
    raw = request.path_params["experience_id"]
    return int(raw) if _ID.match(raw) else None


async def _experience_page(request: Request, template: str, *, history: bool) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        experience_id = _experience_id(request)
        known = await u.catalog()
        try:
            if experience_id is None:
                raise DomainError(Kind.NOT_FOUND, "experience_not_found", "")
            view = await experiences.get(u.session, u.actor, known, experience_id)
            versions = (
                await experiences.revisions(u.session, u.actor, known, experience_id)
                if history
                else None
            )
        except DomainError as exc:
            # Forbidden too: a reader who may not see earlier versions never learns of them.
            if exc.kind in (Kind.NOT_FOUND, Kind.FORBIDDEN):
                return not_found_page(request, reader)
            raise
    return render(request, reader, template, e=view, history=versions, named=known.name,
                  texts=_text_labels(reader),
                  saved=request.query_params.get("saved"))  # fmt: skip


async def show(request: Request) -> Response:
    return await _experience_page(request, "experience.html", history=False)


async def revisions(request: Request) -> Response:
    return await _experience_page(request, "experience_revisions.html", history=True)


def _form_page(
    request: Request,
    reader: Viewer,
    known: Catalog,
    action: str,
    values: dict[str, object],
    errors: dict[str, str] | None = None,
    status: int = 200,
    organisation_name: str = "",
) -> Response:
    return render(request, reader, "experience_form.html", status, action=action,
                  values=values, errors=errors or {}, texts=_text_labels(reader),
                  organisation_name=organisation_name,
                  countries=[(c.code, c.name) for c in known.countries],
                  topics=[(t.slug, t.name) for t in known.topics])  # fmt: skip


def _values(story: experiences.Story) -> dict[str, object]:
    return {
        "title": story.title,
        "countries": list(story.countries),
        "topics": list(story.topics),
        "uncac_articles": ", ".join(str(a) for a in story.uncac_articles),
        "year": "" if story.year is None else str(story.year),
        "language": story.language,
        "threads": ", ".join(str(t) for t in story.threads),
        **{name: getattr(story, name) for name, _ in TEXTS},
    }


def _numbers(raw: str, field: str, errors: dict[str, str]) -> list[int]:
    parts = [x for x in _LIST_SPLIT.split(raw) if x]
    if not all(p.isascii() and p.isdigit() and len(p) < 10 for p in parts):
        errors[field] = "numbers"
        return []
    return [int(p) for p in parts]


def _parse(form: Form) -> tuple[dict[str, object], dict[str, object], dict[str, str]]:
    """What the form shows again, what the schema checks, and errors found on the way."""
    shown: dict[str, object] = {
        "title": form.get("title"),
        "countries": form.getlist("countries"),
        "topics": form.getlist("topics"),
        "uncac_articles": form.get("uncac_articles"),
        "year": form.get("year"),
        "language": form.get("language").strip().lower(),
        "threads": form.get("threads"),
        **{name: form.get(name) for name, _ in TEXTS},
    }
    errors: dict[str, str] = {}
    checked = dict(shown)
    checked["uncac_articles"] = _numbers(form.get("uncac_articles"), "uncac_articles", errors)
    checked["threads"] = _numbers(form.get("threads"), "threads", errors)
    year = _numbers(form.get("year"), "year", errors)
    if len(year) > 1:
        errors["year"] = "numbers"
    checked["year"] = year[0] if len(year) == 1 else None
    return shown, checked, errors


def _failure(errors: dict[str, str]) -> DomainError:
    field, code = next(iter(errors.items()))
    return DomainError(Kind.INVALID, code, "", fields={field: code})


async def new_form(request: Request) -> Response:
    slug = query_text(request, "organisation", 64) or ""
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        try:
            if not SLUG.match(slug):
                raise DomainError(Kind.NOT_FOUND, "organisation_not_found", "")
            org = await organisations.get(u.session, u.actor, known, slug)
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            raise
    if org.you is None and not org.may_edit:
        return not_found_page(request, reader)
    values = _values(experiences.Story(title="", language=reader.locale[:2]))
    action = f"/experiences/new?{urlencode({'organisation': slug})}"
    return _form_page(request, reader, known, action, values, organisation_name=org.name)


async def create(request: Request) -> Response:
    slug = query_text(request, "organisation", 64) or ""
    form = await forms.read_form(request)
    shown, checked, errors = _parse(form)
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        if not SLUG.match(slug):
            return not_found_page(request, reader)
        try:
            if errors:
                raise _failure(errors)
            data = forms.check(schemas.ExperienceCreate, {**checked, "organisation": slug})
            made = await experiences.create(
                u.session, u.actor, known, slug, experiences.Story(**data.changes())
            )
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            action = f"/experiences/new?{urlencode({'organisation': slug})}"
            return _form_page(request, reader, known, action, shown,
                              messages.for_form(failure, reader.gettext), 422)  # fmt: skip
    return forms.redirect(f"/experiences/{made.id}?saved=1")


async def edit_form(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        experience_id = _experience_id(request)
        known = await u.catalog()
        try:
            if experience_id is None:
                raise DomainError(Kind.NOT_FOUND, "experience_not_found", "")
            view = await experiences.get(u.session, u.actor, known, experience_id)
            if not view.may_edit:
                return not_found_page(request, reader)
            story = await experiences.current_story(u.session, u.actor, known, experience_id)
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            raise
    return _form_page(request, reader, known, f"/experiences/{experience_id}/edit",
                      _values(story), organisation_name=view.organisation_name)  # fmt: skip


async def edit(request: Request) -> Response:
    form = await forms.read_form(request)
    shown, checked, errors = _parse(form)
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        experience_id = _experience_id(request)
        known = await u.catalog()
        if experience_id is None:
            return not_found_page(request, reader)
        try:
            if errors:
                raise _failure(errors)
            data = forms.check(schemas.ExperienceFields, checked)
            await experiences.update_story(u.session, u.actor, known, experience_id,
                                           data.changes())  # fmt: skip
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            return _form_page(request, reader, known, f"/experiences/{experience_id}/edit",
                              shown, messages.for_form(failure, reader.gettext), 422)  # fmt: skip
    return forms.redirect(f"/experiences/{experience_id}?saved=1")


ROUTES = [
    Route("/experiences", listing, methods=["GET"]),
    Route("/experiences/new", new_form, methods=["GET"]),
    Route("/experiences/new", create, methods=["POST"]),
    Route("/experiences/{experience_id}", show, methods=["GET"]),
    Route("/experiences/{experience_id}/revisions", revisions, methods=["GET"]),
    Route("/experiences/{experience_id}/edit", edit_form, methods=["GET"]),
    Route("/experiences/{experience_id}/edit", edit, methods=["POST"]),
]
