"""Hostile input at every write route: each is refused with the right status and error code,
nothing is written, and nothing ever becomes a 500.

httpx's ASGI transport re-raises an exception the app did not handle, so a crash fails
these tests even where only the status is checked. Many cases share one test (and one
database) to keep the suite fast; each assertion message names the case.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import orjson
import pytest
from argon2 import PasswordHasher
from markupsafe import escape
from sqlalchemy import text

from forum import accounts, names
from forum.config import Rate, Rates, Settings
from forum.db import Database
from tests import factories
from web import auth

API = "/api/v1"
MIB = 1024 * 1024
JSON_TYPE = {"Content-Type": "application/json"}
NEW_PASSWORD = "a new and long password"

# Strings people paste, by mistake or on purpose. Text fields must store them as text
# (a post may well discuss `<script>`), and nothing may turn them into markup or SQL.
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "<javascript:alert(1)>",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    '<p style="position:fixed;top:0">x</p>',
    '<iframe src="https://evil.example/"></iframe>',
    "![pixel](https://evil.example/pixel.png)",
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    "'; DROP TABLE posts; --",
    "1 OR 1=1",
    "%s%n%x{0}{__class__}",
    "{{7*7}}${7*7}",
    "\u202eevil.exe\u202c",
    "zero\u200bwidth\u200d\ufeffjoiners",
    "emoji 😀👍🏽🏳️‍🌈",
    "مرحبا <b>bold</b> привет",
    "x" * 5000,  # one very long word
]
# Characters the database or a terminal chokes on.
CONTROL = ["nul\x00inside", "\x00", "escape\x1b[2J", "del\x7f", "c1\x85"]
CORPUS = HOSTILE + CONTROL

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LINE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def fine_title(value: str, max_length: int = 200) -> bool:
    return (
        not _CONTROLS.search(value)
        and bool(value.strip())
        and len(value) <= max_length
        and names.invisible(value.strip()) is None
    )


def fine_body(value: str) -> bool:
    return not _LINE_CONTROLS.search(value) and bool(value.strip())


def case(value: Any) -> str:
    """A short, printable name for a case in assertion messages."""
    shown = repr(value)
    return shown if len(shown) < 80 else shown[:77] + "..."


def assert_error(
    r: httpx.Response, status: int, code: str | None = None, field: str | None = None, *, at: Any
) -> None:
    assert r.status_code == status, f"{case(at)}: {r.status_code} {r.text[:300]}"
    body = r.json()
    assert set(body) == {"error"}, f"{case(at)}: {body}"
    assert set(body["error"]) == {"code", "message", "fields"}, f"{case(at)}: {body}"
    if code is not None:
        assert body["error"]["code"] == code, f"{case(at)}: {body}"
    if field is not None:
        assert field in body["error"]["fields"], f"{case(at)}: {body}"


def assert_client_error(r: httpx.Response, *, at: Any) -> None:
    assert 400 <= r.status_code < 500, f"{case(at)}: {r.status_code} {r.text[:300]}"
    assert set(r.json()) == {"error"}, f"{case(at)}: {r.text[:300]}"


_SNAPSHOT = text(
    """
    SELECT (SELECT count(*) FROM users) AS users,
           (SELECT md5(string_agg(password_hash, ',' ORDER BY id)) FROM users) AS passwords,
           (SELECT count(*) FROM sessions) AS sessions,
           (SELECT count(*) FROM threads) AS threads,
           (SELECT sum(post_count) FROM threads) AS post_counters,
           (SELECT string_agg(id || ':' || revision || ':' || md5(body_source)
                              || ':' || (deleted_at IS NULL), ',' ORDER BY id)
              FROM posts) AS posts,
           (SELECT count(*) FROM post_revisions) AS post_revisions,
           (SELECT count(*) FROM events) AS events,
           (SELECT count(*) FROM idempotency_keys) AS idempotency_keys
    """
)


async def snapshot(db: Database) -> dict[str, Any]:
    """Everything a bad request could have written: counts, post versions, password hashes."""
    async with db.transaction() as s:
        return dict((await s.execute(_SNAPSHOT)).one()._mapping)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    handle_startendtag = handle_starttag


def assert_safe_html(html: str, *, at: Any) -> None:
    """No active content: escaped text may mention `onerror=` or `javascript:`, markup may not."""
    lowered = html.lower()
    for opening in ("<script", "<style", "<iframe", "<img", "<svg", "<object", "<embed"):
        assert opening not in lowered, f"{case(at)}: {html[:300]}"
    parsed = _Tags()
    parsed.feed(html)
    parsed.close()
    forbidden_tags = {"script", "style", "iframe", "img", "svg", "object", "embed", "form"}
    assert not forbidden_tags & set(parsed.tags), f"{case(at)}: {html[:300]}"
    for tag, name, value in parsed.attributes:
        assert not name.startswith("on"), f"{case(at)}: <{tag} {name}=...> in {html[:300]}"
        assert name not in {"style", "src"}, f"{case(at)}: <{tag} {name}=...> in {html[:300]}"
        scheme = re.sub(r"[\s\x00-\x1f]", "", value).lower()
        for bad in ("javascript:", "data:", "vbscript:"):
            assert not scheme.startswith(bad), f"{case(at)}: <{tag} {name}={value!r}>"


async def stream(payload: bytes, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(payload), chunk):
        yield payload[start : start + chunk]


@dataclass
class World:
    member: httpx.AsyncClient  # logged in, author of `post_id`, the first post of `thread_id`
    thread_id: int
    post_id: int
    foreign_post_id: int  # a post in another thread

    def valid_bodies(self) -> list[tuple[str, str, dict[str, Any]]]:
        """A valid request for every write route that reads a body."""
        return [
            ("POST", f"{API}/threads", thread_body()),
            ("POST", f"{API}/threads/{self.thread_id}/posts", {"body": "A reply"}),
            ("PATCH", f"{API}/posts/{self.post_id}", {"body": "Edited"}),
            (
                "POST",
                f"{API}/auth/register",
                {"email": "new@example.org", "display_name": "New", "password": NEW_PASSWORD},
            ),
            ("POST", f"{API}/auth/login", {"email": "x@example.org", "password": NEW_PASSWORD}),
            (
                "POST",
                f"{API}/auth/password",
                {"current_password": factories.PASSWORD, "new_password": NEW_PASSWORD},
            ),
        ]


def thread_body(**changes: Any) -> dict[str, Any]:
    return {
        "region": "africa",
        "topic": "public-procurement",
        "title": "Open contracting in Senegal",
        "body": "Who has *tried* it?",
        "countries": ["SN"],
        **changes,
    }


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Fuzzing sends far more writes from one member and one address than a person does:
    no limit here (the limits are tested in test_limits.py and test_login_limits.py)."""
    loose = Rate(10**6, timedelta(minutes=1))
    return dataclasses.replace(
        settings, rates=Rates(**{f.name: loose for f in dataclasses.fields(Rates)})
    )


