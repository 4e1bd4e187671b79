"""/api/v1/organisations: the directory, profiles, edits and affiliations, refusals
included; a private phone and a members-only email reach only who may see them."""

from __future__ import annotations

from forum.models import Role

API = "/api/v1/organisations"
PHONE = "+221 33 800 9911"
EMAIL = "canary-desk@forum-civil.example.org"
BODY = {
    "slug": "forum-civil",
    "name": "Forum Civil",
    "country": "SN",
    "kind": "ngo",
    "email": EMAIL,
    "email_visibility": "members",
    "phone": PHONE,
    "phone_visibility": "private",
    "topics": ["public-procurement"],
    "uncac_chapters": [2],
    "uncac_articles": [9, 13],
    "languages": ["fr"],
    "activities": [{"title": "Budget hearings", "started_on": "2020-03-01"}],
}


async def _setup(make):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    r = await admin.post(API, json=BODY)
    assert r.status_code == 201, r.text
    return admin


async def test_admin_creates_and_everyone_reads_what_they_may(make, client):
    admin = await _setup(make)
    made = (await admin.get(f"{API}/forum-civil")).json()
    assert (made["phone"], made["email"], made["may_edit"]) == (PHONE, EMAIL, True)
    assert made["activities"][0]["ended_on"] is None
    visitor = (await client.get(f"{API}/forum-civil")).json()
    assert (visitor["phone"], visitor["email"], visitor["may_edit"]) == (None, None, False)
    assert visitor["uncac_articles"] == [9, 13]
    member = await make.logged_in()
    seen = (await member.get(f"{API}/forum-civil")).json()
    assert (seen["phone"], seen["email"]) == (None, EMAIL)
    listed = (await client.get(API, params={"region": "africa"})).json()
    assert [o["slug"] for o in listed["organisations"]] == ["forum-civil"]
    assert PHONE not in str(listed) and EMAIL not in str(listed)
    assert (await client.get(API, params={"country": "ID"})).json()["organisations"] == []


async def test_refusals_change_nothing(make, client):
    admin = await _setup(make)
    member = await make.logged_in()
    assert (await client.post(API, json={**BODY, "slug": "x"})).status_code == 401
    r = await member.post(API, json={**BODY, "slug": "x"})
    assert r.status_code == 403
    r = await admin.post(API, json=BODY)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "slug_taken")
    r = await admin.post(API, json={**BODY, "slug": "y", "country": "ZZ"})
    assert r.status_code == 422 and "country" in r.json()["error"]["fields"]
    r = await admin.post(API, json={**BODY, "slug": "y", "uncac_articles": [99]})
    assert r.status_code == 422
    r = await admin.post(API, json={**BODY, "slug": "y", "activities": [
        {"title": "Back", "started_on": "2020-01-01", "ended_on": "2019-01-01"}]})  # fmt: skip
    assert r.status_code == 422
    r = await member.patch(f"{API}/forum-civil", json={"description": "Taken over"})
    assert r.status_code == 403
    assert (await client.get(f"{API}/no-such")).status_code == 404
    assert (await client.get(f"{API}/NOT_A_SLUG")).status_code == 404
    assert (await client.get(API, params={"cursor": "garbage"})).status_code == 422
    listed = (await client.get(API)).json()["organisations"]
    assert [o["slug"] for o in listed] == ["forum-civil"]
    assert (await client.get(f"{API}/forum-civil")).json()["description"] == ""


async def test_affiliations_through_the_api(make, client):
    admin = await _setup(make)
    rep, joiner = await make.logged_in(), await make.logged_in()
    r = await admin.post(
        f"{API}/forum-civil/affiliations",
        json={"user_id": rep.user["id"], "role": "representative"},
    )
    assert r.json()["member"]["role"] == "representative"
    r = await rep.patch(f"{API}/forum-civil", json={"description": "Watchdog", "phone": None})
    assert r.status_code == 200 and r.json()["description"] == "Watchdog"
    assert r.json()["phone"] is None
    r = await rep.patch(f"{API}/forum-civil", json={"verified": True})
    assert r.status_code == 403
    r = await admin.patch(f"{API}/forum-civil", json={"verified": True})
    assert r.json()["verified"] is True
    # A member names themselves a member, not a representative.
    r = await joiner.post(f"{API}/forum-civil/affiliations", json={"role": "representative"})
    assert r.status_code == 403
    r = await joiner.post(f"{API}/forum-civil/affiliations", json={})
    assert r.json()["member"] == {
        "user_id": joiner.user["id"], "name": joiner.user["display_name"], "role": "member",
        "shown": False,
    }  # fmt: skip
    names = lambda body: {m["name"] for m in body["members"]}  # noqa: E731
    assert names((await client.get(f"{API}/forum-civil")).json()) == set()
    assert (await joiner.patch(f"{API}/forum-civil/affiliations/me", json={"shown": True})).json()[
        "member"
    ]["shown"]
    assert names((await client.get(f"{API}/forum-civil")).json()) == {joiner.user["display_name"]}
    r = await joiner.delete(f"{API}/forum-civil/affiliations/{rep.user['id']}")
    assert r.status_code == 403
    r = await joiner.delete(f"{API}/forum-civil/affiliations/{joiner.user['id']}")
    assert r.json() == {"ended": True}
    assert names((await client.get(f"{API}/forum-civil")).json()) == set()
