"""Fault: PostgreSQL killed hard under load, then started again.

Starts an embedded PostgreSQL of its own (in a temporary folder) and `forum serve
--workers 2` on it, opens N websocket subscribers to one thread (each resumes with
`since` whenever its connection ends), posts M replies a second through the API, SIGKILLs
the postmaster, starts it again a few seconds later, and keeps posting. Prints: replies
acknowledged against replies stored exactly once; events each subscriber got against the
thread's events (each exactly once); how requests during the outage failed, and how fast;
how long until replies succeed again after the database is back; failures after that.
See bench/README.md.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fault_load import HANG, Stage, Tally, load_arguments, say, tally, tally_lines, under_load


@dataclass
class Outcome:
    tally: Tally
    outage_requests: int = 0
    outage_statuses: Counter = field(default_factory=Counter)
    outage_enveloped: int = 0  # 503 answers with the error envelope
    outage_slowest: float = 0.0
    outage_median: float = 0.0
    outage_hung: int = 0  # unanswered within HANG seconds
    healthy_after: float | None = None  # seconds from the database's return to a 201
    failures_after: int = 0  # non-201 answers to replies sent after that
    failures_after_codes: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.outage_statuses.items(), key=str))
        healthy = "never" if self.healthy_after is None else f"{self.healthy_after:.2f} s"
        after = ", ".join(f"{k}: {v}" for k, v in self.failures_after_codes.items())
        return [
            *tally_lines(self.tally),
            f"requests during the outage: {self.outage_requests} ({statuses or 'none'}); "
            f"503 with the error envelope: {self.outage_enveloped}; answered in median "
            f"{self.outage_median:.3f} s, slowest {self.outage_slowest:.2f} s; "
            f"longer than {HANG:.0f} s: {self.outage_hung}",
            f"replies succeed again {healthy} after the database is back (goal < 10 s)",
            f"failed replies after that: {self.failures_after}"
            + (f" ({after})" if after else "")
            + " (goal 0)",
        ]


async def run(
    workdir: Path, subscribers: int, rate: float, before: float, outage: float, after: float,
    client_procs: int = 2,
) -> Outcome:  # fmt: skip
    async def kill_and_restart(stage: Stage) -> tuple[float, float]:
        killed_at = time.monotonic()
        pid = stage.postgres.kill()
        say(f"killed the postmaster (pid {pid}) with SIGKILL")
        await asyncio.sleep(outage)
        await asyncio.to_thread(stage.postgres.restart)
        back_at = time.monotonic()
        say(f"PostgreSQL is back after {back_at - killed_at:.1f} s")
        return killed_at, back_at

    done = await under_load(
        workdir, subscribers, rate, before, after, kill_and_restart, client_procs
    )
    posting, (killed_at, back_at) = done.posting, done.fault
    outcome = Outcome(tally(posting, done.stored, done.received))
    during = posting.between(killed_at, back_at)
    outcome.outage_requests = len(during)
    outcome.outage_statuses = Counter(a.status or a.error for a in during)
    outcome.outage_enveloped = sum(a.status == 503 and a.envelope for a in during)
    if during:
        outcome.outage_slowest = max(a.seconds for a in during)
        outcome.outage_median = statistics.median(a.seconds for a in during)
    outcome.outage_hung = sum(a.seconds > HANG or a.status is None for a in during)
    first = min(
        (a for a in posting.answers if a.status == 201 and a.sent + a.seconds >= back_at),
        key=lambda a: a.sent,
        default=None,
    )
    if first is not None:
        outcome.healthy_after = max(0.0, first.sent + first.seconds - back_at)
        later = [a for a in posting.answers if a.sent > first.sent and a.status != 201]
        outcome.failures_after = len(later)
        outcome.failures_after_codes = Counter(a.error or a.status for a in later)
    return outcome


def main() -> int:
    args = load_arguments(__doc__.split("\n\n")[0], ("--outage", 5.0, "seconds PostgreSQL is down"))
    with tempfile.TemporaryDirectory(prefix="fault-db-") as tmp:
        outcome = asyncio.run(
            run(Path(tmp), args.subscribers, args.rate, args.before, args.outage, args.after,
                args.client_procs)
        )  # fmt: skip
    print(f"\nPostgreSQL killed: {args.subscribers} subscribers, {args.rate:g} replies/s, "
          f"{args.outage:g} s down")  # fmt: skip
    for line in outcome.lines():
        print("  " + line)
    return 0 if outcome.tally.exact else 1


if __name__ == "__main__":
    sys.exit(main())
