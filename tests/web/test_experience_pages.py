"""Experiences in the browser, without JavaScript: a member tells one through the form
(errors next to the field, input kept, 422), edits it, and it shows on the list, its
page and the organisation's profile; outsiders get no form."""

from __future__ import annotations

import html

from forum import affiliations, catalog, organisations
from forum.models import Role
from forum.organisation_fields import Profile
from tests.pages import field_errors, submit

NEW = "/experiences/new?organisation=olcac"
FIELDS = {
    "title": "Moto-taxi drivers organise",
    "context": "Drivers paid *bribes* at every checkpoint.",
    "action": "",
    "obstacles": "",
    "outcome": "",
    "lessons": "",
    "uncac_articles": "13, 5",
    "year": "2018",
    "language": "en",
    "threads": "",
}


async def _setup(db, make):
    admin = await make.user(Role.ADMIN)
    writer = await make.user()
    async with db.transaction() as s:
        cat = await catalog.load(s)
        await organisations.create(
            s, admin["actor"], cat, "olcac", Profile(name="OLCAC", country="SN", kind="ngo")
        )
        await affiliations.affiliate(s, admin["actor"], cat, "olcac", user_id=writer["id"])
    return await make.logged_in(writer)


async def test_a_member_tells_and_edits_an_experience_through_forms(db, make, client):
    writer = await _setup(db, make)
    profile = (await writer.get("/organisations/olcac")).text
    assert NEW in html.unescape(profile)
    fields = [*FIELDS.items(), ("countries", "SN"), ("topics", "public-procurement")]
    r = await submit(writer, NEW, NEW, fields)
    assert r.status_code == 303, r.text
    where = r.headers["location"].split("?")[0]
    page = (await client.get(where)).text
    assert "Moto-taxi drivers organise" in page and "<em>bribes</em>" in page
    assert "Senegal" in page and "5, 13" in page
    assert "Edit the experience" not in page
    listed = (await client.get("/experiences?country=SN")).text
    assert where in listed
    assert where in (await client.get("/organisations/olcac")).text
    r = await submit(writer, f"{where}/edit", f"{where}/edit",
                     {**FIELDS, "outcome": "A union was founded."})  # fmt: skip
    assert r.status_code == 303
    assert "A union was founded." in (await client.get(where)).text


async def test_errors_show_next_to_their_field_and_nothing_is_saved(db, make, client):
    writer = await _setup(db, make)
    cases = [({"title": ""}, "title"), ({"year": "soon"}, "year"),
             ({"uncac_articles": "99"}, "uncac_articles"),
             ({"context": ""}, "context"), ({"threads": "12345"}, "threads")]  # fmt: skip
    for bad, field in cases:
        r = await submit(writer, NEW, NEW, {**FIELDS, **bad})
        assert r.status_code == 422, (bad, r.text[:300])
        assert field in field_errors(r.text), bad
        if "title" not in bad:
            assert 'value="Moto-taxi drivers organise"' in r.text
    assert "Moto-taxi" not in (await client.get("/experiences")).text


async def test_outsiders_get_no_form_and_their_posts_change_nothing(db, make, client):
    await _setup(db, make)
    outsider = await make.logged_in()
    assert (await outsider.get(NEW)).status_code == 404
    assert "/experiences/new" not in (await outsider.get("/organisations/olcac")).text
    r = await submit(outsider, "/experiences", NEW, FIELDS)
    assert r.status_code in (403, 422)
    assert "Moto-taxi" not in (await client.get("/experiences")).text
    assert (await client.get("/experiences/999")).status_code == 404
    assert (await client.get("/experiences/abc")).status_code == 404
    assert (await client.get("/experiences?country=ZZ")).status_code == 404


async def test_earlier_versions_are_shown_to_the_organisations_members_and_moderators(
    db, make, client
):
    writer = await _setup(db, make)
    r = await submit(writer, NEW, NEW, {**FIELDS, "outcome": "Officer Mbeki was paid."})
    where = r.headers["location"].split("?")[0]
    history = f"{where}/revisions"
    # One version only: nothing earlier to offer.
    assert history not in (await writer.get(where)).text
    edited = {**FIELDS, "title": "Drivers unite", "outcome": "An officer was paid."}
    r = await submit(writer, f"{where}/edit", f"{where}/edit", edited)
    assert r.status_code == 303
    moderator = await make.logged_in(await make.user(Role.MODERATOR))
    for who in (writer, moderator):
        assert f'href="{history}"' in (await who.get(where)).text
        page = await who.get(history)
        assert page.status_code == 200
        assert "Version 2 (current)" in page.text and "Version 1" in page.text
        assert "Officer Mbeki was paid." in page.text and "An officer was paid." in page.text
        assert "Moto-taxi drivers organise" in page.text and "Drivers unite" in page.text
    outsider = await make.logged_in()
    for who in (client, outsider):
        page = (await who.get(where)).text
        assert "An officer was paid." in page and "/revisions" not in page
        answer = await who.get(history)
        assert answer.status_code == 404 and "Mbeki" not in answer.text
    assert (await client.get("/experiences/999/revisions")).status_code == 404
    assert (await client.get("/experiences/abc/revisions")).status_code == 404
