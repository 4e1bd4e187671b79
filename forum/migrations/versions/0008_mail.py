"""mail: the outbox, single-use tokens sent by email, verified addresses

- `outbox`: one row per message to send, written in the transaction of the change that
  causes it and drained by `forum.mail.sender` after commit. It holds what the message
  is (a kind, the recipient's language and parameters), not its rendered text: the
  templates and catalogs are the web layer's, which renders at send time. `message_id`
  is fixed when the row is written, so a message sent twice (a crash between sending
  and marking it sent) carries the same `Message-ID` both times.
- `mail_tokens`: single-use links (verify an address, reset a password). Only a keyed
  hash of each token is stored (`forum.mail.tokens`).
- `users.email_verified_at`: when the member followed a verification link.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email_verified_at", sa.DateTime(timezone=True)))
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("params", JSONB, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False, unique=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("attempts", sa.Integer, server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
    )
    # What the sender polls: unsent rows by due time. Sent rows leave the index, so the
    # probe stays small however much mail was sent.
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["next_attempt_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "mail_tokens",
        sa.Column("token_hash", sa.LargeBinary, primary_key=True),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("purpose IN ('verify', 'reset')", name=op.f("ck_mail_tokens_purpose")),
    )


def downgrade() -> None:
    op.drop_table("mail_tokens")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
    op.drop_column("users", "email_verified_at")
