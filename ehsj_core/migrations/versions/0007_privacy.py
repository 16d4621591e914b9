"""Personal data: a key per data subject for crypto-shredding (issue 11).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

`subject_keys` holds one row per company or consultant named in the log since this migration: a
random pseudonym, the HMAC look-up of its identifier, the name for the history's search, and the
AES-256 key its personal fields are sealed with (`ehsj_core/privacy`). `privacy_pepper` holds the
installation's secret for the look-up, made here once. Events stored before this migration are left
as they are (the log is immutable).
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_keys",
        sa.Column("subject", sa.String(18), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lookup", sa.String(64), unique=True),
        sa.Column("label", sa.String(800)),
        sa.Column("key", sa.LargeBinary),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True)),
    )
    pepper = op.create_table(
        "privacy_pepper",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("pepper", sa.LargeBinary, nullable=False),
    )
    op.bulk_insert(pepper, [{"id": 1, "pepper": os.urandom(32)}])


def downgrade() -> None:
    op.drop_table("privacy_pepper")
    op.drop_table("subject_keys")
