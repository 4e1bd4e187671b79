"""The interface language: the member's setting, else the switcher's choice, else
Accept-Language, else English; dates, numbers and plurals as the locale writes them."""

from __future__ import annotations

import re

from tests.pages import submit, token_in


async def test_accept_language_picks_the_interface(make, client):
    await make.thread()
    french = await client.get("/", headers={"Accept-Language": "de-DE,fr;q=0.8,en;q=0.5"})
    assert '<html lang="fr"' in french.text and "Dernières discussions" in french.text
    spanish = await client.get("/", headers={"Accept-Language": "es-MX"})
    assert '<html lang="es"' in spanish.text and "Últimos debates" in spanish.text
    unknown = await client.get("/", headers={"Accept-Language": "sw, zz;q=0.9"})
    assert '<html lang="en"' in unknown.text and "Latest discussions" in unknown.text


async def test_switcher_keeps_a_visitors_choice(make, client):
    started = await make.thread()
    here = f"/threads/{started['thread']['id']}"
    chosen = await submit(client, here, "/language", {"language": "es", "next": here})
    assert chosen.status_code == 303 and chosen.headers["location"] == here
    page = await client.get(here, headers={"Accept-Language": "fr"})
    assert '<html lang="es"' in page.text  # the choice wins over the browser's header
    # Only paths of this site are followed afterwards.
    away = await submit(client, here, "/language", {"language": "fr", "next": "//evil.example/"})
    assert away.headers["location"] == "/"
    unknown = await submit(client, "/", "/language", {"language": "xx", "next": "/"})
    assert unknown.status_code == 303
    assert '<html lang="fr"' in (await client.get("/")).text


async def test_switcher_refuses_a_form_without_its_token(client):
    await client.get("/")
    refused = await client.post(
        "/language", data={"language": "fr", "next": "/"}, headers={"Origin": "http://testserver"}
    )
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]
    assert "forum_language" not in refused.headers.get("set-cookie", "")
    forged = await client.post("/language", data={"csrf": "x" * 40, "language": "fr"})
    assert forged.status_code == 403


async def test_a_token_is_tied_to_its_browser(client, app):
    from tests.factories import client as new_client

    token = token_in((await client.get("/")).text)
    async with new_client(app) as stranger:
        await stranger.get("/")  # has a form cookie of its own
        refused = await stranger.post("/language", data={"csrf": token, "language": "fr"})
    assert refused.status_code == 403


async def test_members_setting_wins(make):
    member = await make.logged_in(await make.user(language="es"))
    page = await member.get("/", headers={"Accept-Language": "fr"})
    assert '<html lang="es"' in page.text
    assert "Cerrar sesión" in page.text  # the member's header, in Spanish
    assert 'action="/language"' not in page.text  # members choose in their settings


async def test_dates_numbers_and_plurals_follow_the_locale(make, client):
    started = await make.thread()
    tid = started["thread"]["id"]
    await make.reply(tid)
    french = (await client.get("/", headers={"Accept-Language": "fr"})).text
    assert "1 réponse" in french
    await make.reply(tid)
    french = (await client.get("/", headers={"Accept-Language": "fr"})).text
    assert "2 réponses" in french
    english = (await client.get("/")).text
    assert "2 replies" in english
    thread = (await client.get(f"/threads/{tid}", headers={"Accept-Language": "fr"})).text
    month = r"(janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\.?"
    assert re.search(rf"\d{{1,2}} {month} \d{{4}}, \d{{2}}:\d{{2}} UTC", thread)


async def test_error_pages_speak_the_readers_language(client):
    missing = await client.get("/regions/atlantis", headers={"Accept-Language": "fr"})
    assert missing.status_code == 404 and "Introuvable" in missing.text
    nowhere = await client.get("/no/such/page", headers={"Accept-Language": "es"})
    assert nowhere.status_code == 404 and "No encontrado" in nowhere.text
    api = await client.get("/api/v1/no/such/thing")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
