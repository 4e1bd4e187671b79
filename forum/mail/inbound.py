"""Reading a received message: what its sender wrote, and whether a person wrote it.

Pure functions over `email` messages (`policy.default`), no database: the gateway
(`forum.mail.gateway`) decides what to do with what `read` returns.

- `automatic`: an auto-reply, a bounce or list traffic (RFC 3834 `Auto-Submitted`, the
  older `X-Autoreply`/`X-Autorespond`/`Precedence` headers, a null return path, a
  `multipart/report`, or a subject an out-of-office message has). Such a message never
  posts and is never answered: answering an autoresponder is how mail loops start.
- `attachments`: the names of the files attached. An image embedded in an HTML body
  (a `multipart/related` part with a `Content-ID`: signature logos) is not one.
- `text`: what the sender wrote, without the message they replied to (quoted `> `
  lines; the "On ... wrote:" line in English, French and Spanish; Outlook's
  "-----Original Message-----" and "From: ... Sent: ..." headers and all below them),
  their signature (from a `-- ` line) and the footers phones and mail apps add. A
  message with no plain text part is turned into text from its HTML, its quotes
  (`<blockquote>`, Gmail's and Outlook's quote blocks) left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import parseaddr
from html.parser import HTMLParser

MAX_SUBJECT = 200


@dataclass(frozen=True)
class Inbound:
    sender: str  # the `From` address, as written
    subject: str
    message_id: str | None
    automatic: bool
    attachments: tuple[str, ...]
    text: str


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def read(message: EmailMessage, envelope_sender: str | None = None) -> Inbound:
    """`envelope_sender`: the SMTP `MAIL FROM` ("" or "<>" for the null return path of
    a bounce or an auto-reply); None when unknown."""
    return Inbound(
        sender=parseaddr(_header(message, "From"))[1],
        subject=_header(message, "Subject")[:MAX_SUBJECT],
        message_id=_header(message, "Message-ID").strip() or None,
        automatic=automatic(message, envelope_sender),
        attachments=attachments(message),
        text=reply_text(body_text(message)),
    )


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError):  # a header too broken to parse
        return ""
    return " ".join(str(value).split()) if value is not None else ""


# Subjects of out-of-office replies and bounces, in the languages of the forum; only at
# the start, so that "Re: Absence of protection for whistleblowers" is a reply.
_AUTOMATIC_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto[- ]?reply|autoresponse|absence|absent\b"
    r"|réponse automatique|r[ée]ponse en votre absence|respuesta autom[áa]tica"
    r"|fuera de la oficina|ausente|ausencia|undeliver|delivery status notification"
    r"|mail delivery (failed|failure|subsystem)|returned mail|non remis|no entregado)",
    re.IGNORECASE,
)
_LIST_PRECEDENCE = {"bulk", "auto_reply", "junk", "list"}


def automatic(message: EmailMessage, envelope_sender: str | None = None) -> bool:
    """Whether no person wrote this (an auto-reply, a bounce, list traffic)."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return True
    if message.get("X-Autoreply") is not None or message.get("X-Autorespond") is not None:
        return True
    if _header(message, "Precedence").lower() in _LIST_PRECEDENCE:
        return True
    null_sender = envelope_sender is not None and not envelope_sender.strip("<> ")
    if null_sender or _header(message, "Return-Path").strip() == "<>":
        return True
    if message.get_content_type() == "multipart/report":
        return True
    return bool(_AUTOMATIC_SUBJECT.match(_header(message, "Subject")))


def attachments(message: EmailMessage) -> tuple[str, ...]:
    found = []
    for part, related in _leaves(message, related=False):
        disposition = part.get_content_disposition()
        name = part.get_filename()
        if related and part.get("Content-ID"):
            continue  # an image the HTML body shows (a signature's logo)
        if disposition == "attachment" or (name and not _is_body_type(part)):
            found.append(name or part.get_content_type())
        elif part.get_content_maintype() not in ("text", "multipart"):
            found.append(part.get_content_type())  # an inline image or file, unnamed
    return tuple(found)


def _is_body_type(part: Message) -> bool:
    return part.get_content_type() in ("text/plain", "text/html")


def _leaves(part: Message, related: bool) -> list[tuple[Message, bool]]:
    if part.is_multipart():
        inner = related or part.get_content_type() == "multipart/related"
        return [leaf for sub in part.iter_parts() for leaf in _leaves(sub, inner)]  # type: ignore[attr-defined]
    return [(part, related)]


