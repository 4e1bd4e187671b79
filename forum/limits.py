"""Rate limits shared by every worker and host: named rules, counters in PostgreSQL.

A rule (`Rule`) allows a count per window (`config.Rates`, one `FORUM_LIMIT_<RULE>` each)
to each subject it counts: a client address, a member, an account, a known device. A
`Bucket` is one rule for one subject.

Counting comes first and the decision follows from what it returned. One statement
(`INSERT .. ON CONFLICT DO UPDATE .. RETURNING`) adds a hit to every bucket a request
touches and returns their new counts, so two racing requests can never both see "one
left": the row lock serialises them. Callers commit that statement at once, before the
work it guards: a hit must stay counted when the work fails (a wrong password is the
very thing counted), and a row lock held for a whole request would queue a member's
other requests behind it. `Limiter.hit` does all of that in its own transaction;
`Limiter.count` counts in the caller's and leaves the commit, then `Tally.check`, to it.

Windows are fixed: a bucket's window opens at its first hit and lasts the rule's window;
the first hit after `resets_at` opens a new one. A burst across the edge of two windows
can reach twice the count; a sliding log would be exact but costs a row per hit.

The table (`rate_limits`, unlogged, reached only through Core statements on the
`RateLimit` model, here) holds keyed hashes of rule and subject (`Policy.digest`, an
HMAC with the secret key), never an address or an email. IPv6 addresses are counted per
/64, the block a single subscriber is usually given. Expired rows are deleted by each
worker every `PRUNE_EVERY` seconds, in batches, through the index on `resets_at`; a
request never pays for it.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import (
    ARRAY,
    Interval,
    LargeBinary,
    Text,
    bindparam,
    case,
    delete,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from forum import background
from forum.config import Rate, Rates
from forum.db import Database
from forum.errors import DomainError, Kind
from forum.models import RateLimit

log = logging.getLogger("forum.limits")

PRUNE_EVERY = 600.0
PRUNE_BATCH = 10_000
_MOST_HITS = 2**31 - 1  # the column is an integer; a flood must not overflow it


class Rule(enum.StrEnum):
    """Every limit, named as its field of `config.Rates`."""

    REGISTER = "register"
    LOGIN_ADDRESS = "login_address"
    LOGIN_ACCOUNT_ADDRESS = "login_account_address"
    LOGIN_ACCOUNT = "login_account"
    LOGIN_DEVICE = "login_device"
    POST = "post"
    EDIT = "edit"
    PREVIEW = "preview"
    PASSWORD = "password"
    VERIFY_RESEND = "verify_resend"
    RESET_ADDRESS = "reset_address"
    RESET_ACCOUNT = "reset_account"
    WS_CONNECT = "ws_connect"
    WS_BACKLOG = "ws_backlog"
    MAIL_ANSWER = "mail_answer"


# Rules that count a member; the others count the client's address, except the login
# rules, whose subjects `forum.sessions` chooses.
PER_MEMBER = frozenset({Rule.POST, Rule.EDIT, Rule.PREVIEW, Rule.PASSWORD, Rule.VERIFY_RESEND})
# Rules whose hit is counted in the transaction of the work it guards, not committed on
# its own first: what they limit is work done (a post that fails to be written need not
# count), and a member's own posts rarely race each other for the counter's row lock.
# Saving a commit is a tenth of a reply's cost. Every other rule counts attempts, failed
# ones above all (a wrong password), so its hit must survive the work's rollback.
# A preview writes nothing: its hit is the only write of its transaction.
COUNTED_WITH_THE_WORK = frozenset({Rule.POST, Rule.EDIT, Rule.PREVIEW})

_ATTEMPTS = "too_many_attempts"
_REFUSALS: dict[Rule, tuple[str, str]] = {
    Rule.REGISTER: ("rate_limited", "Too many accounts were created from this address."),
    Rule.LOGIN_ADDRESS: (_ATTEMPTS, "Too many login attempts."),
    Rule.LOGIN_ACCOUNT_ADDRESS: (_ATTEMPTS, "Too many login attempts."),
    Rule.LOGIN_ACCOUNT: (_ATTEMPTS, "Too many login attempts."),
    Rule.LOGIN_DEVICE: (_ATTEMPTS, "Too many login attempts."),
    Rule.POST: ("rate_limited", "You are posting faster than the forum allows."),
    Rule.EDIT: ("rate_limited", "You are editing faster than the forum allows."),
    Rule.PREVIEW: ("rate_limited", "You are asking for previews faster than the forum allows."),
    Rule.PASSWORD: (_ATTEMPTS, "Too many password changes."),
    Rule.VERIFY_RESEND: ("rate_limited", "Too many verification emails were asked for."),
    Rule.RESET_ADDRESS: ("rate_limited", "Too many password reset requests."),
    Rule.RESET_ACCOUNT: ("rate_limited", "Too many password reset requests."),
    Rule.WS_CONNECT: ("rate_limited", "Too many live connections from this address."),
    Rule.WS_BACKLOG: ("rate_limited", "Too many requests for missed events."),
    Rule.MAIL_ANSWER: ("rate_limited", "Too many answers to this address."),
}


@dataclass(frozen=True)
class Bucket:
    rule: Rule
    subject: str


def address_block(address: str) -> str:
    """The unit an address is counted in: itself, or its /64 for IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP (a test client, a unix socket): counted as given
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def per_address(rule: Rule, address: str) -> Bucket:
    return Bucket(rule, "address " + address_block(address))


def per_member(rule: Rule, user_id: int) -> Bucket:
    return Bucket(rule, f"member {user_id}")


