from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.realtime.clients import close_members


@pytest.fixture
async def closing_members() -> AsyncIterator[None]:
    """Closes the HTTP clients of the members a test registered (`clients.member`)."""
    yield
    await close_members()
