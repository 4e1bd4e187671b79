"""organisations: CSO profiles, their activities and specialisations, members' affiliations

- `organisations`: one CSO profile, found by its unique `slug`. Its region is its
  country's (`countries.region_id`), never stored twice. Email and phone each carry
  their own visibility (public, members, private: `permissions.may_see_contact`).
  UNCAC chapters (1-8) and articles (1-71) as small integer arrays.
- `organisation_topics`: its specialisation among the forum's topics.
- `organisation_activities`: dated entries; `ended_on` NULL means current.
- `affiliations`: a member's tie to an organisation (member or representative) and
  whether the member shows it (`shown`, false until they choose).

Experiences (case stories) will point at `organisations.id` like activities do.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KINDS = "('ngo', 'network', 'academic', 'media', 'community', 'other')"
VISIBILITIES = "('public', 'members', 'private')"


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country_code", sa.String(2), sa.ForeignKey("countries.code"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("website", sa.String(300)),
        sa.Column("email", sa.String(254)),
        sa.Column("email_visibility", sa.String(8), nullable=False, server_default="members"),
        sa.Column("phone", sa.String(40)),
        sa.Column("phone_visibility", sa.String(8), nullable=False, server_default="private"),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("languages", sa.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'")),
        sa.Column(
            "uncac_chapters",
            sa.ARRAY(sa.SmallInteger),
            nullable=False,
            server_default=sa.text("'{}'"),
        ),
        sa.Column(
            "uncac_articles",
            sa.ARRAY(sa.SmallInteger),
            nullable=False,
            server_default=sa.text("'{}'"),
        ),
        sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(f"kind IN {KINDS}", name="kind"),
        sa.CheckConstraint(f"email_visibility IN {VISIBILITIES}", name="email_visibility"),
        sa.CheckConstraint(f"phone_visibility IN {VISIBILITIES}", name="phone_visibility"),
    )
    # The directory pages by country, then name.
    op.create_index(
        "ix_organisations_country_name", "organisations", ["country_code", "name", "id"]
    )
    op.create_table(
        "organisation_topics",
        sa.Column(
            "organisation_id",
            sa.BigInteger,
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("topic_id", sa.SmallInteger, sa.ForeignKey("topics.id"), primary_key=True),
    )
    op.create_table(
        "organisation_activities",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "organisation_id",
            sa.BigInteger,
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates"),
    )
    op.create_table(
        "affiliations",
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "organisation_id",
            sa.BigInteger,
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(16), nullable=False, server_default="member"),
        sa.Column("shown", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("role IN ('member', 'representative')", name="role"),
    )
    # A profile lists its members through this index.
    op.create_index("ix_affiliations_organisation", "affiliations", ["organisation_id"])


def downgrade() -> None:
    op.drop_table("affiliations")
    op.drop_table("organisation_activities")
    op.drop_table("organisation_topics")
    op.drop_table("organisations")
