"""Fault: one of two workers killed hard (SIGKILL) under load.

Starts an embedded PostgreSQL of its own and `forum serve --workers 2` on it, opens N
websocket subscribers to one thread (each resumes with `since` whenever its connection
ends), posts M replies a second through the API and SIGKILLs one worker process. Its
clients reconnect (to the other worker, or to the one uvicorn starts in its place) and
resume. Prints: replies acknowledged against stored exactly once, and events each
subscriber got against the thread's events (each exactly once). See bench/README.md.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import worker_pids
from fault_load import Stage, Tally, load_arguments, say, tally, tally_lines, under_load


@dataclass
class Outcome:
    tally: Tally
    killed_pid: int
    failed_replies: int  # replies without a 201 (those in flight on the killed worker)

    def lines(self) -> list[str]:
        return [
            *tally_lines(self.tally),
            f"worker {self.killed_pid} killed; replies that failed meanwhile (in flight on "
            f"it): {self.failed_replies}; reconnections: "
            f"{self.tally.connects - self.tally.subscribers}",
        ]


async def run(
    workdir: Path, subscribers: int, rate: float, before: float, after: float,
    client_procs: int = 2,
) -> Outcome:  # fmt: skip
    killed: list[int] = []

    async def kill_worker(stage: Stage) -> tuple[float, float]:
        workers = worker_pids(stage.server.pid)
        if len(workers) < 2:
            raise SystemExit(f"fault: expected 2 workers, found {len(workers)}")
        began = time.monotonic()
        os.kill(workers[0], signal.SIGKILL)  # a worker of the server this run started
        killed.append(workers[0])
        say(f"killed worker {workers[0]} with SIGKILL (the other: {workers[1:]})")
        return began, time.monotonic()

    done = await under_load(workdir, subscribers, rate, before, after, kill_worker, client_procs)
    failed = sum(a.status != 201 for a in done.posting.answers)
    return Outcome(tally(done.posting, done.stored, done.received), killed[0], failed)


def main() -> int:
    args = load_arguments(__doc__.split("\n\n")[0])
    with tempfile.TemporaryDirectory(prefix="fault-worker-") as tmp:
        outcome = asyncio.run(
            run(Path(tmp), args.subscribers, args.rate, args.before, args.after,
                args.client_procs)
        )  # fmt: skip
    print(f"\nWorker killed: {args.subscribers} subscribers, {args.rate:g} replies/s")
    for line in outcome.lines():
        print("  " + line)
    return 0 if outcome.tally.exact else 1


if __name__ == "__main__":
    sys.exit(main())
