"""Sessions in the core: what a live session tells the pages about its member; who may
change their settings and manage their sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import text

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


async def _both(db, policy, token):
    async with db.transaction() as s:
        in_transaction = await sessions.current(s, policy, token)
    async with db.reader() as reader:
        on_reader = await sessions.current_on_reader(reader, policy, token)
    return in_transaction, on_reader


async def test_the_readers_lookup_answers_as_the_transactions_does(app, make, db):
    """Pages that only read check the session on `Database.reader`: the same answer for a
    live, idle, expired, suspended, ended or unknown session."""
    user = await make.user(display_name="Aminata Diallo", language="fr")
    policy = app.state.policy
    states = {
        "live": None,
        "idle": "UPDATE sessions SET last_seen_at = now() - interval '15 days'",
        "expired": "UPDATE sessions SET expires_at = now() - interval '1 second'",
        "suspended": "UPDATE users SET suspended_at = now()",
        "ended": "DELETE FROM sessions",
    }
    for state, change in states.items():
        async with db.transaction() as s:
            await s.execute(text("UPDATE users SET suspended_at = NULL"))
            login = await sessions.open(s, policy, user["id"])
            if change:
                await s.execute(text(change))
        in_transaction, on_reader = await _both(db, policy, login.token)
        assert on_reader == in_transaction, state
        assert (on_reader is None) == (state in ("idle", "expired", "ended")), state
    assert await _both(db, policy, "not-a-token") == (None, None)


@pytest.mark.parametrize("on_reader", [False, True])
async def test_a_session_seen_a_while_ago_is_touched(app, make, db, on_reader):
    user = await make.user()
    policy = app.state.policy
    async with db.transaction() as s:
        login = await sessions.open(s, policy, user["id"])
        await s.execute(text("UPDATE sessions SET last_seen_at = now() - interval '5 minutes'"))
    if on_reader:
        async with db.reader() as reader:
            assert await sessions.current_on_reader(reader, policy, login.token) is not None
    else:
        async with db.transaction() as s:
            assert await sessions.current(s, policy, login.token) is not None
    async with db.transaction() as s:
        idle = await s.scalar(text("SELECT now() - last_seen_at FROM sessions"))
    assert idle < sessions.TOUCH_EVERY


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