@pytest.fixture
async def world(make: factories.Factory) -> World:
    member = await make.logged_in()
    mine = await make.thread(author=member.user)
    other = await make.thread()
    return World(member, mine["thread"]["id"], mine["post"]["id"], other["post"]["id"])


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    """Real argon2 costs a quarter second per hash; these tests are about input, not cost."""
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    dummy = cheap.hash("an account that does not exist")
    monkeypatch.setattr(accounts, "_hasher", lambda: cheap)
    monkeypatch.setattr(accounts, "_dummy_hash", lambda: dummy)
    return cheap


# Size limits


async def test_body_over_one_mib_is_refused_on_every_write_route(
    world: World, db: Database
) -> None:
    before = await snapshot(db)
    for method, url, valid in world.valid_bodies():
        # A valid request, padded past the limit.
        payload = orjson.dumps({**valid, "padding": "x" * MIB})
        for content in (payload, stream(payload)):  # with Content-Length, then chunked
            r = await world.member.request(method, url, content=content, headers=JSON_TYPE)
            assert_error(r, 413, "body_too_large", at=(method, url, type(content).__name__))
    assert await snapshot(db) == before


async def test_endless_stream_is_cut_off_near_the_limit(world: World, db: Database) -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"body":"'
        while sent < 64 * MIB:  # a bound, so a broken app fails the test instead of hanging
            sent += 64 * 1024
            yield b"x" * (64 * 1024)

    before = await snapshot(db)
    r = await world.member.post(
        f"{API}/threads/{world.thread_id}/posts", content=endless(), headers=JSON_TYPE
    )
    assert_error(r, 413, "body_too_large", at="endless stream")
    assert sent <= MIB + 128 * 1024, f"the app read {sent} bytes before refusing"
    assert await snapshot(db) == before


async def test_declared_length_over_limit_is_refused(client: httpx.AsyncClient) -> None:
    for declared in (str(MIB + 1), "99999999999999999999999", "-1", "abc"):
        r = await client.post(
            f"{API}/auth/login", content=b"{}", headers={**JSON_TYPE, "Content-Length": declared}
        )
        assert_error(r, 413, "body_too_large", at=declared)


# Syntax and encoding


