"""Reading the mail the forum sends: a real SMTP server in the test process (aiosmtpd)
that keeps what it receives, the local Maildir, and the links in messages."""

from __future__ import annotations

import asyncio
import mailbox
import re
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from forum.models import Outbox

_LINK = re.compile(r"https?://[^\s\"<>]+/(?:verify|password/reset)/[\w-]+")


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(found)  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class Refusing(Inbox):
    """An Inbox whose server answers `RCPT TO:<address>` with the replies `refusals`
    holds for that address, one per attempt, and accepts it once they run out."""

    def __init__(self, refusals: dict[str, Iterator[str]]) -> None:
        super().__init__()
        self.refusals = refusals

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        refusal = next(self.refusals.get(address, iter(())), None)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"


class Busy(Inbox):
    """An Inbox whose server is busy: it answers `MAIL FROM` with the replies `at_mail`
    holds and the message's end (`DATA`) with those `at_data` holds, one per attempt,
    and accepts once they run out."""

    def __init__(self, at_mail: Iterator[str], at_data: Iterator[str]) -> None:
        super().__init__()
        self.at_mail, self.at_data = at_mail, at_data

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        refusal = next(self.at_mail, None)
        if refusal is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        refusal = next(self.at_data, None)
        if refusal is not None:
            return refusal
        return await super().handle_DATA(server, session, envelope)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_server(inbox: Inbox, port: int) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return part.get_content()


def link_in(message: EmailMessage) -> str:
    found = _LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


async def waiting(app: Any) -> int:
    async with app.state.db.transaction() as s:
        return await s.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.sent_at.is_(None), Outbox.failed_at.is_(None))
        )


async def settle(app: Any, rounds: int = 400) -> None:
    """Drain the outbox until nothing waits to be sent (the app's own sender may be sending too)."""
    for _ in range(rounds):
        await app.state.mail_sender.drain()
        if not await waiting(app):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("mail is still waiting in the outbox")


def maildir(data_dir: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(data_dir / "mail", create=False)
    return [
        message_from_bytes(box.get_bytes(key), policy=policy.default)  # type: ignore[misc]
        for key in sorted(box.keys())
    ]


async def link_to(app: Any, data_dir: Path, address: str, kind: str) -> str:
    """The path of a `kind` link ("verify", "password/reset") mailed to `address`, from
    the local Maildir."""
    await settle(app)
    links = [link_in(m) for m in maildir(data_dir) if m["To"] == address]
    found = [path_of(link) for link in links if f"/{kind}/" in link]
    assert found, f"no {kind} link mailed to {address}"
    return found[-1]
