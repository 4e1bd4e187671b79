"""Reports: a member's reports found by member

A member's export lists the reports they made and deleting their account erases their
words (`forum.reports.of_member`, `erase_texts_of`); both look reports up by who made
them, as does the cascade when a user's row goes. Without this index each is a scan of
every report ever made.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_flags_user_id", "flags", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_flags_user_id", table_name="flags")
