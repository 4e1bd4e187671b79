"""Rows: notifications and following (`forum.notifications`, `forum.follows`,
`forum.saved_searches`, `forum.profiles`, `forum.mail.unsubscribe`). A notification is
shown, counted and opened only while its reader may read what it is about: a mention
in a members-only thread, or a new experience in a members-only region (to those who
watch its organisation or a saved search it matches), reaches its readers only, and a
post hidden after it notified leaves every reader's list, page and count but the
staff's (who read hidden posts).
The member's own channel (`user:<id>`) replays that something was written, never what.
What one follows is named only while one may read it; a profile lists no posts and only
the organisations the reader may read; an unsubscribe page names nobody.

The notifications are the served app's: its notifier fans out the cell's post, and the
cell waits for it (the reader's older notifications are marked read, so its count is
the cell's).
"""

from __future__ import annotations

import asyncio

import orjson

from forum import catalog, experiences, organisations
from forum.events import Cursor
from forum.experiences import Story
from forum.mail import unsubscribe
from forum.organisation_fields import Profile
from tests.web.matrix.harness import (
    ADMIN,
    ANONYMOUS,
    CHANNEL_FORBIDDEN,
    CREATED,
    LOGIN,
    MEMBERS,
    ROLES,
    SECRET,
    STAFF,
    TO_LOGIN,
    UNSEEN,
    Answer,
    Make,
    Outcome,
    Row,
    Target,
    World,
    answer,
    api,
    canary_word,
    no_target,
    nothing_to_the_refused,
    page,
    readers,
    replay,
    shown_to,
    sql,
    thread_target,
)

NOBODY = readers(UNSEEN, UNSEEN)


async def _handle(world: World, user_id: int) -> str:
    return (await sql(world, "SELECT handle FROM users WHERE id = :u", u=user_id)).handle


async def _fanned_out(world: World) -> None:
    """Until the served app's notifier has passed everything written so far. Not
    `events.head`: that is the newest event behind every open transaction (any of the
    served app's), which may be older than the cell's own."""
    written = await sql(
        world, "SELECT xid::text::bigint AS xid, id FROM events ORDER BY xid DESC, id DESC LIMIT 1"
    )
    for _ in range(600):
        found = await sql(world, "SELECT position FROM search_cursors WHERE name = 'notifier'")
        if found is not None and Cursor.parse(found.position) >= Cursor(written.xid, written.id):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the served app's notifier did not catch up")


def mentioned_target(*, region: str = "africa", hidden: bool = False) -> Make:
    """A thread whose opening post (by a member who is none of the roles) mentions the
    cell's reader, its title and words the canary; hidden once it has notified if
    `hidden`. The path is the reader's id (a visitor's: the author's)."""

    async def make(world: World, role: str) -> Target:
        canary = canary_word("dugong")
        reader = world.users[role]
        author = await world.make.user()
        named = f" @{await _handle(world, reader['id'])}" if reader else ""
        made = await world.make.thread(
            author, region=region, title=f"Minutes {canary}", body=f"The {canary} word.{named}"
        )
        tid, pid = made["thread"]["id"], made["post"]["id"]
        await _fanned_out(world)
        if hidden:
            await sql(world, "UPDATE posts SET hidden = true WHERE id = :p", p=pid, posts=(pid,))
        await _only_unread(world, reader, f"post:{pid}")
        path = str(reader["id"] if reader else author["id"])
        return Target(path, canary, [("threads", tid), ("posts", pid)])

    return make


async def _only_unread(world: World, reader: dict | None, subject: str) -> None:
    """The reader's other notifications marked read, so their count is the cell's."""
    if reader:
        await sql(
            world,
            "UPDATE notifications SET read_at = now() "
            "WHERE user_id = :u AND read_at IS NULL AND subject <> :s",
            u=reader["id"],
            s=subject,
        )


ORGANISATION, SAVED_SEARCH = "organisation", "saved search"


def experience_target(*, watched: str) -> Make:
    """A new experience of an organisation in the members-only region, by one of its
    members (none of the roles), its title and context the canary; the cell's reader
    watches the organisation (`watched=ORGANISATION`) or a saved search of experiences
    for the canary (`SAVED_SEARCH`). The path is the reader's id (a visitor's: the
    writer's)."""

    async def make(world: World, role: str) -> Target:
        canary = canary_word("narwhal")
        reader, writer = world.users[role], await world.make.user()
        await _members_only_organisation(world, canary, writer)
        if reader and watched == ORGANISATION:
            await _watch(world, reader["id"], f"organisation:{canary}")
        elif reader:
            await _saved_search(world, reader["id"], canary, kind="experience")
        story = Story(title=f"Checkpoints {canary}", context=f"The {canary} toll.")
        async with world.db.transaction() as s:
            made = await experiences.create(
                s, writer["actor"], await catalog.load(s), canary, story
            )
        await _fanned_out(world)
        await _only_unread(world, reader, f"experience:{made.id}")
        path = str(reader["id"] if reader else writer["id"])
        return Target(path, canary, [("experiences", made.id)])

    return make


