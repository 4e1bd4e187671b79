"""Resources: editors add and change them (API and forms); everyone reads the list with
its filters; everyone else is refused and nothing changes; answers match the OpenAPI
shapes; every change appends a public event naming the id only."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.models import Event, Resource, Role
from tests.pages import field_errors, submit
from web import schemas

API = "/api/v1/resources"
GUIDE = {
    "title": "Reporting on the review mechanism",
    "url": "https://example.org/guide.pdf",
    "kind": "guide",
    "description": "How CSOs can feed a country's UNCAC review.",
    "languages": ["en", "fr"],
    "countries": ["SN"],
    "topics": ["public-procurement"],
}


async def _count(db) -> int:
    async with db.transaction() as s:
        return await s.scalar(select(func.count()).select_from(Resource))


async def test_an_editor_adds_and_changes_a_resource(make, client, db):
    editor = await make.logged_in(await make.user(Role.EDITOR))
    r = await editor.post(API, json=GUIDE)
    assert r.status_code == 201, r.text
    made = schemas.ResourceOut.model_validate(r.json())
    assert made.may_edit and made.countries == ["SN"] and made.languages == ["en", "fr"]
    read = (await client.get(f"{API}/{made.id}")).json()
    assert read["title"] == GUIDE["title"] and read["may_edit"] is False
    r = await editor.patch(f"{API}/{made.id}", json={"kind": "training_material"})
    assert r.status_code == 200 and r.json()["kind"] == "training_material"
    assert r.json()["edited_at"] is not None and r.json()["title"] == GUIDE["title"]
    async with db.transaction() as s:
        found = (await s.execute(select(Event.type, Event.visibility, Event.payload)
                                 .where(Event.type.like("resource.%"))
                                 .order_by(Event.id))).all()  # fmt: skip
    assert [(e.type, e.visibility, e.payload) for e in found] == [
        ("resource.created", "public", {"id": made.id}),
        ("resource.updated", "public", {"id": made.id}),
    ]


async def test_list_filters_and_pages(make, client):
    editor = await make.logged_in(await make.user(Role.EDITOR))
    ids = []
    for n, (kind, country) in enumerate(
        [("guide", "SN"), ("review_report", "KE"), ("guide", "KE")]
    ):
        body = {**GUIDE, "title": f"R{n}", "kind": kind, "countries": [country]}
        ids.append((await editor.post(API, json=body)).json()["id"])
    listed = (await client.get(API, params={"limit": 2})).json()
    schemas.ResourceList.model_validate(listed)
    assert [x["id"] for x in listed["resources"]] == [ids[2], ids[1]]
    rest = (await client.get(API, params={"limit": 2, "cursor": listed["next_cursor"]})).json()
    assert [x["id"] for x in rest["resources"]] == [ids[0]] and rest["next_cursor"] is None
    guides = (await client.get(API, params={"kind": "guide"})).json()["resources"]
    assert [x["id"] for x in guides] == [ids[2], ids[0]]
    kenya = (await client.get(API, params={"country": "KE", "kind": "guide"})).json()
    assert [x["id"] for x in kenya["resources"]] == [ids[2]]
    for bad in ({"kind": "novel"}, {"country": "ZZ"}, {"cursor": "garbage"}):
        r = await client.get(API, params=bad)
        assert r.status_code == 422 and "error" in r.json()


async def test_refusals_and_bad_input_change_nothing(make, client, db):
    member = await make.logged_in()
    editor = await make.logged_in(await make.user(Role.EDITOR))
    made = (await editor.post(API, json=GUIDE)).json()
    assert (await client.post(API, json=GUIDE)).status_code == 401
    r = await member.post(API, json=GUIDE)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "editors_only")
    r = await member.patch(f"{API}/{made['id']}", json={"title": "Mine"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "editors_only")
    for bad in (
        {**GUIDE, "url": "javascript:alert(1)"},
        {**GUIDE, "url": "ftp://example.org/x"},
        {**GUIDE, "kind": "novel"},
        {**GUIDE, "countries": ["ZZ"]},
        {**GUIDE, "topics": ["nothing-like-it"]},
        {**GUIDE, "languages": ["english"]},
        {**GUIDE, "title": "   "},
        # PostgreSQL text holds no NUL: the description was a 500 at the insert.
        {**GUIDE, "description": "nul\x00inside"},
        {**GUIDE, "url": "https://example.org/nul\x00inside"},
        {key: v for key, v in GUIDE.items() if key != "url"},
    ):
        r = await editor.post(API, json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert "error" in r.json()
    r = await editor.patch(f"{API}/{made['id']}", json={"url": "http://"})
    assert r.status_code == 422
    assert await _count(db) == 1
    assert (await client.get(f"{API}/{made['id']}")).json() == {**made, "may_edit": False}
    assert (await client.get(f"{API}/999999")).status_code == 404
    assert (await editor.patch(f"{API}/999999", json={"title": "X"})).status_code == 404


async def test_a_new_address_is_unchecked_again(make, db):
    editor = await make.logged_in(await make.user(Role.EDITOR))
    made = (await editor.post(API, json=GUIDE)).json()
    async with db.transaction() as s:
        await s.execute(Resource.__table__.update().values(
            last_checked_at=func.now(), broken_since=func.now()))  # fmt: skip
    kept = (await editor.patch(f"{API}/{made['id']}", json={"title": "Renamed"})).json()
    assert kept["broken_since"] is not None
    moved = await editor.patch(f"{API}/{made['id']}", json={"url": "https://example.org/b"})
    assert moved.json()["broken_since"] is None and moved.json()["last_checked_at"] is None


FORM = {
    "title": "The Convention's text",
    "url": "https://example.org/uncac.pdf",
    "kind": "convention_text",
    "description": "The United Nations Convention against Corruption.",
    "languages": "en, fr, es",
}


async def test_an_editor_uses_the_forms_and_everyone_reads_the_list(make, client, db):
    editor = await make.logged_in(await make.user(Role.EDITOR))
    assert 'href="/resources/new"' in (await editor.get("/resources")).text
    bad = await submit(editor, "/resources/new", "/resources/new", {**FORM, "url": "not a link"})
    assert bad.status_code == 422 and "url" in field_errors(bad.text)
    assert "The Convention&#39;s text" in bad.text  # the input is kept
    assert await _count(db) == 0
    r = await submit(editor, "/resources/new", "/resources/new",
                     [*FORM.items(), ("countries", "KE")])  # fmt: skip
    assert r.status_code == 303, r.text
    page = (await client.get("/resources")).text
    assert "The Convention&#39;s text" in page and "https://example.org/uncac.pdf" in page
    assert "Kenya" in page and 'href="/resources/new"' not in page and "/edit" not in page
    assert "uncac.pdf" in (await client.get("/resources?kind=convention_text&country=KE")).text
    assert "uncac.pdf" not in (await client.get("/resources?kind=guide")).text
    assert (await client.get("/resources?kind=novel")).status_code == 404
    (rid,) = [x["id"] for x in (await client.get(API)).json()["resources"]]
    r = await submit(editor, f"/resources/{rid}/edit", f"/resources/{rid}/edit",
                     {**FORM, "title": "UNCAC, the text"})  # fmt: skip
    assert r.status_code == 303
    assert "UNCAC, the text" in (await client.get("/resources")).text


async def test_others_get_no_form(make, client, db):
    member = await make.logged_in()
    editor = await make.logged_in(await make.user(Role.EDITOR))
    rid = (await editor.post(API, json=GUIDE)).json()["id"]
    for reader in (client, member):
        assert (await reader.get("/resources/new")).status_code == 404
        assert (await reader.get(f"/resources/{rid}/edit")).status_code == 404
    page = await editor.get("/resources/new")
    r = await member.post(
        "/resources/new",
        data={"csrf": "x", **FORM},
        headers={"Origin": str(member.base_url).rstrip("/")},
    )
    assert r.status_code in (403, 404) and page.status_code == 200
    assert await _count(db) == 1


async def test_the_demo_adds_its_resources_once(db, client):
    from forum import demo, demo_news

    await demo.load(db)
    await demo.load(db)  # idempotent
    listed = (await client.get(API, params={"limit": 100})).json()["resources"]
    assert sorted(x["url"] for x in listed) == sorted(e.url for e in demo_news.RESOURCES)
    assert all("Demonstration" in x["description"] for x in listed)
    assert {x["kind"] for x in listed} == {
        "convention_text", "guide", "review_report", "training_material", "partner_organisation"
    }  # fmt: skip
