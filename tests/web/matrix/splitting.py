"""Rows: splitting a thread and merging threads (`forum.splitting`), moderators of every
region involved and admins. Posts split into a members-only region take their text
there (the canary: to members and the staff on every path, gone from the thread they
left); a merged thread's address leads to the thread its posts are in, for readers who
may read that one, and to anyone else it is only missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.web.matrix.harness import (
    ADMIN,
    CHANNEL_MISSING,
    CREATED,
    ELSEWHERE,
    HERE,
    MEMBERS,
    NOT_YOUR_REGION,
    OK,
    STAFF,
    UNSEEN,
    Make,
    Outcome,
    Row,
    Target,
    World,
    api,
    canary_word,
    fresh_thread,
    listen,
    moderators_of_the_region,
    on_page,
    page,
    page_in_the_region,
    readers,
    replay,
    search,
    shown_to,
    sql,
)


def thread_with_reply(*, region: str = "africa", pending: bool = False) -> Make:
    """A fresh thread and a reply with the canary (rows: the thread, its first post, the
    reply): a split at the reply, a merge of the thread."""

    async def make(world: World, role: str) -> Target:
        tid, first, _ = await fresh_thread(world, region=region)
        canary = canary_word("tapir")
        pid = (await world.make.reply(tid, body=f"The {canary} word."))["id"]
        if pending:  # as a new member's thread held whole would be
            await sql(world, "UPDATE threads SET pending = true, hidden = true WHERE id = :t",
                      t=tid)  # fmt: skip
        return Target(str(tid), canary, [("threads", tid), ("posts", first), ("posts", pid)])

    return make


def split_body(**more: str) -> Callable[[Target], dict[str, Any]]:
    return lambda t: {"post_id": t.rows[2][1], "title": "Split off", "reason": "Matrix", **more}


def merge_pair(*, into_region: str = "africa") -> Make:
    """Two fresh threads: the target, to merge into the other (of `into_region`)."""
    make_source = thread_with_reply()

    async def make(world: World, role: str) -> Target:
        source = await make_source(world, role)
        into, into_first, _ = await fresh_thread(world, region=into_region)
        return Target(source.path, source.canary,
                      [*source.rows, ("threads", into), ("posts", into_first)])  # fmt: skip

    return make


def merge_body(target: Target) -> dict[str, object]:
    return {"into": target.rows[3][1], "reason": "Matrix"}


async def _split_by_an_admin(
    world: World, source: Target, region: str, title: str = "Split off"
) -> int:
    """Split `source` (`thread_with_reply`) at its reply into a thread of `region`."""
    r = await world.clients[ADMIN].post(
        f"/api/v1/threads/{source.path}/split",
        json={"post_id": source.rows[2][1], "title": title, "region": region},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def split_by_an_admin(*, region: str) -> Make:
    """The thread an admin split a fresh thread's reply (the canary) off into, in
    `region`."""
    make_thread = thread_with_reply()

    async def make(world: World, role: str) -> Target:
        source = await make_thread(world, role)
        new = await _split_by_an_admin(world, source, region)
        return Target(str(new), source.canary, [("threads", new)])

    return make


def the_thread_left(*, shows: str = "reply") -> Make:
    """The thread a split into a members-only region took the canary from (`shows`
    "reply"), or the new thread's title ("title")."""
    make_thread = thread_with_reply()

    async def make(world: World, role: str) -> Target:
        source = await make_thread(world, role)
        title = canary_word("title")
        await _split_by_an_admin(world, source, "staff-room", title)
        return source if shows == "reply" else Target(source.path, title, source.rows)

    return make


def merged_by_an_admin(*, into_region: str, shows: str, hidden: bool = False) -> Make:
    """A thread an admin merged into a thread of `into_region` (`hidden` since); its
    canary where it leads: the API's `merged_into` (`shows="api"`) or the page's
    redirect ("page")."""
    make_pair = merge_pair(into_region=into_region)

    async def make(world: World, role: str) -> Target:
        pair = await make_pair(world, role)
        into = pair.rows[3][1]
        r = await world.clients[ADMIN].post(
            f"/api/v1/threads/{pair.path}/merge", json={"into": into}
        )
        assert r.status_code == 200, r.text
        if hidden:
            await sql(world, "UPDATE threads SET hidden = true WHERE id = :t", t=into)
        canary = f'"merged_into":"{into}"' if shows == "api" else f"/threads/{into}"
        return Target(pair.path, canary, [("threads", into)])

    return make