BAD_SYNTAX: list[tuple[bytes, int, str]] = [
    (b'{"body": "unterminated', 400, "malformed_json"),
    (b'{"body": "x",}', 400, "malformed_json"),
    (b"{'body': 'single quotes'}", 400, "malformed_json"),
    (b'{"body": NaN}', 400, "malformed_json"),
    (b"", 400, "malformed_json"),
    (b'{"body": "x"} trailing', 400, "malformed_json"),
    (b'{"body": "\xff\xfe"}', 400, "invalid_utf8"),
    (b'{"body": "\xc0\xaf overlong"}', 400, "invalid_utf8"),
    (b'{"body": "\xed\xa0\x80 encoded surrogate"}', 400, "invalid_utf8"),
    (b"\xef\xbb\xbf\xff", 400, "invalid_utf8"),
    (rb'{"body": "\ud800"}', 400, "malformed_json"),
    (rb'{"body": "lone low \udc00 surrogate"}', 400, "malformed_json"),
    (rb'{"body": "\ud800\ud800"}', 400, "malformed_json"),
    (b"[" * 100_000, 400, "malformed_json"),
    (b'{"body": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "malformed_json"),
    (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, 400, "malformed_json"),
    (b"[]", 422, "invalid_body"),
    (b'"a string"', 422, "invalid_body"),
    (b"42", 422, "invalid_body"),
    (b"null", 422, "invalid_body"),
    (b"true", 422, "invalid_body"),
    (b'[{"body": "x"}]', 422, "invalid_body"),
]


async def test_malformed_bodies_are_refused_on_every_write_route(
    world: World, db: Database
) -> None:
    before = await snapshot(db)
    for method, url, _ in world.valid_bodies():
        for raw, status, code in BAD_SYNTAX:
            r = await world.member.request(method, url, content=raw, headers=JSON_TYPE)
            assert_error(r, status, code, at=(method, url, raw[:40]))
    assert await snapshot(db) == before


async def test_bodies_not_sent_as_json_are_refused(world: World, db: Database) -> None:
    # A page of another site can make a browser send text/plain or a form without asking;
    # only JSON is accepted.
    content_types = [None, "text/plain", "application/x-www-form-urlencoded",
                     "multipart/form-data", "json", "application/jsonp", "text/json"]  # fmt: skip
    before = await snapshot(db)
    for method, url, valid in world.valid_bodies():
        for content_type in content_types:
            headers = {"Content-Type": content_type} if content_type else {}
            r = await world.member.request(
                method, url, content=orjson.dumps(valid), headers=headers
            )
            assert_error(r, 415, "unsupported_media_type", at=(method, url, content_type))
    assert await snapshot(db) == before


# Types and unknown fields


async def test_wrong_types_and_unknown_fields_name_the_field(world: World, db: Database) -> None:
    t, p = world.thread_id, world.post_id
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", "/threads", thread_body(title=5), "title"),
        ("POST", "/threads", thread_body(title=None), "title"),
        ("POST", "/threads", thread_body(title=["a"]), "title"),
        ("POST", "/threads", thread_body(body={"text": "x"}), "body"),
        ("POST", "/threads", thread_body(countries="SN"), "countries"),
        ("POST", "/threads", thread_body(countries=[1]), "countries.0"),
        ("POST", "/threads", thread_body(region=1), "region"),
        ("POST", "/threads", thread_body(sticky=True), "sticky"),
        ("POST", "/threads", thread_body(author_id=1), "author_id"),
        ("POST", "/threads", {"title": "No body"}, "body"),
        ("POST", f"/threads/{t}/posts", {"body": 5}, "body"),
        ("POST", f"/threads/{t}/posts", {"body": "x", "reply_to": "1"}, "reply_to"),
        ("POST", f"/threads/{t}/posts", {"body": "x", "thread_id": 1}, "thread_id"),
        ("POST", f"/threads/{t}/posts", {}, "body"),
        ("PATCH", f"/posts/{p}", {"body": True}, "body"),
        ("PATCH", f"/posts/{p}", {"body": "x", "revision": 7}, "revision"),
        ("POST", "/auth/register", {"email": 5, "display_name": "A", "password": "p"}, "email"),
        ("POST", "/auth/register", {"email": "a@b.org", "display_name": "A",
                                    "password": NEW_PASSWORD, "role": "admin"}, "role"),
        ("POST", "/auth/login", {"email": "a@b.org", "password": 1234567890}, "password"),
        ("POST", "/auth/login", {"email": "a@b.org"}, "password"),
        ("POST", "/auth/password", {"current_password": None, "new_password": "x"},
         "current_password"),
    ]  # fmt: skip
    before = await snapshot(db)
    for method, path, body, field in cases:
        r = await world.member.request(method, API + path, json=body)
        assert_error(r, 422, "validation_failed", field, at=(method, path, body))
    assert await snapshot(db) == before


ABSURD_IDS = [b"1e400", b"-1e400", b"99999999999999999999999", b"18446744073709551616",
              b"9223372036854775808", b"9223372036854775807", b"-1", b"0", b"1.0", b"1e2",
              b"true", b'"1"', b"[1]", b"{}"]  # fmt: skip


