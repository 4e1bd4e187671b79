"""Stopping background work: a lost cancellation does not hang a shutdown."""

from __future__ import annotations

import asyncio

from forum import background


async def test_a_task_that_loses_a_cancellation_is_cancelled_again(monkeypatch):
    monkeypatch.setattr(background, "UNWIND", 0.1)
    lost = 0

    async def stubborn() -> None:
        nonlocal lost
        while True:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                lost += 1
                if lost == 1:
                    continue  # as Python 3.11's wait_for loses one in a race
                raise

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await asyncio.wait_for(background.cancel([task]), 5)
    assert task.cancelled() and lost == 2


async def test_a_task_that_never_stops_is_left_behind_loudly(monkeypatch, caplog):
    monkeypatch.setattr(background, "UNWIND", 0.05)
    release = asyncio.Event()

    async def deaf() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(deaf())
    await asyncio.sleep(0)
    await asyncio.wait_for(background.cancel([task]), 5)
    assert not task.done()
    assert "did not stop when cancelled" in caplog.text
    release.set()  # let it end, so the test leaves nothing running
    task.cancel()
    await asyncio.wait_for(task, 5)