async def _count(world: World, role: str, target: Target) -> Answer:
    """The header's count as the API gives it: the canary stands for "counted"."""
    r = await world.clients[role].get("/api/v1/notifications/count")
    if r.status_code != 200:
        return await answer(r)
    return Answer(200, None, target.canary if r.json()["unread"] else "")


def followed_thread(*, region: str = "africa", hidden: bool = False) -> Make:
    """A thread the cell's reader followed (as if before it moved or was hidden), its
    title the canary."""

    async def make(world: World, role: str) -> Target:
        canary = canary_word("tapir")
        made = await world.make.thread(region=region, title=f"Budget {canary}", body="Lines.")
        tid = made["thread"]["id"]
        await sql(world, "UPDATE threads SET hidden = :h WHERE id = :t", h=hidden, t=tid)
        reader = world.users[role]
        if reader:
            await _watch(world, reader["id"], f"thread:{tid}")
        return Target(str(tid), canary, [("threads", tid)])

    return make


async def _watch(world: World, user_id: int, target: str) -> None:
    await sql(
        world,
        "INSERT INTO follows (user_id, target, level) VALUES (:u, :t, 'watching')",
        u=user_id,
        t=target,
    )


async def _members_only_country(world: World) -> str:
    """Greenland, in the members-only region, once the served app knows it."""
    await sql(
        world,
        "INSERT INTO countries (code, name, region_id) SELECT 'GL', 'Greenland', id "
        "FROM regions WHERE slug = 'staff-room' ON CONFLICT DO NOTHING",
    )
    for _ in range(200):
        if (await world.clients[ADMIN].get("/api/v1/countries/GL/reviews")).status_code == 200:
            break
        await asyncio.sleep(0.05)
    return "GL"


async def _members_only_organisation(world: World, slug: str, member: dict) -> None:
    """An organisation in the members-only region, its slug `slug` (and in its name),
    with `member` showing their tie to it."""
    country = await _members_only_country(world)
    async with world.db.transaction() as s:
        known = await catalog.load(s)
        profile = Profile(name=f"Watch {slug}", country=country, kind="ngo")
        await organisations.create(s, world.users[ADMIN]["actor"], known, slug, profile)
    await sql(
        world,
        "INSERT INTO affiliations (user_id, organisation_id, role, shown) "
        "SELECT :u, id, 'member', true FROM organisations WHERE slug = :o",
        u=member["id"],
        o=slug,
    )


async def members_only_organisation(world: World, role: str) -> Target:
    """A member showing their tie to an organisation in the members-only region, its
    name the canary; the path is the member's handle."""
    canary = canary_word("okapi")
    member = await world.make.user()
    await _members_only_organisation(world, canary, member)
    return Target(await _handle(world, member["id"]), canary, [("users", member["id"])])


async def author_of_members_only_post(world: World, role: str) -> Target:
    """A member who wrote in a members-only thread, its words the canary (a profile lists
    no posts at all)."""
    canary = canary_word("quoll")
    member = await world.make.user()
    made = await world.make.thread(member, region="staff-room", title=canary, body=canary)
    return Target(await _handle(world, member["id"]), canary, [("threads", made["thread"]["id"])])


async def anothers_saved_search(world: World, role: str) -> Target:
    """A saved search of a member who is none of the roles, its name the canary."""
    canary = canary_word("gecko")
    member = await world.make.user()
    saved = await _saved_search(world, member["id"], "tender", name=f"Tenders {canary}")
    return Target(str(saved), canary, [("saved_searches", saved)])


async def _saved_search(
    world: World, user_id: int, word: str, *, name: str = "Watch", kind: str | None = None
) -> int:
    """A saved search for one `word` (of one `kind` only, if given), watched by its owner."""
    row = await sql(
        world,
        "INSERT INTO saved_searches (user_id, name, query, words, filters) "
        "VALUES (:u, :n, :q, :w, CAST(:f AS jsonb)) RETURNING id",
        u=user_id,
        n=name,
        q=word,
        w=f"'{word}'",
        f=orjson.dumps({"kind": kind} if kind else {}).decode(),
    )
    await _watch(world, user_id, f"search:{row.id}")
    return row.id


