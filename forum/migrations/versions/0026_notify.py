"""handles, and notifications: what happened, the list's index (issue 14)

`users.handle`: each member's unique handle (`@handle` mentions them, `/members/<handle>`
is their profile): 3 to 30 of a-z, 0-9 and _, stored lower case, so unique without
regard to case. A new account without one gets a default derived from its display
name (`forum_default_handle`, a BEFORE INSERT trigger, so every path that creates an
account gets one: registration, the CLI, the demo, tests): lower case, unaccented,
runs of anything else as one _, cut to 24; "member_<id>" where little is left (a name
in another script); `_2`, `_3` ... while taken, then `_<id>`. Existing accounts are
given theirs the same way, oldest first.

`handle_redirects`: a handle a member used before keeps leading to them (mentions and
profile links written with it still work); nobody else may take it while it does.

`saved_searches.words`: the query as the PostgreSQL search reads it (a tsquery's text),
matched against each new post's document by the notifier.

`notifications.action`: what happened, where the reason alone does not say (a
moderation outcome: `post.hidden`, `user.suspended`; an application's decision).

`ix_notifications_listing` (user_id, read_at IS NOT NULL, id) replaces
`ix_notifications_user_id_id`: the list shows unread first, newest first, and pages
through each part with one index range (`forum.notifications.listing`).

Revision ID: 0026_notify
Revises: 0025
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_notify"
down_revision = "0025"
branch_labels = None
depends_on = None


HANDLE_FUNCTION = r"""
CREATE FUNCTION forum_handle_for(name text, user_id bigint) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    base text := left(trim(both '_' from
        regexp_replace(lower(unaccent(name)), '[^a-z0-9]+', '_', 'g')), 24);
    candidate text;
    n integer := 1;
BEGIN
    base := trim(trailing '_' from base);
    IF length(base) < 3 THEN
        RETURN 'member_' || user_id;
    END IF;
    candidate := base;
    WHILE EXISTS (SELECT FROM users WHERE handle = candidate)
       OR EXISTS (SELECT FROM handle_redirects WHERE handle = candidate) LOOP
        n := n + 1;
        candidate := CASE WHEN n <= 9 THEN base || '_' || n ELSE base || '_' || user_id END;
        EXIT WHEN n > 9;
    END LOOP;
    RETURN candidate;
END $$
"""

DEFAULT_FUNCTION = r"""
CREATE FUNCTION forum_default_handle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.handle IS NULL THEN
        NEW.handle := forum_handle_for(NEW.display_name, NEW.id);
    END IF;
    RETURN NEW;
END $$;
"""

BACKFILL = """
DO $$
DECLARE u record;
BEGIN
    FOR u IN SELECT id, display_name FROM users ORDER BY id LOOP
        UPDATE users SET handle = forum_handle_for(u.display_name, u.id) WHERE id = u.id;
    END LOOP;
END $$;
"""


def upgrade() -> None:
    op.add_column("saved_searches", sa.Column("words", sa.Text, server_default="", nullable=False))
    op.add_column("users", sa.Column("handle", sa.String(30)))
    op.create_table(
        "handle_redirects",
        sa.Column("handle", sa.String(30), primary_key=True),
        sa.Column(
            "user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
    )  # fmt: skip
    op.create_index("ix_handle_redirects_user_id", "handle_redirects", ["user_id"])
    op.execute(HANDLE_FUNCTION)
    op.execute(DEFAULT_FUNCTION)
    op.execute(BACKFILL)
    op.alter_column("users", "handle", nullable=False)
    op.create_index("uq_users_handle", "users", ["handle"], unique=True)
    op.create_check_constraint("ck_users_handle", "users", "handle ~ '^[a-z0-9_]{3,30}$'")
    op.execute(
        "CREATE TRIGGER users_default_handle BEFORE INSERT ON users "
        "FOR EACH ROW EXECUTE FUNCTION forum_default_handle()"
    )
    op.add_column("notifications", sa.Column("action", sa.String(32)))
    op.drop_index("ix_notifications_user_id_id", table_name="notifications")
    op.create_index(
        "ix_notifications_listing", "notifications",
        ["user_id", sa.text("(read_at IS NOT NULL)"), "id"],
    )  # fmt: skip


def downgrade() -> None:
    op.execute("DROP TRIGGER users_default_handle ON users")
    op.execute("DROP FUNCTION forum_default_handle()")
    op.execute("DROP FUNCTION forum_handle_for(text, bigint)")
    op.drop_table("handle_redirects")
    op.drop_column("users", "handle")
    op.drop_index("ix_notifications_listing", table_name="notifications")
    op.create_index("ix_notifications_user_id_id", "notifications", ["user_id", "id"])
    op.drop_column("notifications", "action")
    op.drop_column("saved_searches", "words")