def body_text(message: EmailMessage) -> str:
    """The message's text: its plain text part, else its HTML part as text."""
    part = message.get_body(("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AttributeError):  # an unknown or lying charset
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_type() == "text/html":
        return html_text(content)
    return content


# HTML to text: blocks become lines, quotes are dropped.
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr"}
_SKIPPED = {"style", "script", "head", "title", "blockquote"}
# Gmail's quoted message, Outlook's (the "From: ... Sent:" block after this marker),
# Yahoo's, Apple Mail's: the message replied to.
_QUOTE_CLASSES = {"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "divrplyfwdmsg"}
_QUOTE_IDS = {"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"}


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping: list[str] = []  # the open elements whose content is left out
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        if self.skipping:
            if tag == self.skipping[0]:
                self.skipping.append(tag)
            return
        values = dict(attrs)
        classes = set((values.get("class") or "").lower().split())
        if (values.get("id") or "").lower() in _QUOTE_IDS:
            self.stopped = True  # Outlook: everything after this is the quoted message
            return
        if tag in _SKIPPED or classes & _QUOTE_CLASSES:
            self.skipping.append(tag)
            return
        if tag in _BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[0]:
                self.skipping.pop()
            return
        if tag in _BLOCKS and not self.stopped:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.stopped:
            self.out.append(re.sub(r"\s+", " ", data))


def html_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.out).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# The line a client writes above the message it quotes, which may be wrapped over up to
# three lines ("On Tue, 1 Dec 2026 at 03:10, CSO Forum <\nreply+...@forum.org> wrote:").
_ATTRIBUTION = re.compile(
    r"^(on\b.+\bwrote|le\b.+\ba\s+écrit|el\b.+\bescribi[óo]|am\b.+\bschrieb)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ORIGINAL = re.compile(
    r"^\s*-{3,}\s*(original message|message d'origine|mensaje original|original nachricht"
    r"|forwarded message|message transféré|mensaje reenviado)\s*-{3,}\s*$",
    re.IGNORECASE,
)
# Outlook's header block of the quoted message: "From:" then, within a few lines, "Sent:".
_FROM = re.compile(r"^\s*\**(from|de|von)\s*:\**\s", re.IGNORECASE)
_SENT = re.compile(r"^\s*\**(sent|date|envoyé|enviado|fecha|gesendet)\s*:\**\s", re.IGNORECASE)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_FOOTER = re.compile(
    r"^\s*(sent from (my|mail for|yahoo|outlook|samsung)\b|sent via\b"
    r"|get outlook for\b|obtenir outlook pour\b|obtener outlook para\b|télécharger outlook"
    r"|envoyé de(puis)? (mon|ma|l'|mail|yahoo|outlook)|envoyé à partir de"
    r"|enviado desde (mi|el|correo|yahoo|outlook)|enviado con\b|von meinem .+ gesendet)",
    re.IGNORECASE,
)
FOOTER_LINES = 4  # a mobile footer is at the very end of what was written


def reply_text(text: str) -> str:
    """What the sender wrote above (or between) the text they quoted, without their
    signature and their phone's footer."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: _quote_start(lines)]
    lines = [line for line in lines if not line.lstrip().startswith(">")]
    for n, line in enumerate(lines):
        if line.rstrip() == "--" or line == "-- ":
            lines = lines[:n]
            break
    lines = _without_footer(lines)
    return "\n".join(line.rstrip() for line in lines).strip("\n").strip()


def _quote_start(lines: list[str]) -> int:
    """Where the quoted message starts (all below it goes); attribution lines above a
    quote the member answers below (bottom or inline posting) are blanked in place."""
    for n, line in enumerate(lines):
        if _ORIGINAL.match(line):
            return n
        if _FROM.match(line) and any(_SENT.match(s) for s in lines[n + 1 : n + 4]):
            return n - 1 if n and _RULE.match(lines[n - 1]) else n
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        for size in (1, 2, 3):
            joined = " ".join(s.strip() for s in lines[n : n + size])
            if not _ATTRIBUTION.match(joined):
                continue
            after = _written_after_quote(lines, n + size)
            if after is None:
                break  # "On Monday the minister wrote:" in a member's own words
            if not after:
                return n
            lines[n : n + size] = [""] * size
            break
    return len(lines)


def _written_after_quote(lines: list[str], start: int) -> bool | None:
    """After an attribution: None if no quote follows it (so it is not one); else
    whether the member wrote anything below the quote (but a signature)."""
    rest = [line.strip() for line in lines[start:] if line.strip()]
    if rest and not rest[0].startswith(">"):
        return None
    below = [line for line in rest if not line.startswith(">")]
    return bool(below) and below[0] != "--"


def _without_footer(lines: list[str]) -> list[str]:
    written = [n for n, line in enumerate(lines) if line.strip()]
    for n in written[-FOOTER_LINES:]:
        if _FOOTER.match(lines[n]):
            return lines[:n]
    return lines


# Delivery status notifications (RFC 3464), for the bounce address.
_FAILED_SUBJECT = re.compile(
    r"^\s*(undeliver|delivery status notification \(failure\)|mail delivery (failed|failure)"
    r"|returned mail|failure notice|non remis|no entregado)",
    re.IGNORECASE,
)


def delivery_failed(message: EmailMessage) -> bool:
    """Whether this is a report that a message could not be delivered (not a delay,
    not an out-of-office sent to the return path)."""
    if message.get_content_type() == "multipart/report":
        actions = [
            value.strip().lower()
            for part in message.walk()
            if part.get_content_type() == "message/delivery-status"
            for value in re.findall(r"(?im)^action:\s*(\S+)", _status_text(part))
        ]
        if actions:
            return "failed" in actions
    return bool(_FAILED_SUBJECT.match(_header(message, "Subject")))


def _status_text(part: Message) -> str:
    # `policy.default` parses the status fields as a list of header blocks.
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(str(block) for block in payload)
    return str(payload)
