"""Admins name moderators and their regions, through the API and the page
`/admin/moderators`: who may, what the member may do then, the audit entries, and their
sockets following (`user.role_changed`)."""

from __future__ import annotations

from sqlalchemy import text

from forum.models import Role
from tests.pages import field_errors, submit


async def _regions(c) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    r = await c.get("/api/v1/moderators")
    assert r.status_code == 200, r.text
    return {m["name"]: m["regions"] for m in r.json()["moderators"]}


async def test_an_admin_names_a_moderator_who_then_acts_in_those_regions_only(make, db):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    member = await make.user()
    them = await make.logged_in(member)
    url = f"/api/v1/users/{member['id']}/moderated-regions"
    r = await admin.put(url, json={"regions": ["south-east-asia", "africa"]})
    assert r.status_code == 200, r.text
    assert (r.json()["role"], r.json()["regions"]) == ("moderator", ["africa", "south-east-asia"])
    assert await _regions(admin) == {member["display_name"]: ["africa", "south-east-asia"]}
    # Their open session runs as a moderator at once: they read the audit log now.
    assert (await them.get("/api/v1/audit")).status_code == 200
    r = await admin.put(url, json={"regions": ["africa"]})
    assert r.json()["regions"] == ["africa"]
    r = await admin.put(url, json={"regions": []})
    assert (r.status_code, r.json()["role"], r.json()["regions"]) == (200, "member", [])
    assert await _regions(admin) == {}
    assert (await them.get("/api/v1/audit")).status_code == 403
    entries = (await admin.get("/api/v1/audit", params={"action": "moderator.assign"})).json()
    changes = [(e["actor_id"], e["before"], e["after"]) for e in reversed(entries["entries"])]
    assert changes == [
        (admin.user["id"], {"role": "member", "regions": []},  # type: ignore[attr-defined]
         {"role": "moderator", "regions": ["africa", "south-east-asia"]}),
        (admin.user["id"], {"role": "moderator", "regions": ["africa", "south-east-asia"]},  # type: ignore[attr-defined]
         {"role": "moderator", "regions": ["africa"]}),
        (admin.user["id"], {"role": "moderator", "regions": ["africa"]},  # type: ignore[attr-defined]
         {"role": "member", "regions": []}),
    ]  # fmt: skip
    async with db.transaction() as s:
        types = list(await s.scalars(text(
            "SELECT type FROM events WHERE type = 'user.role_changed' AND channels @> :c"),
            {"c": [f"user:{member['id']}"]}))  # fmt: skip
    assert len(types) == 3


async def test_refusals_change_nothing(make, db, client):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    moderator = await make.logged_in(await make.user(Role.MODERATOR))
    member = await make.user()
    applicant = await make.user(Role.APPLICANT)
    url = f"/api/v1/users/{member['id']}/moderated-regions"

    async def put(c, path: str, regions) -> tuple[int, str | None]:  # type: ignore[no-untyped-def]
        r = await c.put(path, json={"regions": regions})
        return r.status_code, r.json().get("error", {}).get("code")

    assert await put(client, url, ["africa"]) == (401, "login_required")
    assert await put(await make.logged_in(), url, ["africa"]) == (403, "admin_only")
    assert await put(moderator, url, ["africa"]) == (403, "admin_only")
    assert await put(admin, url, ["atlantis"]) == (422, "unknown_region")
    assert await put(admin, url, ["Not A Slug"]) == (422, "validation_failed")
    assert await put(admin, url, "africa") == (422, "validation_failed")
    assert await put(admin, "/api/v1/users/999999/moderated-regions", []) == (404, "user_not_found")
    applicant_url = f"/api/v1/users/{applicant['id']}/moderated-regions"
    assert await put(admin, applicant_url, ["africa"]) == (409, "not_approved_yet")
    assert (await client.get("/api/v1/moderators")).status_code == 401
    assert (await moderator.get("/api/v1/moderators")).status_code == 403
    async with db.transaction() as s:
        assert await s.scalar(text("SELECT count(*) FROM moderated_regions")) == 0
        assert await s.scalar(text("SELECT count(*) FROM audit_log")) == 0
        role = await s.scalar(text("SELECT role FROM users WHERE id = :id"), {"id": member["id"]})
    assert role == "member"


async def test_the_page_names_changes_and_removes_moderators(make, client):
    admin = await make.logged_in(await make.user(Role.ADMIN, language="fr"))
    member = await make.user()
    page = "/admin/moderators"
    shown = await admin.get(page)
    assert shown.status_code == 200 and "Modérateurs" in shown.text
    assert 'href="/admin/moderators"' in shown.text  # the admins' header link
    r = await submit(admin, page, page, [("display_name", "Nobody at all"), ("regions", "africa")])
    assert r.status_code == 422 and "display_name" in field_errors(r.text)
    assert 'value="Nobody at all"' in r.text
    r = await submit(admin, page, page, [("display_name", member["display_name"]),
                                         ("regions", "atlantis")])  # fmt: skip
    assert r.status_code == 422 and "regions" in field_errors(r.text)
    both = [("regions", "africa"), ("regions", "staff-room")]
    r = await submit(admin, page, page, [("display_name", member["display_name"]), *both])
    assert (r.status_code, r.headers["location"]) == (303, f"{page}?done={member['id']}")
    assert await _regions(admin) == {member["display_name"]: ["africa", "staff-room"]}
    listed = (await admin.get(page)).text
    assert f'id="m{member["id"]}-africa" name="regions" value="africa" checked' in listed
    mine = f"{page}/{member['id']}"
    assert (await submit(admin, page, mine, [("regions", "africa")])).status_code == 303
    assert await _regions(admin) == {member["display_name"]: ["africa"]}
    assert (await submit(admin, page, mine, [])).status_code == 303  # removed
    assert await _regions(admin) == {}
    moderator = await make.logged_in(await make.user(Role.MODERATOR))
    assert (await moderator.get(page)).status_code == 403
    assert 'href="/admin/moderators"' not in (await moderator.get("/")).text
    assert (await client.get(page)).headers["location"] == f"/login?next={page}"
