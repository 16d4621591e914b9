"""The retraction index (append-only), the company-name lookup, and the CVR expression index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

The CVR index is an expression index on the JSON data; the reader's look-ups spell the same
expression (`reader.CVR_SQL`), which is what lets each backend's planner use it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SQLITE = (
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
