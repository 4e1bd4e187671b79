"""A request that needs the database while it is away is answered 503 at once, with the
envelope (API) or the failure page (HTML) and Retry-After; other failures stay 500."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from forum.db import Database, driver_dsn, unavailable
from tests import factories
from tests.servers import free_port


@pytest.fixture
def silent() -> Iterator[int]:
    """A port whose server takes connections and never answers (a host cut off)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield s.getsockname()[1]


async def _swapped(app: object, port: int, url: str | None = None) -> object:
    working = app.state.db  # type: ignore[attr-defined]
    gone = Database(url or f"postgresql+asyncpg://postgres@127.0.0.1:{port}/forum")
    app.state.db = gone  # type: ignore[attr-defined]
    yield app
    app.state.db = working  # type: ignore[attr-defined]
    await gone.dispose()


@pytest.fixture
async def away(app: object) -> object:
    """The app with its database swapped for one nothing listens to (a stopped server)."""
    async for swapped in _swapped(app, free_port()):
        yield swapped


@pytest.fixture
async def full(app: object, database_url: str) -> object:
    """The app reaching its database as a role allowed no connection: what a server all
    of whose connection slots are taken answers ("too many clients", as a shared server
    did under bench/realtime.py's 5,000 sockets)."""
    role = f"forum_full_{os.getpid()}"
    admin = await asyncpg.connect(driver_dsn(database_url))
    await admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
    try:
        url = make_url(database_url).set(username=role, password=None)
        async for swapped in _swapped(app, 0, url.render_as_string(hide_password=False)):
            yield swapped
    finally:
        await admin.execute(f'DROP ROLE "{role}"')
        await admin.close()


@pytest.fixture
async def unanswering(app: object, silent: int) -> object:
    async for swapped in _swapped(app, silent):
        yield swapped


async def test_the_api_answers_503_with_the_envelope(away: object) -> None:
    async with factories.client(away) as client:
        r = await client.get("/api/v1/threads/1")
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert r.json()["error"]["code"] == "unavailable"


async def test_a_page_answers_503_with_the_failure_page(away: object) -> None:
    async with factories.client(away) as client:
        r = await client.get("/threads/1")
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert "try again in a moment" in r.text


async def test_a_database_that_never_answers_is_given_up_in_seconds(unanswering: object) -> None:
    # asyncpg's own default waits 60 s for a connection: the client here would give up
    # first (30 s) and this request would have hung.
    async with factories.client(unanswering, timeout=30) as client:
        r = await client.get("/api/v1/threads/1")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "unavailable"


def test_only_a_lost_database_counts_as_away() -> None:
    assert unavailable(ConnectionRefusedError(111, "Connection refused"))
    assert not unavailable(ValueError("a bug of ours"))
    assert not unavailable(FileNotFoundError(2, "No such file", "/srv/forum/missing.html"))


async def test_a_database_without_a_free_connection_slot_answers_503(full: object) -> None:
    async with factories.client(full) as client:
        r = await client.get("/api/v1/threads/1")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "unavailable"


@pytest.mark.parametrize("database", ["away", "full"])
def test_a_websocket_handshake_is_refused_503_while_the_database_is_away(
    database: str, request: pytest.FixtureRequest
) -> None:
    """Not a 500: the page's script backs off and tries again (a storm of reconnections
    after a worker is lost meets the same answer when no connection can be had in time)."""
    from starlette.testclient import TestClient, WebSocketDenialResponse

    away = request.getfixturevalue(database)
    # Not entered as a context: the app's lifespan is the fixture's, on the test's loop.
    client = TestClient(away, base_url="http://testserver")
    # A session cookie, so the handshake asks the database who it names.
    client.cookies.set("forum_session", "a-session-token")
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        client.websocket_connect("/ws", headers={"Origin": "http://testserver"}),
    ):
        pass
    assert refused.value.status_code == 503
    assert refused.value.headers["Retry-After"] == "5"
    assert refused.value.json()["error"]["code"] == "unavailable"
