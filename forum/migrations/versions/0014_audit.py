"""audit: every moderator's and admin's action, append-only

`audit_log` keeps who (`actor_id`; NULL for the operator's command line), what
(`action`), on what (`target_type`, `target_id`), where (`region_id`, for the region's
moderators), why (`reason`) and the state before and after (flags, places, roles: never
a post's text, so that text purged elsewhere is not kept here). A trigger refuses every
UPDATE and DELETE: the app cannot edit or remove an entry.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        # Not a foreign key: an entry outlives anything done to the account.
        sa.Column("actor_id", sa.BigInteger),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target_type", sa.String(20), nullable=False),
        sa.Column("target_id", sa.BigInteger, nullable=False),
        sa.Column("region_id", sa.SmallInteger, sa.ForeignKey("regions.id")),
        sa.Column("reason", sa.Text),
        sa.Column("before", JSONB),
        sa.Column("after", JSONB),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at", "id"])
    op.create_index("ix_audit_log_region_at", "audit_log", ["region_id", "at", "id"])
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor_id", "at", "id"])
    op.execute(
        """
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log is append-only';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
