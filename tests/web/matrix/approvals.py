"""Rows: the approval queue (`forum.approvals`) and the regions' settings. A new member's
post in a region that approves them is held: the region's moderators and admins read the
queue and approve (edited or not) or reject it; admins change whether a region holds
posts. A held post's text is the canary on every read path: those who decide it read it
as a hidden post (the queue, the thread; a moderator of another region does not), nobody
finds it elsewhere (search, the replay of its thread's channel), and a held new thread
does not exist for anyone else.
"""

from __future__ import annotations

from forum import posts
from tests.web.matrix.harness import (
    ADMIN,
    ANONYMOUS,
    CHANNEL_MISSING,
    CREATED,
    HERE,
    OK,
    SEEN,
    TO_LOGIN,
    Call,
    Make,
    Outcome,
    Row,
    Target,
    World,
    admins,
    api,
    canary_word,
    fresh_thread,
    in_the_region,
    listen,
    moderators_of_the_region,
    on_page,
    page,
    page_in_the_region,
    post_target,
    readers,
    replay,
    search,
    shown_to,
    sql,
    thread_of_post,
    with_reason,
)

QUEUE = "/regions/africa/approvals"


async def _holding(world: World, on: bool) -> None:
    await sql(world, "UPDATE regions SET approve_new_members = :on WHERE slug = 'africa'", on=on)


def held_target(*, new_thread: bool = False, alone: bool = False, edited: bool = False) -> Make:
    """A new member's reply held in a fresh thread of Africa (or `new_thread`: their
    thread, held with its first post), its text the canary; Africa holds posts only
    while it is written. `alone`: the only one held (earlier ones are deleted, so one
    page of the queue holds it). The target is the post; the thread is its first row."""

    async def make(world: World, role: str) -> Target:
        if alone:
            await sql(world, "UPDATE posts SET deleted_at = now() WHERE pending")
        canary = canary_word("lynx")
        if not new_thread:
            tid, first, _ = await fresh_thread(world)
        await _holding(world, True)
        try:
            if new_thread:
                made = await world.make.thread(title=canary, body=f"The {canary} word.")
                tid, pid = made["thread"]["id"], made["post"]["id"]
                first = pid
            else:
                author = await world.make.user()
                pid = (await world.make.reply(tid, author, body=f"The {canary} word."))["id"]
        finally:
            await _holding(world, False)
        if edited:  # by its author, while it waits
            async with world.db.transaction() as s:
                await posts.edit(s, author["actor"], pid, body=f"The {canary} word, edited.")
        held = await sql(world, "SELECT pending FROM posts WHERE id = :p", p=pid)
        assert held.pending, "the post is held"
        return Target(str(pid), canary, [("threads", tid), ("posts", first), ("posts", pid)])

    return make


def marked_held(make: Make) -> Make:
    """`make`'s target, its canary the mark a held post's view carries: what tells a
    reader such a post exists, text or not."""

    async def marked(world: World, role: str) -> Target:
        target = await make(world, role)
        return Target(target.path, '"pending":true', target.rows)

    return marked


async def africa_target(world: World, role: str) -> Target:
    found = await sql(world, "SELECT id FROM regions WHERE slug = 'africa'")
    return Target("africa", rows=[("regions", found.id)])


def decide(verb: str, body: dict[str, str] | None = None) -> Call:
    return api("POST", f"/posts/{{}}/{verb}", None if body is None else (lambda t: body))


SETTINGS = {"approve_new_members": False}  # as it is: the change is refused or a no-op
THREAD_NOT_FOUND = Outcome(404, "thread_not_found", sees=False)
# A held post: to its author and the moderators of its region (and admins), unlike a
# hidden one (all the staff).
HELD_READERS = (HERE, ADMIN)

