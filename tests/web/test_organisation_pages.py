"""Organisations in the browser, without JavaScript: the directory by region and country,
a profile showing only what the reader may see, the edit form (representatives and
admins), one's own affiliation through forms with Post/Redirect/Get."""

from __future__ import annotations

import html

from sqlalchemy import select

from forum import affiliations, catalog, organisations
from forum.models import Affiliation, Role
from forum.organisation_fields import UNCAC_ARTICLES, UNCAC_CHAPTERS, Profile
from forum.permissions import Actor
from tests.pages import field_errors, submit
from web import uncac

PHONE = "+221 33 811 4455"
EMAIL = "members-desk@forum-civil.example.org"
ADMIN = Actor(10**6, Role.ADMIN)


async def _org(db, slug="forum-civil", name="Forum Civil", country="SN", **more):
    values = {"email": EMAIL, "phone": PHONE, "topics": ("public-procurement",)} | more
    async with db.transaction() as s:
        cat = await catalog.load(s)
        await organisations.create(s, ADMIN, cat, slug, Profile(name, country, "ngo", **values))


async def _tie(db, user, role="representative", shown=True, slug="forum-civil"):
    async with db.transaction() as s:
        cat = await catalog.load(s)
        await affiliations.affiliate(s, user["actor"], cat, slug, user_id=user["id"],
                                      shown=shown)  # fmt: skip
        if role == "representative":
            await affiliations.affiliate(s, ADMIN, cat, slug, user_id=user["id"], role=role)


async def test_the_directory_groups_by_region_and_country(db, client):
    await _org(db)
    await _org(db, "jakarta-watch", "Jakarta Watch", "ID")
    await _org(db, "nairobi-voice", "Nairobi Voice", "KE")
    whole = (await client.get("/organisations")).text
    page = whole[whole.index("<section") :]  # after the region filter's options
    assert page.index("Africa") < page.index("Kenya") < page.index("Nairobi Voice")
    assert page.index("Senegal") < page.index("Forum Civil") < page.index("South-East Asia")
    assert page.index("South-East Asia") < page.index("Jakarta Watch")
    only = (await client.get("/organisations?country=ID")).text
    assert "Jakarta Watch" in only and "Forum Civil" not in only
    assert (await client.get("/organisations?region=nowhere")).status_code == 404
    assert (await client.get("/organisations?cursor=bad")).status_code == 422
    assert PHONE not in whole and EMAIL not in whole
    french = (await client.get("/organisations", headers={"Accept-Language": "fr"})).text
    assert "ONG" in french


async def test_a_profile_shows_each_reader_what_they_may_see(db, make, client):
    await _org(db)
    rep, quiet, outsider = await make.user(), await make.user(), await make.user()
    await _tie(db, rep)
    await _tie(db, quiet, role="member", shown=False)
    await make.thread(rep, title="Procurement monitoring in Dakar")
    visitor = (await client.get("/organisations/forum-civil")).text
    assert "Forum Civil" in visitor and "Procurement monitoring in Dakar" in visitor
    assert rep["display_name"] in visitor and quiet["display_name"] not in visitor
    assert PHONE not in visitor and EMAIL not in visitor
    assert "/organisations/forum-civil/edit" not in visitor
    member = await make.logged_in(outsider)
    seen = (await member.get("/organisations/forum-civil")).text
    assert EMAIL in seen and PHONE not in seen and quiet["display_name"] not in seen
    repc = await make.logged_in(rep)
    own = (await repc.get("/organisations/forum-civil")).text
    assert PHONE in own and html.escape(quiet["display_name"]) in own
    assert "/organisations/forum-civil/edit" in own
    assert (await client.get("/organisations/no-such")).status_code == 404
    assert (await client.get("/organisations/Bad_Slug")).status_code == 404


async def test_representatives_edit_through_the_form(db, make, client):
    await _org(db)
    rep, plain = await make.user(), await make.user()
    await _tie(db, rep)
    c = await make.logged_in(rep)
    form = "/organisations/forum-civil/edit"
    page = (await c.get(form)).text
    assert 'value="Forum Civil"' in page and 'name="csrf"' in page
    fields = {"name": "Forum Civil Sénégal", "country": "SN", "kind": "network",
              "website": "https://forumcivil.example.org", "email": EMAIL,
              "email_visibility": "public", "phone": "", "phone_visibility": "private",
              "description": "Watchdog", "languages": "fr, wo",
              "topics": "public-procurement"}  # fmt: skip
    uncac = [("uncac_chapters", "2"), ("uncac_articles", "9"), ("uncac_articles", "13")]
    bad = await submit(c, form, form, [*{**fields, "website": "ftp:x"}.items(), *uncac,
                                       ("uncac_articles", "nine")])  # fmt: skip
    assert bad.status_code == 422
    errors = field_errors(bad.text)
    assert "uncac_articles" in errors
    assert 'value="Forum Civil Sénégal"' in bad.text  # the input kept
    assert 'name="uncac_articles" value="13" checked' in bad.text
    # The API's rules: chapters 1 to 8, articles 1 to 71.
    for wrong in (("uncac_chapters", "9"), ("uncac_articles", "72")):
        bad = await submit(c, form, form, [*fields.items(), wrong])
        assert bad.status_code == 422 and wrong[0] in field_errors(bad.text), wrong
    bad = await submit(c, form, form, {**fields, "country": "ZZ"})
    assert bad.status_code == 422 and "country" in field_errors(bad.text)
    done = await submit(c, form, form, [*fields.items(), *uncac])
    assert done.status_code == 303
    assert done.headers["location"] == "/organisations/forum-civil?saved=profile"
    now = (await c.get("/organisations/forum-civil")).text
    assert "Forum Civil Sénégal" in now and "Watchdog" in now and PHONE not in now
    assert "Chapter II: Preventive measures" in now
    assert "Article 9: Public procurement and management of public finances" in now
    assert "Article 13: Participation of society" in now
    api = (await c.get("/api/v1/organisations/forum-civil")).json()
    assert (api["uncac_chapters"], api["uncac_articles"]) == ([2], [9, 13])
    again = (await c.get(form)).text
    assert 'name="uncac_chapters" value="2" checked' in again
    assert 'name="uncac_articles" value="9" checked' in again
    assert 'name="uncac_articles" value="10" checked' not in again
    french = await client.get("/organisations/forum-civil", headers={"Accept-Language": "fr"})
    french = html.unescape(french.text)
    assert "Chapitre II : Mesures préventives" in french
    assert "Article 13 : Participation de la société" in french
    # Unticking everything clears the specialisation.
    assert (await submit(c, form, form, fields)).status_code == 303
    api = (await c.get("/api/v1/organisations/forum-civil")).json()
    assert (api["uncac_chapters"], api["uncac_articles"]) == ([], [])
    other = await make.logged_in(plain)
    assert (await other.get(form)).status_code == 404
    refused = await submit(other, "/organisations/forum-civil", form, fields)
    assert refused.status_code == 403


