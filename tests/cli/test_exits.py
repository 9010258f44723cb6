"""Every error class has one exit code, documented in the README from the same table."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from cli.exits import EXIT_CODES, MEANINGS, exit_code, table

ROOT = Path(__file__).resolve().parents[2]
ERROR_MODULES = ("knowledge.errors", "reminders.errors", "reports.errors", "bot.errors", "assistant.errors")


def error_classes() -> list[type[BaseException]]:
    found = []
    for name in ERROR_MODULES:
        module = importlib.import_module(name)
        found += [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, Exception) and cls.__module__ == name
        ]
    return found


@pytest.mark.parametrize("cls", error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_is_listed_with_a_documented_code(cls: type[BaseException]) -> None:
    assert cls in EXIT_CODES, f"{cls.__name__} has no exit code in cli/exits.py"
    assert EXIT_CODES[cls] in MEANINGS


def test_the_readme_shows_the_table() -> None:
    assert table() in (ROOT / "README.md").read_text("utf-8")


def test_the_nearest_listed_class_decides() -> None:
    from reports.errors import KeyFileError, KeyProblem, UnknownReport

    assert exit_code(UnknownReport("X")) == 4 and exit_code(KeyFileError(KeyProblem.MISSING)) == 3
    assert exit_code(FileNotFoundError(2, "No such file")) == 1 and exit_code(ValueError("x")) is None
