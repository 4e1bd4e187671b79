"""Migrations 0004 and 0005 on a database that holds data: events keep ids and no text,
thread counts per region and topic, display names that read the same are told apart,
stored links gain noreferrer, the counters' table is unlogged."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from forum import knowledge_documents, migrate, names
from forum.db import Database

OLD = '<p><a href="https://example.org" rel="nofollow ugc noopener">site</a> and rel="x"</p>'
NEW = (
    '<p><a href="https://example.org" rel="nofollow ugc noopener noreferrer">site</a>'
    ' and rel="x"</p>'
)


async def _to(db: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = migrate.alembic_config(connection)
        (command.downgrade if down else command.upgrade)(config, revision)

    async with db.engine.begin() as connection:
        await connection.run_sync(run)


async def test_upgrades_on_existing_data(empty_database_url):
    db = Database(empty_database_url, pool_size=1)
    try:
        await _to(db, "0003")
        async with db.transaction() as s:
            for name in ["Aminata Diallo", "Other", "AMINATA  DIALLO", "Amínata Diallo"]:
                await s.execute(
                    text(
                        "INSERT INTO users (email, display_name, password_hash) "
                        "VALUES (:email, :name, 'x')"
                    ),
                    {"email": f"{len(name)}{name[:3]}@example.org", "name": name},
                )
            await s.execute(text("INSERT INTO regions (slug, name) VALUES ('africa', 'Africa')"))
            await s.execute(text("INSERT INTO topics (slug, name) VALUES ('t', 'T')"))
            await s.execute(
                text(
                    "INSERT INTO threads (region_id, topic_id, author_id, title) VALUES (1,1,1,'T')"
                )
            )
            await s.execute(
                text(
                    "INSERT INTO posts (thread_id, position, author_id, body_source, body_html) "
                    "VALUES (1, 1, 1, 's', :html), (1, 2, 1, 's', '<p>no link</p>')"
                ),
                {"html": OLD},
            )
            await s.execute(
                text(
                    "INSERT INTO post_revisions (post_id, revision, body_source, body_html, "
                    "written_at, editor_id) VALUES (1, 1, 's', :html, now(), 1)"
                ),
                {"html": OLD},
            )
            # As 0003 logged them: the post's text in the payload.
            await s.execute(
                text(
                    "INSERT INTO events (type, channels, visibility, payload) VALUES"
                    " ('post.created', '{thread:1}', 'public', CAST(:payload AS jsonb))"
                ),
                {"payload": '{"post": {"id": 2, "thread_id": 1, "body": "Secret name"}}'},
            )

        await migrate.upgrade(db.engine)
        async with db.transaction() as s:
            users = (
                await s.execute(
                    text("SELECT display_name, display_name_key FROM users ORDER BY id")
                )
            ).all()
            html = (await s.execute(text("SELECT body_html FROM posts ORDER BY id"))).scalars()
            revision = await s.scalar(text("SELECT body_html FROM post_revisions"))
            persistence = await s.scalar(
                text("SELECT relpersistence::text FROM pg_class WHERE relname = 'rate_limits'")
            )
            throttle = await s.scalar(text("SELECT to_regclass('login_throttle')"))
            payloads = (await s.execute(text("SELECT payload FROM events"))).scalars().all()
            counts = (await s.execute(text("SELECT * FROM thread_counts"))).all()
        # The oldest keeps the name; later lookalikes are numbered, in order.
        assert [u.display_name for u in users] == [
            "Aminata Diallo", "Other", "AMINATA  DIALLO (2)", "Amínata Diallo (3)"
        ]  # fmt: skip
        assert [u.display_name_key for u in users] == [names.key(u.display_name) for u in users]
        assert list(html) == [NEW, "<p>no link</p>"]
        assert revision == NEW
        assert persistence == "u" and throttle is None
        assert payloads == [{"thread_id": 1, "post_id": 2}]
        assert [tuple(c) for c in counts] == [(1, 1, 1)]

        await migrate.upgrade(db.engine)  # nothing left to do
        await _to(db, "0003", down=True)
        async with db.transaction() as s:
            assert await s.scalar(text("SELECT body_html FROM posts WHERE id = 1")) == OLD
    finally:
        await db.dispose()


async def test_0006_leaves_search_documents_nothing_a_reader_may_not_see(empty_database_url):
    db = Database(empty_database_url, pool_size=1)
    try:
        await _to(db, "0005")
        async with db.transaction() as s:
            for statement in (
                "INSERT INTO users (email, display_name, display_name_key, password_hash, "
                "organisation) VALUES ('a@example.org', 'A', 'a', 'x', 'Transparency Senegal')",
                "INSERT INTO regions (slug, name, visibility) VALUES ('room', 'Room', 'members')",
                "INSERT INTO topics (slug, name) VALUES ('t', 'T')",
                "INSERT INTO threads (region_id, topic_id, author_id, title) VALUES (1, 1, 1, 'T')",
                "INSERT INTO posts (thread_id, position, author_id, body_source, body_html) "
                "VALUES (1, 1, 1, 's', '<p>Kiprotich</p>')",
                # As 0005 wrote it: the visibility of its day, and the author's organisation.
                "INSERT INTO search_documents (post_id, thread_id, kind, region_id, topic_id, "
                "countries, author_id, organisation, visibility, created_at, tsv) VALUES "
                "(1, 1, 'thread', 1, 1, '{}', 1, 'Transparency Senegal', 'public', now(), "
                "to_tsvector('simple', 'kiprotich signed'))",
                "INSERT INTO search_cursors (name, position) VALUES ('meilisearch', '5-9')",
            ):
                await s.execute(text(statement))

        await _to(db, "0006")  # 0012 drops the column again: the org filter asks affiliations
        async with db.transaction() as s:
            columns = await s.scalars(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'search_documents'"
                )
            )
            assert "visibility" not in set(columns)
            assert await s.scalar(text("SELECT organisation FROM search_documents")) is None
            assert await s.scalar(text("SELECT organisation_public FROM users")) is False
            # The Meilisearch index is rebuilt from the documents as they are now.
            assert await s.scalar(text("SELECT count(*) FROM search_cursors")) == 0
            # Words a document loses are queued for the vocabulary's upkeep.
            await s.execute(text("DELETE FROM search_documents"))
            fading = await s.scalars(text("SELECT word FROM search_terms_fading ORDER BY 1"))
            assert list(fading) == ["kiprotich", "signed"]

        await _to(db, "0005", down=True)
        async with db.transaction() as s:
            await s.execute(
                text(
                    "INSERT INTO search_documents (post_id, thread_id, kind, region_id, "
                    "topic_id, countries, author_id, visibility, created_at, tsv) VALUES "
                    "(1, 1, 'thread', 1, 1, '{}', 1, 'members', now(), '')"
                )
            )
        await migrate.upgrade(db.engine)
        await _to(db, "0005", down=True)
        async with db.transaction() as s:
            # Back as the region is now, never opened to everyone.
            assert await s.scalar(text("SELECT visibility FROM search_documents")) == "members"
    finally:
        await db.dispose()


async def test_0026_searches_the_knowledge_hub_and_goes_back(empty_database_url):
    """0026 lets a resource's document be of no region, sends the indexer to rebuild
    (three new indexes), and its downgrade drops the new kinds' documents."""
    db = Database(empty_database_url, pool_size=1)
    try:
        await _to(db, "0025")
        async with db.transaction() as s:
            await s.execute(
                text("INSERT INTO search_cursors (name, position) VALUES ('meilisearch', '5-9')")
            )
        await migrate.upgrade(db.engine)
        async with db.transaction() as s:
            assert await s.scalar(text("SELECT count(*) FROM search_cursors")) == 0
            await s.execute(
                text(
                    "INSERT INTO resources (title, url, kind, description) "
                    "VALUES ('Guide', 'https://example.org', 'guide', 'Quokka.')"
                )
            )
            await knowledge_documents.refresh(s, resources=[1])
            kind, region = (
                await s.execute(text("SELECT kind, region_id FROM search_knowledge"))
            ).one()
            assert (kind, region) == ("resource", None)
        await _to(db, "0025", down=True)
        async with db.transaction() as s:
            assert await s.scalar(text("SELECT count(*) FROM search_knowledge")) == 0
        await migrate.upgrade(db.engine)
    finally:
        await db.dispose()
