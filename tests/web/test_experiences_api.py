"""/api/v1/experiences: members of an organisation tell and edit its experiences; filters,
paging, revisions and refusals; answers match the OpenAPI shapes."""

from __future__ import annotations

from forum.models import Role
from web import schemas

API = "/api/v1/experiences"
ORG = {"slug": "olcac", "name": "OLCAC", "country": "SN", "kind": "ngo"}
STORY = {
    "organisation": "olcac",
    "title": "Moto-taxi drivers organise",
    "countries": ["SN"],
    "topics": ["public-procurement"],
    "uncac_articles": [13],
    "context": "Drivers paid *bribes* at checkpoints.",
    "action": "Workshops with drivers and police.",
    "year": 2018,
    "language": "en",
}


async def _setup(make):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    assert (await admin.post("/api/v1/organisations", json=ORG)).status_code == 201
    writer = await make.logged_in()
    r = await admin.post(
        "/api/v1/organisations/olcac/affiliations", json={"user_id": writer.user["id"]}
    )
    assert r.status_code == 200, r.text
    return admin, writer


async def test_a_member_tells_and_edits_an_experience(make, client):
    _, writer = await _setup(make)
    r = await writer.post(API, json=STORY)
    assert r.status_code == 201, r.text
    made = schemas.ExperienceOut.model_validate(r.json())
    assert "<em>bribes</em>" in made.html.context and made.may_edit
    read = (await client.get(f"{API}/{made.id}")).json()
    assert read["title"] == STORY["title"] and read["may_edit"] is False
    r = await writer.patch(f"{API}/{made.id}", json={"outcome": "A union was founded."})
    assert r.status_code == 200 and r.json()["revision"] == 2
    versions = (await writer.get(f"{API}/{made.id}/revisions")).json()
    schemas.ExperienceRevisions.model_validate(versions)
    assert [v["sources"]["outcome"] for v in versions["revisions"]] == ["", "A union was founded."]
    assert (await client.get(f"{API}/{made.id}/revisions")).status_code == 403


async def test_list_filters_and_pages(make, client):
    _, writer = await _setup(make)
    ids = []
    for n, country in enumerate(["SN", "KE", "SN"]):
        body = {**STORY, "title": f"Story {n}", "countries": [country]}
        if n == 1:
            body["topics"] = ["whistleblower-protection"]
        ids.append((await writer.post(API, json=body)).json()["id"])
    listed = (await client.get(API, params={"limit": 2})).json()
    schemas.ExperienceList.model_validate(listed)
    assert [e["id"] for e in listed["experiences"]] == [ids[2], ids[1]]
    rest = (await client.get(API, params={"limit": 2, "cursor": listed["next_cursor"]})).json()
    assert [e["id"] for e in rest["experiences"]] == [ids[0]] and rest["next_cursor"] is None
    by_country = (await client.get(API, params={"country": "KE"})).json()["experiences"]
    assert [e["id"] for e in by_country] == [ids[1]]
    by_topic = (await client.get(API, params={"topic": "public-procurement"})).json()
    assert [e["id"] for e in by_topic["experiences"]] == [ids[2], ids[0]]
    by_org = (await client.get(API, params={"organisation": "olcac"})).json()
    assert len(by_org["experiences"]) == 3
    assert (await client.get(API, params={"organisation": "nobody"})).status_code == 404
    assert (await client.get(API, params={"country": "ZZ"})).status_code == 422
    assert (await client.get(API, params={"cursor": "garbage"})).status_code == 422


async def test_refusals_change_nothing(make, client):
    _, writer = await _setup(make)
    outsider = await make.logged_in()
    assert (await client.post(API, json=STORY)).status_code == 401
    r = await outsider.post(API, json=STORY)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_affiliated")
    for bad in ({"title": ""}, {"countries": ["ZZ"]}, {"uncac_articles": [0]},
                {"year": "2018"}, {"context": "x" * (70 * 1024)}, {"threads": [99]},
                {"surprise": 1},
                # No NUL or other control in the texts (a NUL was a 500 at the insert).
                {"context": "\x00<img src=x onerror=xss(534)>"},
                {"lessons": "a\x07b"}):  # fmt: skip
        r = await writer.post(API, json={**STORY, **bad})
        assert r.status_code in (413, 422), (bad, r.text)
    assert (await client.get(API)).json()["experiences"] == []
    made = (await writer.post(API, json=STORY)).json()
    r = await outsider.patch(f"{API}/{made['id']}", json={"title": "Taken over"})
    assert r.status_code == 403
    for bad in ({"countries": ["ZZ"]}, {"outcome": "Won\x00"}):
        r = await writer.patch(f"{API}/{made['id']}", json=bad)
        assert r.status_code == 422, (bad, r.text)
    assert (await client.get(f"{API}/{made['id']}")).json()["revision"] == 1
    assert (await client.get(f"{API}/999999")).status_code == 404
    assert (await client.get(f"{API}/abc")).status_code == 404
