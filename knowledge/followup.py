"""Follow-up questions ("那春节呢？", "如果是下属送的呢") read in the context of the previous question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.tokenizer import normalize

# A question that opens with one of these continues the previous one.
_OPENERS = (
    "那么",
    "那要是",
    "那如果",
    "那",
    "如果是",
    "如果",
    "要是",
    "假如",
    "假设",
    "换成",
    "改成",
    "还有",
    "另外",
)
_ENDS_WITH_NE = re.compile(r"呢[？?！!。…\s]*$")
_PRONOUNS = (
    "这种",
    "这样",
    "这个",
    "那种",
    "那样",
    "上面",
    "刚才",
    "同样",
    "也算",
    "也行",
    "也可以",
    "也不行",
)
MAX_FOLLOWUP_CHARS = 24  # longer messages carry their own context


@dataclass(frozen=True)
class Resolved:
    """The text to search for, and the earlier question it leans on (if any)."""

    query: str
    previous: str | None = None


def is_followup(question: str) -> bool:
    """Whether ``question`` only makes sense after an earlier one."""
    q = normalize(question)
    if len(q) > MAX_FOLLOWUP_CHARS:
        return False
    return q.startswith(_OPENERS) or bool(_ENDS_WITH_NE.search(q)) or any(p in q for p in _PRONOUNS)


def resolve(question: str, previous: str | None) -> Resolved:
    """Join a follow-up to the previous question so retrieval sees the whole situation."""
    if previous and is_followup(question):
        return Resolved(query=f"{previous}；{question}", previous=previous)
    return Resolved(query=question)
