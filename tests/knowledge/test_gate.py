"""The relevance gate and the scope check it uses: plain data in, decisions out."""

from __future__ import annotations

from knowledge.expansion import QueryExpander
from knowledge.gate import GateConfig, RelevanceGate
from knowledge.model import Chunk, Hit
from knowledge.retriever import QueryAnalysis

SCOPE = """
anchors = ["公务员", "单位", "公车"]
off_topic = ["交警", "社保", "离婚"]
"""


def analysis(question: str, expander: QueryExpander, known: tuple[str, ...] = ()) -> QueryAnalysis:
    return QueryAnalysis(
        text=question,
        expansion=expander.expand(question),
        terms={},
        known_terms=known,
        content_words=("问题",),
    )


def hit(dense: float, lexical: float) -> Hit:
    chunk = Chunk(id="a:1:0", source="a.md", title="条例", chapter="", article="第一条", text="……")
    return Hit(chunk=chunk, score=1.0, dense=dense, lexical=lexical)


def test_neighbouring_field_without_public_office_is_off_topic() -> None:
    expander = QueryExpander(scope_text=SCOPE)
    assert expander.off_topic("电动车撞了，交警怎么认定责任") == ("交警",)
    assert expander.off_topic("社保断缴，离婚了怎么办") == ("社保", "离婚")


def test_a_public_office_word_keeps_the_question_in_scope() -> None:
    expander = QueryExpander(scope_text=SCOPE)
    assert expander.off_topic("开公车撞了人，交警来了，会被处分吗") == ()
    assert expander.off_topic("单位替我交社保合规吗") == ()
    assert expander.off_topic("能开单位的车送孩子上学吗") == ()


def test_scope_words_match_after_normalisation() -> None:
    expander = QueryExpander(scope_text='anchors = []\noff_topic = ["excel"]')
    assert expander.off_topic("ＥＸＣＥＬ怎么用") == ("excel",)


def test_bundled_scope_file_loads() -> None:
    expander = QueryExpander()
    assert expander.off_topic("养老保险交满15年能领多少钱")
    assert not expander.off_topic("公务员能不能在外面兼职")


def test_gate_answers_strong_evidence_and_refuses_weak() -> None:
    gate = RelevanceGate(GateConfig())
    expander = QueryExpander(scope_text=SCOPE)
    question = analysis("能开公车送孩子上学吗", expander, known=("问题",))
    assert gate.decide(question, [hit(0.85, 30.0)]).answer
    assert not gate.decide(question, [hit(0.60, 2.0)]).answer
    assert not gate.decide(question, []).answer


def test_off_topic_outweighs_evidence_that_would_otherwise_pass() -> None:
    gate = RelevanceGate(GateConfig())
    expander = QueryExpander(scope_text=SCOPE)
    strong = [hit(0.80, 22.0)]
    in_scope = gate.decide(analysis("公务员出了事故怎么处理", expander, known=("问题",)), strong)
    off = gate.decide(analysis("出了事故交警怎么处理", expander, known=("问题",)), strong)
    assert in_scope.answer and not off.answer
    assert off.off_topic == ("交警",)
    assert in_scope.score - off.score == -GateConfig().off_topic_weight
