"""The one database module: the engine (SQLite pragmas or PostgreSQL driver), the schema lock, the migrations.

Every table (reports, reminders, unanswered questions, scheduled jobs) is created and changed by one Alembic
environment (``wiring/migrations``), upgraded once when a process opens the database; the stores never run DDL.
On PostgreSQL an advisory lock makes two processes starting on an empty database take turns.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    LargeBinary,
    MetaData,
    Table,
    Unicode,
    create_engine,
    event,
    inspect,
    make_url,
    text,
)

VERSION_TABLE = "qingfeng_alembic_version"
# Before one environment migrated every table, the report tables had their own (same revision ids).
LEGACY_VERSION_TABLE = "reports_alembic_version"
JOBS_TABLE = "scheduler_jobs"  # APScheduler's job store
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SCHEMA_LOCK = 0x71696E6766656E67  # "qingfeng": the PostgreSQL advisory lock held while migrating


def open_engine(url: str, data_dir: Path | None = None) -> Engine:
    """An engine for ``url``: SQLite with WAL and secure delete in a private file, or PostgreSQL via psycopg 3."""
    target = make_url(url)
    if target.get_backend_name() == "sqlite":
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        database = target.database
        if database and database != ":memory:":
            _private_database_file(Path(database))
        # Handlers and worker threads share the engine; SQLite needs telling that this is fine.
        engine = create_engine(target, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if target.drivername == "postgresql":
        # SQLAlchemy's default PostgreSQL driver is psycopg2; the postgres extra installs psycopg 3.
        target = target.set(drivername="postgresql+psycopg")
    return create_engine(target, pool_pre_ping=True)


def upgrade(engine: Engine) -> None:
    """Bring every table to the newest schema; safe to repeat, and issues no DDL when already there."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # held until commit: a second process waits, then finds head
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        config.attributes["connection"] = conn
        tables = inspect(conn)
        if not tables.has_table(VERSION_TABLE) and tables.has_table(LEGACY_VERSION_TABLE):
            # A database of an earlier release: its report revision carries over, the old table goes.
            revision = conn.execute(text(f"SELECT version_num FROM {LEGACY_VERSION_TABLE}")).scalar_one()
            command.stamp(config, revision)
            conn.execute(text(f"DROP TABLE {LEGACY_VERSION_TABLE}"))
        command.upgrade(config, "head")


def schema() -> MetaData:
    """Every table as the code describes it: the stores' tables and APScheduler's job table."""
    from knowledge.unanswered import metadata as unanswered
    from reminders.store import metadata as reminders
    from reports.store import metadata as reports

    target = MetaData()
    for part in (reports, reminders, unanswered):
        for table in part.tables.values():
            table.to_metadata(target)
    # SQLAlchemyJobStore's definition (APScheduler 3), so that a comparison with the database is complete.
    Table(
        JOBS_TABLE,
        target,
        Column("id", Unicode(191), primary_key=True),
        Column("next_run_time", Float(25), index=True),
        Column("job_state", LargeBinary, nullable=False),
    )
    return target


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None: never migrated)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one_or_none()


def _private_database_file(path: Path) -> None:
    # SQLite creates its -wal and -shm files with the database file's permissions: making the database 0600
    # before SQLite first opens it keeps all three readable by this account only, whatever the umask.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            os.chmod(file, 0o600)


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    # WAL: readers do not block the writer, and a commit is one append — it survives the process being
    # killed (synchronous=NORMAL only risks the last commits on power loss). secure_delete overwrites
    # deleted content instead of leaving it in free pages.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
