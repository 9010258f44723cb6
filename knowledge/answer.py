"""Which articles an answer quotes, and the replies that quote none (refusals, an article that does not exist).

The reply itself is written by ``knowledge.compose``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from knowledge.lookup import LookupResult
from knowledge.model import Answer, Chunk, Hit

OFF_TOPIC = (
    "这个问题不在我能回答的范围。我只回答廉洁纪律方面的问题，比如收受礼品礼金、宴请、公车、差旅、会议接待、婚丧喜庆、"
    "兼职经商、处分和申诉、检举控告、贪污贿赂等，并给出法规原文。"
)
MISS = "没找到能直接回答这个问题的规定。"
MISS_SUGGEST = "您可能想问（点按钮直接问）："
MISS_REPHRASE = (
    "换个说法试试：写明具体的事，例如“下属送购物卡能收吗”，或直接问某一条，例如“纪律处分条例第九十七条”。"
)
# Words that place a question in this assistant's field, so that a miss is told apart from a question off topic.
_IN_FIELD = re.compile(
    r"纪|廉|礼|红包|购物卡|消费卡|加油卡|宴|吃请|请客|吃喝|公车|公务|出差|差旅|报销|住宿|会议|培训|接待|处分|违纪|违规|"
    r"受贿|行贿|贪污|挪用|举报|检举|控告|申诉|复审|复核|函询|监委|监察|八项规定|党员|干部|公职人员|公务员|兼职|经商|"
    r"赌|婚丧|随礼|份子|过节费|津贴|补贴|出国|办公用房|留置|问责|审查|调查|回避|退休|烟酒|土特产|红白事|"
    r"供应商|承包商|施工方|开发商|服务对象|管理对象|下属|旅游|全包|塞钱|送钱|收钱"
)


def in_field(question: str) -> bool:
    """Whether a question speaks of this assistant's field at all (for telling a miss from off-topic)."""
    return bool(_IN_FIELD.search(question))


@dataclass(frozen=True)
class AnswerConfig:
    """How much to quote."""

    max_citations: int = 3
    max_score_gap: float = (
        2.0  # a 2nd/3rd article is quoted only when its ranker score is this close to the 1st
    )


def cite_label(title: str, article: str) -> str:
    """《title》第X条 — the citation form used everywhere."""
    if article == "序言":
        return f"《{title}》序言"
    return f"《{title}》{article}"


def full_text(parts: list[Chunk]) -> str:
    """An article's text from its parts, in order."""
    return "\n".join(p.text for p in sorted(parts, key=lambda c: c.part))


class Answerer:
    """Chooses the articles to quote, and writes the replies that quote none."""

    def __init__(self, config: AnswerConfig | None = None) -> None:
        self.config = config or AnswerConfig()

    def select(self, hits: list[Hit], consequence: bool, is_penalty: Callable[[Chunk], bool]) -> list[Hit]:
        """The 1–3 articles to quote; a consequence question always gets a penalty article."""
        if not hits:
            return []
        top = hits[0].score
        chosen = [h for h in hits[: self.config.max_citations] if h.score >= top - self.config.max_score_gap]
        if consequence and not any(is_penalty(h.chunk) for h in chosen):
            penalty = next((h for h in hits[self.config.max_citations :] if is_penalty(h.chunk)), None)
            if penalty is not None:
                chosen = [*chosen[: self.config.max_citations - 1], penalty]
        return chosen

    def no_such_article(self, question: str, found: LookupResult) -> Answer:
        """The reply when a question names an article number its document does not have."""
        ref = found.ref
        text = (
            f"知识库收录的《{found.title}》中没有{ref.label}（共收录{found.count}条）。"
            "请核对条号，或直接描述想问的情形。"
        )
        return Answer(question=question, text=text, refused=True, blocks=(text,))

    def refuse(self, question: str, suggestions: Sequence[str] = ()) -> Answer:
        """The reply when nothing in the corpus answers: off topic, or a miss with questions it can answer."""
        if not in_field(question):
            text = OFF_TOPIC
        elif suggestions:
            text = "\n".join(
                [MISS + MISS_SUGGEST, *(f"{n}. {q}" for n, q in enumerate(suggestions, start=1))]
            )
        else:
            text = MISS + MISS_REPHRASE
        return Answer(
            question=question,
            text=text,
            refused=True,
            blocks=(text,),
            suggestions=tuple(suggestions) if in_field(question) else (),
        )

    def small_talk(self, question: str, reply: str) -> Answer:
        """A greeting, thanks or "what can you do" answered as such (not a refusal, nothing to log)."""
        return Answer(question=question, text=reply, refused=False, blocks=(reply,), kind="small_talk")
