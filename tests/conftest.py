"""Shared fixtures; every test runs with the network closed except loopback."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.service import KnowledgeService
from tests.index_cache import cache_lock, cached_index, store
from wiring.factory import build_knowledge
from wiring.settings import load_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "knowledge" / "corpus"

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address, *args, **kwargs):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ip = ipaddress.ip_address(socket.gethostbyname(host) if self.family == socket.AF_INET else host)
        except (OSError, ValueError):
            raise ConnectionRefusedError(f"tests may not resolve {host!r}") from None
        if not ip.is_loopback:
            raise ConnectionRefusedError(f"tests may not reach {host!r}: loopback only")
    return _real_connect(self, address, *args, **kwargs)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir for the index of the bundled corpus, embedded by m3e-small (filled by ``real_service``)."""
    return tmp_path_factory.mktemp("real")


@pytest.fixture(scope="session")
def real_service(real_data_dir: Path) -> Iterator[KnowledgeService]:
    """The knowledge service exactly as `qingfeng` builds it, on the real model."""
    with cache_lock():
        cached = cached_index()
        if cached.is_dir():
            shutil.copytree(cached, real_data_dir / "index")
        service = build_knowledge(load_settings({"data_dir": real_data_dir}))
        report = service.ensure_ready()
        assert report is None or not report.errors
        service.warm()  # also embeds the cards' phrasings into the index folder
        if not cached.is_dir():
            store(real_data_dir, cached)
    yield service
    service.index.store.close()


# The longest test file goes first, and the files that need the real index go last: with a worker per core
# (test.sh) the index, when not cached, is built in the background from the start while both workers run the
# tests that need none, instead of a worker waiting idle for it.
FIRST = ("tests/bot/test_report_anonymity.py",)
_BUILDER: list[subprocess.Popen[bytes]] = []


def pytest_configure(config: pytest.Config) -> None:
    """In the main process (not in an xdist worker), start building the real index if it is not cached."""
    if hasattr(config, "workerinput") or config.option.collectonly or cached_index().is_dir():
        return
    if config.getoption("markexpr", "") == "not slow":
        return  # no test of this run needs the real index
    _BUILDER.append(
        # Its output is dropped: if it fails, the first test that needs the index builds it and shows why.
        subprocess.Popen(
            [sys.executable, "-m", "tests.index_cache"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    """Wait for the background build (it finishes its cache entry even if no test needed it)."""
    for builder in _BUILDER:
        builder.wait()


def _needs_index(item: pytest.Item) -> bool:
    return "real_service" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files in FIRST, then the others, those that need the real index last (keeping every other order)."""
    first = {item.nodeid.split("::")[0] for item in items if item.nodeid.startswith(FIRST)}
    late = {item.nodeid.split("::")[0] for item in items if _needs_index(item)} - first
    items.sort(key=lambda item: (item.nodeid.split("::")[0] not in first, item.nodeid.split("::")[0] in late))
