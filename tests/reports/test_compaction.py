"""The compactor: one rebuild per batch of writes, retried when it fails, run at shutdown, never logged."""

from __future__ import annotations

import logging
import threading

import pytest

from reports.compaction import Compactor

HOUR = (3600.0, 3600.0)  # a delay no test waits for: only stop() or wait_idle() ends it


class Calls:
    """A stand-in for ``ReportStore.compact`` that counts calls and fails as told."""

    def __init__(self, results: list[bool | Exception] | None = None) -> None:
        self.results = results or []
        self.count = 0
        self.first = threading.Event()

    def __call__(self) -> bool:
        self.count += 1
        self.first.set()
        result = self.results.pop(0) if self.results else True
        if isinstance(result, Exception):
            raise result
        return result


def test_writes_close_together_are_rebuilt_once() -> None:
    calls = Calls()
    compactor = Compactor(calls, delay=HOUR)
    compactor.start()
    for _ in range(5):
        compactor.written()
    assert calls.count == 0
    compactor.stop()
    assert calls.count == 1


def test_a_short_delay_runs_by_itself() -> None:
    calls = Calls()
    compactor = Compactor(calls, delay=(0.0, 0.05))
    compactor.start()
    compactor.written()
    assert compactor.wait_idle(timeout=60)
    assert calls.count == 1
    compactor.stop()
    assert calls.count == 1  # nothing pending at stop: no second rebuild


def test_failure_is_logged_once_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    calls = Calls([OSError("disk full"), OSError("disk full")])
    compactor = Compactor(calls, delay=(0.0, 0.0))
    with caplog.at_level(logging.INFO, logger="reports.compaction"):
        compactor.start()
        compactor.written()
        assert calls.first.wait(timeout=60)
        compactor.stop()  # the retry is pending for RETRY_SECONDS; stop runs it now
    assert calls.count == 2
    warnings = [r for r in caplog.records if r.name == "reports.compaction"]
    assert len(warnings) == 1 and "OSError" in warnings[0].getMessage()
    assert "disk full" not in warnings[0].getMessage()


def test_an_incomplete_rebuild_stays_pending() -> None:
    calls = Calls([False])  # the WAL could not be emptied: a reader held an old snapshot
    compactor = Compactor(calls, delay=(0.0, 0.0))
    compactor.start()
    compactor.written()
    assert calls.first.wait(timeout=60)
    compactor.stop()
    assert calls.count == 2


def test_stop_without_flush_leaves_it_to_the_next_start() -> None:
    calls = Calls()
    compactor = Compactor(calls, delay=HOUR)
    compactor.start()
    compactor.written()
    compactor.stop(flush=False)
    assert calls.count == 0


def test_never_started_compactor_rebuilds_on_stop() -> None:
    calls = Calls()
    compactor = Compactor(calls, delay=HOUR)
    compactor.written()
    compactor.stop()
    assert calls.count == 1


def test_delay_must_be_an_ordered_pair() -> None:
    with pytest.raises(ValueError):
        Compactor(Calls(), delay=(5.0, 1.0))
