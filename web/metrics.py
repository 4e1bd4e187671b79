"""`/metrics`: the Prometheus text format, written by hand, for this worker process.

Counters live in the worker that served the request (no shared memory between uvicorn
workers), and every series carries a `worker` label with the process id, so series of
different workers never add up wrongly. A scrape reaches one worker: with several
workers, scrape each (or sum what the scrapes saw over time, as Prometheus does with
per-instance counters). `prometheus_client`'s multiprocess mode would merge them through
files in a shared folder; the handful of series here did not justify that machinery.

Gauges that describe the whole forum (outbox depth) are read from the database at scrape
time; event lag is this worker's hub against the log.

Only addresses in `FORUM_METRICS_ALLOW` (default loopback) or a request with
`Authorization: Bearer <FORUM_METRICS_TOKEN>` get an answer; anyone else gets the same 404
as for a page that does not exist.
"""

from __future__ import annotations

import asyncio
import bisect
import hmac
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import ip_address

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from forum import events
from forum.mail import outbox

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds: from a cached thread read (~2 ms) to a request that is surely too slow.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SCRAPE_TIMEOUT = 2.0


@dataclass
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds

    def lines(self, name: str, labels: str) -> list[str]:
        out, running = [], 0
        sep = "," if labels else ""
        for bound, count in zip((*BUCKETS, "+Inf"), self.counts, strict=True):
            running += count
            out.append(f'{name}_bucket{{{labels}{sep}le="{bound}"}} {running}')
        out.append(f"{name}_sum{{{labels}}} {self.total}")
        out.append(f"{name}_count{{{labels}}} {running}")
        return out


class Metrics:
    """This worker's counters; the app holds one, the request middleware feeds it."""

    def __init__(self) -> None:
        self.worker = str(os.getpid())
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.durations: dict[str, Histogram] = {}
        self.search = Histogram()
        self.websockets = 0

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests[(method, route, status)] += 1
        if route not in self.durations:
            self.durations[route] = Histogram()
        self.durations[route].observe(seconds)

    def observe_search(self, seconds: float) -> None:
        self.search.observe(seconds)

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        w = f'worker="{self.worker}"'
        lines = [
            "# HELP forum_requests_total HTTP requests answered, by route template and status.",
            "# TYPE forum_requests_total counter",
        ]
        for (method, route, status), n in sorted(self.requests.items()):
            labels = f'{w},method="{method}",route="{_escape(route)}",status="{status}"'
            lines.append(f"forum_requests_total{{{labels}}} {n}")
        lines += [
            "# HELP forum_request_duration_seconds Time to answer an HTTP request.",
            "# TYPE forum_request_duration_seconds histogram",
        ]
        for route, histogram in sorted(self.durations.items()):
            labels = f'{w},route="{_escape(route)}"'
            lines += histogram.lines("forum_request_duration_seconds", labels)
        lines += [
            "# HELP forum_search_duration_seconds Time the search backend took per search.",
            "# TYPE forum_search_duration_seconds histogram",
            *self.search.lines("forum_search_duration_seconds", w),
            "# HELP forum_websockets_open Websocket connections open in this worker.",
            "# TYPE forum_websockets_open gauge",
            f"forum_websockets_open{{{w}}} {self.websockets}",
        ]
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
