"""The one place that decides who may do what.

Used by the API, the pages and (later) the websocket and search alike. Functions named
`check_*` raise a `DomainError`; the others answer a question.
"""

from __future__ import annotations

from dataclasses import dataclass

from forum.errors import DomainError, Kind, forbidden
from forum.models import Role, Visibility

STAFF = frozenset({Role.MODERATOR, Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    role: Role | None = None
    suspended: bool = False

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def staff(self) -> bool:
        return self.role in STAFF


ANONYMOUS = Actor()


def readable_visibilities(actor: Actor) -> list[str]:
    """Region visibilities this actor may read; queries filter with `= ANY(...)`."""
    if actor.authenticated:
        return [Visibility.PUBLIC.value, Visibility.MEMBERS.value]
    return [Visibility.PUBLIC.value]


def can_read_region(actor: Actor, visibility: str) -> bool:
    return visibility in readable_visibilities(actor)


def can_read_thread(actor: Actor, region_visibility: str, hidden: bool) -> bool:
    return can_read_region(actor, region_visibility) and (not hidden or actor.staff)


def can_see_post_content(actor: Actor, author_id: int, hidden: bool, deleted: bool) -> bool:
    if deleted:
        return False
    return not hidden or actor.staff or actor.user_id == author_id


def check_can_write(actor: Actor) -> None:
    if not actor.authenticated:
        raise DomainError(Kind.UNAUTHENTICATED, "login_required", "Log in to take part.")
    if actor.suspended:
        raise forbidden("account_suspended", "This account is suspended.")


def check_can_reply(actor: Actor, locked: bool) -> None:
    check_can_write(actor)
    if locked and not actor.staff:
        raise forbidden("thread_locked", "This thread is locked and takes no replies.")


def check_can_change_post(actor: Actor, author_id: int, deleted: bool) -> None:
    check_can_write(actor)
    if actor.user_id != author_id:
        raise forbidden("not_author", "Only the author may change this post.")
    if deleted:
        raise DomainError(Kind.CONFLICT, "post_deleted", "This post has been deleted.")


def check_can_read_revisions(actor: Actor, author_id: int) -> None:
    # Edits often remove something the author regrets publishing (a name, a place):
    # earlier versions are for the author and moderators only.
    if not (actor.user_id == author_id or actor.staff):
        raise forbidden("revisions_private", "Only the author and moderators see earlier versions.")


def event_visibility(region_visibility: str, thread_hidden: bool) -> str:
    """Who may receive an event about a thread: `public`, `members` or `staff`."""
    if thread_hidden:
        return "staff"
    return region_visibility
