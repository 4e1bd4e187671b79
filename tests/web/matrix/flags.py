"""Rows: flags (`forum.flags`). Members report posts they may read, not their own, once
while their report is open; a case (who reported, why, the notes) and its region's queue
are the region's moderators' and admins'. A report's text is the canary on every path a
case is read by (the API, its page, the replay of `mod:<slug>`, which carries ids only).
"""

from __future__ import annotations

from forum.reports import raise_flag
from tests.web.matrix.harness import (
    ADMIN,
    ANONYMOUS,
    CHANNEL_FORBIDDEN,
    CREATED,
    ELSEWHERE,
    HERE,
    MEMBERS,
    OK,
    SEEN,
    STAFF,
    TO_LOGIN,
    UNSEEN,
    Answer,
    Call,
    Make,
    Outcome,
    Row,
    Target,
    World,
    api,
    canary_word,
    fresh_thread,
    in_the_region,
    moderators_of_the_region,
    nothing_to_the_refused,
    on_page,
    own_post_target,
    page,
    page_in_the_region,
    post_target,
    readers,
    replay,
    shown_to,
    sql,
    writers,
)

SPAM = {"reason": "spam"}
POST_NOT_FOUND = Outcome(404, "post_not_found")


async def _report(world: World, user: dict, post_id: int, reason: str, said: str) -> None:
    async with world.db.transaction() as s:
        await raise_flag(s, user["actor"], post_id, reason, said)


def case_target(
    *, shows: str = "reason", region: str = "africa", resolved: bool = False, alone: bool = False
) -> Make:
    """An open case on a reply in a fresh thread of `region`, reported by a member who is
    none of the roles with the canary as its text (`shows="reason"`), or the thread's title
    (`"title"`, what a queue lists). `alone`: the region's only open case (earlier ones
    are closed, so one page of the queue holds it); `resolved`: dismissed already."""

    async def make(world: World, role: str) -> Target:
        if alone:
            await sql(world, "UPDATE flags SET closed_at = now() WHERE closed_at IS NULL")
            await sql(
                world,
                "UPDATE flag_cases SET resolved_at = now(), outcome = 'dismiss', "
                "resolution = 'Matrix' WHERE resolved_at IS NULL",
            )
        tid, first, title = await fresh_thread(world, region=region)
        pid = (await world.make.reply(tid, body="A reply someone reports."))["id"]
        said = canary_word("gnu")
        await _report(world, await world.make.user(), pid, "other", said)
        found = await sql(world, "SELECT id FROM flag_cases WHERE post_id = :p", p=pid)
        if resolved:
            r = await world.clients[ADMIN].post(
                f"/api/v1/flag-cases/{found.id}/resolve",
                json={"outcome": "dismiss", "reason": "Matrix"},
            )
            assert r.status_code == 200, r.text
        rows = [("flag_cases", found.id), ("threads", tid), ("posts", first), ("posts", pid)]
        return Target(str(found.id), said if shows == "reason" else title, rows)

    return make


def thread_of_a_case() -> Make:
    """The thread of a fresh case's post; its canary the link to the case ("Reported
    (N)" by the post, for those who handle it)."""
    make_case = case_target()

    async def make(world: World, role: str) -> Target:
        case = await make_case(world, role)
        return Target(str(case.rows[1][1]), f"/flag-cases/{case.path}", case.rows)

    return make


async def queue_link(world: World, role: str) -> Target:
    """The region page's link to its queue of reported posts, for those who handle it."""
    return Target("", "/regions/africa/flags")


def reported_already() -> Make:
    """A reply the cell's reader reported a moment ago (those who may report)."""
    make_post = post_target()

    async def make(world: World, role: str) -> Target:
        target = await make_post(world, role)
        if role in MEMBERS:
            await _report(world, world.users[role], int(target.path), "spam", "")
        return target

    return make


def replays_the_case(channel: str) -> Call:
    """`replay`, whose joined readers get the case's events (ids only)."""
    call = replay(channel)

    async def checked(world: World, role: str, target: Target) -> Answer:
        got = await call(world, role, target)
        assert got.status != 200 or f'"case_id":{target.path},' in got.text, got.text[-500:]
        return got

    return checked


def _resolution(outcome: str) -> dict[str, str]:
    return {"outcome": outcome, "reason": "Matrix"}


# The case's readers (its region's moderators, admins) see its reports; others nothing.
CASE_READERS, PAGE_CASE_READERS = in_the_region(), page_in_the_region()
# Staff pages with a login form for the visitor.
STAFF_PAGE = {**readers(UNSEEN, Outcome(403), *STAFF), ANONYMOUS: TO_LOGIN}

