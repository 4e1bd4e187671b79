"""The outbox table (`outbox`, reached only through Core statements here).

`enqueue` writes a message in the caller's transaction: it exists if and only if the
change that causes it commits. The sender `claim`s due rows with `FOR UPDATE SKIP
LOCKED` (two workers never take the same row), pushing their next attempt a lease ahead
and committing before it sends, so no transaction stays open across the SMTP
conversation. Then `sent`, `retry` (the server is away or answered "try later") or
`refused` (it refused this message for good: the row keeps the reason and `failed_at`
and is never tried again, so it cannot clog the outbox) settles each row. A worker that
dies between sending and `sent` leaves the row to come due again when the lease ends: it
is sent again, with the same `Message-ID` (at least once).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import and_, delete, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.models import Outbox

LEASE = timedelta(minutes=5)  # longer than one SMTP conversation can last (its timeouts)
FIRST_RETRY = 30.0  # seconds; doubled each attempt
LAST_RETRY = 3600.0
# Dropped from a message's params once it is settled: the link's token, and the words
# and links of a notification mail (`forum.mail.notices`), which nobody needs after.
_SECRET_PARAMS = ("token", "items", "post", "headers", "unsubscribe")
# Settled messages (sent or refused) are kept a while (what was sent to whom, when, or
# why not) and then deleted.
KEEP_SENT = timedelta(days=30)


# The predicate of the partial index `ix_outbox_due`: a message still to send.
_unsettled = and_(Outbox.sent_at.is_(None), Outbox.failed_at.is_(None))


@dataclass(frozen=True)
class Queued:
    id: int
    kind: str
    recipient: str
    language: str
    params: dict[str, Any]
    message_id: str
    attempts: int


def message_id(mail_from: str) -> str:
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<{secrets.token_hex(16)}@{domain}>"


async def enqueue(
    session: AsyncConnection,
    *,
    kind: str,
    recipient: str,
    language: str,
    params: dict[str, Any],
    mail_from: str,
    fixed_id: str | None = None,
) -> int | None:
    """Queue a message; its `Message-ID` is `fixed_id` or a fresh one. A message whose
    fixed id is already queued is not queued again (None)."""
    return await session.scalar(
        pg_insert(Outbox)
        .values(
            kind=kind,
            recipient=recipient,
            language=language,
            params=params,
            message_id=fixed_id or message_id(mail_from),
        )
        .on_conflict_do_nothing(index_elements=[Outbox.message_id])
        .returning(Outbox.id)
    )


async def claim(session: AsyncConnection, limit: int, lease: timedelta = LEASE) -> list[Queued]:
    # Uses index: ix_outbox_due
    due = (
        select(Outbox.id)
        .where(_unsettled, Outbox.next_attempt_at <= func.now())
        .order_by(Outbox.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = await session.execute(
        update(Outbox)
        .where(Outbox.id.in_(due.scalar_subquery()))
        .values(attempts=Outbox.attempts + 1, next_attempt_at=func.now() + lease)
        .returning(
            Outbox.id,
            Outbox.kind,
            Outbox.recipient,
            Outbox.language,
            Outbox.params,
            Outbox.message_id,
            Outbox.attempts,
        )
    )
    return sorted((Queued(*row) for row in rows), key=lambda q: q.id)


def _without_secrets() -> Any:
    """The params with the link's token removed: once a message is settled nobody needs it."""
    params = Outbox.params
    for name in _SECRET_PARAMS:
        params = params.op("-")(literal_column(f"'{name}'"))
    return params


async def sent(session: AsyncConnection, outbox_id: int) -> None:
    await session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id)
        .values(sent_at=func.now(), last_error=None, params=_without_secrets())
    )


async def refused(session: AsyncConnection, outbox_id: int, error: str) -> None:
    """The server refused this message for good: kept with the reason, never tried again."""
    await session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id)
        .values(failed_at=func.now(), last_error=error[:500], params=_without_secrets())
    )


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY))


async def retry(session: AsyncConnection, outbox_id: int, attempts: int, error: str) -> None:
    await session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id)
        .values(next_attempt_at=func.now() + backoff(attempts), last_error=error[:500])
    )


async def prune(session: AsyncConnection, keep: timedelta = KEEP_SENT) -> int:
    """Delete messages settled (sent or refused) longer ago than `keep`; how many."""
    settled_at = func.coalesce(Outbox.sent_at, Outbox.failed_at)
    done = await session.execute(delete(Outbox).where(settled_at < func.now() - keep))
    return done.rowcount


_due = select(Outbox.id).where(_unsettled, Outbox.next_attempt_at <= func.now())


async def any_due(session: AsyncConnection) -> bool:
    # Uses index: ix_outbox_due
    return (await session.execute(_due.limit(1))).first() is not None


async def due_count(session: AsyncConnection) -> int:
    """Messages waiting to be sent now (the outbox depth an operator watches)."""
    # Uses index: ix_outbox_due
    return await session.scalar(select(func.count()).select_from(_due.subquery())) or 0


@dataclass(frozen=True)
class Mailer:
    """What the domain actions that send mail need from the app: the keyed hash for
    tokens (`Policy.digest`) and the sender's address (for `Message-ID`s)."""

    digest: Callable[[str], bytes]
    mail_from: str

    async def enqueue(
        self,
        session: AsyncConnection,
        kind: str,
        recipient: str,
        language: str,
        params: dict[str, Any],
    ) -> int:
        return await enqueue(
            session,
            kind=kind,
            recipient=recipient,
            language=language,
            params=params,
            mail_from=self.mail_from,
        )
