"""A queued message as it goes on the wire: multipart text + HTML with its headers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, localtime
from typing import Any

from forum.mail.outbox import Queued


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    # The message's one link (verification, reset), printed on the console when mail
    # goes to the local Maildir, so a newcomer without a mail server can follow it.
    link: str | None = None


# (kind, language, params) -> the message's words; given to the sender by the app.
Render = Callable[[str, str, dict[str, Any]], Rendered]


def _one_line(value: str) -> str:
    """A header value on one line: a title may hold a line or paragraph separator
    (U+2028, U+2029, NEL), which Python's mail headers refuse like a newline."""
    return " ".join(value.splitlines())


def compose(queued: Queued, rendered: Rendered, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = queued.recipient
    message["Subject"] = _one_line(rendered.subject)
    message["Date"] = format_datetime(localtime())
    # Fixed when the row was written: a message sent twice is recognisably one message.
    message["Message-ID"] = queued.message_id
    # RFC 3834: nobody wrote this; autoresponders must not answer it.
    message["Auto-Submitted"] = "auto-generated"
    # What the core decided for this message (`forum.mail.notices`): List-*, Reply-To,
    # In-Reply-To, References.
    for name, value in queued.params.get("headers", {}).items():
        message[name] = _one_line(value)
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    # After the parts are made: making them moves every Content-* header into the first.
    message["Content-Language"] = queued.language
    return message
