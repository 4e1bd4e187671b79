"""The permission matrix's harness (`tests/web/test_permission_matrix.py`): the roles,
what a cell expects (`Outcome`), what it acts on (`Target`, made fresh for every cell),
how it calls the server (the API, a page, the websocket, search) and the helpers the row
modules (`tests.web.matrix.*`) build their rows from.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from sqlalchemy import func, text
from websockets.asyncio.client import connect

from forum import documents
from forum.db import Database
from forum.models import Role
from tests import factories
from tests.realtime import clients
from tests.realtime.clients import send, until, ws_url
from tests.servers import Served
from web import auth

ANONYMOUS, APPLICANT, MEMBER, SUSPENDED = "anonymous", "applicant", "member", "suspended"
EDITOR, HERE, ELSEWHERE, ADMIN = "editor", "moderator_here", "moderator_elsewhere", "admin"
ROLES = (ANONYMOUS, APPLICANT, MEMBER, SUSPENDED, EDITOR, HERE, ELSEWHERE, ADMIN)
STAFF = (HERE, ELSEWHERE, ADMIN)
# Who reads a members-only region: members in good standing, whatever else they are.
MEMBERS = (MEMBER, EDITOR, *STAFF)
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
    """Taking part: every member in good standing, editors, moderators and admins
    included."""
    return {
        ANONYMOUS: LOGIN,
        APPLICANT: NOT_APPROVED,
        MEMBER: allowed,
        SUSPENDED: SUSPENDED_NOW,
        EDITOR: allowed,
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
# A page that needs a login sends the visitor to it.
TO_LOGIN = Outcome(303)


def in_the_region(allowed: Outcome = SEEN) -> dict[str, Outcome]:
    """A read path of a region's moderators and admins (a case, a queue): nothing of it
    to anyone else, on the API."""
    return nothing_to_the_refused(moderators_of_the_region(allowed))


def page_in_the_region(allowed: Outcome = SEEN) -> dict[str, Outcome]:
    """`in_the_region` as a page: the visitor is sent to log in."""
    return {**nothing_to_the_refused(on_page(in_the_region(allowed))), ANONYMOUS: TO_LOGIN}


def nothing_to_the_refused(expected: dict[str, Outcome]) -> dict[str, Outcome]:
    """A read path's refusals (and redirects) show nothing of the canary either."""
    return {
        role: Outcome(o.status, o.code, sees=False) if o.status >= 300 and o.sees is None else o
        for role, o in expected.items()
    }


def shown_to(*who: str, refused: Outcome = UNSEEN) -> dict[str, Outcome]:
    """A read path whose canary `who` see, and nobody else (`refused` what they get)."""
    return readers(SEEN, refused, *who)


def readers(allowed: Outcome, refused: Outcome, *who: str) -> dict[str, Outcome]:
    return {role: allowed if role in who else refused for role in ROLES}


# Targets -------------------------------------------------------------------------------


async def sql(world: World, statement: str, *, posts: tuple[int, ...] = (), **values: Any) -> Any:
    """Run `statement`; `posts`: those whose search documents it changes (as the core's
    actions refresh them)."""
    async with world.db.transaction() as s:
        result = await s.execute(text(statement), values)
        await documents.refresh(s, posts)
        return result.first() if result.returns_rows else None


def canary_word(kind: str) -> str:
    """A word found nowhere else, for a cell's canary."""
    return f"canary{next(_words)}{kind}"


