"""What a person does in a browser, end to end, against a real `forum serve`: keyboard
only, two members on one thread (with and without JavaScript), a French browser, Arabic
text, and the unread markers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import asyncpg
import pytest

from tests import servers
from tests.web import browsers

if TYPE_CHECKING:
    from playwright.async_api import Page

LIVE = 5_000  # ms: how soon a change must show without reloading


@pytest.fixture(scope="module", autouse=True)
def _needs_chromium() -> None:
    browsers.skip_without_chromium()


async def tab_to(page: Page, selector: str, presses: int = 80) -> None:
    """Press Tab until the element `selector` names has the focus, as a keyboard user
    moves through a page; fails if it is never reached."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def choose_by_keyboard(page: Page, selector: str, value: str) -> None:
    """Move a focused <select> to `value` with the arrow keys."""
    await tab_to(page, selector)
    for _ in range(40):
        if await page.evaluate("s => document.querySelector(s).value", selector) == value:
            return
        await page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value} is not among the choices of {selector}")


async def test_keyboard_only_register_start_a_thread_and_reply(browser, module_served):
    context = await browsers.new_context(browser, module_served)
    page = await context.new_page()
    await page.goto(module_served.url + "/register")
    await page.keyboard.press("Tab")  # the first stop is the skip link
    assert await page.evaluate("document.activeElement.className") == "skip"

    await tab_to(page, "#display_name")
    await page.keyboard.type("Keyboard Person")
    await tab_to(page, "#email")
    await page.keyboard.type("keyboard@example.org")
    await tab_to(page, "#password")
    await page.keyboard.type(browsers.PASSWORD)
    await tab_to(page, 'form[action="/register"] button')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await page.locator('header a[href="/settings"]').inner_text() == "Keyboard Person"
    # A new account applies (test_browser_membership.py has the whole way in); the
    # operator admits it.
    assert page.url.endswith("/apply")
    await choose_by_keyboard(page, "#country", "SN")
    await tab_to(page, "#organisation_name")
    await page.keyboard.type("Keyboard Watch")
    await tab_to(page, "#motivation")
    await page.keyboard.type("I monitor procurement in Senegal.")
    await tab_to(page, 'form[action="/apply"] button')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert page.url.endswith("/apply?sent=1")
    await servers.admit(module_served, "keyboard@example.org")
    await page.goto(module_served.url + "/")

    await tab_to(page, 'a[href="/threads/new"]')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await choose_by_keyboard(page, "#region", "africa")
    await choose_by_keyboard(page, "#topic", "public-procurement")
    await tab_to(page, "#title")
    await page.keyboard.type("Typed without a mouse")
    await tab_to(page, "#body")
    await page.keyboard.type("A first post, written with the keyboard alone.")
    await tab_to(page, "form.markdown button:not([name])")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert re.search(r"/threads/\d+", page.url)
    assert await page.locator("h1").inner_text() == "Typed without a mouse"

    await tab_to(page, "#reply #body")
    await page.keyboard.type("And a reply, still without a mouse.")
    await tab_to(page, "#reply button:not([name])")
    await page.keyboard.press("Enter")
    reply = page.locator("article.post", has_text="still without a mouse")
    await reply.wait_for(timeout=LIVE)
    assert await reply.count() == 1
    await context.close()


