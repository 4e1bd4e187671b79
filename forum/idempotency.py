"""Retried writes: a POST sent again with the same `Idempotency-Key` creates nothing twice.

The key is claimed by inserting its row inside the write's own transaction. A concurrent
retry blocks on the primary key until the first commits, then reads the stored answer;
if the first rolls back, the retry's claim succeeds and it does the work itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, literal_column, select, update
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


# The stored answers holding a post: any object in them with the post's id and its text.
_HOLDING_POST = literal_column("'$.** ? (@.id == $post && exists(@.body_html))'::jsonpath")
FORGOTTEN = b"forgotten"  # no request hashes to this: a retry gets 409, never a new post


def _without_text(value: Any, post_id: int) -> Any:
    if isinstance(value, dict):
        if value.get("id") == post_id and "body_html" in value:
            return {**value, "body": None, "body_html": None}
        return {k: _without_text(v, post_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_text(v, post_id) for v in value]
    return value


async def forget_post(session: AsyncConnection, scope: str, post_id: int) -> int:
    """Take a post's text out of the answers stored for `scope`'s retries (its author's,
    who created it): a redaction purges every copy (`forum.revisions`). The key stays
    claimed, so a retry creates nothing, but it no longer matches (409): the hash of the
    request, which held the text, goes too. How many answers changed."""
    # Uses index: pk_idempotency_keys (the scope), then a scan of that member's keys,
    # kept a day: a redaction is rare.
    rows = (
        await session.execute(
            select(IdempotencyKey.key, IdempotencyKey.response).where(
                IdempotencyKey.scope == scope,
                func.jsonb_path_exists(
                    IdempotencyKey.response, _HOLDING_POST, func.jsonb_build_object("post", post_id)
                ),
            )
        )
    ).all()
    for row in rows:
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.scope == scope, IdempotencyKey.key == row.key)
            .values(response=_without_text(row.response, post_id), fingerprint=FORGOTTEN)
        )
    return len(rows)
