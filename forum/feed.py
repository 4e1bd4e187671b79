"""What the event log tells a reader: each event's data as the current rows show it, with
the audience that may receive it now.

The log records what happened to which ids (a post was written in a thread), never the
text. A copy taken at write time would go on serving a post's words after they were
edited away or deleted, and to readers the thread's region or a moderator no longer lets
in; so whoever delivers events, live (the hub) or on resume (a backlog), builds their data
here. One query per kind of subject per batch of events, never one per reader.

A payload names its subject with `thread_id` and, for a post's events, `post_id`:
`thread.created` delivers `{"thread", "post"}`, `post.*` delivers `{"post"}`, any other
`thread.*` delivers `{"thread"}`. `organisation.*` and `affiliation.changed` deliver what
`forum.organisations.current` and `forum.affiliations.current` say now (an affiliation
hidden since reaches only its member); `experience.*` delivers what
`forum.experiences.current` says now (its id and organisation, to whoever may read the
organisation now; a gone one reaches nobody). A post's event whose post is in another
thread now (split or merged away, `forum.splitting`) reaches nobody: the thread it names
no longer holds it, and the move has its own event. Other events keep the audience and payload they
were written with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from forum import affiliations, experiences, organisations, posts, threads
from forum.events import Event

AFFILIATION_CHANGED = "affiliation.changed"


@dataclass(frozen=True)
class Delivery:
    event: Event
    audience: str | None  # who may receive it now; None: nobody (its subject is gone)
    data: dict[str, Any]


def _subjects(event: Event) -> tuple[int | None, int | None]:
    """The thread whose view the event delivers, and the post whose view it delivers."""
    payload = event.payload
    if event.type.startswith("post."):
        return None, payload.get("post_id")
    if event.type == "thread.created":
        return payload.get("thread_id"), payload.get("post_id")
    if event.type.startswith("thread."):
        return payload.get("thread_id"), None
    return None, None


async def current(session: AsyncConnection, batch: Sequence[Event]) -> list[Delivery]:
    subjects = [_subjects(e) for e in batch]
    thread_ids = {t for t, _ in subjects if t is not None}
    post_ids = {p for _, p in subjects if p is not None}
    thread_now = await threads.current(session, thread_ids) if thread_ids else {}
    post_now = await posts.current(session, post_ids) if post_ids else {}
    orgs_now = await _organisations_now(session, batch)
    deliveries = []
    for event, (thread_id, post_id) in zip(batch, subjects, strict=True):
        if event.cursor in orgs_now:
            audience, data = orgs_now[event.cursor]
            deliveries.append(Delivery(event, audience, data))
            continue
        if thread_id is None and post_id is None:
            deliveries.append(Delivery(event, event.visibility, event.payload))
            continue
        data: dict[str, Any] = {}
        audience: str | None = None
        if thread_id is not None:
            data["thread"], audience = thread_now.get(thread_id, (None, None))
        if post_id is not None:
            data["post"], audience = post_now.get(post_id, (None, None))
            named = event.payload.get("thread_id")
            if data["post"] is not None and named not in (None, data["post"]["thread_id"]):
                audience = None  # moved to another thread since: its move is its own event
        if any(view is None for view in data.values()):
            audience = None  # deleted for good since: nothing to tell anyone
        deliveries.append(Delivery(event, audience, data))
    return deliveries


async def _organisations_now(
    session: AsyncConnection, batch: Sequence[Event]
) -> dict[Any, tuple[str | None, dict[str, Any]]]:
    """Organisation, affiliation and experience events of the batch, by cursor: (audience
    now, data)."""
    orgs = {e.payload.get("organisation") for e in batch if e.type.startswith("organisation.")}
    ties = {
        (e.payload.get("organisation"), e.payload.get("user_id"))
        for e in batch
        if e.type == AFFILIATION_CHANGED
    }
    stories = {e.payload.get("experience_id") for e in batch if e.type.startswith("experience.")}
    org_now = await organisations.current(session, orgs) if orgs else {}
    tie_now = await affiliations.current(session, ties) if ties else {}
    story_now = await experiences.current(session, stories) if stories else {}
    found: dict[Any, tuple[str | None, dict[str, Any]]] = {}
    for e in batch:
        if e.type.startswith("organisation."):
            data, audience = org_now.get(e.payload.get("organisation"), ({}, None))
        elif e.type == AFFILIATION_CHANGED:
            key = (e.payload.get("organisation"), e.payload.get("user_id"))
            data, audience = tie_now.get(key, ({}, None))  # type: ignore[arg-type]
        elif e.type.startswith("experience."):
            data, audience = story_now.get(e.payload.get("experience_id"), ({}, None))  # type: ignore[arg-type]
        else:
            continue
        found[e.cursor] = (audience, data)
    return found
