"""Editors: members who curate the knowledge pages (UNCAC review status, news, events,
resources; `permissions.check_can_edit_knowledge`). Admins name them (`PUT
/api/v1/users/{id}/editor`, `forum editor`). An account holds one role: a moderator
stops moderating before becoming an editor, and an admin stays an admin (who edits
anyway). Table `users`, through Core statements."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import audit, events
from forum.errors import DomainError, Kind, not_found
from forum.models import Role, User
from forum.permissions import Actor, check_can_administer, user_audience


@dataclass(frozen=True)
class Editor:
    user_id: int
    name: str
    role: str


async def set_editor(
    session: AsyncConnection, by: Actor | None, user_id: int, editor: bool
) -> Editor:
    """Make the member an editor, or (`editor` false) a plain member again. `by` None is
    the operator (`forum editor`); anyone else must be an admin. Asking for the role the
    account has already changes and records nothing. Their sockets follow at once
    (`user.role_changed`, on their own channel)."""
    if by is not None:
        check_can_administer(by)
    found = (
        await session.execute(
            select(User.display_name, User.role).where(User.id == user_id).with_for_update()
        )
    ).first()
    if found is None:
        raise not_found("user")
    role = Role(found.role)
    if role is Role.APPLICANT:
        raise DomainError(
            Kind.CONFLICT, "not_approved_yet", "An applicant must be approved as a member first."
        )
    if role is Role.MODERATOR:
        raise DomainError(
            Kind.CONFLICT, "is_moderator", "A moderator stops moderating before becoming an editor."
        )
    wanted = role
    if role is not Role.ADMIN:
        wanted = Role.EDITOR if editor else Role.MEMBER
    if wanted is not role:
        await session.execute(update(User).where(User.id == user_id).values(role=wanted.value))
        audience = user_audience(user_id)
        await events.append(
            session, "user.role_changed", [audience], audience, {"user_id": user_id}
        )
        await audit.record(
            session, by, "editor.assign", ("user", user_id),
            before={"role": role.value}, after={"role": wanted.value},
        )  # fmt: skip
    return Editor(user_id, found.display_name, wanted.value)
