"""Replies by email: a message to a member's reply address (`reply_address`) becomes
their post in the thread, through `forum.posts.reply` as the API's reply does (limits,
rendering, sanitising, the approval queue, locked threads, the event readers follow).

What decides, in order: the address must be one of ours, signed and unexpired; the
`From` address must be the address of the member it names (compared case-insensitively);
the member must be in good standing and allowed to write in the thread *now* (the
policy, through `posts.reply`); the message must carry no attachment and some text,
within the posts' limits and rate. Anything else posts nothing and is answered, in the
member's language, with a short explanation (`ANSWER_KIND`, through the outbox) that
says nothing the sender may not know: never the thread's title or words. At most
`config.Rates.mail_answer` answers go to one address an hour, so a forged `From` cannot
turn the gateway into a mail cannon. Messages no person wrote (`inbound.automatic`) are
neither posted nor answered: answering an autoresponder starts a mail loop.

A message is handled once: its key (its `Message-ID` and the recipient) is claimed in
the idempotency table (`forum.idempotency`) in the transaction that posts or answers,
so a relay delivering it twice posts once. The table keeps keys a day
(`idempotency.KEEP`); relays retry for up to five, but only after a failure the
gateway reports (a 4xx), when nothing was committed.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from dataclasses import dataclass
from email.utils import parseaddr

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import idempotency, markup, posts, suspensions
from forum.db import Database
from forum.errors import DomainError, Kind
from forum.limits import Bucket, Limiter, Rule, per_member
from forum.mail import bounces, reply_address
from forum.mail.inbound import Inbound
from forum.mail.outbox import Mailer
from forum.models import Role, User
from forum.permissions import Actor

log = logging.getLogger("forum.mail")

ANSWER_KIND = bounces.ANSWER_KIND
SCOPE = "mail-in"
FINGERPRINT = b"mail-in"  # the key is the message itself: nothing else to compare


class Refusal(enum.StrEnum):
    """Why a reply by email was not posted; each has its words in the answer's templates."""

    UNKNOWN_ADDRESS = "unknown_address"  # not signed by us, or expired
    UNKNOWN_SENDER = "unknown_sender"  # `From` is not the member the address names
    SUSPENDED = "suspended"
    NOT_ALLOWED = "not_allowed"  # may not write in that thread now (or read it)
    LOCKED = "locked"
    ATTACHMENT = "attachment"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    TOO_FAST = "too_fast"


@dataclass(frozen=True)
class Outcome:
    post_id: int | None = None
    pending: bool = False
    refusal: Refusal | None = None
    answered: bool = False
    duplicate: bool = False
    automatic: bool = False


@dataclass(frozen=True)
class _Member:
    id: int
    email: str
    language: str
    display_name: str
    actor: Actor


_MEMBER = select(
    User.id,
    User.email,
    User.language,
    User.display_name,
    User.role,
    suspensions.active().label("suspended"),
)


async def _member(session: AsyncConnection, *where: object) -> _Member | None:
    row = (await session.execute(_MEMBER.where(*where))).first()  # type: ignore[arg-type]
    if row is None:
        return None
    actor = Actor(user_id=row.id, role=Role(row.role), suspended=row.suspended)
    return _Member(row.id, row.email, row.language, row.display_name, actor)


def message_key(message_id: str | None, raw: bytes, recipient: str) -> str:
    """What identifies one delivery of a message to one of our addresses."""
    name = message_id.encode() if message_id else hashlib.sha256(raw).digest()
    return hashlib.sha256(name + b"\0" + recipient.lower().encode()).hexdigest()


