"""redaction: a post's earlier version can be redacted by a moderator

A redacted revision keeps its row (its number, date and editor: the history reads
"version 2, redacted"), its text emptied; `redacted_at` and `redacted_by` say when and by
whom (`forum.revisions`). `redacted_by` is set to NULL if that account's row ever goes,
as the audit log's entry (`post.redact`) keeps who did it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("post_revisions", sa.Column("redacted_at", sa.DateTime(timezone=True)))
    op.add_column(
        "post_revisions",
        sa.Column(
            "redacted_by",
            sa.BigInteger(),
            sa.ForeignKey(
                "users.id", name="fk_post_revisions_redacted_by_users", ondelete="SET NULL"
            ),
        ),
    )


def downgrade() -> None:
    op.drop_column("post_revisions", "redacted_by")
    op.drop_column("post_revisions", "redacted_at")
