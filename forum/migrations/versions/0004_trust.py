"""trust: events keep ids, not text; thread counts per region and topic; catalog changes
are events

- Events stored a copy of the post as it was written, and resuming a subscription served
  it: text later edited away or deleted, to readers the thread's region no longer let in.
  A payload now names its subject (`thread_id`, `post_id`) and whoever delivers events
  builds their data from the current rows (`forum.feed`). The copies already stored are
  cut down to those ids here.
- `regions.thread_count` and `topics.thread_count` counted every thread, members-only
  ones too; `thread_counts` keeps them per region and topic, so a reader's count adds up
  only the regions they may read (`forum.catalog`).
- Any change to regions, topics or countries, even an operator's SQL, appends a
  `catalog.changed` event: every process then reads its catalog snapshot again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_CATALOG_TABLES = ("regions", "topics", "countries")

_CATALOG_CHANGED = """
    CREATE FUNCTION forum_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        appended bigint;
    BEGIN
        INSERT INTO events (type, channels, visibility, payload)
        VALUES ('catalog.changed', '{}', 'staff', jsonb_build_object('table', TG_TABLE_NAME))
        RETURNING id INTO appended;
        PERFORM pg_notify('forum_events', appended::text);
        RETURN NULL;
    END $$
"""


def upgrade() -> None:
    op.execute(
        """
        UPDATE events
        SET payload = jsonb_build_object(
            'thread_id', (payload -> 'post' ->> 'thread_id')::bigint,
            'post_id', (payload -> 'post' ->> 'id')::bigint)
        WHERE payload ? 'post'
        """
    )

    op.create_table(
        "thread_counts",
        sa.Column("region_id", sa.SmallInteger(), nullable=False),
        sa.Column("topic_id", sa.SmallInteger(), nullable=False),
        sa.Column("threads", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_thread_counts_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_thread_counts_topic_id_topics")
        ),
        sa.PrimaryKeyConstraint("region_id", "topic_id", name=op.f("pk_thread_counts")),
    )
    op.execute(
        """
        INSERT INTO thread_counts (region_id, topic_id, threads)
        SELECT region_id, topic_id, count(*) FROM threads WHERE NOT hidden
        GROUP BY region_id, topic_id
        """
    )
    op.drop_column("regions", "thread_count")
    op.drop_column("topics", "thread_count")

    op.execute(_CATALOG_CHANGED)
    for table in _CATALOG_TABLES:
        op.execute(
            f"CREATE TRIGGER forum_{table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION forum_catalog_changed()"
        )


def downgrade() -> None:
    for table in _CATALOG_TABLES:
        op.execute(f"DROP TRIGGER forum_{table}_changed ON {table}")
    op.execute("DROP FUNCTION forum_catalog_changed()")
    for table in ("regions", "topics"):
        op.add_column(
            table, sa.Column("thread_count", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        """
        UPDATE regions r SET thread_count = coalesce(
            (SELECT sum(threads) FROM thread_counts c WHERE c.region_id = r.id), 0)
        """
    )
    op.execute(
        """
        UPDATE topics t SET thread_count = coalesce(
            (SELECT sum(threads) FROM thread_counts c WHERE c.topic_id = t.id), 0)
        """
    )
    op.drop_table("thread_counts")
    # Payloads cut down to ids stay so: the text they held is gone on purpose.
