"""search trust: readable regions asked at query time; suggestions counted live; shown
affiliations only

- `search_documents.visibility` goes: a document kept the visibility its region had when
  it was written, so a region made members-only went on leaking. Search now asks, per
  query, which regions the reader may read now (`forum.permissions` over the current
  catalog) and filters `region_id` on them.
- `users.organisation_public` (false for everyone: members choose to show it), and a
  document carries its author's organisation only when it is shown
  (`forum.permissions.affiliation_shown`), so search's `org` filter matches shown
  affiliations only. Nobody shows theirs yet, so every document's organisation becomes
  NULL: the column is dropped and added again (both catalog-only changes, instant on any
  table size; an UPDATE would rewrite every row and its GIN entries).
- The Meilisearch indexer's cursor is forgotten, so the indexer rebuilds its index (and
  swaps it in) at its next start: documents without `visibility`, organisations only
  where shown.
- "Did you mean" no longer trusts the vocabulary's counts (built from every post in every
  region, never lowered): `forum_documents_holding` counts, live and capped, the documents
  in given regions that hold a word, and a suggestion needs enough of them in the regions
  the reader may read (`search.vocabulary`).
- `search_terms_fading`: the words documents lost (rewritten or deleted), queued by a
  trigger whatever removed them (an edit, a deletion, moderation, a cascade, an
  operator's SQL); search's upkeep drops from the vocabulary those no document holds any
  more, so it does not grow for ever with dead words.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# A text as one quoted lexeme of a tsquery, whatever it holds (`search.postgres._lexeme`).
_LEXEME = r"""
    CREATE FUNCTION forum_lexeme(word text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CAST('''' || replace(replace(word, '\', '\\'), '''', '''''') || '''' AS tsquery)
"""

# How many documents in `regions` (NULL: in any region) hold `word` as a lexeme, counting
# up to `cap`, in three steps, each taken only if the one before counted fewer:
# 1. among the newest `walk` documents, read down the date index: a common word reaches
#    the cap within a few dozen rows (about 0.1 ms at 100,000 posts);
# 2. among the documents holding `newest` (the lexeme of search's window of newest
#    documents, `forum.documents.NEWEST`): an intersection of posting lists bounded by
#    the window's size, however large the forum (about 1 ms), where a word of a few
#    percent of the posts reaches the cap;
# 3. among all: a bitmap of every document holding the word, short for a rare word.
# Steps 2 and 3 must be GIN lookups: with a LIMIT, the planner would otherwise walk the
# table (or the date index) hoping for an early match, which for a word nobody wrote means
# reading every document. Their function's SET clauses hold only while it runs (and keep
# it from being inlined); step 1 walks the date index on purpose, so it is apart.
_HOLDING_INDEXED = """
    CREATE FUNCTION forum_documents_holding_indexed(
        word text, regions integer[], cap integer, newest text
    ) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    SET enable_seqscan = off SET enable_indexscan = off
    RETURN CASE
        WHEN newest IS NOT NULL AND (
            SELECT count(*) FROM (
                SELECT FROM search_documents d
                -- Uses index: ix_search_documents_tsv
                WHERE d.tsv @@ (forum_lexeme(word) && forum_lexeme(newest))
                  AND (regions IS NULL OR d.region_id = ANY(regions))
                LIMIT cap) recent) >= cap
        THEN cap
        ELSE (
            SELECT count(*) FROM (
                SELECT FROM search_documents d
                -- Uses index: ix_search_documents_tsv
                WHERE d.tsv @@ forum_lexeme(word)
                  AND (regions IS NULL OR d.region_id = ANY(regions))
                LIMIT cap) anywhere)
    END
"""
_HOLDING = """
    CREATE FUNCTION forum_documents_holding(
        word text, regions integer[], cap integer, newest text, walk integer
    ) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE
        WHEN (
            SELECT count(*) FROM (
                SELECT FROM (
                    SELECT d.tsv, d.region_id FROM search_documents d
                    -- Uses index: ix_search_documents_created_at
                    ORDER BY d.created_at DESC, d.post_id DESC
                    LIMIT walk) latest
                WHERE latest.tsv @@ forum_lexeme(word)
                  AND (regions IS NULL OR latest.region_id = ANY(regions))
                LIMIT cap) walked) >= cap
        THEN cap
        ELSE forum_documents_holding_indexed(word, regions, cap, newest)
    END
"""

# Words as the vocabulary keeps them (`search.vocabulary`): scope and window lexemes hold a
# space, numbers and very short or long words are never suggested.
_WORD = "length(w) BETWEEN 3 AND 30 AND w !~ '[ 0-9_]'"

_FADING = f"""
    CREATE FUNCTION forum_search_words_fading() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        -- The lexemes a deleted document held, or a rewritten one held and holds no more.
        INSERT INTO search_terms_fading (word)
        SELECT DISTINCT w
        FROM unnest(tsvector_to_array(CASE WHEN TG_OP = 'DELETE' THEN OLD.tsv
                                      ELSE ts_delete(OLD.tsv, tsvector_to_array(NEW.tsv))
                                      END)) AS w
        WHERE {_WORD}
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END
    $$
"""


def upgrade() -> None:
    op.drop_column("search_documents", "visibility")
    op.add_column(
        "users",
        sa.Column("organisation_public", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.drop_column("search_documents", "organisation")
    op.add_column("search_documents", sa.Column("organisation", sa.Text(), nullable=True))
    op.execute("DELETE FROM search_cursors WHERE name = 'meilisearch'")

    for function in (_LEXEME, _HOLDING_INDEXED, _HOLDING):
        op.execute(function)
    op.create_table(
        "search_terms_fading",
        sa.Column("word", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_terms_fading")),
    )
    op.execute(_FADING)
    # Row triggers, fired only for a document whose words changed or that went: writing a
    # post (an insert, or an upsert that inserts) fires nothing. Statement triggers with
    # transition tables fired on every post's upsert, empty as they were, and cost a
    # reply about 0.5 ms of PostgreSQL's time (bench/api.py).
    for event, when in (
        ("UPDATE OF tsv", "WHEN (OLD.tsv IS DISTINCT FROM NEW.tsv)"),
        ("DELETE", ""),
    ):
        name = event.split()[0].lower()
        op.execute(
            f"CREATE TRIGGER search_words_fading_{name} AFTER {event} ON search_documents "
            f"FOR EACH ROW {when} EXECUTE FUNCTION forum_search_words_fading()"
        )


def downgrade() -> None:
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER search_words_fading_{event} ON search_documents")
    op.execute("DROP FUNCTION forum_search_words_fading()")
    op.drop_table("search_terms_fading")
    op.execute("DROP FUNCTION forum_documents_holding(text, integer[], integer, text, integer)")
    op.execute("DROP FUNCTION forum_documents_holding_indexed(text, integer[], integer, text)")
    op.execute("DROP FUNCTION forum_lexeme(text)")
    op.drop_column("users", "organisation_public")
    # The visibility each document's region has now (never a default that could open a
    # members-only region to everyone); organisations come back with `forum reindex`.
    op.add_column("search_documents", sa.Column("visibility", sa.String(length=16)))
    op.execute(
        "UPDATE search_documents d SET visibility = r.visibility FROM regions r "
        "WHERE r.id = d.region_id"
    )
    op.alter_column("search_documents", "visibility", nullable=False)
