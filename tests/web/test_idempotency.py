"""A POST retried with the same `Idempotency-Key` creates nothing twice and gets the first
answer again, even when the retries race each other; a key is never spent by a request that
failed, and one member's keys never answer another member's requests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from forum.db import Database
from tests import factories

API = "/api/v1"


@dataclass
class Forum:
    member: httpx.AsyncClient
    thread_id: int
    other_thread_id: int
    foreign_post_id: int  # the first post of the other thread

    @property
    def replies(self) -> str:
        return f"{API}/threads/{self.thread_id}/posts"


@pytest.fixture
async def forum(make: factories.Factory) -> Forum:
    member = await make.logged_in()
    thread = await make.thread()
    other = await make.thread()
    return Forum(member, thread["thread"]["id"], other["thread"]["id"], other["post"]["id"])


def new_thread(title: str = "Asset declarations in Kenya") -> dict[str, Any]:
    return {
        "region": "africa",
        "topic": "public-procurement",
        "title": title,
        "body": "Has anyone compared *declared* and real assets?",
        "countries": ["KE"],
    }


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def counts(db: Database) -> dict[str, int]:
    async with db.transaction() as s:
        row = (
            await s.execute(
                text(
                    "SELECT (SELECT count(*) FROM threads) AS threads,"
                    " (SELECT count(*) FROM posts) AS posts,"
                    # Not the notifier's: it appends `notification.created` in the
                    # background, whenever it catches up with the requests' events.
                    " (SELECT count(*) FROM events WHERE type NOT LIKE 'notification.%%')"
                    " AS events,"
                    " (SELECT sum(post_count) FROM threads) AS post_counters"
                )
            )
        ).one()
        return dict(row._mapping)


def grew(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before}


async def test_a_retried_reply_gets_the_first_answer_and_creates_one_post(
    forum: Forum, db: Database
) -> None:
    before = await counts(db)
    first = await forum.member.post(forum.replies, json={"body": "Yes"}, headers=key("r-1"))
    assert first.status_code == 201, first.text
    for _ in range(2):
        retry = await forum.member.post(forum.replies, json={"body": "Yes"}, headers=key("r-1"))
        assert retry.status_code == first.status_code
        assert retry.json() == first.json()
    assert grew(before, await counts(db)) == {
        "threads": 0, "posts": 1, "events": 1, "post_counters": 1,
    }  # fmt: skip
    page = (await forum.member.get(f"{API}/threads/{forum.thread_id}")).json()
    assert [p["body"] for p in page["posts"]][1:] == ["Yes"]


async def test_a_retried_thread_gets_the_first_answer_and_creates_one_thread(
    forum: Forum, db: Database
) -> None:
    before = await counts(db)
    first = await forum.member.post(f"{API}/threads", json=new_thread(), headers=key("t-1"))
    assert first.status_code == 201, first.text
    retry = await forum.member.post(f"{API}/threads", json=new_thread(), headers=key("t-1"))
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert grew(before, await counts(db)) == {
        "threads": 1, "posts": 1, "events": 1, "post_counters": 1,
    }  # fmt: skip


async def test_a_different_key_is_a_different_request(forum: Forum, db: Database) -> None:
    before = await counts(db)
    a = await forum.member.post(forum.replies, json={"body": "Yes"}, headers=key("r-1"))
    b = await forum.member.post(forum.replies, json={"body": "Yes"}, headers=key("r-2"))
    c = await forum.member.post(forum.replies, json={"body": "Yes"})  # no key: no dedup
    assert [a.status_code, b.status_code, c.status_code] == [201, 201, 201]
    assert len({a.json()["id"], b.json()["id"], c.json()["id"]}) == 3
    assert grew(before, await counts(db))["posts"] == 3


async def test_a_key_reused_for_another_request_is_refused(forum: Forum, db: Database) -> None:
    first = await forum.member.post(forum.replies, json={"body": "Yes"}, headers=key("r-1"))
    assert first.status_code == 201, first.text
    before = await counts(db)
    other_thread = f"{API}/threads/{forum.other_thread_id}/posts"
    for url, body in (
        (forum.replies, {"body": "No"}),  # another body
        (forum.replies, {"body": "Yes", "reply_to": first.json()["id"]}),
        (other_thread, {"body": "Yes"}),  # the same body, elsewhere
        (f"{API}/threads", new_thread()),
    ):
        r = await forum.member.post(url, json=body, headers=key("r-1"))
        assert r.status_code == 409, (url, body, r.text)
        assert r.json()["error"]["code"] == "idempotency_key_reused", (url, body)
    assert await counts(db) == before
    # The first answer is still what a true retry gets.
    retry = await forum.member.post(forum.replies, json={"body": "Yes"}, headers=key("r-1"))
    assert retry.json() == first.json()


async def test_members_using_the_same_key_do_not_collide(
    make: factories.Factory, forum: Forum, db: Database
) -> None:
    other = await make.logged_in()
    before = await counts(db)
    mine = await forum.member.post(forum.replies, json={"body": "Yes"}, headers=key("same"))
    theirs = await other.post(forum.replies, json={"body": "Yes"}, headers=key("same"))
    assert mine.status_code == theirs.status_code == 201, (mine.text, theirs.text)
    assert mine.json()["id"] != theirs.json()["id"]
    assert mine.json()["author"]["id"] == forum.member.user["id"]  # type: ignore[attr-defined]
    assert theirs.json()["author"]["id"] == other.user["id"]  # type: ignore[attr-defined]
    assert grew(before, await counts(db))["posts"] == 2
    # Each retry gets its own first answer back.
    again = await other.post(forum.replies, json={"body": "Yes"}, headers=key("same"))
    assert again.json() == theirs.json()
    # And another body is a reuse for each of them separately.
    r = await other.post(forum.replies, json={"body": "No"}, headers=key("same"))
    assert r.status_code == 409


async def test_concurrent_retries_create_one_row_and_agree(forum: Forum, db: Database) -> None:
    before = await counts(db)
    replies = await asyncio.gather(
        *(
            forum.member.post(forum.replies, json={"body": "Racing"}, headers=key("race"))
            for _ in range(10)
        )
    )
    threads = await asyncio.gather(
        *(
            forum.member.post(f"{API}/threads", json=new_thread(), headers=key("race-t"))
            for _ in range(10)
        )
    )
    for answers in (replies, threads):
        assert {r.status_code for r in answers} == {201}, [r.text for r in answers]
        assert all(r.json() == answers[0].json() for r in answers)
    assert grew(before, await counts(db)) == {
        "threads": 1, "posts": 2, "events": 2, "post_counters": 2,
    }  # fmt: skip


async def test_a_refused_request_does_not_spend_its_key(forum: Forum, db: Database) -> None:
    before = await counts(db)
    failures = [
        (forum.replies, {"body": "   "}, "validation_failed"),  # refused before any work
        (forum.replies, {"body": "x", "reply_to": forum.foreign_post_id}, "unknown_post"),
        (f"{API}/threads", {**new_thread(), "region": "antarctica"}, "unknown_region"),
    ]
    for n, (url, body, code) in enumerate(failures):
        r = await forum.member.post(url, json=body, headers=key(f"k-{n}"))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == code
    assert await counts(db) == before

    # The corrected request, sent with the same key, is done.
    fixed = [(forum.replies, {"body": "Fixed"}), (forum.replies, {"body": "Fixed"}),
             (f"{API}/threads", new_thread())]  # fmt: skip
    for n, (url, body) in enumerate(fixed):
        r = await forum.member.post(url, json=body, headers=key(f"k-{n}"))
        assert r.status_code == 201, (n, r.text)
        retry = await forum.member.post(url, json=body, headers=key(f"k-{n}"))
        assert retry.json() == r.json()
    assert grew(before, await counts(db))["posts"] == 3


async def test_anonymous_request_does_not_spend_a_key(
    client: httpx.AsyncClient, forum: Forum, db: Database
) -> None:
    before = await counts(db)
    r = await client.post(forum.replies, json={"body": "Yes"}, headers=key("anon"))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "login_required"
    r = await client.post(forum.replies, json={"body": "Yes"}, headers=key("anon"))
    assert r.status_code == 401, "a refused write must not be replayed as a stored answer"
    assert await counts(db) == before


async def test_keys_must_be_short_and_printable(forum: Forum, db: Database) -> None:
    before = await counts(db)
    for bad in ("k" * 256, "k" * 10_000, "", "tab\tinside", "del\x7f"):
        for url, body in ((forum.replies, {"body": "Yes"}), (f"{API}/threads", new_thread())):
            r = await forum.member.post(url, json=body, headers=key(bad))
            assert r.status_code == 422, (bad[:20], r.text)
            assert r.json()["error"]["code"] == "invalid_idempotency_key", bad[:20]
    assert await counts(db) == before
    r = await forum.member.post(forum.replies, json={"body": "Yes"}, headers=key("k" * 255))
    assert r.status_code == 201, r.text
