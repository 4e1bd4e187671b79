"""suspensions: for a period or until lifted, with the reason

`users.suspended_until` is when a suspension lifts by itself (NULL: until a moderator
lifts it); a suspension whose end has passed no longer counts anywhere
(`forum.suspensions.active`), so nothing has to run to lift it. `suspension_reason`
is the moderator's reason, as the member was sent it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("suspended_until", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("suspension_reason", sa.Text))


def downgrade() -> None:
    op.drop_column("users", "suspension_reason")
    op.drop_column("users", "suspended_until")
