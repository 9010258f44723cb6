"""The one Alembic environment of every table Qingfeng keeps: run in-process by ``wiring.database.upgrade``.

The caller hands over an open connection (``config.attributes["connection"]``), so the migration runs on exactly
the engine the services use, SQLite pragmas included. The version table has Qingfeng's own name, so the schema
can share a database with anything else.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from wiring.database import VERSION_TABLE, schema

target = schema()
OURS = set(target.tables)


def _only_ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # The database may hold other applications' tables: leave them alone.
    return type_ != "table" or name in OURS


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target,
        version_table=VERSION_TABLE,
        include_object=_only_ours,
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
