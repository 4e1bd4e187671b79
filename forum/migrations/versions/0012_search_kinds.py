"""search kinds: organisations and experiences are searched with posts; the `org` filter
matches shown affiliations

- `search_knowledge`: one row per organisation (`experience_id` NULL) and per experience,
  written in the transaction that changes it (`forum.knowledge_documents`). It holds only
  what every reader of the organisation's region may see: never an email or a phone. Its
  tsvector carries the words as `search_documents` does (the language's stemmer and the
  words as written) and scope lexemes (kind, region, topics, countries, UNCAC articles),
  so a search's filters are the same tsquery on both tables. A few thousand rows: the
  GIN index finds the matches and the statement ranks them all.
- `search_documents.organisation` goes: the `org` filter asks `affiliations` at query
  time (`search.postgres`), so an affiliation hidden or ended stops matching at once,
  without rewriting the member's posts.

Fill the new table with `forum reindex`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_knowledge",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "organisation_id",
            sa.BigInteger,
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "experience_id",
            sa.BigInteger,
            sa.ForeignKey("experiences.id", ondelete="CASCADE"),
            unique=True,
        ),
        sa.Column("region_id", sa.SmallInteger, nullable=False),
        sa.Column("topic_ids", sa.ARRAY(sa.SmallInteger), nullable=False),
        sa.Column("countries", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("uncac_articles", sa.ARRAY(sa.SmallInteger), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tsv", postgresql.TSVECTOR(), nullable=False),
        sa.CheckConstraint("kind IN ('organisation', 'experience')", name="kind"),
    )
    # One row per organisation (its experiences have their own, unique by experience).
    op.create_index(
        "ux_search_knowledge_organisation",
        "search_knowledge",
        ["organisation_id"],
        unique=True,
        postgresql_where=sa.text("experience_id IS NULL"),
    )
    op.execute("CREATE INDEX ix_search_knowledge_tsv ON search_knowledge USING gin (tsv)")
    op.drop_column("search_documents", "organisation")
    # The indexer rebuilds Meilisearch's indexes: posts carry shown organisations by slug.
    op.execute("DELETE FROM search_cursors WHERE name = 'meilisearch'")


def downgrade() -> None:
    op.add_column("search_documents", sa.Column("organisation", sa.Text(), nullable=True))
    op.drop_table("search_knowledge")
