"""What the pages offer a reader: a link or a form only where the policy module would let
them follow it (`forum.permissions`, asked through `allows`, so each rule stays written
once), and the languages a post may be tagged with. Templates reach this module as
`offer`: `offer.reply(viewer.actor, thread.locked)`, `offer.languages(locale)`."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from functools import cache, lru_cache

from babel import Locale

from forum.languages import OFFERED, RIGHT_TO_LEFT, direction
from forum.permissions import (
    Actor,
    allows,
    check_can_change_post,
    check_can_edit_post,
    check_can_flag,
    check_can_moderate_in,
    check_can_read_revisions,
    check_can_reply,
    check_can_write,
)

__all__ = [
    "change",
    "direction",
    "edit",
    "flag",
    "form_key",
    "languages",
    "moderate",
    "reply",
    "revisions",
    "right_to_left",
    "write",
]

# A thread page asks the same few questions of every post (may this reader edit, delete,
# read the revisions of, report it?) and most answers for someone else's post are no:
# a `DomainError` raised and caught each time, some 60 a page. The checks asked per post
# are pure functions of the actor (a frozen record of who they are now) and plain values,
# so an answer is remembered by its question.
_allows_post = lru_cache(maxsize=4096)(allows)

# For the script, so a post added live gets the `dir` a reloaded one has.
right_to_left = " ".join(sorted(RIGHT_TO_LEFT))


def moderate(actor: Actor, region_id: int, moderated: Collection[int]) -> bool:
    """Act on a thread and its posts in this region (`moderated`: the actor's regions)."""
    return allows(check_can_moderate_in, actor, region_id, moderated)


def write(actor: Actor) -> bool:
    return allows(check_can_write, actor)


def reply(actor: Actor, locked: bool) -> bool:
    return allows(check_can_reply, actor, locked)


def change(actor: Actor, author_id: int | None, deleted: bool = False) -> bool:
    """Delete one's own post (moderators delete with their own buttons)."""
    return _allows_post(check_can_change_post, actor, author_id, deleted)


def _here(moderates: bool) -> tuple[int, tuple[int, ...]]:
    # A page asks once whether the reader moderates its region (`moderate`); the policy
    # then reads that answer as "the post's region is among theirs".
    return 0, (0,) if moderates else ()


def edit(actor: Actor, author_id: int | None, deleted: bool, moderates: bool) -> bool:
    """Edit a post: its author, or a moderator of its region (`moderates`, the page's
    answer of `moderate` for its region)."""
    return _allows_post(check_can_edit_post, actor, author_id, deleted, *_here(moderates))


def revisions(actor: Actor, author_id: int | None, moderates: bool = False) -> bool:
    """Read a post's revisions (`moderates`: as for `edit`)."""
    return _allows_post(check_can_read_revisions, actor, author_id, *_here(moderates))


def flag(actor: Actor, author_id: int | None) -> bool:
    """Report a post (one the page shows them)."""
    return _allows_post(check_can_flag, actor, author_id)


@cache
def languages(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name in the reader's language) for the forms' language menu, by name."""
    names = Locale.parse(locale).languages
    named = ((code, names.get(code, code)) for code in OFFERED)
    return tuple(sorted(named, key=lambda pair: pair[1].casefold()))


def form_key() -> str:
    """A fresh key for a form that creates something: sent twice, it creates once."""
    return secrets.token_urlsafe(16)
