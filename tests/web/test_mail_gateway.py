"""Replying by email (issue 14): real SMTP into the gateway (`aiosmtplib` to `forum.mail.
gateway` on a free port, against the test's database), real SMTP out of the forum.

A reply becomes the member's post, live on the open thread page's websocket; what they
quoted and their signature are not posted; auto-replies post nothing and get no answer;
every refusal posts nothing and gets an answer in the member's language that says
nothing about the thread; a message delivered twice posts once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest
from sqlalchemy import text
from websockets.asyncio.client import connect

from forum.config import ConfigError, Settings
from forum.mail import reply_address
from forum.mail.gateway import MAX_MESSAGE, Gateway
from forum.mail.outbox import Mailer
from forum.models import Role
from tests import mail
from tests.web.conftest import FROM
from tests.web.test_leaks import frames_until, subscribe
from web.mail import renderer

DOMAIN = "forum.test"
QUOTED = "Who has tried *open contracting* data?"


@pytest.fixture
async def gateway(app: Any, settings: Settings) -> AsyncIterator[Gateway]:
    """The gateway, on the app's database, for the forum at `forum.test`."""
    mailer = Mailer(app.state.policy.digest, FROM)
    running = Gateway(app.state.db, app.state.limiter, mailer, settings.secret_key)
    running.port = mail.free_port()  # type: ignore[attr-defined]
    await running.start("127.0.0.1", running.port)  # type: ignore[attr-defined]
    yield running
    await running.stop()


def reply_to(settings: Settings, user: dict, thread_id: int) -> str:
    return reply_address.address(settings.secret_key, FROM, user["id"], thread_id)


def message(
    sender: str, to: str, body: str, subject: str = "Re: Monitoring tenders", **headers: str
) -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    m.set_content(body)
    return m


def gmail_reply(written: str) -> str:
    return (f"{written}\n\nOn Tue, Dec 1, 2026 at 3:10 AM CSO Forum <forum@{DOMAIN}> wrote:\n\n"
            f"> {QUOTED}\n\n-- \nAmina Diallo\nTransparency Network\n")  # fmt: skip


async def send(gateway: Gateway, m: EmailMessage, sender: str | None = None) -> None:
    port = gateway.port  # type: ignore[attr-defined]
    if sender is None:
        await aiosmtplib.send(m, hostname="127.0.0.1", port=port)
        return
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as client:
        await client.sendmail(sender, [m["To"]], m.as_bytes())


async def rows(db: Any, sql: str, **params: Any) -> list:
    async with db.transaction() as s:
        result = await s.execute(text(sql), params)
        return list(result) if result.returns_rows else []


async def posts_in(db: Any, thread_id: int) -> list:
    return await rows(db, "SELECT author_id, body_source, pending FROM posts "
                          "WHERE thread_id = :t ORDER BY id", t=thread_id)  # fmt: skip


async def answers(db: Any) -> list:
    return await rows(db, "SELECT recipient, language, params FROM outbox "
                          "WHERE kind = 'mail_refused' ORDER BY id")  # fmt: skip


async def test_a_reply_by_email_appears_live_in_the_open_thread(
    served: Any, make: Any, app: Any, settings: Settings, gateway: Gateway
):
    member = await make.user(email="Amina.Diallo@Example.org")
    thread = await make.thread(body=QUOTED)
    tid = thread["thread"]["id"]
    written = "We tried this in Nairobi.\n\nThe tender data was **incomplete**."
    url = served.url.replace("http://", "ws://") + "/ws"
    async with connect(url) as ws:
        await subscribe(ws, [f"thread:{tid}"])
        # The address as a client writes it back, the sender's in other capitals.
        reply = message("Amina <amina.diallo@example.org>", reply_to(settings, member, tid).upper(),
                        gmail_reply(written))  # fmt: skip
        await send(gateway, reply)
        frames = await frames_until(ws, lambda f: f.get("type") == "post.created")
    post = frames[-1]["data"]["post"]
    assert post["author"]["id"] == member["id"]
    assert post["body"] == written
    assert "<strong>incomplete</strong>" in post["body_html"]
    ((author, body, pending),) = (await posts_in(app.state.db, tid))[1:]
    assert (author, body, pending) == (member["id"], written, False)
    assert QUOTED not in body and "Transparency Network" not in body
    assert await answers(app.state.db) == []


async def test_auto_replies_post_nothing_and_get_no_answer(
    make: Any, app: Any, settings: Settings, gateway: Gateway
):
    member = await make.user()
    tid = (await make.thread())["thread"]["id"]
    to = reply_to(settings, member, tid)
    away = "I am out of the office until Monday."
    await send(gateway, message(member["email"], to, away, "Out of Office: Monitoring tenders"))
    await send(gateway, message(member["email"], to, away, Auto_Submitted="auto-replied"))
    await send(gateway, message(member["email"], to, away), sender="")  # a null return path
    assert len(await posts_in(app.state.db, tid)) == 1
    assert await answers(app.state.db) == []


