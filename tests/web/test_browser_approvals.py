"""Edit before approving, in real browsers: a new member's reply is held; a moderator
edits its text on the region's queue page and approves it; a third member's open thread
page receives the edited post live, and never the original words (not even on its
socket). Debian's Chromium through Playwright and a real `forum serve`; skipped where
missing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.servers import Served
from tests.web.browsers import new_context, register, skip_without_chromium

skip_without_chromium()
pytest.importorskip("axe_playwright_python.async_playwright")

from playwright.async_api import Browser, expect  # noqa: E402

from tests.web.test_accessibility import serious_violations  # noqa: E402

LIVE = 5_000  # ms


async def test_the_moderators_edit_reaches_an_open_page_live_never_the_original(
    served: Served, browser: Browser, db
) -> None:
    reader = await register(served)  # publishes before the queue: trusted
    newbie = await register(served)
    moderator = await register(served)
    try:
        r = await reader.api.post("/api/v1/threads", json={
            "region": "africa", "topic": "public-procurement", "title": "Tender watch",
            "body": "Who audits the tenders?"})  # fmt: skip
        assert r.status_code == 201, r.text
        thread_id = r.json()["thread"]["id"]
        async with db.transaction() as s:
            await s.execute(text("UPDATE regions SET approve_new_members = true "
                                 "WHERE slug = 'africa'"))  # fmt: skip
            await s.execute(text("UPDATE users SET role = 'moderator' WHERE id = :u"),
                            {"u": moderator.user_id})  # fmt: skip
            await s.execute(text("INSERT INTO moderated_regions SELECT :u, id FROM regions "
                                 "WHERE slug = 'africa'"), {"u": moderator.user_id})  # fmt: skip

        reading = await new_context(browser, served, member=reader)
        page = await reading.new_page()
        frames: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
        await page.goto(f"{served.url}/threads/{thread_id}")
        await expect(page.locator("#presence")).to_have_text(re.compile(r"\d"), timeout=LIVE)

        original = {"body": "The mayor's cousin zorvoriginal won it."}
        r = await newbie.api.post(f"/api/v1/threads/{thread_id}/posts", json=original)
        assert r.status_code == 201 and r.json()["pending"] is True, r.text
        post_id = r.json()["id"]

        # The author's page marks it; axe finds nothing serious there.
        writing = await new_context(browser, served, member=newbie)
        mine = await writing.new_page()
        await mine.goto(f"{served.url}/threads/{thread_id}")
        await expect(mine.locator(f"#post-{post_id} .pending-mark")).to_be_visible()
        assert await serious_violations(mine) == [], "the author's page"
        await writing.close()

        deciding = await new_context(browser, served, member=moderator)
        queue = await deciding.new_page()
        await queue.goto(f"{served.url}/regions/africa/approvals")
        assert await serious_violations(queue) == [], "the queue page"
        held = queue.locator(f"#held-{post_id}")
        text_box = held.get_by_label("Text (edit it before approving if need be)")
        await expect(text_box).to_have_value("The mayor's cousin zorvoriginal won it.")
        await text_box.fill("A relative of an official won it (zorvedited).")
        await held.get_by_role("button", name="Approve").click()
        await expect(queue.get_by_role("status")).to_have_text(
            "The post is approved and published."
        )

        post = page.locator(f"#post-{post_id}")
        await expect(post).to_contain_text("zorvedited", timeout=LIVE)
        await expect(post.locator(".position")).to_have_text("#2")
        assert "zorvoriginal" not in await page.content()
        assert any("zorvedited" in f for f in frames)
        assert not any("zorvoriginal" in f for f in frames), "the original reached the socket"
        await reading.close()
        await deciding.close()
        # The admins' regions page.
        async with db.transaction() as s:
            await s.execute(text("UPDATE users SET role = 'admin' WHERE id = :u"),
                            {"u": moderator.user_id})  # fmt: skip
        administering = await new_context(browser, served, member=moderator)
        admin_page = await administering.new_page()
        await admin_page.goto(f"{served.url}/admin/regions")
        await expect(admin_page.get_by_role("heading", name="Regions' settings")).to_be_visible()
        assert await serious_violations(admin_page) == [], "the regions page"
        await administering.close()
    finally:
        for member in (reader, newbie, moderator):
            await member.api.aclose()
