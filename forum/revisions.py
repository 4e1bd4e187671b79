"""A post's earlier versions: reading them (its author, the moderators of its region,
admins) and redacting one (those moderators and admins), issue 12.

Editing (`forum.posts.edit`) keeps the superseded text as a `post_revisions` row that
names who made the edit (`editor_id`): version N+1 was written by revision N's editor,
version 1 by the author. Redacting an earlier version purges its text for good from
every store a reader or an operator can reach, in the moderator's own transaction:
- `post_revisions`: the row keeps its number, date and editor; its text is emptied and
  `redacted_at`, `redacted_by` say who purged it (readers see "redacted", no text);
- `idempotency_keys`: the stored answer to the request that created the post (kept 24 h
  for retries) holds the first version's text; it loses the text and the hash of the
  request (`idempotency.forget_post`). Edits are not stored there (the API's PATCH is
  not replayed), and forms store only where they led;
- nothing else holds it: events carry ids only (`posts.event_payload`), search documents
  (PostgreSQL rows, the Meilisearch indexer's `documents.load`) are built from the
  current text and were rebuilt by the edit, the vocabulary lets go of a word no document
  holds within a minute (`search.vocabulary`), the outbox sends no post text, and the
  audit log records revision numbers, never text.
The only copy left is PostgreSQL's own write-ahead log and dead row versions, until
they are recycled (VACUUM): no reader or query reaches them.
Table `post_revisions` through Core statements on `forum.models.PostRevision`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from forum import audit, events, idempotency, moderators, posts
from forum.errors import DomainError, Kind, invalid, not_found
from forum.models import PostRevision, User
from forum.permissions import (
    Actor,
    allows,
    check_can_read_revisions,
    check_can_redact,
    post_audience,
)

MAX_REASON = 1000  # characters, as every moderator's reason
REDACTED_EVENT = "post.revision_redacted"


@dataclass(frozen=True)
class Editor:
    id: int
    name: str


@dataclass(frozen=True)
class Version:
    """One version of a post as a reader of its revisions sees it; a redacted one has no
    text. `edited_by`: who wrote it by editing (None for the author's first version);
    `by_moderator`: someone other than the author."""

    revision: int
    body: str | None
    body_html: str | None
    written_at: datetime
    edited_by: Editor | None
    by_moderator: bool
    redacted: bool
    redacted_at: datetime | None
    current: bool


@dataclass(frozen=True)
class History:
    post_id: int
    thread_id: int
    position: int
    language: str
    deleted: bool
    revisions: list[Version]  # oldest first, the current one last
    may_redact: bool  # whether the reader may redact the earlier ones


async def _moderated(session: AsyncConnection, actor: Actor) -> list[int]:
    return await moderators.regions_of(session, actor) if actor.staff else []


async def history(session: AsyncConnection, actor: Actor, post_id: int) -> History:
    """Every version of a post, oldest first; 404 if the reader may not read its thread,
    403 if they may not read its revisions."""
    row = await posts.placed(session, actor, post_id)
    moderated = await _moderated(session, actor)
    check_can_read_revisions(actor, row.author_id, row.region_id, moderated)
    return await _history(session, actor, row, moderated)


async def _history(
    session: AsyncConnection, actor: Actor, row: Any, moderated: list[int]
) -> History:
    editor = aliased(User)
    older = (
        await session.execute(
            select(
                PostRevision.revision, PostRevision.body_source, PostRevision.body_html,
                PostRevision.written_at, PostRevision.editor_id, PostRevision.redacted_at,
                editor.display_name.label("editor_name"),
            )
            .join(editor, editor.id == PostRevision.editor_id)
            .where(PostRevision.post_id == row.id)
            .order_by(PostRevision.revision)
        )
    ).all()  # fmt: skip
    versions: list[Version] = []
    by: Editor | None = None  # who wrote the version at hand (None: the author, first)
    for r in older:
        versions.append(_version(r.revision, r.body_source, r.body_html, r.written_at, by,
                                 row.author_id, r.redacted_at, current=False))  # fmt: skip
        by = Editor(r.editor_id, r.editor_name)
    versions.append(
        _version(row.revision, row.body_source, row.body_html, row.edited_at or row.created_at,
                 by, row.author_id, None, current=True)
    )  # fmt: skip
    return History(
        post_id=row.id,
        thread_id=row.thread_id,
        position=row.position,
        language=row.language,
        deleted=row.deleted_at is not None,
        revisions=versions,
        may_redact=allows(check_can_redact, actor, row.region_id, moderated),
    )


def _version(
    number: int,
    body: str,
    body_html: str,
    written_at: datetime,
    by: Editor | None,
    author_id: int,
    redacted_at: datetime | None,
    *,
    current: bool,
) -> Version:
    redacted = redacted_at is not None
    return Version(
        revision=number,
        body=None if redacted else body,
        body_html=None if redacted else body_html,
        written_at=written_at,
        edited_by=by,
        by_moderator=by is not None and by.id != author_id,
        redacted=redacted,
        redacted_at=redacted_at,
        current=current,
    )


def checked_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", "Say why this version is redacted.", "blank_redaction_reason")
    if len(reason) > MAX_REASON:
        raise invalid("reason", f"Keep it under {MAX_REASON} characters.", "too_long")
    return reason


async def redact(
    session: AsyncConnection, actor: Actor, post_id: int, revision: int, *, reason: str | None
) -> History:
    """Purge the text of an earlier version of a post (see the module's docstring for
    every store it leaves); the current version is changed by editing (409
    current_revision), a version is redacted once (409 already_redacted). The post's
    revisions as the moderator sees them now."""
    row = await posts.for_moderation(session, actor, post_id)
    moderated = await _moderated(session, actor)
    check_can_redact(actor, row.region_id, moderated)
    reason = checked_reason(reason)
    if not 1 <= revision < 2**31:  # the column's range
        raise not_found("revision")
    if revision == row.revision:
        raise DomainError(Kind.CONFLICT, "current_revision",
                          "This is the current version: edit the post to change it.")  # fmt: skip
    key = (PostRevision.post_id == post_id, PostRevision.revision == revision)
    redacted_at = (
        await session.execute(select(PostRevision.redacted_at).where(*key).with_for_update())
    ).first()
    if redacted_at is None:
        raise not_found("revision")
    if redacted_at[0] is not None:
        raise DomainError(Kind.CONFLICT, "already_redacted", "This version is already redacted.")
    await session.execute(
        update(PostRevision)
        .where(*key)
        .values(body_source="", body_html="", redacted_at=func.now(), redacted_by=actor.user_id)
    )
    await idempotency.forget_post(session, f"user:{row.author_id}", post_id)
    await events.append(
        session,
        REDACTED_EVENT,
        events.thread_channels(row.thread_id, row.region, row.topic),
        post_audience(row.region_visibility, row.thread_hidden, row.pending, row.author_id),
        {"thread_id": row.thread_id, "post_id": post_id, "revision": revision},
    )
    await audit.record(
        session, actor, "post.redact", ("post", post_id), region_id=row.region_id,
        reason=reason, before={"revision": revision, "redacted": False},
        after={"revision": revision, "redacted": True},
    )  # fmt: skip
    return await _history(session, actor, row, moderated)
