"""PostgreSQL killed hard under load (a small `bench/fault_db.py`): nothing acknowledged is
lost or doubled, resuming subscribers get every event once, the outage answers 503."""

from __future__ import annotations

from pathlib import Path

import fault_db
from fault_load import Postgres


async def test_a_database_killed_under_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    outcome = await fault_db.run(
        tmp_path, subscribers=200, rate=4, before=3, outage=3, after=6, client_procs=1
    )
    t = outcome.tally
    print("\n".join(outcome.lines()))
    assert t.acknowledged > 0
    assert t.acknowledged_once == t.acknowledged and t.doubled == 0
    assert t.subscribers == 200 and t.expected_each == t.acknowledged + t.unacknowledged_stored
    assert (t.complete, t.missing, t.duplicates, t.resyncs) == (200, 0, 0, 0)
    # During the outage replies are refused with the envelope, never left unanswered.
    assert outcome.outage_requests > 0
    assert set(outcome.outage_statuses) <= {201, 503}, outcome.outage_statuses
    assert outcome.outage_enveloped == outcome.outage_statuses[503]
    # Once a reply succeeds again, none fails on a connection the restart left stale.
    assert outcome.healthy_after is not None
    assert outcome.failures_after == 0, outcome.failures_after_codes
    # The server the run restarted is stopped with the run, not left running for ever.
    assert Postgres(tmp_path / "pg" / "postgres").running() is None
