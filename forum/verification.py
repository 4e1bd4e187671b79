"""Email verification: a single-use link sent to a new account's address (and again on
request); following it sets `users.email_verified_at`. Membership approval reads that
date; this module grants nothing else. An address where mail is failing
(`forum.mail.bounces`) is confirmed again the same way, which clears its bounces."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.errors import DomainError, Kind
from forum.mail import tokens
from forum.mail.outbox import Mailer
from forum.mail.tokens import Purpose
from forum.models import User

LIFETIME = timedelta(hours=48)
KIND = "verify"


async def send(session: AsyncConnection, mailer: Mailer, user_id: int) -> None:
    """Queue a verification email (in the caller's transaction); refused when the address
    is verified already and mail to it is not failing."""
    user = (
        await session.execute(
            select(
                User.email,
                User.display_name,
                User.language,
                User.email_verified_at,
                User.mail_failing_since,
            ).where(User.id == user_id)
        )
    ).one()
    if user.email_verified_at is not None and user.mail_failing_since is None:
        raise DomainError(Kind.CONFLICT, "already_verified", "Your address is verified already.")
    token = await tokens.issue(session, mailer.digest, user_id, Purpose.VERIFY, LIFETIME)
    await mailer.enqueue(
        session, KIND, user.email, user.language, {"token": token, "name": user.display_name}
    )


async def verify(session: AsyncConnection, mailer: Mailer, token: str) -> int:
    """Use a verification token: the account whose address it verifies. An expired, used
    or unknown token changes nothing (`tokens.unusable`)."""
    user_id = await tokens.use(session, mailer.digest, Purpose.VERIFY, token)
    await session.execute(
        update(User)
        .where(User.id == user_id, User.email_verified_at.is_(None))
        .values(email_verified_at=func.now())
    )
    # Mail reaches the address: what its bounces stopped (`forum.mail.bounces`) resumes.
    await session.execute(
        update(User).where(User.id == user_id).values(mail_bounces=0, mail_failing_since=None)
    )
    # Other links sent for the same address have nothing left to do.
    await tokens.spend_all(session, user_id, Purpose.VERIFY)
    return user_id
