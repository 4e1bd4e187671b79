"""The world map (`/map`): server-drawn SVG, each country of the forum a named link shaded by
the stage its UNCAC review reached in the chosen cycle, a legend and a table of the same
facts, a view per region, in the reader's language, small enough to send to anyone, and
nothing of a region the reader may not read."""

from __future__ import annotations

import asyncio
import gzip
import html
import re

from sqlalchemy import text

from forum.models import Role
from tests.web import browsers
from web import map as world_map

# The legend's shades, in the review's order: cat-0 self-assessment ... cat-4 follow-up,
# cat-5 no stage reached yet.
NONE, VISIT, FULL_REPORT = "cat-5", "cat-1", "cat-3"

SHAPE = re.compile(r'<a href="/countries/(\w\w)" class="(cat-\d)"><title>([^<]*)</title><path d=')


def _links(page: str) -> dict[str, tuple[str, str]]:
    """Code -> (shade, accessible name) of each country the map makes a link."""
    return {code: (shade, html.unescape(name)) for code, shade, name in SHAPE.findall(page)}


def _view_box(page: str) -> str:
    found = re.search(r'<svg class="map" viewBox="([^"]+)"', page)
    assert found
    return found.group(1)


def _table(page: str) -> list[tuple[str, str, str]]:
    """(country, region, stage reached) per row."""
    body = page.split('<table class="map-table">', 1)[1]
    return [
        tuple(html.unescape(cell) for cell in row)
        for row in re.findall(
            r'<th scope="row"><a href="/countries/\w\w">([^<]*)</a></th><td>([^<]*)</td>'
            r'<td><span class="swatch cat-\d" aria-hidden="true"></span>([^<]*)</td>',
            body,
        )
    ]


