"""Fixtures for the tests that drive a real browser against a real `forum serve`.

`browser` is one headless Chromium for the whole run (each test opens its own contexts,
which share nothing); it skips the test where Playwright or Chromium is missing.
`served` is a forum process on the test's own database; `module_served` one shared by a
module's tests (each makes its own data). Helpers for contexts and members are in
`tests/web/browsers.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from forum.config import Settings, Smtp
from forum.db import driver_dsn
from tests import mail
from tests.servers import Served, forum_env
from tests.web import browsers
from web.app import create_app

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


# Mail: a real SMTP server in the test process (`tests.mail`) and the app sending to it.

FROM = "CSO Forum <forum@forum.test>"
SITE = "https://forum.test"
PASSWORD = "a long enough password"


@pytest.fixture
def inbox() -> mail.Inbox:
    return mail.Inbox()


@pytest.fixture
def smtp_port(inbox: mail.Inbox) -> Any:
    port = mail.free_port()
    server = mail.smtp_server(inbox, port)
    yield port
    server.stop()


@pytest.fixture
async def smtp_app(settings: Settings, smtp_port: int, app: Any) -> AsyncIterator[Any]:
    """The app sending through the test SMTP server. Its own sender loop is stopped so
    that each test says when the outbox is drained (`drain`), and so is the loop of the
    test's other app (`app`, which `make` and `client` use, writing to a Maildir): both
    drain the same outbox, and under load that one took the mail a test waited for. The
    notification mail loops (`notices`) of both are stopped too: a test says when
    notifications become mail (`notices.drain`, with the time it pretends it is)."""
    await app.state.mail_sender.stop()
    await app.state.notices.stop()
    configured = dataclasses.replace(
        settings, smtp=Smtp("127.0.0.1", smtp_port), mail_from=FROM, public_url=SITE
    )
    sending = create_app(configured)
    async with sending.router.lifespan_context(sending):
        await sending.state.mail_sender.stop()
        await sending.state.notices.stop()
        yield sending
