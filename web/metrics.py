"""`/metrics`: the Prometheus text format, written by hand.

Counters live in the worker that served the request, and every series carries a `worker`
label with its process id. A scrape reaches one worker; under `forum serve --workers N`
each worker also writes a snapshot of its counters to a folder the serving process made
(`FORUM_METRICS_DIR`), so any worker answers for all of them (the others as of their last
snapshot, at most SHARE_EVERY old). The same idea as `prometheus_client`'s multiprocess
mode, for a handful of series, without its mmap files and per-metric merge modes.

Gauges that describe the whole forum (outbox depth) are read from the database at scrape
time; event lag is this worker's hub against the log.

Only addresses in `FORUM_METRICS_ALLOW` (default loopback) or a request with
`Authorization: Bearer <FORUM_METRICS_TOKEN>` get an answer; anyone else gets the same 404
as for a page that does not exist.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import hmac
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import orjson
import psutil
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from forum import background, events
from forum.mail import outbox

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds: from a cached thread read (~2 ms) to a request that is surely too slow.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SCRAPE_TIMEOUT = 2.0
SHARE_EVERY = 5.0

log = logging.getLogger("forum.web")


@dataclass
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds

    def shared(self) -> list[Any]:
        return [self.counts, self.total]


def _histogram_lines(name: str, labels: str, shared: list[Any]) -> list[str]:
    counts, total = shared
    out, running = [], 0
    for bound, count in zip((*BUCKETS, "+Inf"), counts, strict=True):
        running += count
        out.append(f'{name}_bucket{{{labels},le="{bound}"}} {running}')
    out.append(f"{name}_sum{{{labels}}} {total}")
    out.append(f"{name}_count{{{labels}}} {running}")
    return out


class Metrics:
    """This worker's counters; the app holds one, the request middleware feeds it.

    With `folder` (set by `forum serve` for its workers), each worker writes a snapshot
    of its counters there every SHARE_EVERY seconds, and a scrape answers for every live
    worker: its own counters as they are, the others' as of their last snapshot.
    """

    def __init__(self) -> None:
        self.worker = str(os.getpid())
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.durations: dict[str, Histogram] = {}
        self.search = Histogram()
        self.websockets = 0
        self.refused_handshakes: Counter[int] = Counter()
        self._folder: Path | None = None
        self._task: asyncio.Task[None] | None = None

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests[(method, route, status)] += 1
        if route not in self.durations:
            self.durations[route] = Histogram()
        self.durations[route].observe(seconds)

    def observe_refused_handshake(self, status: int) -> None:
        """A websocket handshake refused before it was upgraded: over a limit (429), the
        database away (503), a foreign origin (403)."""
        self.refused_handshakes[status] += 1

    def observe_search(self, seconds: float) -> None:
        self.search.observe(seconds)

    async def start(self, folder: Path | None) -> None:
        self._folder = folder
        if folder is not None:
            self._task = asyncio.create_task(self._share_regularly())

    async def stop(self) -> None:
        if self._task is not None:
            await background.cancel([self._task])
        if self._folder is not None:
            (self._folder / f"{self.worker}.json").unlink(missing_ok=True)

    def snapshot(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "requests": [[*key, n] for key, n in self.requests.items()],
            "durations": {route: h.shared() for route, h in self.durations.items()},
            "search": self.search.shared(),
            "websockets": self.websockets,
            "refused_handshakes": sorted(self.refused_handshakes.items()),
        }

    def _share(self) -> None:
        assert self._folder is not None
        target = self._folder / f"{self.worker}.json"
        partial = target.with_suffix(".partial")
        partial.write_bytes(orjson.dumps(self.snapshot()))
        partial.replace(target)  # a scrape never reads half a snapshot

    async def _share_regularly(self) -> None:
        while True:
            try:
                self._share()
            except OSError as exc:  # a full disk: the scrape shows this worker alone
                log.warning("metrics snapshot not written: %s", exc)
            await asyncio.sleep(SHARE_EVERY)

    def gathered(self) -> list[dict[str, Any]]:
        """This worker's counters now and the last snapshot of every other live one."""
        found = [self.snapshot()]
        for path in self._folder.glob("*.json") if self._folder else ():
            if path.stem == self.worker or not path.stem.isdigit():
                continue
            if not psutil.pid_exists(int(path.stem)):
                continue  # a worker that died: its counters went with it
            with contextlib.suppress(OSError, ValueError):
                found.append(orjson.loads(path.read_bytes()))
        return found

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        workers = self.gathered()
        lines = [
            "# HELP forum_requests_total HTTP requests answered, by route template and status.",
            "# TYPE forum_requests_total counter",
        ]
        for snap in workers:
            w = f'worker="{snap["worker"]}"'
            for method, route, status, n in sorted(snap["requests"]):
                labels = f'{w},method="{method}",route="{_escape(route)}",status="{status}"'
                lines.append(f"forum_requests_total{{{labels}}} {n}")
        lines += [
            "# HELP forum_request_duration_seconds Time to answer an HTTP request.",
            "# TYPE forum_request_duration_seconds histogram",
        ]
        for snap in workers:
            for route, shared in sorted(snap["durations"].items()):
                labels = f'worker="{snap["worker"]}",route="{_escape(route)}"'
                lines += _histogram_lines("forum_request_duration_seconds", labels, shared)
        lines += [
            "# HELP forum_search_duration_seconds Time the search backend took per search.",
            "# TYPE forum_search_duration_seconds histogram",
        ]
        for snap in workers:
            w = f'worker="{snap["worker"]}"'
            lines += _histogram_lines("forum_search_duration_seconds", w, snap["search"])
        lines += [
            "# HELP forum_websockets_open Websocket connections open, per worker.",
            "# TYPE forum_websockets_open gauge",
        ]
        lines += [
            f'forum_websockets_open{{worker="{s["worker"]}"}} {s["websockets"]}' for s in workers
        ]
        lines += [
            "# HELP forum_websocket_refusals_total Websocket handshakes refused, by status.",
            "# TYPE forum_websocket_refusals_total counter",
        ]
        for snap in workers:
            w = f'worker="{snap["worker"]}"'
            for status, n in snap["refused_handshakes"]:
                lines.append(f'forum_websocket_refusals_total{{{w},status="{status}"}} {n}')
        w = f'worker="{self.worker}"'
        for name, (help_, value) in gauges.items():
            lines += [f"# HELP {name} {help_}", f"# TYPE {name} gauge", f"{name}{{{w}}} {value}"]
        return "\n".join(lines) + "\n"


