"""The one retry policy for calls that leave the process: capped exponential backoff with
jitter, used by the Meilisearch backend for each call and by the indexer between rounds."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    base: float = 0.2  # seconds before the first retry (at most)
    cap: float = 10.0  # no wait is longer than this

    def delay(self, attempt: int) -> float:
        """The wait after `attempt` failures (0 = after the first one).

        Drawn from the upper half of the exponential step: the wait still grows, and
        clients that failed together (every worker when the server restarts) spread out.
        """
        ceiling = min(self.cap, self.base * 2 ** min(attempt, 32))
        return random.uniform(ceiling / 2, ceiling)


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    transient: Callable[[BaseException], bool],
    backoff: Backoff,
    attempts: int,
) -> T:
    """`call()`, tried up to `attempts` times while it fails with a transient error; the
    last error, or the first permanent one, propagates."""
    attempt = 0
    while True:
        try:
            return await call()
        except Exception as exc:
            attempt += 1
            if attempt >= attempts or not transient(exc):
                raise
            await asyncio.sleep(backoff.delay(attempt - 1))
