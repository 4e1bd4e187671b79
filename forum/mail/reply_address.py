"""Reply addresses: `reply+<token>@<domain>`, one per member and thread.

A notification about a post carries the address of its member and thread; a message
sent to it is a reply by that member in that thread (`forum mail-gateway`). The token
is signed, not stored (`signed`): the member's id, the thread's id and the day it stops
working, then an HMAC over them with a key derived from the forum's secret.

Whoever holds the address may post as the member in that thread until it expires, as
anyone who reads a member's mail could: the gateway still applies every rule of the API
(the member must be in good standing and may write in the thread *now*).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from forum.mail.signed import Kind

LOCAL_PREFIX = "reply+"
LIFETIME = timedelta(days=180)
KIND = Kind(LOCAL_PREFIX, ids=2, lifetime=LIFETIME, purpose=b"forum reply address")


@dataclass(frozen=True)
class ReplyTarget:
    user_id: int
    thread_id: int
    expires: date


def token(secret: str, user_id: int, thread_id: int, today: date | None = None) -> str:
    return KIND.token(secret, (user_id, thread_id), today)


def address(secret: str, mail_from: str, user_id: int, thread_id: int) -> str:
    """The reply address for `user_id` in `thread_id`, at the domain of `mail_from`."""
    return KIND.address(secret, mail_from, (user_id, thread_id))


def target(secret: str, recipient: str, today: date | None = None) -> ReplyTarget | None:
    """Whom and where a message to `recipient` replies as; None when the address is not
    one of ours, its signature is wrong, or it has expired."""
    found = KIND.opened(secret, recipient, today)
    if found is None:
        return None
    (user_id, thread_id), expires = found
    return ReplyTarget(user_id, thread_id, expires)