async def endpoint(request: Request) -> PlainTextResponse:
    state = request.app.state
    if not _allowed(request):
        raise HTTPException(404)
    gauges: dict[str, tuple[str, float]] = {}
    try:
        async with asyncio.timeout(SCRAPE_TIMEOUT), state.db.transaction() as session:
            depth = await outbox.due_count(session)
            waiting = await events.read(session, state.realtime.position, 1)
        lag = (datetime.now(UTC) - waiting[0].at).total_seconds() if waiting else 0.0
        gauges["forum_outbox_due"] = ("Emails due to be sent now.", depth)
        gauges["forum_event_lag_seconds"] = (
            "Age of the oldest finished event this worker's hub has not delivered (0: none).",
            max(lag, 0.0),
        )
        up = 1
    except Exception:  # the database is away: the counters still answer
        up = 0
    gauges["forum_database_up"] = ("Whether this scrape could read the database.", up)
    metrics: Metrics = state.metrics
    return PlainTextResponse(metrics.render(gauges), media_type=CONTENT_TYPE)


def _allowed(request: Request) -> bool:
    settings = request.app.state.settings
    token = settings.metrics_token
    given = request.headers.get("authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ip_address(request.client.host if request.client else "")
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped  # type: ignore[union-attr]
    return any(address in network for network in settings.metrics_allow)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
