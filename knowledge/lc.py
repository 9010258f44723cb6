"""The knowledge service as a LangChain retriever: the excerpts a model may answer from, gate applied."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from knowledge.service import KnowledgeService


class QingfengRetriever(BaseRetriever):
    """Numbered excerpts (whole articles, best first) for a question; none when the relevance gate refuses it.

    The same excerpts the model-backed answer (``assistant.llm``) is grounded in and checked against.
    """

    service: Any  # a KnowledgeService (Any: pydantic need not validate it)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        service: KnowledgeService = self.service
        grounding = service.grounding(service.explain(query))
        if grounding is None:
            return []
        return [
            LCDocument(
                page_content=excerpt.text,
                metadata={
                    "number": excerpt.number,
                    "source": excerpt.citation.source,
                    "title": excerpt.citation.title,
                    "article": excerpt.citation.article,
                    "chapter": excerpt.citation.chapter,
                    "citation": excerpt.label,
                    "score": excerpt.citation.score,
                    "note": excerpt.citation.note,
                },
            )
            for excerpt in grounding.excerpts
        ]
