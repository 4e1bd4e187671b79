"""/experiences: CSO case stories, their revisions."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request

from forum import experiences
from forum.experiences import Story
from web import schemas
from web.inputs import page_limit, path_id, query_text, read_json
from web.responses import JSON
from web.unit import unit


async def list_experiences(request: Request) -> JSON:
    async with unit(request) as u:
        found, cursor = await experiences.list_experiences(
            u.session,
            u.actor,
            await u.catalog(),
            organisation=query_text(request, "organisation", 64),
            country=query_text(request, "country", 2),
            topic=query_text(request, "topic", 64),
            cursor=query_text(request, "cursor"),
            limit=page_limit(request, 50),
        )
    return JSON({"experiences": [dataclasses.asdict(e) for e in found], "next_cursor": cursor})


async def get_experience(request: Request) -> JSON:
    experience_id = path_id(request, "experience_id", "experience")
    async with unit(request) as u:
        view = await experiences.get(u.session, u.actor, await u.catalog(), experience_id)
    return JSON(dataclasses.asdict(view))


async def create_experience(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.ExperienceCreate)
    async with unit(request) as u:
        view = await experiences.create(
            u.session, u.actor, await u.catalog(), data.organisation, Story(**data.changes())
        )
    return JSON(dataclasses.asdict(view), status_code=201)


async def edit_experience(request: Request) -> JSON:
    experience_id = path_id(request, "experience_id", "experience")
    data, _ = await read_json(request, schemas.ExperienceFields)
    async with unit(request) as u:
        view, _ = await experiences.update_story(
            u.session, u.actor, await u.catalog(), experience_id, data.changes()
        )
    return JSON(dataclasses.asdict(view))


async def revisions(request: Request) -> JSON:
    experience_id = path_id(request, "experience_id", "experience")
    async with unit(request) as u:
        found = await experiences.revisions(u.session, u.actor, await u.catalog(), experience_id)
    return JSON({"experience_id": experience_id, "revisions": found})
