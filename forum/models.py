"""Tables. Schema changes go through Alembic migrations in `forum/migrations`."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

from forum import names

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Xid8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id; asyncpg returns it as an int."""

    cache_ok = True

    def get_col_spec(self) -> str:
        return "xid8"


class Role(enum.StrEnum):
    APPLICANT = "applicant"  # registered, not yet approved (`forum.applications`)
    MEMBER = "member"
    MODERATOR = "moderator"
    EDITOR = "editor"  # the knowledge pages: review status, news, events, resources
    ADMIN = "admin"


class EmailMode(enum.StrEnum):
    IMMEDIATELY = "immediately"  # batched: at most one mail per member every 5 minutes
    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = "none"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _display_name_key(context: DefaultExecutionContext) -> str:
    return names.key(context.get_current_parameters()["display_name"])


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
        Index("uq_users_display_name_key", "display_name_key", unique=True),
        CheckConstraint(
            "role IN ('applicant', 'member', 'moderator', 'editor', 'admin')", name="role"
        ),
        CheckConstraint(
            "email_mode IN ('immediately', 'daily', 'weekly', 'none')", name="email_mode"
        ),
        Index("uq_users_handle", "handle", unique=True),
        CheckConstraint("handle ~ '^[a-z0-9_]{3,30}$'", name="handle"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(80))
    # The name as people tell names apart (`forum.names.key`): unique, so nobody takes
    # another member's name with other capitals, accents or invisible characters. Filled
    # from `display_name` on every insert; whatever changes a name must set it too.
    display_name_key: Mapped[str] = mapped_column(Text, default=_display_name_key)
    # `@handle` (`forum.handles`): lower case, unique; the database gives a new account
    # one derived from its display name when none is given (migration 0026).
    handle: Mapped[str] = mapped_column(String(30), server_default=FetchedValue())
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), server_default=Role.MEMBER.value)
    organisation: Mapped[str | None] = mapped_column(String(200))
    # Whether the member shows their organisation (`permissions.affiliation_shown`);
    # search's `org` filter matches shown affiliations only.
    organisation_public: Mapped[bool] = mapped_column(Boolean, server_default="false")
    language: Mapped[str] = mapped_column(String(8), server_default="en")
    created_at: Mapped[datetime] = _now()
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When a suspension lifts by itself (None: when lifted); `forum.suspensions.active`.
    suspended_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    # When the member followed a verification link sent to `email` (`forum.verification`).
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When a post of theirs was first approved or published (`forum.approvals`).
    trusted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # How notifications reach them by mail (`EmailMode`); `mailed_at`: the last such mail.
    email_mode: Mapped[str] = mapped_column(String(12), server_default="immediately")
    mailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bounces of mail to `email`; after repeated ones (`mail_failing_since`) no mail goes
    # to it until the member confirms the address again.
    mail_bounces: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    mail_failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Session(Base):
    """A login. The cookie holds a random token; only its keyed hash is stored here."""

    __tablename__ = "sessions"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _now()
    last_seen_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class RateLimit(Base):
    """One rate-limit counter (`forum.limits`): hits in the window that ends at `resets_at`.

    The key is a keyed hash of the rule and of whoever it counts, so no address or email
    is stored. Unlogged: counters need no crash safety (a crash forgets them, which only
    forgives), and skipping the write-ahead log makes each hit cheaper.
    """

    __tablename__ = "rate_limits"
    __table_args__ = (
        Index("ix_rate_limits_resets_at", "resets_at"),
        # Room on each page for the next version of a row: a hit that only bumps `hits`
        # is then a HOT update, which writes no index entry.
        {"prefixes": ["UNLOGGED"], "postgresql_with": {"fillfactor": 70}},
    )

    key_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    rule: Mapped[str] = mapped_column(String(32))
    hits: Mapped[int] = mapped_column(Integer)
    resets_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (CheckConstraint("visibility IN ('public', 'members')", name="visibility"),)

    id: Mapped[int] = mapped_column(SmallInteger, Identity(), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, server_default="")
    visibility: Mapped[str] = mapped_column(String(16), server_default=Visibility.PUBLIC.value)
    # New members' posts wait for a moderator's approval (`forum.approvals`).
    approve_new_members: Mapped[bool] = mapped_column(Boolean, server_default="false")