ROWS = [
    # Reporting: taking part (the form says why one may not), on a post one reads, not one's
    # own, once while open; a post one may not read is not found, whoever asks.
    Row(
        "flag report",
        post_target(),
        api("POST", "/posts/{}/flags", lambda t: SPAM),
        writers(CREATED),
    ),
    Row(
        "page: flag report",
        post_target(),
        page("POST", "/posts/{}/flag", SPAM),
        on_page(writers(OK)),
    ),
    Row(
        "page: flag report form",
        post_target(),
        page("GET", "/posts/{}/flag"),
        {**readers(OK, Outcome(403), *MEMBERS), ANONYMOUS: TO_LOGIN},
    ),
    Row(
        "flag report, own post",
        own_post_target(),
        api("POST", "/posts/{}/flags", lambda t: SPAM),
        writers(Outcome(403, "own_post")),
    ),
    Row(
        "flag report, again",
        reported_already(),
        api("POST", "/posts/{}/flags", lambda t: SPAM),
        writers(Outcome(409, "already_flagged")),
    ),
    Row(
        "flag report, hidden post",
        post_target(hidden=True),
        api("POST", "/posts/{}/flags", lambda t: SPAM),
        readers(CREATED, POST_NOT_FOUND, *STAFF),
    ),
    Row(
        "flag report, deleted post",
        post_target(deleted=True),
        api("POST", "/posts/{}/flags", lambda t: SPAM),
        readers(POST_NOT_FOUND, POST_NOT_FOUND),
    ),
    Row(
        "flag report, members-only region",
        post_target(region="staff-room"),
        api("POST", "/posts/{}/flags", lambda t: SPAM),
        readers(CREATED, POST_NOT_FOUND, *MEMBERS),
    ),
    # The queues: the region's moderators and admins (a case listed by its thread's title).
    Row(
        "flag queue",
        case_target(shows="title", alone=True),
        api("GET", "/regions/africa/flags?limit=100"),
        CASE_READERS,
    ),
    Row(
        "page: flag queue",
        case_target(shows="title", alone=True),
        page("GET", "/regions/africa/flags"),
        PAGE_CASE_READERS,
    ),
    Row(
        "page: moderation",
        case_target(),
        page("GET", "/moderation"),
        nothing_to_the_refused(STAFF_PAGE),
    ),
    # Where a case shows itself: by its post on the thread page, and the region page's
    # link to the queue; to those who handle it.
    Row(
        "page: thread, a reported post",
        thread_of_a_case(),
        page("GET", "/threads/{}"),
        shown_to(HERE, ADMIN),
    ),
    Row(
        "page: region, its queue", queue_link, page("GET", "/regions/africa"), shown_to(HERE, ADMIN)
    ),
    # A case: its reports' text, on every path.
    Row("flag case read", case_target(), api("GET", "/flag-cases/{}"), CASE_READERS),
    Row(
        "flag case read, another region",
        case_target(region="south-east-asia"),
        api("GET", "/flag-cases/{}"),
        {**CASE_READERS, HERE: Outcome(403, "not_your_region", sees=False), ELSEWHERE: SEEN},
    ),
    Row("page: flag case", case_target(), page("GET", "/flag-cases/{}"), PAGE_CASE_READERS),
    Row(
        "replay mod:africa",
        case_target(),
        replays_the_case("mod:africa"),
        {**readers(CHANNEL_FORBIDDEN, CHANNEL_FORBIDDEN), HERE: UNSEEN, ADMIN: UNSEEN},
    ),
    # Handling a case: the region's moderators and admins.
    Row(
        "flag case assign",
        case_target(),
        api("POST", "/flag-cases/{}/assign", lambda t: {"to": "me"}),
        moderators_of_the_region(),
    ),
    Row(
        "flag case note",
        case_target(),
        api("POST", "/flag-cases/{}/notes", lambda t: {"body": "Matrix"}),
        moderators_of_the_region(CREATED),
    ),
    *(
        Row(
            f"flag case resolve, {outcome}",
            case_target(),
            api("POST", "/flag-cases/{}/resolve", lambda t, o=outcome: _resolution(o)),
            moderators_of_the_region(),
        )
        for outcome in ("dismiss", "hide", "delete", "suspend")
    ),
    Row(
        "flag case resolve, resolved",
        case_target(resolved=True),
        api("POST", "/flag-cases/{}/resolve", lambda t: _resolution("hide")),
        moderators_of_the_region(Outcome(409, "case_closed")),
    ),
    Row(
        "page: flag case assign",
        case_target(),
        page("POST", "/flag-cases/{}/assign", {"to": "me"}),
        on_page(moderators_of_the_region()),
    ),
    Row(
        "page: flag case note",
        case_target(),
        page("POST", "/flag-cases/{}/notes", {"body": "Matrix"}),
        on_page(moderators_of_the_region()),
    ),
    Row(
        "page: flag case resolve",
        case_target(),
        page("POST", "/flag-cases/{}/resolve", _resolution("hide")),
        on_page(moderators_of_the_region()),
    ),
]