async def test_a_bad_or_expired_address_posts_nothing_and_is_answered(
    make: Any, app: Any, settings: Settings, gateway: Gateway
):
    member = await make.user(language="fr")
    tid = (await make.thread(title="Confidential tender ring"))["thread"]["id"]
    good = reply_to(settings, member, tid)
    local, _, domain = good.partition("@")
    user, thread, days, mac = local.removeprefix("reply+").split(".")
    forged = f"reply+{user}.{thread}.{days}.{mac[::-1]}@{domain}"
    await send(gateway, message(member["email"], forged, "A reply"))
    expired = reply_address.token(settings.secret_key, member["id"], tid, today=date(2024, 1, 1))
    await send(gateway, message(member["email"], f"reply+{expired}@{domain}", "Another reply"))
    assert len(await posts_in(app.state.db, tid)) == 1
    found = await answers(app.state.db)
    assert [(r.recipient, r.language, r.params["reason"]) for r in found] == [
        (member["email"], "fr", "unknown_address")
    ] * 2


async def test_an_address_that_is_not_ours_is_refused_before_the_message(gateway: Gateway):
    for stranger in (f"someone@{DOMAIN}", "reply+1.2.3.abc@elsewhere.example.org"):
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await send(gateway, message("amina@example.org", stranger, "Hello"))
        assert refused.value.recipients[0].code == 550


async def test_another_sender_posts_nothing_and_is_answered(
    make: Any, app: Any, settings: Settings, gateway: Gateway
):
    member, other = await make.user(), await make.user(language="es")
    tid = (await make.thread())["thread"]["id"]
    await send(gateway, message(other["email"], reply_to(settings, member, tid), "Me too"))
    await send(gateway, message("stranger@example.net", reply_to(settings, member, tid), "Hi"))
    assert len(await posts_in(app.state.db, tid)) == 1
    found = [(r.recipient, r.language, r.params["reason"]) for r in await answers(app.state.db)]
    assert found == [(other["email"], "es", "unknown_sender"),
                     ("stranger@example.net", "en", "unknown_sender")]  # fmt: skip


async def test_suspended_locked_and_lost_rights_post_nothing_and_are_answered(
    make: Any, app: Any, settings: Settings, gateway: Gateway
):
    db = app.state.db
    canary = "Zanzibarcanary"
    suspended, locked_out, applicant = await make.user(), await make.user(), await make.user()
    public = (await make.thread(title=f"Tenders {canary}"))["thread"]["id"]
    locked = (await make.thread(title=f"Locked {canary}"))["thread"]["id"]
    closed = (await make.thread(region="staff-room", title=f"Room {canary}"))["thread"]["id"]
    addresses = [reply_to(settings, suspended, public), reply_to(settings, locked_out, locked),
                 reply_to(settings, applicant, closed)]  # fmt: skip
    await rows(db, "UPDATE users SET suspended_at = now() WHERE id = :u", u=suspended["id"])
    await rows(db, "UPDATE threads SET locked = true WHERE id = :t", t=locked)
    # A member when the address was sent, an applicant now: the members' room is closed.
    await rows(db, "UPDATE users SET role = :r WHERE id = :u", r=Role.APPLICANT.value,
               u=applicant["id"])  # fmt: skip
    for who, to in zip((suspended, locked_out, applicant), addresses, strict=True):
        await send(gateway, message(who["email"], to, "My reply"))
    for tid in (public, locked, closed):
        assert len(await posts_in(db, tid)) == 1
    found = await answers(db)
    assert [(r.recipient, r.params["reason"]) for r in found] == [
        (suspended["email"], "suspended"),
        (locked_out["email"], "locked"),
        (applicant["email"], "not_allowed"),
    ]
    # Nothing about the thread, in what is kept or in the words that are sent.
    render = renderer("https://forum.test")
    for r in found:
        words = render("mail_refused", r.language, r.params)
        assert canary not in f"{r.params} {words.subject} {words.text} {words.html}"


async def test_a_member_suspended_is_refused_even_where_they_read(
    make: Any, app: Any, settings: Settings, gateway: Gateway
):
    member = await make.user()
    tid = (await make.thread(region="staff-room"))["thread"]["id"]
    await rows(app.state.db, "UPDATE users SET suspended_at = now() WHERE id = :u", u=member["id"])
    await send(gateway, message(member["email"], reply_to(settings, member, tid), "Reply"))
    assert len(await posts_in(app.state.db, tid)) == 1
    assert [r.params["reason"] for r in await answers(app.state.db)] == ["suspended"]


