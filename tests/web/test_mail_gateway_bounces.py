"""Bounces (issue 14): the forum's mail leaves with a VERP envelope sender naming its
member; delivery failure reports to it come back through the gateway; after three, no
notification mail goes to the address (account mail still does) until the member
confirms it again from the settings page."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest
from sqlalchemy import text

from forum import resets
from forum.mail import bounces
from forum.mail.gateway import Gateway
from forum.models import Outbox
from tests import mail
from tests.pages import submit
from tests.web.test_mail_gateway import gateway, rows, send  # noqa: F401 (the fixture)

DOMAIN = "forum.test"


class Envelopes(mail.Inbox):
    """An Inbox that keeps each message's envelope sender too."""

    def __init__(self) -> None:
        super().__init__()
        self.senders: list[tuple[str, EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        self.senders.append((envelope.mail_from, self.messages[-1]))
        return answer


@pytest.fixture
def inbox() -> mail.Inbox:
    return Envelopes()


def report(to: str, action: str = "failed", message_id: str = "<r1@mx.example.org>") -> bytes:
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: {message_id}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; someone@example.org
Action: {action}
Status: 5.1.1

--B--
""".replace("\n", "\r\n").encode()


async def deliver(gateway: Gateway, raw: bytes, to: str) -> None:  # noqa: F811
    port = gateway.port  # type: ignore[attr-defined]
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as client:
        await client.sendmail("", [to], raw)  # the null return path


async def state(db: Any, user_id: int) -> tuple[int, bool]:
    ((count, failing),) = await rows(
        db, "SELECT mail_bounces, mail_failing_since IS NOT NULL FROM users WHERE id = :u",
        u=user_id,
    )  # fmt: skip
    return count, failing


async def queue(app: Any, kind: str, user: dict) -> int:
    async with app.state.db.transaction() as s:
        if kind == resets.KIND:
            await resets.request(s, app.state.mailer, user["email"])
            return 0
        return await app.state.mailer.enqueue(s, kind, user["email"], "en", {"n": 1})


async def test_three_bounces_stop_notification_mail_until_the_address_is_confirmed(
    make: Any,
    smtp_app: Any,
    inbox: Envelopes,
    gateway: Gateway,  # noqa: F811
):
    db = smtp_app.state.db
    secret = smtp_app.state.settings.secret_key
    member = await make.user(email_verified_at=datetime.now(UTC))
    other = await make.user()

    # Mail leaves with the member's bounce address as its envelope sender.
    await queue(smtp_app, resets.KIND, member)
    await mail.settle(smtp_app)
    ((envelope, sent),) = inbox.senders
    assert sent["To"] == member["email"]
    assert envelope.startswith("bounce+") and envelope.endswith("@" + DOMAIN)
    assert bounces.bounced_member(secret, envelope) == member["id"]
    assert bounces.bounced_member(secret, envelope.replace("bounce+", "reply+")) is None

    # What is not a failure does not count: a delay, an out-of-office sent to the return
    # path, a report to a forged address, a report delivered again.
    await deliver(gateway, report(envelope, "delayed", "<d@mx>"), envelope)
    away = (
        b"From: m@example.org\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nAway"
    )
    await deliver(gateway, away, envelope)
    forged = envelope.replace("bounce+", "bounce+0")
    await deliver(gateway, report(forged, message_id="<f@mx>"), forged)
    await deliver(gateway, report(envelope, message_id="<1@mx>"), envelope)
    await deliver(gateway, report(envelope, message_id="<1@mx>"), envelope)
    assert await state(db, member["id"]) == (1, False)
    await deliver(gateway, report(envelope, message_id="<2@mx>"), envelope)
    assert await state(db, member["id"]) == (2, False)
    await deliver(gateway, report(envelope, message_id="<3@mx>"), envelope)
    assert await state(db, member["id"]) == (3, True)
    assert await state(db, other["id"]) == (0, False)

    # Notification mail to the failing address is settled unsent; account mail still goes.
    before = len(inbox.messages)
    skipped = await queue(smtp_app, "notification", member)
    await queue(smtp_app, resets.KIND, member)
    await mail.settle(smtp_app)
    assert [m["To"] for m in inbox.messages[before:]] == [member["email"]]
    assert "password" in inbox.messages[-1]["Subject"].lower()
    async with db.transaction() as s:
        row = (await s.execute(Outbox.__table__.select().where(Outbox.id == skipped))).one()
    assert row.failed_at is not None and row.sent_at is None and row.last_error == bounces.SKIPPED

    # The settings page says so and offers a confirmation link; following it clears both.
    client = await make.logged_in(member)
    page = (await client.get("/settings")).text
    assert "Mail to your address is failing" in page
    r = await submit(client, "/settings", "/settings/verify", {})
    assert r.status_code == 303, r.text
    await mail.settle(smtp_app)
    link = mail.path_of(mail.link_in(inbox.to(member["email"])[-1]))
    assert link.startswith("/verify/")
    assert (await client.get(link)).status_code == 200
    assert await state(db, member["id"]) == (0, False)
    assert "Mail to your address is failing" not in (await client.get("/settings")).text
    me = (await client.get("/api/v1/auth/me")).json()["user"]
    assert me["mail_failing"] is False and me["email_verified"] is True


async def test_a_confirmed_address_that_is_not_failing_needs_no_new_link(make: Any, app: Any):
    member = await make.user(email_verified_at=datetime.now(UTC))
    client = await make.logged_in(member)
    page = (await client.get("/settings")).text
    assert "Mail to your address is failing" not in page and "/settings/verify" not in page
    async with app.state.db.transaction() as s:
        waiting = await s.scalar(text("SELECT count(*) FROM outbox"))
    await submit(client, "/settings", "/settings/verify", {})
    async with app.state.db.transaction() as s:
        assert await s.scalar(text("SELECT count(*) FROM outbox")) == waiting