SPLIT, MERGE = "/threads/{}/split", "/threads/{}/merge"
MERGED = Outcome(404, "thread_merged", sees=True)  # and where its posts are
LEADS = Outcome(301, sees=True)  # there
# Both regions' moderators: one of only one of them may not.
ONLY_ADMINS_HERE = {HERE: NOT_YOUR_REGION, ELSEWHERE: NOT_YOUR_REGION}


ROWS = [
    Row(
        "thread split",
        thread_with_reply(),
        api("POST", SPLIT, split_body()),
        moderators_of_the_region(CREATED),
    ),
    Row(
        "thread split, into another region",
        thread_with_reply(),
        api("POST", SPLIT, split_body(region="south-east-asia")),
        {**moderators_of_the_region(CREATED), **ONLY_ADMINS_HERE},
    ),
    Row(
        "thread split, a held thread",
        thread_with_reply(pending=True),
        api("POST", SPLIT, split_body()),
        moderators_of_the_region(Outcome(409, "thread_pending")),
    ),
    Row("thread merge", merge_pair(), api("POST", MERGE, merge_body), moderators_of_the_region()),
    Row(
        "thread merge, into another region",
        merge_pair(into_region="south-east-asia"),
        api("POST", MERGE, merge_body),
        {**moderators_of_the_region(), **ONLY_ADMINS_HERE},
    ),
    Row(
        "page: thread split form",
        thread_with_reply(),
        page("GET", SPLIT),
        page_in_the_region(UNSEEN),
    ),
    Row(
        "page: thread merge form",
        thread_with_reply(),
        page("GET", MERGE),
        page_in_the_region(UNSEEN),
    ),
    Row(
        "page: thread split",
        thread_with_reply(),
        page(
            "POST",
            SPLIT,
            lambda t: {
                "post_id": t.rows[2][1],
                "title": "Split off",
                "region": "",
                "topic": "",
                "reason": "Matrix",
            },
        ),
        on_page(moderators_of_the_region()),
    ),
    Row(
        "page: thread merge",
        merge_pair(),
        page("POST", MERGE, lambda t: {"into": t.rows[3][1], "reason": "Matrix"}),
        on_page(moderators_of_the_region()),
    ),
    # Split into a members-only region: its text goes there, on every path.
    Row(
        "thread read, split into members-only",
        split_by_an_admin(region="staff-room"),
        api("GET", "/threads/{}"),
        shown_to(*MEMBERS, refused=Outcome(404, "thread_not_found", sees=False)),
    ),
    Row(
        "page: thread, split into members-only",
        split_by_an_admin(region="staff-room"),
        page("GET", "/threads/{}"),
        shown_to(*MEMBERS, refused=Outcome(404, sees=False)),
    ),
    Row(
        "search, split into members-only",
        split_by_an_admin(region="staff-room"),
        search(),
        shown_to(*MEMBERS),
    ),
    Row(
        "listen, split into members-only",
        split_by_an_admin(region="staff-room"),
        listen("thread:{}"),
        readers(OK, CHANNEL_MISSING, *MEMBERS),
    ),
    Row(
        "thread read, the thread a split left",
        the_thread_left(),
        api("GET", "/threads/{}"),
        shown_to(),
    ),
    Row(
        "replay, the thread a split left",
        the_thread_left(shows="title"),
        replay("thread:{}"),
        shown_to(*MEMBERS),
    ),
    # A merged thread's address: where its posts are, to those who may read them there.
    Row(
        "thread read, merged",
        merged_by_an_admin(into_region="africa", shows="api"),
        api("GET", "/threads/{}"),
        readers(MERGED, MERGED),
    ),
    Row(
        "thread read, merged into members-only",
        merged_by_an_admin(into_region="staff-room", shows="api"),
        api("GET", "/threads/{}"),
        readers(MERGED, Outcome(404, "thread_not_found", sees=False), *MEMBERS),
    ),
    Row(
        "thread read, merged into a thread hidden since",
        merged_by_an_admin(into_region="africa", shows="api", hidden=True),
        api("GET", "/threads/{}"),
        readers(MERGED, Outcome(404, "thread_not_found", sees=False), *STAFF),
    ),
    Row(
        "page: thread, merged",
        merged_by_an_admin(into_region="africa", shows="page"),
        page("GET", "/threads/{}"),
        readers(LEADS, LEADS),
    ),
    Row(
        "page: thread, merged into members-only",
        merged_by_an_admin(into_region="staff-room", shows="page"),
        page("GET", "/threads/{}"),
        readers(LEADS, Outcome(404, sees=False), *MEMBERS),
    ),
]
