"""search: post language, search documents with tsvectors, vocabulary, indexer cursors

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The languages with a stemmer (ISO 639-1 code -> PostgreSQL's Snowball configuration),
# as of this revision; every other language is indexed with `simple` only.
STEMMED = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "ru": "russian",
    "ar": "arabic",
    "id": "indonesian",
}

# PostgreSQL ships stop-word lists for these; the `simple` half of every document drops
# the stop words of all of them, so no posting list holds nearly every post.
STOP_LISTS = ("english", "french", "spanish", "portuguese", "russian")
_STOPS = ", ".join(f"forum_stop_{name}" for name in STOP_LISTS)
# Token types with non-ASCII letters go through unaccent ("societe" meets "société");
# stop words are looked up before unaccenting, as the lists spell them.
_ASCII = "asciiword, asciihword, hword_asciipart"
_ACCENTED = "word, hword, hword_part"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name in STOP_LISTS:
        # ACCEPT = false: a word that is not a stop word goes on to the next dictionary.
        op.execute(
            f"CREATE TEXT SEARCH DICTIONARY forum_stop_{name} "
            f"(TEMPLATE = pg_catalog.simple, STOPWORDS = {name}, ACCEPT = false)"
        )
    op.execute("CREATE TEXT SEARCH CONFIGURATION forum_simple (COPY = pg_catalog.simple)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION forum_simple ALTER MAPPING FOR {_ASCII} "
        f"WITH {_STOPS}, simple"
    )
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION forum_simple ALTER MAPPING FOR {_ACCENTED} "
        f"WITH {_STOPS}, unaccent, simple"
    )
    for name in STEMMED.values():
        stop = f"forum_stop_{name}, " if name in STOP_LISTS else ""
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION forum_{name} (COPY = pg_catalog.{name})")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION forum_{name} ALTER MAPPING FOR {_ACCENTED} "
            f"WITH {stop}unaccent, {name}_stem"
        )
    cases = " ".join(f"WHEN '{code}' THEN 'forum_{name}'" for code, name in STEMMED.items())
    op.execute(
        f"""
        CREATE FUNCTION forum_ts_config(language text) RETURNS regconfig
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN (CASE language {cases} ELSE 'forum_simple' END)::regconfig
        """
    )
    # The text of sanitised post HTML: the renderer escapes only & < > " (and ').
    op.execute(
        """
        CREATE FUNCTION forum_html_text(html text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN replace(replace(replace(replace(replace(replace(
            regexp_replace(html, '<[^>]*>', ' ', 'g'),
            '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#x27;', ''''), '&#39;', ''''),
            '&amp;', '&')
        """
    )

    op.add_column(
        "posts",
        sa.Column("language", sa.String(length=8), server_default="en", nullable=False),
    )
    op.create_table(
        "search_documents",
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_id", sa.SmallInteger(), nullable=False),
        sa.Column("topic_id", sa.SmallInteger(), nullable=False),
        sa.Column("countries", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tsv", postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_search_documents_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_search_documents")),
    )
    op.execute(
        "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv) "
        "WITH (fastupdate = on)"
    )
    op.create_index(
        "ix_search_documents_created_at",
        "search_documents",
        [sa.text("created_at DESC"), sa.text("post_id DESC")],
    )
    # A search reads many rows' tsvectors: keep them inline and uncompressed (rows up to
    # 8 KB), so checking a row costs no decompression.
    op.execute("ALTER TABLE search_documents SET (toast_tuple_target = 8160)")
    # Search chooses its plan from these statistics (`search.frequencies`); the default
    # target keeps too few words to tell a rare name (a few hundred posts in a million)
    # from a word in thousands of them.
    op.execute("ALTER TABLE search_documents ALTER COLUMN tsv SET STATISTICS 1000")

    op.create_table(
        "search_terms",
        sa.Column("word", sa.Text(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_terms")),
    )
    # Suggestions point to words several posts use: a word seen once or twice is as
    # likely a typo itself, and leaving them out keeps the index small.
    op.execute(
        "CREATE INDEX ix_search_terms_word_trgm ON search_terms USING gin (word gin_trgm_ops) "
        "WHERE documents >= 3"
    )
    op.create_table(
        "search_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_search_cursors")),
    )


def downgrade() -> None:
    op.drop_table("search_cursors")
    op.drop_table("search_terms")
    op.drop_table("search_documents")
    op.drop_column("posts", "language")
    op.execute("DROP FUNCTION forum_html_text(text)")
    op.execute("DROP FUNCTION forum_ts_config(text)")
    for name in STEMMED.values():
        op.execute(f"DROP TEXT SEARCH CONFIGURATION forum_{name}")
    op.execute("DROP TEXT SEARCH CONFIGURATION forum_simple")
    for name in STOP_LISTS:
        op.execute(f"DROP TEXT SEARCH DICTIONARY forum_stop_{name}")
