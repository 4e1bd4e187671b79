"""A member's notifications, as they may see them now: the list (unread first, then
newest), the unread count, marking read, and `shown`, which turns stored rows into what
the reader may see at this moment. Pages, the API and mail (`forum.mail`) all go
through `shown`; rows are written by the fan-out (`forum.notifier`).

A row keeps ids only (`forum.models.Notification`). Its `subject` names what it is
about, its `reason` why it reached the member (the contract with the mailers):

    reply, mention, watching, list_post, saved_search   post:<id>   (thread_id, post_id)
    new_thread                                          thread:<id> (post_id: its first)
    experience, saved_search                            experience:<id>
    moderation                  post:<id>, thread:<id> or account   (`action`: what happened)
    review                                              country:<CODE>:<cycle>
    calendar_event                                      calendar_event:<id>
    news                                                news:<id>
    application                                         application:<id> (`action`: decision)

`shown` drops, without a trace, every row whose subject the reader may not read now
(a post or thread hidden or deleted since, a members-only region they left, a proposal,
...), asking `forum.permissions`; one query per kind of subject in the batch. Because
of that a list page may hold fewer rows than asked, and the unread count counts only
rows still shown (up to MAX_COUNTED).

Table `notifications`, through SQLAlchemy Core on an `AsyncConnection`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, delete, false, func, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import events, markup, moderators, pagination, suspensions
from forum.catalog import Catalog
from forum.errors import invalid, not_found
from forum.models import (
    Application,
    CalendarEvent,
    CalendarEventStatus,
    Country,
    Experience,
    NewsItem,
    Notification,
    Organisation,
    Post,
    Region,
    Role,
    Thread,
    User,
)
from forum.permissions import (
    Actor,
    PostState,
    can_read_event,
    can_read_experience,
    can_read_post,
    can_read_region,
    can_read_thread,
    check_signed_in,
    hears_outcome,
    user_audience,
)

PAGE = 20
MAX_PAGE = 50
MAX_COUNTED = 99  # the header says "99+" beyond
MAX_MARKED = 100  # ids in one "mark read"
EXCERPT = 160  # characters
KEEP_READ = timedelta(days=90)  # read ones older than this go (`prune`)
KEEP_EACH = 1000  # a member's newest kept, read or not
PRUNE_BATCH = 5000  # rows deleted in one transaction (a long one holds back log readers)
PRUNE_MEMBERS = 20  # members over KEEP_EACH trimmed in one transaction

REPLY = "reply"
MENTION = "mention"
WATCHING = "watching"
LIST_POST = "list_post"
SAVED_SEARCH = "saved_search"
NEW_THREAD = "new_thread"
MODERATION = "moderation"
REVIEW = "review"
CALENDAR_EVENT = "calendar_event"
NEWS = "news"
APPLICATION = "application"
EXPERIENCE = "experience"  # a new experience of an organisation one watches
REASONS = frozenset(
    {REPLY, MENTION, WATCHING, LIST_POST, SAVED_SEARCH, NEW_THREAD, MODERATION, REVIEW,
     CALENDAR_EVENT, NEWS, APPLICATION, EXPERIENCE}
)  # fmt: skip

ACCOUNT = "account"  # the subject of a moderation outcome about the member's account

# Appended on the member's own channel when they read notifications, so their other
# pages update the count.
READ = "notification.read"


class Stored(Protocol):
    """A `notifications` row as `query()` selects it."""

    id: int
    reason: str
    subject: str
    action: str | None
    thread_id: int | None
    post_id: int | None
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class Shown:
    """A notification as its reader may see it now. `title` and `excerpt` are plain text
    (escape them); either may be empty where there is nothing the reader may see (an
    account's moderation, an application's decision). `url` is a path on the site."""

    id: int
    reason: str
    subject: str
    action: str | None
    title: str
    excerpt: str
    url: str
    thread_id: int | None
    post_id: int | None
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class Page:
    items: list[Shown]
    next: str | None  # cursor of the next page


def query() -> Select:
    """The columns `shown` reads, for a caller that picks rows itself (the mailer)."""
    return select(
        Notification.id,
        Notification.reason,
        Notification.subject,
        Notification.action,
        Notification.thread_id,
        Notification.post_id,
        Notification.created_at,
        Notification.read_at,
    )


async def actor_of(session: AsyncConnection, user_id: int) -> Actor | None:
    """The account as the policy sees it now (its role, whether suspended), for a path
    that acts for a member outside a request (mail); None if it is gone."""
    row = (
        await session.execute(
            select(User.role, suspensions.active().label("suspended")).where(User.id == user_id)
        )
    ).first()
    if row is None:
        return None
    return Actor(user_id=user_id, role=Role(row.role), suspended=bool(row.suspended))


# Reading: the list, the count


def _mine(actor: Actor, unread: bool) -> Select:
    # Uses index: ix_notifications_listing (user_id, (read_at IS NOT NULL), id)
    read = Notification.read_at.isnot(None)
    return (
        query()
        .where(Notification.user_id == actor.user_id, read == (false() if unread else true()))
        .order_by(Notification.id.desc())
    )


async def listing(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    cursor: str | None = None,
    limit: int = PAGE,
) -> Page:
    """The member's notifications, unread first, newest first within each, as `shown`
    says; `cursor` continues where a page ended."""
    check_signed_in(actor)
    if not 1 <= limit <= MAX_PAGE:
        raise invalid("limit", f"must be between 1 and {MAX_PAGE}", "invalid_limit")
    read_phase, before = (
        pagination.decode(cursor, bool, int) if cursor else (False, pagination.MAX_BIGINT)
    )
    rows: list[Any] = []
    if not read_phase:
        found = await session.execute(
            _mine(actor, True).where(Notification.id < before).limit(limit + 1)
        )
        rows = list(found)
        before = pagination.MAX_BIGINT
    if len(rows) <= limit:
        found = await session.execute(
            _mine(actor, False).where(Notification.id < before).limit(limit + 1 - len(rows))
        )
        rows += list(found)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = pagination.encode(last.read_at is not None, last.id)
    return Page(await shown(session, actor, catalog, rows), next_cursor)


async def unread_count(session: AsyncConnection, actor: Actor, catalog: Catalog) -> int:
    """How many unread notifications the member may see now, up to MAX_COUNTED + 1
    (which means "more"). Rows whose subject they lost are not counted, so a count never
    tells that something happened where they may not look."""
    if actor.user_id is None:
        return 0
    # Uses index: ix_notifications_unread (most members, most of the time: none)
    anything = await session.scalar(
        select(Notification.id)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .limit(1)
    )
    if anything is None:
        return 0
    counted = 0
    before = pagination.MAX_BIGINT
    # Most unread rows are shown; a few batches reach the cap even where many are not.
    for _ in range(5):
        rows = list(
            await session.execute(
                _mine(actor, True).where(Notification.id < before).limit(MAX_COUNTED + 1)
            )
        )
        counted += len(await shown(session, actor, catalog, rows))
        if counted > MAX_COUNTED or len(rows) <= MAX_COUNTED:
            break
        before = rows[-1].id
    return min(counted, MAX_COUNTED + 1)


async def unread(session: AsyncConnection, actor: Actor, catalog: Catalog) -> int:
    """`unread_count` for one who asks for it (the API): signed in, else 401."""
    check_signed_in(actor)
    return await unread_count(session, actor, catalog)


async def mark_read(session: AsyncConnection, actor: Actor, ids: Collection[int] | None) -> int:
    """Mark the member's notifications `ids` read (None: all of them); others' ids and
    unknown ones change nothing. Returns how many changed."""
    check_signed_in(actor)
    if ids is not None:
        if len(ids) > MAX_MARKED:
            raise invalid("ids", f"at most {MAX_MARKED} at a time", "too_many")
        if any(not 0 < i <= pagination.MAX_BIGINT for i in ids):
            raise invalid("ids", "not a notification id", "invalid_id")
    # Uses index: ix_notifications_unread (user_id WHERE read_at IS NULL), or the pkey
    statement = update(Notification).where(
        Notification.user_id == actor.user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(list(ids)))
    result = await session.execute(statement.values(read_at=func.now()))
    changed: int = result.rowcount  # type: ignore[attr-defined]
    if changed:
        assert actor.user_id is not None
        audience = user_audience(actor.user_id)
        await events.append(session, READ, [audience], audience, {"user_id": actor.user_id})
    return changed


async def open_one(
    session: AsyncConnection, actor: Actor, catalog: Catalog, notification_id: int
) -> Shown:
    """The member opens a notification: it is marked read, and what it shows (its `url`)
    is returned; one they may no longer see, or someone else's, is 404."""
    check_signed_in(actor)
    row = (
        await session.execute(
            query().where(Notification.id == notification_id, Notification.user_id == actor.user_id)
        )
    ).first()
    found = await shown(session, actor, catalog, [row]) if row is not None else []
    if not found:
        raise not_found("notification")
    await mark_read(session, actor, [notification_id])
    return found[0]