async def test_absurd_reply_to_is_a_client_error(world: World, db: Database) -> None:
    before = await snapshot(db)
    for raw in ABSURD_IDS:
        r = await world.member.post(
            f"{API}/threads/{world.thread_id}/posts",
            content=b'{"body": "A reply", "reply_to": ' + raw + b"}",
            headers=JSON_TYPE,
        )
        assert_client_error(r, at=raw)
    assert await snapshot(db) == before


# Text rules


TOO_BIG_BODIES = [
    "a" * 65537,  # ASCII: 65537 bytes
    "é" * 32769,  # two bytes each: 65538 bytes in 32769 characters
    "€" * 21846,  # three bytes each: 65538 bytes
    "😀" * 16385,  # four bytes each: 65540 bytes
]
BAD_TITLES = ["", " ", "   \u3000\u00a0  ", "x" * 201, "nul\x00inside", "bell\x07",
              "escape\x1b[31mred", "line\nbreak", "carriage\rreturn", "tab\tinside", "del\x7f",
              "c1\x85next-line", "c1\x9b"]  # fmt: skip
BAD_BODIES = ["", " ", "\n\n\t \r\n", "nul\x00inside", "\x00", "escape\x1b[2J", "\x0c", "c1\x85"]


async def test_bad_titles_and_bodies_are_refused(world: World, db: Database) -> None:
    cases: list[tuple[str, str, dict[str, Any], str]] = []
    for title in BAD_TITLES:
        cases.append(("POST", "/threads", thread_body(title=title), "title"))
    for body in [*BAD_BODIES, *TOO_BIG_BODIES]:
        cases += [
            ("POST", "/threads", thread_body(body=body), "body"),
            ("POST", f"/threads/{world.thread_id}/posts", {"body": body}, "body"),
            ("PATCH", f"/posts/{world.post_id}", {"body": body}, "body"),
        ]
    before = await snapshot(db)
    for method, path, body, field in cases:
        r = await world.member.request(method, API + path, json=body)
        assert_error(r, 422, "validation_failed", field, at=(method, path, body.get(field)))
    assert await snapshot(db) == before


async def test_invisible_title_is_refused_as_blank(world: World, db: Database) -> None:
    before = await snapshot(db)
    r = await world.member.post(f"{API}/threads", json=thread_body(title="\u200b\u200d\ufeff"))
    assert_error(r, 422, "validation_failed", "title", at="zero-width title")
    assert await snapshot(db) == before


async def test_text_at_the_limits_is_accepted(world: World) -> None:
    # The limit on bodies is in bytes of UTF-8, the limit on titles in characters.
    body = "é" * 32768  # 65536 bytes
    r = await world.member.post(f"{API}/threads", json=thread_body(title="ñ" * 200, body=body))
    assert r.status_code == 201, r.text
    assert r.json()["thread"]["title"] == "ñ" * 200
    assert r.json()["post"]["body"] == body
    r = await world.member.post(
        f"{API}/threads/{world.thread_id}/posts", json={"body": "multi\nline\ttext\r\n"}
    )
    assert r.status_code == 201, r.text


# References to things that do not exist


async def test_unknown_catalog_entries_are_named(world: World, db: Database) -> None:
    cases: list[tuple[dict[str, Any], str, str]] = [
        (thread_body(region="antarctica"), "unknown_region", "region"),
        (thread_body(topic="astrology"), "unknown_topic", "topic"),
        (thread_body(countries=["XX"]), "unknown_country", "countries"),
        (thread_body(countries=["sn", "zz"]), "unknown_country", "countries"),
    ]
    before = await snapshot(db)
    for body, code, field in cases:
        r = await world.member.post(f"{API}/threads", json=body)
        assert_error(r, 422, code, field, at=body)
    r = await world.member.post(f"{API}/threads", json=thread_body(countries=["SN"] * 21))
    assert_error(r, 422, "validation_failed", "countries", at="21 countries")
    assert await snapshot(db) == before


BAD_IDS = ["abc", "0", "-1", "99999999999999999999999999", "9223372036854775808", "1e5",
           "%00", "%20", "1.0", "+1", "0x10", "%EF%BC%91", "%D9%A3", "999999999"]  # fmt: skip


