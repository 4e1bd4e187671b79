"""limits: rate-limit counters; display names unique as people read them; noreferrer

- `rate_limits` (unlogged) holds the counters of `forum.limits`; `login_throttle`, the
  old per-email failure count, goes (its rows only ever forgave or blocked logins).
- `users.display_name_key` (`forum.names.key`) with a unique index. Existing names are
  kept as they are, invisible characters included; where two accounts already share a
  key, the older account (lower id) keeps its name and each later one gets " (2)",
  " (3)"... appended (cut to fit 80 characters), so no member goes on looking like
  another. The renamed accounts are listed on standard output.
- Links in stored posts and revisions get `rel="... noreferrer"` (`forum.markup`), so a
  click no longer tells the linked site which thread the reader was on. The rel value is
  the renderer's own and a `"` in text is always escaped, so replacing the exact
  attribute text changes links and nothing else, and running it twice changes nothing.
  It runs in batches of 10,000 ids through the primary key, each rewriting only rows
  that hold the old attribute: every rewritten row is a new row version, so posts without
  links keep theirs, and each statement's work stays bounded. Like every migration here
  it is one transaction (the forum is stopped while it runs): a failure leaves all as it
  was. Event payloads keep the old rel until pruned (7 days by default).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from forum import names

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 10_000
OLD_REL = ' rel="nofollow ugc noopener"'
NEW_REL = ' rel="nofollow ugc noopener noreferrer"'
MAX_NAME = 80


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key_hash", sa.LargeBinary(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("resets_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_rate_limits")),
        prefixes=["UNLOGGED"],
        postgresql_with={"fillfactor": 70},
    )
    op.create_index("ix_rate_limits_resets_at", "rate_limits", ["resets_at"])
    op.drop_table("login_throttle")

    op.add_column("users", sa.Column("display_name_key", sa.Text(), nullable=True))
    _fill_display_name_keys()
    op.alter_column("users", "display_name_key", nullable=False)
    op.create_index("uq_users_display_name_key", "users", ["display_name_key"], unique=True)

    _replace_rel("posts", "id", OLD_REL, NEW_REL)
    _replace_rel("post_revisions", "post_id", OLD_REL, NEW_REL)


def downgrade() -> None:
    _replace_rel("post_revisions", "post_id", NEW_REL, OLD_REL)
    _replace_rel("posts", "id", NEW_REL, OLD_REL)
    op.drop_index("uq_users_display_name_key", table_name="users")
    op.drop_column("users", "display_name_key")
    op.create_table(
        "login_throttle",
        sa.Column("key_hash", sa.LargeBinary(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "last_failure_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_login_throttle")),
    )
    op.drop_index("ix_rate_limits_resets_at", table_name="rate_limits")
    op.drop_table("rate_limits")


def _fill_display_name_keys() -> None:
    bind = op.get_bind()
    users = bind.execute(sa.text("SELECT id, display_name FROM users ORDER BY id")).all()
    taken: set[str] = set()
    rows = []
    for user_id, name in users:
        new_name, key = name, names.key(name)
        n = 1
        while key in taken:
            n += 1
            suffix = f" ({n})"
            new_name = name[: MAX_NAME - len(suffix)] + suffix
            key = names.key(new_name)
        taken.add(key)
        rows.append({"id": user_id, "name": new_name, "key": key})
        if new_name != name:
            print(f"migration 0004: user {user_id} renamed from {name!r} to {new_name!r}")
    if rows:
        bind.execute(
            sa.text(
                "UPDATE users SET display_name = :name, display_name_key = :key WHERE id = :id"
            ),
            rows,
        )


def _replace_rel(table: str, id_column: str, old: str, new: str) -> None:
    bind = op.get_bind()
    last = bind.scalar(sa.text(f"SELECT max({id_column}) FROM {table}"))
    for start in range(0, (last or 0) + 1, BATCH):
        bind.execute(
            sa.text(
                f"UPDATE {table} SET body_html = replace(body_html, :old, :new) "
                f"WHERE {id_column} >= :start AND {id_column} < :end "
                "AND strpos(body_html, :old) > 0"
            ),
            {"old": old, "new": new, "start": start, "end": start + BATCH},
        )
