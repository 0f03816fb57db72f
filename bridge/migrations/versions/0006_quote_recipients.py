"""Whom each quote was issued to. A quote's hash covers its terms, not who asked: two banks asking for the
same quote in the same second are issued the same quote (one hash), and each may cite it. Before this,
the second request overwrote the first bank's claim on the quote, and the first bank's swap was refused.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quote_recipients",
        sa.Column("hash", sa.String(66), primary_key=True),
        sa.Column("participant", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute("INSERT INTO quote_recipients (hash, participant, created_at) SELECT hash, participant, created_at FROM quotes")


def downgrade() -> None:
    op.drop_table("quote_recipients")
