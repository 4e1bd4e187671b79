"""reviews: each country's UNCAC review, cycle by cycle, and every change to it

`review_cycles` lists the Implementation Review Mechanism's cycles with the chapters each
reviews (the first III and IV, the second II and V); later cycles are rows, not code.
`country_reviews` holds one row per country and cycle: the date each stage was reached
(NULL: not yet, or not known), the reviewing States (ISO 3166-1 codes, which need not be
forum countries) and the four civil-society facts people follow, each yes/no/unknown with
the link that shows it. `demo` marks rows loaded as demonstration data, which the page
says. `country_review_changes` keeps who changed what and when (the fields changed,
before and after), newest read first.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

STAGES = ("self_assessment", "country_visit", "executive_summary", "full_report", "follow_up")
FACTS = ("self_assessment_published", "civil_society_consulted", "visit_met_civil_society",
         "full_report_published")  # fmt: skip


def upgrade() -> None:
    cycles = op.create_table(
        "review_cycles",
        sa.Column("number", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("chapters", ARRAY(sa.SmallInteger), nullable=False),
    )
    op.bulk_insert(cycles, [{"number": 1, "chapters": [3, 4]}, {"number": 2, "chapters": [2, 5]}])
    op.create_table(
        "country_reviews",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("country_code", sa.String(2), sa.ForeignKey("countries.code"), nullable=False),
        sa.Column("cycle", sa.SmallInteger, sa.ForeignKey("review_cycles.number"), nullable=False),
        *(sa.Column(f"{stage}_on", sa.Date) for stage in STAGES),
        sa.Column("reviewers", ARRAY(sa.String(2)), server_default="{}", nullable=False),
        *(
            sa.Column(fact, sa.String(8), server_default="unknown", nullable=False)
            for fact in FACTS
        ),
        *(sa.Column(f"{fact}_url", sa.String(500)) for fact in FACTS),
        sa.Column("demo", sa.Boolean, server_default="false", nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        *(sa.CheckConstraint(f"{fact} IN ('yes', 'no', 'unknown')", name=fact) for fact in FACTS),
        sa.UniqueConstraint("country_code", "cycle"),
    )
    # Uses index: the map reads one cycle's rows (`forum.reviews.stage_by_country`).
    op.create_index("ix_country_reviews_cycle", "country_reviews", ["cycle"])
    op.create_table(
        "country_review_changes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("review_id", sa.BigInteger,
                  sa.ForeignKey("country_reviews.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("actor_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("before", JSONB, nullable=False),
        sa.Column("after", JSONB, nullable=False),
    )  # fmt: skip
    op.create_index("ix_country_review_changes_review_id_at", "country_review_changes",
                    ["review_id", "at", "id"])  # fmt: skip


def downgrade() -> None:
    op.drop_table("country_review_changes")
    op.drop_table("country_reviews")
    op.drop_table("review_cycles")
