"""Cases: the open reports on one post (`forum.reports`) gather into one case that the
moderators of the post's region (and admins) take, annotate and resolve.

Tables `flag_cases` and `flag_notes` (and `flags` read) through Core statements on their
models (migration 0016). A case's region is its post's thread's region now (a moved
thread takes its case along). Resolving reuses the moderators' actions
(`forum.moderation`): hiding, deleting the post or suspending its author are audited
there as they are anywhere; the case's own handling (assign, resolve) is audited here.
A report's reason text and who reported reach only those who may handle the case.

Lock order, for reports racing a resolution: the post's row, then the case's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from forum import audit, events, moderation, moderators, pagination, posts, suspensions
from forum.catalog import Catalog
from forum.errors import DomainError, Kind, invalid, not_found
from forum.mail.outbox import Mailer
from forum.models import Flag, FlagCase, FlagNote, Post, Thread, User
from forum.permissions import (
    Actor,
    allows,
    check_can_handle_case,
    check_can_moderate,
    user_audience,
)
from forum.reports import REASONS, TOLD, checked_text, tell_queue

OUTCOMES = ("dismiss", "hide", "delete", "suspend")
KIND = "flag_outcome"  # the reporters' email (`web.mail`)
MAX_PAGE = 100
MAX_LISTED = 500  # reports and notes shown on a case; a case has a handful


@dataclass(frozen=True)
class Person:
    id: int
    name: str


@dataclass(frozen=True)
class CaseSummary:
    id: int
    post_id: int
    thread_id: int
    thread_title: str
    region: str
    opened_at: datetime
    assigned_to: Person | None
    counts: dict[str, int]  # open reports per reason


@dataclass(frozen=True)
class FlagOut:
    id: int
    reason: str
    text: str | None
    by: Person
    at: datetime
    open: bool


@dataclass(frozen=True)
class Note:
    id: int
    by: Person
    body: str
    at: datetime


@dataclass(frozen=True)
class Case(CaseSummary):
    post: dict[str, Any]
    flags: list[FlagOut] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    resolved_at: datetime | None = None
    outcome: str | None = None
    resolution: str | None = None


_ASSIGNEE = aliased(User)
_CASE = (
    select(
        FlagCase.id, FlagCase.post_id, Post.thread_id, Thread.title.label("thread_title"),
        Thread.region_id, FlagCase.opened_at, FlagCase.assigned_to,
        _ASSIGNEE.display_name.label("assignee"), FlagCase.resolved_at, FlagCase.outcome,
        FlagCase.resolution,
    )
    .join(Post, Post.id == FlagCase.post_id)
    .join(Thread, Thread.id == Post.thread_id)
    .outerjoin(_ASSIGNEE, _ASSIGNEE.id == FlagCase.assigned_to)
)  # fmt: skip


async def _counts(session: AsyncConnection, case_ids: list[int]) -> dict[int, dict[str, int]]:
    rows = await session.execute(
        select(Flag.case_id, Flag.reason, func.count())
        .where(Flag.case_id.in_(case_ids), Flag.closed_at.is_(None))
        .group_by(Flag.case_id, Flag.reason)
    )
    found: dict[int, Counter[str]] = {i: Counter() for i in case_ids}
    for case_id, reason, n in rows:
        found[case_id][reason] = n
    return {i: {r: c[r] for r in REASONS} for i, c in found.items()}


def _summary(catalog: Catalog, row: Row[Any], counts: dict[str, int]) -> dict[str, Any]:
    region = catalog.region_by_id(row.region_id)
    assignee = Person(row.assigned_to, row.assignee) if row.assigned_to is not None else None
    return {
        "id": row.id, "post_id": row.post_id, "thread_id": row.thread_id,
        "thread_title": row.thread_title, "region": region.slug if region else "",
        "opened_at": row.opened_at, "assigned_to": assignee, "counts": counts,
    }  # fmt: skip


async def queue(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    region: str,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[CaseSummary], str | None]:
    """A region's open cases, oldest first, in keyset pages (its moderators, admins)."""
    found = catalog.region(actor, region)
    check_can_handle_case(actor, found.id, await moderators.regions_of(session, actor))
    query = _CASE.where(Thread.region_id == found.id, FlagCase.resolved_at.is_(None))
    if cursor is not None:
        query = query.where(
            tuple_(FlagCase.opened_at, FlagCase.id) > pagination.decode(cursor, datetime, int)
        )
    limit = max(1, min(limit, MAX_PAGE))
    # Uses index: ix_flag_cases_open
    rows = (
        await session.execute(query.order_by(FlagCase.opened_at, FlagCase.id).limit(limit + 1))
    ).all()
    page = rows[:limit]
    counts = await _counts(session, [r.id for r in page])
    following = pagination.encode(page[-1].opened_at, page[-1].id) if len(rows) > limit else None
    return [CaseSummary(**_summary(catalog, r, counts[r.id])) for r in page], following


