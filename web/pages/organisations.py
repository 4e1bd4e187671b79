"""Organisations in the browser: the directory by region and country, a profile with
the fields and members the reader may see and the threads its shown members started,
the edit form (representatives and admins), and one's own affiliation (join, show or
hide, leave) as small forms on the profile.

Every form posts back here with its CSRF field and gets Post/Redirect/Get; the actions
are the API's (`forum.organisations`), the rules the policy module's.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import affiliations, experiences, follows, organisations
from forum.catalog import Catalog
from forum.errors import DomainError, Kind
from forum.models import FieldVisibility, OrganisationKind
from forum.organisation_fields import SLUG
from web import forms, schemas, uncac
from web.forms import Form
from web.i18n import N_
from web.inputs import query_text
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import unit

DIRECTORY_PAGE = 100
EXPERIENCES_LISTED = 20
KINDS = {
    OrganisationKind.NGO: N_("NGO"),
    OrganisationKind.NETWORK: N_("Network"),
    OrganisationKind.ACADEMIC: N_("Academic"),
    OrganisationKind.MEDIA: N_("Media"),
    OrganisationKind.COMMUNITY: N_("Community group"),
    OrganisationKind.OTHER: N_("Other"),
}
VISIBILITIES = {
    FieldVisibility.PUBLIC: N_("Public"),
    FieldVisibility.MEMBERS: N_("Members only"),
    FieldVisibility.PRIVATE: N_("Private: the organisation's members and admins"),
}
EDIT_FIELDS = ("name", "country", "kind", "website", "email", "email_visibility", "phone",
               "phone_visibility", "description", "languages")  # fmt: skip
UNCAC_FIELDS = ("uncac_chapters", "uncac_articles")
_LIST_SPLIT = re.compile(r"[\s,;]+")


def _labels(reader: Viewer) -> dict[str, dict[str, str]]:
    return {
        "kinds": {k.value: reader.gettext(v) for k, v in KINDS.items()},
        "visibilities": {k.value: reader.gettext(v) for k, v in VISIBILITIES.items()},
    }


async def directory(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        region = query_text(request, "region", 64)
        country = query_text(request, "country", 2)
        try:
            found, cursor = await organisations.list_organisations(
                u.session, u.actor, known, region=region, country=country,
                cursor=query_text(request, "cursor"), limit=DIRECTORY_PAGE,
            )  # fmt: skip
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            raise
    groups = _grouped(known, reader, found)
    more = None
    if cursor:
        given = [(k, v) for k, v in (("region", region), ("country", country)) if v]
        more = "?" + urlencode([*given, ("cursor", cursor)])
    return render(request, reader, "organisations.html", groups=groups, more=more,
                  region=region, country=country, named=known.name,
                  regions=known.readable_regions(reader.actor), **_labels(reader))  # fmt: skip


def _grouped(known: Catalog, reader: Viewer, found: list[organisations.Summary]) -> list:
    """(region, [(country name, [organisation, ...]), ...]) in the catalog's name order."""
    groups = []
    for region in known.readable_regions(reader.actor):
        countries = []
        for c in known.countries:
            here = [o for o in found if o.country == c.code]
            if c.region_id == region.id and here:
                countries.append((c, here))
        if countries:
            groups.append((region, countries))
    return groups


async def _profile_page(
    request: Request,
    slug: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    form_token: str | None = None,
) -> Response:
    """The profile; after a refused form (`form_token`: the one it sent, checked again as
    the posted request's own), with the error by its field."""
    async with unit(request, form_token=form_token) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        try:
            view = await organisations.get(u.session, u.actor, known, slug)
            started = await organisations.shown_members_threads(u.session, u.actor, known, slug)
            stories, _ = await experiences.list_experiences(
                u.session, u.actor, known, organisation=slug, limit=EXPERIENCES_LISTED
            )
            following = await follows.one_of(u.session, u.actor, f"organisation:{slug}")
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            raise
    return render(request, reader, "organisation.html", status, org=view, threads=started,
                  stories=stories, named=known.name, errors=errors or {}, values=values or {},
                  uncac=uncac.names(reader.locale),
                  saved=request.query_params.get("saved"), following=following,
                  **_labels(reader))  # fmt: skip


async def profile(request: Request) -> Response:
    slug = request.path_params["slug"]
    if not SLUG.match(slug):
        return not_found_page(request, await _viewer(request))
    return await _profile_page(request, slug)


async def _viewer(request: Request) -> Viewer:
    async with unit(request) as u:
        return viewer(request, u.current)


async def affiliation(request: Request) -> Response:
    """One's own affiliation: `action` is join, show, hide or leave."""
    slug = request.path_params["slug"]
    form = await forms.read_form(request)
    action = form.get("action")
    message: str | None = None
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        if not SLUG.match(slug):
            return not_found_page(request, reader)
        known = await u.catalog()
        try:
            if action == "join":
                await affiliations.affiliate(
                    u.session, u.actor, known, slug, user_id=u.actor.user_id or 0,
                    shown=form.get("shown") == "yes",
                )  # fmt: skip
            elif action in ("show", "hide"):
                await affiliations.show(u.session, u.actor, known, slug, action == "show")
            elif action == "leave":
                await affiliations.end(u.session, u.actor, known, slug, u.actor.user_id or 0)
            else:
                return not_found_page(request, reader)
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND and exc.code == "organisation_not_found":
                return not_found_page(request, reader)
            if exc.kind not in messages.SHOWN_IN_FORM and exc.kind is not Kind.NOT_FOUND:
                raise
            message = next(iter(messages.explain(exc, reader.gettext).values()))
    if message is not None:
        return await _profile_page(
            request, slug, 422, {"affiliation": message}, form_token=form.token
        )
    return forms.redirect(f"/organisations/{slug}?saved=affiliation#affiliation")


