"""A member leaving: everything the forum holds about them (`export`), and deleting
their account (`delete_account`).

Deleting keeps the account's row, emptied, so that the posts that stay read "a former
member" everywhere the author's name is read live (pages, the API, the PostgreSQL
search documents, replay through `forum.feed`): the name becomes `FORMER_MEMBER`, the
email a unique address that cannot receive mail (the real one is free to register
again), the password a value no password matches; affiliations, sessions, read
positions, mail tokens and unsent mail go; the words of their reports of posts go, the
reason and the case stay in the moderators' record (`reports.erase_texts_of`). Posts
are kept (`keep_posts`) or deleted the way a post is deleted, their text and revisions
erased (`posts.erase_all_by`). A
thread the member started keeps its title and its other members' replies; its opening
post reads as deleted, like any deleted opening post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import accounts, documents, events, experiences, names, posts, reports, sessions
from forum.errors import invalid
from forum.models import (
    Affiliation,
    Country,
    Experience,
    MailToken,
    Organisation,
    Outbox,
    Post,
    PostRevision,
    ReadPosition,
    Region,
    Role,
    Session,
    Thread,
    User,
)
from forum.permissions import (
    Actor,
    affiliation_audience,
    check_can_delete_account,
    check_can_export,
    user_audience,
)

# What a former member's posts show as their author. Stored as the name, so that every
# reader of names (pages, API, search, replay) shows it without a rule of its own.
FORMER_MEMBER = accounts.FORMER_MEMBER
# No password hash has this form: `accounts.verify_password` refuses it.
_NO_PASSWORD = "!deleted"


@dataclass(frozen=True)
class AccountRecord:
    id: int
    email: str
    display_name: str
    organisation: str | None
    show_organisation: bool
    language: str
    role: str
    created_at: datetime
    email_verified: bool
    suspended_at: datetime | None


@dataclass(frozen=True)
class AffiliationRecord:
    organisation: str  # slug
    organisation_name: str
    role: str
    shown: bool
    created_at: datetime


@dataclass(frozen=True)
class RevisionRecord:
    revision: int
    body: str
    written_at: datetime


@dataclass(frozen=True)
class PostRecord:
    id: int
    thread_id: int
    thread_title: str
    position: int | None  # None: awaiting approval (`forum.approvals`)
    body: str
    language: str
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden: bool
    revisions: list[RevisionRecord]  # earlier versions, oldest first


@dataclass(frozen=True)
class SessionRecord:
    id: str  # the public id (`sessions.list_open`), never the token
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str | None


@dataclass(frozen=True)
class ReadPositionRecord:
    thread_id: int
    position: int
    read_at: datetime


@dataclass(frozen=True)
class MailRecord:
    kind: str
    language: str
    created_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None  # the mail server refused it for good
    params: dict[str, Any]  # without any link's token


@dataclass(frozen=True)
class ExperienceRecord:
    id: int
    organisation: str  # slug
    title: str
    year: int | None
    language: str
    countries: list[str]
    uncac_articles: list[int]
    texts: dict[str, str]  # field (`forum.experiences.FIELDS`) to its Markdown
    created_at: datetime
    edited_at: datetime | None


@dataclass(frozen=True)
class Export:
    account: AccountRecord
    affiliations: list[AffiliationRecord]
    posts: list[PostRecord]
    sessions: list[SessionRecord]
    read_positions: list[ReadPositionRecord]
    mail: list[MailRecord]
    experiences: list[ExperienceRecord]  # those the member wrote
    reports: list[reports.ReportRecord]  # posts the member reported, their words only


_SECRET = frozenset({"token", "link", "url"})


async def export(session: AsyncConnection, actor: Actor) -> Export:
    """Everything the forum holds about the actor, but their password's hash."""
    check_can_export(actor)
    user_id = actor.user_id
    assert user_id is not None
    u = (await session.execute(select(User).where(User.id == user_id))).one()
    account = AccountRecord(
        id=u.id,
        email=u.email,
        display_name=u.display_name,
        organisation=u.organisation,
        show_organisation=u.organisation_public,
        language=u.language,
        role=u.role,
        created_at=u.created_at,
        email_verified=u.email_verified_at is not None,
        suspended_at=u.suspended_at,
    )
    ties = await session.execute(
        select(Organisation.slug, Organisation.name, Affiliation.role, Affiliation.shown,
               Affiliation.created_at)
        .join(Organisation, Organisation.id == Affiliation.organisation_id)
        .where(Affiliation.user_id == user_id)
        .order_by(Organisation.slug)
    )  # fmt: skip
    # Uses index: ix_posts_author_id
    rows = (
        await session.execute(
            select(
                Post.id,
                Post.thread_id,
                Thread.title,
                Post.position,
                Post.body_source,
                Post.language,
                Post.created_at,
                Post.edited_at,
                Post.deleted_at,
                Post.hidden,
            )
            .join(Thread, Thread.id == Post.thread_id)
            .where(Post.author_id == user_id)
            .order_by(Post.id)
        )
    ).all()
    older: dict[int, list[RevisionRecord]] = {}
    if rows:
        revs = await session.execute(
            select(PostRevision.post_id, PostRevision.revision, PostRevision.body_source,
                   PostRevision.written_at)
            .where(PostRevision.post_id.in_([r.id for r in rows]))
            .order_by(PostRevision.post_id, PostRevision.revision)
        )  # fmt: skip
        for r in revs:
            older.setdefault(r.post_id, []).append(
                RevisionRecord(r.revision, r.body_source, r.written_at)
            )
    logins = await session.execute(
        select(sessions.public_id().label("id"), Session.created_at, Session.last_seen_at,
               Session.expires_at, Session.user_agent)
        .where(Session.user_id == user_id)
        .order_by(Session.created_at)
    )  # fmt: skip
    marks = await session.execute(
        select(ReadPosition.thread_id, ReadPosition.position, ReadPosition.read_at)
        .where(ReadPosition.user_id == user_id)
        .order_by(ReadPosition.thread_id)
    )
    mail = await session.execute(
        select(
            Outbox.kind,
            Outbox.language,
            Outbox.created_at,
            Outbox.sent_at,
            Outbox.failed_at,
            Outbox.params,
        )
        .where(func.lower(Outbox.recipient) == u.email.lower())
        .order_by(Outbox.id)
    )
    sources = [getattr(Experience, f"{f}_source") for f in experiences.FIELDS]
    told = await session.execute(
        select(Experience.id, Organisation.slug, Experience.title, Experience.year,
               Experience.language, Experience.countries, Experience.uncac_articles,
               Experience.created_at, Experience.edited_at, *sources)
        .join(Organisation, Organisation.id == Experience.organisation_id)
        .where(Experience.author_id == user_id)
        .order_by(Experience.id)
    )  # fmt: skip
    return Export(
        account=account,
        affiliations=[AffiliationRecord(*t) for t in ties],
        posts=[PostRecord(*r, revisions=older.get(r.id, [])) for r in rows],
        sessions=[SessionRecord(*s) for s in logins],
        read_positions=[ReadPositionRecord(*m) for m in marks],
        mail=[
            MailRecord(
                m.kind,
                m.language,
                m.created_at,
                m.sent_at,
                m.failed_at,
                {k: v for k, v in (m.params or {}).items() if k not in _SECRET},
            )
            for m in mail
        ],
        experiences=[
            ExperienceRecord(
                *e[:7],
                texts=dict(zip(experiences.FIELDS, e[9:], strict=True)),
                created_at=e.created_at,
                edited_at=e.edited_at,
            )
            for e in told
        ],
        reports=await reports.of_member(session, user_id),
    )  # fmt: skip