class Country(Base):
    __tablename__ = "countries"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(SmallInteger, Identity(), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, server_default="")


class ThreadCount(Base):
    """Threads readers see (not hidden) per region and topic (`forum.catalog`): a reader's
    count for a topic adds up the rows of the regions they may read."""

    __tablename__ = "thread_counts"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), primary_key=True)
    threads: Mapped[int] = mapped_column(Integer, server_default="0")


class Thread(Base):
    __tablename__ = "threads"
    __table_args__ = (
        # The listing order (pinned first, newest activity first), per region, per topic
        # and overall; hidden threads are left out of the indexes readers page through.
        Index(
            "ix_threads_region_listing",
            "region_id",
            text("pinned DESC"),
            text("last_activity_at DESC"),
            text("id DESC"),
            postgresql_where=text("NOT hidden"),
        ),
        Index(
            "ix_threads_topic_listing",
            "topic_id",
            text("pinned DESC"),
            text("last_activity_at DESC"),
            text("id DESC"),
            postgresql_where=text("NOT hidden"),
        ),
        Index(
            "ix_threads_listing",
            text("pinned DESC"),
            text("last_activity_at DESC"),
            text("id DESC"),
            postgresql_where=text("NOT hidden"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _now()
    last_activity_at: Mapped[datetime] = _now()
    post_count: Mapped[int] = mapped_column(Integer, server_default="0")
    pinned: Mapped[bool] = mapped_column(Boolean, server_default="false")
    locked: Mapped[bool] = mapped_column(Boolean, server_default="false")
    hidden: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # Its first post awaits approval (then it is hidden too: `forum.approvals`).
    pending: Mapped[bool] = mapped_column(Boolean, server_default="false")


class MergedThread(Base):
    """A thread merged into another (`forum.splitting`): its address leads to `into_id`."""

    __tablename__ = "thread_merges"
    __table_args__ = (Index("ix_thread_merges_into_id", "into_id"),)

    # Not a foreign key: the merged thread is gone.
    thread_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    into_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    merged_at: Mapped[datetime] = _now()


class ThreadCountry(Base):
    __tablename__ = "thread_countries"
    __table_args__ = (Index("ix_thread_countries_country", "country_code", "thread_id"),)

    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), primary_key=True)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        Index("uq_posts_thread_position", "thread_id", "position", unique=True),
        Index(
            "ix_posts_pending",
            "created_at",
            "id",
            postgresql_where=text("pending AND deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    # 1-based place in the thread, handed out under the thread row's lock; NULL while a
    # held reply awaits approval (`forum.approvals`).
    position: Mapped[int | None] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = _now()
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # Held for a moderator's approval (and hidden meanwhile: `forum.approvals`).
    pending: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # ISO 639-1 code: chosen by the author, detected, or the author's interface language.
    language: Mapped[str] = mapped_column(String(8), server_default="en")


class ReadPosition(Base):
    """How far a member has read a thread: the highest post position seen."""

    __tablename__ = "read_positions"
    __table_args__ = (Index("ix_read_positions_thread", "thread_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)
    read_at: Mapped[datetime] = _now()


class PostRevision(Base):
    """A superseded version of a post; the current version lives in `posts`."""

    __tablename__ = "post_revisions"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    superseded_at: Mapped[datetime] = _now()
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # A redacted version keeps its place, its text emptied (`forum.revisions`).
    redacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    redacted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Event(Base):
    """The event log every write appends to; see DESIGN.md ("The spine")."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_xid_id", "xid", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # The writing transaction's id: readers page by (xid, id) and stop at the oldest
    # transaction still running, so an event committed late is never skipped.
    xid: Mapped[int] = mapped_column(Xid8, server_default=text("pg_current_xact_id()"))
    at: Mapped[datetime] = _now()
    type: Mapped[str] = mapped_column(String(64))
    channels: Mapped[list[str]] = mapped_column(ARRAY(Text))
    visibility: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSONB)


class IdempotencyKey(Base):
    """The stored answer to a POST sent with an `Idempotency-Key`, for its retries."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[int | None] = mapped_column(SmallInteger)
    response: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _now()


class SearchDocument(Base):
    """What the PostgreSQL search backend matches: one row per visible post, written in
    the post's own transaction (`forum.documents`); hidden and deleted posts have none."""

    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
        Index("ix_search_documents_created_at", text("created_at DESC"), text("post_id DESC")),
    )

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    region_id: Mapped[int] = mapped_column(SmallInteger)
    topic_id: Mapped[int] = mapped_column(SmallInteger)
    countries: Mapped[list[str]] = mapped_column(ARRAY(Text))
    author_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tsv: Mapped[str] = mapped_column(TSVECTOR)


class SearchTerm(Base):
    """The vocabulary "did you mean" suggestions come from (unaccented, lower-case words
    with the number of documents holding them), refreshed from new documents."""

    __tablename__ = "search_terms"
    __table_args__ = (
        Index(
            "ix_search_terms_word_trgm",
            "word",
            postgresql_using="gin",
            postgresql_ops={"word": "gin_trgm_ops"},
            postgresql_where=text("documents >= 3"),
        ),
    )

    word: Mapped[str] = mapped_column(Text, primary_key=True)
    documents: Mapped[int] = mapped_column(Integer)


class SearchTermFading(Base):
    """Words search documents lost (rewritten or deleted), queued by a trigger (migration
    0006) for search's upkeep, which drops those no document holds from the vocabulary."""

    __tablename__ = "search_terms_fading"

    word: Mapped[str] = mapped_column(Text, primary_key=True)


class SearchCursor(Base):
    """Where a background consumer of the event log (or of new documents) has got to."""

    __tablename__ = "search_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = _now()


class Outbox(Base):
    """A message to send (`forum.mail`): written with the change that causes it, sent
    after commit by the background sender, at least once, with a fixed `message_id`."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8))
    # What the renderer needs; a link's token is dropped once the message is sent.
    params: Mapped[dict] = mapped_column(JSONB)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = _now()
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = _now()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the mail server refused the message for good (a 5xx); `last_error` says why.
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class MailToken(Base):
    """A single-use link sent by email; only its keyed hash is kept (`forum.mail.tokens`)."""

    __tablename__ = "mail_tokens"
    __table_args__ = (CheckConstraint("purpose IN ('verify', 'reset')", name="purpose"),)

    token_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrganisationKind(enum.StrEnum):
    NGO = "ngo"
    NETWORK = "network"
    ACADEMIC = "academic"
    MEDIA = "media"
    COMMUNITY = "community"  # a community group
    OTHER = "other"


class FieldVisibility(enum.StrEnum):
    """Who sees an organisation's email or phone (`permissions.may_see_contact`)."""

    PUBLIC = "public"
    MEMBERS = "members"
    PRIVATE = "private"  # the organisation's own members and admins


class AffiliationRole(enum.StrEnum):
    MEMBER = "member"
    REPRESENTATIVE = "representative"


class Organisation(Base):
    """A CSO profile (`forum.organisations`); its region is its country's."""

    __tablename__ = "organisations"
    __table_args__ = (
        Index("ix_organisations_country_name", "country_code", "name", "id"),
        CheckConstraint(
            "kind IN ('ngo', 'network', 'academic', 'media', 'community', 'other')", name="kind"
        ),
        CheckConstraint(
            "email_visibility IN ('public', 'members', 'private')", name="email_visibility"
        ),
        CheckConstraint(
            "phone_visibility IN ('public', 'members', 'private')", name="phone_visibility"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    kind: Mapped[str] = mapped_column(String(16))
    website: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(254))
    email_visibility: Mapped[str] = mapped_column(String(8), server_default="members")
    phone: Mapped[str | None] = mapped_column(String(40))
    phone_visibility: Mapped[str] = mapped_column(String(8), server_default="private")
    description: Mapped[str] = mapped_column(Text, server_default="")
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    uncac_chapters: Mapped[list[int]] = mapped_column(
        ARRAY(SmallInteger), server_default=text("'{}'")
    )
    uncac_articles: Mapped[list[int]] = mapped_column(
        ARRAY(SmallInteger), server_default=text("'{}'")
    )
    verified: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class OrganisationTopic(Base):
    __tablename__ = "organisation_topics"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), primary_key=True)


class OrganisationActivity(Base):
    """A dated entry of what an organisation did or does (`ended_on` NULL: current)."""

    __tablename__ = "organisation_activities"
    __table_args__ = (CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class Affiliation(Base):
    """A member's tie to an organisation, shown to others only if they choose (`shown`)."""

    __tablename__ = "affiliations"
    __table_args__ = (
        Index("ix_affiliations_organisation", "organisation_id"),
        CheckConstraint("role IN ('member', 'representative')", name="role"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), server_default="member")
    shown: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime] = _now()


class Experience(Base):
    """A CSO's case story (`forum.experiences`); its region is its organisation's."""

    __tablename__ = "experiences"
    __table_args__ = (
        Index("ix_experiences_organisation_id", "organisation_id", "id"),
        CheckConstraint("year IS NULL OR year BETWEEN 1900 AND 2200", name="year"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    countries: Mapped[list[str]] = mapped_column(ARRAY(String(2)), server_default=text("'{}'"))
    topic_ids: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), server_default=text("'{}'"))
    uncac_articles: Mapped[list[int]] = mapped_column(
        ARRAY(SmallInteger), server_default=text("'{}'")
    )
    context_source: Mapped[str] = mapped_column(Text, server_default="")
    context_html: Mapped[str] = mapped_column(Text, server_default="")
    action_source: Mapped[str] = mapped_column(Text, server_default="")
    action_html: Mapped[str] = mapped_column(Text, server_default="")
    obstacles_source: Mapped[str] = mapped_column(Text, server_default="")
    obstacles_html: Mapped[str] = mapped_column(Text, server_default="")
    outcome_source: Mapped[str] = mapped_column(Text, server_default="")
    outcome_html: Mapped[str] = mapped_column(Text, server_default="")
    lessons_source: Mapped[str] = mapped_column(Text, server_default="")
    lessons_html: Mapped[str] = mapped_column(Text, server_default="")
    year: Mapped[int | None] = mapped_column(SmallInteger)
    language: Mapped[str] = mapped_column(String(8), server_default="en")
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = _now()
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ExperienceRevision(Base):
    """A superseded version of an experience, whole; the current one lives in
    `experiences`."""

    __tablename__ = "experience_revisions"

    experience_id: Mapped[int] = mapped_column(
        ForeignKey("experiences.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[dict] = mapped_column(JSONB)
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    superseded_at: Mapped[datetime] = _now()
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ExperienceThread(Base):
    __tablename__ = "experience_threads"

    experience_id: Mapped[int] = mapped_column(
        ForeignKey("experiences.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True
    )


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class Application(Base):
    """An applicant's request to become a member, and its decision (`forum.applications`)."""

    __tablename__ = "applications"
    __table_args__ = (
        Index(
            "uq_applications_pending", "user_id", unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_applications_queue", "submitted_at", "id",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_applications_user", "user_id", "id"),
        CheckConstraint("status IN ('pending', 'approved', 'refused')", name="status"),
        CheckConstraint(
            "decided_as IN ('admin', 'moderator', 'representative', 'operator')",
            name="decided_as",
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    motivation: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), server_default=ApplicationStatus.PENDING.value)
    submitted_at: Mapped[datetime] = _now()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_as: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)


class ModeratedRegion(Base):
    """A region a moderator moderates."""

    __tablename__ = "moderated_regions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True
    )


class AuditEntry(Base):
    """One moderator's or admin's action (`forum.audit`); append-only (a trigger)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at", "id"),
        Index("ix_audit_log_region_at", "region_id", "at", "id"),
        Index("ix_audit_log_actor_at", "actor_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = _now()
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(BigInteger)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)


class FlagCase(Base):
    """The open flags on one post, handled together (`forum.cases`, migration 0016)."""

    __tablename__ = "flag_cases"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    opened_at: Mapped[datetime] = _now()
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(Text)


class Flag(Base):
    """A member's report of a post (`forum.reports`)."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("flag_cases.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = _now()
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FlagNote(Base):
    """A moderator's internal note on a case; never changed (`forum.cases`)."""

    __tablename__ = "flag_notes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("flag_cases.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = _now()


class ReviewCycle(Base):
    """A cycle of the UNCAC Implementation Review Mechanism (`forum.reviews`)."""

    __tablename__ = "review_cycles"

    number: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    chapters: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))


class CountryReview(Base):
    """A country's review in one cycle: stages reached, reviewers, civil-society facts
    (`forum.reviews`, migration 0022)."""

    __tablename__ = "country_reviews"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    cycle: Mapped[int] = mapped_column(ForeignKey("review_cycles.number"), index=True)
    self_assessment_on: Mapped[date | None] = mapped_column(Date)
    country_visit_on: Mapped[date | None] = mapped_column(Date)
    executive_summary_on: Mapped[date | None] = mapped_column(Date)
    full_report_on: Mapped[date | None] = mapped_column(Date)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    reviewers: Mapped[list[str]] = mapped_column(ARRAY(String(2)), server_default="{}")
    self_assessment_published: Mapped[str] = mapped_column(String(8), server_default="unknown")
    civil_society_consulted: Mapped[str] = mapped_column(String(8), server_default="unknown")
    visit_met_civil_society: Mapped[str] = mapped_column(String(8), server_default="unknown")
    full_report_published: Mapped[str] = mapped_column(String(8), server_default="unknown")
    self_assessment_published_url: Mapped[str | None] = mapped_column(String(500))
    civil_society_consulted_url: Mapped[str | None] = mapped_column(String(500))
    visit_met_civil_society_url: Mapped[str | None] = mapped_column(String(500))
    full_report_published_url: Mapped[str | None] = mapped_column(String(500))
    demo: Mapped[bool] = mapped_column(Boolean, server_default="false")
    updated_at: Mapped[datetime] = _now()


class CountryReviewChange(Base):
    """Who changed a country's review, when, and the fields before and after."""

    __tablename__ = "country_review_changes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("country_reviews.id", ondelete="CASCADE"))
    at: Mapped[datetime] = _now()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    before: Mapped[dict] = mapped_column(JSONB)
    after: Mapped[dict] = mapped_column(JSONB)


class CalendarEventStatus(enum.StrEnum):
    PROPOSED = "proposed"
    PUBLISHED = "published"
    DECLINED = "declined"


class CalendarEvent(Base):
    """A dated happening in a region (`forum.calendar_events`): instants in UTC, with the
    IANA zone it is held in."""

    __tablename__ = "calendar_events"
    __table_args__ = (
        Index("ix_calendar_events_status_starts_at", "status", "starts_at"),
        CheckConstraint("status IN ('proposed', 'published', 'declined')", name="status"),
        CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    countries: Mapped[list[str]] = mapped_column(ARRAY(String(2)), server_default=text("'{}'"))
    title: Mapped[str] = mapped_column(String(200))
    description_source: Mapped[str] = mapped_column(Text, server_default="")
    description_html: Mapped[str] = mapped_column(Text, server_default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    time_zone: Mapped[str] = mapped_column(String(64))
    online: Mapped[bool] = mapped_column(Boolean, server_default="false")
    place: Mapped[str] = mapped_column(String(200), server_default="")
    country: Mapped[str | None] = mapped_column(String(2))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    language: Mapped[str] = mapped_column(String(8), server_default="en")
    registration_url: Mapped[str] = mapped_column(String(500), server_default="")
    status: Mapped[str] = mapped_column(String(16), server_default="proposed")
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Resource(Base):
    """A link to a source document or a partner, curated by editors (`forum.resources`);
    `forum.link_check` fills the last two columns."""

    __tablename__ = "resources"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('convention_text', 'review_report', 'guide', 'training_material', "
            "'partner_organisation')",
            name="kind",
        ),
        Index("ix_resources_kind_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, server_default="")
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(8)), server_default=text("'{}'"))
    countries: Mapped[list[str]] = mapped_column(ARRAY(String(2)), server_default=text("'{}'"))
    topic_ids: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), server_default=text("'{}'"))
    created_at: Mapped[datetime] = _now()
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    broken_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NewsItem(Base):
    """An article about anti-corruption CSOs (`forum.news`): published by an editor, or
    proposed by a member and shown to few until an editor or the region's moderator
    approves it."""

    __tablename__ = "news"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'published')", name="status"),
        Index("ix_news_region_id_status_id", "region_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, server_default="")
    source_name: Mapped[str] = mapped_column(String(200))
    source_url: Mapped[str] = mapped_column(String(2000))
    published_on: Mapped[date] = mapped_column(Date)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    countries: Mapped[list[str]] = mapped_column(ARRAY(String(2)), server_default=text("'{}'"))
    topic_ids: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), server_default=text("'{}'"))
    language: Mapped[str] = mapped_column(String(8), server_default="en")
    status: Mapped[str] = mapped_column(String(16))
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _now()
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FollowLevel(enum.StrEnum):
    WATCHING = "watching"  # every new post notifies
    TRACKING = "tracking"  # counts only
    MUTED = "muted"  # nothing, even where a broader follow would


