"""applications: registering makes an applicant; approval makes a member

- `users.role` gains `applicant`. Accounts that exist already stay what they are
  (members were admitted before approval existed).
- `applications`: what an applicant tells the approvers (organisation from the directory
  or by name, country, motivation) and how it was decided: by whom, in which capacity
  (`admin`, `moderator` of the country's region, `representative` of the organisation
  named, or `operator` from the command line), when, and a refusal's reason. At most one
  pending application per account; decided ones stay as the record.
- `moderated_regions`: the regions a moderator moderates (their approvals are limited to
  applicants from those regions).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("role", "users", type_="check")
    op.create_check_constraint(
        "role", "users", "role IN ('applicant', 'member', 'moderator', 'admin')"
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "organisation_id",
            sa.BigInteger,
            sa.ForeignKey("organisations.id", ondelete="SET NULL"),
        ),
        sa.Column("organisation_name", sa.String(200)),
        sa.Column("country_code", sa.String(2), sa.ForeignKey("countries.code"), nullable=False),
        sa.Column("motivation", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False, server_default="pending"),
        sa.Column(
            "submitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decided_by", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("decided_as", sa.String(16)),
        sa.Column("reason", sa.Text),
        sa.CheckConstraint("status IN ('pending', 'approved', 'refused')", name="status"),
        sa.CheckConstraint(
            "decided_as IN ('admin', 'moderator', 'representative', 'operator')",
            name="decided_as",
        ),
    )
    # One pending application per account; the approvers' queue reads the pending ones.
    op.create_index(
        "uq_applications_pending",
        "applications",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_applications_queue",
        "applications",
        ["submitted_at", "id"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_applications_user", "applications", ["user_id", "id"])
    op.create_table(
        "moderated_regions",
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "region_id",
            sa.SmallInteger,
            sa.ForeignKey("regions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )


def downgrade() -> None:
    op.drop_table("moderated_regions")
    op.drop_table("applications")
    op.execute("DELETE FROM users WHERE role = 'applicant'")
    op.drop_constraint("role", "users", type_="check")
    op.create_check_constraint("role", "users", "role IN ('member', 'moderator', 'admin')")
