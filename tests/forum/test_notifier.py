"""The fan-out: each reason gives its notification, to whom it concerns and may read it,
never to the author; the most specific follow wins and muted silences; at least once and
idempotent; one live event per batch names the members told."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, text, update

from forum import catalog, events, follows, moderation, posts, saved_searches
from forum.models import Notification, Role, User
from forum.permissions import Actor

ADMIN = Actor(0, Role.ADMIN)


async def settle(app) -> None:
    """Until the notifier has fanned out everything written so far."""
    db = app.state.db
    async with db.transaction() as conn:
        head = await events.head(conn)
    for _ in range(400):
        await app.state.notifier.catch_up()
        at = await app.state.notifier._log.get()
        if at is not None and at >= head:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the notifier did not catch up")


async def told(app, user) -> list[tuple[str, str]]:
    """(reason, subject) of a member's notifications, oldest first."""
    await settle(app)
    async with app.state.db.transaction() as s:
        rows = await s.execute(
            select(Notification.reason, Notification.subject)
            .where(Notification.user_id == user["id"])
            .order_by(Notification.id)
        )
        return [tuple(r) for r in rows]


async def follow(db, user, target, level="watching", **kw):
    async with db.transaction() as s:
        return await follows.follow(s, user["actor"], await catalog.load(s), target, level, **kw)


async def test_a_reply_tells_the_parent_author_and_the_starter_not_the_author(app, db, make):
    starter, parent_author, replier = await make.user(), await make.user(), await make.user()
    tid = (await make.thread(starter))["thread"]["id"]
    parent = await make.reply(tid, parent_author)
    async with db.transaction() as s:
        reply = await posts.reply(s, replier["actor"], tid, body="Agreed", reply_to=parent["id"])
    assert (await told(app, parent_author))[-1] == ("reply", f"post:{reply['id']}")
    assert (await told(app, starter))[-1] == ("reply", f"post:{reply['id']}")
    assert ("reply", f"post:{reply['id']}") not in await told(app, replier)


async def test_watchers_the_most_specific_follow_wins_and_muted_silences(app, db, make):
    author = await make.user()
    watcher, muter, tracker, thread_watcher = [await make.user() for _ in range(4)]
    tid = (await make.thread(author, region="africa"))["thread"]["id"]
    await settle(app)  # follows count when the fan-out runs: these are for what follows
    await follow(db, watcher, "region:africa")
    await follow(db, muter, "region:africa")
    await follow(db, muter, f"thread:{tid}", "muted")
    await follow(db, tracker, "topic:public-procurement", "tracking")
    await follow(db, tracker, "region:africa")
    await follow(db, thread_watcher, "region:africa", "muted")
    await follow(db, thread_watcher, f"thread:{tid}")
    post = await make.reply(tid, author)
    subject = ("watching", f"post:{post['id']}")
    assert await told(app, watcher) == [subject]
    assert await told(app, muter) == []
    assert await told(app, tracker) == []  # tracking the topic, more specific than the region
    assert await told(app, thread_watcher) == [subject]
    assert await told(app, author) == []


async def test_a_new_thread_and_posting_watches_it(app, db, make):
    author, watcher = await make.user(), await make.user()
    await follow(db, watcher, "topic:whistleblower-protection")
    started = await make.thread(author, topic="whistleblower-protection")
    tid = started["thread"]["id"]
    assert await told(app, watcher) == [("new_thread", f"thread:{tid}")]
    async with db.transaction() as s:
        found = await follows.one_of(s, author["actor"], f"thread:{tid}")
    assert found is not None and found.level == "watching"
    # The starter now hears of replies by watching (and as the starter: one notice).
    other = await make.user()
    reply = await make.reply(tid, other)
    assert await told(app, author) == [("reply", f"post:{reply['id']}")]


async def test_mentions_only_reach_those_who_may_read(app, db, make):
    author = await make.user()
    member = await make.user(display_name="Kofi Annan")
    applicant = await make.user(Role.APPLICANT, display_name="Ada Applicant")
    body = "Thanks @kofi_annan and @ada_applicant, and @nobody_at_all"
    public = await make.thread(author, region="africa", body=body)
    secret = await make.thread(author, region="staff-room", title="canary-room", body=body)
    assert await told(app, member) == [
        ("mention", f"post:{public['post']['id']}"), ("mention", f"post:{secret['post']['id']}")
    ]  # fmt: skip
    # An applicant reads public threads only: nothing about the members' room.
    assert await told(app, applicant) == [("mention", f"post:{public['post']['id']}")]


async def test_canary_a_non_member_following_a_members_region_hears_nothing(app, db, make):
    author = await make.user()
    member, suspended = await make.user(), await make.user()
    await follow(db, member, "region:staff-room")
    await follow(db, suspended, "region:staff-room")
    async with db.transaction() as s:
        await s.execute(
            update(User).where(User.id == suspended["id"]).values(suspended_at=text("now()"))
        )
    started = await make.thread(author, region="staff-room", title="canary-title")
    assert await told(app, member) == [("new_thread", f"thread:{started['thread']['id']}")]
    assert await told(app, suspended) == []


async def test_a_hidden_post_tells_its_author_and_nobody_else(app, db, make):
    author, watcher = await make.user(), await make.user()
    tid = (await make.thread(author))["thread"]["id"]
    await settle(app)
    await follow(db, watcher, f"thread:{tid}")
    async with db.transaction() as s:
        # Written and hidden in one go: the fan-out sees it hidden, and tells no watcher.
        post = await posts.reply(s, (await make.user())["actor"], tid, body="canary-hidden")
        await moderation.set_post_hidden(s, ADMIN, await catalog.load(s), post["id"], hidden=True)
    assert await told(app, watcher) == []
    other = await make.reply(tid, author)
    async with db.transaction() as s:
        await moderation.set_post_hidden(s, ADMIN, await catalog.load(s), other["id"], hidden=True)
    assert ("moderation", f"post:{other['id']}") in await told(app, author)


async def test_saved_search_matches_new_posts(app, db, make):
    searcher, author = await make.user(), await make.user()
    words = await app.state.search.words_of("procurement fraud")
    async with db.transaction() as s:
        known = await catalog.load(s)
        await saved_searches.create(
            s, searcher["actor"], known, name="Fraud", query="procurement fraud", words=words,
            region="africa",
        )  # fmt: skip
    tid = (await make.thread(author, region="south-east-asia", body="procurement fraud"))["thread"][
        "id"
    ]
    match = await make.thread(author, region="africa", body="Fraud in public procurement")
    await make.reply(tid, author, body="nothing to see")
    assert await told(app, searcher) == [("saved_search", f"post:{match['post']['id']}")]


async def test_replay_writes_nothing_twice_and_one_live_event_per_batch(app, db, make):
    author = await make.user()
    watchers = [await make.user() for _ in range(3)]
    for w in watchers:
        await follow(db, w, "region:africa")
    await settle(app)
    before = await app.state.notifier._log.get()
    await make.thread(author)
    await settle(app)
    async with db.transaction() as s:
        count = await s.scalar(text("SELECT count(*) FROM notifications"))
        live = (
            await s.execute(
                text("SELECT channels, visibility FROM events WHERE type = 'notification.created'")
            )
        ).all()
    assert count == 3
    ids = sorted(w["id"] for w in watchers)
    assert live == [([f"user:{i}" for i in ids], "recipients")]
    await app.state.notifier._log.save(before)  # as after a crash before the position moved
    await settle(app)
    async with db.transaction() as s:
        assert await s.scalar(text("SELECT count(*) FROM notifications")) == 3
