"""Single-use tokens sent in links (verify an address, reset a password).

The link carries a random token; the table (`mail_tokens`, reached only through Core
statements here) keeps its keyed hash (`Policy.digest`), so a copy of the database opens
no account. Using a token is one `UPDATE .. WHERE used_at IS NULL AND expires_at > now()`:
two clicks racing on the same link, one wins.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.errors import DomainError, Kind
from forum.models import MailToken

Digest = Callable[[str], bytes]
MAX_TOKEN = 100  # longer is not one of ours: refused before hashing


class Purpose(enum.StrEnum):
    VERIFY = "verify"
    RESET = "reset"


def unusable() -> DomainError:
    message = "This link has expired or was already used."
    return DomainError(Kind.INVALID, "token_unusable", message, fields={"token": message})


def _hash(digest: Digest, purpose: Purpose, token: str) -> bytes:
    return digest(f"mail-token\0{purpose}\0{token}")


async def issue(
    session: AsyncConnection, digest: Digest, user_id: int, purpose: Purpose, lifetime: timedelta
) -> str:
    token = secrets.token_urlsafe(32)
    await session.execute(
        insert(MailToken).values(
            token_hash=_hash(digest, purpose, token),
            user_id=user_id,
            purpose=purpose.value,
            expires_at=func.now() + lifetime,
        )
    )
    return token


def _usable(digest: Digest, purpose: Purpose, token: str) -> list:
    return [
        MailToken.token_hash == _hash(digest, purpose, token),
        MailToken.purpose == purpose.value,
        MailToken.used_at.is_(None),
        MailToken.expires_at > func.now(),
    ]


async def holder(session: AsyncConnection, digest: Digest, purpose: Purpose, token: str) -> int:
    """The account a usable token belongs to, without using it; `unusable()` otherwise."""
    if not token or len(token) > MAX_TOKEN:
        raise unusable()
    found = await session.scalar(select(MailToken.user_id).where(*_usable(digest, purpose, token)))
    if found is None:
        raise unusable()
    return found


async def use(session: AsyncConnection, digest: Digest, purpose: Purpose, token: str) -> int:
    """Spend a token: the account it belongs to; `unusable()` if expired, used or unknown."""
    if not token or len(token) > MAX_TOKEN:
        raise unusable()
    found = await session.scalar(
        update(MailToken)
        .where(*_usable(digest, purpose, token))
        .values(used_at=func.now())
        .returning(MailToken.user_id)
    )
    if found is None:
        raise unusable()
    return found


async def spend_all(session: AsyncConnection, user_id: int, purpose: Purpose) -> None:
    """Make every open token of that purpose unusable (the job is done another way)."""
    await session.execute(
        update(MailToken)
        .where(
            MailToken.user_id == user_id,
            MailToken.purpose == purpose.value,
            MailToken.used_at.is_(None),
        )
        .values(used_at=func.now())
    )


async def prune(session: AsyncConnection, keep: timedelta = timedelta(days=7)) -> int:
    """Delete tokens expired longer ago than `keep`; how many."""
    done = await session.execute(delete(MailToken).where(MailToken.expires_at < func.now() - keep))
    return done.rowcount
