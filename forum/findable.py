"""Which threads, and which proposals (events, news items), a reader may find, each as
one SQL condition.

The policy module answers with values (`readable_visibilities`, `reads_hidden_threads`,
`pending_scope`, `proposal_scope`); this turns them into the one WHERE clause that every
query listing threads uses (thread lists, the threads an organisation's or an
experience's page links, unread counts), so a thread held for approval or hidden is
left out of all of them alike; and the one that lists of events and of news use
(`proposals`). The threads' condition needs a query that joins `Thread` and `Region`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, true

from forum.catalog import Catalog
from forum.models import ModeratedRegion, Region, Thread
from forum.permissions import (
    Actor,
    pending_scope,
    proposal_scope,
    readable_visibilities,
    reads_hidden_threads,
)


def moderated_by(user_id: Any) -> ColumnElement[bool]:
    """Whether `user_id` (a value or a bind parameter) moderates the thread's region."""
    return exists().where(
        ModeratedRegion.user_id == user_id, ModeratedRegion.region_id == Thread.region_id
    )


def threads(actor: Actor) -> ColumnElement[bool]:
    """`can_read_thread` as a condition: the reader's regions; hidden threads for the
    staff; a thread awaiting approval for its author, its region's moderators and admins
    (`can_read_pending`)."""
    condition = Region.visibility.in_(sorted(readable_visibilities(actor)))
    if not reads_hidden_threads(actor):
        return and_(condition, ~Thread.hidden)
    scope = pending_scope(actor)
    if scope.everywhere:
        return condition
    visible = or_(~Thread.pending, Thread.author_id == scope.of)
    if scope.moderated:
        visible = or_(visible, moderated_by(scope.of))
    return and_(condition, visible)


def proposals(
    actor: Actor,
    catalog: Catalog,
    moderated: Collection[int],
    *,
    region_id: Any,
    status: Any,
    proposer_id: Any,
    published: str,
) -> ColumnElement[bool]:
    """`can_read_event` (news items follow it too) as a condition over a table's
    `region_id`, `status` and `proposer_id` columns: items of the regions the reader
    reads; the `published` ones, and the others (proposed, declined) for their proposer
    unless suspended and for those who may decide them (`proposal_scope`: editors and
    admins everywhere, moderators in their regions, `moderated`)."""
    readable = [r.id for r in catalog.readable_regions(actor)]
    shown = [status == published]
    scope = proposal_scope(actor, moderated)
    if scope.everywhere:
        shown.append(true())
    elif scope.regions:
        shown.append(region_id.in_(sorted(scope.regions)))
    if actor.user_id is not None and not actor.suspended:
        shown.append(proposer_id == actor.user_id)
    return and_(region_id.in_(readable), or_(*shown))