async def test_ids_that_name_nothing_are_not_found(world: World, db: Database) -> None:
    before = await snapshot(db)
    for raw in BAD_IDS:
        r = await world.member.post(f"{API}/threads/{raw}/posts", json={"body": "A reply"})
        assert_error(r, 404, "thread_not_found", at=("reply", raw))
        r = await world.member.get(f"{API}/threads/{raw}")
        assert_error(r, 404, "thread_not_found", at=("get thread", raw))
        r = await world.member.patch(f"{API}/posts/{raw}", json={"body": "Edited"})
        assert_error(r, 404, "post_not_found", at=("edit", raw))
        r = await world.member.delete(f"{API}/posts/{raw}")
        assert_error(r, 404, "post_not_found", at=("delete", raw))
        r = await world.member.get(f"{API}/posts/{raw}/revisions")
        assert_error(r, 404, "post_not_found", at=("revisions", raw))
        r = await world.member.get(f"/threads/{raw}")
        assert r.status_code == 404, f"page {raw}: {r.status_code}"
    assert await snapshot(db) == before


async def test_reply_to_a_post_of_another_thread_is_refused(world: World, db: Database) -> None:
    before = await snapshot(db)
    for reply_to in (world.foreign_post_id, 999_999, 2**63 - 1):
        r = await world.member.post(
            f"{API}/threads/{world.thread_id}/posts", json={"body": "x", "reply_to": reply_to}
        )
        assert_error(r, 422, "unknown_post", "reply_to", at=reply_to)
    assert await snapshot(db) == before
    thread = (await world.member.get(f"{API}/threads/{world.thread_id}")).json()["thread"]
    assert thread["post_count"] == 1


# Query parameters


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else orjson.dumps(value)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_LIMITS = ["0", "101", "-1", "abc", "1e3", "", "1.5", " 5", "١٠", "99999999999999999999999"]
WHEN = "2024-01-01T00:00:00+00:00"
BAD_LIST_CURSORS = [
    "abc",
    "!!!!",
    "====",
    "%ff%fe",
    b64({}),
    b64([]),
    b64([True]),
    b64("a string"),
    b64(["a", "b", "c"]),
    b64([1, WHEN, 1]),
    b64([True, "not a time", 1]),
    b64([True, WHEN, "1"]),
    b64([True, WHEN, 1.5]),
    b64([True, WHEN, 1, 1]),
    b64(b"\xff\xfe\x00"),
    b64(b"[" * 300),
    "A" * 400,
]
BAD_PAGE_CURSORS = ["abc", b64([]), b64(["1"]), b64([True]), b64([1.5]), b64([1, 2]), "A" * 400]


async def test_bad_list_parameters_are_refused(client: httpx.AsyncClient) -> None:
    for limit in BAD_LIMITS:
        r = await client.get(f"{API}/threads", params={"limit": limit})
        assert_error(r, 422, "invalid_limit", "limit", at=("limit", limit))
    for cursor in BAD_LIST_CURSORS:
        r = await client.get(f"{API}/threads?cursor={cursor}")
        assert_error(r, 422, "invalid_cursor", "cursor", at=("cursor", cursor))
    # A members-only region is as unknown to an anonymous reader as a missing one.
    for region in ("antarctica", "staff-room", "<script>", "a" * 64):
        r = await client.get(f"{API}/threads", params={"region": region})
        assert_error(r, 404, "region_not_found", at=("region", region))
    r = await client.get(f"{API}/threads", params={"topic": "astrology"})
    assert_error(r, 404, "topic_not_found", at="topic")
    r = await client.get(f"{API}/threads", params={"country": "XX"})
    assert_error(r, 422, "unknown_country", at="country")


async def test_bad_thread_page_parameters_are_refused(world: World) -> None:
    url = f"{API}/threads/{world.thread_id}"
    for limit in BAD_LIMITS:
        r = await world.member.get(url, params={"limit": limit})
        assert_error(r, 422, "invalid_limit", "limit", at=("limit", limit))
    for cursor in BAD_PAGE_CURSORS:
        r = await world.member.get(f"{url}?cursor={cursor}")
        assert_error(r, 422, "invalid_cursor", "cursor", at=("cursor", cursor))


async def test_cursors_at_the_edges_of_the_range_work(world: World) -> None:
    # Past the end, or at the far edge of what the database stores: a page, maybe empty.
    for cursor in (b64([True, WHEN, 1]), b64([False, WHEN, 2**63 - 1])):
        r = await world.member.get(f"{API}/threads?cursor={cursor}")
        assert r.status_code == 200, r.text
    for position in (0, 2**31 - 1):
        r = await world.member.get(f"{API}/threads/{world.thread_id}?cursor={b64([position])}")
        assert r.status_code == 200, r.text
    # Cursors the server never hands out (no time zone, before 1970, negative) are refused.
    for cursor in (b64([True, "2024-01-01T00:00:00", 1]),
                   b64([False, "0001-01-01T00:00:00+00:00", 1])):  # fmt: skip
        r = await world.member.get(f"{API}/threads?cursor={cursor}")
        assert_error(r, 422, "invalid_cursor", "cursor", at=cursor)
    r = await world.member.get(f"{API}/threads/{world.thread_id}?cursor={b64([-1])}")
    assert_error(r, 422, "invalid_cursor", "cursor", at=-1)


