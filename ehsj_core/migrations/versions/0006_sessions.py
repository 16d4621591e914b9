"""Server-side web sessions, sign-in throttling and named API tokens (issue 11).

Each user's one token (users.token_hash) becomes their token named "standard" in api_tokens, and the
column goes: api_tokens is the one place tokens live. The old hashes are read before the users table
is rebuilt (SQLite's batch mode copies the table; with foreign keys on, it must not yet be referenced).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import hashlib
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    users = sa.table(
        "users", sa.column("id"), sa.column("token_hash"), sa.column("created_at", sa.DateTime(timezone=True))
    )
    old = op.get_bind().execute(sa.select(users.c.id, users.c.token_hash, users.c.created_at)).all()
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_hash")
    api_tokens = op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    if old:
        op.bulk_insert(
            api_tokens,
            [
                {"user_id": r.id, "name": "standard", "token_hash": r.token_hash, "created_at": r.created_at}
                for r in old
            ],
        )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(32), nullable=True),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sign_in_failures_account", "sign_in_failures", ["account", "failed_at"])
    op.create_index("ix_sign_in_failures_ip", "sign_in_failures", ["ip", "failed_at"])


def downgrade() -> None:
    """Back to one token per user: the newest active one (a user without any gets an unusable hash)."""
    bind = op.get_bind()
    tokens = sa.table(
        "api_tokens",
        sa.column("user_id"),
        sa.column("token_hash"),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.select(tokens.c.user_id, tokens.c.token_hash)
        .where(tokens.c.revoked_at.is_(None))
        .order_by(tokens.c.created_at)
    ).all()
    newest = {r.user_id: r.token_hash for r in rows}
    op.drop_table("sign_in_failures")
    op.drop_table("web_sessions")
    op.drop_table("api_tokens")
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(64), nullable=True))
    users = sa.table("users", sa.column("id"), sa.column("token_hash"))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        unusable = hashlib.sha256(f"{secrets.token_hex(32)}{datetime.now(UTC)}".encode()).hexdigest()
        bind.execute(users.update().where(users.c.id == user_id).values(token_hash=newest.get(user_id, unusable)))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("token_hash", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_users_token_hash", ["token_hash"])