async def _handled(
    session: AsyncConnection, actor: Actor, case_id: int, *, lock: bool = False
) -> Row[Any]:
    """The case, if `actor` may handle it (404 if there is none, 403 otherwise)."""
    query = _CASE.where(FlagCase.id == case_id)
    row = (await session.execute(query.with_for_update(of=FlagCase) if lock else query)).first()
    if row is None:
        raise not_found("case")
    check_can_handle_case(actor, row.region_id, await moderators.regions_of(session, actor))
    return row


def _open(row: Row[Any]) -> None:
    if row.resolved_at is not None:
        raise DomainError(Kind.CONFLICT, "case_closed", "This case has been resolved.")


async def case(session: AsyncConnection, actor: Actor, catalog: Catalog, case_id: int) -> Case:
    """A case with its post, every report on it (who, why) and the notes."""
    row = await _handled(session, actor, case_id)
    reporter, author = aliased(User), aliased(User)
    flags = [
        FlagOut(r.id, r.reason, r.text, Person(r.user_id, r.name), r.at, r.closed_at is None)
        for r in await session.execute(
            select(Flag.id, Flag.reason, Flag.text, Flag.user_id, reporter.display_name.label(
                "name"), Flag.at, Flag.closed_at)
            .join(reporter, reporter.id == Flag.user_id)
            .where(Flag.case_id == case_id).order_by(Flag.at, Flag.id).limit(MAX_LISTED)
        )
    ]  # fmt: skip
    notes = [
        Note(r.id, Person(r.author_id, r.name), r.body, r.at)
        for r in await session.execute(
            select(FlagNote.id, FlagNote.author_id, author.display_name.label("name"),
                   FlagNote.body, FlagNote.at)
            .join(author, author.id == FlagNote.author_id)
            .where(FlagNote.case_id == case_id).order_by(FlagNote.at, FlagNote.id)
            .limit(MAX_LISTED)
        )
    ]  # fmt: skip
    counts = (await _counts(session, [case_id]))[case_id]
    return Case(
        **_summary(catalog, row, counts),
        post=posts.post_view(await posts.fetch(session, row.post_id), actor),
        flags=flags, notes=notes, resolved_at=row.resolved_at, outcome=row.outcome,
        resolution=row.resolution,
    )  # fmt: skip


async def assign(
    session: AsyncConnection, actor: Actor, catalog: Catalog, case_id: int, *, to_me: bool
) -> Case:
    """ "I'm handling this" (taking it over from whoever had it), or letting it go."""
    row = await _handled(session, actor, case_id, lock=True)
    _open(row)
    to = actor.user_id if to_me else None
    if row.assigned_to != to:
        await session.execute(
            update(FlagCase).where(FlagCase.id == case_id)
            .values(assigned_to=to, assigned_at=func.now() if to else None)
        )  # fmt: skip
        await audit.record(session, actor, "flag.assign", ("flag_case", case_id),
                           region_id=row.region_id, before={"assigned_to": row.assigned_to},
                           after={"assigned_to": to})  # fmt: skip
        await tell_queue(session, "flag.case_assigned", _slug(catalog, row), case_id,
                         row.post_id, row.thread_id)  # fmt: skip
    return await case(session, actor, catalog, case_id)


async def add_note(
    session: AsyncConnection, actor: Actor, catalog: Catalog, case_id: int, body: str
) -> Case:
    """An internal note (moderators of the region and admins read them); notes are never
    changed nor audited."""
    body = checked_text(body, "body", required=True) or ""
    await _handled(session, actor, case_id)
    await session.execute(insert(FlagNote).values(case_id=case_id, author_id=actor.user_id,
                                                  body=body))  # fmt: skip
    return await case(session, actor, catalog, case_id)


