"""Retried writes: a POST sent again with the same `Idempotency-Key` creates nothing twice.

The key is claimed by inserting its row inside the write's own transaction. A concurrent
retry blocks on the primary key until the first commits, then reads the stored answer;
if the first rolls back, the retry's claim succeeds and it does the work itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.errors import DomainError, Kind, invalid
from forum.models import IdempotencyKey

KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Stored:
    status: int
    response: dict[str, Any]


def check_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise invalid(
            "Idempotency-Key",
            f"Use 1 to {MAX_KEY_LENGTH} printable characters.",
            "invalid_idempotency_key",
        )


async def claim(
    session: AsyncConnection, scope: str, key: str, fingerprint: bytes
) -> Stored | None:
    """None if this request owns the key now; the first answer if it was seen before."""
    check_key(key)
    where = (IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    await session.execute(
        delete(IdempotencyKey).where(*where, IdempotencyKey.created_at < func.now() - KEEP)
    )
    claimed = await session.scalar(
        insert(IdempotencyKey)
        .values(scope=scope, key=key, fingerprint=fingerprint)
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    )
    if claimed is not None:
        return None
    row = (
        await session.execute(
            select(
                IdempotencyKey.fingerprint, IdempotencyKey.status, IdempotencyKey.response
            ).where(*where)
        )
    ).one()
    if row.fingerprint != fingerprint:
        raise DomainError(
            Kind.CONFLICT,
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request.",
        )
    return Stored(row.status, row.response)


async def record(
    session: AsyncConnection, scope: str, key: str, status: int, response: dict[str, Any]
) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
        .values(status=status, response=response)
    )
