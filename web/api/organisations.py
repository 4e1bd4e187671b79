"""/organisations: the directory, profiles, and members' affiliations."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request

from forum import affiliations, organisations
from forum.errors import not_found
from forum.organisation_fields import SLUG, Profile
from web import schemas
from web.inputs import page_limit, path_id, query_text, read_json
from web.responses import JSON
from web.unit import unit


def _slug(request: Request) -> str:
    slug = request.path_params["slug"]
    if not SLUG.match(slug):
        raise not_found("organisation")
    return slug


def _plain(value: Any) -> Any:
    return dataclasses.asdict(value) if value is not None else None


async def list_organisations(request: Request) -> JSON:
    async with unit(request) as u:
        found, cursor = await organisations.list_organisations(
            u.session,
            u.actor,
            await u.catalog(),
            region=query_text(request, "region", 64),
            country=query_text(request, "country", 2),
            cursor=query_text(request, "cursor"),
            limit=page_limit(request, 50),
        )
    return JSON({"organisations": [_plain(o) for o in found], "next_cursor": cursor})


async def get_organisation(request: Request) -> JSON:
    slug = _slug(request)
    async with unit(request) as u:
        view = await organisations.get(u.session, u.actor, await u.catalog(), slug)
    return JSON(_plain(view))


async def create_organisation(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.OrganisationCreate)
    fields = data.changes()
    async with unit(request) as u:
        view = await organisations.create(
            u.session, u.actor, await u.catalog(), data.slug, Profile(**fields),
            verified=bool(data.verified),
        )  # fmt: skip
    return JSON(_plain(view), status_code=201)


async def edit_organisation(request: Request) -> JSON:
    slug = _slug(request)
    data, _ = await read_json(request, schemas.OrganisationFields)
    async with unit(request) as u:
        view, _ = await organisations.update_profile(
            u.session, u.actor, await u.catalog(), slug, data.changes(), verified=data.verified
        )
    return JSON(_plain(view))


async def affiliate(request: Request) -> JSON:
    slug = _slug(request)
    data, _ = await read_json(request, schemas.AffiliationIn)
    async with unit(request) as u:
        member = await affiliations.affiliate(
            u.session, u.actor, await u.catalog(), slug,
            user_id=data.user_id or u.actor.user_id or 0, role=data.role, shown=data.shown,
        )  # fmt: skip
    return JSON({"member": _plain(member)})


async def show_affiliation(request: Request) -> JSON:
    slug = _slug(request)
    data, _ = await read_json(request, schemas.AffiliationShow)
    async with unit(request) as u:
        member = await affiliations.show(u.session, u.actor, await u.catalog(), slug, data.shown)
    return JSON({"member": _plain(member)})


async def end_affiliation(request: Request) -> JSON:
    slug = _slug(request)
    user_id = path_id(request, "user_id", "affiliation")
    async with unit(request) as u:
        await affiliations.end(u.session, u.actor, await u.catalog(), slug, user_id)
    return JSON({"ended": True})
