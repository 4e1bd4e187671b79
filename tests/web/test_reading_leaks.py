"""Leak cells for unread counts (beside `test_leaks.py`): a count is a number, not a word,
so the canary here is how many posts a member is told are new, and whether a thread is
mentioned at all.

A member has read a thread up to its first post; three replies follow (the canary
posts). Before the change every channel tells the reader "3 new"; after a change that
takes those posts (or the whole thread) away from that reader, no channel counts them
(or mentions the thread), and asking to record a read position in a thread the reader
may not read answers exactly as for a thread that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from forum import catalog, moderation
from forum.models import Role
from forum.permissions import Actor
from tests.factories import MAILER

MODERATOR = Actor(0, Role.ADMIN)  # acts in every region
UNKNOWN = 10**12


@dataclass
class Case:
    make: Any
    db: Any
    author: httpx.AsyncClient
    reader: httpx.AsyncClient
    thread_id: int = 0
    canary_posts: tuple[int, ...] = ()


async def listed(who: httpx.AsyncClient, case: Case) -> dict[str, Any]:
    """The thread's `unread` through every list channel, or "absent" where not listed."""
    found: dict[str, Any] = {}
    for channel, params in (
        ("threads API", {}),
        ("region threads API", {"region": "africa"}),
        ("members' region threads API", {"region": "staff-room"}),
        ("topic threads API", {"topic": "whistleblower-protection"}),
        ("country threads API", {"country": "KE"}),
    ):
        r = await who.get("/api/v1/threads", params=params)
        threads = r.json().get("threads", []) if r.status_code == 200 else []
        found[channel] = next((t["unread"] for t in threads if t["id"] == case.thread_id), "absent")
    for channel, path in (
        ("front page", "/"),
        ("region page", "/regions/africa"),
        ("members' region page", "/regions/staff-room"),
        ("topic page", "/topics/whistleblower-protection"),
        ("country page", "/countries/KE"),
    ):
        r = await who.get(path)
        found[channel] = _marker(r.text, case.thread_id) if r.status_code == 200 else "absent"
    return found


def _marker(page: str, thread_id: int) -> Any:
    """A list page's marker of the thread as the API says it: "new", a count (0 for no
    marker), or "absent" when the thread is not listed."""
    row = re.search(rf'<li class="thread[^"]*">\s*<a href="/threads/{thread_id}(?:/unread)?">'
                    r".*?</li>", page, re.S)  # fmt: skip
    if row is None:
        return "absent"
    marker = re.search(r'<span class="tag new">(.*?)</span>', row.group(0))
    if marker is None:
        return 0
    return "new" if marker.group(1) == "new" else int(marker.group(1).split()[0])


async def delete(case: Case) -> None:
    for post_id in case.canary_posts:
        assert (await case.author.delete(f"/api/v1/posts/{post_id}")).status_code == 200


async def hide(case: Case) -> None:
    async with case.db.transaction() as s:
        known = await catalog.load(s)
        for post_id in case.canary_posts:
            await moderation.set_post_hidden(s, MODERATOR, known, post_id, hidden=True)


async def hide_thread(case: Case) -> None:
    async with case.db.transaction() as s:  # as an operator would; there is no action yet
        await s.execute(text("UPDATE threads SET hidden = true WHERE id = :id"),
                        {"id": case.thread_id})  # fmt: skip


async def suspend(case: Case) -> None:
    reader_id = case.reader.user["id"]  # type: ignore[attr-defined]
    async with case.db.transaction() as s:
        await moderation.set_suspended(
            s, MODERATOR, MAILER, reader_id, suspended=True, reason="Spam"
        )


@dataclass(frozen=True)
class Change:
    name: str
    apply: Callable[[Case], Awaitable[None]]
    region: str  # where the thread is
    whole_thread: bool  # the change takes the thread away, not only the replies


CHANGES = [
    Change("replies deleted", delete, "africa", whole_thread=False),
    Change("replies hidden by a moderator", hide, "africa", whole_thread=False),
    Change("thread hidden", hide_thread, "africa", whole_thread=True),
    Change("reader suspended (members-only region)", suspend, "staff-room", whole_thread=True),
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.name for c in CHANGES])
async def test_unread_counts_follow_what_the_reader_may_see_now(make, db, change: Change):
    author = await make.logged_in()
    reader = await make.logged_in()
    case = Case(make, db, author, reader)
    r = await author.post(
        "/api/v1/threads",
        json={"region": change.region, "topic": "whistleblower-protection",
              "title": "A testimony", "body": "Opening.", "countries": ["KE"]},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    case.thread_id = r.json()["thread"]["id"]
    read = await reader.post(f"/api/v1/threads/{case.thread_id}/read", json={"position": 1})
    assert read.status_code == 200
    posts = []
    for n in range(3):
        r = await author.post(f"/api/v1/threads/{case.thread_id}/posts", json={"body": f"W{n}"})
        posts.append(r.json()["id"])
    case.canary_posts = tuple(posts)

    # Before: every channel counts the three replies (so each check can fail).
    before = await listed(reader, case)
    in_region = {k: v for k, v in before.items() if not k.startswith(_other(change.region))}
    assert set(in_region.values()) == {3}, before

    await change.apply(case)

    after = await listed(reader, case)
    if change.whole_thread:
        assert set(after.values()) == {"absent"}, after
        unknown = await reader.post(f"/api/v1/threads/{UNKNOWN}/read", json={"position": 1})
        mine = await reader.post(f"/api/v1/threads/{case.thread_id}/read", json={"position": 9})
        assert (mine.status_code, mine.json()) == (unknown.status_code, unknown.json())
        assert mine.status_code in (403, 404)
        unknown = await reader.get(f"/threads/{UNKNOWN}/unread")
        mine = await reader.get(f"/threads/{case.thread_id}/unread")
        if change.apply is suspend:  # reads like a visitor now: sent to the thread page
            assert mine.headers["location"] == f"/threads/{case.thread_id}"
            mine = await reader.get(mine.headers["location"])
            unknown = await reader.get(unknown.headers["location"])
        assert mine.status_code == unknown.status_code == 404
        assert _main(mine.text) == _main(unknown.text)
    else:
        assert set(after.values()) - {"absent"} == {0}, after
        # Someone who may see hidden posts still has them counted; deleted ones are gone.
        moderator = await make.logged_in(await make.user(Role.MODERATOR))
        await moderator.post(f"/api/v1/threads/{case.thread_id}/read", json={"position": 1})
        staff = await listed(moderator, case)
        assert staff["threads API"] == (3 if change.apply is hide else 0)


def _main(page: str) -> str:
    """A page's own content (the header holds a form token that differs every time)."""
    return page[page.index("<main") :]


def _other(region: str) -> tuple[str, ...]:
    """The list channels that never hold a thread of `region`."""
    if region == "africa":
        return ("members' region",)
    return ("region threads", "region page")


async def test_a_visitor_gets_no_count_and_the_same_answer_for_any_thread(make, client):
    public = (await make.thread())["thread"]["id"]
    closed = (await make.thread(region="staff-room"))["thread"]["id"]
    listed = (await client.get("/api/v1/threads")).json()["threads"]
    assert [(t["id"], t["unread"]) for t in listed] == [(public, None)]
    answers = set()
    for tid in (public, closed, UNKNOWN):
        r = await client.post(f"/api/v1/threads/{tid}/read", json={"position": 1})
        answers.add((r.status_code, r.text))
    assert len(answers) == 1 and next(iter(answers))[0] == 401
