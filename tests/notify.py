"""Waiting for the notifier (a background consumer of the event log) in tests."""

from __future__ import annotations

import asyncio
from typing import Any

from forum import events


async def settle(app: Any) -> None:
    """Until the app's notifier has fanned out everything written so far (whether this
    call or its background task does the work)."""
    async with app.state.db.transaction() as conn:
        head = await events.head(conn)
    for _ in range(400):
        await app.state.notifier.catch_up()
        at = await app.state.notifier.position()
        if at is not None and at >= head:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the notifier did not catch up")
