"""Quotes the bridge issued: a swap may cite only a quote recorded here, and its HTLC locks carry the
quote's terms hash and signature, which the escrow verifies on chain.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quotes",
        sa.Column("hash", sa.String(66), primary_key=True),
        sa.Column("participant", sa.String(64), nullable=False, index=True),
        sa.Column("base", sa.String(3), nullable=False),
        sa.Column("quote", sa.String(3), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("amount", sa.String(80), nullable=False),
        sa.Column("rate", sa.String(80), nullable=False),
        sa.Column("valid_until", sa.BigInteger, nullable=False),
        sa.Column("terms_hash", sa.String(66), nullable=False),
        sa.Column("signature", sa.String(132), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("quotes")
