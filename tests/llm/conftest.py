"""Shared by the model-answer tests: the corpus on instant hashing vectors, and a fake model server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from knowledge.service import KnowledgeService
from tests.fakellm import FakeLLM
from tests.fakes import HashingEmbedder, KnownWordsGate, MemoryStore
from wiring.factory import build_knowledge
from wiring.settings import load_settings


@pytest.fixture(scope="session")
def knowledge(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeService:
    """The corpus indexed with instant hashing vectors; the gate answers any question in its words."""
    settings = load_settings({"data_dir": tmp_path_factory.mktemp("knowledge")})
    service = build_knowledge(
        settings, embedder=HashingEmbedder(), store=MemoryStore(), gate=KnownWordsGate()
    )
    service.ensure_ready()
    return service


@pytest.fixture
def model() -> Iterator[FakeLLM]:
    """A fake OpenAI-compatible server answering at once from the excerpts it is sent."""
    with FakeLLM() as fake:
        yield fake