async def _review(make, code: str, cycle: int, stages: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    editor = await make.logged_in(await make.user(Role.ADMIN))
    r = await editor.put(f"/api/v1/countries/{code}/reviews/{cycle}",
                         json={"stages": stages, "reviewers": [], "facts": {}})  # fmt: skip
    assert r.status_code == 200, r.text


def test_the_asset_is_small_and_has_every_country_by_its_alpha_2_code():
    raw = world_map.WORLD.read_bytes()
    assert len(gzip.compress(raw, 9)) < 100_000
    shapes = world_map.world().shapes
    codes = [s.code for s in shapes]
    assert len(codes) == len(set(codes)) > 170
    assert {"KE", "SN", "ID", "FR", "BR", "XK"} <= set(codes)
    assert all(re.fullmatch(r"[A-Z]{2}", c) for c in codes)
    assert all(re.fullmatch(r"(M[-\d. ]+l[-\d. ]*z)+", s.d) for s in shapes)
    w = world_map.world()
    assert all(0 <= s.box[0] <= s.box[2] <= w.width and 0 <= s.box[1] <= s.box[3] <= w.height
               for s in shapes)  # fmt: skip


async def test_each_country_is_a_link_named_and_shaded_by_its_reviews_stage(client, make):
    await _review(make, "KE", 2, {"self_assessment": "2016-05-01", "country_visit": "2017-02-01"})
    await _review(make, "SN", 1, {"self_assessment": "2011-01-10", "full_report": "2013-06-01",
                                  "follow_up": "2099-01-01"})  # fmt: skip
    r = await client.get("/map")  # the latest cycle, the second
    assert r.status_code == 200
    page = r.text
    assert _links(page) == {
        "SN": (NONE, "Senegal"),  # nothing in this cycle
        "KE": (VISIT, "Kenya"),
        "ID": (NONE, "Indonesia"),
    }
    assert _view_box(page).startswith("0 0 1000 ")
    # The rest of the world is plain land: no link, no name, hidden from screen readers.
    assert page.count('<path class="land" d=') == len(world_map.world().shapes) - 3
    assert re.search(r'<span class="swatch cat-1" aria-hidden="true"></span>Country visit or '
                     r"joint meeting</li>", page)  # fmt: skip
    assert re.search(r'<span class="swatch cat-5" aria-hidden="true"></span>No stage reached', page)
    assert _table(page) == [
        ("Kenya", "Africa", "Country visit or joint meeting"),
        ("Senegal", "Africa", "No stage reached yet"),
        ("Indonesia", "South-East Asia", "No stage reached yet"),
    ]
    assert "cycle 2" in page and 'aria-current="page">Cycle 2 (chapters II, V)' in page
    # The first cycle: Senegal's full report (its follow-up's date is still ahead).
    page = (await client.get("/map", params={"cycle": "1"})).text
    assert _links(page)["SN"] == (FULL_REPORT, "Senegal") and _links(page)["KE"][0] == NONE
    assert "style=" not in page and "<script" not in page.split("<main", 1)[1]
    assert 'href="/map?cycle=1&amp;region=africa"' in page
    assert "region=staff-room" not in page
    assert 'href="/map"' in (await client.get("/countries")).text


async def test_unknown_and_bad_cycles_say_so(client):
    assert (await client.get("/map", params={"cycle": "7"})).status_code == 422
    assert (await client.get("/map", params={"cycle": "x"})).status_code == 422


async def test_the_page_travels_gzip_encoded_under_100_kb(client):
    async with client.stream("GET", "/map", headers={"Accept-Encoding": "gzip"}) as r:
        wire = b"".join([chunk async for chunk in r.aiter_raw()])
    assert r.headers["content-encoding"] == "gzip"
    assert len(wire) < 100_000
    assert gzip.decompress(wire).count(b"<path ") == len(world_map.world().shapes)


async def test_in_french_and_spanish_the_names_are_the_readers(client, make):
    page = (await client.get("/map", headers={"Accept-Language": "fr"})).text
    assert _links(page) == {
        "SN": (NONE, "Sénégal"),
        "KE": (NONE, "Kenya"),
        "ID": (NONE, "Indonésie"),
    }
    assert "<h1>Carte du monde</h1>" in page
    assert _table(page)[0:2] == [
        ("Kenya", "Africa", "Aucune étape franchie pour l'instant"),
        ("Sénégal", "Africa", "Aucune étape franchie pour l'instant"),
    ]
    member = await make.logged_in(await make.user(language="es"))
    page = (await member.get("/map")).text
    assert _links(page)["ID"] == (NONE, "Indonesia") and _links(page)["SN"][1] == "Senegal"
    assert "<h1>Mapa del mundo</h1>" in page


async def test_a_region_view_crops_the_map_to_its_countries(client):
    page = (await client.get("/map", params={"region": "south-east-asia"})).text
    assert _links(page) == {"ID": (NONE, "Indonesia")}
    assert _table(page) == [("Indonesia", "South-East Asia", "No stage reached yet")]
    x, y, w, h = (float(n) for n in _view_box(page).split())
    indonesia = next(s for s in world_map.world().shapes if s.code == "ID").box
    assert x <= indonesia[0] and y <= indonesia[1]
    assert indonesia[2] <= x + w and indonesia[3] <= y + h
    assert w < 200  # a region's part of a 1000-unit world
    assert '<path class="land" d=' in page  # Kenya, unnamed
    assert ">Map: South-East Asia<" in page and 'aria-current="page">South-East Asia' in page


async def test_unknown_private_and_bad_regions_change_nothing_and_say_not_found(client):
    for slug in ("atlantis", "staff-room"):
        r = await client.get("/map", params={"region": slug})
        assert r.status_code == 404, slug
        assert "Members" not in r.text
    r = await client.get("/map", params={"region": "x" * 65})
    assert r.status_code == 422


async def test_a_members_only_region_is_on_the_map_for_members_only(make, db, client):
    async with db.transaction() as s:
        await s.execute(
            text("INSERT INTO regions (slug, name, visibility) "
                 "VALUES ('canary-vault', 'Canaryvault', 'members')")
        )  # fmt: skip
        await s.execute(
            text("INSERT INTO countries (code, name, region_id) "
                 "SELECT 'GL', 'Canaryland', id FROM regions WHERE slug = 'canary-vault'")
        )  # fmt: skip
    member = await make.logged_in()
    for _ in range(200):  # the app's catalog takes the change in from its event
        if "GL" in _links((await member.get("/map")).text):
            break
        await asyncio.sleep(0.05)
    page = (await member.get("/map")).text
    assert _links(page)["GL"][1] == "Greenland"  # the reader's language names it
    assert ("Greenland", "Canaryvault", "No stage reached yet") in _table(page)
    assert (await member.get("/map", params={"region": "canary-vault"})).status_code == 200

    page = (await client.get("/map")).text  # a visitor
    assert "GL" not in _links(page) and len(_links(page)) == 3
    assert "anary" not in page and "Greenland" not in page
    r = await client.get("/map", params={"region": "canary-vault"})
    assert r.status_code == 404 and "Canaryvault" not in r.text and "Greenland" not in r.text


async def test_a_keyboard_reaches_a_country_and_sees_where_it_is(browser, served):
    context = await browsers.new_context(browser, served, locale="fr")
    page = await context.new_page()
    await page.goto(served.url + "/map")
    for _ in range(120):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.closest('svg.map') !== null"):
            break
    else:
        raise AssertionError("Tab never reached a country of the map")
    focused = await page.evaluate(
        "[document.activeElement.getAttribute('href'),"
        " getComputedStyle(document.activeElement.querySelector('path')).fill,"
        " getComputedStyle(document.activeElement.querySelector('path')).stroke]"
    )
    assert focused[0].startswith("/countries/")
    assert focused[1:] == ["rgb(18, 53, 91)", "rgb(255, 210, 77)"]  # the focus shows
    await page.keyboard.press("Enter")
    await page.wait_for_url(served.url + focused[0])
    await context.close()


async def test_without_javascript_each_country_is_a_link_by_its_name(browser, served):
    context = await browsers.new_context(browser, served, locale="fr", javascript=False)
    page = await context.new_page()
    await page.goto(served.url + "/map")
    for name, code in (("Sénégal", "SN"), ("Kenya", "KE"), ("Indonésie", "ID")):
        links = page.locator("svg.map").get_by_role("link", name=name, exact=True)
        assert await links.get_attribute("href") == f"/countries/{code}"
    assert await page.locator("svg.map a").count() == 3
    await context.close()
