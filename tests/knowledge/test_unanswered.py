"""The unanswered-question log: text and day only, most frequent first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import inspect

from knowledge.unanswered import UnansweredLog
from tests.fakes import migrated


def test_most_frequent_first_with_reasons(tmp_path: Path) -> None:
    log = UnansweredLog(migrated(f"sqlite:///{tmp_path / 'q.db'}"))
    day = dt.date(2026, 11, 27)
    log.record("社保断缴怎么办", "refused", day)
    log.record("公车  私用\n怎么处理", "downvoted", day)
    log.record("公车 私用 怎么处理", "refused", day + dt.timedelta(days=1))
    top = log.top()
    assert [e.question for e in top] == ["公车 私用 怎么处理", "社保断缴怎么办"]
    assert (top[0].count, top[0].refused, top[0].downvoted) == (2, 1, 1)
    assert top[0].last_day == day + dt.timedelta(days=1)
    assert log.top(since=day + dt.timedelta(days=1))[0].count == 1


def test_stores_no_time_and_no_person(tmp_path: Path) -> None:
    engine = migrated(f"sqlite:///{tmp_path / 'q.db'}")
    UnansweredLog(engine)
    columns = {c["name"]: str(c["type"]) for c in inspect(engine).get_columns("unanswered_questions")}
    assert set(columns) == {"id", "question", "day", "reason"}
    assert columns["day"] == "DATE"


def test_unknown_reason_is_refused_and_blank_question_skipped(tmp_path: Path) -> None:
    log = UnansweredLog(migrated("sqlite://"))
    with pytest.raises(ValueError):
        log.record("问题", "angry", dt.date(2026, 1, 1))
    log.record("   ", "refused", dt.date(2026, 1, 1))
    assert log.top() == []
