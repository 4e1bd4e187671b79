"""A moderator's thread page in a real browser: a post that arrives live carries the same
moderator controls as one the page rendered (the server puts them in the page's template
for those who may use them), and they work."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.servers import Served
from tests.web import browsers
from tests.web.browsers import Member, new_context, register

browsers.skip_without_chromium()

from playwright.async_api import Browser, Locator, expect  # noqa: E402

LIVE = 5_000  # ms


@pytest.fixture
async def people(served: Served) -> AsyncIterator[tuple[Member, Member]]:
    """A member who writes, and a moderator of Africa."""
    writer, moderator = await register(served), await register(served)
    db = await asyncpg.connect(served.env["FORUM_DATABASE_URL"])
    try:
        await db.execute("UPDATE users SET role = 'moderator' WHERE id = $1", moderator.user_id)
        await db.execute("INSERT INTO moderated_regions SELECT $1, id FROM regions "
                         "WHERE slug = 'africa'", moderator.user_id)  # fmt: skip
    finally:
        await db.close()
    yield writer, moderator
    for m in (writer, moderator):
        await m.api.aclose()


async def _buttons(article: Locator) -> list[str]:
    return await article.locator("form.moderation button[name=do]").evaluate_all(
        "bs => bs.map(b => b.value)"
    )


async def test_a_live_post_carries_the_moderator_controls_a_reload_shows(
    served: Served, browser: Browser, people: tuple[Member, Member]
) -> None:
    writer, moderator = people
    thread_id = await browsers.thread_with_posts([writer], 1)
    context = await new_context(browser, served, member=moderator)
    page = await context.new_page()
    await page.goto(f"{served.url}/threads/{thread_id}")
    await page.evaluate("window.notReloaded = true")
    r = await writer.api.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "Live one"})
    assert r.status_code == 201, r.text
    post_id = r.json()["id"]
    article = page.locator(f"article#post-{post_id}")
    await expect(article.locator(".body")).to_have_text("Live one", timeout=LIVE)
    form = article.locator("form.moderation")
    assert await form.get_attribute("action") == f"/posts/{post_id}/moderate"
    assert await _buttons(article) == ["hide", "delete"]
    await expect(article.locator(f"label[for=reason-p{post_id}]")).to_have_count(1)
    # Hidden by another moderator meanwhile: the controls follow the post's state.
    r = await moderator.api.post(f"/api/v1/posts/{post_id}/hide")
    assert r.status_code == 200, r.text
    await expect(article.locator("form.moderation button[value=show]")).to_have_count(
        1, timeout=LIVE
    )
    assert await _buttons(article) == ["show", "delete"]
    assert await page.evaluate("window.notReloaded") is True
    live = await form.inner_text()
    # The controls work, with a reason; and read after a reload as they did live.
    await article.locator("details.reason summary").click()
    await page.fill(f"#reason-p{post_id}", "Back after review")
    async with page.expect_navigation():
        await article.locator("button[value=show]").click()
    await expect(article.locator(".hidden-mark")).to_have_count(0)
    assert await _buttons(article) == ["hide", "delete"]
    r = await moderator.api.get("/api/v1/audit")
    assert r.json()["entries"][0]["reason"] == "Back after review"
    await page.goto(f"{served.url}/threads/{thread_id}")
    r = await moderator.api.post(f"/api/v1/posts/{post_id}/hide")
    assert r.status_code == 200, r.text
    await page.reload()
    assert await article.locator("form.moderation").inner_text() == live
    await context.close()


async def test_a_members_live_post_has_no_moderator_controls(
    served: Served, browser: Browser, people: tuple[Member, Member]
) -> None:
    writer, _ = people
    thread_id = await browsers.thread_with_posts([writer], 1)
    reader = await register(served)
    context = await new_context(browser, served, member=reader)
    page = await context.new_page()
    await page.goto(f"{served.url}/threads/{thread_id}")
    assert await page.locator("template form.moderation").count() == 0
    assert "/moderate" not in await page.content()
    r = await writer.api.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "Live one"})
    article = page.locator(f"article#post-{r.json()['id']}")
    await expect(article.locator(".body")).to_have_text("Live one", timeout=LIVE)
    assert await article.locator("form").count() == 0
    await reader.api.aclose()
    await context.close()
