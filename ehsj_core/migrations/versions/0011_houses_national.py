"""Houses as data and the national roll-up (issue 14).

- `installation`: facts about this installation (key → value); `house` is the house its log belongs
  to, written on first use, so that a database of one house is never opened as another's.
- `national_exports`: every house export the national installation accepted (the header's house,
  year, head position and head hash, the file's SHA-256, how it came); append-only.
- `national_rows`: the rows of those exports, once per house and position; append-only, so a house's
  stored chain can only be extended, never changed.
- `national_house_tokens`: the per-house upload tokens (only their SHA-256), revocable.
- `national_uploads`: on a house's installation, each head position sent to the national one
  (exactly once per year and position: the ledger a retry consults).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

READ_ONLY = ("national_exports", "national_rows")


def _sqlite_triggers(table: str) -> tuple[str, ...]:
    return (
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
           BEGIN SELECT RAISE(ABORT, 'the national store is read-only: UPDATE is refused'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
           BEGIN SELECT RAISE(ABORT, 'the national store is read-only: DELETE is refused'); END""",
    )


POSTGRES_FUNCTION = """CREATE FUNCTION national_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'the national store is read-only: % is refused', TG_OP
           USING ERRCODE = 'insufficient_privilege';
       END $$"""


def _postgres_triggers(table: str) -> tuple[str, ...]:
    return (
        f"""CREATE TRIGGER {table}_read_only BEFORE UPDATE OR DELETE ON {table}
           FOR EACH ROW EXECUTE FUNCTION national_refuse_change()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
           FOR EACH STATEMENT EXECUTE FUNCTION national_refuse_change()""",
    )


def upgrade() -> None:
    op.create_table(
        "installation",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "national_exports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("house", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("head_position", sa.BigInteger, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("in_year", sa.Integer, nullable=False),
        sa.Column("exported_at", sa.String(32), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("contract_sha256", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_via", sa.String(16), nullable=False),  # cli, upload
        sa.Column("received_by", sa.String(128), nullable=False),
        sa.UniqueConstraint("house", "year", "head_position", name="uq_national_exports_house_year_head"),
    )
    op.create_table(
        "national_rows",
        sa.Column("house", sa.String(32), primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),  # the ten hashed fields, as JSON (sorted keys)
    )
    op.create_table(
        "national_house_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("house", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "national_uploads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("head_position", sa.BigInteger, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),  # pending, sending, sent, failed, superseded
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("response", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("year", "head_position", name="uq_national_uploads_year_head"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for table in READ_ONLY:
            for statement in _sqlite_triggers(table):
                op.execute(statement)
    else:
        op.execute(POSTGRES_FUNCTION)
        for table in READ_ONLY:
            for statement in _postgres_triggers(table):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table in READ_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_read_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS national_refuse_change()")
    for table in ("national_uploads", "national_house_tokens", "national_rows", "national_exports", "installation"):
        op.drop_table(table)
