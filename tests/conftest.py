"""Test fixtures: a real PostgreSQL, one fresh database per test cloned from a migrated
template, the real app over httpx, and small factories for data.

The server is `FORUM_TEST_DATABASE_URL` when set (any database on it; the tests create
their own beside it), else an embedded PostgreSQL in a temporary directory.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from forum import embedded, migrate
from forum.config import Settings
from forum.db import Database, driver_dsn
from tests import factories
from tests.servers import forum_env
from web.app import create_app

_counter = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test driving Chromium (through the `browser` fixture) carries the `browser` mark:
    `.ci/run` runs these once, on the embedded PostgreSQL (what they check is the page)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An asyncpg URL to some database on the test server."""
    url = os.environ.get("FORUM_TEST_DATABASE_URL")
    if url:
        return Settings.from_env(
            {"FORUM_DATABASE_URL": url, "FORUM_SECRET_KEY": "x" * 40}
        ).database_url  # type: ignore[return-value]
    return embedded.start(tmp_path_factory.mktemp("pg"), database="postgres")


def _on(server_url: str, database: str) -> str:
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


async def _admin(server_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(driver_dsn(_on(server_url, "postgres")))


@pytest.fixture(scope="session")
async def template(server_url: str) -> AsyncIterator[str]:
    """A migrated database holding the reference data every test may use."""
    name = f"forum_tmpl_{os.getpid()}"
    admin = await _admin(server_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _on(server_url, name)
    db = Database(url, pool_size=1)
    await migrate.upgrade(db.engine)
    async with db.transaction() as session:
        await factories.reference_data(session)
        # Tests read the event log from its start: it begins empty, as on a new forum.
        await session.execute(text("DELETE FROM events"))
    await db.dispose()
    yield name
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@asynccontextmanager
async def _scratch_database(server_url: str, template: str | None) -> AsyncIterator[str]:
    name = f"forum_t_{os.getpid()}_{next(_counter)}"
    admin = await _admin(server_url)
    clone = f' TEMPLATE "{template}"' if template else ""
    await admin.execute(f'CREATE DATABASE "{name}"{clone}')
    try:
        yield _on(server_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def database_url(server_url: str, template: str) -> AsyncIterator[str]:
    """A fresh database for one test: real commits, real concurrency, nothing shared."""
    async with _scratch_database(server_url, template) as url:
        yield url


@pytest.fixture(scope="module")
async def module_database_url(server_url: str, template: str) -> AsyncIterator[str]:
    """One database for a module whose tests share running servers (each makes its data)."""
    async with _scratch_database(server_url, template) as url:
        yield url


@pytest.fixture
async def empty_database_url(server_url: str) -> AsyncIterator[str]:
    """A database with no schema at all, as an operator creates it."""
    async with _scratch_database(server_url, None) as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        secret_key=secrets.token_urlsafe(40),
        database_url=database_url,
        allowed_origins=("https://partner.example.org",),
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, pool_size=5)
    yield database
    await database.dispose()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with factories.client(app) as c:
        yield c


@pytest.fixture
def make(app: object, db: Database) -> factories.Factory:
    return factories.Factory(app, db)


@pytest.fixture
def server_env(database_url: str) -> dict[str, str]:
    return forum_env(FORUM_DATABASE_URL=driver_dsn(database_url), FORUM_SECRET_KEY="k" * 40)
