"""The mail gateway: an SMTP server (`aiosmtpd`) that takes replies by email and bounces.

`forum mail-gateway` runs it where `FORUM_MAIL_GATEWAY` says (`127.0.0.1:8025` by
default), behind the organisation's mail server, which forwards to it the mail for the
forum's reply and bounce addresses. It speaks plain SMTP without authentication: it must
not be reachable from the internet, only from that relay.

- `RCPT TO`: only our reply addresses (`reply+...`, `reply_address`) and bounce
  addresses (`bounce+...`, `bounces`) at the forum's domain are taken; anything else is
  refused (550) before the message is sent. Their signatures are checked after `DATA`,
  so that a bad or expired reply address can be answered.
- `DATA`: at most `MAX_MESSAGE` bytes (552 beyond). Each recipient is handled on its
  own: a reply address goes to `replies.Replies.receive`; a bounce address counts a
  delivery failure of the member it names (`bounces.record`) when the message is a
  report of one (`inbound.delivery_failed`), and is never answered.
- A failure of ours (the database is away) answers 451: the relay keeps the message and
  tries again later, and whatever was committed for it is recognised then (`replies`).
"""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session

from forum import idempotency
from forum.db import Database
from forum.limits import Limiter
from forum.mail import bounces, inbound, replies, reply_address
from forum.mail.outbox import Mailer
from forum.mail.replies import Outcome, Replies, message_key
from forum.mail.signed import domain_of

log = logging.getLogger("forum.mail")

MAX_MESSAGE = 10 * 2**20  # a reply with a phone's photo attached still gets its answer
MAX_RECIPIENTS = 10
TIMEOUT = 60.0  # seconds a client may stay silent


class Gateway:
    """Built, started and stopped by `forum mail-gateway` (or a test) in its event loop."""

    def __init__(self, db: Database, limiter: Limiter, mailer: Mailer, secret: str) -> None:
        self.db = db
        self.secret = secret
        self.domain = domain_of(mailer.mail_from)
        self.replies = Replies(db, limiter, mailer, secret)
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(
                self,
                data_size_limit=MAX_MESSAGE,
                hostname=self.domain,
                ident="forum mail-gateway",
                timeout=TIMEOUT,
                loop=loop,
            ),
            host,
            port,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def ours(self, address: str) -> bool:
        """Whether a message to `address` is for the gateway (its signature unchecked)."""
        domain = address.rpartition("@")[2].lower()
        kinds = (reply_address.KIND, bounces.KIND)
        return domain == self.domain and any(k.looks_like(address) for k in kinds)

    # aiosmtpd's hooks
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not self.ours(address):
            return "550 5.1.1 No such recipient here"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        try:
            await self.deliver(raw, envelope.mail_from, list(envelope.rcpt_tos))
        except Exception:
            log.exception("mail gateway: a message could not be handled; the relay will retry")
            return "451 4.3.0 Try again later"
        return "250 OK"

    async def deliver(
        self, raw: bytes, envelope_sender: str | None, recipients: list[str]
    ) -> list[Outcome | None]:
        """Handle one message for each of its recipients: what became of it for each
        reply address (None for a bounce address)."""
        message = inbound.parse(raw)
        found = inbound.read(message, envelope_sender)
        outcomes: list[Outcome | None] = []
        for recipient in recipients:
            key = message_key(found.message_id, raw, recipient)
            if bounces.KIND.looks_like(recipient):
                await self._bounce(message, recipient, key)
                outcomes.append(None)
            else:
                outcomes.append(await self.replies.receive(found, recipient, key))
        return outcomes

    async def _bounce(self, message: EmailMessage, recipient: str, key: str) -> None:
        user_id = bounces.bounced_member(self.secret, recipient)
        if user_id is None or not inbound.delivery_failed(message):
            return  # not ours, or an auto-reply sent to the return path: nothing to count
        async with self.db.transaction() as session:
            if await idempotency.claim(session, replies.SCOPE, key, replies.FINGERPRINT):
                return  # the same report delivered again
            failing = await bounces.record(session, user_id)
        log.info("mail to member %s bounced%s", user_id, "; it is failing now" if failing else "")