async def delete_account(
    session: AsyncConnection, actor: Actor, password: str, *, keep_posts: bool
) -> int:
    """Delete the actor's account (module docstring) once `password` is theirs; how many
    posts were deleted with it. A wrong password changes nothing."""
    check_can_delete_account(actor)
    user_id = actor.user_id
    assert user_id is not None
    stored = await session.scalar(
        select(User.password_hash).where(User.id == user_id).with_for_update()
    )
    if not await accounts.verify_password(stored, password):
        raise invalid("password", "The password is wrong.", "wrong_password")
    email = await session.scalar(select(User.email).where(User.id == user_id))
    deleted = 0 if keep_posts else await posts.erase_all_by(session, user_id)
    ties = (
        await session.execute(
            select(Organisation.slug, Region.slug.label("region"), Region.visibility,
                   Affiliation.shown)
            .join(Organisation, Organisation.id == Affiliation.organisation_id)
            .join(Country, Country.code == Organisation.country_code)
            .join(Region, Region.id == Country.region_id)
            .where(Affiliation.user_id == user_id)
        )
    ).all()  # fmt: skip
    await session.execute(delete(Affiliation).where(Affiliation.user_id == user_id))
    for tie in ties:  # as `affiliations.end` tells it: the member left the organisation
        await events.append(
            session, "affiliation.changed",
            [f"user:{user_id}"] + ([f"region:{tie.region}"] if tie.shown else []),
            affiliation_audience(user_id, tie.shown, tie.visibility),
            {"organisation": tie.slug, "user_id": user_id, "role": None, "shown": tie.shown},
        )  # fmt: skip
    former = f"{FORMER_MEMBER} {user_id}"
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(
            email=f"former-member-{user_id}@deleted.invalid",
            display_name=FORMER_MEMBER,
            # Unique like every key; names with control characters are refused
            # (`accounts.clean_display_name`), so no member can choose one reading as it.
            display_name_key="\x01" + names.key(former),
            password_hash=_NO_PASSWORD,
            role=Role.MEMBER.value,
            organisation=None,
            organisation_public=False,
            language="en",
            email_verified_at=None,
            # Suspended for good: a period that would lift by itself ends.
            suspended_at=func.coalesce(User.suspended_at, func.now()),
            suspended_until=None,
        )
    )
    await reports.erase_texts_of(session, user_id)
    await session.execute(delete(ReadPosition).where(ReadPosition.user_id == user_id))
    await session.execute(delete(MailToken).where(MailToken.user_id == user_id))
    if email:
        await session.execute(delete(Outbox).where(func.lower(Outbox.recipient) == email.lower()))
    await sessions.close_all(session, user_id)
    # The author's name changed on every document of theirs: the PostgreSQL backend
    # reads names live; the event tells the Meilisearch indexer to resend them.
    remaining = await session.scalars(
        select(Post.id).where(Post.author_id == user_id).order_by(Post.id)
    )
    await documents.refresh(session, list(remaining))
    fields = ["display_name", "email", "organisation"] + (["affiliations"] if ties else [])
    await events.append(
        session, "user.updated", [f"user:{user_id}"], user_audience(user_id),
        {"user_id": user_id, "fields": fields, "deleted": True},
    )  # fmt: skip
    return deleted
