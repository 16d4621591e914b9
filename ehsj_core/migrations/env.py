"""Alembic environment: the URL comes from the caller (ehsj init) or from EHSJ_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from ehsj_core.db import create_db_engine
from ehsj_core.settings import get_settings
from ehsj_core.tables import metadata

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_db_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
