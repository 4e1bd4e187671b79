"""What an operator runs the forum with: health and readiness for load balancers, request
ids, JSON request logs that keep secrets out, and `/metrics` for Prometheus, kept from
the public. Against the real app on a real PostgreSQL, and a real `forum serve`."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
from typing import Any

import httpx
import orjson
import pytest
import websockets
from sqlalchemy import text

from forum.config import ConfigError, Settings
from forum.db import Database
from tests import factories
from tests.metrics import series
from tests.servers import Served
from web import logs, metrics

PASSWORD = "a long enough password"


async def _ready(client: httpx.AsyncClient) -> httpx.Response:
    # The listener connects in the background right after start.
    for _ in range(100):
        r = await client.get("/readyz")
        if r.status_code == 200:
            return r
        await asyncio.sleep(0.05)
    return r


def _metric(body: str, name: str, **labels: str) -> float:
    found = series(body, name, **labels)
    assert found is not None, f"no {name} {labels} in /metrics"
    return found


# Health and readiness


async def test_healthz_and_readyz_answer_without_a_session(client, app):
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = await _ready(client)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "listener": "ok"},
    }
    assert "set-cookie" not in r.headers
    assert r.headers["cache-control"] == "no-store"


async def test_readyz_names_what_is_not_ready(client, app, db):
    await _ready(client)
    async with db.transaction() as s:
        await s.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"] == {"database": "ok", "migrations": "behind", "listener": "ok"}
    # The listener gone (as while the database restarts): not ready either.
    await app.state.realtime.stop()
    r = await client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["listener"] == "disconnected"
    assert (await client.get("/healthz")).status_code == 200, "the process still serves"


async def test_readyz_is_503_fast_when_the_database_is_unreachable(client, app):
    await _ready(client)
    real = app.state.db
    # A server that is not there (nothing listens on port 1).
    app.state.db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/forum", pool_size=1)
    try:
        started = asyncio.get_running_loop().time()
        r = await client.get("/readyz")
        assert asyncio.get_running_loop().time() - started < 3
    finally:
        await app.state.db.dispose()
        app.state.db = real
    assert r.status_code == 503
    assert r.json()["checks"]["database"] == "unreachable"
    assert (await client.get("/healthz")).status_code == 200


# Request ids


async def test_request_id_is_honoured_when_well_formed_and_made_otherwise(client):
    r = await client.get("/api/v1/regions", headers={"X-Request-ID": "lb-7f3a.42"})
    assert r.headers["x-request-id"] == "lb-7f3a.42"
    for bad in ("has space", "x" * 200, 'quote"', ""):
        r = await client.get("/api/v1/regions", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"]), bad
    first = (await client.get("/healthz")).headers["x-request-id"]
    assert first != (await client.get("/healthz")).headers["x-request-id"]


# Logs


async def test_json_request_lines_keep_secrets_out(client, make):
    stream = io.StringIO()
    logs.configure("json", stream)
    try:
        user = await make.user(email="logged@example.org")
        thread = (await make.thread(user))["thread"]
        secret_headers = {"X-Request-ID": "trace-1", "Cookie": "forum_session=sekrit-c"}
        await client.get(f"/threads/{thread['id']}?token=sekrit-in-query", headers=secret_headers)
        login = {"email": "logged@example.org", "password": factories.PASSWORD}
        await client.post("/api/v1/auth/login", json=login)
        # Emailed links carry their token in the path, matched or mistyped.
        await client.get("/password/reset/sekrit-reset-token-0123456789abcdef")
        await client.get("/verify/sekrit-verify-token-0123456789abcdef/")
    finally:
        logs.configure("text")
    text_ = stream.getvalue()
    lines = [json.loads(line) for line in text_.splitlines()]
    page = next(line for line in lines if line.get("request_id") == "trace-1")
    assert page["route"] == "/threads/{thread_id}"
    assert page["path"] == f"/threads/{thread['id']}"
    assert page["method"] == "GET" and page["status"] == 200
    assert page["duration_ms"] > 0 and isinstance(page["pid"], int)
    assert page["logger"] == "forum.requests" and page["level"] == "info"
    login = next(line for line in lines if line.get("route") == "/api/v1/auth/login")
    assert login["status"] == 200
    reset = next(line for line in lines if line.get("route") == "/password/reset/{token}")
    assert reset["path"] == "/password/reset/[redacted]"
    assert any(line.get("path") == "/verify/[redacted]/" for line in lines)
    for secret in ("sekrit", factories.PASSWORD, "forum_session", "Monitoring tenders"):
        assert secret not in text_


class _FullDisk(io.StringIO):
    def write(self, _s: str) -> int:
        raise OSError(28, "No space left on device")


async def test_a_log_that_cannot_be_written_does_not_stop_serving(client):
    handler = logs.configure("json", _FullDisk())
    try:
        for _ in range(3):
            assert (await client.get("/api/v1/regions")).status_code == 200
            assert (await client.get("/")).status_code == 200
    finally:
        logs.configure("text")
    assert handler is not None and handler.dropped >= 6


def test_forum_serve_logs_json_lines_and_counts_for_all_its_workers(server_env):
    served = Served({**server_env, "FORUM_LOG_FORMAT": "json"}, "--workers", "2")
    try:
        ids = []
        for _ in range(10):
            r = httpx.get(served.url + "/api/v1/threads/999999")
            ids.append(r.headers["x-request-id"])
        assert httpx.get(served.url + "/healthz").status_code == 200
        # Whichever worker answers the scrape counts the other's requests too (as of its
        # last snapshot, at most SHARE_EVERY seconds old).
        time.sleep(metrics.SHARE_EVERY + 1)
        scraped = httpx.get(served.url + "/metrics").text
        route = "/api/v1/threads/{thread_id}"
        assert _metric(scraped, "forum_requests_total", route=route, status="404") == 10
    finally:
        out = served.stop()
    lines = [orjson.loads(line) for line in out.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line.get("request_id") in ids]
    assert len(ours) == 10
    assert {line["route"] for line in ours} == {route}
    assert {line["path"] for line in ours} == {"/api/v1/threads/999999"}
    assert {line["status"] for line in ours} == {404}
    assert len({line["pid"] for line in lines if "pid" in line}) <= 2


# Metrics


async def test_metrics_are_hidden_from_other_addresses_unless_given_the_token(app, settings):
    outsider = factories.client(app, address="203.0.113.9")
    r = await outsider.get("/metrics")
    assert r.status_code == 404
    other = await outsider.get("/no-such-page")
    assert r.headers["content-type"] == other.headers["content-type"], "the same 404 as any"
    assert (
        r.text.replace("/metrics", "/no-such-page").split('name="csrf"')[0]
        == (other.text.split('name="csrf"')[0])
    )
    assert "forum_requests_total" not in r.text
    assert (
        await outsider.get("/metrics", headers={"Authorization": "Bearer wrong"})
    ).status_code == 404
    app.state.settings = settings.__class__(**{**settings.__dict__, "metrics_token": "t" * 40})
    r = await outsider.get("/metrics", headers={"Authorization": "Bearer " + "t" * 40})
    assert r.status_code == 200 and "forum_requests_total" in r.text
    local = factories.client(app)  # 127.0.0.1
    assert (await local.get("/metrics")).status_code == 200
    ipv6 = factories.client(app, address="::1")
    assert (await ipv6.get("/metrics")).status_code == 200


async def test_each_metric_moves(client, app, make):
    async def metrics() -> str:
        r = await client.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
        return r.text

    before = await metrics()
    thread = (await make.thread())["thread"]
    for _ in range(3):
        assert (await client.get(f"/threads/{thread['id']}")).status_code == 200
    assert (await client.get("/threads/999999")).status_code == 404
    assert (await client.get("/api/v1/search", params={"q": "tenders"})).status_code == 200
    after = await metrics()
    route = "/threads/{thread_id}"

    def moved(name: str, **labels: str) -> float:
        return _metric(after, name, **labels) - (series(before, name, **labels) or 0.0)

    assert moved("forum_requests_total", route=route, status="200") == 3
    assert moved("forum_requests_total", route=route, status="404") == 1
    assert moved("forum_request_duration_seconds_count", route=route) == 4
    assert moved("forum_search_duration_seconds_count") == 1
    assert _metric(after, "forum_database_up") == 1
    # Route templates only: no ids, words searched for or titles reach the scraper.
    assert "tenders" not in after and "Monitoring" not in after
    assert f"/threads/{thread['id']}" not in after

    # Outbox depth: mail waiting while the sender is stopped.
    await app.state.mail_sender.stop()
    was = _metric(after, "forum_outbox_due")
    r = await client.post("/api/v1/auth/register", json={
        "email": "new@example.org", "display_name": "New", "password": PASSWORD})  # fmt: skip
    assert r.status_code == 201, r.text
    assert _metric(await metrics(), "forum_outbox_due") > was

    # Event lag: events the hub has not delivered, while its listener is away.
    assert _metric(await metrics(), "forum_event_lag_seconds") == 0
    await app.state.realtime.stop()
    await make.reply(thread["id"])
    await asyncio.sleep(0.2)
    assert _metric(await metrics(), "forum_event_lag_seconds") > 0


async def test_websockets_open_is_counted_on_a_running_server(server_env):
    served = await asyncio.to_thread(Served, server_env)
    try:

        def gauge() -> float:
            return _metric(httpx.get(served.url + "/metrics").text, "forum_websockets_open")

        assert await asyncio.to_thread(gauge) == 0
        url = served.url.replace("http", "ws") + "/ws"
        sockets: list[Any] = [await websockets.connect(url) for _ in range(3)]
        assert await asyncio.to_thread(gauge) == 3
        for s in sockets:
            await s.close()
        for _ in range(50):
            if await asyncio.to_thread(gauge) == 0:
                break
            await asyncio.sleep(0.05)
        assert await asyncio.to_thread(gauge) == 0
    finally:
        await asyncio.to_thread(served.stop)


# Settings


def test_bad_operations_settings_stop_with_one_line():
    base = {"FORUM_DATABASE_URL": "postgresql://db/forum", "FORUM_SECRET_KEY": "k" * 40}
    with pytest.raises(ConfigError, match="FORUM_LOG_FORMAT must be one of text, json"):
        Settings.from_env({**base, "FORUM_LOG_FORMAT": "xml"})
    with pytest.raises(ConfigError, match="FORUM_METRICS_ALLOW must list addresses"):
        Settings.from_env({**base, "FORUM_METRICS_ALLOW": "10.0.0.0/8, nowhere"})
    given = Settings.from_env({**base, "FORUM_METRICS_ALLOW": "10.1.2.3/8, 2001:db8::/32"})
    assert [str(n) for n in given.metrics_allow] == ["10.0.0.0/8", "2001:db8::/32"]
    assert [str(n) for n in Settings.from_env(base).metrics_allow] == ["127.0.0.1/32", "::1/128"]
