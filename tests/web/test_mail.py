"""Email, end to end: a real SMTP server in the test process (aiosmtpd) receives what the
forum sends. Verification and reset through the pages and the API, the outbox surviving
a mail server that is down, duplicates recognisable by their Message-ID, the Maildir
used without SMTP, and no token anywhere but in the mail."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
from typing import Any

import pytest
from sqlalchemy import select, text, update

from forum.config import ConfigError, Settings, Smtp
from forum.mail import outbox
from forum.mail.message import compose
from forum.mail.sender import Sender
from forum.models import MailToken, Outbox, User
from tests import factories, mail
from tests.pages import field_errors, submit
from tests.web.conftest import FROM, PASSWORD, SITE
from web.app import create_app
from web.i18n import translations


async def _register(app: Any, email: str, language: str = "en") -> Any:
    c = factories.client(app, headers={"Accept-Language": language})
    r = await submit(
        c, "/register", "/register",
        {"display_name": email.split("@")[0], "email": email, "password": PASSWORD},
    )  # fmt: skip
    assert r.status_code == 303, r.text
    return c


async def _verified(app: Any, email: str) -> bool:
    async with app.state.db.transaction() as s:
        found = await s.scalar(select(User.email_verified_at).where(User.email == email))
    return found is not None


async def test_registering_mails_a_verification_link_that_verifies(smtp_app, inbox):
    c = await _register(smtp_app, "amina@example.org")
    assert not await _verified(smtp_app, "amina@example.org")
    assert await smtp_app.state.mail_sender.drain() == 1
    [message] = inbox.to("amina@example.org")
    assert message["From"] == FROM
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@forum.test>")
    assert message["Date"] is not None
    assert message.is_multipart()
    assert message["Subject"] == "Confirm your email address"
    link = mail.link_in(message)
    assert link.startswith(SITE + "/verify/")
    assert link in mail.html_of(message)
    page = await c.get(mail.path_of(link))
    assert page.status_code == 200
    assert "Your email address is confirmed" in page.text
    assert await _verified(smtp_app, "amina@example.org")
    settings_page = await c.get("/settings")
    assert "Send the confirmation link again" not in settings_page.text
    # The same link again: a clear page, nothing changed.
    again = await c.get(mail.path_of(link))
    assert again.status_code == 400
    assert "expired or was already used" in again.text


async def test_the_mail_is_in_the_recipients_interface_language(smtp_app, inbox):
    await _register(smtp_app, "claire@example.org", "fr")
    await smtp_app.state.mail_sender.drain()
    [message] = inbox.to("claire@example.org")
    french = translations("fr")
    assert message["Subject"] == french.gettext("Confirm your email address")
    assert message["Subject"] != "Confirm your email address"
    assert message["Content-Language"] == "fr"
    assert french.gettext("Hello %(name)s,") % {"name": "claire"} in mail.text_of(message)
    assert 'lang="fr"' in mail.html_of(message)


async def test_an_expired_verification_link_changes_nothing(smtp_app, inbox):
    c = await _register(smtp_app, "late@example.org")
    await smtp_app.state.mail_sender.drain()
    async with smtp_app.state.db.transaction() as s:
        await s.execute(update(MailToken).values(expires_at=text("now() - interval '1 second'")))
    page = await c.get(mail.path_of(mail.link_in(inbox.to("late@example.org")[0])))
    assert page.status_code == 400
    assert not await _verified(smtp_app, "late@example.org")
    # A made-up or oversized token is refused the same way.
    for token in ("nope", "x" * 500):
        assert (await c.get(f"/verify/{token}")).status_code == 400


async def test_resend_from_the_settings_page_is_rate_limited(smtp_app, inbox):
    c = await _register(smtp_app, "again@example.org")
    r = await submit(c, "/settings", "/settings/verify", {})
    assert r.status_code == 303 and r.headers["location"] == "/settings?saved=verify"
    await smtp_app.state.mail_sender.drain()
    first, second = inbox.to("again@example.org")
    assert first["Message-ID"] != second["Message-ID"]
    # Either link verifies; then the other is spent.
    assert (await c.get(mail.path_of(mail.link_in(second)))).status_code == 200
    assert (await c.get(mail.path_of(mail.link_in(first)))).status_code == 400
    for _ in range(5):
        r = await submit(c, "/settings", "/settings/verify", {})
    assert r.status_code == 429


async def test_password_reset_end_to_end(smtp_app, inbox):
    old = await _register(smtp_app, "reset@example.org")
    await smtp_app.state.mail_sender.drain()
    visitor = factories.client(smtp_app)
    r = await submit(
        visitor, "/password/forgot", "/password/forgot", {"email": "RESET@example.org"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/password/forgot?sent=1"
    assert await smtp_app.state.mail_sender.drain() == 1
    [message] = [m for m in inbox.to("reset@example.org") if "/password/reset/" in mail.text_of(m)]
    assert message["Subject"] == "Reset your password"
    path = mail.path_of(mail.link_in(message))
    form = await visitor.get(path)
    assert form.status_code == 200 and 'name="new_password"' in form.text
    # Its address leaves the site in no Referer; the form is posted with its Origin.
    assert form.headers["referrer-policy"] == "same-origin"
    assert form.headers["cache-control"] == "no-store"
    short = await submit(visitor, path, path, {"new_password": "short"})
    assert short.status_code == 422 and "new_password" in field_errors(short.text)
    done = await submit(visitor, path, path, {"new_password": "the brand new password"})
    assert done.status_code == 303 and done.headers["location"] == "/password/changed"
    # Every session ended: the browser logged in before is logged out.
    assert (await old.get("/api/v1/auth/me")).status_code == 401
    login = await visitor.post(
        "/api/v1/auth/login",
        json={"email": "reset@example.org", "password": "the brand new password"},
    )
    assert login.status_code == 200
    refused = await factories.client(smtp_app).post(
        "/api/v1/auth/login", json={"email": "reset@example.org", "password": PASSWORD}
    )
    assert refused.status_code == 401
    # The link is spent.
    assert (await visitor.get(path)).status_code == 400
    again = await submit(visitor, "/password/forgot", path, {"new_password": "yet another one!"})
    assert again.status_code == 400


async def test_the_same_answer_whether_the_address_exists_or_not(smtp_app, inbox, make):
    user = await make.user()
    c = factories.client(smtp_app)
    known = await c.post("/api/v1/auth/password/forgot", json={"email": user["email"]})
    unknown = await c.post("/api/v1/auth/password/forgot", json={"email": "nobody@example.org"})
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert known.status_code == 202
    page_known = await submit(c, "/password/forgot", "/password/forgot", {"email": user["email"]})
    page_unknown = await submit(
        c, "/password/forgot", "/password/forgot", {"email": "nobody@example.org"}
    )
    assert page_known.headers["location"] == page_unknown.headers["location"]
    await smtp_app.state.mail_sender.drain()
    assert len(inbox.to(user["email"])) == 2
    assert inbox.to("nobody@example.org") == []


async def test_reset_requests_are_limited_per_address_asked_for(smtp_app, make):
    user = await make.user()
    answers = set()
    for n in range(6):
        c = factories.client(smtp_app, address=f"10.0.0.{n}")
        r = await c.post("/api/v1/auth/password/forgot", json={"email": user["email"]})
        answers.add(r.status_code)
    assert answers == {202, 429}
    fresh = factories.client(smtp_app, address="10.0.1.1")
    r = await fresh.post("/api/v1/auth/password/forgot", json={"email": "other@example.org"})
    assert r.status_code == 202


async def test_a_mail_server_that_is_down_delays_mail_and_loses_none(settings, inbox):
    port = mail.free_port()
    configured = dataclasses.replace(
        settings, smtp=Smtp("127.0.0.1", port), mail_from=FROM, public_url=SITE
    )
    app = create_app(configured)
    async with app.router.lifespan_context(app):
        await app.state.mail_sender.stop()
        for n in range(3):
            await _register(app, f"wait{n}@example.org")
        assert await app.state.mail_sender.drain() == 0  # nobody listens on the port
        async with app.state.db.transaction() as s:
            due_later = Outbox.next_attempt_at > text("now()")
            rows = (await s.execute(select(Outbox.attempts, Outbox.last_error, due_later))).all()
        assert len(rows) == 3
        assert all(attempts == 1 and error and later for attempts, error, later in rows)
        assert await app.state.mail_sender.drain() == 0  # not due again yet
        server = mail.smtp_server(inbox, port)
        try:
            async with app.state.db.transaction() as s:  # the backoff has passed
                await s.execute(update(Outbox).values(next_attempt_at=text("now()")))
            assert await app.state.mail_sender.drain() == 3
        finally:
            server.stop()
        assert sorted(m["To"] for m in inbox.messages) == [f"wait{n}@example.org" for n in range(3)]
        assert await mail.waiting(app) == 0


async def test_a_permanent_refusal_fails_the_message_and_a_temporary_one_is_retried(
    settings, caplog
):
    refusing = mail.Refusing(
        {
            "gone@example.org": itertools.repeat("550 5.1.1 Mailbox unavailable"),
            "bad@example.org": itertools.repeat("553 5.1.3 Bad destination address"),
            "busy@example.org": iter(["451 4.3.0 Try again later"]),
        }
    )
    port = mail.free_port()
    server = mail.smtp_server(refusing, port)
    configured = dataclasses.replace(
        settings, smtp=Smtp("127.0.0.1", port), mail_from=FROM, public_url=SITE
    )
    caplog.set_level(logging.WARNING, logger="forum.mail")
    try:
        app = create_app(configured)
        async with app.router.lifespan_context(app):
            await app.state.mail_sender.stop()
            for name in ("gone", "bad", "busy", "fine"):
                await _register(app, f"{name}@example.org")
            sender = app.state.mail_sender
            assert await sender.drain() == 1  # only fine@ gets through at first
            async with app.state.db.transaction() as s:
                later = Outbox.next_attempt_at > text("now()")
                rows = await s.execute(
                    select(Outbox.recipient, Outbox.failed_at, Outbox.last_error, Outbox.params,
                           later)
                )  # fmt: skip
                found = {row.recipient: row for row in rows}
            for refused, code in (("gone@example.org", "550"), ("bad@example.org", "553")):
                row = found[refused]
                assert row.failed_at is not None and code in row.last_error
                assert "token" not in row.params  # nobody will follow this link
                assert any(
                    r.levelno == logging.ERROR and refused in r.getMessage() for r in caplog.records
                )
            busy = found["busy@example.org"]
            assert busy.failed_at is None and "451" in busy.last_error and busy[-1]
            # The backoff passes: the busy mailbox takes its mail, the refused ones are
            # not tried again and hold up nothing.
            async with app.state.db.transaction() as s:
                await s.execute(update(Outbox).values(next_attempt_at=text("now()")))
            assert await sender.drain() == 1
            assert await mail.waiting(app) == 0
            async with app.state.db.transaction() as s:
                attempts = dict((await s.execute(select(Outbox.recipient, Outbox.attempts))).all())
            assert attempts == {
                "gone@example.org": 1, "bad@example.org": 1,
                "busy@example.org": 2, "fine@example.org": 1,
            }  # fmt: skip
    finally:
        server.stop()
    assert sorted(m["To"] for m in refusing.messages) == ["busy@example.org", "fine@example.org"]


async def test_a_busy_mail_server_421_then_451_delays_mail_and_delivers_each_once(settings):
    # The whole server busy (421 to the sender), then losing the message's end (451),
    # then accepting: the outbox keeps every message meanwhile, none is sent twice.
    busy = mail.Busy(
        at_mail=iter(["421 4.3.2 Service not available"] * 4),
        at_data=iter(["451 4.3.0 Try again later"] * 2),
    )
    port = mail.free_port()
    server = mail.smtp_server(busy, port)
    configured = dataclasses.replace(
        settings, smtp=Smtp("127.0.0.1", port), mail_from=FROM, public_url=SITE
    )
    try:
        app = create_app(configured)
        async with app.router.lifespan_context(app):
            await app.state.mail_sender.stop()
            for n in range(3):
                await _register(app, f"queued{n}@example.org")
            sent, passes = 0, 0
            while sent < 3 and passes < 10:
                sent += await app.state.mail_sender.drain()
                passes += 1
                async with app.state.db.transaction() as s:  # the backoff has passed
                    await s.execute(update(Outbox).values(next_attempt_at=text("now()")))
            assert sent == 3 and passes > 1
            assert await mail.waiting(app) == 0
            async with app.state.db.transaction() as s:
                failed = (await s.execute(select(Outbox.failed_at))).scalars().all()
            assert failed == [None] * 3
    finally:
        server.stop()
    assert sorted(m["To"] for m in busy.messages) == [f"queued{n}@example.org" for n in range(3)]


async def test_a_crash_between_sending_and_marking_sent_repeats_the_message_id(smtp_app, inbox):
    await _register(smtp_app, "twice@example.org")
    sender = smtp_app.state.mail_sender
    async with smtp_app.state.db.transaction() as s:
        [queued] = await outbox.claim(s, 10)
    rendered = sender.render(queued.kind, queued.language, queued.params)
    await sender.transport.send(compose(queued, rendered, FROM), rendered.link)
    # ... and the worker dies here. When the lease ends the message is sent again.
    assert await sender.drain() == 0
    async with smtp_app.state.db.transaction() as s:
        await s.execute(update(Outbox).values(next_attempt_at=text("now()")))
    assert await sender.drain() == 1
    first, second = inbox.to("twice@example.org")
    assert first["Message-ID"] == second["Message-ID"]
    assert mail.link_in(first) == mail.link_in(second)


async def test_the_background_sender_delivers_after_commit(settings, smtp_port, inbox):
    configured = dataclasses.replace(
        settings, smtp=Smtp("127.0.0.1", smtp_port), mail_from=FROM, public_url=SITE
    )
    app = create_app(configured)
    async with app.router.lifespan_context(app):
        await _register(app, "loop@example.org")
        await mail.settle(app)
    assert len(inbox.to("loop@example.org")) == 1


async def test_without_smtp_mail_goes_to_a_maildir_and_the_link_is_logged(app, settings, caplog):
    caplog.set_level(logging.WARNING, logger="forum.mail")
    c = await _register(app, "newcomer@example.org")
    path = await mail.link_to(app, settings.data_dir, "newcomer@example.org", "verify")
    [message] = mail.maildir(settings.data_dir)
    assert message["Auto-Submitted"] == "auto-generated"
    assert any(path in record.getMessage() for record in caplog.records)
    assert (await c.get(path)).status_code == 200
    assert await _verified(app, "newcomer@example.org")


async def test_links_appear_in_no_page_answer_or_event_and_tokens_are_hashed(smtp_app, inbox):
    c = factories.client(smtp_app)
    r = await c.post(
        "/api/v1/auth/register",
        json={"email": "quiet@example.org", "display_name": "Quiet", "password": PASSWORD},
    )
    assert r.status_code == 201
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    forgot = await c.post("/api/v1/auth/password/forgot", json={"email": "quiet@example.org"})
    async with smtp_app.state.db.transaction() as s:
        pending = [row[0]["token"] for row in await s.execute(select(Outbox.params))]
    await smtp_app.state.mail_sender.drain()
    tokens = [mail.link_in(m).rsplit("/", 1)[1] for m in inbox.to("quiet@example.org")]
    assert sorted(tokens) == sorted(pending) and len(tokens) == 2
    seen = [r.text, forgot.text]
    for path in ("/api/v1/auth/me", "/settings", "/", "/password/forgot?sent=1"):
        seen.append((await c.get(path)).text)
    async with smtp_app.state.db.transaction() as s:
        seen.append(repr((await s.execute(text("SELECT * FROM events"))).all()))
        stored = (await s.execute(text("SELECT * FROM mail_tokens"))).all()
        after = [row[0] for row in await s.execute(select(Outbox.params))]
    seen.append(repr(stored))
    seen.append(repr(after))  # a sent message's token leaves the outbox
    for token in tokens:
        assert all(token not in answer for answer in seen)
        assert all(token.encode() not in row.token_hash for row in stored)


def test_smtp_settings_fail_with_one_clear_line():
    base = {"FORUM_SECRET_KEY": "s" * 40}
    found = Settings.from_env(
        {**base, "FORUM_SMTP_URL": "smtps://me%40x.org:p%3Ass@mail.x.org",
         "FORUM_MAIL_FROM": "Forum <forum@x.org>"}
    )  # fmt: skip
    assert found.smtp == Smtp("mail.x.org", 465, True, False, "me@x.org", "p:ss")
    plain = Settings.from_env(
        {**base, "FORUM_SMTP_URL": "smtp://mail.x.org?starttls=required",
         "FORUM_MAIL_FROM": "forum@x.org"}
    )  # fmt: skip
    assert plain.smtp == Smtp("mail.x.org", 587, False, True)
    for env in (
        {"FORUM_SMTP_URL": "http://mail.x.org", "FORUM_MAIL_FROM": "f@x.org"},
        {"FORUM_SMTP_URL": "smtp://mail.x.org:99999", "FORUM_MAIL_FROM": "f@x.org"},
        {"FORUM_SMTP_URL": "smtp://mail.x.org?tls=maybe", "FORUM_MAIL_FROM": "f@x.org"},
        {"FORUM_SMTP_URL": "smtp://mail.x.org"},
        {"FORUM_MAIL_FROM": "not an address"},
        {"FORUM_PUBLIC_URL": "forum.x.org"},
    ):
        with pytest.raises(ConfigError) as failure:
            Settings.from_env({**base, **env})
        assert "\n" not in str(failure.value)


async def test_senders_draining_together_send_each_message_once(smtp_app, inbox):
    for n in range(12):
        await _register(smtp_app, f"crowd{n}@example.org")
    sender = smtp_app.state.mail_sender
    others = [Sender(smtp_app.state.db, sender.render, FROM, sender.transport) for _ in range(3)]
    sent = await asyncio.gather(sender.drain(), *(s.drain() for s in others))
    assert sum(sent) == 12
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == len(set(ids)) == 12


async def test_old_sent_mail_and_expired_tokens_are_pruned(smtp_app, inbox):
    await _register(smtp_app, "old@example.org")
    await _register(smtp_app, "recent@example.org")
    await _register(smtp_app, "refused@example.org")
    sender = smtp_app.state.mail_sender
    await sender.drain()
    async with smtp_app.state.db.transaction() as s:
        await s.execute(
            update(Outbox)
            .where(Outbox.recipient == "old@example.org")
            .values(sent_at=text("now() - interval '31 days'"))
        )
        await s.execute(
            update(Outbox)
            .where(Outbox.recipient == "refused@example.org")
            .values(sent_at=None, failed_at=text("now() - interval '31 days'"))
        )
        old_user = select(User.id).where(User.email == "old@example.org").scalar_subquery()
        await s.execute(
            update(MailToken)
            .where(MailToken.user_id == old_user)
            .values(expires_at=text("now() - interval '8 days'"))
        )
    await sender.prune()
    async with smtp_app.state.db.transaction() as s:
        assert (await s.scalars(select(Outbox.recipient))).all() == ["recent@example.org"]
        assert len((await s.scalars(select(MailToken.user_id))).all()) == 2
