"""What the event log tells a reader: each event's data as the current rows show it, with
the audience that may receive it now.

The log records what happened to which ids (a post was written in a thread), never the
text. A copy taken at write time would go on serving a post's words after they were
edited away or deleted, and to readers the thread's region or a moderator no longer lets
in; so whoever delivers events, live (the hub) or on resume (a backlog), builds their data
here. One query per kind of subject per batch of events, never one per reader.

A payload names its subject with `thread_id` and, for a post's events, `post_id`:
`thread.created` delivers `{"thread", "post"}`, `post.*` delivers `{"post"}`, any other
`thread.*` delivers `{"thread"}`. Events about no thread keep the audience and payload they
were written with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from forum import posts, threads
from forum.events import Event


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
    deliveries = []
    for event, (thread_id, post_id) in zip(batch, subjects, strict=True):
        if thread_id is None and post_id is None:
            deliveries.append(Delivery(event, event.visibility, event.payload))
            continue
        data: dict[str, Any] = {}
        audience: str | None = None
        if thread_id is not None:
            data["thread"], audience = thread_now.get(thread_id, (None, None))
        if post_id is not None:
            data["post"], audience = post_now.get(post_id, (None, None))
        if any(view is None for view in data.values()):
            audience = None  # deleted for good since: nothing to tell anyone
        deliveries.append(Delivery(event, audience, data))
    return deliveries
