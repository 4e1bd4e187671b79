"""A region's queue of reported posts in a real browser with JavaScript: a moderator's
open queue page shows a case as soon as a member reports a post from another browser,
with no reload. Uses Debian's Chromium through Playwright and a real `forum serve`;
skipped where missing."""

from __future__ import annotations

import asyncpg
import pytest

pytest.importorskip("playwright")

from playwright.async_api import Browser, expect

from tests.servers import Served
from tests.web.browsers import member_context, register
from tests.web.test_browser import LIVE, Watched, _thread


async def _moderates(served: Served, user_id: int, region: str) -> None:
    """Make the member a moderator of `region`, as an admin would (`/admin/moderators`)."""
    operator = await asyncpg.connect(served.env["FORUM_DATABASE_URL"])
    try:
        await operator.execute("UPDATE users SET role = 'moderator' WHERE id = $1", user_id)
        await operator.execute(
            "INSERT INTO moderated_regions SELECT $1, id FROM regions WHERE slug = $2",
            user_id, region,
        )  # fmt: skip
    finally:
        await operator.close()


async def test_an_open_queue_shows_a_case_reported_from_another_browser(
    served: Served, browser: Browser
) -> None:
    author = await register(served)
    try:
        thread_id = await _thread(author.api, title="Tender for the new bridge")
        async with (
            member_context(browser, served) as (moderating, moderator),
            member_context(browser, served) as (reporting, _),
        ):
            await _moderates(served, moderator.user_id, "africa")
            queue = await moderating.new_page()
            watched = Watched(queue)
            await queue.goto(f"{served.url}/regions/africa/flags")
            await expect(queue.locator("#no-cases")).to_be_visible()
            await queue.evaluate("window.notReloaded = true")

            page = await reporting.new_page()
            await page.goto(f"{served.url}/threads/{thread_id}")
            await page.get_by_role("link", name="Report").first.click()
            await page.get_by_label("Spam").check()
            await page.get_by_role("button", name="Send the report").click()
            await expect(page.get_by_role("status")).to_contain_text("Thank you")

            row = queue.locator("#cases tbody tr")
            await expect(row).to_have_count(1, timeout=LIVE)
            await expect(queue.locator("#cases")).to_be_visible()
            await expect(queue.locator("#no-cases")).to_have_count(0)
            assert await queue.evaluate("window.notReloaded") is True
            await row.get_by_role("link").first.click()
            await expect(queue.get_by_role("heading", level=1)).to_contain_text("Case")
            await expect(queue.locator(".reports")).to_contain_text("Spam")
            assert watched.errors == [] and watched.dialogs == []
    finally:
        await author.api.aclose()
