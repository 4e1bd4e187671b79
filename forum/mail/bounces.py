"""Bounces: mail to a member's address that comes back undelivered.

Every message to a member goes out with a VERP envelope sender, `bounce+<token>@domain`,
the token naming the member (signed like reply addresses, `signed`), so a delivery
failure report coming back to it (to `forum mail-gateway`) says whose address failed,
whatever the report's format. Each one counts (`users.mail_bounces`); after
`FAILING_AFTER` the address is failing (`users.mail_failing_since`): from then on no
notification mail goes to it (the sender settles such messages unsent, and whatever
queues notification mail asks `receives_notifications`), while account mail (a password
reset, a confirmation link, a decision about the account: `ACCOUNT_KINDS`) still goes.
Confirming the address again (`forum.verification.verify`) clears both columns.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from forum import applications, approvals, cases, resets, suspensions, verification
from forum.mail.signed import Kind
from forum.models import User

# A bounce may come days after the message (a relay retries for up to five).
KIND = Kind("bounce+", ids=1, lifetime=timedelta(days=30), purpose=b"forum bounce address")
FAILING_AFTER = 3
# What the gateway answers to a reply it could not post (`forum.mail.gateway`).
ANSWER_KIND = "mail_refused"
# Mail about the member's own account and actions: sent even to a failing address.
ACCOUNT_KINDS = frozenset(
    {
        verification.KIND,
        resets.KIND,
        applications.APPROVED_KIND,
        applications.REFUSED_KIND,
        suspensions.KIND,
        cases.KIND,
        approvals.REJECTED_KIND,
        ANSWER_KIND,
    }
)
SKIPPED = "not sent: mail to this address is failing (bounces); the member must confirm it"


def envelope_sender(secret: str, mail_from: str, user_id: int) -> str:
    return KIND.address(secret, mail_from, (user_id,))


def bounced_member(secret: str, recipient: str) -> int | None:
    """The member a report to `recipient` is about; None if it is not a (valid) bounce
    address of ours."""
    found = KIND.opened(secret, recipient)
    return None if found is None else found[0][0]


@dataclass(frozen=True)
class Recipient:
    user_id: int
    failing: bool


async def recipients(session: AsyncConnection, addresses: Collection[str]) -> dict[str, Recipient]:
    """The members these addresses belong to, keyed by the address in lower case."""
    lowered = sorted({a.lower() for a in addresses})
    if not lowered:
        return {}
    # Uses index: uq_users_email_lower
    rows = await session.execute(
        select(func.lower(User.email), User.id, User.mail_failing_since.isnot(None)).where(
            func.lower(User.email).in_(lowered)
        )
    )
    return {email: Recipient(user_id, failing) for email, user_id, failing in rows}


def skipped(kind: str, recipient: Recipient | None) -> bool:
    """Whether a message of `kind` to this recipient is not to be sent."""
    return recipient is not None and recipient.failing and kind not in ACCOUNT_KINDS


def receives_notifications() -> ColumnElement[bool]:
    """Whether a `users` row's address takes notification mail (for whoever queues it)."""
    return User.mail_failing_since.is_(None)


async def record(session: AsyncConnection, user_id: int) -> bool:
    """Count a bounce of the member's mail; whether their address is failing now."""
    bounces = User.mail_bounces + 1
    failing = await session.scalar(
        update(User)
        .where(User.id == user_id)
        .values(
            mail_bounces=func.least(bounces, 32767),
            mail_failing_since=case(
                (User.mail_failing_since.isnot(None), User.mail_failing_since),
                (bounces >= FAILING_AFTER, func.now()),
                else_=None,
            ),
        )
        .returning(User.mail_failing_since.isnot(None))
    )
    return bool(failing)


async def failing(session: AsyncConnection, user_id: int) -> bool:
    found = await session.scalar(
        select(User.mail_failing_since.isnot(None)).where(User.id == user_id)
    )
    return bool(found)