def of_request(rule: Rule, *, user_id: int | None, address: str) -> Bucket | None:
    """The bucket a request's hit goes to; None for a member rule and no member (the
    action itself refuses anonymous writers)."""
    if rule in PER_MEMBER:
        return None if user_id is None else per_member(rule, user_id)
    return per_address(rule, address)


@dataclass(frozen=True)
class Tally:
    """The outcome of a count: the rules over their limit, each with seconds to wait."""

    refused: tuple[tuple[Rule, int], ...] = ()

    def check(self) -> None:
        """Refuse (`Kind.RATE_LIMITED`, with `retry_after`) if any bucket is over."""
        if not self.refused:
            return
        code, message = _REFUSALS[self.refused[0][0]]
        wait = max(seconds for _, seconds in self.refused)
        raise DomainError(Kind.RATE_LIMITED, code, f"{message} Try again later.", retry_after=wait)


class Limiter:
    """Counts hits for the app's rules; built and stopped by the app's lifespan."""

    def __init__(self, db: Database, rates: Rates, digest: Callable[[str], bytes]) -> None:
        self.db = db
        self.rates = rates
        self._digest = digest
        self._count = _count_statement()
        self._tasks: list[asyncio.Task[None]] = []

    def rate(self, rule: Rule) -> Rate:
        rate: Rate = getattr(self.rates, rule.value)
        return rate

    async def count(self, session: AsyncConnection, buckets: Iterable[Bucket]) -> Tally:
        """Add one hit to each bucket in the caller's transaction. Commit it, then call
        `Tally.check()`: raising before the commit would roll the hits back."""
        rows = {self._digest(f"limit\0{b.rule}\0{b.subject}"): b.rule for b in buckets}
        if not rows:
            return Tally()
        keys = list(rows)
        hits = await session.execute(
            self._count,
            {
                "keys": keys,
                "rules": [rows[key].value for key in keys],
                "windows": [self.rate(rows[key]).window for key in keys],
            },
        )
        refused = []
        for key, count, wait in hits.all():
            rule = rows[key]
            if count > self.rate(rule).count:
                refused.append((rule, max(1, int(wait))))
        return Tally(tuple(refused))

    async def hit(self, *buckets: Bucket) -> None:
        """Count a hit in each bucket, committed on its own, then refuse if any is over."""
        async with self.db.transaction() as session:
            tally = await self.count(session, buckets)
        tally.check()

    async def ws_connect(self, address: str) -> None:
        """An anonymous websocket connection from `address` is opening: count it, and
        refuse (`Kind.RATE_LIMITED`) past `FORUM_LIMIT_WS_CONNECT`. Members' sockets are
        capped per member instead, so call this for anonymous ones only."""
        await self.hit(per_address(Rule.WS_CONNECT, address))

    async def ws_backlog(self, *, address: str, user_id: int | None) -> None:
        """A `subscribe` with `since` asks for a backlog: count it per member (or per
        address when anonymous), and refuse past `FORUM_LIMIT_WS_BACKLOG`."""
        if user_id is None:
            await self.hit(per_address(Rule.WS_BACKLOG, address))
        else:
            await self.hit(per_member(Rule.WS_BACKLOG, user_id))

    async def prune(self) -> int:
        """Delete expired counters; returns how many."""
        removed = 0
        while True:
            async with self.db.transaction() as session:
                expired = RateLimit.resets_at < func.now()
                # Uses index: ix_rate_limits_resets_at
                doomed = select(RateLimit.key_hash).where(expired).limit(PRUNE_BATCH)
                # `expired` again on the row itself: a row a hit has just reopened is
                # rechecked after its lock and kept.
                result = await session.execute(
                    delete(RateLimit).where(
                        RateLimit.key_hash.in_(doomed.scalar_subquery()), expired
                    )
                )
            removed += result.rowcount
            if result.rowcount < PRUNE_BATCH:
                return removed

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._prune_regularly())]

    async def stop(self) -> None:
        await background.cancel(self._tasks)

    async def _prune_regularly(self) -> None:
        while True:
            # Workers started together would otherwise all prune at the same moment.
            await asyncio.sleep(PRUNE_EVERY * random.uniform(0.5, 1.5))
            try:
                removed = await self.prune()
                if removed:
                    log.info("pruned %d expired rate-limit counters", removed)
            except Exception as exc:  # the database is away; try at the next turn
                log.warning("rate-limit pruning failed: %s", exc)


def _count_statement() -> Executable:
    """One hit for each of the `keys` (with their `rules` and `windows`): their new counts
    and the seconds left in their windows. One statement whatever the number of buckets,
    so SQLAlchemy compiles it once (a multi-row VALUES is compiled at every call)."""
    given = (
        func.unnest(
            bindparam("keys", type_=ARRAY(LargeBinary)),
            bindparam("rules", type_=ARRAY(Text)),
            bindparam("windows", type_=ARRAY(Interval)),
        )
        .table_valued("key_hash", "rule", "window")
        .render_derived(name="hit")
    )
    # Rows are taken in key order: two hits on the same buckets lock their rows in the
    # same order, so they queue and never deadlock.
    statement = pg_insert(RateLimit).from_select(
        ["key_hash", "rule", "hits", "resets_at"],
        select(given.c.key_hash, given.c.rule, literal(1), func.now() + given.c.window).order_by(
            given.c.key_hash
        ),
    )
    expired = RateLimit.resets_at <= func.now()
    return statement.on_conflict_do_update(
        index_elements=[RateLimit.key_hash],
        set_={
            "hits": case((expired, 1), else_=func.least(RateLimit.hits + 1, _MOST_HITS)),
            "resets_at": case((expired, statement.excluded.resets_at), else_=RateLimit.resets_at),
        },
    ).returning(
        RateLimit.key_hash,
        RateLimit.hits,
        func.ceil(func.extract("epoch", RateLimit.resets_at - func.now())),
    )