async def unsubscribe_link(world: World, role: str) -> Target:
    """The unsubscribe token of a member whose name and address carry the canary."""
    canary = canary_word("civet")
    member = await world.make.user(display_name=f"Ama {canary}", email=f"{canary}@example.org")
    return Target(unsubscribe.token(SECRET, member["id"]), canary, [("users", member["id"])])


def _notice_paths(name: str, make: Make, who: tuple[str, ...]) -> list[Row]:
    """A notification's every path: the API's list, the page, the count, the replay of
    the reader's own channel (which never carries what it is about)."""
    return [
        Row(f"notifications, {name}", make, api("GET", "/notifications"),
            {**shown_to(*who), ANONYMOUS: Outcome(401, "login_required", sees=False)}),
        Row(f"page: notifications, {name}", make, page("GET", "/notifications"),
            {**shown_to(*who), ANONYMOUS: Outcome(303, sees=False)}),
        Row(f"notification count, {name}", make, _count,
            {**shown_to(*who), ANONYMOUS: Outcome(401, "login_required", sees=False)}),
        Row(f"replay own channel, {name}", make, replay("user:{}"),
            {**NOBODY, ANONYMOUS: CHANNEL_FORBIDDEN}),
    ]  # fmt: skip


SAVE_IN_MEMBERS_REGION = {"name": "Room", "q": "budget", "region": "staff-room"}
# Saving a search is any signed-in reader's; a region filter is one they may read (one
# they may not is as unknown as one that does not exist).
SAVERS = {**readers(CREATED, Outcome(422, "unknown_region"), *MEMBERS), ANONYMOUS: LOGIN}

ROWS = [
    *_notice_paths("members-only thread", mentioned_target(region="staff-room"), MEMBERS),
    *_notice_paths("hidden post", mentioned_target(hidden=True), STAFF),
    *_notice_paths("members-only experience, its organisation watched",
                   experience_target(watched=ORGANISATION), MEMBERS),
    *_notice_paths("members-only experience, a saved search",
                   experience_target(watched=SAVED_SEARCH), MEMBERS),
    # What one follows: named only while one may read it.
    Row("page: following, members-only thread", followed_thread(region="staff-room"),
        page("GET", "/following"), {**shown_to(*MEMBERS), ANONYMOUS: TO_LOGIN}),
    Row("page: following, hidden thread", followed_thread(hidden=True),
        page("GET", "/following"), {**shown_to(*STAFF), ANONYMOUS: TO_LOGIN}),
    # Saved searches: one's own only; a filter only by a region one reads.
    Row("page: following, another's saved search", anothers_saved_search,
        page("GET", "/following"), nothing_to_the_refused({**NOBODY, ANONYMOUS: TO_LOGIN})),
    Row("saved searches, another's", anothers_saved_search, api("GET", "/me/saved-searches"),
        {**NOBODY, ANONYMOUS: Outcome(401, "login_required", sees=False)}),
    Row("saved search delete, another's", anothers_saved_search,
        api("DELETE", "/saved-searches/{}"),
        {**readers(Outcome(404, "saved_search_not_found"),
                   Outcome(404, "saved_search_not_found")),
         ANONYMOUS: LOGIN}),
    Row("saved search, members-only region", no_target,
        api("POST", "/saved-searches", lambda t: SAVE_IN_MEMBERS_REGION), SAVERS),
    Row("follow, members-only thread", thread_target(region="staff-room"),
        api("PUT", "/follows/thread:{}", lambda t: {"level": "watching"}),
        {**readers(Outcome(404, "thread_not_found"), Outcome(404, "thread_not_found")),
         **dict.fromkeys(MEMBERS, Outcome(200)), ANONYMOUS: LOGIN}),
    # A member's profile: no posts, whoever reads it; organisations where they are read.
    Row("page: member profile, members-only post", author_of_members_only_post,
        page("GET", "/members/{}"), NOBODY),
    Row("page: member profile, members-only organisation", members_only_organisation,
        page("GET", "/members/{}"), shown_to(*MEMBERS)),
    # An unsubscribe link works for whoever holds it, and names nobody.
    Row("page: unsubscribe", unsubscribe_link, page("GET", "/unsubscribe/{}"), NOBODY),
]  # fmt: skip

assert {role for row in ROWS for role in row.expected} == set(ROLES)
