"""calendar events: workshops, conferences and days in each region

`calendar_events` (`forum.calendar_events`): members propose, editors and the region's
moderators publish or decline. Instants are stored in UTC with the IANA zone the event
is held in, so a reader sees it in their own time and in the event's.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("region_id", sa.SmallInteger, sa.ForeignKey("regions.id"), nullable=False),
        sa.Column("countries", ARRAY(sa.String(2)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description_source", sa.Text, server_default="", nullable=False),
        sa.Column("description_html", sa.Text, server_default="", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("online", sa.Boolean, server_default="false", nullable=False),
        sa.Column("place", sa.String(200), server_default="", nullable=False),
        sa.Column("country", sa.String(2)),
        sa.Column(
            "organisation_id",
            sa.BigInteger,
            sa.ForeignKey("organisations.id", ondelete="SET NULL"),
        ),
        sa.Column("language", sa.String(8), server_default="en", nullable=False),
        sa.Column("registration_url", sa.String(500), server_default="", nullable=False),
        sa.Column("status", sa.String(16), server_default="proposed", nullable=False),
        sa.Column("proposer_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("decline_reason", sa.Text),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "status IN ('proposed', 'published', 'declined')", name="ck_calendar_events_status"
        ),
        sa.CheckConstraint("ends_at >= starts_at", name="ck_calendar_events_ends_after_start"),
    )
    op.create_index("ix_calendar_events_region_id", "calendar_events", ["region_id"])
    # The lists: published events by start, upcoming or past.
    op.create_index(
        "ix_calendar_events_status_starts_at", "calendar_events", ["status", "starts_at"]
    )


def downgrade() -> None:
    op.drop_table("calendar_events")
