"""The way in, in a browser against a real `forum serve` that sends mail through a real
SMTP server (aiosmtpd in the test process): register, receive the confirmation email,
follow its link, apply, get approved by a moderator of one's region in another browser,
then read a members-only thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests import mail
from tests.servers import Served, run_forum
from tests.web import browsers


@pytest.fixture(scope="module", autouse=True)
def _needs_chromium() -> None:
    browsers.skip_without_chromium()


@pytest.fixture
async def inbox_and_forum(server_env: dict[str, str]) -> AsyncIterator[tuple[mail.Inbox, Served]]:
    inbox = mail.Inbox()
    port = mail.free_port()
    smtp = mail.smtp_server(inbox, port)
    env = {**server_env, "FORUM_SMTP_URL": f"smtp://127.0.0.1:{port}",
           "FORUM_MAIL_FROM": "forum@forum.test"}  # fmt: skip
    served = await asyncio.to_thread(Served, env)
    try:
        yield inbox, served
    finally:
        await asyncio.to_thread(served.stop)
        smtp.stop()


async def _mail_to(inbox: mail.Inbox, address: str, subject: str) -> str:
    for _ in range(200):
        for message in inbox.to(address):
            if message["Subject"] == subject:
                return mail.text_of(message)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no mail {subject!r} reached {address}")


async def test_register_confirm_apply_be_approved_and_read_the_members_room(
    browser, inbox_and_forum
):
    inbox, served = inbox_and_forum
    secret = "Minutes of the closed meeting with the procurement authority"
    author = await browsers.register(served)
    r = await author.api.post("/api/v1/threads", json={
        "region": "staff-room", "topic": "public-procurement", "title": secret,
        "body": "For members only.",
    })  # fmt: skip
    assert r.status_code == 201, r.text
    members_only = f"{served.url}/threads/{r.json()['thread']['id']}"
    moderator = await browsers.register(served, name="Awa Moderator")
    named = await asyncio.to_thread(
        run_forum, served.env, "moderator", moderator.email, "--region", "africa"
    )
    assert named.returncode == 0, named.stderr

    applying = await browsers.new_context(browser, served)
    page = await applying.new_page()
    await page.goto(served.url + "/register")
    await page.fill("#display_name", "Fatou Newcomer")
    await page.fill("#email", "fatou@example.org")
    await page.fill("#password", browsers.PASSWORD)
    async with page.expect_navigation():
        await page.click('form[action="/register"] button')
    assert page.url == served.url + "/apply"
    await page.select_option("#country", "SN")
    await page.fill("#organisation_name", "Thiès Budget Watch")
    await page.fill("#motivation", "I follow school procurement in Thiès.")
    async with page.expect_navigation():
        await page.click('form[action="/apply"] button')
    assert "waiting for a decision" in await page.content()
    # Not a member yet: the members' room does not exist for her.
    response = await page.goto(members_only)
    assert response is not None and response.status == 404
    assert secret not in await page.content()

    text = await _mail_to(inbox, "fatou@example.org", "Confirm your email address")
    [link] = [word for word in text.split() if "/verify/" in word]
    await page.goto(served.url + mail.path_of(link))
    assert "Your email address is confirmed" in await page.content()

    approving = await browsers.new_context(browser, served, member=moderator)
    queue = await approving.new_page()
    await queue.goto(served.url + "/applications")
    entry = queue.locator("article.application", has_text="Fatou Newcomer")
    assert "I follow school procurement in Thiès." in await entry.inner_text()
    async with queue.expect_navigation():
        await entry.locator("button", has_text="Approve").click()
    assert "The decision is recorded" in await queue.content()
    await _mail_to(inbox, "fatou@example.org", "Welcome: you are a member of the forum")

    response = await page.goto(members_only)
    assert response is not None and response.status == 200
    assert await page.locator("h1").inner_text() == secret
    assert await page.locator('header a[href="/threads/new"]').count() == 1
    await approving.close()
    await applying.close()
    await author.api.aclose()
    await moderator.api.aclose()
