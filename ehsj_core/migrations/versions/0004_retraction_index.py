"""The retraction index (append-only), the company-name lookup, the CVR expression index, and on
SQLite the log's position as the table's rowid.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

The CVR index is an expression index on the JSON data; the reader's look-ups spell the same
expression (`reader.json_text`), which is what lets each backend's planner use it.

On SQLite, `position BIGINT PRIMARY KEY` was a second B-tree beside the rowid; `INTEGER PRIMARY KEY`
makes the position the rowid itself, so an append writes one B-tree less and always at its end. The
table is rebuilt with every row copied as it is (the hash chain is unchanged: `ehsj audit verify`).

The recorded_at index goes: recorded_at grows with position (the store keeps it so), so "the last
position recorded by T" is a binary search over the primary key, and every append maintains one
index less.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SQLITE_REBUILD = (
    """CREATE TABLE events_rowid (
        position INTEGER PRIMARY KEY, event_id VARCHAR(36) NOT NULL UNIQUE, type VARCHAR(64) NOT NULL,
        schema_version INTEGER NOT NULL, house VARCHAR(32) NOT NULL, occurred_on DATE NOT NULL,
        recorded_at DATETIME NOT NULL, recorded_by VARCHAR(128) NOT NULL, data JSON NOT NULL,
        prev_hash VARCHAR(64) NOT NULL, hash VARCHAR(64) NOT NULL)""",
    """INSERT INTO events_rowid SELECT position, event_id, type, schema_version, house, occurred_on,
       recorded_at, recorded_by, data, prev_hash, hash FROM events ORDER BY position""",
    "DROP TABLE events",
    "ALTER TABLE events_rowid RENAME TO events",
    "CREATE INDEX ix_events_house_occurred_on ON events (house, occurred_on)",
    "CREATE INDEX ix_events_type ON events (type)",
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE is refused'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE is refused'); END""",
)
SQLITE = (
    *SQLITE_REBUILD,
    """CREATE TRIGGER retractions_no_update BEFORE UPDATE ON retractions
       BEGIN SELECT RAISE(ABORT, 'the retraction index is append-only: UPDATE is refused'); END""",
    """CREATE TRIGGER retractions_no_delete BEFORE DELETE ON retractions
       BEGIN SELECT RAISE(ABORT, 'the retraction index is append-only: DELETE is refused'); END""",
    """CREATE INDEX ix_events_company_cvr ON events (json_extract(data, '$.company_cvr'))
       WHERE json_extract(data, '$.company_cvr') IS NOT NULL""",
    """INSERT INTO retractions (target_event_id, target_position, event_id, position)
       SELECT t.event_id, t.position, r.event_id, r.position FROM events r
       JOIN events t ON t.event_id = json_extract(r.data, '$.target_event_id')
       WHERE r.type = 'event.retracted'""",
)
POSTGRES = (
    "DROP INDEX ix_events_recorded_at",
    """CREATE TRIGGER retractions_append_only BEFORE UPDATE OR DELETE ON retractions
       FOR EACH ROW EXECUTE FUNCTION events_refuse_change()""",
    """CREATE TRIGGER retractions_no_truncate BEFORE TRUNCATE ON retractions
       FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()""",
    """CREATE INDEX ix_events_company_cvr ON events ((data ->> 'company_cvr'))
       WHERE (data ->> 'company_cvr') IS NOT NULL""",
    """INSERT INTO retractions (target_event_id, target_position, event_id, position)
       SELECT t.event_id, t.position, r.event_id, r.position FROM events r
       JOIN events t ON t.event_id = r.data ->> 'target_event_id'
       WHERE r.type = 'event.retracted'""",
)


def upgrade() -> None:
    op.create_table(
        "retractions",
        sa.Column("target_event_id", sa.String(36), primary_key=True),
        sa.Column("target_position", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("position", sa.BigInteger, nullable=False, unique=True),
    )
    op.create_table(
        "company_names",
        sa.Column("cvr", sa.String(8), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("folded", sa.String(800), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    for statement in SQLITE if sqlite else POSTGRES:
        op.execute(statement)
    # Company names are folded by Python's str.casefold (SQLite's lower() folds ASCII only).
    name, cvr = (
        ("json_extract(data, '$.company_name')", "json_extract(data, '$.company_cvr')")
        if sqlite
        else ("data ->> 'company_name'", "data ->> 'company_cvr'")
    )
    pairs = bind.execute(
        sa.text(
            f"SELECT {cvr}, {name}, min(position) FROM events WHERE type = 'course.completed'"
            f" AND {name} IS NOT NULL AND {cvr} IS NOT NULL GROUP BY 1, 2"
        )
    ).all()
    if pairs:
        bind.execute(
            sa.text("INSERT INTO company_names (cvr, name, folded, position) VALUES (:cvr, :name, :folded, :position)"),
            [{"cvr": c, "name": n, "folded": n.casefold(), "position": p} for c, n, p in pairs],
        )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_events_company_cvr")
    op.drop_table("company_names")
    op.drop_table("retractions")
