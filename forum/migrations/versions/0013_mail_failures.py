"""mail failures: a message the mail server refused for good leaves the queue

`outbox.failed_at` is set when the server answers a permanent 5xx for the message's
recipient or content (`forum.mail.sender.permanent`); `last_error` keeps the reason.
Such a row is never tried again, so the partial index the sender polls leaves it out
too.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _due_index(where: str) -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.create_index("ix_outbox_due", "outbox", ["next_attempt_at"], postgresql_where=sa.text(where))


def upgrade() -> None:
    op.add_column("outbox", sa.Column("failed_at", sa.DateTime(timezone=True)))
    _due_index("sent_at IS NULL AND failed_at IS NULL")


def downgrade() -> None:
    # The refused messages would be sent again without their column: drop them first.
    op.execute("DELETE FROM outbox WHERE failed_at IS NOT NULL")
    _due_index("sent_at IS NULL")
    op.drop_column("outbox", "failed_at")
