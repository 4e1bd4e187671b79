"""merged threads: where a merged thread's address leads

Merging a thread (`forum.splitting.merge`) moves its posts into another thread and
deletes the emptied thread, so no listing, count, search document or channel has to
learn to skip it. `thread_merges` keeps one row per merged thread naming the thread its
posts live in now: its page redirects there (301). Not a foreign key on `thread_id`:
that thread is gone. `into_id` is kept pointing at a live thread (a merge into a thread
that is merged later is re-pointed), and goes with it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "thread_merges",
        sa.Column("thread_id", sa.BigInteger, primary_key=True),
        sa.Column(
            "into_id",
            sa.BigInteger,
            sa.ForeignKey("threads.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "merged_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    # A later merge of the target re-points these rows; deleting a thread finds them too.
    op.create_index("ix_thread_merges_into_id", "thread_merges", ["into_id"])


def downgrade() -> None:
    op.drop_table("thread_merges")