async def test_an_attachment_is_refused_with_an_answer_by_real_mail(
    make: Any, app: Any, smtp_app: Any, inbox: mail.Inbox, settings: Settings, gateway: Gateway
):
    member = await make.user(language="fr", display_name="Awa Ndiaye")
    tid = (await make.thread())["thread"]["id"]
    reply = message(member["email"], reply_to(settings, member, tid), "Voici le rapport.",
                    "Re: Suivi des marchés")  # fmt: skip
    reply.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="r.pdf")
    await send(gateway, reply)
    assert len(await posts_in(app.state.db, tid)) == 1
    await mail.settle(smtp_app)
    (answer,) = inbox.to(member["email"])
    assert answer["Subject"] == "Votre réponse par e-mail n'a pas été publiée"
    assert answer["Auto-Submitted"] == "auto-generated"  # so that no autoresponder answers
    words = mail.text_of(answer)
    assert "Bonjour Awa Ndiaye," in words and "« Re: Suivi des marchés »" in words
    assert "pièces jointes" in words
    assert "pièces jointes" in mail.html_of(answer)


async def test_answers_to_one_address_are_limited(
    make: Any, app: Any, settings: Settings, gateway: Gateway
):
    member = await make.user()
    tid = (await make.thread())["thread"]["id"]
    for n in range(6):
        await send(gateway, message("forger@example.net", reply_to(settings, member, tid), f"{n}"))
    assert len(await answers(app.state.db)) == settings.rates.mail_answer.count


async def test_empty_and_too_long_replies_are_answered(
    make: Any, app: Any, settings: Settings, gateway: Gateway
):
    member = await make.user()
    tid = (await make.thread())["thread"]["id"]
    to = reply_to(settings, member, tid)
    await send(gateway, message(member["email"], to, f"> {QUOTED}\n\n-- \nAmina\n"))
    await send(gateway, message(member["email"], to, "word " * 14_000))
    assert len(await posts_in(app.state.db, tid)) == 1
    assert [r.params["reason"] for r in await answers(app.state.db)] == ["empty", "too_long"]


async def test_the_same_message_delivered_twice_posts_once(
    make: Any, app: Any, settings: Settings, gateway: Gateway
):
    member = await make.user()
    tid = (await make.thread())["thread"]["id"]
    reply = message(member["email"], reply_to(settings, member, tid), "Posted once.",
                    Message_ID="<once@mail.example.org>")  # fmt: skip
    await asyncio.gather(send(gateway, reply), send(gateway, reply))
    await send(gateway, reply)
    assert [p.body_source for p in await posts_in(app.state.db, tid)][1:] == ["Posted once."]
    again = message(member["email"], reply_to(settings, member, tid), "Posted once.",
                    Message_ID="<another@mail.example.org>")  # fmt: skip
    await send(gateway, again)  # another message with the same words is another reply
    assert len(await posts_in(app.state.db, tid)) == 3


async def test_a_reply_in_a_region_that_approves_new_members_is_held(
    make: Any, app: Any, settings: Settings, gateway: Gateway
):
    db = app.state.db
    newcomer = await make.user()
    tid = (await make.thread())["thread"]["id"]
    await rows(db, "UPDATE regions SET approve_new_members = true WHERE slug = 'africa'")
    await send(gateway, message(newcomer["email"], reply_to(settings, newcomer, tid), "First!"))
    (post,) = (await posts_in(db, tid))[1:]
    assert (post.body_source, post.pending) == ("First!", True)


def test_the_gateway_address_setting():
    base = {"FORUM_DATA_DIR": "/tmp/unused", "FORUM_SECRET_KEY": "s" * 40}
    assert Settings.from_env(base).mail_gateway == ("127.0.0.1", 8025)
    given = Settings.from_env({**base, "FORUM_MAIL_GATEWAY": "0.0.0.0:2525"})
    assert given.mail_gateway == ("0.0.0.0", 2525)
    assert Settings.from_env({**base, "FORUM_MAIL_GATEWAY": "[::1]:25"}).mail_gateway == ("::1", 25)
    for bad in ("8025", "localhost", "host:99999", "a b:25", "smtp://x:25"):
        with pytest.raises(ConfigError, match="FORUM_MAIL_GATEWAY must be host:port"):
            Settings.from_env({**base, "FORUM_MAIL_GATEWAY": bad})


async def test_a_message_over_the_size_limit_is_refused_by_smtp(
    make: Any, app: Any, settings: Settings, gateway: Gateway
):
    member = await make.user()
    tid = (await make.thread())["thread"]["id"]
    huge = message(member["email"], reply_to(settings, member, tid), "x" * (MAX_MESSAGE + 1024))
    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        await send(gateway, huge)
    assert refused.value.code == 552
    assert len(await posts_in(app.state.db, tid)) == 1
