"""following, notifications and mail preferences (issue 14)

`follows`: what a member follows, one row per target. A target is written as the
realtime channels are (`thread:42`, `region:africa`, `topic:whistleblowing`,
`country:KE`, `organisation:transparency-ke`, `search:7`), so the fan-out of an event
looks followers up by the targets the event names, with one index. `level` is
watching (every new post notifies), tracking (counts only) or muted (nothing, even
where a broader follow would). `mailing_list` (regions only): every new post of the
region is mailed as its own message, threaded.

`saved_searches`: a query and its filters; followed as `search:<id>`.

`notifications`: one row per member and source event (`event_id`; the fan-out is at
least once, so the unique key makes it idempotent). It keeps ids only (`subject`,
`thread_id`, `post_id`): what a notification shows is read from the current state when
it is shown or mailed, through the policy, so nothing is kept that a reader may later
lose the right to see. `read_at` when opened; `mailed_at` when mailed or when its
member takes no mail for it (the mailer's queue is the rows where it is null).

`users`: `email_mode` (immediately, batched at most once per 5 minutes; a daily or
weekly digest; none), `mailed_at` (the last notification mail, for that batching),
`mail_bounces` and `mail_failing_since` (after repeated bounces mail to the address
stops until the member confirms it again).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _now(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "follows",
        sa.Column(
            "user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("target", sa.String(120), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("mailing_list", sa.Boolean, server_default="false", nullable=False),
        _now("created_at"),
        sa.PrimaryKeyConstraint("user_id", "target", name="pk_follows"),
        sa.CheckConstraint("level IN ('watching', 'tracking', 'muted')", name="ck_follows_level"),
    )
    op.create_index("ix_follows_target_level", "follows", ["target", "level"])
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.String(500), nullable=False),
        sa.Column("filters", JSONB, server_default=sa.text("'{}'"), nullable=False),
        _now("created_at"),
    )
    op.create_index("ix_saved_searches_user_id", "saved_searches", ["user_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("thread_id", sa.BigInteger),
        sa.Column("post_id", sa.BigInteger),
        _now("created_at"),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.Column("mailed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("user_id", "event_id", name="uq_notifications_user_id_event_id"),
    )
    op.create_index("ix_notifications_user_id_id", "notifications", ["user_id", "id"])
    op.create_index(
        "ix_notifications_unread", "notifications", ["user_id"],
        postgresql_where=sa.text("read_at IS NULL"),
    )  # fmt: skip
    op.create_index(
        "ix_notifications_unmailed", "notifications", ["user_id", "id"],
        postgresql_where=sa.text("mailed_at IS NULL"),
    )  # fmt: skip
    op.add_column(
        "users",
        sa.Column("email_mode", sa.String(12), server_default="immediately", nullable=False),
    )
    op.create_check_constraint(
        "ck_users_email_mode", "users", "email_mode IN ('immediately', 'daily', 'weekly', 'none')"
    )
    op.add_column("users", sa.Column("mailed_at", sa.DateTime(timezone=True)))
    op.add_column(
        "users", sa.Column("mail_bounces", sa.SmallInteger, server_default="0", nullable=False)
    )
    op.add_column("users", sa.Column("mail_failing_since", sa.DateTime(timezone=True)))


def downgrade() -> None:
    for column in ("mail_failing_since", "mail_bounces", "mailed_at", "email_mode"):
        op.drop_column("users", column)
    op.drop_table("notifications")
    op.drop_table("saved_searches")
    op.drop_table("follows")
