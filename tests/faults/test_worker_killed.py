"""One of two workers killed hard under load (a small `bench/fault_worker.py`): its
clients reconnect and resume with nothing lost or doubled."""

from __future__ import annotations

from pathlib import Path

import fault_worker


async def test_clients_of_a_killed_worker_resume_with_nothing_lost(tmp_path: Path) -> None:
    outcome = await fault_worker.run(
        tmp_path, subscribers=200, rate=4, before=3, after=6, client_procs=1
    )
    t = outcome.tally
    print("\n".join(outcome.lines()))
    assert t.acknowledged > 0
    assert t.acknowledged_once == t.acknowledged and t.doubled == 0
    assert (t.complete, t.missing, t.duplicates, t.resyncs) == (200, 0, 0, 0)
    # Its clients did lose their connection, and came back.
    assert t.connects > t.subscribers
