"""Resources in the browser: the list with its filters (kind, country), and the forms
editors use to add and change one (anyone else gets 404 for the forms, as if there were
none). Errors come back next to their field with the input kept (422); success is
Post/Redirect/Get. The actions are the API's (`forum.resources`).
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import resources
from forum.catalog import Catalog
from forum.errors import DomainError, Kind
from forum.permissions import allows, check_can_edit_knowledge
from forum.resources import ResourceKind
from web import forms, schemas
from web.forms import Form
from web.i18n import N_
from web.pages import messages
from web.pages.listing import Listed, filtered
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import unit

LIST_PAGE = 30
_ID = re.compile(r"^[0-9]{1,18}$")

KIND_LABELS = {
    ResourceKind.CONVENTION_TEXT: N_("Convention text"),
    ResourceKind.REVIEW_REPORT: N_("Review report"),
    ResourceKind.GUIDE: N_("Guide"),
    ResourceKind.TRAINING_MATERIAL: N_("Training material"),
    ResourceKind.PARTNER_ORGANISATION: N_("Partner organisation"),
}


def _kinds(reader: Viewer) -> list[tuple[str, str]]:
    return [(kind.value, reader.gettext(label)) for kind, label in KIND_LABELS.items()]


async def listing(request: Request) -> Response:
    def context(page: Listed) -> dict[str, object]:
        kinds = _kinds(page.reader)
        return {"kinds": kinds, "kind_label": dict(kinds), "countries": page.countries(),
                "may_add": allows(check_can_edit_knowledge, page.reader.actor),
                "saved": request.query_params.get("saved")}  # fmt: skip

    return await filtered(request, "resources.html", ("kind", "country"),
                          resources.list_resources, LIST_PAGE, context)  # fmt: skip


def _form_page(
    request: Request,
    reader: Viewer,
    known: Catalog,
    action: str,
    values: dict[str, object],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(request, reader, "resource_form.html", status, action=action,
                  values=values, errors=errors or {}, kinds=_kinds(reader),
                  countries=[(c.code, c.name) for c in known.countries],
                  topics=[(t.slug, t.name) for t in known.topics])  # fmt: skip


def _values(entry: resources.Entry) -> dict[str, object]:
    return {
        "title": entry.title,
        "url": entry.url,
        "kind": entry.kind,
        "description": entry.description,
        "languages": ", ".join(entry.languages),
        "countries": list(entry.countries),
        "topics": list(entry.topics),
    }


def _parse(form: Form) -> tuple[dict[str, object], dict[str, object]]:
    """What the form shows again, and what the schema checks."""
    shown: dict[str, object] = {
        "title": form.get("title"),
        "url": form.get("url").strip(),
        "kind": form.get("kind"),
        "description": form.get("description"),
        "languages": form.get("languages"),
        "countries": form.getlist("countries"),
        "topics": form.getlist("topics"),
    }
    codes = [c for c in re.split(r"[\s,;]+", form.get("languages").lower()) if c]
    return shown, {**shown, "languages": codes}


def _resource_id(request: Request) -> int | None:
    raw = request.path_params["resource_id"]
    return int(raw) if _ID.match(raw) else None


async def new_form(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
    if not allows(check_can_edit_knowledge, reader.actor):
        return not_found_page(request, reader)
    empty = resources.Entry(title="", url="", kind=ResourceKind.GUIDE.value)
    return _form_page(request, reader, known, "/resources/new", _values(empty))


async def edit_form(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        resource_id = _resource_id(request)
        if resource_id is None or not allows(check_can_edit_knowledge, reader.actor):
            return not_found_page(request, reader)
        try:
            view = await resources.get(u.session, u.actor, known, resource_id)
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            raise
    entry = resources.Entry(
        view.title, view.url, view.kind, view.description,
        tuple(view.languages), tuple(view.countries), tuple(view.topics),
    )  # fmt: skip
    return _form_page(request, reader, known, f"/resources/{resource_id}/edit", _values(entry))


async def _save(request: Request, resource_id: int | None) -> Response:
    form = await forms.read_form(request)
    shown, checked = _parse(form)
    action = "/resources/new" if resource_id is None else f"/resources/{resource_id}/edit"
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        try:
            if resource_id is None:
                data = forms.check(schemas.ResourceCreate, checked)
                await resources.create(u.session, u.actor, known, resources.Entry(**data.changes()))
            else:
                data = forms.check(schemas.ResourceFields, checked)
                await resources.update_entry(u.session, u.actor, known, resource_id,
                                             data.changes())  # fmt: skip
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            return _form_page(request, reader, known, action, shown,
                              messages.for_form(failure, reader.gettext), 422)  # fmt: skip
    return forms.redirect("/resources?saved=1")


async def create(request: Request) -> Response:
    return await _save(request, None)


async def edit(request: Request) -> Response:
    resource_id = _resource_id(request)
    if resource_id is None:
        async with unit(request) as u:
            return not_found_page(request, viewer(request, u.current))
    return await _save(request, resource_id)


ROUTES = [
    Route("/resources", listing, methods=["GET"]),
    Route("/resources/new", new_form, methods=["GET"]),
    Route("/resources/new", create, methods=["POST"]),
    Route("/resources/{resource_id}/edit", edit_form, methods=["GET"]),
    Route("/resources/{resource_id}/edit", edit, methods=["POST"]),
]
