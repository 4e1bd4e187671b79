"""The audit log: each moderator's and admin's action recorded in its own transaction,
never changed or removed, read by the region's moderators (their regions' entries and
their own) and admins (all), through the API and the page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from forum import audit, catalog, moderation
from forum.errors import DomainError
from forum.models import Role
from tests.factories import MAILER


async def _region_id(db, slug: str) -> int:
    async with db.transaction() as s:
        return await s.scalar(text("SELECT id FROM regions WHERE slug = :s"), {"s": slug})


async def _moderator(make, db, *regions: str) -> dict:
    user = await make.user(Role.MODERATOR)
    async with db.transaction() as s:
        for slug in regions:
            await s.execute(text("INSERT INTO moderated_regions VALUES (:u, :r)"),
                            {"u": user["id"], "r": await _region_id(db, slug)})  # fmt: skip
    return user


async def _hide_and_move(make, db, moderator: dict) -> tuple[int, int]:
    """A post hidden in africa and a thread moved from south-east-asia, by `moderator`."""
    africa = await make.thread()
    asia = await make.thread(region="south-east-asia")
    async with db.transaction() as s:
        known = await catalog.load(s)
        await moderation.set_post_hidden(s, moderator["actor"], known, africa["post"]["id"],
                                         hidden=True)  # fmt: skip
        await moderation.move_thread(s, moderator["actor"], known, asia["thread"]["id"],
                                     region="africa", topic="whistleblower-protection")  # fmt: skip
    return africa["post"]["id"], asia["thread"]["id"]


async def test_each_action_is_recorded_with_who_what_where_and_the_change(make, db):
    admin = await make.user(Role.ADMIN)
    post_id, thread_id = await _hide_and_move(make, db, admin)
    member = await make.user()
    async with db.transaction() as s:
        await moderation.set_suspended(s, admin["actor"], MAILER, member["id"], suspended=True,
                                       reason="Spam links in every post")  # fmt: skip
    c = await make.logged_in(admin)
    r = await c.get("/api/v1/audit")
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    assert [(e["action"], e["target_type"], e["target_id"]) for e in entries] == [
        ("user.suspend", "user", member["id"]),
        ("thread.move", "thread", thread_id),
        ("post.hide", "post", post_id),
    ]
    suspend, move, hide = entries
    assert suspend["reason"] == "Spam links in every post" and suspend["region"] is None
    assert (suspend["actor_id"], suspend["actor_name"]) == (admin["id"], admin["display_name"])
    assert move["region"] == "south-east-asia"
    assert move["before"] == {"region": "south-east-asia", "topic": "public-procurement"}
    assert move["after"] == {"region": "africa", "topic": "whistleblower-protection"}
    assert (hide["region"], hide["after"]) == ("africa", {"hidden": True})


async def test_the_log_cannot_be_changed_or_emptied(make, db):
    admin = await make.user(Role.ADMIN)
    await _hide_and_move(make, db, admin)
    for statement in ("UPDATE audit_log SET reason = 'rewritten'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.transaction() as s:
                await s.execute(text(statement))
    async with db.transaction() as s:
        assert await s.scalar(text("SELECT count(*) FROM audit_log WHERE reason IS NULL")) == 2


async def test_moderators_read_their_regions_and_their_own_entries_only(make, db):
    africa_moderator = await _moderator(make, db, "africa")
    asia_moderator = await _moderator(make, db, "south-east-asia")
    await _hide_and_move(make, db, await make.user(Role.ADMIN))
    member = await make.user()
    async with db.transaction() as s:  # an account-wide action: no region
        await moderation.set_suspended(s, asia_moderator["actor"], MAILER, member["id"],
                                       suspended=True, reason="Spam")  # fmt: skip

    async def actions(user: dict) -> list[str]:
        r = await (await make.logged_in(user)).get("/api/v1/audit")
        assert r.status_code == 200, r.text
        return [e["action"] for e in r.json()["entries"]]

    assert await actions(africa_moderator) == ["post.hide"]
    assert await actions(asia_moderator) == ["user.suspend", "thread.move"]
    plain = await make.logged_in()
    r = await plain.get("/api/v1/audit")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "moderators_only")
    assert (await plain.get("/audit")).status_code == 403
    r = await (await make.logged_in(member)).get("/api/v1/audit")  # the suspended member
    assert (r.status_code, r.json()["error"]["code"]) == (403, "account_suspended")


async def test_filters_by_moderator_action_and_days(make, db, client):
    first, second = await make.user(Role.ADMIN), await make.user(Role.ADMIN)
    await _hide_and_move(make, db, first)
    await _hide_and_move(make, db, second)
    c = await make.logged_in(first)

    async def found(**params: str) -> list[tuple[int, str]]:
        r = await c.get("/api/v1/audit", params=params)
        assert r.status_code == 200, r.text
        return [(e["actor_id"], e["action"]) for e in r.json()["entries"]]

    assert await found(moderator=str(second["id"])) == [
        (second["id"], "thread.move"), (second["id"], "post.hide")]  # fmt: skip
    assert await found(action="thread.move") == [
        (second["id"], "thread.move"), (first["id"], "thread.move")]  # fmt: skip
    today = datetime.now(UTC).date().isoformat()
    assert len(await found(**{"from": today, "to": today})) == 4
    assert await found(to="2020-01-01") == []
    page = (await c.get("/api/v1/audit", params={"limit": "3"})).json()
    rest = (await c.get("/api/v1/audit", params={"cursor": page["next_cursor"]})).json()
    assert len(page["entries"]) == 3 and len(rest["entries"]) == 1
    refused = (
        ({"action": "drop table"}, "action"), ({"from": "yesterday"}, "from"),
        ({"from": "2026-02-02", "to": "2026-01-01"}, "from"),
        ({"moderator": "-1"}, "moderator"), ({"cursor": "x"}, "cursor"),
    )  # fmt: skip
    for params, field in refused:
        r = await c.get("/api/v1/audit", params=params)
        assert r.status_code == 422 and field in str(r.json()["error"]), (params, r.text)
    assert (await client.get("/api/v1/audit")).status_code == 401


async def test_the_page_lists_and_filters_in_the_readers_language(make, db):
    admin = await make.user(Role.ADMIN, language="fr")
    await _hide_and_move(make, db, admin)
    c = await make.logged_in(admin)
    page = await c.get("/audit", params={"action": "post.hide"})
    assert page.status_code == 200
    assert "Journal d" in page.text and 'data-action="post.hide">Message masqué<' in page.text
    assert 'data-action="thread.move"' not in page.text and "post.hide<" not in page.text
    assert "<td>Masqué: non → Masqué: oui</td>" in page.text
    bad = await c.get("/audit", params={"from": "hier"})
    assert bad.status_code == 422 and 'id="from-error"' in bad.text
    assert 'href="/audit"' in (await c.get("/")).text  # the staff's header link


async def test_decisions_on_applications_and_the_operators_are_recorded(smtp_app, make, db):
    from tests.web.test_applications import _applicant, _apply

    applicant = await _applicant(smtp_app, "audited@example.org")
    mine = await _apply(applicant, motivation="Private words that stay out of the log.")
    admin = await make.user(Role.ADMIN)
    c = await make.logged_in(admin)
    r = await c.post(f"/api/v1/applications/{mine['id']}/refuse", json={"reason": "Who?"})
    assert r.status_code == 200, r.text
    named = await make.user()
    async with db.transaction() as s:
        from forum import applications

        await applications.make_moderator(s, await catalog.load(s), named["email"], ["africa"])
    entries = (await c.get("/api/v1/audit")).json()["entries"]
    assigned, refused = entries
    assert (refused["action"], refused["target_id"], refused["region"], refused["reason"]) == (
        "application.refuse",
        mine["id"],
        "africa",
        "Who?",
    )
    assert refused["after"]["decided_as"] == "admin"
    assert (assigned["action"], assigned["actor_id"], assigned["after"]) == (
        "moderator.assign",
        None,
        {"role": "moderator", "regions": ["africa"]},
    )
    assert "Private words" not in str(entries)


async def test_moderators_act_only_in_the_regions_they_moderate(make, db):
    moderator = await _moderator(make, db, "africa")
    africa = await make.thread()
    asia = await make.thread(region="south-east-asia")

    async def attempt(action) -> str | None:  # type: ignore[no-untyped-def]
        try:
            async with db.transaction() as s:
                await action(s, await catalog.load(s))
        except DomainError as exc:
            return exc.code
        return None

    def hide(thread: dict):  # type: ignore[no-untyped-def]
        return lambda s, known: moderation.set_post_hidden(
            s, moderator["actor"], known, thread["post"]["id"], hidden=True
        )

    def move(thread: dict, region: str):  # type: ignore[no-untyped-def]
        return lambda s, known: moderation.move_thread(
            s, moderator["actor"], known, thread["thread"]["id"], region=region,
            topic="public-procurement")  # fmt: skip

    assert await attempt(hide(asia)) == "not_your_region"
    assert await attempt(move(africa, "south-east-asia")) == "not_your_region"
    assert await attempt(move(asia, "africa")) == "not_your_region"
    assert await attempt(hide(africa)) is None
    async with db.transaction() as s:
        hidden = dict((await s.execute(text("SELECT id, hidden FROM posts"))).all())
        logged = (await s.execute(text("SELECT action, target_id FROM audit_log"))).all()
    assert hidden == {africa["post"]["id"]: True, asia["post"]["id"]: False}
    assert [tuple(r) for r in logged] == [("post.hide", africa["post"]["id"])]


def test_every_action_has_a_label_on_the_page():
    from web.pages.audit import ACTION_LABELS

    assert set(ACTION_LABELS) == set(audit.ACTIONS)
