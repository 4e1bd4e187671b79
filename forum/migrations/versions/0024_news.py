"""news and resources (issue 13)

`news`: articles about anti-corruption CSOs (`forum.news`). A member's proposal is a row
with status `proposed`, read only by its proposer, editors, admins and the region's
moderators until approved; a declined one is deleted (its text goes with it).
`resources`: links to source documents and partners, curated by editors.

`forum.resources` owns the table; `forum check-links --mark` writes `last_checked_at`
and `broken_since` (when a link was first found broken; cleared once it answers again).
Countries are ISO codes in an array, as experiences keep them: a GIN index would help a
filter by country only at sizes a curated list never reaches.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

KINDS = "'convention_text', 'review_report', 'guide', 'training_material', 'partner_organisation'"


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("description", sa.Text, server_default="", nullable=False),
        sa.Column("languages", ARRAY(sa.String(8)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("countries", ARRAY(sa.String(2)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column(
            "topic_ids", ARRAY(sa.SmallInteger), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("edited_at", sa.DateTime(timezone=True)),
        sa.Column("last_checked_at", sa.DateTime(timezone=True)),
        sa.Column("broken_since", sa.DateTime(timezone=True)),
        sa.CheckConstraint(f"kind IN ({KINDS})", name="ck_resources_kind"),
    )
    # The list is filtered by kind and paged newest first.
    op.create_index("ix_resources_kind_id", "resources", ["kind", "id"])
    op.create_table(
        "news",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, server_default="", nullable=False),
        sa.Column("source_name", sa.String(200), nullable=False),
        sa.Column("source_url", sa.String(2000), nullable=False),
        sa.Column("published_on", sa.Date, nullable=False),
        sa.Column("region_id", sa.SmallInteger, sa.ForeignKey("regions.id"), nullable=False),
        sa.Column("countries", ARRAY(sa.String(2)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column(
            "topic_ids", ARRAY(sa.SmallInteger), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("language", sa.String(8), server_default="en", nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposer_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("edited_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('proposed', 'published')", name="ck_news_status"),
    )
    # Lists are per region (published, or proposals for those who see them), newest first.
    op.create_index("ix_news_region_id_status_id", "news", ["region_id", "status", "id"])


def downgrade() -> None:
    op.drop_table("news")
    op.drop_table("resources")
