"""A reporter leaving: their export holds the reports they made (their words, the
outcome in general terms, nobody else's report nor the moderators' notes), and deleting
their account erases the words of their reports from every table, page and API while the
case and its reason stay in the moderators' record, "a former member" reporting."""

from __future__ import annotations

from forum.leaving import FORMER_MEMBER
from tests.factories import PASSWORD
from tests.web.test_audit import _moderator
from tests.web.test_flags import _flag, _flag_events
from tests.web.test_redaction import _holding

CANARY = "pangolin-canary-4410"
OTHERS = "gecko-other-reporter-2281"
NOTE = "heron-moderators-note-9052"
RESOLUTION = "ibis-resolution-reason-3307"
ME = "/api/v1/auth/me"


async def _reported_twice(make, db):  # type: ignore[no-untyped-def]
    """A post reported by the leaving member (with the canary) and by another member,
    with a moderator's note: (reporter's client, case id, post id, thread id, moderator)."""
    made = await make.thread()
    pid, tid = made["post"]["id"], made["thread"]["id"]
    leaving = await make.logged_in()
    other = await make.logged_in()
    assert (await _flag(leaving, pid, "other", f"It names {CANARY}")).status_code == 201
    assert (await _flag(other, pid, "other", OTHERS)).status_code == 201
    case_id = (await _flag_events(db))[0][3]["case_id"]
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    r = await moderator.post(f"/api/v1/flag-cases/{case_id}/notes", json={"body": NOTE})
    assert r.status_code == 201, r.text
    return leaving, case_id, pid, tid, moderator


async def test_the_export_holds_the_members_own_reports_only(make, db):
    leaving, case_id, pid, _, moderator = await _reported_twice(make, db)
    later = (await make.thread())["post"]["id"]
    assert (await _flag(leaving, later, "spam")).status_code == 201
    r = await moderator.post(f"/api/v1/flag-cases/{case_id}/resolve",
                             json={"outcome": "hide", "reason": RESOLUTION})  # fmt: skip
    assert r.status_code == 200, r.text
    exported = await leaving.get(ME + "/export")
    assert exported.status_code == 200, exported.text
    reports = exported.json()["reports"]
    assert [(x["post_id"], x["reason"], x["text"], x["outcome"]) for x in reports] == [
        (pid, "other", f"It names {CANARY}", "action_taken"),
        (later, "spam", None, None),
    ]
    assert all(x["at"] for x in reports)
    for word in (OTHERS, NOTE, RESOLUTION, moderator.user["display_name"]):  # type: ignore[attr-defined]
        assert word not in exported.text


async def test_leaving_erases_the_words_of_ones_reports_and_keeps_the_case(make, db, client):
    leaving, case_id, _, tid, moderator = await _reported_twice(make, db)
    name = leaving.user["display_name"]  # type: ignore[attr-defined]
    assert await _holding(db, CANARY) == {"flags"}
    r = await leaving.request("DELETE", ME, json={"password": PASSWORD, "keep_posts": True})
    assert r.status_code == 200, r.text
    assert await _holding(db, CANARY) == set()
    # The moderators' record stays: the case, both reports and their reasons, the other
    # reporter's words and the note; the one who left reads "a former member".
    api = await moderator.get(f"/api/v1/flag-cases/{case_id}")
    assert api.status_code == 200 and CANARY not in api.text and name not in api.text
    by = {f["by"]["name"]: f for f in api.json()["flags"]}
    assert by[FORMER_MEMBER]["reason"] == "other" and by[FORMER_MEMBER]["text"] is None
    assert OTHERS in api.text and NOTE in api.text
    page = await moderator.get(f"/flag-cases/{case_id}")
    assert page.status_code == 200 and CANARY not in page.text and name not in page.text
    assert "A former member" in page.text and OTHERS in page.text
    queue = await moderator.get("/api/v1/regions/africa/flags")
    assert queue.json()["cases"][0]["counts"]["other"] == 2
    for path in (f"/threads/{tid}", f"/api/v1/threads/{tid}", "/regions/africa/flags"):
        assert CANARY not in (await moderator.get(path)).text
        assert CANARY not in (await client.get(path)).text
