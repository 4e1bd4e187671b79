"""A thread page in a real browser: live updates over the websocket, shown as a reader sees
them, and the same page with JavaScript off. Uses Debian's Chromium through Playwright and
a real `forum serve` process; skipped where either is missing."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import Served
from tests.web.browsers import PHONE, register, skip_without_chromium

skip_without_chromium()

from playwright.async_api import Browser, Page, WebSocketRoute, expect  # noqa: E402

LIVE = 5_000  # ms: how soon a reader must see a change without reloading
SCREENSHOT = Path("/tmp/thread-live.png")


@pytest.fixture
async def member(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in member of the forum talking to the API, sending its CSRF token."""
    registered = await register(served, email="live@example.org", name="<b>bold</b>")
    yield registered.api
    await registered.api.aclose()


async def _thread(api: httpx.AsyncClient, title: str = "Live procurement watch") -> int:
    r = await api.post(
        "/api/v1/threads",
        json={
            "region": "africa",
            "topic": "public-procurement",
            "title": title,
            "body": "Who audits the **tenders**?",
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["thread"]["id"])


async def _reply(api: httpx.AsyncClient, thread_id: int, body: str) -> dict[str, Any]:
    r = await api.post(f"/api/v1/threads/{thread_id}/posts", json={"body": body})
    assert r.status_code == 201, r.text
    return r.json()


class Watched:
    """A page with every dialog and script error it raises recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()


async def test_live_thread_page_shows_replies_edits_and_deletions_as_text(
    served: Served, browser: Browser, member: httpx.AsyncClient
) -> None:
    thread_id = await _thread(member)
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    watched = Watched(page)

    # A reply written after the page was rendered but before its socket is open still
    # arrives: the page resumes from the cursor it was rendered at.
    async def late_script(route: Any) -> None:
        await _reply(member, thread_id, "Written while the script was on its way")
        await route.continue_()

    await page.route("**/static/forum.js*", late_script)
    await page.goto(f"{served.url}/threads/{thread_id}")
    await page.unroute("**/static/forum.js*")
    await page.evaluate("window.notReloaded = true")
    await expect(page.locator("#posts")).to_contain_text(
        "Written while the script was on its way", timeout=LIVE
    )
    await expect(page.locator("#presence")).to_have_text(
        re.compile(r"^Reading now: [1-9]\d*$"), timeout=LIVE
    )

    hostile = "Tender 7 was rigged <img src=x onerror=alert(1)>"
    post = await _reply(member, thread_id, hostile)
    article = page.locator(f"article#post-{post['id']}")
    await expect(article.locator(".body")).to_contain_text(hostile, timeout=LIVE)
    await expect(article.locator(".meta")).to_contain_text(f"#{post['position']} · <b>bold</b>")
    assert await article.locator("img, b").count() == 0
    assert await article.get_attribute("class") == "post fresh"

    r = await member.patch(f"/api/v1/posts/{post['id']}", json={"body": "Tender 7: *corrected*"})
    assert r.status_code == 200, r.text
    await expect(article.locator(".body")).to_have_text("Tender 7: corrected", timeout=LIVE)
    await expect(article.locator(".body em")).to_have_text("corrected")
    await expect(article.locator(".meta")).to_contain_text("edited")
    await page.screenshot(path=str(SCREENSHOT), full_page=True)

    first_reply = await _reply(member, thread_id, "This one will be withdrawn")
    withdrawn = page.locator(f"article#post-{first_reply['id']}")
    await expect(withdrawn).to_contain_text("This one will be withdrawn", timeout=LIVE)
    r = await member.delete(f"/api/v1/posts/{first_reply['id']}")
    assert r.status_code == 200, r.text
    await expect(withdrawn.locator("p.gone")).to_have_text("This post was deleted.", timeout=LIVE)
    await expect(withdrawn).not_to_contain_text("withdrawn")

    articles = page.locator("#posts > article.post")
    assert await articles.count() == 4  # no duplicates
    assert await page.evaluate("window.notReloaded") is True
    # What arrived live reads exactly as the server renders it.
    live = await articles.all_inner_texts()
    await page.reload()
    assert await articles.all_inner_texts() == live
    assert watched.dialogs == [] and watched.errors == []
    await context.close()


async def test_a_closed_socket_reconnects_and_resumes_from_the_last_event(
    served: Served, browser: Browser, member: httpx.AsyncClient
) -> None:
    thread_id = await _thread(member)
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    watched = Watched(page)
    sockets: list[WebSocketRoute] = []
    subscribes: list[dict[str, Any]] = []

    def through(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        sockets.append(ws)

        def sent(message: str | bytes) -> None:
            subscribes.append(json.loads(message))
            server.send(message)

        ws.on_message(sent)

    await page.route_web_socket(re.compile(r"/ws$"), through)
    await page.goto(f"{served.url}/threads/{thread_id}")
    reply = await _reply(member, thread_id, "Seen live")
    await expect(page.locator(f"#post-{reply['id']}")).to_contain_text("Seen live", timeout=LIVE)

    # The server's "too slow" close: the page comes back and asks for what it missed.
    await sockets[0].close(code=4008, reason="too slow: resume with since")
    missed = await _reply(member, thread_id, "Written while disconnected")
    await expect(page.locator(f"#post-{missed['id']}")).to_contain_text(
        "Written while disconnected", timeout=LIVE
    )
    assert len(sockets) == 2
    first, again = subscribes[0], subscribes[-1]
    assert first["op"] == again["op"] == "subscribe"
    assert again["channels"] == [f"thread:{thread_id}"]
    assert again["since"] != first["since"]  # resumed from the last event seen, not the page

    # A tab in the background does not reconnect (data costs money); back in view, it does.
    await _set_hidden(page, True)
    await sockets[1].close(code=1001)
    unseen = await _reply(member, thread_id, "Written while in the background")
    await asyncio.sleep(2.5)  # past the first backoff step
    assert len(sockets) == 2
    await _set_hidden(page, False)
    await expect(page.locator(f"#post-{unseen['id']}")).to_contain_text(
        "Written while in the background", timeout=LIVE
    )
    assert len(sockets) == 3
    assert watched.dialogs == [] and watched.errors == []
    await context.close()


async def _set_hidden(page: Page, hidden: bool) -> None:
    await page.evaluate(
        """hidden => {
            Object.defineProperty(document, "hidden", {value: hidden, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


async def test_thread_page_works_without_javascript(
    served: Served, browser: Browser, member: httpx.AsyncClient
) -> None:
    thread_id = await _thread(member, "Asset declarations <script>alert(2)</script>")
    await _reply(member, thread_id, "A reply <img src=x onerror=alert(3)>")
    context = await browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = await context.new_page()
    watched = Watched(page)

    response = await page.goto(f"{served.url}/threads/{thread_id}")
    assert response is not None and response.status == 200
    await expect(page.locator("h1")).to_have_text("Asset declarations <script>alert(2)</script>")
    posts = page.locator("#posts > article.post")
    await expect(posts).to_have_count(2)
    await expect(posts.nth(0).locator(".body strong")).to_have_text("tenders")
    await expect(posts.nth(1).locator(".body")).to_have_text("A reply <img src=x onerror=alert(3)>")
    await expect(page.locator("#presence")).to_be_hidden()
    assert watched.dialogs == [] and watched.errors == []
    await context.close()


async def test_a_page_whose_reader_logs_out_elsewhere_stops_showing_members_only_posts(
    served: Served, browser: Browser, member: httpx.AsyncClient
) -> None:
    r = await member.post(
        "/api/v1/threads",
        json={"region": "staff-room", "topic": "public-procurement", "title": "Members only",
              "body": "The names of the witnesses"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    url = f"{served.url}/threads/{r.json()['thread']['id']}"
    context = await browser.new_context(viewport=PHONE)
    await context.add_cookies(
        [{"name": "forum_session", "value": member.cookies["forum_session"], "url": served.url}]
    )
    page = await context.new_page()
    watched = Watched(page)
    await page.goto(url)
    await expect(page.locator("#posts")).to_contain_text("The names of the witnesses")
    await expect(page.locator("#presence")).to_have_text(
        re.compile(r"^Reading now: [1-9]\d*$"), timeout=LIVE
    )
    await page.evaluate("window.notReloaded = true")

    # Logged out in another tab (the same session): the socket is closed (4401), the
    # script reconnects as a visitor, is refused the thread, and reloads the page.
    r = await member.post("/api/v1/auth/logout")
    assert r.status_code == 200, r.text
    await expect(page.locator("body")).not_to_contain_text(
        "The names of the witnesses", timeout=2 * LIVE
    )
    assert await page.evaluate("window.notReloaded") is None
    await expect(page.locator("#posts")).to_have_count(0)
    assert [e for e in watched.errors if "404" not in e] == []
    assert f"404 {url}" in watched.errors
    assert watched.dialogs == []
    await context.close()
