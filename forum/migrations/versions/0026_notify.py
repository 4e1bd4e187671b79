"""notifications: what happened, and the list's index (issue 14)

`notifications.action`: what happened, where the reason alone does not say (a
moderation outcome: `post.hidden`, `user.suspended`; an application's decision).

`ix_notifications_listing` (user_id, read_at IS NOT NULL, id) replaces
`ix_notifications_user_id_id`: the list shows unread first, newest first, and pages
through each part with one index range (`forum.notifications.listing`).

Revision ID: 0026_notify
Revises: 0025
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_notify"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("action", sa.String(32)))
    op.drop_index("ix_notifications_user_id_id", table_name="notifications")
    op.create_index(
        "ix_notifications_listing", "notifications",
        ["user_id", sa.text("(read_at IS NOT NULL)"), "id"],
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_notifications_listing", table_name="notifications")
    op.create_index("ix_notifications_user_id_id", "notifications", ["user_id", "id"])
    op.drop_column("notifications", "action")
