"""Dependencies point one way: a test that walks every import of every module (including function-level ones).

common (the clock) ← core (knowledge, reminders, reports) ← assistant (Telegram-free shared services) ← wiring (settings, factory)
handlers (Telegram handlers) may use assistant and the core, never wiring, bot or cli; bot (the Telegram channel)
uses handlers and wiring; cli uses everything. No package imports one that imports it back.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "knowledge", "reminders", "reports", "assistant", "wiring", "handlers", "bot", "cli")
CORE = {"knowledge", "reminders", "reports"}
# What each package must never import (its own modules aside).
FORBIDDEN = {
    "common": {"telegram", *PACKAGES[1:]},
    **{core: {"telegram", "assistant", "wiring", "handlers", "bot", "cli"} for core in CORE},
    "assistant": {"telegram", "wiring", "handlers", "bot", "cli"},
    "wiring": {"telegram", "handlers", "bot", "cli"},
    "handlers": {"wiring", "bot", "cli"},
    "bot": {"cli"},
    "cli": set(),
}


def imports(package: str) -> dict[str, set[str]]:
    """Per module of ``package``: the top-level names it imports, at any depth of the file."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_every_package_imports_only_what_its_layer_may() -> None:
    problems = [
        f"{module} imports {name}"
        for package in PACKAGES
        for module, names in imports(package).items()
        for name in sorted(names & FORBIDDEN[package])
    ]
    assert not problems, "\n".join(problems)


def test_there_is_no_cycle_between_packages() -> None:
    graph = {
        package: {n for names in imports(package).values() for n in names if n in PACKAGES and n != package}
        for package in PACKAGES
    }

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph[start])

    cycles = [p for p in PACKAGES if reaches(p, p, {p})]
    assert not cycles, {p: graph[p] for p in cycles}


def test_the_walk_sees_imports_inside_functions() -> None:
    # The test would pass vacuously if it missed the lazy imports most of the wiring uses.
    assert "telegram" in imports("cli")["cli/telegram.py"]
    assert "wiring" in imports("cli")["cli/reports.py"]