async def name_member(request: Request) -> Response:
    """Representatives and admins add a colleague by display name, as member or
    representative."""
    slug = request.path_params["slug"]
    form = await forms.read_form(request)
    message: str | None = None
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        if not SLUG.match(slug):
            return not_found_page(request, reader)
        known = await u.catalog()
        try:
            user_id = await affiliations.member_named(u.session, form.get("display_name"))
            await affiliations.affiliate(u.session, u.actor, known, slug, user_id=user_id,
                                         role=form.get("role"))  # fmt: skip
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            if exc.kind not in messages.SHOWN_IN_FORM:
                raise
            message = next(iter(messages.explain(exc, reader.gettext).values()))
    if message is not None:
        return await _profile_page(request, slug, 422, {"display_name": message},
                                   {"display_name": form.get("display_name")},
                                   form_token=form.token)  # fmt: skip
    return forms.redirect(f"/organisations/{slug}?saved=members#members-heading")


async def _edit_page(
    request: Request,
    reader: Viewer,
    known: Catalog,
    slug: str,
    values: dict[str, object],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(request, reader, "organisation_edit.html", status, slug=slug, values=values,
                  errors=errors or {},
                  countries=[(c.code, c.name) for c in known.readable_countries(reader.actor)],
                  topics=[(t.slug, t.name) for t in known.topics],
                  uncac=uncac.chapters(reader.locale),
                  kind_options=[(k.value, reader.gettext(v)) for k, v in KINDS.items()],
                  visibility_options=[(k.value, reader.gettext(v))
                                      for k, v in VISIBILITIES.items()])  # fmt: skip


def _form_values(profile: organisations.Profile) -> dict[str, object]:
    return {
        "name": profile.name,
        "country": profile.country,
        "kind": profile.kind,
        "website": profile.website or "",
        "email": profile.email or "",
        "email_visibility": profile.email_visibility,
        "phone": profile.phone or "",
        "phone_visibility": profile.phone_visibility,
        "description": profile.description,
        "languages": ", ".join(profile.languages),
        "topics": list(profile.topics),
        "uncac_chapters": [str(c) for c in profile.uncac_chapters],
        "uncac_articles": [str(a) for a in profile.uncac_articles],
        "activities": [
            {"title": a.title, "started_on": a.started_on.isoformat(),
             "ended_on": a.ended_on.isoformat() if a.ended_on else "",
             "description": a.description}
            for a in profile.activities
        ],
    }  # fmt: skip


async def edit_form(request: Request) -> Response:
    slug = request.path_params["slug"]
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        try:
            if not SLUG.match(slug):
                raise DomainError(Kind.NOT_FOUND, "organisation_not_found", "")
            view = await organisations.get(u.session, u.actor, known, slug)
            if not view.may_edit:
                return not_found_page(request, reader)
            profile_now = await organisations.current_profile(u.session, known, slug)
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            raise
    return await _edit_page(request, reader, known, slug, _form_values(profile_now))


def _parse(form: Form) -> tuple[dict[str, object], dict[str, object], dict[str, str]]:
    """What the form shows again, what the schema checks, and errors found on the way."""
    shown: dict[str, object] = {name: form.get(name) for name in EDIT_FIELDS}
    shown["topics"] = form.getlist("topics")
    checked: dict[str, object] = dict(shown)
    for name in ("website", "email", "phone"):
        checked[name] = form.get(name).strip() or None
    checked["languages"] = [x.lower() for x in _LIST_SPLIT.split(form.get("languages")) if x]
    errors = {}
    for name in UNCAC_FIELDS:  # checkboxes: the schema and the core check the numbers
        chosen = form.getlist(name)
        shown[name] = chosen
        if all(c.isascii() and c.isdigit() and len(c) < 4 for c in chosen):
            checked[name] = [int(c) for c in chosen]
        else:
            errors[name] = name
    # One row per activity; a row whose title is emptied is removed.
    rows = [
        {"title": t, "started_on": s, "ended_on": e, "description": d}
        for t, s, e, d in zip(form.getlist("activity_title"), form.getlist("activity_started_on"),
                              form.getlist("activity_ended_on"),
                              form.getlist("activity_description"), strict=False)
    ]  # fmt: skip
    shown["activities"] = [r for r in rows if r["title"].strip()]
    checked["activities"] = [
        {**r, "ended_on": r["ended_on"] or None} for r in rows if r["title"].strip()
    ]
    return shown, checked, errors


async def edit(request: Request) -> Response:
    slug = request.path_params["slug"]
    form = await forms.read_form(request)
    shown, checked, errors = _parse(form)
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        if not SLUG.match(slug):
            return not_found_page(request, reader)
        try:
            if errors:
                raise DomainError(Kind.INVALID, next(iter(errors.values())), "", fields=errors)
            data = forms.check(schemas.OrganisationFields, checked)
            await organisations.update_profile(u.session, u.actor, known, slug, data.changes())
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            explained = messages.for_form(failure, reader.gettext)
            return await _edit_page(request, reader, known, slug, shown, explained, 422)
    return forms.redirect(f"/organisations/{slug}?saved=profile")


ROUTES = [
    Route("/organisations", directory, methods=["GET"]),
    Route("/organisations/{slug}", profile, methods=["GET"]),
    Route("/organisations/{slug}/edit", edit_form, methods=["GET"]),
    Route("/organisations/{slug}/edit", edit, methods=["POST"]),
    Route("/organisations/{slug}/affiliation", affiliation, methods=["POST"]),
    Route("/organisations/{slug}/members", name_member, methods=["POST"]),
]
