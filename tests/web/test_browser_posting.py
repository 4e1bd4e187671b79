"""The reply form in a real browser with JavaScript: sent through the API without a
reload, the new post shown once (whether the answer or the live channel brings it first),
a retry after a lost answer posting nothing twice, and Preview shown in place. Uses
Debian's Chromium through Playwright and a real `forum serve`; skipped where missing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright")

from playwright.async_api import Browser, Route, expect

from tests.test_serve import Served
from tests.web.test_browser import (  # noqa: F401 (fixtures)
    LIVE,
    PHONE,
    Watched,
    _thread,
    browser,
    member,
    served,
)


async def test_the_reply_form_posts_without_a_reload_and_the_post_appears_once(
    served: Served,  # noqa: F811 (the fixtures of test_browser)
    browser: Browser,  # noqa: F811
    member: httpx.AsyncClient,  # noqa: F811
) -> None:
    thread_id = await _thread(member)
    context = await browser.new_context(viewport=PHONE)
    await context.add_cookies(
        [{"name": "forum_session", "value": member.cookies["forum_session"], "url": served.url}]
    )
    page = await context.new_page()
    watched = Watched(page)
    await page.goto(f"{served.url}/threads/{thread_id}")
    # The socket is open: the new post will come back live too, and must not double.
    await expect(page.locator("#presence")).to_have_text(re.compile(r"\d"), timeout=LIVE)
    await page.evaluate("window.notReloaded = true")
    form, body = page.locator("form#reply"), page.locator("form#reply textarea[name=body]")

    # Preview: in place, nothing stored.
    await body.fill("A *previewed* reply")
    await form.get_by_role("button", name="Preview").click()
    await expect(form.locator(".preview em")).to_have_text("previewed", timeout=LIVE)
    assert len((await member.get(f"/api/v1/threads/{thread_id}")).json()["posts"]) == 1

    # The first answer is lost on its way back (the server did write the post); the
    # reader sends again, with the same Idempotency-Key: no second post.
    sent: list[dict[str, Any]] = []

    async def lose_the_first_answer(route: Route) -> None:
        sent.append(route.request.headers)
        if len(sent) == 1:
            await route.fetch()
            await route.abort()
        else:
            await route.continue_()

    await page.route(f"**/api/v1/threads/{thread_id}/posts", lose_the_first_answer)
    await body.fill("Sent **without** reloading")
    await form.get_by_role("button", name="Post reply").click()
    await expect(form.locator(".note")).to_have_text(
        "The forum could not be reached. Your text is kept: try again.", timeout=LIVE
    )
    await expect(body).to_have_value("Sent **without** reloading")
    await form.get_by_role("button", name="Post reply").click()
    await expect(form.locator(".note")).to_have_text("Your reply was posted.", timeout=LIVE)
    await expect(body).to_have_value("")

    mine = page.locator("#posts > article.post", has_text="Sent without reloading")
    await expect(mine).to_have_count(1)
    await expect(mine.locator(".body strong")).to_have_text("without")
    await expect(mine.get_by_role("link", name="Edit")).to_be_visible()  # the author's own
    assert len(sent) == 2
    assert sent[0]["idempotency-key"] == sent[1]["idempotency-key"]
    assert sent[0]["x-csrf-token"]  # the API's header, read from the form's field

    # A later reply arrives live after ours: by then ours came back live too, once.
    r = await member.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "Later, by API"})
    assert r.status_code == 201, r.text
    await expect(page.locator("#posts")).to_contain_text("Later, by API", timeout=LIVE)
    await expect(mine).to_have_count(1)
    await expect(page.locator("#posts > article.post")).to_have_count(3)
    posts = (await member.get(f"/api/v1/threads/{thread_id}")).json()["posts"]
    assert [p["body"] for p in posts][1:] == ["Sent **without** reloading", "Later, by API"]

    # An Arabic reply arriving live reads right to left, as it does after a reload.
    r = await member.post(
        f"/api/v1/threads/{thread_id}/posts",
        json={"body": "من يراقب المناقصات العامة؟", "language": "ar"},
    )
    arabic = page.locator(f"#post-{r.json()['id']}")
    await expect(arabic).to_have_attribute("dir", "rtl", timeout=LIVE)
    await expect(arabic).to_have_attribute("lang", "ar")
    assert await arabic.locator(".body").evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert await arabic.locator(".meta").evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert await page.evaluate("window.notReloaded") is True
    assert [e for e in watched.errors if "net::ERR_FAILED" not in e] == []
    assert watched.dialogs == []
    await context.close()


async def test_a_refused_reply_falls_back_to_the_form_post_and_keeps_the_text(
    served: Served,  # noqa: F811 (the fixtures of test_browser)
    browser: Browser,  # noqa: F811
    member: httpx.AsyncClient,  # noqa: F811
) -> None:
    thread_id = await _thread(member)
    context = await browser.new_context(viewport=PHONE)
    await context.add_cookies(
        [{"name": "forum_session", "value": member.cookies["forum_session"], "url": served.url}]
    )
    page = await context.new_page()
    await page.goto(f"{served.url}/threads/{thread_id}")
    too_long = "word " * 14_000  # 70,000 bytes: over the 64 KiB a post may have
    await page.locator("form#reply textarea[name=body]").fill(too_long)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Post reply").click()
    # The API refused it (422); the script sent the form as without JavaScript, and the
    # server's page shows the error next to the field, with the text kept.
    assert page.url == f"{served.url}/threads/{thread_id}/reply"
    await expect(page.locator("#body-error")).to_be_visible()
    await expect(page.locator("textarea[name=body]")).to_have_value(too_long)
    assert len((await member.get(f"/api/v1/threads/{thread_id}")).json()["posts"]) == 1
    await context.close()
