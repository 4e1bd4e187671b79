"""With the PostgreSQL backend, search documents are never behind the posts: a post's
document is written in the post's own transaction (`forum.posts` calls
`forum.documents.refresh` before it commits), so no snapshot holds a post without its
document, and a post is findable the moment its 201 is answered."""

from __future__ import annotations

import asyncio

import asyncpg

from forum.db import driver_dsn

WRITERS, REPLIES = 3, 10


async def test_no_snapshot_holds_a_post_without_its_document(make, database_url):
    thread = (await make.thread(title="In step", body="Opening post"))["thread"]["id"]
    clients = [await make.logged_in(await make.user()) for _ in range(WRITERS)]
    writing = True
    behind: list[int] = []
    checks = 0

    async def watch() -> None:
        nonlocal checks
        conn = await asyncpg.connect(driver_dsn(database_url))
        try:
            while writing:
                # One statement, one snapshot: visible posts of the thread with no document.
                missing = await conn.fetchval(
                    "SELECT count(*) FROM posts p WHERE p.thread_id = $1 AND NOT p.hidden "
                    "AND p.deleted_at IS NULL AND NOT EXISTS "
                    "(SELECT 1 FROM search_documents d WHERE d.post_id = p.id)",
                    thread,
                )
                behind.append(missing)
                checks += 1
                await asyncio.sleep(0)
        finally:
            await conn.close()

    async def write(n: int) -> None:
        for i in range(REPLIES):
            word = f"instep{n}x{i}"
            r = await clients[n].post(f"/api/v1/threads/{thread}/posts", json={"body": word})
            assert r.status_code == 201, r.text
            # Found at once, by the next request: no indexer stands between.
            found = await clients[n].get("/api/v1/search", params={"q": word})
            assert r.json()["id"] in [h["post_id"] for h in found.json()["hits"]], found.text

    watching = asyncio.create_task(watch())
    try:
        await asyncio.gather(*(write(n) for n in range(WRITERS)))
    finally:
        writing = False
        await watching
    assert checks > WRITERS * REPLIES / 2  # it looked while they wrote
    assert set(behind) == {0}
