"""experiences: CSO case stories, their revisions and the threads they point to

- `experiences`: one organisation's structured record of what it did. Countries (ISO
  codes), topic ids and UNCAC articles as small arrays; the five Markdown fields keep
  their source and the HTML rendered by `forum.markup` (as posts do). `revision` counts
  the versions; the superseded ones live in `experience_revisions`.
- `experience_revisions`: a superseded version, whole (title and every field) as JSONB.
- `experience_threads`: the forum threads an experience links to.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FIELDS = ("context", "action", "obstacles", "outcome", "lessons")


def _now(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    empty = sa.text("'{}'")
    op.create_table(
        "experiences",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "organisation_id",
            sa.BigInteger,
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("countries", sa.ARRAY(sa.String(2)), nullable=False, server_default=empty),
        sa.Column("topic_ids", sa.ARRAY(sa.SmallInteger), nullable=False, server_default=empty),
        sa.Column(
            "uncac_articles", sa.ARRAY(sa.SmallInteger), nullable=False, server_default=empty
        ),
        *[
            column
            for field in FIELDS
            for column in (
                sa.Column(f"{field}_source", sa.Text, nullable=False, server_default=""),
                sa.Column(f"{field}_html", sa.Text, nullable=False, server_default=""),
            )
        ],
        sa.Column("year", sa.SmallInteger),
        sa.Column("language", sa.String(8), nullable=False, server_default="en"),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        _now("created_at"),
        sa.Column("edited_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("year IS NULL OR year BETWEEN 1900 AND 2200", name="year"),
    )
    # An organisation's profile lists its experiences, newest first.
    op.create_index("ix_experiences_organisation_id", "experiences", ["organisation_id", "id"])
    op.create_table(
        "experience_revisions",
        sa.Column(
            "experience_id",
            sa.BigInteger,
            sa.ForeignKey("experiences.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("revision", sa.Integer, primary_key=True),
        sa.Column("content", JSONB, nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        _now("superseded_at"),
        sa.Column("editor_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
    )
    op.create_table(
        "experience_threads",
        sa.Column(
            "experience_id",
            sa.BigInteger,
            sa.ForeignKey("experiences.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "thread_id",
            sa.BigInteger,
            sa.ForeignKey("threads.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )


def downgrade() -> None:
    op.drop_table("experience_threads")
    op.drop_table("experience_revisions")
    op.drop_table("experiences")
