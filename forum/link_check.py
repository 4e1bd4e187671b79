"""`forum check-links`: is every resource's address still answering?

Each address gets a HEAD request, then a GET when HEAD is refused (some servers answer
HEAD with 405 or 403 and GET with the page). Hosts are checked side by side, but never
more than one request at a time per host, with a pause between two requests to the same
host: a list of a hundred review reports on one site must not look like an attack.
Nothing changes unless `mark`: then each resource records `last_checked_at`, and
`broken_since` (first failure; cleared when the link answers again). The requests run in
threads through the standard library: the core adds no HTTP client dependency, and the
database connection is not held while waiting on the network.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from forum import resources
from forum.db import Database

USER_AGENT = "forum-check-links/1 (CSO anti-corruption forum)"
HEAD_REFUSED = frozenset({403, 405, 501})
MAX_HOSTS_AT_ONCE = 8


@dataclass(frozen=True)
class Result:
    id: int
    url: str
    status: int | None  # None: no answer (see `error`)
    error: str | None

    @property
    def broken(self) -> bool:
        return self.status is None or self.status >= 400


class _StatusOnly(urllib.request.HTTPErrorProcessor):
    """Redirects are followed; 4xx/5xx come back as responses, not exceptions."""

    def http_response(self, request, response):  # type: ignore[no-untyped-def]
        if 300 <= response.status < 400:
            return super().http_response(request, response)
        return response

    https_response = http_response


class _KeepMethod(urllib.request.HTTPRedirectHandler):
    """A HEAD that is redirected stays a HEAD (urllib would turn it into a GET)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and req.get_method() == "HEAD":
            new.method = "HEAD"
        return new


_OPENER = urllib.request.build_opener(_StatusOnly, _KeepMethod)


def _request(url: str, method: str, timeout: float) -> int:
    req = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
    with _OPENER.open(req, timeout=timeout) as response:
        if method == "GET":
            response.read(1024)  # enough to know it answers; never the whole document
        return int(response.status)


def probe(url: str, timeout: float) -> tuple[int | None, str | None]:
    """(status, None) or (None, what went wrong)."""
    try:
        status = _request(url, "HEAD", timeout)
        if status in HEAD_REFUSED:
            status = _request(url, "GET", timeout)
        return status, None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, str(reason) or type(exc).__name__


async def check(
    links: list[resources.Link], *, delay: float = 1.0, per_request: float = 10.0
) -> list[Result]:
    """Every link's result, in the order given; `per_request`: seconds before giving up
    on one address."""
    by_host: dict[str, list[resources.Link]] = defaultdict(list)
    for link in links:
        by_host[(urlsplit(link.url).hostname or "").lower()].append(link)
    found: dict[int, Result] = {}
    hosts_at_once = asyncio.Semaphore(MAX_HOSTS_AT_ONCE)

    async def one_host(queue: list[resources.Link]) -> None:
        async with hosts_at_once:
            for n, link in enumerate(queue):
                if n:
                    await asyncio.sleep(delay)
                status, error = await asyncio.to_thread(probe, link.url, per_request)
                found[link.id] = Result(link.id, link.url, status, error)

    await asyncio.gather(*(one_host(queue) for queue in by_host.values()))
    return [found[link.id] for link in links]


async def run(
    db: Database, *, mark: bool = False, delay: float = 1.0, per_request: float = 10.0
) -> list[Result]:
    """Check every resource's link; with `mark`, record the outcome on each."""
    async with db.transaction() as session:
        links = await resources.links(session)
    results = await check(links, delay=delay, per_request=per_request)
    if mark:
        async with db.transaction() as session:
            for result in results:
                await resources.record_check(session, result.id, result.url, result.broken)
    return results
