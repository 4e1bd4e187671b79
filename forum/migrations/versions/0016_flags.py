"""flags: members report posts; open flags on a post gather into one case

`flag_cases` is one post's case: open until a moderator resolves it (`resolved_at`),
at most one open per post (a partial unique index), handled by `assigned_to`. Its
region is not stored: it is the post's thread's region now, so a moved thread takes
its case along. `flags` are the members' reports (one open per member and post: a
partial unique index); `flag_notes` the moderators' internal notes, append-only.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _now() -> sa.Column:
    return sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                     nullable=False)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "flag_cases",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "post_id", sa.BigInteger, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "opened_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("assigned_to", sa.BigInteger, sa.ForeignKey("users.id")),
        sa.Column("assigned_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_by", sa.BigInteger, sa.ForeignKey("users.id")),
        sa.Column("outcome", sa.String(16)),
        sa.Column("resolution", sa.Text),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('dismiss', 'hide', 'delete', 'suspend')",
            name="outcome",
        ),
    )
    op.create_index("uq_flag_cases_open_post", "flag_cases", ["post_id"], unique=True,
                    postgresql_where=sa.text("resolved_at IS NULL"))  # fmt: skip
    # The queues: open cases, oldest first.
    op.create_index("ix_flag_cases_open", "flag_cases", ["opened_at", "id"],
                    postgresql_where=sa.text("resolved_at IS NULL"))  # fmt: skip
    op.create_table(
        "flags",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "case_id",
            sa.BigInteger,
            sa.ForeignKey("flag_cases.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "post_id", sa.BigInteger, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("text", sa.Text),
        _now(),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "reason IN ('spam', 'abuse', 'off_topic', 'personal_data', 'other')", name="reason"
        ),
    )
    op.create_index("uq_flags_open_member_post", "flags", ["post_id", "user_id"], unique=True,
                    postgresql_where=sa.text("closed_at IS NULL"))  # fmt: skip
    op.create_table(
        "flag_notes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "case_id",
            sa.BigInteger,
            sa.ForeignKey("flag_cases.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("author_id", sa.BigInteger, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _now(),
    )


def downgrade() -> None:
    op.drop_table("flag_notes")
    op.drop_table("flags")
    op.drop_table("flag_cases")
