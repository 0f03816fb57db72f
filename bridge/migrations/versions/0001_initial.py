"""Initial schema: swaps, the transition journal, idempotency keys, seen request signatures.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "swaps",
        sa.Column("id", sa.String(66), primary_key=True),
        sa.Column("model", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("initiator", sa.String(64), nullable=False, index=True),
        sa.Column("counterparty", sa.String(64), nullable=False, index=True),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "transitions",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("swap_id", sa.String(66), sa.ForeignKey("swaps.id"), nullable=False, index=True),
        sa.Column("from_state", sa.String(16)),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("ledger", sa.String(32)),
        sa.Column("tx_hash", sa.String(66)),
        sa.Column("block_number", sa.BigInteger),
        sa.Column("detail", sa.Text),
    )
    op.create_table(
        "idempotency",
        sa.Column("participant", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("response", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "seen_requests",
        sa.Column("signature", sa.String(132), primary_key=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
    )


def downgrade() -> None:
    for table in ("seen_requests", "idempotency", "transitions", "swaps"):
        op.drop_table(table)
