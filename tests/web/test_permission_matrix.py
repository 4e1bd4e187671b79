"""Who may do and read what, as a table: every role against every action and read path,
through a real `forum serve` (the API, the pages where they answer differently, the
websocket), with the exact status and error code, and a refusal changing nothing.

One ROW per action or read path: how to make its target (fresh for every cell), how to
call it, and what each role gets. A new action is covered by adding its row; the table
must name every role for every row (`test_the_table_names_every_role_for_every_row`).
Where a read path shows content, the row says which roles see the cell's canary word.

The rows live by area in `tests.web.matrix` (`core`: moderation, accounts,
applications, audit, writing and reading; `flags`; `revisions`: a moderator's edit and
redaction; `approvals`; `splitting`: split and merge; `knowledge`: events, news and
country reviews; `notifications`: notifications, following, saved searches, profiles and
unsubscribing), built with its `harness` (roles,
outcomes, targets, calls); they all run here, against one server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, text

from forum import sessions
from forum.db import Database
from forum.models import Role
from tests import factories
from tests.servers import Served
from tests.web.matrix import (
    approvals,
    core,
    flags,
    knowledge,
    notifications,
    revisions,
    splitting,
)
from tests.web.matrix.harness import (
    ADMIN,
    ANONYMOUS,
    APPLICANT,
    EDITOR,
    ELSEWHERE,
    HERE,
    MEMBER,
    ROLES,
    SECRET,
    SUSPENDED,
    Row,
    Target,
    World,
    sql,
)
from web import auth

ROWS: list[Row] = [
    *core.ROWS, *flags.ROWS, *revisions.ROWS, *approvals.ROWS, *splitting.ROWS, *knowledge.ROWS,
    *notifications.ROWS,
]  # fmt: skip
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
        EDITOR: await make.user(Role.EDITOR),
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
    """The target's rows as they are, and how many events, audit entries, reports and
    notes there are (a note is neither an event nor audited). The notifier's events are
    not counted: it fans out earlier cells' posts in the background, whenever it runs."""
    found = []
    for table, row_id in target.rows:
        row = await sql(world, f"SELECT to_jsonb(x) AS j FROM {table} x WHERE id = :i", i=row_id)
        found.append(row.j)
    counts = await sql(
        world,
        "SELECT (SELECT count(*) FROM events WHERE type NOT LIKE 'notification.%%') AS e, "
        "(SELECT count(*) FROM audit_log) AS a, "
        "(SELECT count(*) FROM flags) AS f, (SELECT count(*) FROM flag_notes) AS n",
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
