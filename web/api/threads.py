"""Threads and posts."""

from __future__ import annotations

from starlette.requests import Request

from forum import posts, reading, splitting, threads
from forum.errors import DomainError, Kind
from forum.limits import Rule
from web import schemas
from web.inputs import page_limit, path_id, query_text, read_json
from web.responses import JSON
from web.unit import Unit, reader_actor, unit, write


async def list_threads(request: Request) -> JSON:
    async with unit(request) as u:
        return JSON(
            await threads.list_threads(
                u.session,
                u.actor,
                await u.catalog(),
                region=query_text(request, "region", 64),
                topic=query_text(request, "topic", 64),
                country=query_text(request, "country", 2),
                cursor=query_text(request, "cursor"),
                limit=page_limit(request),
            )
        )


async def create_thread(request: Request) -> JSON:
    data, raw = await read_json(request, schemas.ThreadCreate)

    async def action(u: Unit) -> dict:
        return await threads.create_thread(
            u.session,
            u.actor,
            await u.catalog(),
            region=data.region,
            topic=data.topic,
            title=data.title,
            body=data.body,
            countries=data.countries,
            language=data.language,
        )

    return await write(request, raw, action, limit=Rule.POST)


async def get_thread(request: Request) -> JSON:
    thread_id = path_id(request, "thread_id", "thread")
    cursor, limit = query_text(request, "cursor"), page_limit(request)
    actor = await reader_actor(request)
    try:
        async with request.app.state.db.reader() as reader:
            page = await threads.get_thread(reader, actor, thread_id, cursor=cursor, limit=limit)
    except DomainError as exc:
        if exc.kind is not Kind.NOT_FOUND:
            raise
        async with request.app.state.db.transaction() as session:
            into = await splitting.merged_into(session, actor, thread_id)
        raise exc if into is None else splitting.merged(into) from None
    return JSON(page)


async def mark_read(request: Request) -> JSON:
    thread_id = path_id(request, "thread_id", "thread")
    data, _ = await read_json(request, schemas.ReadUpTo)
    async with unit(request) as u:
        mark = await reading.record(u.session, u.actor, thread_id, data.position)
    return JSON({"thread_id": thread_id, "position": mark.position})


async def create_post(request: Request) -> JSON:
    thread_id = path_id(request, "thread_id", "thread")
    data, raw = await read_json(request, schemas.PostCreate)

    async def action(u: Unit) -> dict:
        return await posts.reply(
            u.session,
            u.actor,
            thread_id,
            body=data.body,
            language=data.language,
            reply_to=data.reply_to,
        )

    return await write(request, raw, action, limit=Rule.POST)


async def edit_post(request: Request) -> JSON:
    post_id = path_id(request, "post_id", "post")
    data, _ = await read_json(request, schemas.PostEdit)
    async with unit(request, Rule.EDIT) as u:
        return JSON(
            await posts.edit(u.session, u.actor, post_id, body=data.body, language=data.language)
        )


async def delete_post(request: Request) -> JSON:
    post_id = path_id(request, "post_id", "post")
    async with unit(request) as u:
        return JSON(await posts.delete(u.session, u.actor, post_id))


async def preview(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.PreviewRequest)
    # The transaction only checks the login and counts the hit; rendering comes after it.
    async with unit(request, Rule.PREVIEW) as u:
        actor = u.actor
    return JSON({"html": await posts.preview(actor, data.body)})
