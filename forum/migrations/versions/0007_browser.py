"""browser: read positions per member and thread; what each session was opened from

- `read_positions`: the highest post position a member has read in a thread
  (`forum.reading`), so thread lists can say "3 new" and a thread opens at the first
  unread post. Keyed by (user, thread): one probe per listed thread, and a member's
  rows go with the account or the thread.
- `sessions.user_agent` (the browser's `User-Agent` when the session was opened, cut to
  200 characters) so a member can tell their open sessions apart on the sessions page;
  NULL for sessions opened before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "read_positions",
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "thread_id",
            sa.BigInteger,
            sa.ForeignKey("threads.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column(
            "read_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    # Deleting a thread finds its rows through this index, not a scan of every member's.
    op.create_index("ix_read_positions_thread", "read_positions", ["thread_id"])
    op.add_column("sessions", sa.Column("user_agent", sa.String(200)))


def downgrade() -> None:
    op.drop_column("sessions", "user_agent")
    op.drop_table("read_positions")
