"""`forum check-links` against a local HTTP server: broken links reported (status or
error), HEAD refused falls back to GET, redirects followed, one request at a time per host
with a pause between, nothing changed without `--mark`, and with it `broken_since` kept
from the first failure and cleared once the link answers again."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from forum import catalog, link_check, resources
from forum.models import Resource, Role
from forum.permissions import Actor
from tests.servers import run_forum

EDITOR = Actor(0, Role.ADMIN)


class Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.most_at_once = 0
        self.starts: list[tuple[str, float]] = []
        self.seen: list[tuple[str, str]] = []
        self.gone: set[str] = {"/gone"}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Site

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, with_body: bool) -> None:
        site, host = self.server, self.headers["Host"]
        with site.lock:
            site.in_flight[host] = site.in_flight.get(host, 0) + 1
            site.most_at_once = max(site.most_at_once, site.in_flight[host])
            site.starts.append((host, time.monotonic()))
            site.seen.append((self.command, self.path))
        try:
            time.sleep(0.02)  # long enough for a second request to overlap, if one were sent
            if self.path in site.gone:
                status = 404
            elif self.path == "/nohead" and self.command == "HEAD":
                status = 405
            elif self.path == "/moved":
                self.send_response(301)
                self.send_header("Location", "/ok")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            else:
                status = 200
            body = b"hello"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)
        finally:
            with site.lock:
                site.in_flight[host] -= 1

    def do_HEAD(self) -> None:
        self._answer(False)

    def do_GET(self) -> None:
        self._answer(True)


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()
    return port


async def _add(db, urls: list[str]) -> list[int]:
    ids = []
    async with db.transaction() as s:
        cat = await catalog.load(s)
        for n, url in enumerate(urls):
            entry = resources.Entry(title=f"Link {n}", url=url, kind="guide")
            ids.append((await resources.create(s, EDITOR, cat, entry)).id)
    return ids


async def _marks(db) -> dict[int, tuple]:
    async with db.transaction() as s:
        rows = await s.execute(select(Resource.id, Resource.last_checked_at, Resource.broken_since))
        return {r.id: (r.last_checked_at, r.broken_since) for r in rows}


async def test_broken_links_are_reported_and_nothing_changes(db, site):
    dead = f"http://127.0.0.1:{_closed_port()}/x"
    urls = [
        f"{site.base}/ok",
        f"{site.base}/gone",
        f"{site.base}/nohead",
        f"{site.base}/moved",
        dead,
    ]
    ids = await _add(db, urls)
    before = await _marks(db)
    results = await link_check.run(db, delay=0.05, per_request=5)
    assert [r.id for r in results] == ids
    by_url = {r.url: r for r in results}
    assert by_url[f"{site.base}/ok"].status == 200 and not by_url[f"{site.base}/ok"].broken
    assert by_url[f"{site.base}/gone"].status == 404 and by_url[f"{site.base}/gone"].broken
    assert by_url[f"{site.base}/nohead"].status == 200  # GET after HEAD was refused
    assert ("GET", "/nohead") in site.seen and ("GET", "/ok") not in site.seen
    assert by_url[f"{site.base}/moved"].status == 200  # the redirect was followed
    assert by_url[dead].status is None and by_url[dead].error and by_url[dead].broken
    assert await _marks(db) == before  # no --mark: nothing recorded


async def test_one_request_at_a_time_per_host_with_a_pause(db, site):
    await _add(db, [f"{site.base}/ok?n={n}" for n in range(4)])
    await link_check.run(db, delay=0.2, per_request=5)
    assert site.most_at_once == 1
    times = [t for _, t in site.starts]
    assert len(times) == 4
    assert all(b - a >= 0.2 for a, b in itertools.pairwise(times))


async def test_mark_records_and_keeps_the_first_failure(db, site):
    good, bad = await _add(db, [f"{site.base}/ok", f"{site.base}/flaky"])
    site.gone.add("/flaky")
    await link_check.run(db, mark=True, delay=0, per_request=5)
    first = await _marks(db)
    assert first[good][0] is not None and first[good][1] is None
    assert first[bad][0] is not None and first[bad][1] is not None
    await link_check.run(db, mark=True, delay=0, per_request=5)
    second = await _marks(db)
    assert second[bad][1] == first[bad][1] and second[bad][0] > first[bad][0]
    site.gone.discard("/flaky")
    await link_check.run(db, mark=True, delay=0, per_request=5)
    assert (await _marks(db))[bad][1] is None


async def test_a_link_changed_during_the_check_is_not_marked(db, site):
    (rid,) = await _add(db, [f"{site.base}/gone"])
    async with db.transaction() as s:
        links = await resources.links(s)
    results = await link_check.check(links, delay=0, per_request=5)
    async with db.transaction() as s:
        cat = await catalog.load(s)
        await resources.update_entry(s, EDITOR, cat, rid, {"url": f"{site.base}/ok"})
        for r in results:
            await resources.record_check(s, r.id, r.url, r.broken)
    assert (await _marks(db))[rid] == (None, None)


async def test_the_command(db, site, server_env):
    await _add(db, [f"{site.base}/ok", f"{site.base}/gone"])
    found = run_forum(server_env, "check-links", "--delay", "0")
    assert found.returncode == 1, found.stderr
    assert f"broken\t2\t{site.base}/gone\t404" in found.stdout
    assert "2 links checked, 1 broken" in found.stdout
    assert (await _marks(db))[2] == (None, None)
    marked = run_forum(server_env, "check-links", "--delay", "0", "--mark")
    assert "(marked)" in marked.stdout and (await _marks(db))[2][1] is not None
    refused = run_forum(server_env, "check-links", "--timeout", "0")
    assert refused.returncode == 2 and "--timeout" in refused.stderr