async def _thread_by(member: browsers.Member, title: str = "Two readers") -> int:
    r = await member.api.post(
        "/api/v1/threads",
        json={"region": "africa", "topic": "public-procurement", "title": title,
              "body": "Who has seen the new tender rules?"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["thread"]["id"])


async def test_one_member_replies_through_the_form_the_other_sees_it_live(browser, module_served):
    async with (
        browsers.member_context(browser, module_served) as (writing, writer),
        browsers.member_context(browser, module_served) as (reading, _),
    ):
        thread = f"{module_served.url}/threads/{await _thread_by(writer)}"
        mine, theirs = await writing.new_page(), await reading.new_page()
        await mine.goto(thread)
        await theirs.goto(thread)
        await theirs.evaluate("window.notReloaded = true")
        await mine.fill("#reply #body", "Seen from the other browser, *live*.")
        await mine.click("#reply button:not([name])")
        arrived = theirs.locator("article.post", has_text="Seen from the other browser")
        await arrived.wait_for(timeout=LIVE)
        assert await arrived.locator("em").inner_text() == "live"
        assert await theirs.evaluate("window.notReloaded") is True
        # The writer's page shows it once, and cleared the form for the next reply.
        await mine.locator("article.post", has_text="Seen from the other").wait_for()
        assert await mine.locator("article.post", has_text="Seen from the other").count() == 1
        assert await mine.input_value("#reply #body") == ""


async def test_without_javascript_forms_post_and_redirect(browser, module_served):
    async with (
        browsers.member_context(browser, module_served, javascript=False) as (writing, writer),
        browsers.member_context(browser, module_served, javascript=False) as (reading, _),
    ):
        thread = f"{module_served.url}/threads/{await _thread_by(writer)}"
        mine, theirs = await writing.new_page(), await reading.new_page()
        await theirs.goto(thread)
        await mine.goto(thread)

        await mine.fill("#reply #body", "Checked **before** sending")
        async with mine.expect_navigation():
            await mine.click("#reply button[name=preview]")
        preview = mine.locator("section.preview")
        assert await preview.locator("strong").inner_text() == "before"
        assert await mine.input_value("#reply #body") == "Checked **before** sending"
        assert await mine.locator("article.post", has_text="Checked").count() == 0

        async with mine.expect_navigation():
            await mine.click("#reply button:not([name])")
        # Post/Redirect/Get: the thread page at the new post, reloading sends nothing.
        assert re.search(r"/threads/\d+(\?cursor=[^#]+)?#post-\d+$", mine.url)
        assert await mine.locator("article.post", has_text="Checked before sending").count() == 1
        await mine.reload()
        assert await mine.locator("article.post", has_text="Checked before sending").count() == 1

        await theirs.reload()
        assert await theirs.locator("article.post", has_text="Checked before sending").count() == 1


async def test_a_french_browser_gets_the_french_interface_and_dates(browser, module_served):
    async with browsers.member_context(browser, module_served) as (_, writer):
        thread = f"{module_served.url}/threads/{await _thread_by(writer)}"
    month = r"(janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\.?"
    for javascript in (True, False):
        context = await browsers.new_context(
            browser, module_served, locale="fr", javascript=javascript
        )
        page = await context.new_page()
        await page.goto(thread)
        assert await page.get_attribute("html", "lang") == "fr"
        sections = await page.locator("header nav a").all_inner_texts()
        assert {"Régions", "Thèmes", "Pays"} <= set(sections), sections
        when = await page.locator("article.post time").first.inner_text()
        # The server writes the date in UTC; the script, in the reader's own time zone.
        suffix = r" UTC" if not javascript else ""
        assert re.fullmatch(rf"\d{{1,2}} {month} \d{{4}}( à|,) \d{{2}}:\d{{2}}{suffix}", when)
        await context.close()


async def test_an_arabic_post_reads_right_to_left_in_a_left_to_right_page(browser, module_served):
    async with browsers.member_context(browser, module_served) as (context, member):
        tid = await _thread_by(member)
        arabic = "نحن نراقب المناقصات العامة في بلدنا منذ سنوات ونشارك ما تعلمناه هنا"
        r = await member.api.post(f"/api/v1/threads/{tid}/posts", json={"body": arabic})
        assert r.status_code == 201
        page = await context.new_page()
        await page.goto(f"{module_served.url}/threads/{tid}")
        post = page.locator("article.post", has_text=arabic[:20])
        direction = "e => getComputedStyle(e).direction"
        assert await page.evaluate("getComputedStyle(document.body).direction") == "ltr"
        assert await post.locator(".body").evaluate(direction) == "rtl"
        assert await post.locator(".meta").evaluate(direction) == "ltr"
        assert await post.get_attribute("lang") == "ar"


async def test_unread_markers_appear_and_clear(browser, module_served):
    async with (
        browsers.member_context(browser, module_served) as (context, _),
        browsers.member_context(browser, module_served) as (_, writer),
    ):
        tid = await _thread_by(writer, "Markers thread")
        page = await context.new_page()
        region = f"{module_served.url}/regions/africa"
        row = page.locator("li.thread", has_text="Markers thread")

        await page.goto(region)
        assert await row.locator(".tag.new").inner_text() == "new"  # never opened
        await page.goto(f"{module_served.url}/threads/{tid}")
        await page.goto(region)
        assert await row.locator(".tag.new").count() == 0

        replies = []
        for n in range(3):
            r = await writer.api.post(
                f"/api/v1/threads/{tid}/posts", json={"body": f"News number {n}"}
            )
            replies.append(r.json()["id"])
        await page.reload()
        assert await row.locator(".tag.new").inner_text() == "3 new"
        async with page.expect_navigation():
            await row.locator("a").first.click()
        assert page.url.endswith(f"#post-{replies[0]}")  # opened at the first unread post
        await page.locator("#new").wait_for()  # "New since your last visit"

        # A post that arrives while the thread is open is read too (the script tells the
        # forum once the burst is over).
        reported = page.expect_response(lambda r: r.url.endswith(f"/threads/{tid}/read"))
        async with reported as read:
            await writer.api.post(f"/api/v1/threads/{tid}/posts", json={"body": "Seen live"})
            await page.locator("article.post", has_text="Seen live").wait_for(timeout=LIVE)
        assert (await read.value).ok
        await page.goto(region)
        assert await row.locator(".tag.new").count() == 0


async def _make_moderator(served, member: browsers.Member, region: str = "africa") -> None:
    """As an admin's assignment would: the moderator role and one region."""
    operator = await asyncpg.connect(served.env["FORUM_DATABASE_URL"])
    try:
        await operator.execute("UPDATE users SET role = 'moderator' WHERE id = $1",
                               member.user_id)  # fmt: skip
        await operator.execute(
            "INSERT INTO moderated_regions SELECT $1, id FROM regions WHERE slug = $2",
            member.user_id, region,
        )  # fmt: skip
    finally:
        await operator.close()


async def test_a_moderator_locks_a_thread_and_the_reply_form_leaves_an_open_page(
    browser, module_served
):
    async with (
        browsers.member_context(browser, module_served) as (moderating, moderator),
        browsers.member_context(browser, module_served) as (reading, reader),
    ):
        await _make_moderator(module_served, moderator)
        thread = f"{module_served.url}/threads/{await _thread_by(reader)}"
        theirs, mine = await reading.new_page(), await moderating.new_page()
        await theirs.goto(thread)
        await theirs.evaluate("window.notReloaded = true")
        assert await theirs.locator("#reply").count() == 1
        assert await theirs.locator("form.moderation").count() == 0
        await mine.goto(thread)
        async with mine.expect_navigation():
            await mine.click('form.moderation button[value="lock"]')
        assert mine.url == thread
        assert await mine.locator('form.moderation button[value="unlock"]').count() == 1
        await theirs.locator("#reply").wait_for(state="detached", timeout=LIVE)
        await theirs.locator("#locked").wait_for(state="visible", timeout=LIVE)
        assert await theirs.evaluate("window.notReloaded") is True
        # Unlocked: the reader is told to reload for the form.
        async with mine.expect_navigation():
            await mine.click('form.moderation button[value="unlock"]')
        await theirs.locator("#locked", has_text="reload").wait_for(timeout=LIVE)