# Upkeep

# The oldest first, along the primary key: old rows sit at its start.
_OLD_READ = (
    select(Notification.id)
    .where(Notification.read_at.isnot(None), Notification.created_at < func.now() - KEEP_READ)
    .order_by(Notification.id)
)

# Members holding more than KEEP_EACH. Uses index: ix_notifications_listing (index only)
_CROWDED = text(
    """
    SELECT user_id FROM notifications GROUP BY user_id HAVING count(*) > :keep LIMIT :members
    """
)
# Their rows beyond the newest KEEP_EACH.
_BEYOND = text(
    """
    DELETE FROM notifications n
    USING (SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY id DESC) AS k
           FROM notifications WHERE user_id = ANY(CAST(:members AS bigint[]))) r
    WHERE n.id = r.id AND r.k > :keep
    """
)


async def prune(
    session: AsyncConnection,
    *,
    keep: int = KEEP_EACH,
    batch: int = PRUNE_BATCH,
    members: int = PRUNE_MEMBERS,
) -> int:
    """One batch of upkeep (the notifier runs it regularly): read notifications older
    than KEEP_READ go, and each member keeps at most their newest `keep`, read or not.
    How many rows went; call again, in a new transaction, until it answers 0."""
    old = await session.execute(
        delete(Notification).where(Notification.id.in_(_OLD_READ.limit(batch)))
    )
    gone: int = old.rowcount  # type: ignore[attr-defined]
    crowded = list(await session.scalars(_CROWDED, {"keep": keep, "members": members}))
    if crowded:
        trimmed = await session.execute(_BEYOND, {"members": crowded, "keep": keep})
        gone += trimmed.rowcount  # type: ignore[attr-defined]
    return gone


