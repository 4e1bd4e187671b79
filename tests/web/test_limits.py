"""Rate limits as a client meets them: registration per address, posting and editing per
member, password changes (wrong current passwords included); 429 with Retry-After and the
error envelope, and nothing written. Login: `test_login_limits.py`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from forum.db import Database
from tests import factories

API = "/api/v1"
THREAD = {"region": "africa", "topic": "public-procurement", "title": "Tenders", "body": "Who?"}


@pytest.fixture
async def app(settings) -> AsyncIterator[Any]:
    async with factories.app_with_rates(
        settings, register=(2, 3600), post=(3, 600), edit=(2, 600), password=(2, 900)
    ) as application:
        yield application


def assert_limited(r: httpx.Response, code: str = "rate_limited") -> None:
    assert r.status_code == 429, r.text
    assert 1 <= int(r.headers["Retry-After"]) <= 3600
    assert r.json()["error"]["code"] == code
    assert set(r.json()["error"]) == {"code", "message", "fields"}


async def _count(db: Database, table: str) -> int:
    async with db.transaction() as s:
        return await s.scalar(text(f"SELECT count(*) FROM {table}"))


def _account(n: int) -> dict[str, str]:
    return {"email": f"new{n}@example.org", "display_name": f"New {n}", "password": "x" * 12}


async def test_registrations_are_limited_per_address(app, db):
    async with factories.client(app, address="198.51.100.1") as office:
        for n in range(2):
            office.cookies.clear()
            assert (await office.post(f"{API}/auth/register", json=_account(n))).status_code == 201
        office.cookies.clear()
        assert_limited(await office.post(f"{API}/auth/register", json=_account(2)))
    assert await _count(db, "users") == 2
    async with factories.client(app, address="198.51.100.2") as elsewhere:
        assert (await elsewhere.post(f"{API}/auth/register", json=_account(3))).status_code == 201


async def test_threads_and_replies_share_a_limit_per_member(make, db):
    member = await make.logged_in()
    r = await member.post(f"{API}/threads", json=THREAD)
    thread_id = r.json()["thread"]["id"]
    for _ in range(2):
        r = await member.post(f"{API}/threads/{thread_id}/posts", json={"body": "More"})
        assert r.status_code == 201, r.text
    posts_before = await _count(db, "posts")
    assert_limited(await member.post(f"{API}/threads", json=THREAD))
    assert_limited(await member.post(f"{API}/threads/{thread_id}/posts", json={"body": "More"}))
    assert await _count(db, "posts") == posts_before
    # Someone else posts as usual.
    other = await make.logged_in()
    assert (
        await other.post(f"{API}/threads/{thread_id}/posts", json={"body": "Hi"})
    ).status_code == 201


async def test_a_post_that_was_not_written_does_not_use_up_the_allowance(make):
    member = await make.logged_in()
    thread_id = (await member.post(f"{API}/threads", json=THREAD)).json()["thread"]["id"]
    for _ in range(3):  # refused for what they say, so not posts at all
        r = await member.post(
            f"{API}/threads/{thread_id}/posts", json={"body": "x", "reply_to": 10**9}
        )
        assert r.status_code == 422, r.text
    for _ in range(2):
        r = await member.post(f"{API}/threads/{thread_id}/posts", json={"body": "Counted"})
        assert r.status_code == 201, r.text
    assert_limited(await member.post(f"{API}/threads/{thread_id}/posts", json={"body": "No"}))


async def test_edits_are_limited_per_member(make):
    member = await make.logged_in()
    post = (await member.post(f"{API}/threads", json=THREAD)).json()["post"]
    for n in range(2):
        r = await member.patch(f"{API}/posts/{post['id']}", json={"body": f"Edit {n}"})
        assert r.status_code == 200, r.text
    assert_limited(await member.patch(f"{API}/posts/{post['id']}", json={"body": "Edit 3"}))
    page = (await member.get(f"{API}/threads/{post['thread_id']}")).json()
    assert page["posts"][0]["body"] == "Edit 1"


async def test_wrong_current_passwords_count_before_the_check(make):
    member = await make.logged_in()
    wrong = {"current_password": "not my password", "new_password": "a brand new passphrase"}
    for _ in range(2):
        r = await member.post(f"{API}/auth/password", json=wrong)
        assert r.status_code == 422 and r.json()["error"]["code"] == "wrong_password"
    # Guessing stops here, even with the right password: it is not even looked at.
    right = {**wrong, "current_password": factories.PASSWORD}
    assert_limited(await member.post(f"{API}/auth/password", json=right), "too_many_attempts")
    assert (await member.get(f"{API}/auth/me")).status_code == 200  # still logged in
