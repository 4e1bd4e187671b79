"""Login sessions kept in the database, and how login attempts are limited.

The session cookie carries a random token; the table stores only its keyed hash, so a
copy of the database cannot be used to log in. Deleting the row ends the session
everywhere.

Login attempts (`log_in`). Every attempt is counted before its password is looked at,
in a transaction committed on its own (`forum.limits`): parallel guesses cannot slip
past a check that has not yet seen their count, and a failure cannot roll its count
back. Which buckets count it depends on where it comes from:

- From a known device: a browser that logged in to this account before holds a device
  cookie (`device_token`: a random id and an HMAC, with the secret key, of the account's
  id and that id). Its attempts go to that device's own bucket only
  (`FORUM_LIMIT_LOGIN_DEVICE`, per account and device). Strangers cannot fill it: they
  cannot make a cookie for the account, and a cookie only counts for the account it was
  made for. This is what keeps the owner from being locked out by an attack.
- From anywhere else: three buckets, all counted, any one full refuses: the client's
  address over all accounts (`FORUM_LIMIT_LOGIN_ADDRESS`, against one address trying
  many accounts), the account from that address (`FORUM_LIMIT_LOGIN_ACCOUNT_ADDRESS`),
  and the account from every unknown device together (`FORUM_LIMIT_LOGIN_ACCOUNT`,
  against guessing spread over many addresses). The account buckets are keyed by the
  email as typed (folded), not by the account, so an unknown email is counted, refused
  and answered exactly like a known one.

A refused attempt gets 429 with Retry-After and its password is never checked, right or
wrong. The price of the design (OWASP's "device cookies"): while strangers keep an
account's shared bucket full, its owner can log in only from a device that has logged in
before (or after the attack stops). The cookie names its account only through the HMAC,
so whoever reads a shared computer's cookies cannot tell whose it is. A successful login
hands out a fresh device cookie (on registration too); one browser holds one, for the
account that logged in last. A wrong email and a wrong password get the same answer
after the same work (a dummy hash is checked for an unknown email).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import (
    ARRAY,
    Interval,
    LargeBinary,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from forum import accounts, events, suspensions
from forum.config import Settings
from forum.db import Database, Prepared
from forum.errors import DomainError, Kind, not_found
from forum.limits import Bucket, Limiter, Rule, address_block, per_address
from forum.models import Role, Session, User
from forum.permissions import Actor, check_can_manage_sessions, user_audience

# Refresh `last_seen_at` at most this often: a write per request would be wasteful.
TOUCH_EVERY = timedelta(minutes=1)
# A device cookie outlives sessions: it is what lets its holder in during an attack.
DEVICE_LIFETIME = timedelta(days=365)
MAX_USER_AGENT = 200  # the column's length; browsers send more, the start says enough
# An account's session list is bounded (ending all the others still reaches those past
# it).
MAX_LISTED = 100
_KEYS = ARRAY(LargeBinary)


@dataclass(frozen=True)
class Policy:
    secret: bytes
    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(settings.secret_key.encode(), settings.session_idle, settings.session_absolute)

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
    # The token's keyed hash: what names this session without the token itself (the
    # realtime sweep keeps it for each open socket and asks `actors` about it).
    key: bytes
    name: str  # the member's display name, for the pages' header
    language: str  # the member's interface language setting


async def open(
    session: AsyncConnection, policy: Policy, user_id: int, user_agent: str | None = None
) -> Login:
    """A new session; `user_agent` (the browser's, as it sent it) lets its member tell
    their sessions apart (`list_open`)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    await session.execute(
        insert(Session).values(
            token_hash=policy.digest(token),
            user_id=user_id,
            csrf_token=csrf,
            expires_at=func.now() + policy.absolute,
            user_agent=user_agent[:MAX_USER_AGENT] if user_agent else None,
        )
    )
    return Login(token, csrf, user_id)


def _live() -> list[ColumnElement[bool]]:
    """A session that is neither past its absolute lifetime nor idle longer than `:idle`."""
    idle = bindparam("idle", type_=Interval)
    return [Session.expires_at > func.now(), Session.last_seen_at > func.now() - idle]


# Whether the account's suspension holds now: asked at each request, so one that has
# run its course lifts itself (`forum.suspensions`).
_SUSPENDED = suspensions.active().label("suspended")
# Built once: every request with a cookie asks it (constructing it cost more than a tenth
# of a millisecond a request).
_CURRENT = (
    select(
        Session.csrf_token,
        Session.last_seen_at,
        User.id,
        User.role,
        _SUSPENDED,
        User.display_name,
        User.language,
        func.now().label("now"),
    )
    .join(User, User.id == Session.user_id)
    .where(Session.token_hash == bindparam("token_hash"), *_live())
)
# Uses index: pk_sessions (one probe per key)
_ACTORS = (
    select(Session.token_hash, User.id, User.role, _SUSPENDED)
    .join(User, User.id == Session.user_id)
    .where(Session.token_hash == any_(bindparam("keys", type_=_KEYS)), *_live())
)


# (Not "token_hash": an UPDATE reserves its columns' names for the values it sets.)
_TOUCH = update(Session).where(Session.token_hash == bindparam("key"))
_TOUCH = _TOUCH.values(last_seen_at=func.now())
_CURRENT_READER = Prepared.of(_CURRENT)
_TOUCH_READER = Prepared.of(_TOUCH)


def _actor(row: Mapping[str, Any]) -> Actor:
    return Actor(user_id=row["id"], role=Role(row["role"]), suspended=row["suspended"])


def _current(row: Mapping[str, Any], token_hash: bytes) -> Current:
    return Current(_actor(row), row["csrf_token"], token_hash, row["display_name"], row["language"])


async def current(session: AsyncConnection, policy: Policy, token: str) -> Current | None:
    """The live session a cookie names, or None if it is unknown, revoked or expired."""
    token_hash = policy.digest(token)
    row = (await session.execute(_CURRENT, {"token_hash": token_hash, "idle": policy.idle})).first()
    if row is None:
        return None
    if row.now - row.last_seen_at > TOUCH_EVERY:
        await session.execute(_TOUCH, {"key": token_hash})
    return _current(row._mapping, token_hash)


async def current_on_reader(
    reader: asyncpg.Connection, policy: Policy, token: str
) -> Current | None:
    """`current` for a page that only reads, on `Database.reader`: the same query, without
    a transaction or SQLAlchemy's execution layer (half the CPU of a logged-in thread
    page's session check went there). The touch, when due, commits on its own."""
    token_hash = policy.digest(token)
    row = await reader.fetchrow(
        _CURRENT_READER.sql, *_CURRENT_READER.args(token_hash=token_hash, idle=policy.idle)
    )
    if row is None:
        return None
    if row["now"] - row["last_seen_at"] > TOUCH_EVERY:
        await reader.execute(_TOUCH_READER.sql, *_TOUCH_READER.args(key=token_hash))
    return _current(row, token_hash)


async def actors(
    session: AsyncConnection, policy: Policy, keys: Collection[bytes]
) -> dict[bytes, Actor]:
    """The sessions among `keys` (`Current.key`) that are live now, each with the actor it
    runs as now; ended, expired and unknown ones are left out. One query for any number
    of keys. It only reads: asking does not count as activity (`current` does)."""
    if not keys:
        return {}
    rows = await session.execute(_ACTORS, {"keys": list(keys), "idle": policy.idle})
    return {row.token_hash: _actor(row._mapping) for row in rows}


async def close(session: AsyncConnection, policy: Policy, token: str) -> None:
    """End the session a cookie names (logging out)."""
    user_id = await session.scalar(
        delete(Session).where(Session.token_hash == policy.digest(token)).returning(Session.user_id)
    )
    if user_id is not None:
        await _ended(session, user_id)


async def close_all(session: AsyncConnection, user_id: int) -> None:
    """End every session of an account (its password changed)."""
    ended = await session.scalars(
        delete(Session).where(Session.user_id == user_id).returning(Session.user_id)
    )
    if ended.first() is not None:
        await _ended(session, user_id)


# How a member names one of their sessions: a hash of the token's keyed hash, so it
# can be shown and sent back without being the token, nor `Current.key` (the sweep's
# name for it), nor leading to either. 64 bits: one account's sessions never collide.
# The one definition, used both to list sessions and to find the one to end.
_PUBLIC_ID = func.left(func.encode(func.sha256(Session.token_hash), "hex"), 16)
_PUBLIC_ID_FORMAT = frozenset("0123456789abcdef")


def public_id() -> Any:
    """The expression of a session's public id (`_PUBLIC_ID`), for the member's export."""
    return _PUBLIC_ID


@dataclass(frozen=True)
class OpenSession:
    """One live session of an account, as its member sees it."""

    id: str  # `_PUBLIC_ID`
    created_at: datetime
    last_seen_at: datetime
    user_agent: str | None
    current: bool  # the session asking


async def list_open(
    session: AsyncConnection, policy: Policy, actor: Actor, current_key: bytes
) -> list[OpenSession]:
    """The actor's live sessions: the one asking (`current_key`, `Current.key`) first and
    marked, then the most recently active (at most `MAX_LISTED` in all)."""
    check_can_manage_sessions(actor)
    # Uses index: ix_sessions_user_id
    rows = await session.execute(
        select(
            _PUBLIC_ID.label("id"),
            Session.created_at,
            Session.last_seen_at,
            Session.user_agent,
            (Session.token_hash == current_key).label("current"),
        )
        .where(Session.user_id == actor.user_id, *_live())
        .order_by(
            (Session.token_hash == current_key).desc(),
            Session.last_seen_at.desc(),
            Session.created_at.desc(),
        )
        .limit(MAX_LISTED),
        {"idle": policy.idle},
    )
    return [OpenSession(r.id, r.created_at, r.last_seen_at, r.user_agent, r.current) for r in rows]


async def end(session: AsyncConnection, policy: Policy, actor: Actor, session_id: str) -> bytes:
    """End one live session of the actor's by its public id, and return its key
    (`Current.key`: whether it was the asking one). Another account's session, an ended
    one or an id that names none is not found (nothing tells them apart)."""
    check_can_manage_sessions(actor)
    assert actor.user_id is not None
    if len(session_id) != 16 or not set(session_id) <= _PUBLIC_ID_FORMAT:
        raise not_found("session")
    # Uses index: ix_sessions_user_id
    ended = await session.scalar(
        delete(Session)
        .where(Session.user_id == actor.user_id, session_id == _PUBLIC_ID, *_live())
        .returning(Session.token_hash),
        {"idle": policy.idle},
    )
    if ended is None:
        raise not_found("session")
    await _ended(session, actor.user_id)
    return ended


async def end_others(session: AsyncConnection, actor: Actor, keep: bytes) -> int:
    """End every session of the actor's but `keep` (`Current.key`); how many ended."""
    check_can_manage_sessions(actor)
    assert actor.user_id is not None
    # Uses index: ix_sessions_user_id
    ended = len(
        (
            await session.scalars(
                delete(Session)
                .where(Session.user_id == actor.user_id, Session.token_hash != keep)
                .returning(Session.user_id)
            )
        ).all()
    )
    if ended:
        await _ended(session, actor.user_id)
    return ended


async def _ended(session: AsyncConnection, user_id: int) -> None:
    # In the log, so that every worker's realtime sweep checks its sockets before it
    # delivers anything written after this commit (`realtime.sweep`).
    await events.append(
        session, "session.ended", [f"user:{user_id}"], user_audience(user_id),
        {"user_id": user_id},
    )  # fmt: skip


@dataclass(frozen=True)
class Attempt:
    email: str
    password: str
    address: str  # the client's, as the transport saw it
    device: str | None  # the device cookie sent, if any
    user_agent: str | None = None  # the browser's, kept with the session it opens


@dataclass(frozen=True)
class LoggedIn:
    login: Login
    user: dict[str, Any]
    device: str  # a fresh device cookie for this account


async def log_in(db: Database, limiter: Limiter, policy: Policy, attempt: Attempt) -> LoggedIn:
    """Count the attempt, then check the credentials and open a session (module docstring).

    Transactions of its own, and none open while the password hash is checked (argon2
    takes a core for tens of milliseconds): the count commits before the check.
    """
    async with db.transaction() as session:
        found = await accounts.credentials(session, attempt.email)
        user_id = found[0] if found is not None else 0  # 0: the same work for no account
        known = _device_ok(policy, user_id, attempt.device) and found is not None
        tally = await limiter.count(session, _buckets(attempt, user_id if known else None))
    tally.check()
    ok = await accounts.verify_password(found[1] if found else None, attempt.password)
    if not ok or found is None:
        raise DomainError(
            Kind.UNAUTHENTICATED, "invalid_credentials", "The email or password is wrong."
        )
    user_id, _, suspended = found
    if suspended:
        raise DomainError(Kind.FORBIDDEN, "account_suspended", "This account is suspended.")
    async with db.transaction() as session:
        login = await open(session, policy, user_id, attempt.user_agent)
        user = await accounts.get(session, user_id)
    return LoggedIn(login, user, device_token(policy, user_id))


def _buckets(attempt: Attempt, device_of: int | None) -> list[Bucket]:
    if device_of is not None:
        assert attempt.device is not None
        return [Bucket(Rule.LOGIN_DEVICE, f"{device_of} {attempt.device}")]
    email = attempt.email.strip().lower()
    return [
        per_address(Rule.LOGIN_ADDRESS, attempt.address),
        Bucket(Rule.LOGIN_ACCOUNT_ADDRESS, f"{email} {address_block(attempt.address)}"),
        Bucket(Rule.LOGIN_ACCOUNT, email),
    ]


def device_token(policy: Policy, user_id: int) -> str:
    """A new device cookie value for `user_id`: a random id and its MAC."""
    device = secrets.token_urlsafe(16)
    return f"{device}.{_device_mac(policy, user_id, device)}"


def _device_ok(policy: Policy, user_id: int, token: str | None) -> bool:
    if not token or len(token) > 128 or token.count(".") != 1:
        return False
    device, mac = token.split(".")
    return hmac.compare_digest(mac.encode(), _device_mac(policy, user_id, device).encode())


def _device_mac(policy: Policy, user_id: int, device: str) -> str:
    digest = policy.digest(f"device\0{user_id}\0{device}")
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
