"""The one place that builds Qingfeng's services from settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from common.clock import Clock, DayClock, china_now, china_today
from knowledge.answer import Answerer
from knowledge.card_matcher import CardMatcher
from knowledge.cards import load_cards
from knowledge.catalog import default_corpus_dir
from knowledge.embedder import Embedder, SentenceTransformerEmbedder, find_default_model
from knowledge.expansion import QueryExpander
from knowledge.gate import Gate, GateConfig, RelevanceGate
from knowledge.index import KnowledgeIndex
from knowledge.onnx_embedder import OnnxEmbedder
from knowledge.ranker import LearnedRanker
from knowledge.retriever import HybridRetriever
from knowledge.service import KnowledgeService
from knowledge.token_cache import TokenCache
from knowledge.tokenizer import Tokenizer
from knowledge.vectorstore import ChromaStore, VectorStore
from reminders.calendar import HolidayCalendar
from reminders.content import ArticleLookup, corpus_lookup, load_templates
from reminders.planner import PlanConfig
from reminders.service import ReminderService
from reminders.store import ReminderStore
from reports.keys import ReviewerKey, load_reviewers
from reports.receipt import ReceiptKeys, load_or_create_secret
from reports.review import Reviewer
from reports.service import ReportService
from reports.store import ReportStore
from wiring.database import open_engine, upgrade
from wiring.settings import Settings

if TYPE_CHECKING:  # the model libraries are imported only when a model server is configured
    from assistant.llm import LLMAnswerer


def library_folders(settings: Settings) -> list[Path]:
    """The folders whose documents make up the knowledge base."""
    folders = [default_corpus_dir()] if settings.include_default_corpus else []
    folders.append(settings.library_path)
    return folders


def gate_config(settings: Settings) -> GateConfig:
    """The trained relevance gate; its threshold can be moved by setting."""
    return GateConfig(threshold=settings.gate_threshold)


def build_embedder(settings: Settings) -> Embedder:
    """The configured sentence-transformers folder, or m3e-small from its wheel, on the configured runtime."""
    folder = Path(settings.embedding_model or find_default_model()).expanduser()
    if settings.embedding_runtime == "torch":
        return SentenceTransformerEmbedder(folder, batch_size=settings.embedding_batch_size)
    return OnnxEmbedder(folder, settings.model_cache_path, batch_size=settings.embedding_batch_size)


def build_store(settings: Settings, embedder: Embedder) -> VectorStore:
    """Embedded Chroma under the data dir, or a Chroma server when QINGFENG_CHROMA_URL is set."""
    token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
    return ChromaStore(embedder, path=settings.index_path, url=settings.chroma_url, token=token)


def build_knowledge(
    settings: Settings,
    embedder: Embedder | None = None,
    store: VectorStore | None = None,
    gate: GateConfig | Gate | None = None,
) -> KnowledgeService:
    """Assemble the knowledge service; tests pass a fake embedder, store or gate."""
    embedder = embedder or build_embedder(settings)
    store = store or build_store(settings, embedder)
    index = KnowledgeIndex(store, embedder, batch_size=settings.embedding_batch_size)
    retriever = HybridRetriever(
        store,
        embedder,
        Tokenizer(),
        QueryExpander(),
        ranker=LearnedRanker(),
        # The corpus's BM25 terms are kept beside the index, keyed by the tokenizer and every text.
        token_cache=TokenCache(settings.index_path),
    )
    return KnowledgeService(
        index=index,
        retriever=retriever,
        gate=gate
        if gate is not None and not isinstance(gate, GateConfig)
        else RelevanceGate(gate or gate_config(settings), fingerprint=embedder.fingerprint),
        answerer=Answerer(),
        library=library_folders(settings),
        top_k=settings.top_k,
        # The phrasings' vectors are cached beside the index, keyed by the model and the cards' text.
        cards=CardMatcher(load_cards(), embedder, cache_dir=settings.index_path),
    )


def build_engine(settings: Settings) -> Engine:
    """The relational store, migrated to the newest schema: SQLite under the data dir, or any SQLAlchemy URL."""
    engine = open_engine(settings.database, settings.data_dir)
    upgrade(engine)
    return engine


def plan_config(settings: Settings) -> PlanConfig:
    """The reminder rules from the settings."""
    extra = settings.reminder_extra_days
    return PlanConfig(
        workdays_before=settings.reminder_workdays_before,
        extra_days_before={"spring_festival": extra, "national_day": extra} if extra else {},
        send_time=settings.reminder_time,
    )


def build_reminders(
    settings: Settings,
    engine: Engine,
    lookup: ArticleLookup | None = None,
    clock: Clock | None = None,
) -> ReminderService:
    """The reminder service: calendar with the operator's overrides, templates, store, plan rules."""
    return ReminderService(
        calendar=HolidayCalendar(override_path=settings.holiday_override_path),
        store=ReminderStore(engine),
        templates=load_templates(),
        lookup=lookup or corpus_lookup(),
        config=plan_config(settings),
        custom_path=settings.custom_reminders_path,
        clock=clock or china_now,
    )


