"""The fan-out: reads the event log after commit and writes each member's notifications.

A background consumer of the log, as the search indexer is (`forum.consumers`): its
position is stored in `search_cursors` (as "notifier"), one process at a time advances
it, and it is at least once: each event's notifications and the live event that
announces them are written in one short transaction, the position moves once a batch is
out, and a replay writes nothing twice (`ON CONFLICT (user_id, event_id) DO NOTHING`).
A first start begins at the head of the log (nothing old is announced); a position the
log has pruned past does too, with a warning. The write path of a post never waits for any of this.

Who is told what (`forum.notifications` lists the reasons and subjects):
- a new post (`post.created`) or thread (`thread.created`): the members it mentions, the
  author of the post it replies to and the thread's starter (`reply`), and those who
  watch what it falls under. For each follower the most specific follow decides (thread,
  then country, organisation, topic, region): watching notifies (`watching`, or
  `new_thread`), tracking and muted do not; a region followed as a mailing list gives
  `list_post`; a muted thread silences everything about it. Posting in a thread watches
  it, unless the author chose a level there already;
- an edit (`post.edited`): the members it mentions who no earlier version of the post
  mentioned and who were not told of a mention in it (`mention`);
- a new experience (`experience.created`): those watching its organisation
  (`experience`);
- saved searches (`search:<id>`): every batch's new posts and experiences are tested
  against every watched saved query in one statement (`saved_search`), with their
  search documents and the saved filters (kind, region, topic, country);
- moderation outcomes: a post hidden, shown, deleted by a moderator, restored,
  approved or rejected (its author; never which moderator), a flag reviewed (its
  reporter), a thread locked or unlocked (its starter), an account suspended or
  reinstated (`moderation`, with `action` the event's type);
- a country's review changed (`review`, those watching `country:<CODE>`), an event or a
  news item published (`calendar_event`, `news`, those watching its region), an
  application decided (`application`, the applicant).

Never the author of the post themselves; never a member who may not read the subject
now: each statement takes the subject as it is now (a post hidden or deleted since, or
in a hidden or pending thread, tells nobody) and keeps the accounts in its audience
(`permissions.readers`), as one `INSERT ... SELECT` per event however many follow it.
Notifications are shown through `forum.notifications.shown` again, at every look.

Upkeep: about hourly each process prunes (`forum.notifications.prune`): read
notifications older than 90 days go, and each member keeps their newest 1,000.

Live: one `notification.created` event per fanned-out event names every member it
told, on their own channels (`permissions.RECIPIENTS`), not one event per member.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import background, events, handles, markup, notifications, posts
from forum.catalog import CatalogCache
from forum.consumers import LogPosition
from forum.db import Database, keep_plans
from forum.events import Cursor, Event
from forum.locks import Lock
from forum.models import Visibility
from forum.notifications import (
    APPLICATION,
    CALENDAR_EVENT,
    EXPERIENCE,
    MODERATION,
    NEW_THREAD,
    NEWS,
    REVIEW,
    SAVED_SEARCH,
    WATCHING,
)
from forum.permissions import (
    RECIPIENTS,
    Readers,
    post_audience,
    readers,
    recipients_channels,
    region_audience,
    shown_affiliations,
)

log = logging.getLogger("forum.notifier")

CREATED = "notification.created"  # the live event: which members got notifications
BATCH = 100  # events per transaction: a fan-out to 10,000 takes ~0.2 s; keep it short
LIVE_CHANNELS = 2000  # members named by one live event
PRUNE_EVERY = 3600.0  # seconds, about (processes started together prune apart)

# Posts in these events are new to their readers (`forum.approvals` appends them too).
NEW_POST = "post.created"
NEW_THREAD_EVENT = "thread.created"
POST_EDITED = "post.edited"  # mentions it adds
# A moderation outcome told to the author of the post the event names.
# `post.deleted` only when a moderator deleted someone's post (the payload says so).
POST_DELETED = "post.deleted"
POST_OUTCOMES = frozenset(
    {"post.hidden", "post.shown", "post.restored", POST_DELETED, "approval.approved",
     "approval.rejected"}
)  # fmt: skip
THREAD_OUTCOMES = frozenset({"thread.locked", "thread.unlocked"})
ACCOUNT_OUTCOMES = frozenset({"user.suspended", "user.reinstated"})
DECISIONS = {"user.approved": "approved", "user.refused": "refused"}
REVIEW_CHANGED = "country.review_changed"
EVENT_PUBLISHED = "event.published"
NEWS_PUBLISHED = "news.published"
FLAG_REVIEWED = "flag.reviewed"
EXPERIENCE_CREATED = "experience.created"  # `forum.experiences`
HANDLED = frozenset(
    {NEW_POST, NEW_THREAD_EVENT, REVIEW_CHANGED, EVENT_PUBLISHED, NEWS_PUBLISHED, FLAG_REVIEWED,
     EXPERIENCE_CREATED, POST_EDITED}
    | POST_OUTCOMES | THREAD_OUTCOMES | ACCOUNT_OUTCOMES | DECISIONS.keys()
)  # fmt: skip


# The account of `key` if it is in an audience (`permissions.Readers`), looked up by its
# key for each member found (the suspension test is `forum.suspensions.active` written
# out). OFFSET 0 keeps it a look-up: the fan-out's plans are kept (`Notifier._fan_out`),
# made without the audience's values, and as a join PostgreSQL reckoned the test would
# leave one account of all, took `users` as the outer side and made the followers anew
# for each account (1,010 times for a post to 1,000 followers, 1.9 s).
def _reader(key: str) -> str:
    return f"""
    JOIN LATERAL (
        SELECT FROM users u
        WHERE u.id = {key}
          AND NOT CAST(:nobody AS boolean)
          AND (CAST(:any_role AS boolean) OR u.role = ANY(CAST(:roles AS text[])))
          AND (NOT CAST(:good_standing AS boolean)
               OR u.suspended_at IS NULL
               OR (u.suspended_until IS NOT NULL AND u.suspended_until <= now()))
          AND (CAST(:only AS bigint) IS NULL OR u.id = CAST(:only AS bigint))
        OFFSET 0
    ) AS reader ON true
    """


def _readers(audience: str) -> dict[str, Any]:
    r: Readers = readers(audience)
    return {
        "nobody": r.nobody,
        "any_role": r.any_role,
        "roles": list(r.roles),
        "good_standing": r.good_standing,
        "only": r.only,
    }


# The post as it is now, and who may read it.
_POST = text(
    """
    SELECT p.id, p.thread_id, p.author_id, p.body_source, p.hidden, p.pending,
           p.deleted_at IS NOT NULL AS deleted, t.hidden AS thread_hidden,
           t.pending AS thread_pending, r.visibility
    FROM posts p JOIN threads t ON t.id = p.thread_id JOIN regions r ON r.id = t.region_id
    WHERE p.id = :post_id
    """
)

# One new post's fan-out: mentions, replies, watchers (the most specific follow wins),
# all in one statement whatever the number of followers.
# Uses index: ix_follows_target_level (followers of each target), pk_follows (mutes)
_POST_FAN_OUT = text(
    f"""
    WITH p AS (
        SELECT p.id, p.thread_id, p.author_id, p.reply_to_id, t.author_id AS starter,
               r.slug AS region, tp.slug AS topic
        FROM posts p
        JOIN threads t ON t.id = p.thread_id
        JOIN regions r ON r.id = t.region_id
        JOIN topics tp ON tp.id = t.topic_id
        WHERE p.id = :post_id
    ),
    targets (target, rank) AS (
        SELECT 'thread:' || p.thread_id, 1 FROM p
        UNION ALL
        SELECT 'country:' || c.country_code, 2
        FROM p JOIN thread_countries c ON c.thread_id = p.thread_id
        UNION ALL
        SELECT 'organisation:' || o.slug, 3
        FROM p JOIN affiliations a ON a.user_id = p.author_id
                   AND a.shown = ANY(CAST(:shown AS boolean[]))
               JOIN organisations o ON o.id = a.organisation_id
        UNION ALL SELECT 'topic:' || p.topic, 4 FROM p
        UNION ALL SELECT 'region:' || p.region, 5 FROM p
    ),
    followed AS (
        SELECT f.user_id, f.level,
               row_number() OVER (PARTITION BY f.user_id ORDER BY t.rank) AS n,
               bool_or(f.mailing_list AND f.level <> 'muted')
                   OVER (PARTITION BY f.user_id) AS listed
        FROM follows f JOIN targets t ON t.target = f.target
    ),
    candidates (user_id, reason, priority) AS (
        SELECT m, 'mention', 1 FROM unnest(CAST(:mentioned AS bigint[])) AS m
        UNION ALL
        SELECT parent.author_id, 'reply', 2
        FROM p JOIN posts parent ON parent.id = p.reply_to_id
        WHERE CAST(:replies AS boolean)
        UNION ALL
        SELECT p.starter, 'reply', 2 FROM p WHERE CAST(:replies AS boolean)
        UNION ALL
        SELECT user_id, CASE WHEN listed THEN 'list_post' ELSE :watching END, 3
        FROM followed
        WHERE CAST(:watchers AS boolean)
          AND n = 1 AND level <> 'muted' AND (level = 'watching' OR listed)
    ),
    chosen AS (
        SELECT DISTINCT ON (c.user_id) c.user_id, c.reason
        FROM candidates c {_reader("c.user_id")} CROSS JOIN p
        WHERE c.user_id <> p.author_id
          AND NOT EXISTS (
              SELECT FROM follows m
              WHERE m.user_id = c.user_id AND m.target = 'thread:' || p.thread_id
                AND m.level = 'muted')
        ORDER BY c.user_id, c.priority
    )
    INSERT INTO notifications (user_id, event_id, reason, subject, thread_id, post_id)
    SELECT chosen.user_id, :event_id, chosen.reason,
           CASE WHEN chosen.reason = :new_thread THEN 'thread:' || p.thread_id
                ELSE 'post:' || p.id END,
           p.thread_id, p.id
    FROM chosen CROSS JOIN p
    ON CONFLICT (user_id, event_id) DO NOTHING
    RETURNING user_id
    """
)

# The texts a post had before its current one (`forum.revisions`; a redacted one is empty).
_EARLIER = text("SELECT body_source FROM post_revisions WHERE post_id = :post_id")

# Who among these was told already that a post mentions them.
# Uses index: ix_notifications_listing (user_id first)
_TOLD_MENTION = text(
    """
    SELECT user_id FROM notifications
    WHERE user_id = ANY(CAST(:ids AS bigint[])) AND subject = :subject AND reason = 'mention'
    """
)

# Posting in a thread watches it, unless one chose a level there already.
_WATCH_OWN = text(
    """
    INSERT INTO follows (user_id, target, level)
    VALUES (:user_id, :target, 'watching')
    ON CONFLICT (user_id, target) DO NOTHING
    """
)

# The new posts and experiences of a batch against every watched saved search, one
# region visibility at a time (each has its audience). A post has a search document only
# while readers see it; an experience's is rewritten with it (`forum.knowledge_documents`).
# Uses index: pk_search_documents, search_knowledge.experience_id (unique),
# ix_follows_target_level
_SAVED_SEARCHES = text(
    f"""
    WITH new (event_id, post_id, experience_id) AS (
        SELECT * FROM unnest(CAST(:event_ids AS bigint[]), CAST(:post_ids AS bigint[]),
                             CAST(:experience_ids AS bigint[]))
    ),
    found (event_id, kind, subject, thread_id, post_id, author_id, region_id, topic_ids,
           countries, tsv) AS (
        SELECT n.event_id, d.kind, 'post:' || d.post_id, d.thread_id, d.post_id, d.author_id,
               d.region_id, ARRAY[d.topic_id], d.countries, d.tsv
        FROM new n
        JOIN search_documents d ON d.post_id = n.post_id
        JOIN threads t ON t.id = d.thread_id AND NOT t.hidden AND NOT t.pending
        JOIN regions r ON r.id = d.region_id AND r.visibility = :visibility
        UNION ALL
        SELECT n.event_id, k.kind, 'experience:' || k.experience_id, NULL, NULL, e.author_id,
               k.region_id, k.topic_ids, k.countries, k.tsv
        FROM new n
        JOIN search_knowledge k ON k.experience_id = n.experience_id
        JOIN experiences e ON e.id = k.experience_id
        JOIN regions r ON r.id = k.region_id AND r.visibility = :visibility
    )
    INSERT INTO notifications (user_id, event_id, reason, subject, thread_id, post_id)
    SELECT DISTINCT ON (s.user_id, d.event_id)
           s.user_id, d.event_id, :reason, d.subject, d.thread_id, d.post_id
    FROM found d
    JOIN saved_searches s ON s.words <> '' AND d.tsv @@ CAST(s.words AS tsquery)
    JOIN follows f ON f.user_id = s.user_id AND f.target = 'search:' || s.id
                  AND f.level = 'watching'
    {_reader("s.user_id")}
    WHERE s.user_id IS DISTINCT FROM d.author_id
      AND (NOT s.filters ? 'kind' OR d.kind = s.filters->>'kind')
      AND (NOT s.filters ? 'region_id' OR d.region_id = CAST(s.filters->>'region_id' AS int))
      AND (NOT s.filters ? 'topic_id'
           OR CAST(s.filters->>'topic_id' AS smallint) = ANY(d.topic_ids))
      AND (NOT s.filters ? 'country' OR s.filters->>'country' = ANY(d.countries))
      AND NOT EXISTS (
          SELECT FROM follows m
          WHERE m.user_id = s.user_id AND m.target = 'thread:' || d.thread_id
            AND m.level = 'muted')
    ORDER BY s.user_id, d.event_id
    ON CONFLICT (user_id, event_id) DO NOTHING
    RETURNING user_id
    """
)

# A new experience, with its organisation and the region it is read in now.
_EXPERIENCE = text(
    """
    SELECT e.id, e.author_id, o.slug AS organisation, r.visibility
    FROM experiences e
    JOIN organisations o ON o.id = e.organisation_id
    JOIN countries c ON c.code = o.country_code
    JOIN regions r ON r.id = c.region_id
    WHERE e.id = :id
    """
)

# Those watching one target (a country, a region), in the audience, but the author.
_WATCHERS = text(
    f"""
    INSERT INTO notifications (user_id, event_id, reason, subject)
    SELECT f.user_id, :event_id, :reason, :subject
    FROM follows f {_reader("f.user_id")}
    WHERE f.target = :target AND f.level = 'watching'
      AND f.user_id IS DISTINCT FROM CAST(:author AS bigint)
    ON CONFLICT (user_id, event_id) DO NOTHING
    RETURNING user_id
    """
)

# One member.
_ONE = text(
    """
    INSERT INTO notifications (user_id, event_id, reason, subject, thread_id, post_id, action)
    SELECT u.id, :event_id, :reason, :subject, :thread_id, :post_id, :action
    FROM users u WHERE u.id = :user_id
    ON CONFLICT (user_id, event_id) DO NOTHING
    RETURNING user_id
    """
)


def _readable(post: Any) -> bool:
    """Whether a post (`_POST`) is one its thread's readers see now: one gone, hidden or
    held since tells nobody, and a hidden thread is for moderators, who have their
    queues."""
    return not (
        post.deleted or post.hidden or post.pending or post.thread_pending or post.thread_hidden
    )


class _New(NamedTuple):
    """A new post or experience of the batch, for the saved searches (one of the two)."""

    event_id: int
    post_id: int | None
    experience_id: int | None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Notifier:
    def __init__(
        self,
        db: Database,
        catalog: CatalogCache,
        *,
        name: str = "notifier",
        batch: int = BATCH,
        poll: float = 1.0,
        prune_every: float = PRUNE_EVERY,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.batch = batch
        self.poll = poll
        self.prune_every = prune_every
        self._log = LogPosition(db, name, Lock.NOTIFIER)
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def position(self) -> Cursor | None:
        """How far the fan-out has got in the event log."""
        return await self._log.get()

    async def start(self) -> None:
        """Take a position in the log (the head, on a first start: what happens from now
        on notifies), then fan out in the background."""
        await self._start()
        self._stop.clear()
        self._task = asyncio.create_task(self.run(self._stop))

    async def stop(self) -> None:
        """Let the batch under way finish (a cancelled query can leave its connection
        half-open), then, if it takes too long, cancel it."""
        if self._task is None:
            return
        self._stop.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait({self._task}, timeout=background.UNWIND)
        await background.cancel([self._task])

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Catch up, then poll, until `stop` is set; ride out database outages with a
        growing wait, warning once per outage."""
        stop = stop or asyncio.Event()
        failures = 0
        prune_at = time.monotonic() + self.prune_every * random.uniform(0.1, 1.0)
        while not stop.is_set():
            try:
                await self.catch_up()
                if time.monotonic() >= prune_at:
                    prune_at = time.monotonic() + self.prune_every * random.uniform(0.5, 1.5)
                    await self.prune()
            except Exception as exc:
                if failures == 0:
                    log.warning("notifications stopped, retrying until they recover: %r", exc)
                delay = min(30.0, 0.5 * 2**failures)
                failures += 1
            else:
                if failures:
                    log.info("notifications recovered after %d failed attempts", failures)
                failures = 0
                delay = self.poll
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await stop.wait()

    async def prune(self) -> int:
        """The notifications' upkeep (`notifications.prune`), a short transaction per
        batch; how many rows went."""
        gone = 0
        while True:
            async with self.db.transaction() as conn:
                done = await notifications.prune(conn)
            gone += done
            if not done:
                if gone:
                    log.info("pruned %d notifications", gone)
                return gone

    async def catch_up(self) -> int:
        """Fan out every finished event up to the head of the log; the number of
        notifications written (0 if another process holds the fan-out)."""
        async with self._log.exclusive() as mine:
            return await self._drain() if mine else 0

    async def _drain(self) -> int:
        cursor = await self._start()
        written = 0
        while True:
            async with self.db.transaction() as conn:
                batch = await events.read(conn, cursor, self.batch)
            if not batch:
                return written
            written += await self._fan_out(batch)
            # Only once the whole batch is out: a crash before replays it, and a replay
            # writes nothing twice.
            cursor = batch[-1].cursor
            await self._log.save(cursor)
            if len(batch) < self.batch:
                return written

    async def _start(self) -> Cursor:
        cursor = await self._log.get()
        async with self.db.transaction() as conn:
            if cursor is not None and not await events.expired(conn, cursor):
                return cursor
            head = await events.head(conn)
        if cursor is not None:
            log.warning("notifications: the log was pruned past %s; going on from %s", cursor, head)
        await self._log.save(head)
        return head

    async def _fan_out(self, batch: Sequence[Event]) -> int:
        """Every notification the batch gives, each event in a short transaction of its
        own with the live event naming whom it told (a long one would hold back every
        reader of the log). The number of members told.

        On kept plans (`keep_plans`): the post's fan-out was planned anew for every post,
        2.4 ms of PostgreSQL's CPU against 1 ms to run it (`bench/api.py` with
        `pg_stat_statements`), and its plan holds whatever the values: the targets come
        from the post inside the statement, and each member found is looked up by key
        (`_reader`). A post to 1,000 followers took 49-91 ms so, 87-123 ms planned each
        time; to 10,000, 0.37-0.55 s so and 0.51-0.66 s planned each time (one process,
        the PostgreSQL 15 server; stop 25's note)."""
        told = 0
        new: list[_New] = []
        for event in batch:
            if event.type not in HANDLED:
                continue
            try:
                async with self.db.transaction() as conn:
                    await keep_plans(conn)
                    told += await self._announce(conn, await self._one(conn, event, new))
            except (DBAPIError, OSError):
                raise  # the database is away: the batch is tried again later
            except Exception:
                # A bug, or a row gone mid-way: logged and passed, so that it holds up
                # nobody else's notifications.
                log.exception("notifications: event %s (%s) not fanned out", event.cursor,
                              event.type)  # fmt: skip
        if new:
            async with self.db.transaction() as conn:
                await keep_plans(conn)
                told += await self._announce(conn, await self._saved_searches(conn, new))
        return told

    async def _announce(self, conn: AsyncConnection, told: list[int]) -> int:
        """One live event naming the members just told, on their own channels."""
        members = sorted(set(told))
        for start in range(0, len(members), LIVE_CHANNELS):
            channels = recipients_channels(members[start : start + LIVE_CHANNELS])
            await events.append(conn, CREATED, channels, RECIPIENTS, {})
        return len(members)

    async def _one(self, conn: AsyncConnection, event: Event, new: list[_New]) -> list[int]:
        kind, payload = event.type, event.payload
        post_id, thread_id = _int(payload.get("post_id")), _int(payload.get("thread_id"))
        if kind in (NEW_POST, NEW_THREAD_EVENT) and post_id is not None:
            return await self._post(conn, event, post_id, kind == NEW_THREAD_EVENT, new)
        if kind == POST_EDITED and post_id is not None:
            return await self._edited(conn, event, post_id)
        if kind == POST_DELETED and not payload.get(posts.BY_MODERATOR):
            return []  # its author's own doing
        if kind in POST_OUTCOMES and post_id is not None:
            author = await conn.scalar(
                text("SELECT author_id FROM posts WHERE id = :id"), {"id": post_id}
            )
            return await self._tell(conn, event, author, MODERATION, f"post:{post_id}",
                                    thread_id=thread_id, post_id=post_id)  # fmt: skip
        if kind == FLAG_REVIEWED and post_id is not None:
            reporter = _reporter(event)
            return await self._tell(conn, event, reporter, MODERATION, f"post:{post_id}",
                                    post_id=post_id)  # fmt: skip
        if kind in THREAD_OUTCOMES and thread_id is not None:
            starter = await conn.scalar(
                text("SELECT author_id FROM threads WHERE id = :id"), {"id": thread_id}
            )
            return await self._tell(conn, event, starter, MODERATION, f"thread:{thread_id}",
                                    thread_id=thread_id)  # fmt: skip
        if kind in ACCOUNT_OUTCOMES:
            return await self._tell(conn, event, _int(payload.get("user_id")), MODERATION,
                                    "account")  # fmt: skip
        if kind in DECISIONS:
            return await self._decision(conn, event)
        if kind == REVIEW_CHANGED:
            return await self._review(conn, event)
        if kind == EVENT_PUBLISHED:
            return await self._published(conn, event, CALENDAR_EVENT, "calendar_events")
        if kind == NEWS_PUBLISHED:
            return await self._published(conn, event, NEWS, "news")
        if kind == EXPERIENCE_CREATED:
            return await self._experience(conn, event, new)
        return []

    async def _post(
        self,
        conn: AsyncConnection,
        event: Event,
        post_id: int,
        new_thread: bool,
        new: list[_New],
    ) -> list[int]:
        post = (await conn.execute(_POST, {"post_id": post_id})).first()
        if post is None:
            return []
        await conn.execute(
            _WATCH_OWN, {"user_id": post.author_id, "target": f"thread:{post.thread_id}"}
        )
        if not _readable(post):
            return []
        new.append(_New(event.cursor.id, post_id, None))
        named = await markup.mentions_off_loop(post.body_source)
        mentioned = await handles.members(conn, named) if named else {}
        return await self._tell_of_post(conn, event, post, set(mentioned.values()),
                                        new_thread=new_thread, watchers=True)  # fmt: skip

    async def _edited(self, conn: AsyncConnection, event: Event, post_id: int) -> list[int]:
        """The members an edit mentions for the first time: in no earlier version of the
        post (under any of their handles), and not told of a mention in it already (two
        edits fanned out together name the same ones)."""
        post = (await conn.execute(_POST, {"post_id": post_id})).first()
        if post is None or not _readable(post):
            return []
        named = await markup.mentions_off_loop(post.body_source)
        if not named:
            return []
        mentioned = set((await handles.members(conn, named)).values())
        earlier = list(await conn.scalars(_EARLIER, {"post_id": post_id}))
        before = {h for body in earlier for h in await markup.mentions_off_loop(body)}
        mentioned -= set((await handles.members(conn, before)).values()) if before else set()
        if mentioned:
            mentioned -= set(
                await conn.scalars(
                    _TOLD_MENTION, {"ids": sorted(mentioned), "subject": f"post:{post_id}"}
                )
            )
        if not mentioned:
            return []
        return await self._tell_of_post(conn, event, post, mentioned, new_thread=False,
                                        watchers=False)  # fmt: skip

    async def _tell_of_post(
        self,
        conn: AsyncConnection,
        event: Event,
        post: Any,
        mentioned: set[int],
        *,
        new_thread: bool,
        watchers: bool,
    ) -> list[int]:
        """`_POST_FAN_OUT` for a post readers see: mentions, and for a new one replies
        and watchers too."""
        audience = post_audience(post.visibility, False, False, post.author_id)
        found = await conn.execute(
            _POST_FAN_OUT,
            {
                "post_id": post.id,
                "event_id": event.cursor.id,
                "mentioned": sorted(mentioned),
                "replies": watchers and not new_thread,
                "watchers": watchers,
                "watching": NEW_THREAD if new_thread else WATCHING,
                "new_thread": NEW_THREAD,
                "shown": shown_affiliations(),
                **_readers(audience),
            },
        )
        return [r.user_id for r in found]

    async def _saved_searches(self, conn: AsyncConnection, new: list[_New]) -> list[int]:
        told: list[int] = []
        for visibility in Visibility:
            found = await conn.execute(
                _SAVED_SEARCHES,
                {
                    "event_ids": [n.event_id for n in new],
                    "post_ids": [n.post_id for n in new],
                    "experience_ids": [n.experience_id for n in new],
                    "reason": SAVED_SEARCH,
                    "visibility": visibility.value,
                    **_readers(region_audience(visibility.value)),
                },
            )
            told += [r.user_id for r in found]
        return told

    async def _experience(self, conn: AsyncConnection, event: Event, new: list[_New]) -> list[int]:
        """Those watching the organisation; saved searches test it with the batch."""
        experience_id = _int(event.payload.get("experience_id"))
        row = (await conn.execute(_EXPERIENCE, {"id": experience_id})).first()
        if row is None:
            return []
        new.append(_New(event.cursor.id, None, row.id))
        return await self._watchers(conn, event, EXPERIENCE, f"organisation:{row.organisation}",
                                    f"experience:{row.id}", region_audience(row.visibility),
                                    row.author_id)  # fmt: skip

    async def _tell(
        self,
        conn: AsyncConnection,
        event: Event,
        user_id: int | None,
        reason: str,
        subject: str,
        *,
        thread_id: int | None = None,
        post_id: int | None = None,
    ) -> list[int]:
        """One member (the one the outcome concerns); shown only while they may see it
        (`notifications.shown`)."""
        if user_id is None:
            return []
        found = await conn.execute(
            _ONE,
            {"user_id": user_id, "event_id": event.cursor.id, "reason": reason,
             "subject": subject, "thread_id": thread_id, "post_id": post_id,
             "action": event.type},
        )  # fmt: skip
        return [r.user_id for r in found]

    async def _decision(self, conn: AsyncConnection, event: Event) -> list[int]:
        user_id = _int(event.payload.get("user_id"))
        application = await conn.scalar(
            text(
                "SELECT id FROM applications WHERE user_id = :user_id "
                "ORDER BY submitted_at DESC, id DESC LIMIT 1"
            ),
            {"user_id": user_id},
        )
        if user_id is None or application is None:
            return []
        found = await conn.execute(
            _ONE,
            {"user_id": user_id, "event_id": event.cursor.id, "reason": APPLICATION,
             "subject": f"application:{application}", "thread_id": None, "post_id": None,
             "action": DECISIONS[event.type]},
        )  # fmt: skip
        return [r.user_id for r in found]

    async def _review(self, conn: AsyncConnection, event: Event) -> list[int]:
        code, cycle = event.payload.get("country"), _int(event.payload.get("cycle"))
        catalog = await self.catalog.current()
        country = next((c for c in catalog.countries if c.code == code), None)
        region = catalog.region_by_id(country.region_id) if country else None
        if country is None or region is None or cycle is None:
            return []
        return await self._watchers(conn, event, REVIEW, f"country:{country.code}",
                                    f"country:{country.code}:{cycle}",
                                    region_audience(region.visibility), None)  # fmt: skip

    async def _published(
        self, conn: AsyncConnection, event: Event, reason: str, table: str
    ) -> list[int]:
        key = "event_id" if reason == CALENDAR_EVENT else "id"
        item_id = _int(event.payload.get(key))
        row = (
            await conn.execute(
                text(f"SELECT region_id, status, proposer_id FROM {table} WHERE id = :id"),
                {"id": item_id},
            )
        ).first()
        catalog = await self.catalog.current()
        region = catalog.region_by_id(row.region_id) if row else None
        if row is None or region is None or row.status != "published":
            return []
        return await self._watchers(conn, event, reason, f"region:{region.slug}",
                                    f"{reason}:{item_id}", region_audience(region.visibility),
                                    row.proposer_id)  # fmt: skip

    async def _watchers(
        self,
        conn: AsyncConnection,
        event: Event,
        reason: str,
        target: str,
        subject: str,
        audience: str,
        author: int | None,
    ) -> list[int]:
        found = await conn.execute(
            _WATCHERS,
            {"event_id": event.cursor.id, "reason": reason, "subject": subject,
             "target": target, "author": author, **_readers(audience)},
        )  # fmt: skip
        return [r.user_id for r in found]


def _reporter(event: Event) -> int | None:
    """The member a `flag.reviewed` event is addressed to (its only channel)."""
    for channel in event.channels:
        kind, _, number = channel.partition(":")
        if kind == "user" and number.isdigit():
            return int(number)
    return None
