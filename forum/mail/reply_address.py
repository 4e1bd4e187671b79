"""Reply addresses: `reply+<token>@<domain>`, one per member and thread.

A notification about a post carries the address of its member and thread; a message
sent to it is a reply by that member in that thread (`forum mail-gateway`). The token
is signed, not stored: the member's id, the thread's id and the day it stops working,
then an HMAC over them with a key derived from the forum's secret. It is lower case
letters and digits only, because mail relays may change the case of a local part, and
it stays well under the 64 characters a local part may have.

Whoever holds the address may post as the member in that thread until it expires, as
anyone who reads a member's mail could: the gateway still applies every rule of the API
(the member must be in good standing and may write in the thread *now*).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr

from forum.mail import signing

LOCAL_PREFIX = "reply+"
LIFETIME = timedelta(days=180)
_EPOCH = date(2020, 1, 1)
_PURPOSE = b"forum reply address"


@dataclass(frozen=True)
class ReplyTarget:
    user_id: int
    thread_id: int
    expires: date


def token(secret: str, user_id: int, thread_id: int, today: date | None = None) -> str:
    expires = (today or datetime.now(UTC).date()) + LIFETIME
    return signing.sign(secret, _PURPOSE, (user_id, thread_id, (expires - _EPOCH).days))


def address(secret: str, mail_from: str, user_id: int, thread_id: int) -> str:
    """The reply address for `user_id` in `thread_id`, at the domain of `mail_from`."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    return f"{LOCAL_PREFIX}{token(secret, user_id, thread_id)}@{domain}"


def target(secret: str, recipient: str, today: date | None = None) -> ReplyTarget | None:
    """Whom and where a message to `recipient` replies as; None when the address is not
    one of ours, its signature is wrong, or it has expired."""
    local = parseaddr(recipient)[1].rpartition("@")[0].lower()
    if not local.startswith(LOCAL_PREFIX):
        return None
    found = signing.verified(secret, _PURPOSE, local[len(LOCAL_PREFIX) :], 3)
    if found is None:
        return None
    user_id, thread_id, days = found
    expires = _EPOCH + timedelta(days=days)
    if expires < (today or datetime.now(UTC).date()):
        return None
    return ReplyTarget(user_id, thread_id, expires)