class Replies:
    """Built by the gateway with what it needs from the app's settings."""

    def __init__(self, db: Database, limiter: Limiter, mailer: Mailer, secret: str) -> None:
        self.db = db
        self.limiter = limiter
        self.mailer = mailer
        self.secret = secret

    async def receive(self, message: Inbound, recipient: str, key: str) -> Outcome:
        """Post `message`, sent to the reply address `recipient`, or answer why not."""
        if message.automatic:
            return Outcome(automatic=True)
        target = reply_address.target(self.secret, recipient)
        async with self.db.transaction() as session:
            if await idempotency.claim(session, SCOPE, key, FINGERPRINT) is not None:
                return Outcome(duplicate=True)
            # Uses index: uq_users_email_lower
            sender = await _member(session, func.lower(User.email) == message.sender.lower())
            member = None
            if target is not None:
                member = await _member(session, User.id == target.user_id)
            if target is None or member is None:
                refusal = Refusal.UNKNOWN_ADDRESS
            elif sender is None or sender.id != member.id:
                refusal = Refusal.UNKNOWN_SENDER
            else:
                outcome = await self._post(session, member, target.thread_id, message)
                if outcome.refusal is None:
                    await idempotency.record(session, SCOPE, key, 201, {"post": outcome.post_id})
                    return outcome
                refusal = outcome.refusal
            answered = await self._answer(session, message, sender, refusal)
            await idempotency.record(session, SCOPE, key, 422, {"refused": refusal.value})
        log.info("reply by email from %s to %s refused: %s", message.sender, recipient, refusal)
        return Outcome(refusal=refusal, answered=answered)

    async def _post(
        self, session: AsyncConnection, member: _Member, thread_id: int, message: Inbound
    ) -> Outcome:
        if member.actor.suspended:
            return Outcome(refusal=Refusal.SUSPENDED)
        if message.attachments:
            return Outcome(refusal=Refusal.ATTACHMENT)
        if not message.text.strip():
            return Outcome(refusal=Refusal.EMPTY)
        if markup.too_long(message.text):
            return Outcome(refusal=Refusal.TOO_LONG)
        # Counted with the work, as the API counts a reply (`limits.COUNTED_WITH_THE_WORK`).
        tally = await self.limiter.count(session, [per_member(Rule.POST, member.id)])
        if tally.refused:
            return Outcome(refusal=Refusal.TOO_FAST)
        try:
            async with session.begin_nested():
                post = await posts.reply(session, member.actor, thread_id, body=message.text)
        except DomainError as refused:
            return Outcome(refusal=_refusal(refused))
        return Outcome(post_id=post["id"], pending=post["pending"])

    async def _answer(
        self, session: AsyncConnection, message: Inbound, sender: _Member | None, why: Refusal
    ) -> bool:
        """Queue the answer to the sender; False when none goes (a limit, or an address
        that is ours)."""
        to = message.sender
        if not to or "@" not in to or _ours(to, self.mailer.mail_from):
            return False
        tally = await self.limiter.count(session, [Bucket(Rule.MAIL_ANSWER, "mail " + to.lower())])
        if tally.refused:
            return False
        language = sender.language if sender is not None else "en"
        params = {"reason": why.value, "subject": message.subject,
                  "name": sender.display_name if sender is not None else ""}  # fmt: skip
        await self.mailer.enqueue(session, ANSWER_KIND, to, language, params)
        return True


def _ours(address: str, mail_from: str) -> bool:
    """The forum's own addresses: answering them would send the answer to ourselves."""
    kinds = (reply_address.KIND, bounces.KIND)
    return address.lower() == parseaddr(mail_from)[1].lower() or any(
        k.looks_like(address) for k in kinds
    )


_BY_CODE = {
    "thread_locked": Refusal.LOCKED,
    "account_suspended": Refusal.SUSPENDED,
    "body_too_long": Refusal.TOO_LONG,
}


def _refusal(error: DomainError) -> Refusal:
    if error.code in _BY_CODE:
        return _BY_CODE[error.code]
    if error.kind is Kind.INVALID:
        return Refusal.EMPTY
    return Refusal.NOT_ALLOWED  # no such thread for them now, or they may not write