async def resolve(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    mailer: Mailer,
    case_id: int,
    *,
    outcome: str,
    reason: str | None,
    until: date | None = None,
) -> Case:
    """Dismiss the reports, or hide or delete the post, or suspend its author (until the
    day `until`, or until lifted), with a reason; the case and its reports close, and
    each reporter is told in general terms, by email and on their own channel."""
    if outcome not in OUTCOMES:
        raise invalid("outcome", f"Choose one of: {', '.join(OUTCOMES)}.", "unknown_outcome")
    reason = suspensions.checked_reason(reason, required=True)
    found = await _handled(session, actor, case_id)
    await posts.for_moderation(session, actor, found.post_id)  # the lock order: post, case
    row = await _handled(session, actor, case_id, lock=True)
    _open(row)
    if outcome in ("hide", "delete"):
        await moderation.on_post(session, actor, catalog, row.post_id, outcome, reason=reason)
    elif outcome == "suspend":
        author = await session.scalar(select(Post.author_id).where(Post.id == row.post_id))
        assert author is not None
        await moderation.set_suspended(session, actor, mailer, author, suspended=True,
                                       reason=reason, until=until)  # fmt: skip
    await session.execute(
        update(FlagCase).where(FlagCase.id == case_id)
        .values(resolved_at=func.now(), resolved_by=actor.user_id, outcome=outcome,
                resolution=reason)
    )  # fmt: skip
    told = await session.execute(
        update(Flag).where(Flag.case_id == case_id, Flag.closed_at.is_(None))
        .values(closed_at=func.now())
        .returning(Flag.id, Flag.user_id)
    )  # fmt: skip
    await audit.record(
        session, actor, "flag.resolve", ("flag_case", case_id), region_id=row.region_id,
        reason=reason, before={"status": "open", "assigned_to": row.assigned_to},
        after={"status": "resolved", "outcome": outcome},
    )  # fmt: skip
    await tell_queue(session, "flag.case_resolved", _slug(catalog, row), case_id, row.post_id,
                     row.thread_id)  # fmt: skip
    await _tell_reporters(session, mailer, told.all(), row.post_id, TOLD[outcome])
    return await case(session, actor, catalog, case_id)


async def _tell_reporters(
    session: AsyncConnection, mailer: Mailer, closed: list[Row[Any]], post_id: int, told: str
) -> None:
    ids = {r.user_id: r.id for r in closed}
    if not ids:
        return
    people = await session.execute(
        select(User.id, User.email, User.language, User.display_name).where(User.id.in_(ids))
    )
    for person in people:
        audience = user_audience(person.id)
        payload = {"flag_id": ids[person.id], "post_id": post_id, "outcome": told}
        await events.append(session, "flag.reviewed", [audience], audience, payload)
        await mailer.enqueue(session, KIND, person.email, person.language,
                             {"name": person.display_name, "outcome": told})  # fmt: skip


def _slug(catalog: Catalog, row: Row[Any]) -> str:
    region = catalog.region_by_id(row.region_id)
    assert region is not None
    return region.slug


@dataclass(frozen=True)
class Queue:
    slug: str
    name: str
    open: int  # open cases


async def queues(session: AsyncConnection, actor: Actor, catalog: Catalog) -> list[Queue]:
    """The regions whose cases `actor` handles, each with its open cases (403 for anyone
    but moderators and admins)."""
    check_can_moderate(actor)
    moderated = await moderators.regions_of(session, actor)
    mine = [r for r in catalog.regions if allows(check_can_handle_case, actor, r.id, moderated)]
    counts = dict(
        (
            await session.execute(
                select(Thread.region_id, func.count())
                .select_from(FlagCase)
                .join(Post, Post.id == FlagCase.post_id)
                .join(Thread, Thread.id == Post.thread_id)
                .where(FlagCase.resolved_at.is_(None), Thread.region_id.in_([r.id for r in mine]))
                .group_by(Thread.region_id)
            )
        ).all()
    )
    return [Queue(r.slug, r.name, counts.get(r.id, 0)) for r in mine]


@dataclass(frozen=True)
class Reported:
    case_id: int
    open: int  # open reports on the post


async def reported(
    session: AsyncConnection,
    actor: Actor,
    region_id: int,
    moderated: Collection[int],
    post_ids: list[int],
) -> dict[int, Reported]:
    """The open cases on the posts `post_ids` of the region `region_id` (a page of a
    thread), by post, in one query: for those who handle that region's cases, nothing for
    anyone else. A post of another region is left out whatever the caller passes."""
    if not post_ids or not allows(check_can_handle_case, actor, region_id, moderated):
        return {}
    # Uses index: uq_flag_cases_open_post
    rows = await session.execute(
        select(FlagCase.post_id, FlagCase.id, func.count(Flag.id))
        .join(Post, Post.id == FlagCase.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Flag, and_(Flag.case_id == FlagCase.id, Flag.closed_at.is_(None)))
        .where(FlagCase.post_id.in_(post_ids), FlagCase.resolved_at.is_(None),
               Thread.region_id == region_id)
        .group_by(FlagCase.post_id, FlagCase.id)
    )  # fmt: skip
    return {post_id: Reported(case_id, n) for post_id, case_id, n in rows}
