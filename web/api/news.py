"""/news: articles about anti-corruption CSOs; members propose, editors publish."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request

from forum import news
from forum.news import Article
from web import schemas
from web.inputs import page_limit, path_id, query_text, read_json
from web.responses import JSON
from web.unit import unit


async def list_news(request: Request) -> JSON:
    async with unit(request) as u:
        found, cursor = await news.list_news(
            u.session,
            u.actor,
            await u.catalog(),
            region=query_text(request, "region", 64),
            country=query_text(request, "country", 2),
            status=query_text(request, "status", 16),
            cursor=query_text(request, "cursor"),
            limit=page_limit(request, 50),
        )
    return JSON({"news": [dataclasses.asdict(n) for n in found], "next_cursor": cursor})


async def get_news(request: Request) -> JSON:
    news_id = path_id(request, "news_id", "news")
    async with unit(request) as u:
        view = await news.get(u.session, u.actor, await u.catalog(), news_id)
    return JSON(dataclasses.asdict(view))


async def create_news(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.NewsCreate)
    async with unit(request) as u:
        view = await news.create(u.session, u.actor, await u.catalog(), Article(**data.changes()))
    return JSON(dataclasses.asdict(view), status_code=201)


async def edit_news(request: Request) -> JSON:
    news_id = path_id(request, "news_id", "news")
    data, _ = await read_json(request, schemas.NewsFields)
    async with unit(request) as u:
        view = await news.update_article(
            u.session, u.actor, await u.catalog(), news_id, data.changes()
        )
    return JSON(dataclasses.asdict(view))


async def approve(request: Request) -> JSON:
    news_id = path_id(request, "news_id", "news")
    async with unit(request) as u:
        view = await news.approve(u.session, u.actor, await u.catalog(), news_id)
    return JSON(dataclasses.asdict(view))


async def decline(request: Request) -> JSON:
    news_id = path_id(request, "news_id", "news")
    async with unit(request) as u:
        await news.decline(u.session, u.actor, await u.catalog(), news_id)
    return JSON({"declined": True})
