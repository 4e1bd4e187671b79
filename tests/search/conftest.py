"""Fixtures for the Meilisearch tests: a fake server speaking its HTTP API, and a backend
pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from search.meili import MeiliBackend
from tests.search.fake_meili import KEY, QUICK, FakeMeili, running


@pytest.fixture
async def meili() -> AsyncIterator[FakeMeili]:
    async with running(KEY) as fake:
        yield fake


@pytest.fixture
async def backend(meili: FakeMeili) -> AsyncIterator[MeiliBackend]:
    b = MeiliBackend(meili.url, KEY, prefix="t_", **QUICK)
    await b.start()
    yield b
    await b.close()


# The shared suites' fixtures: every backend that can run, and knowledge objects.
from tests.search.engines import engine, hub, knowledge  # noqa: E402, F401
