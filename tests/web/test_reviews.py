"""Countries' UNCAC reviews: editors and admins set a cycle's review through the API and
the no-JS form; members and visitors cannot, and a refused or wrong request changes
nothing; every change is in the history (on the page), the audit log and the event log."""

from __future__ import annotations

from sqlalchemy import text

from forum import reviews
from forum.models import Role
from tests.pages import field_errors, submit
from tests.realtime.clients import replay

URL = "/api/v1/countries/SN/reviews"
BODY = {
    "stages": {"self_assessment": "2011-03-01", "country_visit": "2011-10-12"},
    "reviewers": ["ma", "LT"],
    "facts": {"civil_society_consulted": {"value": "yes", "url": "https://example.org/sa"}},
}


async def _counts(db) -> tuple[int, int, int, int]:
    async with db.transaction() as s:
        row = (
            await s.execute(
                text("SELECT (SELECT count(*) FROM country_reviews) AS r,"
                     " (SELECT count(*) FROM country_review_changes) AS c,"
                     " (SELECT count(*) FROM audit_log WHERE action = 'review.edit') AS a,"
                     " (SELECT count(*) FROM events WHERE type = 'country.review_changed') AS e")
            )
        ).one()  # fmt: skip
    return row.r, row.c, row.a, row.e


async def test_an_admin_sets_a_review_with_history_audit_and_event(make, db):
    admin = await make.user(Role.ADMIN)
    c = await make.logged_in(admin)
    r = await c.put(f"{URL}/1", json=BODY)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["stage"] == "country_visit" and got["chapters"] == [3, 4]
    assert got["reviewers"] == ["MA", "LT"]
    assert got["facts"]["civil_society_consulted"] == {
        "value": "yes",
        "url": "https://example.org/sa",
    }
    assert got["facts"]["full_report_published"] == {"value": "unknown", "url": None}
    assert got["history"][0]["actor_id"] == admin["id"]
    assert got["history"][0]["after"]["country_visit_on"] == "2011-10-12"
    assert await _counts(db) == (1, 1, 1, 1)
    [entry] = (await c.get("/api/v1/audit?action=review.edit")).json()["entries"]
    assert entry["actor_id"] == admin["id"] and entry["region"] == "africa"
    assert entry["after"]["reviewers"] == ["MA", "LT"]
    audit_page = (await c.get("/audit?action=review.edit")).text
    assert "Country visit or joint meeting: 2011-10-12" in audit_page
    async with db.transaction() as s:
        event = (
            await s.execute(
                text(
                    "SELECT channels, visibility, payload FROM events "
                    "WHERE type = 'country.review_changed'"
                )
            )
        ).one()
        assert event.channels == ["region:africa"] and event.visibility == "public"
        assert event.payload == {"country": "SN", "cycle": 1}
        assert await reviews.stage_by_country(s, 1) == {"SN": "country_visit"}
    # The same again changes nothing and records nothing.
    assert (await c.put(f"{URL}/1", json=BODY)).status_code == 200
    assert await _counts(db) == (1, 1, 1, 1)
    listed = (await c.get(URL)).json()
    assert [x["cycle"] for x in listed["reviews"]] == [1, 2]
    assert listed["reviews"][1]["recorded"] is False


async def test_refusals_change_nothing(make, db):
    member = await make.user(Role.MEMBER)
    admin = await make.user(Role.ADMIN)
    refused = await (await make.logged_in(member)).put(f"{URL}/1", json=BODY)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "editors_only"
    c = await make.logged_in(admin)
    cases = [
        ("/api/v1/countries/ZZ/reviews/1", BODY, 404),
        (f"{URL}/9", BODY, 404),
        (f"{URL}/x", BODY, 404),
        (f"{URL}/1", {**BODY, "reviewers": ["QQ"]}, 422),
        (f"{URL}/1", {**BODY, "stages": {"self_assessment": "soon"}}, 422),
        (f"{URL}/1", {**BODY, "facts": {"civil_society_consulted": {"value": "maybe"}}}, 422),
        (f"{URL}/1", {**BODY, "facts": {"civil_society_consulted": {"value": "yes",
                                                                    "url": "javascript:x"}}},
         422),
        (f"{URL}/1", {**BODY, "extra": 1}, 422),
    ]  # fmt: skip
    for url, body, status in cases:
        r = await c.put(url, json=body)
        assert r.status_code == status, (url, body, r.text)
    assert await _counts(db) == (0, 0, 0, 0)


