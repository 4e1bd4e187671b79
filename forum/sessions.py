"""Login sessions kept in the database, and the slow-down of repeated login failures.

The cookie carries a random token; the table stores only its keyed hash, so a copy of
the database cannot be used to log in. Deleting the row ends the session everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import accounts
from forum.errors import DomainError, Kind
from forum.models import LoginThrottle, Role, Session, User
from forum.permissions import Actor

# Refresh `last_seen_at` at most this often: a write per request would be wasteful.
TOUCH_EVERY = timedelta(minutes=1)
FREE_FAILURES = 5
MAX_BLOCK = timedelta(minutes=15)
FAILURE_MEMORY = timedelta(hours=1)


@dataclass(frozen=True)
class Policy:
    secret: bytes
    idle: timedelta
    absolute: timedelta

    def digest(self, value: str) -> bytes:
        return hmac.new(self.secret, value.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Login:
    token: str
    csrf_token: str
    user_id: int


@dataclass(frozen=True)
class Current:
    actor: Actor
    csrf_token: str


async def open(session: AsyncConnection, policy: Policy, user_id: int) -> Login:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    await session.execute(
        insert(Session).values(
            token_hash=policy.digest(token),
            user_id=user_id,
            csrf_token=csrf,
            expires_at=func.now() + policy.absolute,
        )
    )
    return Login(token, csrf, user_id)


async def current(session: AsyncConnection, policy: Policy, token: str) -> Current | None:
    """The live session a cookie names, or None if it is unknown, revoked or expired."""
    token_hash = policy.digest(token)
    row = (
        await session.execute(
            select(
                Session.csrf_token,
                Session.last_seen_at,
                User.id,
                User.role,
                User.suspended_at,
                func.now().label("now"),
            )
            .join(User, User.id == Session.user_id)
            .where(
                Session.token_hash == token_hash,
                Session.expires_at > func.now(),
                Session.last_seen_at > func.now() - policy.idle,
            )
        )
    ).first()
    if row is None:
        return None
    if row.now - row.last_seen_at > TOUCH_EVERY:
        await session.execute(
            update(Session).where(Session.token_hash == token_hash).values(last_seen_at=func.now())
        )
    actor = Actor(user_id=row.id, role=Role(row.role), suspended=row.suspended_at is not None)
    return Current(actor, row.csrf_token)


async def close(session: AsyncConnection, policy: Policy, token: str) -> None:
    await session.execute(delete(Session).where(Session.token_hash == policy.digest(token)))


async def close_all(session: AsyncConnection, user_id: int) -> None:
    await session.execute(delete(Session).where(Session.user_id == user_id))


async def log_in(session: AsyncConnection, policy: Policy, email: str, password: str) -> Login:
    """Check credentials and open a session.

    A wrong email and a wrong password get the same answer after the same work. After
    FREE_FAILURES failures for one email, further attempts wait, doubling up to MAX_BLOCK,
    even with the right password: that is what stops guessing.
    """
    key = _throttle_key(policy, email)
    await _check_throttle(session, key)
    found = await accounts.credentials(session, email)
    ok = await accounts.verify_password(found[1] if found else None, password)
    if not ok or found is None:
        # The caller rolls this transaction back and calls `record_failure` in a new one.
        raise DomainError(
            Kind.UNAUTHENTICATED, "invalid_credentials", "The email or password is wrong."
        )
    user_id, _, suspended = found
    if suspended:
        raise DomainError(Kind.FORBIDDEN, "account_suspended", "This account is suspended.")
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key_hash == key))
    return await open(session, policy, user_id)


async def _check_throttle(session: AsyncConnection, key: bytes) -> None:
    blocked_until = await session.scalar(
        select(LoginThrottle.blocked_until).where(
            LoginThrottle.key_hash == key, LoginThrottle.blocked_until > func.now()
        )
    )
    if blocked_until is not None:
        wait = max(1, int((blocked_until - datetime.now(UTC)).total_seconds()) + 1)
        raise DomainError(
            Kind.RATE_LIMITED,
            "too_many_attempts",
            "Too many failed attempts; try again later.",
            retry_after=wait,
        )


def _throttle_key(policy: Policy, email: str) -> bytes:
    return policy.digest("login:" + email.strip().lower())


async def record_failure(session: AsyncConnection, policy: Policy, email: str) -> None:
    key = _throttle_key(policy, email)
    # Failures older than FAILURE_MEMORY are forgotten: the count starts again.
    stale = LoginThrottle.last_failure_at < func.now() - FAILURE_MEMORY
    failures = await session.scalar(
        pg_insert(LoginThrottle)
        .values(key_hash=key, failures=1)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.key_hash],
            set_={
                "failures": case((stale, 1), else_=LoginThrottle.failures + 1),
                "last_failure_at": func.now(),
            },
        )
        .returning(LoginThrottle.failures)
    )
    assert failures is not None
    if failures >= FREE_FAILURES:
        block = min(timedelta(seconds=2 ** (failures - FREE_FAILURES)), MAX_BLOCK)
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key_hash == key)
            .values(blocked_until=func.now() + block)
        )
