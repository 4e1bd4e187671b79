"""Reports: a member reports a post (`raise_flag`); their open reports on one post gather
into one case (`forum.cases` handles it). What a member reported is theirs to export
(`of_member`); when they leave, the words they wrote go (`erase_texts_of`), the reason
and the case stay.

Table `flags` through Core statements on its model, and the open case of a post in
`flag_cases` (migration 0016). A report's reason text and who reported reach only those
who may handle the case; the reporters are told the outcome in general terms, never by
whom nor who else reported.

Lock order, for reports racing a resolution: the post's row, then the case's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import events, posts
from forum.errors import DomainError, Kind, invalid, not_found
from forum.models import Flag, FlagCase
from forum.permissions import STAFF, Actor, can_see_post_content, check_can_flag

REASONS = ("spam", "abuse", "off_topic", "personal_data", "other")
MAX_TEXT = 1000  # characters, a report's "other" text and a note
# What reporters are told: a breach was acted on, or none was found.
TOLD = {"dismiss": "no_breach", "hide": "action_taken", "delete": "action_taken",
        "suspend": "action_taken"}  # fmt: skip


@dataclass(frozen=True)
class Report:
    """A report as its author sees it: never anyone else's."""

    id: int
    post_id: int
    reason: str
    status: Literal["open"] = "open"


@dataclass(frozen=True)
class ReportRecord:
    """A report in its author's export: their own words, and the outcome in the general
    terms they were told (`TOLD`), `None` while the case is open."""

    id: int
    post_id: int
    reason: str
    text: str | None
    at: datetime
    outcome: str | None


def checked_text(value: str | None, name: str, *, required: bool) -> str | None:
    value = (value or "").strip() or None
    if value is None and required:
        raise invalid(name, "Say what is wrong.", "text_required")
    if value is not None and len(value) > MAX_TEXT:
        raise invalid(name, f"Keep it under {MAX_TEXT} characters.", "too_long")
    return value


async def _open_case_of(session: AsyncConnection, post_id: int) -> int | None:
    # Uses index: uq_flag_cases_open_post
    return await session.scalar(
        select(FlagCase.id)
        .where(FlagCase.post_id == post_id, FlagCase.resolved_at.is_(None))
        .with_for_update()
    )


async def raise_flag(
    session: AsyncConnection, actor: Actor, post_id: int, reason: str, text: str | None = None
) -> Report:
    """Report a post one may read (not one's own), with a text (required for `other`):
    joins the post's open case, or opens one (an event on its region's queue,
    `mod:<slug>`). 409 `already_flagged` while the member's earlier report is open."""
    if reason not in REASONS:
        raise invalid("reason", f"Choose one of: {', '.join(REASONS)}.", "unknown_reason")
    text = checked_text(text, "text", required=reason == "other")
    row = await posts.for_moderation(session, actor, post_id)  # locks the post; 404 if unread
    if not can_see_post_content(actor, row.author_id, row.hidden, row.deleted_at is not None):
        raise not_found("post")
    check_can_flag(actor, row.author_id)
    mine = await session.scalar(
        select(Flag.id).where(
            Flag.post_id == post_id, Flag.user_id == actor.user_id, Flag.closed_at.is_(None)
        )
    )
    if mine is not None:
        raise DomainError(Kind.CONFLICT, "already_flagged", "You have reported this post already.")
    case_id = await _open_case_of(session, post_id)
    opened = case_id is None
    if case_id is None:
        case_id = await session.scalar(
            insert(FlagCase).values(post_id=post_id).returning(FlagCase.id)
        )
    flag_id = await session.scalar(
        insert(Flag)
        .values(case_id=case_id, post_id=post_id, user_id=actor.user_id, reason=reason,
                text=text)
        .returning(Flag.id)
    )  # fmt: skip
    await tell_queue(session, "flag.case_opened" if opened else "flag.case_flagged",
                     row.region, case_id, post_id, row.thread_id)  # fmt: skip
    assert flag_id is not None
    return Report(flag_id, post_id, reason)


async def tell_queue(
    session: AsyncConnection, type: str, region: str, case_id: int, post_id: int, thread_id: int
) -> None:
    # Ids only: who reported and why reach the queue's readers through the case's page.
    payload = {"case_id": case_id, "post_id": post_id, "thread_id": thread_id}
    await events.append(session, type, [f"mod:{region}"], STAFF, payload)


async def of_member(session: AsyncConnection, user_id: int) -> list[ReportRecord]:
    """The reports `user_id` made, oldest first, for their export: never another
    reporter's, nor the moderators' notes or reasons."""
    # Uses index: ix_flags_user_id
    rows = await session.execute(
        select(Flag.id, Flag.post_id, Flag.reason, Flag.text, Flag.at, FlagCase.outcome)
        .join(FlagCase, FlagCase.id == Flag.case_id)
        .where(Flag.user_id == user_id)
        .order_by(Flag.at, Flag.id)
    )
    return [
        ReportRecord(r.id, r.post_id, r.reason, r.text, r.at,
                     TOLD[r.outcome] if r.outcome else None)
        for r in rows
    ]  # fmt: skip


async def erase_texts_of(session: AsyncConnection, user_id: int) -> None:
    """Erase the words of `user_id`'s reports (they are leaving): the reason and the case
    stay in the moderators' record."""
    # Uses index: ix_flags_user_id
    await session.execute(
        update(Flag).where(Flag.user_id == user_id, Flag.text.is_not(None)).values(text=None)
    )