async def fresh_thread(
    world: World,
    *,
    region: str = "africa",
    locked: bool = False,
    hidden: bool = False,
    pinned: bool = False,
) -> tuple[int, int, str]:
    """A fresh thread (by a member who is none of the roles) with a canary word."""
    canary = canary_word("zebu")
    made = await world.make.thread(region=region, body=f"The {canary} word.", title=canary)
    tid, pid = made["thread"]["id"], made["post"]["id"]
    await sql(
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
        tid, pid, canary = await fresh_thread(world, **state)
        return Target(f"{tid}{suffix}", canary, [("threads", tid), ("posts", pid)])

    return make


def post_target(*, hidden: bool = False, deleted: bool = False, region: str = "africa") -> Make:
    """A reply by someone who is none of the roles, in a fresh thread."""

    async def make(world: World, role: str) -> Target:
        tid, first, _ = await fresh_thread(world, region=region)
        canary = canary_word("okapi")
        pid = (await world.make.reply(tid, body=f"The {canary} word."))["id"]
        await sql(
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
    row = await sql(
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
        tid, first, _ = await fresh_thread(world)
        pid = (await world.make.reply(tid, author, body="Mine, before an edit"))["id"]
        return Target(str(pid), rows=[("threads", tid), ("posts", first), ("posts", pid)])

    return make


async def decided_application_target(world: World, role: str) -> Target:
    """An application from Senegal (Africa) refused a moment ago, its motivation the
    canary: the newest of the decided ones (`?status=refused`)."""
    canary = canary_word("heron")
    user = await world.make.user(Role.APPLICANT)
    await sql(
        world,
        "INSERT INTO applications (user_id, country_code, motivation, status, decided_at, "
        "decided_as, reason) VALUES (:u, 'SN', :m, 'refused', now(), 'admin', 'No')",
        u=user["id"],
        m=f"I watch {canary} closely.",
    )
    return Target("", canary)


async def audit_target(world: World, role: str) -> Target:
    """An audit entry of Africa whose reason is the canary (an admin hid a post)."""
    _, pid, _ = await fresh_thread(world)
    canary = canary_word("ibis")
    r = await world.clients[ADMIN].post(f"/api/v1/posts/{pid}/hide", json={"reason": canary})
    assert r.status_code == 200, r.text
    return Target("", canary)


async def no_target(world: World, role: str) -> Target:
    return Target("")


# Calls ---------------------------------------------------------------------------------


async def answer(r: httpx.Response) -> Answer:
    code = None
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
        code = r.json()["error"]["code"]
    return Answer(r.status_code, code, r.text)


def api(method: str, path: str, body: Callable[[Target], Any] | None = None) -> Call:
    """`path` with `{}` where the target goes; `body` the JSON sent, if any."""

    async def call(world: World, role: str, target: Target) -> Answer:
        url = "/api/v1" + path.format(target.path).replace("{canary}", target.canary)
        kwargs = {} if body is None else {"json": body(target)}
        return await answer(await world.clients[role].request(method, url, **kwargs))

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


def page(
    method: str, path: str, form: dict[str, Any] | Callable[[Target], dict[str, Any]] | None = None
) -> Call:
    """A page: GET, or a form POST (`form`, or made from the target) with the role's form
    token. A refused page is a page too (its status is the API's); its code is not
    shown, so None. A redirect's answer is where it leads."""

    async def call(world: World, role: str, target: Target) -> Answer:
        url = path.format(target.path)
        if method == "GET":
            r = await world.clients[role].get(url)
        else:
            # A visitor's form token is their form cookie's, which a page may renew.
            token = world.tokens.get(role) or auth.mask(
                world.clients[role].cookies[auth.FORM_COOKIE]
            )
            fields = form(target) if callable(form) else form
            data = {"csrf": token, **(fields or {})}
            r = await world.clients[role].post(url, data=data)
        return Answer(r.status_code, None, r.text + r.headers.get("location", ""))

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


def replay(channel: str) -> Call:
    """Subscribe over the websocket resuming from the log's start (`since`, every event
    made so far: `tests.realtime.clients.replay`): joined is 200 with every replayed frame
    (a ping's pong marks the backlog's end); refused as `listen`."""

    async def call(world: World, role: str, target: Target) -> Answer:
        name = channel.format(target.path)
        frames = await clients.replay(world.db, world.served, world.cookies.get(role), [name])
        joined = next(f for f in frames if f["op"] == "subscribed")
        if name in joined["channels"]:
            assert not [f for f in frames if f["op"] == "resync"], frames
            return Answer(200, None, orjson.dumps(frames).decode())
        error = next(f for f in frames if f["op"] == "error" and f.get("channel") == name)
        status = 404 if error["code"].endswith("not_found") else 403
        return Answer(status, error["code"], "")

    return call


def with_reason(target: Target) -> dict[str, str]:
    return {"reason": "Matrix"}


# Channel refusals over the websocket are their own codes.
CHANNEL_FORBIDDEN = Outcome(403, "channel_forbidden")
CHANNEL_MISSING = Outcome(404, "channel_not_found")
