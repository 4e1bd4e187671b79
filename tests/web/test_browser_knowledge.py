"""An editor edits a news item in Chromium with JavaScript off: the item's page links to
its form, the form holds the current values, and saving brings the editor back to the
item, changed. Debian's Chromium through Playwright and a real `forum serve`; skipped
where missing."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from tests.servers import Served
from tests.web.browsers import PHONE, new_context, register, skip_without_chromium
from tests.web.test_news import ITEM

skip_without_chromium()

from playwright.async_api import Browser, expect  # noqa: E402


async def test_an_editor_edits_a_news_item_without_javascript(
    served: Served, browser: Browser, db
) -> None:
    editor = await register(served)
    try:
        async with db.transaction() as s:
            await s.execute(text("UPDATE users SET role = 'editor' WHERE id = :u"),
                            {"u": editor.user_id})  # fmt: skip
        r = await editor.api.post("/api/v1/news", json=ITEM)
        assert r.status_code == 201, r.text
        item = f"{served.url}/news/{r.json()['id']}"
        context = await new_context(browser, served, member=editor, viewport=PHONE,
                                    javascript=False)  # fmt: skip
        page = await context.new_page()
        await page.goto(item)
        await page.get_by_role("link", name=f"Edit {ITEM['title']}").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Edit the news item")
        await expect(page.locator("#title")).to_have_value(ITEM["title"])
        await expect(page.locator("#source_name")).to_have_value(ITEM["source_name"])
        await page.fill("#title", "Senegal's civil society meets the reviewers")
        await page.fill("#summary", "A day of talks in Dakar.")
        await page.get_by_role("button", name="Save the news item").click()
        await expect(page).to_have_url(f"{item}?edited=1")
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Senegal's civil society meets the reviewers"
        )
        await expect(page.get_by_role("status")).to_have_text("Your changes are saved.")
        await expect(page.get_by_text("A day of talks in Dakar.")).to_be_visible()
        await context.close()
    finally:
        await editor.api.aclose()
    async with httpx.AsyncClient() as visitor:  # and everyone reads the change
        assert "meets the reviewers" in (await visitor.get(item)).text
