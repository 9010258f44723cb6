"""The hybrid retriever as a LangChain retriever, so an optional LLM chain can compose with it."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from knowledge.answer import cite_label, full_text
from knowledge.retriever import HybridRetriever


class QingfengRetriever(BaseRetriever):
    """Returns whole articles, best first, with their citation in the metadata."""

    retriever: Any  # a HybridRetriever (Any: pydantic need not validate it)
    k: int = 3

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        hybrid: HybridRetriever = self.retriever
        documents = []
        for hit in hybrid.search(query, k=self.k):
            chunk = hit.chunk
            documents.append(
                LCDocument(
                    page_content=full_text(hybrid.article_chunks(chunk.source, chunk.article)),
                    metadata={
                        "source": chunk.source,
                        "title": chunk.title,
                        "article": chunk.article,
                        "chapter": chunk.chapter,
                        "citation": cite_label(chunk.title, chunk.article),
                        "score": hit.score,
                        "dense": hit.dense,
                        "lexical": hit.lexical,
                        "note": chunk.note,
                    },
                )
            )
        return documents
