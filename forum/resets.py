"""Password reset by email: a single-use link valid one hour; using it sets a new
password and ends every session of the account.

Asking tells nothing: the caller answers the same whether or not an account has the
address (`request` returns nothing), and the same rate limits count either way."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import accounts, sessions, suspensions
from forum.mail import tokens
from forum.mail.outbox import Mailer
from forum.mail.tokens import Purpose
from forum.models import User

LIFETIME = timedelta(hours=1)
KIND = "reset"


async def request(session: AsyncConnection, mailer: Mailer, email: str) -> None:
    """Queue a reset link for the account with this address, if there is one and it is
    not suspended; nothing otherwise, and the caller says the same either way."""
    # Uses index: uq_users_email_lower
    user = (
        await session.execute(
            select(User.id, User.email, User.display_name, User.language).where(
                func.lower(User.email) == email.strip().lower(), ~suspensions.active()
            )
        )
    ).first()
    if user is None:
        return
    token = await tokens.issue(session, mailer.digest, user.id, Purpose.RESET, LIFETIME)
    await mailer.enqueue(
        session, KIND, user.email, user.language, {"token": token, "name": user.display_name}
    )


async def check(session: AsyncConnection, mailer: Mailer, token: str) -> None:
    """Refuse (`tokens.unusable`) a token that cannot reset a password now."""
    await tokens.holder(session, mailer.digest, Purpose.RESET, token)


async def reset(session: AsyncConnection, mailer: Mailer, token: str, new_password: str) -> int:
    """Set a new password with a reset token and end every session: the account's id.
    The password is checked before the token is spent."""
    accounts.check_password(new_password, "new_password")
    user_id = await tokens.use(session, mailer.digest, Purpose.RESET, token)
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(password_hash=await accounts.hash_password(new_password))
    )
    # The link arrived at the address: it is verified as much as by a verification link.
    await session.execute(
        update(User)
        .where(User.id == user_id, User.email_verified_at.is_(None))
        .values(email_verified_at=func.now())
    )
    await tokens.spend_all(session, user_id, Purpose.RESET)
    await sessions.close_all(session, user_id)
    return user_id
