"""Becoming a member: registering makes an applicant, who applies (organisation, country,
motivation) and is admitted or refused by an admin, a moderator of their country's
region or a representative of the verified organisation they name. Through the API, the
pages and the mail the test SMTP server receives."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update

from forum.models import Affiliation, Role, User
from tests import factories, mail
from tests.pages import field_errors, submit
from tests.servers import run_forum
from tests.web.conftest import PASSWORD

APPLICATION = {"country": "SN", "organisation_name": "Dakar Budget Watch",
               "motivation": "We follow public tenders in Senegal."}  # fmt: skip


async def _applicant(app: Any, email: str, *, verified: bool = True) -> httpx.AsyncClient:
    """A new account, registered through the API, its address confirmed or not."""
    c = factories.client(app)
    r = await c.post("/api/v1/auth/register", json={
        "email": email, "display_name": email.split("@")[0], "password": PASSWORD,
    })  # fmt: skip
    assert r.status_code == 201, r.text
    c.headers["X-CSRF-Token"] = (await c.get("/api/v1/auth/me")).json()["csrf_token"]
    if verified:
        async with app.state.db.transaction() as s:
            await s.execute(update(User).where(User.email == email)
                            .values(email_verified_at=func.now()))  # fmt: skip
    return c


async def _apply(c: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    r = await c.put("/api/v1/auth/me/application", json={**APPLICATION, **changes})
    assert r.status_code == 200, r.text
    return r.json()


async def _role(c: httpx.AsyncClient) -> str:
    return (await c.get("/api/v1/auth/me")).json()["user"]["role"]


async def _organisation(make, slug: str, *, verified: bool, country: str = "SN") -> int:
    async with make.db.transaction() as s:
        return await s.scalar(text(
            "INSERT INTO organisations (slug, name, country_code, kind, verified) "
            "VALUES (:slug, :slug, :country, 'ngo', :verified) RETURNING id"
        ), {"slug": slug, "country": country, "verified": verified})  # fmt: skip


async def _represents(make, organisation_id: int) -> httpx.AsyncClient:
    user = await make.user()
    async with make.db.transaction() as s:
        await s.execute(
            Affiliation.__table__.insert().values(
                user_id=user["id"], organisation_id=organisation_id, role="representative"
            )
        )
    return await make.logged_in(user)


async def _moderates(make, *region_ids: int) -> httpx.AsyncClient:
    user = await make.user(Role.MODERATOR)
    async with make.db.transaction() as s:
        for region_id in region_ids:
            await s.execute(text("INSERT INTO moderated_regions VALUES (:u, :r)"),
                            {"u": user["id"], "r": region_id})  # fmt: skip
    return await make.logged_in(user)


async def test_an_applicant_reads_public_content_only_and_cannot_take_part(smtp_app, make):
    tid = (await make.thread(region="staff-room"))["thread"]["id"]
    public = (await make.thread())["thread"]["id"]
    c = await _applicant(smtp_app, "newcomer@example.org")
    assert await _role(c) == "applicant"
    assert (await c.get(f"/api/v1/threads/{tid}")).status_code == 404
    assert (await c.get(f"/api/v1/threads/{public}")).status_code == 200
    r = await c.post(f"/api/v1/threads/{public}/posts", json={"body": "Hello"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_approved")
    # The pages: no "New thread", the application instead.
    page = (await c.get("/")).text
    assert 'href="/threads/new"' not in page and 'href="/apply"' in page


async def test_an_admin_approves_and_the_applicant_is_told_and_takes_part(smtp_app, make, inbox):
    c = await _applicant(smtp_app, "amina@example.org")
    mine = await _apply(c)
    assert (mine["status"], mine["organisation_name"], mine["country"]) == (
        "pending",
        "Dakar Budget Watch",
        "SN",
    )
    admin = await make.logged_in(await make.user(Role.ADMIN))
    queue = (await admin.get("/api/v1/applications")).json()["applications"]
    assert [a["id"] for a in queue] == [mine["id"]]
    assert queue[0]["motivation"] == APPLICATION["motivation"]
    r = await admin.post(f"/api/v1/applications/{mine['id']}/approve")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["decided_as"]) == ("approved", "admin")
    assert await _role(c) == "member"
    tid = (await make.thread(region="staff-room"))["thread"]["id"]
    assert (await c.get(f"/api/v1/threads/{tid}")).status_code == 200
    assert (
        await c.post(f"/api/v1/threads/{tid}/posts", json={"body": "Thanks"})
    ).status_code == 201
    await mail.settle(smtp_app)
    [welcome] = [m for m in inbox.to("amina@example.org") if "member" in m["Subject"]]
    assert welcome["Subject"] == "Welcome: you are a member of the forum"
    assert "approved" in mail.text_of(welcome)
    # Decided once: the queue is empty, deciding again is a conflict.
    assert (await admin.get("/api/v1/applications")).json()["applications"] == []
    again = await admin.post(f"/api/v1/applications/{mine['id']}/refuse", json={"reason": "No"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_decided")
    assert (await admin.get("/api/v1/applications?status=approved")).json()["applications"][0][
        "id"
    ] == mine["id"]


async def test_approval_waits_for_a_confirmed_address(smtp_app, make):
    c = await _applicant(smtp_app, "unconfirmed@example.org", verified=False)
    mine = await _apply(c)
    admin = await make.logged_in(await make.user(Role.ADMIN))
    queue = (await admin.get("/api/v1/applications")).json()["applications"]
    assert queue[0]["email_verified"] is False
    r = await admin.post(f"/api/v1/applications/{mine['id']}/approve")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "email_unverified")
    assert await _role(c) == "applicant"
    assert (await c.get("/api/v1/auth/me/application")).json()["status"] == "pending"


async def test_a_refusal_carries_a_reason_the_applicant_is_sent(smtp_app, make, inbox):
    c = await _applicant(smtp_app, "refused@example.org")
    mine = await _apply(c)
    admin = await make.logged_in(await make.user(Role.ADMIN))
    for reason in ("", "   "):
        r = await admin.post(f"/api/v1/applications/{mine['id']}/refuse", json={"reason": reason})
        assert r.status_code == 422, r.text
    r = await admin.post(f"/api/v1/applications/{mine['id']}/refuse",
                         json={"reason": "Tell us which organisation you work with."})  # fmt: skip
    assert (r.json()["status"], r.json()["reason"]) == (
        "refused",
        "Tell us which organisation you work with.",
    )
    assert await _role(c) == "applicant"
    await mail.settle(smtp_app)
    [refusal] = [m for m in inbox.to("refused@example.org") if "application" in m["Subject"]]
    assert "Tell us which organisation you work with." in mail.text_of(refusal)
    assert "Tell us which organisation you work with." in mail.html_of(refusal)
    # Applying again makes a new pending application; the refusal stays on record.
    again = await _apply(c, motivation="I work with Dakar Budget Watch on procurement.")
    assert again["status"] == "pending" and again["id"] != mine["id"]
    refused = (await admin.get("/api/v1/applications?status=refused")).json()["applications"]
    assert [a["id"] for a in refused] == [mine["id"]]


async def test_who_decides_which_application(smtp_app, make):
    async with make.db.transaction() as s:
        regions = dict((await s.execute(text("SELECT slug, id FROM regions"))).all())
    verified = await _organisation(make, "verified-watch", verified=True)
    unverified = await _organisation(make, "unverified-watch", verified=False)
    senegal = await _apply(await _applicant(smtp_app, "sn@example.org"), organisation_name="X")
    vouched = await _apply(
        await _applicant(smtp_app, "staff@example.org"),
        country="ID",
        organisation="verified-watch",
        organisation_name=None,
    )
    unvouched = await _apply(
        await _applicant(smtp_app, "other@example.org"),
        country="ID",
        organisation="unverified-watch",
        organisation_name=None,
    )

    async def queue(c: httpx.AsyncClient) -> Any:
        r = await c.get("/api/v1/applications")
        return (
            r.status_code if r.status_code != 200 else {a["id"] for a in r.json()["applications"]}
        )

    africa_moderator = await _moderates(make, regions["africa"])
    asia_moderator = await _moderates(make, regions["south-east-asia"])
    representative = await _represents(make, verified)
    of_unverified = await _represents(make, unverified)
    member = await make.logged_in()
    assert await queue(africa_moderator) == {senegal["id"]}
    assert await queue(asia_moderator) == {vouched["id"], unvouched["id"]}
    assert await queue(representative) == {vouched["id"]}
    assert await queue(of_unverified) == 403  # an unverified organisation vouches for no one
    assert await queue(member) == 403
    # Outside one's scope an application does not exist.
    for who, application in ((africa_moderator, vouched), (representative, senegal),
                             (of_unverified, unvouched), (member, senegal)):  # fmt: skip
        r = await who.post(f"/api/v1/applications/{application['id']}/approve")
        assert r.status_code == 404, r.text
    r = await representative.post(f"/api/v1/applications/{vouched['id']}/approve")
    assert r.json()["decided_as"] == "representative"
    r = await africa_moderator.post(f"/api/v1/applications/{senegal['id']}/approve")
    assert r.json()["decided_as"] == "moderator"
    # Approved naming a directory organisation: a (not shown) member of it.
    async with make.db.transaction() as s:
        tie = (
            await s.execute(
                select(Affiliation.role, Affiliation.shown)
                .join(User, User.id == Affiliation.user_id)
                .where(User.email == "staff@example.org")
            )
        ).one()
    assert tuple(tie) == ("member", False)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"country": "ZZ"}, "country"),
        ({"organisation": "no-such-organisation", "organisation_name": None}, "organisation"),
        ({"organisation_name": None}, "organisation"),
        ({"motivation": "   "}, "motivation"),
        ({"motivation": "x" * 2001}, "motivation"),
        ({"motivation": "bell \x07"}, "motivation"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_a_bad_application_is_refused_and_changes_nothing(smtp_app, changes, field):
    c = await _applicant(smtp_app, f"bad-{field}@example.org")
    r = await c.put("/api/v1/auth/me/application", json={**APPLICATION, **changes})
    assert r.status_code == 422, r.text
    assert field in str(r.json()["error"]), r.text
    assert (await c.get("/api/v1/auth/me/application")).status_code == 404


async def test_only_applicants_apply(smtp_app, make, client):
    member = await make.logged_in()
    r = await member.put("/api/v1/auth/me/application", json=APPLICATION)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "already_member")
    r = await factories.client(smtp_app).put("/api/v1/auth/me/application", json=APPLICATION)
    assert r.status_code in (401, 403)


async def test_the_motivation_reaches_only_the_applicant_and_their_approvers(smtp_app, make):
    canary = "zorvquaddle"
    c = await _applicant(smtp_app, "private@example.org")
    mine = await _apply(c, motivation=f"My work on {canary} contracts.")
    member, visitor = await make.logged_in(), factories.client(smtp_app)
    seen = [
        (await member.get("/api/v1/applications")).text,
        (await member.get("/applications")).text,
        (await member.get(f"/applications/{mine['id']}/refuse")).text,
        (await visitor.get("/applications", follow_redirects=True)).text,
        (await member.get("/api/v1/auth/me/application")).text,
    ]
    assert all(canary not in s for s in seen)
    assert canary in (await c.get("/api/v1/auth/me/application")).text
    async with smtp_app.state.db.transaction() as s:
        held = await s.scalar(text("SELECT count(*) FROM events WHERE payload::text LIKE :w"),
                              {"w": f"%{canary}%"})  # fmt: skip
    assert held == 0


# The pages


async def test_register_apply_and_be_approved_in_the_pages(smtp_app, make, inbox):
    c = factories.client(smtp_app)
    r = await submit(c, "/register", "/register", {
        "display_name": "Kofi", "email": "kofi@example.org", "password": PASSWORD})  # fmt: skip
    assert (r.status_code, r.headers["location"]) == (303, "/apply")
    page = await c.get("/apply")
    assert "Confirm your email address" in page.text
    r = await submit(
        c,
        "/apply",
        "/apply",
        {"country": "", "organisation": "", "organisation_name": "", "motivation": "Kofi's why"},
    )
    assert r.status_code == 422
    assert "country" in field_errors(r.text)
    assert "Kofi&#39;s why" in r.text  # the input is kept
    r = await submit(
        c,
        "/apply",
        "/apply",
        {"country": "KE", "organisation": "", "organisation_name": "", "motivation": "Why"},
    )
    assert r.status_code == 422 and "organisation" in field_errors(r.text)
    r = await submit(c, "/apply", "/apply", {"country": "KE", "organisation": "",
                                              "organisation_name": "Nairobi Integrity Forum",
                                              "motivation": "Procurement monitoring."})  # fmt: skip
    assert (r.status_code, r.headers["location"]) == (303, "/apply?sent=1")
    assert "waiting for a decision" in (await c.get("/apply")).text
    await mail.settle(smtp_app)
    [verify] = inbox.to("kofi@example.org")
    assert (await c.get(mail.path_of(mail.link_in(verify)))).status_code == 200

    admin = await make.logged_in(await make.user(Role.ADMIN))
    queue = await admin.get("/applications")
    assert "Nairobi Integrity Forum" in queue.text and "Procurement monitoring." in queue.text
    application_id = (await c.get("/api/v1/auth/me/application")).json()["id"]
    r = await submit(admin, "/applications", f"/applications/{application_id}/approve", {})
    assert (r.status_code, r.headers["location"]) == (
        303,
        f"/applications?decided={application_id}",
    )
    assert (await c.get("/apply")).headers["location"] == "/"  # a member has nothing to apply for
    assert 'href="/threads/new"' in (await c.get("/")).text


async def test_refusing_in_the_pages_asks_for_a_reason(smtp_app, make):
    c = await _applicant(smtp_app, "pages-refused@example.org")
    mine = await _apply(c)
    admin = await make.logged_in(await make.user(Role.ADMIN))
    path = f"/applications/{mine['id']}/refuse"
    r = await submit(admin, path, path, {"reason": ""})
    assert r.status_code == 422 and "reason" in field_errors(r.text)
    r = await submit(admin, path, path, {"reason": "Which organisation?"})
    assert r.status_code == 303
    page = (await c.get("/apply")).text
    assert "was not approved" in page and "Which organisation?" in page


async def test_the_command_line_admits_and_names_moderators(smtp_app, server_env):
    c = await _applicant(smtp_app, "operator-made@example.org", verified=False)
    admitted = run_forum(server_env, "approve", "Operator-Made@example.org")
    assert admitted.returncode == 0, admitted.stderr
    assert await _role(c) == "member"
    assert run_forum(server_env, "approve", "nobody@example.org").returncode == 1
    named = run_forum(server_env, "moderator", "operator-made@example.org", "--region", "africa")
    assert named.returncode == 0, named.stderr
    assert await _role(c) == "moderator"
    async with smtp_app.state.db.transaction() as s:
        assert await s.scalar(text("SELECT count(*) FROM moderated_regions")) == 1


async def test_the_queue_pages_oldest_first(smtp_app, make):
    ids = [(await _apply(await _applicant(smtp_app, f"queued{n}@example.org")))["id"]
           for n in range(3)]  # fmt: skip
    admin = await make.logged_in(await make.user(Role.ADMIN))
    first = (await admin.get("/api/v1/applications", params={"limit": "2"})).json()
    rest = (await admin.get("/api/v1/applications", params={"cursor": first["next_cursor"]})).json()
    assert [a["id"] for a in first["applications"] + rest["applications"]] == ids
    assert rest["next_cursor"] is None