def reviewers_dir(settings: Settings) -> Path:
    """The folder of the reviewers' public keys (``<fingerprint>.pub``) reports are sealed to."""
    return settings.data_dir / "reviewers"


def receipt_secret(settings: Settings) -> bytes:
    """The receipt codes' server secret: QINGFENG_REPORTS_SECRET (hex), else DATA_DIR/receipt.secret."""
    if settings.reports_secret is not None:
        return bytes.fromhex(settings.reports_secret.get_secret_value().strip())
    return load_or_create_secret(settings.data_dir / "receipt.secret")


def build_reports(
    settings: Settings,
    engine: Engine,
    clock: DayClock | None = None,
    on_write: Callable[[], None] | None = None,
) -> ReportService:
    """The anonymous-report service: migrated store, reviewer keys read at each report, receipt secret."""
    folder = reviewers_dir(settings)
    return ReportService(
        store=ReportStore(engine),
        # Read at every use, so adding (or retiring) a reviewer's .pub file needs no restart.
        reviewers=lambda: load_reviewers(folder, retired=True),
        receipt_keys=ReceiptKeys(receipt_secret(settings)),
        clock=clock or china_today,
        on_write=on_write,
    )


def build_reviewer(
    settings: Settings,
    engine: Engine,
    key: ReviewerKey,
    clock: DayClock | None = None,
) -> Reviewer:
    """A reviewer working with an unlocked key, which must be listed in the reviewers folder to act."""
    folder = reviewers_dir(settings)
    return Reviewer(
        ReportStore(engine), key, lambda: load_reviewers(folder, retired=True), clock or china_today
    )


def build_llm(settings: Settings) -> LLMAnswerer | None:
    """The model-backed answerer when QINGFENG_LLM_BASE_URL is set; None (and nothing imported) otherwise."""
    if not settings.llm_base_url or not settings.llm_model:
        return None
    import openai
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    from assistant.llm import LLMAnswerer
    from assistant.raw_completions import RawStreamCompletions

    key = settings.llm_api_key or SecretStr("not-needed")  # local servers take any key; the client wants one
    # Our own client, so its own connection pool (langchain-openai's default async pool is shared per process,
    # bound to the first event loop).
    client = openai.AsyncOpenAI(
        base_url=settings.llm_base_url,
        api_key=key.get_secret_value(),
        timeout=settings.llm_timeout,
        max_retries=0,  # retries (a 429's retry-after) are the answerer's, inside its deadline
    )
    model = ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=key,
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=0.1,
        max_completion_tokens=800,
        async_client=RawStreamCompletions(client),
        root_async_client=client,
    )
    return LLMAnswerer(model, settings.llm_model, timeout=settings.llm_timeout)
