"""One database module: every table through one Alembic environment, no DDL from the stores, old databases kept."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, event, insert, inspect, select, text

from knowledge.unanswered import UnansweredLog, unanswered_questions
from reminders.store import ReminderStore, subscriptions
from reports.store import ReportStore
from tests.reports.conftest import DAY
from wiring.database import (
    LEGACY_VERSION_TABLE,
    VERSION_TABLE,
    current_revision,
    open_engine,
    schema,
    upgrade,
)

HEAD = "0003_reminders_questions_jobs"
TABLES = {
    "reports",
    "report_entries",
    "report_attachments",
    "report_audit",
    "reminder_subscriptions",
    "reminder_deliveries",
    "unanswered_questions",
    "scheduler_jobs",
}


def sqlite(tmp_path: Path) -> Engine:
    return open_engine(f"sqlite:///{tmp_path / 'q.db'}", tmp_path)


def ddl_statements(engine: Engine) -> list[str]:
    """Every CREATE / ALTER / DROP the engine runs from now on."""
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("CREATE", "ALTER", "DROP")):
            seen.append(statement)

    return seen


def test_one_migration_creates_every_table_as_the_code_describes_it(tmp_path: Path) -> None:
    engine = sqlite(tmp_path)
    assert inspect(engine).get_table_names() == [] and current_revision(engine) is None
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == TABLES | {VERSION_TABLE}
    assert current_revision(engine) == HEAD
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        assert compare_metadata(context, schema()) == []
    engine.dispose()


def test_stores_run_no_ddl_and_a_current_database_is_not_altered_again(tmp_path: Path) -> None:
    engine = sqlite(tmp_path)
    ddl = ddl_statements(engine)
    ReportStore(engine), ReminderStore(engine), UnansweredLog(engine)
    assert ddl == [] and inspect(engine).get_table_names() == []  # nothing until the one upgrade
    upgrade(engine)
    assert ddl  # the migration made the tables
    ddl.clear()
    upgrade(engine)  # the next start-up (bot, CLI, read-only `qingfeng unanswered`)
    UnansweredLog(engine).top()
    assert ddl == []
    engine.dispose()


def test_other_applications_tables_are_left_alone(tmp_path: Path) -> None:
    engine = sqlite(tmp_path)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE other_app (x INTEGER)"))
        conn.execute(text("INSERT INTO other_app VALUES (7)"))
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM other_app")).scalar_one() == 7
    engine.dispose()


def test_a_database_of_the_previous_release_keeps_its_rows_and_moves_to_one_version_table(
    tmp_path: Path,
) -> None:
    # Before: reports migrated by their own environment (reports_alembic_version at 0002); reminders and the
    # unanswered log created by their stores (create_all); no scheduler table yet.
    engine = sqlite(tmp_path)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {VERSION_TABLE}"))
        conn.execute(text("DROP INDEX ix_scheduler_jobs_next_run_time"))
        conn.execute(text("DROP TABLE scheduler_jobs"))
        conn.execute(
            text(f"CREATE TABLE {LEGACY_VERSION_TABLE} (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        )
        conn.execute(text(f"INSERT INTO {LEGACY_VERSION_TABLE} VALUES ('0002_status_proof')"))
        conn.execute(
            insert(subscriptions).values(
                chat_id=-100, title="群", origin="chat", active=True, since=DAY, note=""
            )
        )
        conn.execute(insert(unanswered_questions).values(question="问题", day=DAY, reason="refused"))
    upgrade(engine)
    assert current_revision(engine) == HEAD
    assert set(inspect(engine).get_table_names()) == TABLES | {VERSION_TABLE}
    with engine.connect() as conn:
        assert conn.execute(select(subscriptions.c.chat_id)).scalars().all() == [-100]
        assert conn.execute(select(unanswered_questions.c.question)).scalars().all() == ["问题"]
    engine.dispose()


def test_a_database_of_the_first_report_schema_is_upgraded_with_its_reports(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from wiring.database import MIGRATIONS

    engine = sqlite(tmp_path)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_table", VERSION_TABLE)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001_reports")
        conn.execute(
            text(
                "INSERT INTO reports (id, day, status, status_day, lookup_hash, reply_public, reply_sealed_private)"
                " VALUES ('ABCDEFGHJK', '2026-09-01', 'new', '2026-09-01', x'01', x'02', x'03')"
            )
        )
    assert current_revision(engine) == "0001_reports"
    upgrade(engine)
    report = ReportStore(engine).get("ABCDEFGHJK")
    assert report is not None and report.status == "new" and report.status_proof is None
    engine.dispose()
