"""Sessions in the core: what a live session tells the pages about its member."""

from __future__ import annotations

from forum import sessions


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
