"""Shared fixtures; every test runs with the network closed except loopback."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.service import KnowledgeService
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
    """A data dir holding an index of the bundled corpus, embedded by m3e-small."""
    return tmp_path_factory.mktemp("real")


@pytest.fixture(scope="session")
def real_service(real_data_dir: Path) -> Iterator[KnowledgeService]:
    """The knowledge service exactly as `qingfeng` builds it, on the real model."""
    service = build_knowledge(load_settings({"data_dir": real_data_dir}))
    report = service.ensure_ready()
    assert report is None or not report.errors
    service.warm()
    yield service
    service.index.store.close()
