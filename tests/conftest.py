"""Shared fixtures; every test runs with the network closed except loopback."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.atomic import publish_folder
from common.filelock import exclusive
from knowledge.service import KnowledgeService
from wiring.factory import build_knowledge
from wiring.settings import load_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "knowledge" / "corpus"
# The ONNX export of the model (wiring.settings.model_cache_path) goes beside the index cache, for this process and
# every bot or CLI it starts: `rm -rf .cache` makes a cold run, and the tests leave nothing in the user's home.
os.environ["XDG_CACHE_HOME"] = str(ROOT / ".cache" / "home")

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


# The real index is built once per model and knowledge package (code, corpus, cards, data): a later run copies it.
CACHE = Path(os.environ.get("QINGFENG_TEST_CACHE", ROOT / ".cache" / "tests"))


def index_key() -> str:
    """The model's fingerprint and every file of the knowledge package, hashed."""
    from knowledge.embedder import find_default_model, model_fingerprint

    digest = hashlib.sha256(model_fingerprint(find_default_model()).encode())
    for path in sorted((ROOT / "knowledge").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir for the index of the bundled corpus, embedded by m3e-small (filled by ``real_service``)."""
    return tmp_path_factory.mktemp("real")


@pytest.fixture(scope="session")
def real_service(real_data_dir: Path) -> Iterator[KnowledgeService]:
    """The knowledge service exactly as `qingfeng` builds it, on the real model."""
    # Parallel workers (pytest -n) build the index once: the others wait here, then copy it.
    with exclusive(CACHE / "index.lock"):
        cached = CACHE / f"index-{index_key()}"
        if cached.is_dir():
            shutil.copytree(cached, real_data_dir / "index")
        service = build_knowledge(load_settings({"data_dir": real_data_dir}))
        report = service.ensure_ready()
        assert report is None or not report.errors
        service.warm()  # also embeds the cards' phrasings into the index folder
        if not cached.is_dir():
            # A run killed halfway never leaves a partial index to reuse.
            publish_folder(cached, lambda target: shutil.copytree(real_data_dir / "index", target))
    yield service
    service.index.store.close()


# The longest files first, in this order, then the others (test.sh turns off xdist's own reordering by test count,
# which put the one-test 150-second anonymity file last). The anonymity file builds (or waits for) the real index and
# then mostly waits on the bot's Telegram pacing; the next files need no real index, so the other workers have work
# while it is being built; the files that need it follow.
FIRST = (
    "tests/bot/test_report_anonymity.py",
    "tests/integration/test_chroma_server.py",
    "tests/integration/test_postgres.py",
    "tests/cli/test_cli_reports.py",
    "tests/handlers/test_report_flow.py",
    "tests/reports/test_disk_order.py",
    "tests/bot/test_telegram_e2e.py",
    "tests/cli/test_cli.py",
    "tests/bot/test_report_kill.py",
    "tests/bot/test_send_due.py",
    "tests/llm/test_telegram_stream.py",
    "tests/knowledge/test_quality.py",
    "tests/reminders/test_broadcast_scale.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the files in FIRST ahead of the others, in FIRST's order, keeping every other order."""
    rank = {name: n for n, name in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(FIRST)))
