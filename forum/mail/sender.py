"""The background sender: drains the outbox after commit, through SMTP or into a Maildir.

Each worker runs one. It wakes every `POLL` seconds and asks whether anything is due
(one probe of the partial index `ix_outbox_due`, empty almost always), rather than
LISTENing: a notification would need one more long-lived connection per worker for a
gain of under a second on mail that nobody reads within a second. `drain` claims a batch
(`outbox.claim`, SKIP LOCKED: several workers share the work, never the same row),
commits, then sends each message outside any transaction and settles it. A message that
fails for a while (the server is down, slow, or answers 4xx "try later") is retried with
exponential backoff (`outbox.backoff`, capped at an hour); none is dropped, so a mail
server that is down only delays mail. A message the server refuses for good (a 5xx for
its recipient or its content, see `permanent`) is marked failed, logged and kept with the
reason: retrying would get the same answer forever and hold up nothing but itself.

A message to a member goes out with the VERP envelope sender naming them
(`bounces.envelope_sender`), so a bounce says whose address failed; a notification to
an address that keeps bouncing is settled unsent (`bounces.skipped`).

Without `FORUM_SMTP_URL` the messages go to the Maildir `data_dir/mail` (any mail
client reads it) and each link is logged, so the embedded setup lets a newcomer verify.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
import random
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib

from forum import background
from forum.config import Settings, Smtp
from forum.db import Database
from forum.mail import bounces, outbox, tokens
from forum.mail.message import Render, compose

log = logging.getLogger("forum.mail")

POLL = 1.0
PRUNE_EVERY = 600  # polls between two prunings of sent mail and expired tokens
BATCH = 20
SMTP_TIMEOUT = 60.0  # per command; the lease (`outbox.LEASE`) is far longer


class Transport(Protocol):
    async def send(
        self, message: EmailMessage, link: str | None, envelope_sender: str | None = None
    ) -> None: ...


class SmtpTransport:
    def __init__(self, smtp: Smtp) -> None:
        self.smtp = smtp

    async def send(
        self, message: EmailMessage, link: str | None, envelope_sender: str | None = None
    ) -> None:
        s = self.smtp
        await aiosmtplib.send(
            message,
            sender=envelope_sender,
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            use_tls=s.tls,
            # None: STARTTLS if the server offers it; True: refuse a server that does not.
            start_tls=None if s.tls else (True if s.starttls_required else None),
            tls_context=ssl.create_default_context() if s.tls or s.starttls_required else None,
            timeout=SMTP_TIMEOUT,
        )


class MaildirTransport:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(
        self, message: EmailMessage, link: str | None, envelope_sender: str | None = None
    ) -> None:
        if envelope_sender:
            message["Return-Path"] = f"<{envelope_sender}>"
        await asyncio.to_thread(self._add, message)
        log.warning(
            "mail to %s (%s) is in %s%s",
            message["To"],
            message["Subject"],
            self.path,
            f"; its link: {link}" if link else "",
        )

    def _add(self, message: EmailMessage) -> None:
        mailbox.Maildir(self.path, create=True).add(message)


def permanent(exc: Exception) -> bool:
    """Whether the server refused this message for good: a 5xx reply to its recipient
    (550 no such mailbox, 553 bad address) or to its content (552 too big, 554 refused).
    A 4xx, a lost connection or a timeout may pass; a refused login or sender address is
    the forum's setup, wrong for every message until it is fixed: all are retried."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(permanent(refusal) for refusal in exc.recipients)
    refusals = (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError)
    return isinstance(exc, refusals) and 500 <= exc.code < 600


def transport_for(settings: Settings) -> Transport:
    if settings.smtp is not None:
        return SmtpTransport(settings.smtp)
    return MaildirTransport(settings.data_dir / "mail")


class Sender:
    """Built and stopped by the app's lifespan; `drain` is the whole of one pass."""

    def __init__(
        self,
        db: Database,
        render: Render,
        mail_from: str,
        transport: Transport,
        poll: float = POLL,
        secret: str | None = None,
    ) -> None:
        """`secret`: the forum's, to sign the envelope sender (`bounces`); without it
        mail goes out from `mail_from` and its bounces are not counted."""
        self.db = db
        self.secret = secret
        self.render = render
        self.mail_from = mail_from
        self.transport = transport
        self.poll = poll
        self._tasks: list[asyncio.Task[None]] = []

    async def drain(self) -> int:
        """Send every message due now; how many were sent."""
        done = 0
        while True:
            async with self.db.transaction() as session:
                batch = await outbox.claim(session, BATCH)
                members = await bounces.recipients(session, [q.recipient for q in batch])
                for queued in batch:
                    if bounces.skipped(queued.kind, members.get(queued.recipient.lower())):
                        await outbox.refused(session, queued.id, bounces.SKIPPED)
            if not batch:
                return done
            for queued in batch:
                member = members.get(queued.recipient.lower())
                if bounces.skipped(queued.kind, member):
                    continue
                envelope = None
                if member is not None and self.secret is not None:
                    envelope = bounces.envelope_sender(self.secret, self.mail_from, member.user_id)
                try:
                    rendered = self.render(queued.kind, queued.language, queued.params)
                    await self.transport.send(
                        compose(queued, rendered, self.mail_from), rendered.link, envelope
                    )
                except Exception as exc:  # the server is away, refused, timed out...
                    await self._settle_failure(queued, exc)
                    continue
                async with self.db.transaction() as session:
                    await outbox.sent(session, queued.id)
                done += 1

    async def _settle_failure(self, queued: outbox.Queued, exc: Exception) -> None:
        async with self.db.transaction() as session:
            if permanent(exc):
                log.error(
                    "mail %s to %s refused for good, not retried: %r",
                    queued.message_id, queued.recipient, exc,
                )  # fmt: skip
                await outbox.refused(session, queued.id, repr(exc))
            else:
                log.warning(
                    "mail %s to %s not sent (attempt %d): %r",
                    queued.message_id, queued.recipient, queued.attempts, exc,
                )  # fmt: skip
                await outbox.retry(session, queued.id, queued.attempts, repr(exc))

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run())]

    async def stop(self) -> None:
        await background.cancel(self._tasks)

    async def prune(self) -> None:
        async with self.db.transaction() as session:
            await outbox.prune(session)
            await tokens.prune(session)

    async def _run(self) -> None:
        turn = random.randrange(PRUNE_EVERY)  # workers started together prune apart
        while True:
            turn += 1
            try:
                async with self.db.transaction() as session:
                    due = await outbox.any_due(session)
                if due:
                    await self.drain()
                if turn % PRUNE_EVERY == 0:
                    await self.prune()
            except Exception as exc:  # the database is away; try at the next turn
                log.warning("mail sender: %r", exc)
            await asyncio.sleep(self.poll)
