"""search: scope lexemes (kind, region, topic, countries) in each document's tsvector;
no pending list on the GIN index

Filters become lexemes the GIN index finds together with the reader's words, instead of
the matching rows being read and checked one by one. The lexeme of the window of newest
documents (`forum.documents.NEWEST`) is set and moved by search's upkeep.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Lexemes with a space: the text search parser never makes one of a reader's words, so
# no post and no query can reach them except through the filters search builds (the
# same lexemes, in `search.postgres`).
_SCOPE = """
    CREATE FUNCTION forum_search_scope(
        kind text, region_id integer, topic_id integer, countries text[]
    ) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN array_to_tsvector(
        ARRAY['kind ' || kind, 'region ' || region_id, 'topic ' || topic_id]
        || ARRAY(SELECT 'country ' || c FROM unnest(countries) AS c))
"""

_OF_ROW = "forum_search_scope(kind, region_id, topic_id, countries)"


def upgrade() -> None:
    op.execute(_SCOPE)
    op.execute(f"UPDATE search_documents SET tsv = tsv || {_OF_ROW}")
    # Search no longer reads word frequencies from the statistics (revision 0002 raised
    # the target for that): the default keeps ANALYZE cheap.
    op.execute("ALTER TABLE search_documents ALTER COLUMN tsv SET STATISTICS -1")
    # New documents go straight into the GIN index. With the pending list (fastupdate),
    # every search scans the entries not yet merged, up to 4 MB of them until autovacuum
    # or the limit merges them: 2,900 pending documents tripled the cost of a search at
    # 100,000 posts, while writing into the index costs a post about 0.1 ms more.
    op.execute("ALTER INDEX ix_search_documents_tsv SET (fastupdate = off)")
    op.execute("SELECT gin_clean_pending_list('ix_search_documents_tsv')")


def downgrade() -> None:
    op.execute("ALTER INDEX ix_search_documents_tsv SET (fastupdate = on)")
    op.execute("ALTER TABLE search_documents ALTER COLUMN tsv SET STATISTICS 1000")
    op.execute(
        f"UPDATE search_documents "
        f"SET tsv = ts_delete(tsv, tsvector_to_array({_OF_ROW}) || 'window newest'::text)"
    )
    op.execute("DELETE FROM search_cursors WHERE name = 'window'")
    op.execute("DROP FUNCTION forum_search_scope(text, integer, integer, text[])")