async def test_very_long_cursor_is_an_invalid_cursor(client: httpx.AsyncClient) -> None:
    for cursor in ("A" * 513, "A" * 10_000, "%00"):
        r = await client.get(f"{API}/threads?cursor={cursor}")
        assert_error(r, 422, "invalid_cursor", "cursor", at=cursor[:20])


async def test_list_cursor_with_an_id_out_of_range_is_invalid(client: httpx.AsyncClient) -> None:
    for last_id in (2**63, 2**64 - 1):
        r = await client.get(f"{API}/threads?cursor={b64([True, WHEN, last_id])}")
        assert_error(r, 422, "invalid_cursor", "cursor", at=last_id)


async def test_list_cursor_with_a_time_out_of_range_is_invalid(
    client: httpx.AsyncClient,
) -> None:
    for when in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        r = await client.get(f"{API}/threads?cursor={b64([True, when, 1])}")
        assert_error(r, 422, "invalid_cursor", "cursor", at=when)


async def test_thread_page_cursor_out_of_range_is_invalid(world: World) -> None:
    for position in (2**31, 2**63, -(2**31) - 1):
        r = await world.member.get(f"{API}/threads/{world.thread_id}?cursor={b64([position])}")
        assert_error(r, 422, "invalid_cursor", "cursor", at=position)


# Hostile strings at every field of every write route


async def test_hostile_strings_in_threads_are_stored_as_text(world: World, db: Database) -> None:
    member = world.member
    before = await snapshot(db)
    for value in CORPUS:
        # Every bad field is named, not only the first.
        r = await member.post(
            f"{API}/threads", json=thread_body(region=value, topic=value, countries=["SN", value])
        )
        assert_error(r, 422, "validation_failed", at=value)
        assert {"region", "topic", "countries.1"} <= set(r.json()["error"]["fields"]), case(value)
    assert await snapshot(db) == before

    titles: dict[int, str] = {}
    for value in CORPUS:
        if fine_title(value):  # then fine as a body too: one thread carries both
            r = await member.post(f"{API}/threads", json=thread_body(title=value, body=value))
            assert r.status_code == 201, f"{case(value)}: {r.text[:300]}"
            assert r.json()["thread"]["title"] == value.strip()
            titles[r.json()["thread"]["id"]] = value.strip()
        else:
            r = await member.post(f"{API}/threads", json=thread_body(title=value))
            assert_error(r, 422, "validation_failed", "title", at=("title", value))
            r = await member.post(f"{API}/threads", json=thread_body(body=value))
        if not fine_body(value):
            assert_error(r, 422, "validation_failed", "body", at=("body", value))
            continue
        assert r.status_code == 201, f"body {case(value)}: {r.text[:300]}"
        assert r.json()["post"]["body"] == value
        assert_safe_html(r.json()["post"]["body_html"], at=("body", value))

    listed = (await member.get(f"{API}/threads", params={"limit": 100})).json()["threads"]
    assert {t["id"]: t["title"] for t in listed if t["id"] in titles} == titles
    for thread_id, title in titles.items():
        page = (await member.get(f"/threads/{thread_id}")).text
        heading = re.search(r"<h1>(.*?)</h1>", page, re.DOTALL)
        assert heading, f"no heading for {case(title)}"
        assert heading[1] == str(escape(title)), f"title {case(title)} shown as {heading[1]!r}"
    await assert_every_stored_post_is_safe(db)


async def test_hostile_strings_in_replies_and_edits_are_stored_as_text(
    world: World, db: Database
) -> None:
    member, thread_id = world.member, world.thread_id
    before = await snapshot(db)
    for value in CORPUS:
        r = await member.post(
            f"{API}/threads/{thread_id}/posts", json={"body": "x", "reply_to": value}
        )
        assert_error(r, 422, "validation_failed", "reply_to", at=("reply_to", value))
    assert await snapshot(db) == before

    for value in CORPUS:
        r = await member.post(f"{API}/threads/{thread_id}/posts", json={"body": value})
        r2 = await member.patch(f"{API}/posts/{world.post_id}", json={"body": value})
        if fine_body(value):
            for answer in (r, r2):
                assert answer.status_code in (200, 201), f"{case(value)}: {answer.text[:300]}"
                assert answer.json()["body"] == value
                assert_safe_html(answer.json()["body_html"], at=value)
        else:
            assert_error(r, 422, "validation_failed", "body", at=("reply", value))
            assert_error(r2, 422, "validation_failed", "body", at=("edit", value))

    r = await member.get(f"{API}/posts/{world.post_id}/revisions")
    assert len(r.json()["revisions"]) == 1 + sum(fine_body(v) for v in CORPUS)
    page = (await member.get(f"/threads/{thread_id}")).text
    assert "<script>alert" not in page
    assert "<img" not in page
    await assert_every_stored_post_is_safe(db)