ROWS = [
    Row(
        "approval queue", held_target(alone=True), api("GET", QUEUE + "?limit=100"), in_the_region()
    ),
    Row("page: approval queue", held_target(alone=True), page("GET", QUEUE), page_in_the_region()),
    Row("post approve", held_target(), decide("approve"), moderators_of_the_region()),
    Row(
        "post approve, edited",
        held_target(),
        decide("approve", {"body": "Edited before approval"}),
        moderators_of_the_region(),
    ),
    Row(
        "post approve, a new thread retitled",
        held_target(new_thread=True),
        decide("approve", {"title": "Retitled before approval"}),
        moderators_of_the_region(),
    ),
    Row(
        "post approve, not held",
        post_target(),
        decide("approve"),
        moderators_of_the_region(Outcome(409, "not_pending")),
    ),
    Row(
        "post reject",
        held_target(),
        api("POST", "/posts/{}/reject", with_reason),
        moderators_of_the_region(),
    ),
    Row(
        "page: post approve",
        held_target(),
        page("POST", QUEUE + "/{}/approve"),
        on_page(moderators_of_the_region()),
    ),
    Row(
        "page: post reject",
        held_target(),
        page("POST", QUEUE + "/{}/reject", {"reason": "Matrix"}),
        on_page(moderators_of_the_region()),
    ),
    # Other moderation waits for the decision.
    Row(
        "post hide, held post",
        held_target(),
        api("POST", "/posts/{}/hide", with_reason),
        moderators_of_the_region(Outcome(409, "post_pending")),
    ),
    # A held post's text: to those who decide it where they read hidden posts, to nobody
    # elsewhere; its events (an edit while it waits) go to its region's queue
    # (`mod:<slug>`), not its thread's channels, where every region's moderators are.
    Row(
        "thread read, held post",
        thread_of_post(held_target()),
        api("GET", "/threads/{}"),
        shown_to(*HELD_READERS),
    ),
    Row(
        "page: thread, held post",
        thread_of_post(held_target()),
        page("GET", "/threads/{}"),
        shown_to(*HELD_READERS),
    ),
    Row("search, held post", held_target(), search(), shown_to()),
    Row("replay thread, held post", thread_of_post(held_target()), replay("thread:{}"), shown_to()),
    Row(
        "replay thread, held post edited",
        marked_held(thread_of_post(held_target(edited=True))),
        replay("thread:{}"),
        shown_to(),
    ),
    Row(
        "thread read, held thread",
        thread_of_post(held_target(new_thread=True)),
        api("GET", "/threads/{}"),
        shown_to(*HELD_READERS, refused=THREAD_NOT_FOUND),
    ),
    Row(
        "thread list, held thread",
        held_target(new_thread=True),
        api("GET", "/threads?region=africa&limit=50"),
        shown_to(*HELD_READERS),
    ),
    Row(
        "page: region, held thread",
        held_target(new_thread=True),
        page("GET", "/regions/africa"),
        shown_to(*HELD_READERS),
    ),
    Row("search, held thread", held_target(new_thread=True), search(), shown_to()),
    Row(
        "listen, held thread",
        thread_of_post(held_target(new_thread=True)),
        listen("thread:{}"),
        readers(OK, CHANNEL_MISSING, *HELD_READERS),
    ),
    # Nor through the other paths to a post: its revisions, reporting it.
    Row(
        "revisions read, held post",
        held_target(),
        api("GET", "/posts/{}/revisions"),
        readers(SEEN, Outcome(404, "post_not_found", sees=False), *HELD_READERS),
    ),
    Row(
        "flag report, held post",
        held_target(),
        api("POST", "/posts/{}/flags", lambda t: {"reason": "spam"}),
        readers(CREATED, Outcome(404, "post_not_found"), *HELD_READERS),
    ),
    # The regions' settings: admins.
    Row(
        "region settings", africa_target, api("PATCH", "/regions/{}", lambda t: SETTINGS), admins()
    ),
    Row(
        "region settings read",
        africa_target,
        api("GET", "/regions/settings"),
        admins(),
    ),
    Row(
        "page: admin regions",
        africa_target,
        page("GET", "/admin/regions"),
        {**readers(Outcome(403), Outcome(403)), ANONYMOUS: TO_LOGIN, ADMIN: OK},
    ),
    Row(
        "page: admin region change",
        africa_target,
        page("POST", "/admin/regions/{}", {"description": "Africa, as the matrix says"}),
        on_page(admins()),
    ),
]