async def test_visitors_are_asked_to_log_in_and_cannot_read_a_hidden_country(make, db, app):
    from tests.factories import client

    async with client(app) as visitor:
        r = await visitor.put(f"{URL}/1", json=BODY)
        assert r.status_code == 401
        assert (await visitor.get(URL)).status_code == 200
        assert (await visitor.get("/api/v1/countries/ZZ/reviews")).status_code == 404
    assert await _counts(db) == (0, 0, 0, 0)


async def test_the_form_saves_with_csrf_and_redirects_then_the_page_shows_it(make, db):
    admin = await make.user(Role.ADMIN)
    c = await make.logged_in(admin)
    form = "/countries/SN/reviews/2/edit"
    r = await submit(c, form, form, {
        "self_assessment": "2017-05-02", "reviewers": "fr, lt",
        "civil_society_consulted": "no", "civil_society_consulted_url": "",
        "full_report_published": "yes", "full_report_published_url": "https://example.org/r",
        "demo": "on",
    })  # fmt: skip
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/countries/SN?saved=2#review-2"
    page = (await c.get("/countries/SN", headers={"Accept-Language": "fr"})).text
    assert "Auto-évaluation" in page or "Self-assessment" in page
    assert "2017-05-02" in page and "https://example.org/r" in page
    assert await _counts(db) == (1, 1, 1, 1)
    # A bad value: 422, the error next to its field, nothing changed.
    r = await submit(c, form, form, {"self_assessment": "2017-05-02", "reviewers": "XX"})
    assert r.status_code == 422
    assert "reviewers" in field_errors(r.text)
    assert await _counts(db) == (1, 1, 1, 1)
    # Without the CSRF field: refused, nothing changed.
    r = await c.post(form, data={"reviewers": "FR"},
                     headers={"Origin": str(c.base_url).rstrip("/")})  # fmt: skip
    assert r.status_code in (400, 403)
    assert await _counts(db) == (1, 1, 1, 1)


async def test_a_member_gets_no_edit_link_nor_form(make, db):
    member = await make.user(Role.MEMBER)
    c = await make.logged_in(member)
    assert "/reviews/1/edit" not in (await c.get("/countries/SN")).text
    assert (await c.get("/countries/SN/reviews/1/edit")).status_code == 403


async def test_an_editor_sets_a_review_and_it_shows_on_the_country_page_in_french(make, db):
    editor = await make.user(Role.EDITOR, language="fr")
    c = await make.logged_in(editor)
    r = await c.put(f"{URL}/2", json={**BODY, "demo": True})
    assert r.status_code == 200, r.text
    assert r.json()["history"][0]["actor_name"] == editor["display_name"]
    page = await c.get("/countries/SN")
    assert "Visite de pays ou réunion conjointe" in page.text
    assert "Données de démonstration" in page.text
    assert "Maroc" in page.text  # a reviewing State, by Babel's French name
    assert "/countries/SN/reviews/2/edit" in page.text
    # What changed, by name, each once (a fact and its source are one).
    changes = page.text[page.text.find("<details") : page.text.find("</details>")]
    assert changes.count("Société civile consultée") == 1 and "États examinateurs" in changes
    assert "civil_society" not in changes


async def test_the_demo_marks_a_dozen_countries_in_two_cycles(make, db):
    from forum import demo

    await demo.load(db)
    await demo.load(db)  # idempotent
    async with db.transaction() as s:
        rows = (
            await s.execute(text("SELECT country_code, cycle, demo FROM country_reviews"))
        ).all()
        assert await reviews.stage_by_country(s, 1)
    assert len({r.country_code for r in rows}) >= 12 and {r.cycle for r in rows} == {1, 2}
    assert all(r.demo for r in rows)
    c = await make.logged_in(await make.user())
    page = (await c.get("/countries/SN")).text
    assert "Demonstration data: not a real review status." in page


async def test_the_change_reaches_the_regions_listeners_as_ids(db, served):
    from tests.web.test_redaction import _client

    editor = await _client(db, served, Role.EDITOR)
    async with editor:
        r = await editor.put(f"{URL}/1", json=BODY)
    assert r.status_code == 200, r.text
    frames = await replay(db, served, None, ["region:africa"])  # a visitor, live replay
    told = [f for f in frames if f.get("type") == "country.review_changed"]
    assert [f["data"] for f in told] == [{"country": "SN", "cycle": 1}], frames
