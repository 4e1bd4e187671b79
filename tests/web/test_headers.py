"""Security headers on every answer; HSTS over HTTPS only; personal answers never stored,
static assets cached for good."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from tests import factories
from web import assets

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def assert_secured(r: httpx.Response) -> None:
    where = f"{r.request.method} {r.request.url.path} ({r.status_code})"
    assert r.headers["content-security-policy"] == CSP, where
    assert r.headers["referrer-policy"] == "same-origin", where
    assert r.headers["x-content-type-options"] == "nosniff", where
    assert r.headers["x-frame-options"] == "DENY", where
    assert len(r.headers.get_list("content-security-policy")) == 1, where


async def test_every_kind_of_answer_carries_the_headers(client, make):
    thread = await make.thread()
    answers = [
        await client.get("/"),
        await client.get(f"/threads/{thread['thread']['id']}"),
        await client.get("/threads/999999"),  # an HTML 404
        await client.get("/api/v1/threads"),
        await client.get("/api/v1/threads/999999"),  # a JSON 404
        await client.get("/api/v1/openapi.json"),
        await client.post("/api/v1/auth/login", content=b"{"),  # a 400
        await client.get(assets.url("forum.css")),
        await client.get("/static/missing.css"),
        await client.delete("/api/v1/regions"),  # 405
    ]
    for r in answers:
        assert_secured(r)
        assert "strict-transport-security" not in r.headers  # plain HTTP


async def test_an_unexpected_error_carries_them_too(app, monkeypatch):
    from forum import catalog

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalog, "list_topics", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=factories.BASE_URL) as c:
        r = await c.get("/api/v1/topics")
    assert r.status_code == 500
    assert_secured(r)


async def test_hsts_only_over_https(app):
    async with factories.client(app, base_url="https://forum.test") as c:
        r = await c.get("/api/v1/regions")
    assert r.headers["strict-transport-security"] == "max-age=31536000"
    assert_secured(r)


async def test_personal_answers_are_never_stored(app, client, make):
    anonymous = await client.get("/api/v1/threads")
    assert "cache-control" not in anonymous.headers  # the same for every anonymous reader
    assert (await client.get("/api/v1/auth/me")).headers["cache-control"] == "no-store"

    user = await make.user()
    r = await client.post(
        "/api/v1/auth/login", json={"email": user["email"], "password": factories.PASSWORD}
    )
    assert r.headers.get_list("cache-control") == ["no-store"]  # it sets cookies
    member = await make.logged_in(user)
    for path in ("/api/v1/threads", "/api/v1/auth/me", "/", "/api/v1/regions"):
        r = await member.get(path)
        assert r.headers.get_list("cache-control") == ["no-store"], path

    # Assets are the same for everyone: cached for good even for a logged-in reader.
    css = await member.get(assets.url("forum.css"))
    assert css.headers["cache-control"] == assets.IMMUTABLE


@pytest.mark.parametrize("path", ["/", "/search?q=tenders", "/threads/{id}"])
async def test_pages_hold_no_inline_script_or_style(client, make, path):
    thread = await make.thread()
    page = await client.get(path.format(id=thread["thread"]["id"]))
    found = _Inline()
    found.feed(page.text)
    assert found.inline == [], path


class _Inline(HTMLParser):
    """What the policy would block: inline scripts, style elements or attributes, and
    event handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if (tag == "script" and "src" not in names) or tag == "style":
            self.inline.append(tag)
        self.inline += [name for name in names if name == "style" or re.match(r"on\w+$", name)]
