"""Who may do and read what, as a table: every role against every action and read path,
through a real `forum serve` (the API, the pages where they answer differently, the
websocket), with the exact status and error code, and a refusal changing nothing.

One ROW per action or read path: how to make its target (fresh for every cell), how to
call it, and what each role gets. A new action is covered by adding its row; the table
must name every role for every row (`test_the_table_names_every_role_for_every_row`).
Where a read path shows content, the row says which roles see the cell's canary word.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, text
from websockets.asyncio.client import connect

from forum import documents, sessions
from forum.db import Database
from forum.models import Role
from tests import factories
from tests.realtime.clients import send, until, ws_url
from tests.servers import Served
from web import auth

ANONYMOUS, APPLICANT, MEMBER, SUSPENDED = "anonymous", "applicant", "member", "suspended"
HERE, ELSEWHERE, ADMIN = "moderator_here", "moderator_elsewhere", "admin"
ROLES = (ANONYMOUS, APPLICANT, MEMBER, SUSPENDED, HERE, ELSEWHERE, ADMIN)
STAFF = (HERE, ELSEWHERE, ADMIN)
SECRET = "k" * 40  # `module_served`'s
_words = itertools.count(1)


@dataclass(frozen=True)
class Outcome:
    status: int
    code: str | None = None  # the error's code (refusals)
    sees: bool | None = None  # whether the canary word is in the answer (read paths)


@dataclass
class Target:
    """What one cell acts on; `rows` name the database rows a refusal must leave as
    they were (table, id)."""

    path: str
    canary: str = ""
    rows: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    status: int
    code: str | None
    text: str


@dataclass
class World:
    served: Served
    db: Database
    make: factories.Factory
    users: dict[str, dict[str, Any] | None]
    clients: dict[str, httpx.AsyncClient]
    tokens: dict[str, str]  # each role's page form token (masked CSRF)
    cookies: dict[str, str]  # each role's Cookie header (websocket)


Make = Callable[[World, str], Awaitable[Target]]
Call = Callable[[World, str, Target], Awaitable[Answer]]


@dataclass(frozen=True)
class Row:
    name: str
    make: Make
    call: Call
    expected: dict[str, Outcome]


# Outcomes that repeat ------------------------------------------------------------------

OK, CREATED = Outcome(200), Outcome(201)
LOGIN = Outcome(401, "login_required")
NOT_APPROVED = Outcome(403, "not_approved")
SUSPENDED_NOW = Outcome(403, "account_suspended")
MODERATORS_ONLY = Outcome(403, "moderators_only")
NOT_YOUR_REGION = Outcome(403, "not_your_region")
ADMIN_ONLY = Outcome(403, "admin_only")


def writers(allowed: Outcome) -> dict[str, Outcome]:
    """Taking part: every member in good standing, moderators and admins included."""
    return {
        ANONYMOUS: LOGIN,
        APPLICANT: NOT_APPROVED,
        MEMBER: allowed,
        SUSPENDED: SUSPENDED_NOW,
        HERE: allowed,
        ELSEWHERE: allowed,
        ADMIN: allowed,
    }


def moderators_of_the_region(allowed: Outcome = OK) -> dict[str, Outcome]:
    return {**writers(MODERATORS_ONLY), HERE: allowed, ELSEWHERE: NOT_YOUR_REGION, ADMIN: allowed}


def any_moderator(allowed: Outcome = OK) -> dict[str, Outcome]:
    return {**writers(MODERATORS_ONLY), HERE: allowed, ELSEWHERE: allowed, ADMIN: allowed}


def admins(allowed: Outcome = OK) -> dict[str, Outcome]:
    return {**writers(ADMIN_ONLY), ADMIN: allowed}


def on_page(api: dict[str, Outcome]) -> dict[str, Outcome]:
    """A page answers as the API does, but a done action redirects (Post/Redirect/Get; a
    read path shows its page) and a refusal is a page, not a code."""
    return {
        role: Outcome(303 if o.status == 200 and o.sees is None else o.status, sees=o.sees)
        for role, o in api.items()
    }


SEEN, UNSEEN = Outcome(200, sees=True), Outcome(200, sees=False)


def shown_to(*who: str, refused: Outcome = UNSEEN) -> dict[str, Outcome]:
    """A read path whose canary `who` see, and nobody else (`refused` what they get)."""
    return readers(SEEN, refused, *who)


def readers(allowed: Outcome, refused: Outcome, *who: str) -> dict[str, Outcome]:
    return {role: allowed if role in who else refused for role in ROLES}


# Targets -------------------------------------------------------------------------------


async def _sql(world: World, statement: str, *, posts: tuple[int, ...] = (), **values: Any) -> Any:
    """Run `statement`; `posts`: those whose search documents it changes (as the core's
    actions refresh them)."""
    async with world.db.transaction() as s:
        result = await s.execute(text(statement), values)
        await documents.refresh(s, posts)
        return result.first() if result.returns_rows else None


async def _thread(
    world: World,
    *,
    region: str = "africa",
    locked: bool = False,
    hidden: bool = False,
    pinned: bool = False,
) -> tuple[int, int, str]:
    """A fresh thread (by a member who is none of the roles) with a canary word."""
    canary = f"canary{next(_words)}zebu"
    made = await world.make.thread(region=region, body=f"The {canary} word.", title=canary)
    tid, pid = made["thread"]["id"], made["post"]["id"]
    await _sql(
        world,
        "UPDATE threads SET locked = :l, hidden = :h, pinned = :p WHERE id = :t",
        l=locked,
        h=hidden,
        p=pinned,
        t=tid,
        posts=(pid,),
    )
    return tid, pid, canary


def thread_target(suffix: str = "", **state: bool) -> Make:
    async def make(world: World, role: str) -> Target:
        tid, pid, canary = await _thread(world, **state)
        return Target(f"{tid}{suffix}", canary, [("threads", tid), ("posts", pid)])

    return make


def post_target(*, hidden: bool = False, deleted: bool = False, region: str = "africa") -> Make:
    """A reply by someone who is none of the roles, in a fresh thread."""

    async def make(world: World, role: str) -> Target:
        tid, first, _ = await _thread(world, region=region)
        canary = f"canary{next(_words)}okapi"
        pid = (await world.make.reply(tid, body=f"The {canary} word."))["id"]
        await _sql(
            world,
            "UPDATE posts SET hidden = :h, deleted_at = CASE WHEN :d THEN now() END WHERE id = :p",
            h=hidden,
            d=deleted,
            p=pid,
            posts=(pid,),
        )
        return Target(str(pid), canary, [("threads", tid), ("posts", first), ("posts", pid)])

    return make


def thread_of_post(make_post: Make) -> Make:
    """The thread holding a fresh post made by `make_post` (its canary is the post's)."""

    async def make(world: World, role: str) -> Target:
        target = await make_post(world, role)
        tid = target.rows[0][1]
        return Target(str(tid), target.canary, target.rows)

    return make


def user_target(role: Role = Role.MEMBER, *, suspended: bool = False) -> Make:
    async def make(world: World, _: str) -> Target:
        user = await world.make.user(role, suspended_at=func.now() if suspended else None)
        return Target(str(user["id"]), rows=[("users", user["id"])])

    return make


async def application_target(world: World, role: str) -> Target:
    """A pending application from Senegal (Africa) by an applicant whose address is
    confirmed."""
    user = await world.make.user(Role.APPLICANT, email_verified_at=func.now())
    row = await _sql(
        world,
        "INSERT INTO applications (user_id, country_code, motivation) "
        "VALUES (:u, 'SN', 'I monitor tenders.') RETURNING id",
        u=user["id"],
    )
    return Target(str(row.id), rows=[("applications", row.id), ("users", user["id"])])


def own_post_target() -> Make:
    """A reply by the cell's reader, written before any suspension (a visitor and an
    applicant have none: someone else's)."""

    async def make(world: World, role: str) -> Target:
        author = None if role in (ANONYMOUS, APPLICANT) else world.users[role]
        tid, first, _ = await _thread(world)
        pid = (await world.make.reply(tid, author, body="Mine, before an edit"))["id"]
        return Target(str(pid), rows=[("threads", tid), ("posts", first), ("posts", pid)])

    return make


async def decided_application_target(world: World, role: str) -> Target:
    """An application from Senegal (Africa) refused a moment ago, its motivation the
    canary: the newest of the decided ones (`?status=refused`)."""
    canary = f"canary{next(_words)}heron"
    user = await world.make.user(Role.APPLICANT)
    await _sql(
        world,
        "INSERT INTO applications (user_id, country_code, motivation, status, decided_at, "
        "decided_as, reason) VALUES (:u, 'SN', :m, 'refused', now(), 'admin', 'No')",
        u=user["id"],
        m=f"I watch {canary} closely.",
    )
    return Target("", canary)


async def audit_target(world: World, role: str) -> Target:
    """An audit entry of Africa whose reason is the canary (an admin hid a post)."""
    _, pid, _ = await _thread(world)
    canary = f"canary{next(_words)}ibis"
    r = await world.clients[ADMIN].post(f"/api/v1/posts/{pid}/hide", json={"reason": canary})
    assert r.status_code == 200, r.text
    return Target("", canary)


async def no_target(world: World, role: str) -> Target:
    return Target("")


# Calls ---------------------------------------------------------------------------------


async def _answer(r: httpx.Response) -> Answer:
    code = None
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
        code = r.json()["error"]["code"]
    return Answer(r.status_code, code, r.text)


def api(method: str, path: str, body: Callable[[Target], Any] | None = None) -> Call:
    """`path` with `{}` where the target goes; `body` the JSON sent, if any."""

    async def call(world: World, role: str, target: Target) -> Answer:
        url = "/api/v1" + path.format(target.path).replace("{canary}", target.canary)
        kwargs = {} if body is None else {"json": body(target)}
        return await _answer(await world.clients[role].request(method, url, **kwargs))

    return call


def search(kind: str | None = None) -> Call:
    async def call(world: World, role: str, target: Target) -> Answer:
        params = {"q": target.canary, **({"kind": kind} if kind else {})}
        r = await world.clients[role].get("/api/v1/search", params=params)
        assert r.status_code == 200, r.text
        # What a reader receives is the hits' text and the totals (the query is echoed).
        found = r.json()["total"] > 0 or target.canary in str(r.json()["hits"])
        return Answer(200, None, target.canary if found else "")

    return call


def page(method: str, path: str, form: dict[str, str] | None = None) -> Call:
    """A page: GET, or a form POST with the role's form token. A refused page is a page
    too (its status is the API's); its code is not shown, so None."""

    async def call(world: World, role: str, target: Target) -> Answer:
        url = path.format(target.path)
        if method == "GET":
            r = await world.clients[role].get(url)
        else:
            # A visitor's form token is their form cookie's, which a page may renew.
            token = world.tokens.get(role) or auth.mask(
                world.clients[role].cookies[auth.FORM_COOKIE]
            )
            data = {"csrf": token, **(form or {})}
            r = await world.clients[role].post(url, data=data)
        return Answer(r.status_code, None, r.text)

    return call


def listen(channel: str) -> Call:
    """Subscribe over the websocket: joined is 200; an error frame is its code, with 403
    for a forbidden channel and 404 for one that looks missing."""

    async def call(world: World, role: str, target: Target) -> Answer:
        name = channel.format(target.path)
        headers = {"Cookie": world.cookies[role]} if world.cookies.get(role) else {}
        async with connect(ws_url(world.served), additional_headers=headers) as ws:
            await send(ws, op="subscribe", channels=[name])
            frames = await until(ws, lambda f: f["op"] == "subscribed")
        if name in frames[-1]["channels"]:
            return Answer(200, None, orjson.dumps(frames).decode())
        error = next(f for f in frames if f["op"] == "error" and f.get("channel") == name)
        status = 404 if error["code"].endswith("not_found") else 403
        return Answer(status, error["code"], "")

    return call


def _reason(target: Target) -> dict[str, str]:
    return {"reason": "Matrix"}


# The table -----------------------------------------------------------------------------

MODERATION = (  # thread or post, the verb, its state before (so the action changes it)
    ("thread", "lock", {}),
    ("thread", "unlock", {"locked": True}),
    ("thread", "pin", {}),
    ("thread", "unpin", {"pinned": True}),
    ("post", "hide", {}),
    ("post", "show", {"hidden": True}),
    ("post", "delete", {}),
    ("post", "restore", {"deleted": True}),
)
MOVE = {"region": "africa", "topic": "whistleblower-protection", "reason": "Matrix"}
# Channel refusals over the websocket are their own codes.
CHANNEL_FORBIDDEN = Outcome(403, "channel_forbidden")
CHANNEL_MISSING = Outcome(404, "channel_not_found")
# A page that needs a login sends the visitor to it.
TO_LOGIN = Outcome(303)

# The audit log: moderators read their regions' entries (and their own), admins all.
AUDIT_READERS = {**writers(MODERATORS_ONLY), HERE: SEEN, ELSEWHERE: UNSEEN, ADMIN: SEEN}

ROWS = [
    # Moderation actions: the region's moderators and admins.
    *(
        Row(
            f"{what}.{verb}",
            (thread_target if what == "thread" else post_target)(**state),
            api("POST", f"/{what}s/{{}}/{verb}", _reason),
            moderators_of_the_region(),
        )
        for what, verb, state in MODERATION
    ),
    Row(
        "thread.move",
        thread_target(),
        api("POST", "/threads/{}/move", lambda t: MOVE),
        moderators_of_the_region(),
    ),
    Row(
        "page: thread lock",
        thread_target(),
        page("POST", "/threads/{}/moderate", {"do": "lock"}),
        on_page(moderators_of_the_region()),
    ),
    Row(
        "page: post hide",
        post_target(),
        page("POST", "/posts/{}/moderate", {"do": "hide"}),
        on_page(moderators_of_the_region()),
    ),
    # Accounts: suspension all over the forum (moderators: members), the moderators (admins).
    Row("user.suspend", user_target(), api("POST", "/users/{}/suspend", _reason), any_moderator()),
    Row(
        "user.reinstate",
        user_target(suspended=True),
        api("POST", "/users/{}/reinstate", _reason),
        any_moderator(),
    ),
    Row(
        "user.suspend a moderator",
        user_target(Role.MODERATOR),
        api("POST", "/users/{}/suspend", _reason),
        {**any_moderator(Outcome(403, "staff_account")), ADMIN: OK},
    ),
    Row(
        "moderator.assign",
        user_target(),
        api("PUT", "/users/{}/moderated-regions", lambda t: {"regions": ["africa"]}),
        admins(),
    ),
    Row("moderators read", no_target, api("GET", "/moderators"), admins()),
    # Applications: the moderators of the applicant's region and admins; to anyone else
    # the application does not exist.
    *(
        Row(
            f"application.{verb}",
            application_target,
            api("POST", f"/applications/{{}}/{verb}", _reason),
            {**writers(Outcome(404, "application_not_found")), HERE: OK, ADMIN: OK},
        )
        for verb in ("approve", "refuse")
    ),
    Row(
        "applications read",
        decided_application_target,
        api("GET", "/applications?status=refused"),
        {**writers(Outcome(403, "not_an_approver")), HERE: SEEN, ELSEWHERE: UNSEEN, ADMIN: SEEN},
    ),
    Row("audit read", audit_target, api("GET", "/audit"), AUDIT_READERS),
    Row(
        "page: audit",
        audit_target,
        page("GET", "/audit"),
        {**on_page(AUDIT_READERS), ANONYMOUS: TO_LOGIN},
    ),
    # Posts: writing is taking part; changing a post is its author's (none of the roles).
    Row(
        "thread create",
        no_target,
        api(
            "POST",
            "/threads",
            lambda t: {
                "region": "africa",
                "topic": "public-procurement",
                "title": "Matrix",
                "body": "x",
            },
        ),
        writers(CREATED),
    ),
    Row(
        "post reply",
        thread_target(),
        api("POST", "/threads/{}/posts", lambda t: {"body": "x"}),
        writers(CREATED),
    ),
    Row(
        "post reply, locked",
        thread_target(locked=True),
        api("POST", "/threads/{}/posts", lambda t: {"body": "x"}),
        {**writers(Outcome(403, "thread_locked")), **dict.fromkeys(STAFF, CREATED)},
    ),
    Row(
        "post edit",
        post_target(),
        api("PATCH", "/posts/{}", lambda t: {"body": "Changed"}),
        {**writers(Outcome(403, "not_author")), HERE: OK, ELSEWHERE: NOT_YOUR_REGION, ADMIN: OK},
    ),
    Row(
        "post delete",
        post_target(),
        api("DELETE", "/posts/{}"),
        writers(Outcome(403, "not_author")),
    ),
    Row(
        "post edit, own",
        own_post_target(),
        api("PATCH", "/posts/{}", lambda t: {"body": "Mine"}),
        writers(OK),
    ),
    Row("post delete, own", own_post_target(), api("DELETE", "/posts/{}"), writers(OK)),
    Row(
        "revisions read, own",
        own_post_target(),
        api("GET", "/posts/{}/revisions"),
        readers(OK, Outcome(403, "revisions_private"), MEMBER, SUSPENDED, *STAFF),
    ),
    Row(
        "revisions read",
        post_target(),
        api("GET", "/posts/{}/revisions"),
        {**readers(OK, Outcome(403, "revisions_private"), HERE, ADMIN), ELSEWHERE: NOT_YOUR_REGION},
    ),
    Row("thread read, public", thread_target(), api("GET", "/threads/{}"), shown_to(*ROLES)),
    # Reading threads: members-only regions to members, hidden threads to the staff; to
    # anyone else they do not exist (404, nothing of them told) on every path. Search:
    # hits, snippets and totals; hidden and deleted content leaves the search documents
    # (`forum.documents`), so nobody finds it there, moderators included (they read
    # hidden posts in their thread).
    *(
        Row(f"{what}, {name}", make, call, expected)
        for name, make, who in (
            ("members-only", thread_target(region="staff-room"), (MEMBER, *STAFF)),
            ("hidden thread", thread_target(hidden=True), STAFF),
        )
        for what, call, expected in (
            (
                "thread read",
                api("GET", "/threads/{}"),
                shown_to(*who, refused=Outcome(404, "thread_not_found", sees=False)),
            ),
            (
                "page: thread",
                page("GET", "/threads/{}"),
                shown_to(*who, refused=Outcome(404, sees=False)),
            ),
            ("listen", listen("thread:{}"), readers(OK, CHANNEL_MISSING, *who)),
            ("search", search(), shown_to(*who) if MEMBER in who else shown_to()),
        )
    ),
    Row(
        "thread list, members-only region",
        thread_target(region="staff-room"),
        api("GET", "/threads?region=staff-room"),
        shown_to(MEMBER, *STAFF, refused=Outcome(404, "region_not_found", sees=False)),
    ),
    *(
        Row(f"{what}, a hidden thread", thread_target(hidden=True), call, shown_to(*STAFF))
        for what, call in (
            ("thread list", api("GET", "/threads?region=africa&limit=50")),
            ("page: region", page("GET", "/regions/africa")),
        )
    ),
    # A hidden post's text: to the staff (and its author); a deleted one's: to nobody.
    *(
        Row(f"{what}, {name}", thread_of_post(post_target(**state)), call, expected)
        for name, state, expected in (
            ("hidden post", {"hidden": True}, shown_to(*STAFF)),
            ("deleted post", {"deleted": True}, shown_to()),
        )
        for what, call in (
            ("thread read", api("GET", "/threads/{}")),
            ("page: thread", page("GET", "/threads/{}")),
        )
    ),
    *(
        Row(f"search, {name}", post_target(**state), search(), shown_to())
        for name, state in (("hidden post", {"hidden": True}), ("deleted post", {"deleted": True}))
    ),
    # The websocket: the moderators' queue of a region is its moderators' (and admins').
    Row(
        "listen mod:africa",
        no_target,
        listen("mod:africa"),
        {**readers(CHANNEL_FORBIDDEN, CHANNEL_FORBIDDEN), HERE: OK, ADMIN: OK},
    ),
    Row(
        "listen user, another's",
        user_target(),
        listen("user:{}"),
        readers(CHANNEL_FORBIDDEN, CHANNEL_FORBIDDEN),
    ),
]

CELLS = [(row, role) for row in ROWS for role in ROLES]


def test_the_table_names_every_role_for_every_row() -> None:
    assert len({row.name for row in ROWS}) == len(ROWS), "row names are unique"
    for row in ROWS:
        assert set(row.expected) == set(ROLES), row.name
    print(f"\npermission matrix: {len(CELLS)} cells ({len(ROWS)} rows x {len(ROLES)} roles)")


# The world: one server, one database, a user and a client per role -------------------


async def _login(world_db: Database, served: Served, user: dict[str, Any]) -> tuple:
    policy = sessions.Policy(SECRET.encode(), timedelta(days=1), timedelta(days=2))
    async with world_db.transaction() as s:
        login = await sessions.open(s, policy, user["id"])
    cookie = f"{auth.COOKIE}={login.token}"
    c = httpx.AsyncClient(base_url=served.url, headers={"X-CSRF-Token": login.csrf_token})
    c.cookies.set(auth.COOKIE, login.token)
    return c, auth.mask(login.csrf_token), cookie


@pytest.fixture(scope="module")
async def world(module_served: Served, module_database_url: str) -> AsyncIterator[World]:
    db = Database(module_database_url, pool_size=2)
    make = factories.Factory(None, db)
    users: dict[str, dict[str, Any] | None] = {
        ANONYMOUS: None,
        APPLICANT: await make.user(Role.APPLICANT),
        MEMBER: await make.user(),
        SUSPENDED: await make.user(suspended_at=func.now()),
        HERE: await make.user(Role.MODERATOR),
        ELSEWHERE: await make.user(Role.MODERATOR),
        ADMIN: await make.user(Role.ADMIN),
    }
    async with db.transaction() as s:
        for role, region in ((HERE, "africa"), (ELSEWHERE, "south-east-asia")):
            await s.execute(
                text("INSERT INTO moderated_regions SELECT :u, id FROM regions WHERE slug = :r"),
                {"u": users[role]["id"], "r": region},
            )
    # A visitor's page forms carry the token of the form cookie a page gave them.
    anonymous = httpx.AsyncClient(base_url=module_served.url)
    assert auth.FORM_COOKIE in (await anonymous.get("/login")).cookies
    clients, tokens, cookies = {ANONYMOUS: anonymous}, {}, {}
    for role, user in users.items():
        if user is not None:
            clients[role], tokens[role], cookies[role] = await _login(db, module_served, user)
    yield World(module_served, db, make, users, clients, tokens, cookies)
    for c in clients.values():
        await c.aclose()
    await db.dispose()


async def _rows(world: World, target: Target) -> list[Any]:
    """The target's rows as they are, and how many events and audit entries there are."""
    found = []
    for table, row_id in target.rows:
        row = await _sql(world, f"SELECT to_jsonb(x) AS j FROM {table} x WHERE id = :i", i=row_id)
        found.append(row.j)
    counts = await _sql(
        world, "SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM audit_log) AS a"
    )
    return [*found, tuple(counts)]


@pytest.mark.parametrize(("row", "role"), CELLS, ids=[f"{r.name}-{role}" for r, role in CELLS])
async def test_cell(world: World, row: Row, role: str) -> None:
    target = await row.make(world, role)
    before = await _rows(world, target)
    got = await row.call(world, role, target)
    expected = row.expected[role]
    assert got.status == expected.status, got.text[:500]
    if expected.code is not None:
        assert got.code == expected.code, got.text[:500]
    if expected.sees is not None:
        assert (target.canary in got.text) is expected.sees, target.canary
    if got.status >= 400:
        assert await _rows(world, target) == before, "a refusal changed nothing"
