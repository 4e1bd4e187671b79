"""approvals: a region may hold new members' first posts for a moderator's approval

`regions.approve_new_members` turns the queue on. `users.trusted_at` is when a member's
first post was approved or published: from then on nothing of theirs is held. Members
who wrote before this migration are trusted already (moderators and admins always are,
by their role). A held post is `pending` and `hidden` (so every read path that leaves
hidden posts to their author and moderators does the same for it) and has no place in
its thread (`position` NULL) until it is approved: it is numbered then, as if just
written. A held new thread is `pending` and `hidden` the same way.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "regions",
        sa.Column("approve_new_members", sa.Boolean(), server_default="false", nullable=False),
    )
    op.add_column("users", sa.Column("trusted_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE users u SET trusted_at = now() WHERE EXISTS (SELECT FROM posts p WHERE "
        "p.author_id = u.id)"
    )
    op.add_column(
        "posts", sa.Column("pending", sa.Boolean(), server_default="false", nullable=False)
    )
    op.alter_column("posts", "position", nullable=True)
    op.add_column(
        "threads", sa.Column("pending", sa.Boolean(), server_default="false", nullable=False)
    )
    # The queue: a region's held posts, oldest first (few rows, so a small partial index).
    op.create_index(
        "ix_posts_pending", "posts", ["created_at", "id"],
        postgresql_where=sa.text("pending AND deleted_at IS NULL"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_posts_pending", table_name="posts")
    op.drop_column("threads", "pending")
    op.execute("DELETE FROM posts WHERE position IS NULL")
    op.alter_column("posts", "position", nullable=False)
    op.drop_column("posts", "pending")
    op.drop_column("users", "trusted_at")
    op.drop_column("regions", "approve_new_members")
