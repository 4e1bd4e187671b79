"""What a member follows, and how closely: watching (every new post notifies), tracking
(counts only), muted (nothing, even where a broader follow would).

A target is written as a realtime channel is: `thread:42`, `region:<slug>`,
`topic:<slug>`, `country:<CODE>`, `organisation:<slug>`, `search:<saved search id>`
(`forum.saved_searches`). One may follow only what one may read now (anything else
answers 404, as if missing); what follows from a follow is decided again, as things are
then, by the fan-out (`forum.notifier`) and when a notification is shown. Posting in a
thread watches it unless the member chose otherwise there (the notifier does that, off
the write path). Table `follows`, through Core.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ScalarSelect, delete, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import organisations
from forum.catalog import Catalog
from forum.errors import DomainError, Kind, invalid, not_found
from forum.models import Follow, FollowLevel, Organisation, Region, SavedSearch, Thread
from forum.permissions import Actor, can_read_thread, check_signed_in

KINDS = ("thread", "region", "topic", "country", "organisation", "search")
MAX_FOLLOWS = 1000  # per member
MAX_TARGET = 120


@dataclass(frozen=True)
class Followed:
    target: str
    level: str
    mailing_list: bool
    created_at: datetime | None = None


def parse(target: str) -> tuple[str, str]:
    """(kind, key) of a target, or a 422."""
    kind, _, key = target.partition(":")
    if kind not in KINDS or not key or len(target) > MAX_TARGET:
        message = "Follow a thread, region, topic, country, organisation or saved search."
        raise invalid("target", message, "invalid_target")
    if kind in ("thread", "search") and not (key.isascii() and key.isdigit() and len(key) < 19):
        raise invalid("target", "Not an id.", "invalid_target")
    return kind, key


async def check_target(
    session: AsyncConnection, actor: Actor, catalog: Catalog, target: str
) -> str:
    """The target as stored, if `actor` may follow it now; one they may not read is 404."""
    kind, key = parse(target)
    if kind == "thread":
        row = (
            await session.execute(
                select(Thread.hidden, Thread.pending, Thread.author_id, Region.visibility)
                .join(Region, Region.id == Thread.region_id)
                .where(Thread.id == int(key))
            )
        ).first()
        if row is None or not can_read_thread(
            actor, row.visibility, row.hidden, pending=row.pending, author_id=row.author_id
        ):
            raise not_found("thread")
    elif kind == "region":
        catalog.region(actor, key)
    elif kind == "topic":
        catalog.topic(key)
    elif kind == "country":
        key = key.upper()
        readable = {c.code for c in catalog.readable_countries(actor)}
        if key not in readable:
            raise not_found("country")
    elif kind == "organisation":
        await organisations.find(session, actor, catalog, key)
    else:
        owner = await session.scalar(select(SavedSearch.user_id).where(SavedSearch.id == int(key)))
        if owner is None or owner != actor.user_id:
            raise not_found("saved_search")
    return f"{kind}:{key}"


def _level(level: str) -> str:
    try:
        return FollowLevel(level).value
    except ValueError:
        raise invalid("level", "Choose watching, tracking or muted.", "invalid_level") from None


async def follow(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    target: str,
    level: str,
    *,
    mailing_list: bool = False,
) -> Followed:
    """Follow `target` at `level` (again: the level changes). `mailing_list`: regions
    only, each new post mailed as its own message (`forum.mail`)."""
    check_signed_in(actor)
    level = _level(level)
    stored = await check_target(session, actor, catalog, target)
    if mailing_list and not stored.startswith("region:"):
        raise invalid("mailing_list", "Only a region can be followed as a mailing list.",
                      "not_a_region")  # fmt: skip
    count = await session.scalar(
        select(func.count()).select_from(Follow).where(Follow.user_id == actor.user_id)
    )
    statement = upsert(Follow).values(
        user_id=actor.user_id, target=stored, level=level, mailing_list=mailing_list
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Follow.user_id, Follow.target],
        set_={"level": level, "mailing_list": mailing_list},
    ).returning(Follow.target, Follow.level, Follow.mailing_list, Follow.created_at)
    if (count or 0) >= MAX_FOLLOWS and await one_of(session, actor, stored) is None:
        message = f"You follow {MAX_FOLLOWS} things already: stop following some first."
        raise DomainError(Kind.CONFLICT, "too_many_follows", message)
    row = (await session.execute(statement)).one()
    return Followed(row.target, row.level, row.mailing_list, row.created_at)


async def unfollow(session: AsyncConnection, actor: Actor, target: str) -> bool:
    """Stop following; whether there was anything to stop."""
    check_signed_in(actor)
    kind, key = parse(target)
    stored = f"{kind}:{key.upper() if kind == 'country' else key}"
    result = await session.execute(
        delete(Follow).where(Follow.user_id == actor.user_id, Follow.target == stored)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


_THREAD = literal_column("'thread:'")  # inline, not a parameter: the query is prepared once


def thread_level_of(user_id: BindParameter[Any]) -> ScalarSelect[str]:
    """How the member `user_id` follows the thread of the enclosing query on `Thread`
    (NULL: not at all), a column for `forum.threads.get_thread`: a thread page learns its
    Follow control's state with the thread itself, not in a query of its own."""
    # Uses index: pk_follows
    return (
        select(Follow.level)
        .where(Follow.user_id == user_id, Follow.target == func.concat(_THREAD, Thread.id))
        .correlate(Thread)
        .scalar_subquery()
    )


