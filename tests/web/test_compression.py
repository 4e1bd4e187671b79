"""HTML, JSON and assets travel gzip-compressed to clients that accept it (readers on
slow, paid links), with the security headers still on; small answers and the websocket
are left alone."""

from __future__ import annotations

import gzip

import httpx
from websockets.asyncio.client import connect

from tests.realtime.clients import send, until, ws_url
from tests.web.test_headers import assert_secured
from web import assets

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


async def _raw(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
    """The answer as sent: its body not decoded."""
    async with client.stream("GET", url, headers=headers) as r:
        r.raw_body = b"".join([chunk async for chunk in r.aiter_raw()])  # type: ignore[attr-defined]
    return r


async def test_a_thread_page_is_served_gzip_encoded_to_a_client_that_accepts_it(client, make):
    thread = await make.thread(body="Who audits the *tenders*? " * 40)
    url = f"/threads/{thread['thread']['id']}"
    packed = await _raw(client, url, GZIP)
    plain = await _raw(client, url, IDENTITY)
    assert packed.status_code == plain.status_code == 200
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert "content-encoding" not in plain.headers
    html = gzip.decompress(packed.raw_body)  # type: ignore[attr-defined]
    for body in (html, plain.raw_body):  # type: ignore[attr-defined]
        assert body.startswith(b"<!doctype html>")
        assert body.count(b"Who audits the <em>tenders</em>?") == 40
    # (The two differ only in the live cursor they carry.)
    assert len(packed.raw_body) < len(plain.raw_body) / 2  # type: ignore[attr-defined]
    assert_secured(packed)
    assert_secured(plain)


async def test_personal_pages_json_and_assets_are_compressed_and_keep_their_headers(client, make):
    me = await make.logged_in()
    thread = await make.thread(me.user, body="Asset declarations, year by year. " * 40)
    page = await _raw(me, f"/threads/{thread['thread']['id']}", GZIP)
    assert page.headers["content-encoding"] == "gzip"
    assert page.headers["cache-control"] == "no-store"  # a member's page is never kept
    assert_secured(page)
    api = await _raw(client, f"/api/v1/threads/{thread['thread']['id']}", GZIP)
    assert api.headers["content-encoding"] == "gzip"
    assert_secured(api)
    css = await _raw(client, assets.url("forum.css"), GZIP)
    plain_css = await _raw(client, assets.url("forum.css"), IDENTITY)
    assert css.status_code == plain_css.status_code == 200
    assert css.headers["content-encoding"] == "gzip"
    assert gzip.decompress(css.raw_body) == plain_css.raw_body  # type: ignore[attr-defined]
    assert_secured(css)
    await me.aclose()


async def test_small_answers_are_sent_as_they_are(client):
    r = await _raw(client, "/api/v1/threads/999999", GZIP)  # a short JSON 404
    assert r.status_code == 404
    assert "content-encoding" not in r.headers
    assert_secured(r)


async def test_the_websocket_is_not_compressed_by_the_http_middleware(served):
    async with connect(ws_url(served), additional_headers=GZIP) as ws:
        await send(ws, op="ping")
        await until(ws, lambda f: f["op"] == "pong")
