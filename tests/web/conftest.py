"""Fixtures for the tests that drive a real browser against a real `forum serve`.

`browser` is one headless Chromium for the whole run (each test opens its own contexts,
which share nothing); it skips the test where Playwright or Chromium is missing.
`served` is a forum process on the test's own database; `module_served` one shared by a
module's tests (each makes its own data). Helpers for contexts and members are in
`tests/web/browsers.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from forum.db import driver_dsn
from tests.servers import Served, forum_env
from tests.web import browsers

if TYPE_CHECKING:
    from playwright.async_api import Browser


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    browsers.skip_without_chromium()
    async with browsers.chromium() as chromium:
        yield chromium


@pytest.fixture
async def served(server_env: dict[str, str]) -> AsyncIterator[Served]:
    server = await asyncio.to_thread(Served, server_env)
    yield server
    await asyncio.to_thread(server.stop)


@pytest.fixture(scope="module")
async def module_served(module_database_url: str) -> AsyncIterator[Served]:
    env = forum_env(FORUM_DATABASE_URL=driver_dsn(module_database_url), FORUM_SECRET_KEY="k" * 40)
    server = await asyncio.to_thread(Served, env)
    yield server
    await asyncio.to_thread(server.stop)