async def assert_every_stored_post_is_safe(db: Database) -> None:
    async with db.transaction() as s:
        rows = (await s.execute(text("SELECT id, body_html FROM posts"))).all()
        rows += (await s.execute(text("SELECT post_id, body_html FROM post_revisions"))).all()
    for post_id, html in rows:
        assert_safe_html(html, at=("stored post", post_id))


async def test_hostile_names_are_escaped_on_the_thread_page(make: factories.Factory) -> None:
    author = await make.user(display_name="<script>alert(1)</script>")
    thread = await make.thread(author=author, title="<img src=x onerror=alert(1)>")
    async with factories.client(make.app) as anonymous:
        page = (await anonymous.get(f"/threads/{thread['thread']['id']}")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert" not in page
    assert "<img" not in page


def without_nul(values: list[str]) -> list[str]:
    """NUL in an email is a known crash, asserted on its own below."""
    return [v for v in values if "\x00" not in v]


async def test_hostile_strings_at_registration_never_crash(
    app: object, db: Database, fast_hashing: PasswordHasher
) -> None:
    attempts = [
        (field, value)
        for value in CORPUS
        for field in ("display_name", "organisation", "password", "language")
    ]
    attempts += [(field, value) for value in without_nul(CORPUS)
                 for field in ("email", "email@")]  # fmt: skip
    before = await snapshot(db)
    accepted = logins = 0
    names_taken: set[str] = set()
    async with factories.client(app) as anonymous:
        for n, (field, value) in enumerate(attempts):
            body = {"email": f"hostile{n}@example.org", "display_name": f"Tester {n}",
                    "password": NEW_PASSWORD}  # fmt: skip
            if field == "email@":
                field, value = "email", f"{value}@example.org"
            body[field] = value
            anonymous.cookies.clear()
            r = await anonymous.post(f"{API}/auth/register", json=body)
            if field == "display_name" and names.key(value) in names_taken:
                # The same name as an earlier one but for case: someone has it already.
                assert_error(r, 409, "display_name_taken", "display_name", at=value)
                continue
            if r.status_code != 201:
                assert_client_error(r, at=(field, value))
                limit = {"display_name": 80, "organisation": 200}.get(field)
                assert not (limit and fine_title(value, limit)), f"{field} {case(value)}: {r.text}"
                continue
            accepted += 1
            user = r.json()["user"]
            names_taken.add(names.key(user["display_name"]))
            if field in ("display_name", "organisation"):
                assert user[field] == value.strip(), f"{field} {case(value)}: {user[field]!r}"
            else:  # what was accepted must work for logging in
                logins += 1
                anonymous.cookies.clear()
                login = {"email": body["email"], "password": body["password"]}
                r = await anonymous.post(f"{API}/auth/login", json=login)
                assert r.status_code == 200, f"{field} {case(value)}: {r.text[:300]}"
    after = await snapshot(db)
    # Refused registrations wrote nothing: one account and session per accepted one.
    assert after["users"] == before["users"] + accepted
    assert after["sessions"] == before["sessions"] + accepted + logins


async def test_hostile_strings_at_login_never_crash(
    app: object, make: factories.Factory, db: Database, fast_hashing: PasswordHasher
) -> None:
    await make.user(email="known@example.org", password_hash=fast_hashing.hash("right password"))
    bodies = [{"email": value, "password": "right password"} for value in without_nul(CORPUS)]
    bodies += [{"email": f"hostile{n}@example.org", "password": value}
               for n, value in enumerate(CORPUS)]  # fmt: skip
    before = await snapshot(db)
    async with factories.client(app) as anonymous:
        for body in bodies:
            r = await anonymous.post(f"{API}/auth/login", json=body)
            assert_client_error(r, at=body)
            code = r.json()["error"]["code"]
            assert code in ("invalid_credentials", "validation_failed"), f"{case(body)}: {code}"
        assert await snapshot(db) == before
        # The account whose email was never guessed still logs in.
        known = {"email": "known@example.org", "password": "right password"}
        assert (await anonymous.post(f"{API}/auth/login", json=known)).status_code == 200


async def test_nul_in_an_email_is_refused(
    app: object, db: Database, fast_hashing: PasswordHasher
) -> None:
    before = await snapshot(db)
    async with factories.client(app) as anonymous:
        for email in ("nul\x00inside@example.org", "\x00@example.org", "nul\x00inside"):
            r = await anonymous.post(
                f"{API}/auth/login", json={"email": email, "password": NEW_PASSWORD}
            )
            assert_client_error(r, at=("login", email))
            r = await anonymous.post(
                f"{API}/auth/register",
                json={"email": email, "display_name": "Nul", "password": NEW_PASSWORD},
            )
            assert_error(r, 422, "validation_failed", "email", at=("register", email))
    assert await snapshot(db) == before


async def test_hostile_strings_at_password_change_never_crash(
    make: factories.Factory, db: Database, fast_hashing: PasswordHasher
) -> None:
    user = await make.user(password_hash=fast_hashing.hash(factories.PASSWORD))
    member = await make.logged_in(user)
    before = await snapshot(db)
    for value in CORPUS:
        for body in (
            {"current_password": value, "new_password": NEW_PASSWORD},
            {"current_password": "wrong password", "new_password": value},
        ):
            r = await member.post(f"{API}/auth/password", json=body)
            assert_client_error(r, at=body)
    assert await snapshot(db) == before
    # A logout reads no body: whatever is sent is ignored.
    r = await member.post(f"{API}/auth/logout", json={"everything": CORPUS})
    assert r.status_code == 200, r.text


# Who may do what


async def test_anonymous_writes_need_a_login(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    before = await snapshot(db)
    for method, url, body in (
        ("POST", f"{API}/threads", thread_body()),
        ("POST", f"{API}/threads/{world.thread_id}/posts", {"body": "x"}),
        ("PATCH", f"{API}/posts/{world.post_id}", {"body": "x"}),
        ("DELETE", f"{API}/posts/{world.post_id}", None),
        ("POST", f"{API}/auth/password", {"current_password": "a", "new_password": "b"}),
    ):
        r = await client.request(method, url, json=body)
        assert_error(r, 401, "login_required", at=(method, url))
    assert await snapshot(db) == before


async def test_members_cannot_change_posts_of_others(
    make: factories.Factory, world: World, db: Database
) -> None:
    stranger = await make.logged_in()
    before = await snapshot(db)
    r = await stranger.patch(f"{API}/posts/{world.post_id}", json={"body": "Defaced"})
    assert_error(r, 403, "not_author", at="edit")
    r = await stranger.delete(f"{API}/posts/{world.post_id}")
    assert_error(r, 403, "not_author", at="delete")
    assert await snapshot(db) == before
    post = (await stranger.get(f"{API}/threads/{world.thread_id}")).json()["posts"][0]
    assert post["body"] == "Who has tried *open contracting* data?"
    assert post["revision"] == 1
    assert not post["deleted"]


def every_write(world: World) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        *world.valid_bodies(),
        ("DELETE", f"{API}/posts/{world.post_id}", None),
        ("POST", f"{API}/auth/logout", None),
    ]


async def test_writes_without_the_csrf_token_are_refused(
    make: factories.Factory, world: World, db: Database
) -> None:
    member = world.member
    before = await snapshot(db)
    for token in (None, "", "wrong", "x" * 1000, member.headers["X-CSRF-Token"] + "x"):
        # The real session cookie, as a page of another site would make the browser send it.
        async with factories.client(make.app) as forged:
            forged.cookies.set(auth.COOKIE, member.cookies[auth.COOKIE])
            if token is not None:
                forged.headers["X-CSRF-Token"] = token
            for method, url, body in every_write(world):
                r = await forged.request(method, url, json=body)
                assert_error(r, 403, "csrf_failed", at=(token, method, url))
    assert await snapshot(db) == before
    # Still logged in: the refused logout ended nothing.
    assert (await member.get(f"{API}/auth/me")).status_code == 200


FOREIGN_ORIGINS = ["https://evil.example", "null", "http://forum.test.evil.example",
                   "https://forum.test", "http://forum.test:8080",
                   "https://partner.example.org.evil.example"]  # fmt: skip


async def test_writes_from_foreign_origins_are_refused(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    before = await snapshot(db)
    for origin in FOREIGN_ORIGINS:
        headers = {"Origin": origin}
        for method, url, body in every_write(world):
            r = await world.member.request(method, url, json=body, headers=headers)
            assert_error(r, 403, "bad_origin", at=(origin, method, url))
        r = await client.post(
            f"{API}/auth/register",
            json={"email": "new@example.org", "display_name": "New", "password": NEW_PASSWORD},
            headers=headers,
        )
        assert_error(r, 403, "bad_origin", at=(origin, "anonymous register"))
    assert await snapshot(db) == before


async def test_writes_from_allowed_origins_are_accepted(world: World, db: Database) -> None:
    for origin in ("https://partner.example.org", "http://forum.test"):
        headers = {"Origin": origin}
        r = await world.member.post(f"{API}/threads", json=thread_body(), headers=headers)
        assert r.status_code == 201, r.text
        r = await world.member.post(
            f"{API}/threads/{world.thread_id}/posts", json={"body": "Hello"}, headers=headers
        )
        assert r.status_code == 201, r.text
    assert (await snapshot(db))["threads"] == 4