async def test_a_member_joins_shows_hides_and_leaves(db, make, client):
    await _org(db)
    user = await make.user()
    c = await make.logged_in(user)
    del c.headers["X-CSRF-Token"]  # as a browser: the form's field only
    profile = "/organisations/forum-civil"
    action = profile + "/affiliation"
    r = await submit(c, profile, action, {"action": "join", "shown": "yes"})
    assert r.status_code == 303
    assert user["display_name"] in (await client.get(profile)).text
    assert PHONE in (await c.get(profile)).text  # now one of the organisation
    await submit(c, profile, action, {"action": "hide"})
    assert user["display_name"] not in (await client.get(profile)).text
    await submit(c, profile, action, {"action": "leave"})
    async with db.transaction() as s:
        assert (await s.execute(select(Affiliation.user_id))).all() == []
    again = await submit(c, profile, action, {"action": "leave"})
    assert again.status_code == 422 and "You are not a member" in html.unescape(again.text)
    visitor = await submit(client, profile, action, {"action": "join"})
    assert visitor.status_code == 401


async def test_a_representative_names_a_colleague_by_name(db, make):
    await _org(db)
    rep, colleague, plain = await make.user(), await make.user(), await make.user()
    await _tie(db, rep)
    await _tie(db, plain, role="member")
    c = await make.logged_in(rep)
    del c.headers["X-CSRF-Token"]  # as a browser: the form's field only
    profile = "/organisations/forum-civil"
    action = profile + "/members"
    unknown = await submit(c, profile, action, {"display_name": "Nobody Here", "role": "member"})
    assert unknown.status_code == 422
    assert "display_name" in field_errors(unknown.text)
    assert 'value="Nobody Here"' in unknown.text
    shouted = colleague["display_name"].upper()  # names match as people read them
    done = await submit(c, profile, action, {"display_name": shouted, "role": "representative"})
    assert done.status_code == 303
    async with db.transaction() as s:
        role = await s.scalar(
            select(Affiliation.role).where(Affiliation.user_id == colleague["id"])
        )
    assert role == "representative"
    other = await make.logged_in(plain)
    assert "/members" not in (await other.get(profile)).text
    refused = await submit(other, profile, action, {"display_name": shouted, "role": "member"})
    assert refused.status_code == 403


async def test_activities_are_added_changed_and_removed_in_the_form(db, make):
    await _org(db)
    rep = await make.user()
    await _tie(db, rep)
    c = await make.logged_in(rep)
    form = "/organisations/forum-civil/edit"
    base = [("name", "Forum Civil"), ("country", "SN"), ("kind", "ngo"),
            ("email_visibility", "members"), ("phone_visibility", "private")]  # fmt: skip

    def row(title, start, end="", what=""):
        return [("activity_title", title), ("activity_started_on", start),
                ("activity_ended_on", end), ("activity_description", what)]  # fmt: skip

    backwards = await submit(c, form, form, base + row("Audit", "2024-05-01", "2023-01-01"))
    assert backwards.status_code == 422 and "activities" in field_errors(backwards.text)
    assert 'value="Audit"' in backwards.text
    bad_date = await submit(c, form, form, base + row("Audit", "May 2024"))
    assert bad_date.status_code == 422 and "activities" in field_errors(bad_date.text)
    fields = base + row("Procurement audit", "2023-01-01", "2023-12-31", "Forty tenders read")
    fields += row("Budget clinic", "2024-02-01") + row("", "")
    assert (await submit(c, form, form, fields)).status_code == 303
    page = (await c.get("/organisations/forum-civil")).text
    assert "Procurement audit" in page and "Forty tenders read" in page
    assert "Budget clinic" in page
    edit = (await c.get(form)).text
    assert 'value="Budget clinic"' in edit and 'value="2023-12-31"' in edit
    fields = base + row("", "2023-01-01") + row("Budget clinic", "2024-02-01")
    assert (await submit(c, form, form, fields)).status_code == 303
    page = (await c.get("/organisations/forum-civil")).text
    assert "Procurement audit" not in page and "Budget clinic" in page


def test_every_uncac_chapter_and_article_the_core_accepts_has_its_name():
    chapters = uncac.chapters("es")
    assert [c.number for c in chapters] == list(UNCAC_CHAPTERS)
    assert [a.number for c in chapters for a in c.articles] == list(UNCAC_ARTICLES)
    assert chapters[4].articles[0].name == "Disposición general"  # article 51, translated
