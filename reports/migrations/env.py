"""Alembic environment of the report tables: run in-process by ``reports.store.upgrade``.

The caller hands over an open connection (``config.attributes["connection"]``), so the migration runs
on exactly the engine the bot uses, SQLite pragmas included. The version table has its own name so the
report schema can share a database with anything else.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from reports.store import VERSION_TABLE, metadata


def _only_report_tables(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # The database may hold other components' tables (reminders, scheduler jobs): leave them alone.
    return type_ != "table" or name in metadata.tables


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=_only_report_tables,
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Migrate over the given connection, or over ``sqlalchemy.url`` when run by the alembic command."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


run_migrations()
