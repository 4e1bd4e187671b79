"""Accounts: registration, a member's own settings (display name, interface language,
password), roles, and the CLI's admin creation."""

from __future__ import annotations

import asyncio
import re
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import events, handles, names, suspensions
from forum.errors import DomainError, Kind, invalid
from forum.models import EmailMode, Role, User
from forum.permissions import Actor, check_can_change_settings, check_can_write, user_audience

# Deliberately loose (real addresses are varied), but no spaces or control characters.
EMAIL = re.compile(
    r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,190}\.[^@\s.\x00-\x1f\x7f]{2,63}$"
)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
LANGUAGES = frozenset({"en", "fr", "es", "pt", "ar", "ru", "id", "ms", "sw", "sq", "sr", "bs"})
# The languages the interface is translated into: what a member may choose in their
# settings (the web layer's catalogs hold these three).
INTERFACE_LANGUAGES = ("en", "fr", "es")
MAX_DISPLAY_NAME = 80


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher().hash("an account that does not exist")


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow; keep it off the event loop.
    return await asyncio.to_thread(_hasher().hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    """Constant work whether or not the account exists (`stored` None hashes a dummy)."""

    def verify() -> bool:
        try:
            return _hasher().verify(stored or _dummy_hash(), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise invalid(field, f"Use at least {MIN_PASSWORD} characters.", "password_too_short")
    if len(password) > MAX_PASSWORD:
        raise invalid(field, f"Use at most {MAX_PASSWORD} characters.", "password_too_long")


def normalise_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not EMAIL.match(email) or names.invisible(email, joiners=False):
        raise invalid("email", "Enter a valid email address.", "invalid_email")
    return email


# The name a deleted account's posts stay under (`forum.leaving`); no member may take it.
FORMER_MEMBER = "A former member"


def clean_display_name(value: str) -> str:
    """A display name as it is stored: one line, trimmed, not blank, at most 80
    characters, no character that prints nothing (`check_name`)."""
    value = value.strip()
    if not value or all(ch.isspace() for ch in value):
        raise invalid("display_name", "Enter a name.", "blank_name")
    if len(value) > MAX_DISPLAY_NAME:
        message = f"Use at most {MAX_DISPLAY_NAME} characters."
        raise invalid("display_name", message, "name_too_long")
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in value):
        raise invalid("display_name", "Use a name on one line.", "control_character")
    check_name(value, "display_name")
    if names.key(value) == names.key(FORMER_MEMBER):
        message = "This name is kept for the posts of deleted accounts."
        raise DomainError(
            Kind.CONFLICT, "display_name_taken", message, fields={"display_name": message}
        )
    return value


def check_name(value: str, field: str) -> None:
    """Refuse a name that holds a character which prints nothing (`forum.names`)."""
    found = names.invisible(value)
    if found is not None:
        raise invalid(
            field, f"Remove the invisible formatting character {found}.", "invisible_character"
        )


def user_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "email": row.email,
        "display_name": row.display_name,
        "handle": row.handle,
        "organisation": row.organisation,
        "show_organisation": row.organisation_public,
        "language": row.language,
        "role": row.role,
        "created_at": row.created_at,
        "email_verified": row.email_verified_at is not None,
        "email_mode": row.email_mode,
        # Mail to the address keeps bouncing (`forum.mail.bounces`).
        "mail_failing": row.mail_failing_since is not None,
    }


_USER_COLUMNS = (
    User.id,
    User.email,
    User.display_name,
    User.handle,
    User.organisation,
    User.organisation_public,
    User.language,
    User.role,
    User.created_at,
    User.email_verified_at,
    User.email_mode,
    User.mail_failing_since,
)


async def register(
    session: AsyncConnection,
    *,
    email: str,
    display_name: str,
    password: str,
    organisation: str | None = None,
    show_organisation: bool = False,
    language: str = "en",
    role: Role = Role.APPLICANT,
) -> dict[str, Any]:
    """A new account: an applicant until approved (`forum.applications`). Its
    organisation is shown to others (and found by search's `org` filter) only if the
    member says so (`show_organisation`)."""
    email = normalise_email(email)
    display_name = clean_display_name(display_name)
    if organisation is not None:
        check_name(organisation, "organisation")
    check_password(password)
    if language not in LANGUAGES:
        raise invalid("language", "Unsupported language.", "unknown_language")
    password_hash = await hash_password(password)
    try:
        async with session.begin_nested():
            row = (
                await session.execute(
                    insert(User)
                    .values(
                        email=email,
                        display_name=display_name,
                        password_hash=password_hash,
                        organisation=organisation,
                        organisation_public=show_organisation,
                        language=language,
                        role=role.value,
                    )
                    .returning(*_USER_COLUMNS)
                )
            ).one()
    except IntegrityError as exc:
        raise _taken(exc) from None
    return user_view(row)


