"""Follow-up questions lean on the previous one; standalone questions do not."""

from __future__ import annotations

import pytest

from knowledge.followup import is_followup, resolve


@pytest.mark.parametrize(
    "question", ["那春节呢？", "如果是下属送的呢", "要是用自己的钱呢", "那么国庆节呢", "这种也算违规吗"]
)
def test_short_continuations_are_followups(question: str) -> None:
    assert is_followup(question)


@pytest.mark.parametrize(
    "question",
    ["能开单位的车送孩子上学吗", "过年收下属的购物卡会受什么处分", "领导干部能不能在外面兼职拿报酬"],
)
def test_standalone_questions_are_not(question: str) -> None:
    assert not is_followup(question)


def test_a_long_message_carries_its_own_context() -> None:
    assert not is_followup("如果是下属在中秋节前给我送了两盒月饼和一箱水果，我应该怎么处理才合适呢")


def test_resolve_joins_followup_to_previous_question() -> None:
    resolved = resolve("那春节呢？", "中秋节能收下属送的月饼吗")
    assert resolved.query == "中秋节能收下属送的月饼吗；那春节呢？"
    assert resolved.previous == "中秋节能收下属送的月饼吗"


def test_resolve_without_previous_or_for_standalone_question() -> None:
    assert resolve("那春节呢？", None).query == "那春节呢？"
    assert resolve("公车能私用吗", "中秋节能收月饼吗").previous is None
