"""search kinds of the knowledge hub: published news items, published events (past ones
too) and resources are searched with posts, organisations and experiences

- `search_knowledge` gains a row per published news item, per published event and per
  resource, written in the transaction that changes it (`forum.knowledge_documents`);
  a proposal or a declined event has none. Each names what it was built from
  (`news_id`, `event_id`, `resource_id`, deleted with it); an organisation is named only
  by its own document and its experiences'.
- A resource is read by everyone (`forum.resources`) and belongs to no region: its row
  is the only kind without one (`region`, checked), and search reads such rows whatever
  regions the reader may read.
- `ends_at` (an event's end; `created_at` is its start), `source` (a news item's source,
  an event's place, a resource's kind) and `url` (a resource's address) are what a hit
  shows of them.

Fill the new rows with `forum reindex`.

Revision ID: 0026_search13
Revises: 0025
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_search13"
down_revision = "0025"
branch_labels = None
depends_on = None

_OWNERS = (("news_id", "news"), ("event_id", "calendar_events"), ("resource_id", "resources"))
_KINDS = "kind IN ('organisation', 'experience', 'news', 'event', 'resource')"


def upgrade() -> None:
    op.alter_column("search_knowledge", "organisation_id", nullable=True)
    op.alter_column("search_knowledge", "region_id", nullable=True)
    for column, table in _OWNERS:
        op.add_column(
            "search_knowledge",
            sa.Column(
                column,
                sa.BigInteger,
                sa.ForeignKey(f"{table}.id", ondelete="CASCADE"),
                unique=True,
            ),
        )
    op.add_column("search_knowledge", sa.Column("ends_at", sa.DateTime(timezone=True)))
    op.add_column(
        "search_knowledge", sa.Column("source", sa.Text, nullable=False, server_default="")
    )
    op.add_column("search_knowledge", sa.Column("url", sa.Text, nullable=False, server_default=""))
    op.drop_constraint("kind", "search_knowledge", type_="check")
    op.create_check_constraint("kind", "search_knowledge", _KINDS)
    # What each kind is built from, and only resources without a region.
    op.create_check_constraint(
        "owner",
        "search_knowledge",
        "CASE kind WHEN 'organisation' THEN organisation_id IS NOT NULL AND experience_id IS NULL"
        " WHEN 'experience' THEN experience_id IS NOT NULL AND organisation_id IS NOT NULL"
        " WHEN 'news' THEN news_id IS NOT NULL AND organisation_id IS NULL"
        " WHEN 'event' THEN event_id IS NOT NULL AND organisation_id IS NULL"
        " ELSE resource_id IS NOT NULL AND organisation_id IS NULL END",
    )
    op.create_check_constraint(
        "region", "search_knowledge", "(region_id IS NULL) = (kind = 'resource')"
    )
    # The indexer rebuilds Meilisearch's indexes: three more of them.
    op.execute("DELETE FROM search_cursors WHERE name = 'meilisearch'")


def downgrade() -> None:
    op.execute("DELETE FROM search_knowledge WHERE kind IN ('news', 'event', 'resource')")
    op.drop_constraint("region", "search_knowledge", type_="check")
    op.drop_constraint("owner", "search_knowledge", type_="check")
    op.drop_constraint("kind", "search_knowledge", type_="check")
    op.create_check_constraint("kind", "search_knowledge", "kind IN ('organisation', 'experience')")
    for column in ("url", "source", "ends_at", *(c for c, _ in _OWNERS)):
        op.drop_column("search_knowledge", column)
    op.alter_column("search_knowledge", "region_id", nullable=False)
    op.alter_column("search_knowledge", "organisation_id", nullable=False)
