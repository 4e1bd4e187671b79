"""editor role: members who curate the knowledge pages

`users.role` gains `editor` (issue 13: UNCAC review status, news, events, resources are
edited by editors and admins, `permissions.check_can_edit_knowledge`).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("role", "users", type_="check")
    op.create_check_constraint(
        "role", "users", "role IN ('applicant', 'member', 'moderator', 'editor', 'admin')"
    )


def downgrade() -> None:
    op.execute("UPDATE users SET role = 'member' WHERE role = 'editor'")
    op.drop_constraint("role", "users", type_="check")
    op.create_check_constraint(
        "role", "users", "role IN ('applicant', 'member', 'moderator', 'admin')"
    )
