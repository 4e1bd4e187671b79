"""Loads the demo content (`forum.demo_data`) through the same actions members use.

Idempotent: reference data is upserted, members and threads are created only if missing,
so `forum demo` can run on every start.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import (
    accounts,
    affiliations,
    catalog,
    demo_calendar,
    demo_data,
    demo_news,
    demo_reviews,
    experiences,
    organisations,
    posts,
    threads,
)
from forum.db import Database
from forum.models import (
    Country,
    Experience,
    Organisation,
    Region,
    Role,
    Thread,
    Topic,
    User,
)
from forum.organisation_fields import Activity, Profile
from forum.permissions import Actor

DEMO_PASSWORD = "demo-password-2026"


async def load(db: Database) -> int:
    """Load what is missing; returns how many threads were added."""
    async with db.transaction() as session:
        await _reference_data(session)
        await demo_reviews.load(session)
        members = await _members(session)
        known = await catalog.load(session)
    await _organisations(db, members)
    added = 0
    for item in demo_data.THREADS:
        async with db.transaction() as session:
            if await session.scalar(select(Thread.id).where(Thread.title == item.title)):
                continue
            author = Actor(members[item.author], Role.MEMBER)
            created = await threads.create_thread(
                session,
                author,
                known,
                region=item.region,
                topic=item.topic,
                title=item.title,
                body=item.body,
                countries=list(item.countries),
            )
            for reply in item.replies:
                await posts.reply(
                    session,
                    Actor(members[reply.author], Role.MEMBER),
                    created["thread"]["id"],
                    body=reply.body,
                )
            added += 1
    await _experiences(db, members)
    await demo_calendar.load(db, members)
    await demo_news.load(db)
    return added


async def _reference_data(session: AsyncConnection) -> None:
    for r in demo_data.REGIONS:
        await session.execute(
            insert(Region)
            .values(slug=r.slug, name=r.name, description=r.description)
            .on_conflict_do_nothing(index_elements=[Region.slug])
        )
    for t in demo_data.TOPICS:
        await session.execute(
            insert(Topic)
            .values(slug=t.slug, name=t.name, description=t.description)
            .on_conflict_do_nothing(index_elements=[Topic.slug])
        )
    region_ids = {r.slug: r.id for r in await session.execute(select(Region.slug, Region.id))}
    await session.execute(
        insert(Country)
        .values(
            [
                {"code": c.code, "name": c.name, "region_id": region_ids[c.region]}
                for c in demo_data.COUNTRIES
            ]
        )
        .on_conflict_do_nothing(index_elements=[Country.code])
    )


async def _members(session: AsyncConnection) -> dict[str, int]:
    emails = [m.email.lower() for m in demo_data.MEMBERS]
    existing: dict[str, int] = {
        email: user_id
        for email, user_id in await session.execute(
            select(func.lower(User.email), User.id).where(func.lower(User.email).in_(emails))
        )
    }
    for m in demo_data.MEMBERS:
        if m.email.lower() not in existing:
            user = await accounts.register(
                session,
                email=m.email,
                display_name=m.display_name,
                password=DEMO_PASSWORD,
                organisation=m.organisation,
                language=m.language,
                role=Role.MEMBER,  # the demo's people were admitted long ago
            )
            existing[m.email.lower()] = user["id"]
    return {m.email: existing[m.email.lower()] for m in demo_data.MEMBERS}


async def _organisations(db: Database, members: dict[str, int]) -> None:
    """The demo profiles that are missing, with their members' affiliations."""
    operator = Actor(0, Role.ADMIN)
    for o in demo_data.ORGANISATIONS:
        async with db.transaction() as session:
            if await session.scalar(select(Organisation.id).where(Organisation.slug == o.slug)):
                continue
            known = await catalog.load(session)
            profile = Profile(
                name=o.name, country=o.country, kind=o.kind, website=o.website, email=o.email,
                email_visibility=o.email_visibility, phone=o.phone,
                phone_visibility=o.phone_visibility, description=o.description,
                languages=o.languages, topics=o.topics, uncac_articles=o.uncac_articles,
                activities=tuple(
                    Activity(title, date.fromisoformat(start),
                             date.fromisoformat(end) if end else None)
                    for title, start, end in o.activities
                ),
            )  # fmt: skip
            await organisations.create(
                session, operator, known, o.slug, profile, verified=o.verified
            )
            for email, role, shown in o.members:
                user_id = members[email]
                await affiliations.affiliate(
                    session, Actor(user_id, Role.MEMBER), known, o.slug, user_id=user_id,
                    shown=shown,
                )  # fmt: skip
                if role != "member":
                    await affiliations.affiliate(
                        session, operator, known, o.slug, user_id=user_id, role=role
                    )


async def _experiences(db: Database, members: dict[str, int]) -> None:
    """The demo experiences that are missing (by title), told by their organisation's
    member and linked to the demo threads they name."""
    for e in demo_data.EXPERIENCES:
        async with db.transaction() as session:
            if await session.scalar(select(Experience.id).where(Experience.title == e.title)):
                continue
            known = await catalog.load(session)
            linked = []
            for beginning in e.threads:
                thread_id = await session.scalar(
                    select(Thread.id).where(Thread.title.startswith(beginning, autoescape=True))
                )
                if thread_id is not None:
                    linked.append(thread_id)
            story = experiences.Story(
                title=e.title, countries=e.countries, topics=e.topics,
                uncac_articles=e.uncac_articles, context=e.context, action=e.action,
                obstacles=e.obstacles, outcome=e.outcome, lessons=e.lessons, year=e.year,
                language=e.language, threads=tuple(linked),
            )  # fmt: skip
            author = Actor(members[e.author], Role.MEMBER)
            await experiences.create(session, author, known, e.organisation, story)
