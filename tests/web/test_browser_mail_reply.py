"""A reply by email appears in the thread's page open in Chromium, without a reload
(issue 14): real SMTP into the gateway, a real `forum serve` on the same database, the
page's own script on its websocket."""

from __future__ import annotations

from typing import Any

from forum.config import Settings
from forum.mail.gateway import Gateway
from tests.web.browsers import PHONE, skip_without_chromium
from tests.web.test_mail_gateway import gateway, gmail_reply, message, reply_to, send

skip_without_chromium()

from playwright.async_api import Browser, expect  # noqa: E402

__all__ = ["gateway"]  # the fixture, used by name
LIVE = 5_000  # ms


async def test_a_reply_by_email_appears_in_the_open_page(
    served: Any, browser: Browser, make: Any, settings: Settings, gateway: Gateway
) -> None:
    member = await make.user(display_name="Amina Diallo")
    tid = (await make.thread(body="Who has tried open contracting data?"))["thread"]["id"]
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(f"{served.url}/threads/{tid}")
    await expect(page.locator("#posts article.post")).to_have_count(1)
    # Whenever its socket joins, the page asks for what happened since it was rendered.
    written = "We tried this in Nairobi: the tender data was incomplete."
    await send(gateway, message(member["email"], reply_to(settings, member, tid),
                                gmail_reply(written)))  # fmt: skip
    arrived = page.locator("#posts article.post").nth(1)
    await expect(arrived).to_contain_text(written, timeout=LIVE)
    await expect(arrived).to_contain_text("Amina Diallo")
    await expect(arrived).not_to_contain_text("Transparency Network")  # the signature
    await context.close()
