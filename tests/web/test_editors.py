"""Admins name editors of the knowledge pages (`forum.editors`): through the API and
`forum editor`, audited, the member's sockets following (`user.role_changed`); refusals
change nothing."""

from __future__ import annotations

from sqlalchemy import text

from forum import editors
from forum.models import Role


async def _state(db) -> tuple:  # type: ignore[no-untyped-def]
    async with db.transaction() as s:
        roles = (await s.execute(text("SELECT id, role FROM users ORDER BY id"))).all()
        audited = await s.scalar(text("SELECT count(*) FROM audit_log"))
        told = await s.scalar(text("SELECT count(*) FROM events"))
    return roles, audited, told


async def test_an_admin_makes_a_member_an_editor_and_a_member_again(make, db):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    member = await make.user()
    them = await make.logged_in(member)
    url = f"/api/v1/users/{member['id']}/editor"
    r = await admin.put(url, json={"editor": True})
    expected = {"user_id": member["id"], "name": member["display_name"], "role": "editor"}
    assert (r.status_code, r.json()) == (200, expected)
    # Their open session runs as an editor at once.
    assert (await them.get("/api/v1/auth/me")).json()["user"]["role"] == "editor"
    before = await _state(db)
    assert (await admin.put(url, json={"editor": True})).json()["role"] == "editor"
    assert await _state(db) == before  # the role it has: nothing changed, nothing recorded
    r = await admin.put(url, json={"editor": False})
    assert (r.status_code, r.json()["role"]) == (200, "member")
    entries = (await admin.get("/api/v1/audit", params={"action": "editor.assign"})).json()
    assert [(e["before"], e["after"]) for e in reversed(entries["entries"])] == [
        ({"role": "member"}, {"role": "editor"}),
        ({"role": "editor"}, {"role": "member"}),
    ]
    async with db.transaction() as s:
        told = await s.scalar(text(
            "SELECT count(*) FROM events WHERE type = 'user.role_changed' AND channels @> :c"),
            {"c": [f"user:{member['id']}"]})  # fmt: skip
    assert told == 2


async def test_refusals_change_nothing(make, db, client):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    moderator = await make.user(Role.MODERATOR)
    member = await make.user()
    applicant = await make.user(Role.APPLICANT)
    url = f"/api/v1/users/{member['id']}/editor"
    someone, them = await make.logged_in(), await make.logged_in(moderator)
    before = await _state(db)

    async def put(c, path: str, body) -> tuple[int, str | None]:  # type: ignore[no-untyped-def]
        r = await c.put(path, json=body)
        return r.status_code, r.json().get("error", {}).get("code")

    assert await put(client, url, {"editor": True}) == (401, "login_required")
    assert await put(someone, url, {"editor": True}) == (403, "admin_only")
    assert await put(them, url, {"editor": True}) == (403, "admin_only")
    assert await put(admin, url, {"editor": "yes"}) == (422, "validation_failed")
    assert await put(admin, url, {"editor": True, "role": "admin"}) == (422, "validation_failed")
    assert await put(admin, "/api/v1/users/999999/editor", {"editor": True}) == (
        404, "user_not_found")  # fmt: skip
    assert await put(admin, f"/api/v1/users/{applicant['id']}/editor", {"editor": True}) == (
        409, "not_approved_yet")  # fmt: skip
    assert await put(admin, f"/api/v1/users/{moderator['id']}/editor", {"editor": True}) == (
        409, "is_moderator")  # fmt: skip
    assert await _state(db) == before


async def test_the_operator_names_an_editor_and_an_admin_stays_an_admin(make, db):
    member, admin = await make.user(), await make.user(Role.ADMIN)
    async with db.transaction() as s:
        assert (await editors.set_editor(s, None, member["id"], True)).role == "editor"
        assert (await editors.set_editor(s, None, admin["id"], False)).role == "admin"
        query = "SELECT actor_id, target_id FROM audit_log WHERE action = 'editor.assign'"
        entry = (await s.execute(text(query))).one()
    assert (entry.actor_id, entry.target_id) == (None, member["id"])
