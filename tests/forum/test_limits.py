"""Rate limits: counts shared by every worker, exact under concurrency, no address stored,
forgotten after their window, old counters pruned."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import text

from forum.config import Rates
from forum.db import Database
from forum.errors import DomainError, Kind
from forum.limits import Limiter, Rule, address_block, per_address, per_member
from forum.sessions import Policy
from tests import factories


def _limiter(db: Database, secret: bytes = b"k" * 40, **rates: tuple[int, float]) -> Limiter:
    policy = Policy(secret, timedelta(days=1), timedelta(days=2))
    return Limiter(db, factories.rates(**rates), policy.digest)


async def _refused(limiter: Limiter, *buckets) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await limiter.hit(*buckets)
    assert caught.value.kind is Kind.RATE_LIMITED
    return caught.value


def test_every_rule_has_a_setting():
    assert {rule.value for rule in Rule} == {f.name for f in dataclasses.fields(Rates)}


async def test_a_bucket_takes_its_count_then_refuses_with_the_wait(db):
    limiter = _limiter(db, post=(3, 600))
    for _ in range(3):
        await limiter.hit(per_member(Rule.POST, 7))
    refused = await _refused(limiter, per_member(Rule.POST, 7))
    assert refused.code == "rate_limited"
    assert refused.retry_after is not None and 1 <= refused.retry_after <= 600
    # Another member, and another rule of the same member, count apart.
    await limiter.hit(per_member(Rule.POST, 8))
    await limiter.hit(per_member(Rule.EDIT, 7))


async def test_workers_share_the_counts(db, database_url):
    # Two app processes: two pools, the same secret, the same table.
    other_db = Database(database_url, pool_size=2)
    try:
        first, second = _limiter(db, register=(2, 600)), _limiter(other_db, register=(2, 600))
        await first.hit(per_address(Rule.REGISTER, "192.0.2.1"))
        await second.hit(per_address(Rule.REGISTER, "192.0.2.1"))
        await _refused(first, per_address(Rule.REGISTER, "192.0.2.1"))
        await _refused(second, per_address(Rule.REGISTER, "192.0.2.1"))
    finally:
        await other_db.dispose()


async def test_parallel_hits_never_get_past_the_count(db):
    limiter = _limiter(db, password=(5, 600))
    bucket = per_member(Rule.PASSWORD, 1)

    async def attempt() -> bool:
        try:
            await limiter.hit(bucket)
        except DomainError:
            return False
        return True

    outcomes = await asyncio.gather(*(attempt() for _ in range(30)))
    assert outcomes.count(True) == 5


async def test_counters_hold_no_address_and_depend_on_the_secret(db):
    address = "203.0.113.57"
    await _limiter(db).hit(per_address(Rule.REGISTER, address))
    await _limiter(db, secret=secrets.token_bytes(40)).hit(per_address(Rule.REGISTER, address))
    async with db.transaction() as s:
        rows = (await s.execute(text("SELECT key_hash, rule, hits FROM rate_limits"))).all()
    # Another secret, another key: the two counts are apart, and neither names the address.
    assert [(row.rule, row.hits) for row in rows] == [("register", 1), ("register", 1)]
    assert rows[0].key_hash != rows[1].key_hash
    assert all(address.encode() not in row.key_hash and len(row.key_hash) == 32 for row in rows)


def test_ipv6_addresses_count_per_64_and_mapped_ipv4_as_ipv4():
    assert address_block("2001:db8:1:2:aaaa::1") == address_block("2001:db8:1:2:bbbb::2")
    assert address_block("2001:db8:1:2::1") != address_block("2001:db8:1:3::1")
    assert address_block("::ffff:198.51.100.4") == address_block("198.51.100.4")
    assert address_block("not an address") == "not an address"


async def test_a_new_window_starts_when_the_wait_is_over(db):
    limiter = _limiter(db, edit=(1, 3))
    await limiter.hit(per_member(Rule.EDIT, 3))
    refused = await _refused(limiter, per_member(Rule.EDIT, 3))
    assert refused.retry_after is not None and refused.retry_after <= 3
    await asyncio.sleep(refused.retry_after)  # what Retry-After tells a client to do
    await limiter.hit(per_member(Rule.EDIT, 3))


async def test_expired_counters_are_pruned_and_live_ones_kept(db):
    limiter = _limiter(db)
    for member in range(5):
        await limiter.hit(per_member(Rule.POST, member))
    await limiter.hit(per_member(Rule.EDIT, 1))
    async with db.transaction() as s:  # the posting windows are over
        await s.execute(text("UPDATE rate_limits SET resets_at = now() WHERE rule = 'post'"))
    assert await limiter.prune() == 5
    async with db.transaction() as s:
        left = (await s.execute(text("SELECT rule, hits FROM rate_limits"))).all()
    assert [tuple(row) for row in left] == [("edit", 1)]


async def test_websocket_rules_count_anonymous_connections_and_backlogs(db):
    limiter = _limiter(db, ws_connect=(2, 600), ws_backlog=(1, 600))
    await limiter.ws_connect("198.51.100.9")
    await limiter.ws_connect("198.51.100.9")
    with pytest.raises(DomainError):
        await limiter.ws_connect("198.51.100.9")
    await limiter.ws_connect("198.51.100.10")

    await limiter.ws_backlog(address="198.51.100.9", user_id=None)
    with pytest.raises(DomainError):
        await limiter.ws_backlog(address="198.51.100.9", user_id=None)
    # A member is counted as a member, wherever they connect from.
    await limiter.ws_backlog(address="198.51.100.9", user_id=42)
    with pytest.raises(DomainError) as caught:
        await limiter.ws_backlog(address="192.0.2.200", user_id=42)
    assert caught.value.kind is Kind.RATE_LIMITED and caught.value.retry_after
