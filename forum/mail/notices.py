"""Notification mail: turns notifications not yet mailed (`mailed_at IS NULL`) into
outbox messages, per member, as their `users.email_mode` says.

- `immediately`: batched, at most one mail per member every `BATCH_EVERY` (5 minutes,
  `users.mailed_at`): the first notification goes at once, what arrives in the next
  minutes waits and goes together.
- `daily` / `weekly`: a digest at `DIGEST_HOUR` UTC (each day; on Mondays), holding
  the notifications that arrived before that hour and were not mailed yet.
- `none`, an address that is failing (`bounces.receives_notifications`) or was never
  confirmed: nothing is sent; the rows are marked mailed.
- `list_post` (a region followed in mailing-list mode): one mail per post, at once
  whatever the mode (but `none`), threaded: its `Message-ID` is made from the post,
  `In-Reply-To` names the post it quotes or else the thread's first post, `References`
  the chain, so a mail client groups a thread.

Every row is checked again through `forum.notifications.shown` when its mail is
written: what the member may no longer read is marked mailed and not sent, and a mail's
words are only ever what `shown` returns (and, for a mailing-list post the member may
read, its text). The outbox row(s) and `mailed_at` are written in one transaction (a
few members share one, each in a savepoint): a worker that dies leaves the rows
unmailed, and nothing is lost or queued twice. Two workers never write the same member's
mail: each takes the members' rows with `FOR NO KEY UPDATE SKIP LOCKED` (which does not
block the fan-out's inserts, whose foreign key only takes a KEY SHARE lock) and leaves a
locked member to the other.

Tables `notifications` and `users` (Core statements), `outbox` through `forum.mail.outbox`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from forum import background, markup, notifications
from forum.catalog import CatalogCache
from forum.db import Database
from forum.mail import bounces, outbox, reply_address, signed, unsubscribe
from forum.models import EmailMode, Notification, Post, Region, Thread, User
from forum.notifications import Shown

log = logging.getLogger("forum.mail")
_Earlier = aliased(Post)

NOTICES = "notices"  # the outbox kinds written here
LIST_POST = "list_post"
BATCH_EVERY = timedelta(minutes=5)
DIGEST_HOUR = 6  # UTC: daily digests go out at 06:00, weekly ones on Mondays at 06:00
POLL = 10.0  # seconds
MEMBERS = 200  # members found per query
TOGETHER = 25  # members mailed in one transaction
ROWS = 200  # notifications one member's pass takes (the rest go in the next)
ITEMS = 50  # listed in one mail; beyond, the mail says how many more
REFERENCES = 20  # ancestors named in a mailing-list mail's `References`
SETTINGS = "/settings"
# The reasons that are about one post of a thread (a reply by mail can go there).
_ABOUT_POSTS = frozenset(
    {notifications.REPLY, notifications.MENTION, notifications.WATCHING,
     notifications.SAVED_SEARCH, notifications.NEW_THREAD}
)  # fmt: skip


def last_digest(now: datetime, mode: str) -> datetime:
    """When the latest digest of `mode` (daily, weekly) was due, at or before `now`."""
    due = now.astimezone(UTC).replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if due > now:
        due -= timedelta(days=1)
    if mode == EmailMode.WEEKLY.value:
        due -= timedelta(days=due.weekday())  # Monday
    return due


def _unreachable() -> Any:
    """A `users` row whose address takes no notification mail: failing (bounces), or
    never confirmed (anyone may register with someone else's address; mail from what
    they follow must not reach it)."""
    return or_(~bounces.receives_notifications(), User.email_verified_at.is_(None))


def _due(now: datetime) -> Any:
    """The rows a pass at `now` mails (or drops): one rule for finding the members and
    for taking their rows. Needs `users` joined."""
    return or_(
        Notification.reason == notifications.LIST_POST,
        User.email_mode == EmailMode.NONE.value,
        _unreachable(),
        and_(
            User.email_mode == EmailMode.IMMEDIATELY.value,
            or_(User.mailed_at.is_(None), User.mailed_at <= now - BATCH_EVERY),
        ),
        and_(
            User.email_mode == EmailMode.DAILY.value,
            Notification.created_at < last_digest(now, EmailMode.DAILY.value),
        ),
        and_(
            User.email_mode == EmailMode.WEEKLY.value,
            Notification.created_at < last_digest(now, EmailMode.WEEKLY.value),
        ),
    )


def _plain(body_html: str) -> str:
    """A post's text with its paragraphs, for a mail read on a phone."""
    marked = re.sub(r"</(?:p|li|h[1-6]|blockquote|pre)>", "\n\n", body_html)
    marked = re.sub(r"<br\s*/?>", "\n", marked)
    lines = (" ".join(line.split()) for line in markup.text_of(marked).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass(frozen=True)
class Member:
    id: int
    email: str
    display_name: str
    language: str
    email_mode: str
    unreachable: bool


@dataclass(frozen=True)
class _Listed:
    """What a mailing-list mail says of its post (the same for every member it goes to)."""

    text: str
    author: str
    region_id: int
    region_slug: str
    region_name: str
    parent: int | None  # the post it quotes, else the thread's first (None: it is that)
    chain: tuple[int, ...]  # `References`: ancestors, oldest first


@dataclass
class _Run:
    """One pass: the time it takes as now, and the mailing-list posts read so far."""

    now: datetime
    listed: dict[int, _Listed | None] = field(default_factory=dict)


class Notices:
    """Built, started and stopped by the app's lifespan beside the mail sender; `drain`
    is one whole pass (tests call it with a `now` of their choosing)."""

    def __init__(
        self,
        db: Database,
        catalog: CatalogCache,
        *,
        secret: str,
        mail_from: str,
        link_base: str,
        poll: float = POLL,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.secret = secret
        self.mail_from = mail_from
        self.link_base = link_base
        self.domain = signed.domain_of(mail_from)
        self.poll = poll
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run())]

    async def stop(self) -> None:
        await background.cancel(self._tasks)

    async def _run(self) -> None:
        while True:
            try:
                await self.drain()
            except Exception as exc:  # the database is away; try at the next turn
                log.warning("notification mail: %r", exc)
            await asyncio.sleep(self.poll)

    async def drain(self, now: datetime | None = None) -> int:
        """Mail every member whose notifications are due at `now`; how many messages
        were queued."""
        run = _Run(now or datetime.now(UTC))
        queued = 0
        after = 0
        while True:
            async with self.db.transaction() as session:
                # Uses index: ix_notifications_unmailed (user_id, id WHERE mailed_at IS NULL)
                members = list(
                    await session.scalars(
                        select(Notification.user_id)
                        .join(User, User.id == Notification.user_id)
                        .where(Notification.mailed_at.is_(None), Notification.user_id > after)
                        .where(_due(run.now))
                        .group_by(Notification.user_id)
                        .order_by(Notification.user_id)
                        .limit(MEMBERS)
                    )
                )
            for start in range(0, len(members), TOGETHER):
                queued += await self._members(members[start : start + TOGETHER], run)
            if len(members) < MEMBERS:
                return queued
            after = members[-1]

    async def _members(self, user_ids: list[int], run: _Run) -> int:
        """Mail a few members in one transaction (one commit for them all), each in a
        savepoint: one whose mail fails to be written is left for the next pass and
        holds up nobody else."""
        queued = 0
        async with self.db.transaction() as session:
            found = await session.execute(
                select(
                    User.id,
                    User.email,
                    User.display_name,
                    User.language,
                    User.email_mode,
                    _unreachable().label("unreachable"),
                )
                .where(User.id.in_(user_ids))
                .order_by(User.id)
                .with_for_update(key_share=True, skip_locked=True)  # FOR NO KEY UPDATE
            )
            # Members another worker holds are skipped (SKIP LOCKED): it mails them.
            for member in [Member(*row) for row in found]:
                try:
                    async with session.begin_nested():
                        queued += await self._member(session, member, run)
                except Exception as exc:
                    log.error("notification mail for member %d: %r", member.id, exc)
        return queued

    async def _member(self, session: AsyncConnection, member: Member, run: _Run) -> int:
        user_id, now = member.id, run.now
        # Uses index: ix_notifications_unmailed
        rows = list(
            await session.execute(
                notifications.query()
                .join(User, User.id == Notification.user_id)
                .where(Notification.user_id == user_id, Notification.mailed_at.is_(None))
                .where(_due(now))
                .order_by(Notification.id)
                .limit(ROWS)
            )
        )
        if not rows:
            return 0
        await session.execute(
            update(Notification)
            .where(Notification.id.in_([r.id for r in rows]))
            .values(mailed_at=now)
        )
        actor = await notifications.actor_of(session, user_id)
        if member.email_mode == EmailMode.NONE.value or member.unreachable or actor is None:
            return 0
        catalog = await self.catalog.current()
        listed = [r for r in rows if r.reason == notifications.LIST_POST]
        batched = [r for r in rows if r.reason != notifications.LIST_POST]
        queued = 0
        for item in await notifications.shown(session, actor, catalog, listed):
            queued += await self._list_post(session, member, item, run)
        items = await notifications.shown(session, actor, catalog, batched)
        if items:
            await self._notices(session, member, items)
            await session.execute(update(User).where(User.id == user_id).values(mailed_at=now))
            queued += 1
        return queued

    # What goes in the outbox

    def _unsubscribe(self, user_id: int, region_id: int | None = None) -> str:
        value = unsubscribe.token(self.secret, user_id, region_id)
        return f"{self.link_base}/unsubscribe/{value}"

    def _list_headers(self, list_id: str, unsubscribe_link: str) -> dict[str, str]:
        return {
            "List-Id": f"<{list_id}>",
            "List-Unsubscribe": f"<{unsubscribe_link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }

    async def _enqueue(
        self,
        session: AsyncConnection,
        member: Member,
        kind: str,
        params: dict[str, Any],
        message_id: str | None = None,
    ) -> int:
        return await outbox.enqueue(
            session,
            kind=kind,
            recipient=member.email,
            language=member.language,
            params={"name": member.display_name, "settings": self.link_base + SETTINGS, **params},
            mail_from=self.mail_from,
            fixed_id=message_id,
        )

    async def _notices(self, session: AsyncConnection, member: Member, items: list[Shown]) -> None:
        link = self._unsubscribe(member.id)
        headers = self._list_headers(f"forum.{self.domain}", link)
        threads = {i.thread_id for i in items}
        thread_id = items[0].thread_id
        about_posts = {i.reason for i in items} <= _ABOUT_POSTS
        if len(threads) == 1 and thread_id is not None and about_posts:
            # All about one thread: a reply to this mail is a reply there.
            headers["Reply-To"] = reply_address.address(
                self.secret, self.mail_from, member.id, thread_id
            )
        await self._enqueue(
            session,
            member,
            NOTICES,
            {
                "mode": member.email_mode,
                "items": [
                    {
                        "reason": i.reason,
                        "about": i.subject.partition(":")[0],
                        "action": i.action,
                        "title": i.title,
                        "excerpt": i.excerpt,
                        "url": i.url,
                        "at": i.created_at.isoformat(),
                    }
                    for i in items[:ITEMS]
                ],
                "more": max(len(items) - ITEMS, 0),
                "headers": headers,
                "unsubscribe": link,
            },
        )

    def _message_id(self, post_id: int, thread_id: int, user_id: int) -> str:
        # The same for every mail of that post to that member, so a client threads by it.
        # Per member because each outbox row's Message-ID is unique.
        return f"<post-{post_id}.thread-{thread_id}.{user_id}@{self.domain}>"

    async def _list_post(
        self, session: AsyncConnection, member: Member, item: Shown, run: _Run
    ) -> int:
        """One mailing-list mail: `item` is shown, so its post may be read now, text too."""
        if item.post_id is None or item.thread_id is None:
            return 0
        if item.post_id not in run.listed:  # the same post goes to every list member
            run.listed[item.post_id] = await self._listed(session, item.post_id)
        post = run.listed[item.post_id]
        if post is None:
            return 0
        headers = self._list_headers(
            f"{post.region_slug}.forum.{self.domain}", self._unsubscribe(member.id, post.region_id)
        )
        if post.parent is not None:
            headers["In-Reply-To"] = self._message_id(post.parent, item.thread_id, member.id)
            headers["References"] = " ".join(
                self._message_id(p, item.thread_id, member.id) for p in post.chain
            )
        headers["Reply-To"] = reply_address.address(
            self.secret, self.mail_from, member.id, item.thread_id
        )
        subject = f"[{post.region_name}] {item.title}"
        await self._enqueue(
            session,
            member,
            LIST_POST,
            {
                "subject": subject if post.parent is None else f"Re: {subject}",
                "post": {
                    "title": item.title,
                    "author": post.author,
                    "text": post.text,
                    "url": item.url,
                    "region": post.region_name,
                },
                "headers": headers,
                "unsubscribe": headers["List-Unsubscribe"][1:-1],
            },
            message_id=self._message_id(item.post_id, item.thread_id, member.id),
        )
        return 1

    async def _listed(self, session: AsyncConnection, post_id: int) -> _Listed | None:
        post = (
            await session.execute(
                select(
                    Post.body_html,
                    Post.reply_to_id,
                    User.display_name.label("author"),
                    Region.id.label("region_id"),
                    Region.slug.label("region_slug"),
                    Region.name.label("region_name"),
                    select(func.min(_Earlier.id))
                    .where(_Earlier.thread_id == Thread.id)
                    .scalar_subquery()
                    .label("first_post_id"),
                )
                .join(Thread, Thread.id == Post.thread_id)
                .join(Region, Region.id == Thread.region_id)
                .outerjoin(User, User.id == Post.author_id)
                .where(Post.id == post_id)
            )
        ).first()
        if post is None:
            return None
        chain = await self._ancestors(session, post.reply_to_id)
        first = post.first_post_id
        if first is not None and first != post_id and first not in chain:
            chain.append(first)
        chain.reverse()  # oldest first, as `References` lists them
        return _Listed(
            text=_plain(post.body_html),
            author=post.author or "",
            region_id=post.region_id,
            region_slug=post.region_slug,
            region_name=post.region_name,
            parent=post.reply_to_id or (first if first != post_id else None),
            chain=tuple(chain),
        )

    async def _ancestors(self, session: AsyncConnection, post_id: int | None) -> list[int]:
        """The post quoted, the one it quotes, ...: ids only, nearest first."""
        found: list[int] = []
        while post_id is not None and len(found) < REFERENCES and post_id not in found:
            found.append(post_id)
            post_id = await session.scalar(select(Post.reply_to_id).where(Post.id == post_id))
        return found