# What a reader may see of each row now


def _parts(subject: str) -> list[str]:
    return subject.split(":")


def _ids(rows: Iterable[Stored], kind: str) -> set[int]:
    found = set()
    for row in rows:
        parts = _parts(row.subject)
        if parts[0] == kind and len(parts) == 2 and parts[1].isdigit():
            found.add(int(parts[1]))
    return found


@dataclass(frozen=True)
class _Post:
    id: int
    thread_id: int
    title: str
    body_html: str
    thread_author_id: int
    region_visibility: str
    state: PostState


@dataclass(frozen=True)
class _Thread:
    id: int
    title: str
    author_id: int
    region_visibility: str
    hidden: bool
    pending: bool
    region_id: int


_POSTS = (
    select(
        Post.id,
        Post.thread_id,
        Post.author_id,
        Post.body_html,
        Post.hidden,
        Post.pending,
        Post.deleted_at,
        Thread.title,
        Thread.author_id.label("thread_author_id"),
        Thread.hidden.label("thread_hidden"),
        Thread.pending.label("thread_pending"),
        Thread.region_id,
        Region.visibility.label("region_visibility"),
    )
    .join(Thread, Thread.id == Post.thread_id)
    .join(Region, Region.id == Thread.region_id)
)

_THREADS = select(
    Thread.id,
    Thread.title,
    Thread.author_id,
    Thread.hidden,
    Thread.pending,
    Thread.region_id,
    Region.visibility.label("region_visibility"),
).join(Region, Region.id == Thread.region_id)


async def _posts(session: AsyncConnection, ids: set[int]) -> dict[int, _Post]:
    if not ids:
        return {}
    rows = await session.execute(_POSTS.where(Post.id.in_(sorted(ids))))
    return {
        r.id: _Post(
            r.id,
            r.thread_id,
            r.title,
            r.body_html,
            r.thread_author_id,
            r.region_visibility,
            PostState(
                region_visibility=r.region_visibility,
                thread_hidden=r.thread_hidden,
                thread_pending=r.thread_pending,
                thread_author_id=r.thread_author_id,
                author_id=r.author_id,
                hidden=r.hidden,
                deleted=r.deleted_at is not None,
                pending=r.pending,
                region_id=r.region_id,
            ),
        )
        for r in rows
    }


async def _threads(session: AsyncConnection, ids: set[int]) -> dict[int, _Thread]:
    if not ids:
        return {}
    rows = await session.execute(_THREADS.where(Thread.id.in_(sorted(ids))))
    return {
        r.id: _Thread(
            r.id, r.title, r.author_id, r.region_visibility, r.hidden, r.pending, r.region_id
        )
        for r in rows
    }


