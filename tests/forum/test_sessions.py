"""Sessions in the core: what a live session tells the pages about its member; who may
change their settings and manage their sessions."""

from __future__ import annotations

import pytest

from forum import permissions, sessions
from forum.errors import DomainError
from forum.models import Role
from forum.permissions import ANONYMOUS, Actor


async def test_current_carries_the_members_name_and_language(app, make, db):
    user = await make.user(display_name="Aminata Diallo", language="fr")
    policy = app.state.policy
    async with db.transaction() as s:
        login = await sessions.open(s, policy, user["id"])
    async with db.transaction() as s:
        found = await sessions.current(s, policy, login.token)
    assert found is not None
    assert found.actor.user_id == user["id"]
    assert (found.name, found.language) == ("Aminata Diallo", "fr")


@pytest.mark.parametrize(
    ("actor", "rename", "language", "sessions_"),
    [
        (ANONYMOUS, "login_required", "login_required", "login_required"),
        (Actor(1, Role.MEMBER), None, None, None),
        (Actor(1, Role.MEMBER, suspended=True), "account_suspended", None, None),
        (Actor(1, Role.ADMIN, suspended=True), "account_suspended", None, None),
    ],
)
def test_who_may_change_settings_and_manage_sessions(actor, rename, language, sessions_):
    """A suspended member keeps the name others see, but may still choose their language
    and end their own sessions (that protects the account and shows nothing to others)."""

    def refused(check) -> str | None:
        try:
            check()
        except DomainError as exc:
            return exc.code
        return None

    assert refused(lambda: permissions.check_can_change_settings(actor, renaming=True)) == rename
    assert refused(lambda: permissions.check_can_change_settings(actor, renaming=False)) == language
    assert refused(lambda: permissions.check_can_manage_sessions(actor)) == sessions_
