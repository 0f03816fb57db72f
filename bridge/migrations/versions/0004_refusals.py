"""Refused instructions, for the supervisor (which rule refused what, and which swap it named); and each
quote's mid, spread and oracle round (the quote spread the supervisory report shows).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refusals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("participant", sa.String(64), nullable=True, index=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("error", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False, index=True),
        sa.Column("field", sa.String(128), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("swap_id", sa.String(66), nullable=True, index=True),
    )
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("mid", sa.String(80), nullable=True))
        batch.add_column(sa.Column("spread_bps", sa.Integer, nullable=True))
        batch.add_column(sa.Column("oracle_round", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.drop_column("oracle_round")
        batch.drop_column("spread_bps")
        batch.drop_column("mid")
    op.drop_table("refusals")