@dataclass(frozen=True)
class _Seen:
    title: str
    excerpt: str
    url: str
    thread_id: int | None  # where the post is now (split or merged since)


async def _proposals(
    session: AsyncConnection, table: type[CalendarEvent] | type[NewsItem], text: Any, ids: set[int]
) -> dict[int, Any]:
    """Calendar events or news items by id, with what `_View._proposal` reads."""
    if not ids:
        return {}
    found = await session.execute(
        select(
            table.id,
            table.title,
            text.label("text"),
            table.region_id,
            table.status,
            table.proposer_id,
        ).where(table.id.in_(sorted(ids)))
    )
    return {r.id: r for r in found}


async def _experiences(session: AsyncConnection, ids: set[int]) -> dict[int, Any]:
    """Experiences by id, with the visibility of the region their organisation is in now."""
    if not ids:
        return {}
    found = await session.execute(
        select(Experience.id, Experience.title, Experience.context_html,
               Experience.action_html, Region.visibility)
        .join(Organisation, Organisation.id == Experience.organisation_id)
        .join(Country, Country.code == Organisation.country_code)
        .join(Region, Region.id == Country.region_id)
        .where(Experience.id.in_(sorted(ids)))
    )  # fmt: skip
    return {r.id: r for r in found}


class _View:
    """What one batch of rows needs from the database, read once, and the reader's
    rights; `of(row)` answers what the row shows, or None for a row not shown."""

    def __init__(self, actor: Actor, catalog: Catalog, moderated: list[int]) -> None:
        self.actor = actor
        self.catalog = catalog
        self.moderated = moderated
        self.posts: dict[int, _Post] = {}
        self.threads: dict[int, _Thread] = {}
        self.first_posts: dict[int, _Post] = {}
        self.calendar: dict[int, Any] = {}
        self.news: dict[int, Any] = {}
        self.experiences: dict[int, Any] = {}
        self.applications: set[int] = set()
        self.countries = {c.code: c for c in catalog.countries}

    async def load(self, session: AsyncConnection, rows: Sequence[Stored]) -> None:
        self.posts = await _posts(session, _ids(rows, "post"))
        thread_rows = [r for r in rows if r.subject.startswith("thread:")]
        self.threads = await _threads(session, _ids(thread_rows, "thread"))
        firsts = {r.post_id for r in thread_rows if r.post_id is not None}
        self.first_posts = await _posts(session, firsts)
        self.calendar = await _proposals(
            session, CalendarEvent, CalendarEvent.description_html, _ids(rows, "calendar_event")
        )
        self.news = await _proposals(session, NewsItem, NewsItem.summary, _ids(rows, "news"))
        self.experiences = await _experiences(session, _ids(rows, "experience"))
        application_ids = _ids(rows, "application")
        if application_ids:
            found = await session.execute(
                select(Application.id).where(
                    Application.id.in_(sorted(application_ids)),
                    Application.user_id == self.actor.user_id,
                )
            )
            self.applications = set(found.scalars())

    def of(self, row: Stored) -> _Seen | None:
        parts = _parts(row.subject)
        kind = parts[0]
        number = int(parts[1]) if len(parts) == 2 and parts[1].isdigit() else None
        if kind == "post" and number is not None:
            return self._post(row, number)
        if kind == "thread" and number is not None:
            return self._thread(row, number)
        if kind == ACCOUNT and row.reason == MODERATION:
            return _Seen("", "", "/settings", None)
        if kind == "country" and len(parts) == 3:
            return self._review(parts[1])
        if kind == "calendar_event" and number is not None:
            return self._proposal(self.calendar.get(number), True, "/events/")
        if kind == "news" and number is not None:
            return self._proposal(self.news.get(number), False, "/news/")
        if kind == "experience" and number is not None:
            return self._experience(self.experiences.get(number))
        if kind == "application" and number in self.applications:
            return _Seen("", "", "/apply", None)
        return None

    def _post(self, row: Stored, post_id: int) -> _Seen | None:
        post = self.posts.get(post_id)
        if post is None:
            return None
        readable = can_read_post(self.actor, post.state, self.moderated)
        url = f"/posts/{post_id}"
        if readable:
            text = markup.excerpt(post.body_html, EXCERPT)
            return _Seen(post.title, text, url, post.thread_id)
        if row.reason != MODERATION:
            return None
        return self._outcome(
            post.state.author_id, post.thread_author_id, post.region_visibility, post.title,
            self._thread_readable(post.state), url, post.thread_id,
        )  # fmt: skip

    def _thread(self, row: Stored, thread_id: int) -> _Seen | None:
        thread = self.threads.get(thread_id)
        if thread is None:
            return None
        readable = can_read_thread(
            self.actor,
            thread.region_visibility,
            thread.hidden,
            pending=thread.pending,
            author_id=thread.author_id,
        )
        url = f"/threads/{thread_id}"
        if readable:
            first = self.first_posts.get(row.post_id) if row.post_id is not None else None
            shows = (
                first is not None
                and first.thread_id == thread_id
                and can_read_post(self.actor, first.state, self.moderated)
            )
            text = markup.excerpt(first.body_html, EXCERPT) if shows and first else ""
            return _Seen(thread.title, text, url, thread_id)
        if row.reason != MODERATION:
            return None
        return self._outcome(
            thread.author_id, thread.author_id, thread.region_visibility, thread.title, False,
            url, thread_id,
        )  # fmt: skip

    def _thread_readable(self, state: PostState) -> bool:
        return can_read_thread(
            self.actor,
            state.region_visibility,
            state.thread_hidden,
            pending=state.thread_pending,
            author_id=state.thread_author_id,
        )

    def _outcome(
        self,
        author_id: int | None,
        thread_author_id: int,
        region_visibility: str,
        title: str,
        thread_readable: bool,
        url: str,
        thread_id: int,
    ) -> _Seen | None:
        """A moderation outcome about the reader's own writing that they may no longer
        read: told (`hears_outcome`), with the thread's title only if they may read the
        thread or started it, and none of the words."""
        if not hears_outcome(self.actor, author_id, region_visibility):
            return None
        own_thread = hears_outcome(self.actor, thread_author_id, region_visibility)
        return _Seen(title if thread_readable or own_thread else "", "", url, thread_id)

    def _review(self, code: str) -> _Seen | None:
        country = self.countries.get(code)
        region = self.catalog.region_by_id(country.region_id) if country else None
        if country is None or region is None:
            return None
        if not can_read_region(self.actor, region.visibility):
            return None
        return _Seen(country.name, "", f"/countries/{country.code}", None)

    def _experience(self, row: Any) -> _Seen | None:
        """Read where its organisation is read now, as the experience's pages say."""
        if row is None or not can_read_experience(self.actor, row.visibility):
            return None
        text = markup.excerpt(row.context_html or row.action_html, EXCERPT)
        return _Seen(row.title, text, f"/experiences/{row.id}", None)

    def _proposal(self, row: Any, html: bool, prefix: str) -> _Seen | None:
        """A calendar event (its text is HTML) or a news item (plain text), read as
        `can_read_event` says: the same rule holds for news (published ones where their
        region is read, proposals by their proposer and those who decide them)."""
        if row is None:
            return None
        region = self.catalog.region_by_id(row.region_id)
        if region is None:
            return None
        # Events and news items share the status names.
        published = row.status == CalendarEventStatus.PUBLISHED.value
        if not can_read_event(
            self.actor, row.region_id, region.visibility, published, row.proposer_id,
            self.moderated,
        ):  # fmt: skip
            return None
        text = markup.excerpt(row.text, EXCERPT) if html else markup.shorten(row.text, EXCERPT)
        return _Seen(row.title, text, f"{prefix}{row.id}", None)


async def shown(
    session: AsyncConnection, actor: Actor, catalog: Catalog, rows: Sequence[Stored]
) -> list[Shown]:
    """The rows `actor` may see now, in the order given, each with what it may show of
    its subject; the others are left out, as if they had never been written. `rows` are
    the actor's own (`query()` selects their columns). A few queries per batch (one per
    kind of subject), none per row."""
    if actor.user_id is None or not rows:
        return []
    moderated = await moderators.regions_of(session, actor) if actor.staff else []
    view = _View(actor, catalog, moderated)
    await view.load(session, rows)
    found = []
    for row in rows:
        if row.reason not in REASONS:
            continue
        seen = view.of(row)
        if seen is None:
            continue
        found.append(
            Shown(
                id=row.id,
                reason=row.reason,
                subject=row.subject,
                action=row.action,
                title=seen.title,
                excerpt=seen.excerpt,
                url=seen.url,
                thread_id=seen.thread_id if seen.thread_id is not None else row.thread_id,
                post_id=row.post_id,
                created_at=row.created_at,
                read=row.read_at is not None,
            )
        )
    return found