def _taken(exc: IntegrityError) -> DomainError:
    """Which unique value a new or renamed account collided with."""
    index = getattr(exc.orig.__cause__, "constraint_name", None) if exc.orig else None
    if index == "uq_users_display_name_key":
        message = "Another member already has this name (or one that reads the same)."
        return DomainError(
            Kind.CONFLICT, "display_name_taken", message, fields={"display_name": message}
        )
    message = "An account with this email exists."
    return DomainError(Kind.CONFLICT, "email_taken", message, fields={"email": message})


async def credentials(session: AsyncConnection, email: str) -> tuple[int, str, bool] | None:
    """(user id, password hash, suspended) for an email, matched without regard to case."""
    # Uses index: uq_users_email_lower
    row = (
        await session.execute(
            select(User.id, User.password_hash, suspensions.active().label("suspended")).where(
                func.lower(User.email) == email.strip().lower()
            )
        )
    ).first()
    return (row.id, row.password_hash, row.suspended) if row else None


async def get(session: AsyncConnection, user_id: int) -> dict[str, Any]:
    row = (await session.execute(select(*_USER_COLUMNS).where(User.id == user_id))).one()
    return user_view(row)


async def change_password(session: AsyncConnection, actor: Actor, current: str, new: str) -> None:
    check_can_write(actor)
    check_password(new, "new_password")
    stored = await session.scalar(select(User.password_hash).where(User.id == actor.user_id))
    if not await verify_password(stored, current):
        raise invalid("current_password", "The current password is wrong.", "wrong_password")
    await session.execute(
        update(User).where(User.id == actor.user_id).values(password_hash=await hash_password(new))
    )


async def change_settings(
    session: AsyncConnection,
    actor: Actor,
    *,
    display_name: str | None = None,
    language: str | None = None,
    email_mode: str | None = None,
    handle: str | None = None,
) -> dict[str, Any]:
    """Change one's display name, handle (`forum.handles`), interface language and/or how
    notifications are mailed (None: leave it); the account as it is now. Every value is
    checked before anything is written."""
    check_can_change_settings(actor, renaming=display_name is not None or handle is not None)
    assert actor.user_id is not None
    if handle is not None:
        handles.check(handle)
    values: dict[str, Any] = {}
    if display_name is not None:
        display_name = clean_display_name(display_name)
        # The key must follow the name (`User.display_name_key`): it is what keeps names apart.
        values.update(display_name=display_name, display_name_key=names.key(display_name))
    if language is not None:
        if language not in INTERFACE_LANGUAGES:
            message = "Choose one of the interface languages: " + ", ".join(INTERFACE_LANGUAGES)
            raise invalid("language", message + ".", "unknown_language")
        values["language"] = language
    if email_mode is not None:
        if email_mode not in set(EmailMode):
            message = "Choose one of: " + ", ".join(EmailMode)
            raise invalid("email_mode", message + ".", "unknown_email_mode")
        values["email_mode"] = email_mode
    if values:
        try:
            async with session.begin_nested():
                await session.execute(update(User).where(User.id == actor.user_id).values(values))
        except IntegrityError as exc:
            raise _taken(exc) from None
        # Pages and the API read names as they are now; the log tells consumers that
        # keep copies (a search index's author names) which account changed.
        await events.append(
            session, "user.updated", [f"user:{actor.user_id}"], user_audience(actor.user_id),
            {"user_id": actor.user_id, "fields": sorted(values.keys() - {"display_name_key"})},
        )  # fmt: skip
    if handle is not None:
        await handles.change(session, actor, handle)
    return await get(session, actor.user_id)


async def create_admin(
    session: AsyncConnection, *, email: str, display_name: str, password: str
) -> dict[str, Any]:
    """Create an admin account, or promote and re-password an existing one."""
    found = await credentials(session, email)
    if found is None:
        return await register(
            session, email=email, display_name=display_name, password=password, role=Role.ADMIN
        )
    check_password(password)
    await session.execute(
        update(User)
        .where(User.id == found[0])
        .values(role=Role.ADMIN.value, password_hash=await hash_password(password))
    )
    return await get(session, found[0])
