"""What the pages offer a reader: a link or a form only where the policy module would let
them follow it (`forum.permissions`, asked through `allows`, so each rule stays written
once), and the languages a post may be tagged with. Templates reach this module as
`offer`: `offer.reply(viewer.actor, thread.locked)`, `offer.languages(locale)`."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from functools import cache, lru_cache
from typing import NamedTuple

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
    "direction",
    "form_key",
    "languages",
    "moderate",
    "on_post",
    "reply",
    "right_to_left",
    "write",
]

# For the script, so a post added live gets the `dir` a reloaded one has.
right_to_left = " ".join(sorted(RIGHT_TO_LEFT))


def moderate(actor: Actor, region_id: int, moderated: Collection[int]) -> bool:
    """Act on a thread and its posts in this region (`moderated`: the actor's regions)."""
    return allows(check_can_moderate_in, actor, region_id, moderated)


def write(actor: Actor) -> bool:
    return allows(check_can_write, actor)


def reply(actor: Actor, locked: bool) -> bool:
    return allows(check_can_reply, actor, locked)


class PostOffer(NamedTuple):
    """What a reader may do with one post, as its links show it."""

    edit: bool  # its author, or a moderator of its region
    delete: bool  # its author (moderators delete with their own buttons)
    revisions: bool  # its author, the moderators of its region and admins
    report: bool  # any member in good standing, on someone else's post


@lru_cache(maxsize=4096)
def on_post(actor: Actor, author_id: int | None, deleted: bool, moderates: bool) -> PostOffer:
    """What `actor` may do with a post by `author_id` (`moderates`: the page's answer of
    `moderate` for the post's region). A thread page asks it of every post, and most
    answers for someone else's post are refusals the policy raises; it is a pure function
    of a frozen actor and plain values, so each answer is remembered by its question."""
    # The policy reads "the post's region is among the actor's" from the page's answer.
    here = (0, (0,) if moderates else ())
    return PostOffer(
        edit=allows(check_can_edit_post, actor, author_id, deleted, *here),
        delete=allows(check_can_change_post, actor, author_id, deleted),
        revisions=allows(check_can_read_revisions, actor, author_id, *here),
        report=allows(check_can_flag, actor, author_id),
    )


@cache
def languages(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name in the reader's language) for the forms' language menu, by name."""
    names = Locale.parse(locale).languages
    named = ((code, names.get(code, code)) for code in OFFERED)
    return tuple(sorted(named, key=lambda pair: pair[1].casefold()))


def form_key() -> str:
    """A fresh key for a form that creates something: sent twice, it creates once."""
    return secrets.token_urlsafe(16)