class Follow(Base):
    """What a member follows. `target` is written as a realtime channel is
    (`thread:42`, `region:africa`, `topic:<slug>`, `country:KE`, `organisation:<slug>`,
    `search:<saved search id>`), so an event's followers are found by the targets it
    names. `mailing_list` (regions only): each new post mailed as its own message."""

    __tablename__ = "follows"
    __table_args__ = (
        Index("ix_follows_target_level", "target", "level"),
        CheckConstraint("level IN ('watching', 'tracking', 'muted')", name="level"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[str] = mapped_column(String(120), primary_key=True)
    level: Mapped[str] = mapped_column(String(8))
    mailing_list: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime] = _now()


class SavedSearch(Base):
    """A query and its filters, followed as `search:<id>`."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(500))
    filters: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'"))
    # The query as the PostgreSQL search reads it (the text of a tsquery, in every
    # language at once), tested against each new post's document (`forum.notifier`).
    words: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = _now()


class HandleRedirect(Base):
    """A handle a member used before: it still leads to them, and nobody else takes it."""

    __tablename__ = "handle_redirects"

    handle: Mapped[str] = mapped_column(String(30), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _now()


class Notification(Base):
    """One per member and source event (the fan-out is at least once; the unique key
    makes it idempotent). Ids only: what it shows is read from the current state, through
    the policy, when it is shown or mailed. The mailer's queue: `mailed_at IS NULL`."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "event_id"),
        # The list: unread first, newest first (`forum.notifications.listing`).
        Index("ix_notifications_listing", "user_id", text("(read_at IS NOT NULL)"), "id"),
        Index("ix_notifications_unread", "user_id", postgresql_where=text("read_at IS NULL")),
        Index(
            "ix_notifications_unmailed",
            "user_id",
            "id",
            postgresql_where=text("mailed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigInteger)
    # Why it reached this member: reply, mention, watching, moderation, review, ...
    reason: Mapped[str] = mapped_column(String(24))
    # What it is about, written as a target is (`post:9`, `thread:4`, `country:KE`, ...).
    subject: Mapped[str] = mapped_column(String(120))
    # What happened, where the reason alone does not say (a moderation outcome:
    # `post.hidden`, `user.suspended`, ...; an application's decision: `approved`).
    action: Mapped[str | None] = mapped_column(String(32))
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    post_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _now()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
