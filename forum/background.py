"""Background tasks a service owns for its lifetime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger("forum")

# A task gets this long to unwind after each cancellation before it is cancelled again.
UNWIND = 5.0
ATTEMPTS = 3


async def cancel(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Cancel the tasks and wait until each has finished unwinding.

    A cancellation can be lost (a task that catches it, or Python 3.11's `wait_for` when
    what it waits on completes at the same moment), and a shutdown must not wait forever
    for it: a task still running after UNWIND is cancelled again, and after ATTEMPTS the
    shutdown goes on without it, loudly.
    """
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    for _ in range(ATTEMPTS):
        if not pending:
            break
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=UNWIND)
    for task in pending:
        log.error("background task %s did not stop when cancelled", task.get_coro())
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.warning("background task %s had failed: %r", task.get_coro(), task.exception())