async def one_of(session: AsyncConnection, actor: Actor, target: str) -> Followed | None:
    """How `actor` follows `target` (None: not at all), for the Follow control."""
    if actor.user_id is None:
        return None
    row = (
        await session.execute(
            select(Follow.target, Follow.level, Follow.mailing_list, Follow.created_at).where(
                Follow.user_id == actor.user_id, Follow.target == target
            )
        )
    ).first()
    return Followed(row.target, row.level, row.mailing_list, row.created_at) if row else None


async def mine(session: AsyncConnection, actor: Actor) -> list[Followed]:
    """Everything the member follows (at most MAX_FOLLOWS), newest first. Targets they
    may no longer read stay listed, without their name (`names`), so that they can stop
    following them; they notify nothing."""
    check_signed_in(actor)
    rows = await session.execute(
        select(Follow.target, Follow.level, Follow.mailing_list, Follow.created_at)
        .where(Follow.user_id == actor.user_id)
        .order_by(Follow.created_at.desc(), Follow.target)
        .limit(MAX_FOLLOWS)
    )
    return [Followed(r.target, r.level, r.mailing_list, r.created_at) for r in rows]


async def names(
    session: AsyncConnection, actor: Actor, catalog: Catalog, targets: list[str]
) -> dict[str, str]:
    """The names of the targets `actor` may read now (a thread's title, a region's name,
    ...); the others are left out."""
    found: dict[str, str] = {}
    threads, orgs, searches = [], [], []
    for target in targets:
        kind, _, key = target.partition(":")
        if kind == "thread" and key.isdigit():
            threads.append(int(key))
        elif kind == "organisation":
            orgs.append(key)
        elif kind == "search" and key.isdigit():
            searches.append(int(key))
        elif kind in ("region", "topic"):
            with contextlib.suppress(DomainError):  # unknown, or not readable
                entry = catalog.region(actor, key) if kind == "region" else catalog.topic(key)
                found[target] = entry.name
        elif kind == "country" and key in {c.code for c in catalog.readable_countries(actor)}:
            found[target] = catalog.name("country", key)
    if threads:
        rows = await session.execute(
            select(Thread.id, Thread.title, Thread.hidden, Thread.pending, Thread.author_id,
                   Region.visibility)
            .join(Region, Region.id == Thread.region_id)
            .where(Thread.id.in_(threads))
        )  # fmt: skip
        for r in rows:
            if can_read_thread(actor, r.visibility, r.hidden, pending=r.pending,
                               author_id=r.author_id):  # fmt: skip
                found[f"thread:{r.id}"] = r.title
    for slug in orgs:
        try:
            await organisations.find(session, actor, catalog, slug)
        except DomainError:
            continue
        found[f"organisation:{slug}"] = (
            await session.scalar(select(Organisation.name).where(Organisation.slug == slug)) or slug
        )
    if searches:
        rows = await session.execute(
            select(SavedSearch.id, SavedSearch.name).where(
                SavedSearch.id.in_(searches), SavedSearch.user_id == actor.user_id
            )
        )
        found.update({f"search:{r.id}": r.name for r in rows})
    return found
