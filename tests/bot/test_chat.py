"""The chat service on the real knowledge code (fake embedder): follow-ups, buttons, feedback log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.chat import ChatService, ConversationMemory, Topic
from assistant.errors import AnswerExpired
from knowledge.gate import GateDecision
from knowledge.model import Answer, Citation
from knowledge.service import Explanation, KnowledgeService
from knowledge.unanswered import UnansweredLog
from tests.fakes import HashingEmbedder, KnownWordsGate, MemoryStore, migrated
from wiring.factory import build_knowledge
from wiring.settings import load_settings

DAY = dt.date(2026, 11, 27)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeService:
    settings = load_settings({"data_dir": tmp_path_factory.mktemp("data")})
    # Hashing vectors carry no meaning, so the gate only refuses when no word matches at all.
    svc = build_knowledge(settings, embedder=HashingEmbedder(), store=MemoryStore(), gate=KnownWordsGate())
    svc.ingest()
    return svc


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(knowledge: KnowledgeService, tmp_path: Path, clock: Clock) -> Iterator[ChatService]:
    executor = ThreadPoolExecutor(2)
    log = UnansweredLog(migrated(f"sqlite:///{tmp_path / 'q.db'}"))
    yield ChatService(knowledge, log, executor, ConversationMemory(ttl=600, clock=clock), today=lambda: DAY)
    executor.shutdown()


async def test_followup_uses_the_previous_question_of_the_same_chat(
    service: ChatService, clock: Clock
) -> None:
    first = await service.ask(1, "中秋节能收下属送的月饼吗")
    assert first.previous is None and not first.answer.refused
    follow = await service.ask(1, "那春节呢？")
    assert follow.previous == "中秋节能收下属送的月饼吗"
    assert follow.answer.question == "中秋节能收下属送的月饼吗；那春节呢？"
    other_chat = await service.ask(2, "那春节呢？")
    assert other_chat.previous is None
    clock.now += 601
    assert (await service.ask(1, "那国庆呢？")).previous is None


async def test_full_text_button_returns_the_whole_article(service: ChatService) -> None:
    reply = await service.ask(5, "公务用车可以私用吗")
    citation, text = service.article(reply.answer_id, 1)
    assert citation == reply.answer.citations[0]
    assert text.startswith(citation.article) or citation.article in text
    with pytest.raises(AnswerExpired):
        service.article("nope", 1)
    with pytest.raises(AnswerExpired):
        service.article(reply.answer_id, 9)


async def test_downvote_is_logged_once_without_the_asker(service: ChatService) -> None:
    reply = await service.ask(7, "公务用车可以私用吗")
    assert await service.rate(reply.answer_id, helpful=False)
    assert not await service.rate(reply.answer_id, helpful=False)
    good = await service.ask(7, "出差住宿标准是多少")
    assert await service.rate(good.answer_id, helpful=True)
    entries = service.unanswered.top()
    assert [(e.question, e.downvoted, e.last_day) for e in entries] == [("公务用车可以私用吗", 1, DAY)]


async def test_refusals_are_logged(service: ChatService) -> None:
    reply = await service.ask(8, "qwzx")
    assert reply.answer.refused
    assert [e.question for e in service.unanswered.top()] == ["qwzx"]


async def test_a_refused_text_holding_a_receipt_code_is_never_logged(service: ChatService) -> None:
    reply = await service.ask(9, "qwzx ABCD-EFGH-JKMN-PQRS-TVWX")
    assert reply.answer.refused
    assert service.unanswered.top() == []


async def test_refusals_can_be_kept_out_of_the_log(service: ChatService) -> None:
    reply = await service.ask(10, "qwzx", record=False)
    assert reply.answer.refused
    assert service.unanswered.top() == []


async def test_greetings_thanks_and_capabilities_get_their_own_short_replies(service: ChatService) -> None:
    from knowledge.smalltalk import CAPABILITIES, EXAMPLES, GREETING, THANKS

    await service.ask(7, "公车能私用吗")
    hello = await service.ask(7, "你好！")
    thanks = await service.ask(7, "谢谢")
    what = await service.ask(7, "你能做什么？")
    assert [r.answer.text for r in (hello, thanks, what)] == [GREETING, THANKS, CAPABILITIES]
    assert all(
        r.answer.kind == "small_talk" and not r.answer.refused and r.previous is None for r in (hello, what)
    )
    assert all(q in GREETING for q in EXAMPLES) and len(GREETING) < 200
    assert service.unanswered.top() == []  # nothing filed for curators
    # Small talk is not the context of a follow-up: the next question still builds on the real one.
    assert (topic := service.memory.previous((7, 7))) is not None and topic.question == "公车能私用吗"


async def test_off_topic_and_misses_are_told_apart(service: ChatService) -> None:
    from knowledge.answer import MISS, OFF_TOPIC, Answerer

    off = await service.ask(8, "qwzx")  # nothing the fake gate knows, nothing of the field
    assert off.answer.refused and off.answer.text == OFF_TOPIC and off.answer.suggestions == ()
    miss = Answerer().refuse("纪委的qwzx规定", ["过年下属送购物卡能收吗", "公车能私用吗"])
    assert miss.text.split("\n") == [
        MISS + "您可能想问（点按钮直接问）：",
        "1. 过年下属送购物卡能收吗",
        "2. 公车能私用吗",
    ]
    assert miss.suggestions == ("过年下属送购物卡能收吗", "公车能私用吗")
    assert Answerer().refuse("纪委的qwzx规定").text.startswith(MISS + "换个说法试试")
    answer_id = service._keep("纪委的qwzx规定", miss, Topic("纪委的qwzx规定"))
    assert service.suggestion(answer_id, 2) == "公车能私用吗"
    with pytest.raises(AnswerExpired):
        service.suggestion(answer_id, 3)


class ScriptedKnowledge:
    """Answers from a script: each question's card and cited articles, to test how context is chosen."""

    def __init__(self, script: dict[str, tuple[str | None, tuple[str, ...]]]) -> None:
        self.script = script
        self.asked: list[str] = []

    def _answer(self, question: str) -> Answer:
        card, articles = self.script.get(question, (None, ()))
        citations = tuple(Citation("doc.md", "规定", a, "", 1.0, "") for a in articles)
        return Answer(question, question, refused=not citations, citations=citations, card=card)

    def ask(self, question: str) -> Answer:
        self.asked.append(question)
        return self._answer(question)

    def explain(self, question: str) -> Explanation:
        self.asked.append(question)
        return Explanation(self._answer(question), [], GateDecision(True, 1.0, 0.0, 0.0, 0.0))


WEDDING = "同事结婚送的礼金能收吗"
HOTEL = "出差住宿标准是多少"
SCRIPT: dict[str, tuple[str | None, tuple[str, ...]]] = {
    WEDDING: ("weddings.colleague", ("第一百零一条",)),
    HOTEL: ("travel.hotel", ("第十条",)),
    "公车能私用吗": ("cars.private-use", ("第六条",)),
    "那公车能私用吗？": ("cars.private-use", ("第六条",)),  # a card answers it alone: a new topic
    "那如果是亲戚结婚呢？": ("weddings.relative", ("第一百零一条",)),  # same article: still the topic
    # No card, answered alone from other articles, and joined it leads with the same article: a new topic.
    "那出差住宿呢？": (None, ("第十条",)),
    f"{WEDDING}；那出差住宿呢？": (None, ("第十条",)),
    # Answered alone from other articles, but joined to the topic it leads with another: a follow-up.
    "那如果是红包呢？": (None, ("第九十七条",)),
    f"{WEDDING}；那如果是红包呢？": (None, ("第一百零一条",)),
}
for follow in ("那如果是亲戚结婚呢？", "那春节呢？", "那端午呢？", "那处长呢？"):
    SCRIPT[f"{WEDDING}；{follow}"] = (None, ("第一百零一条",))
    SCRIPT[f"{HOTEL}；{follow}"] = (None, ("第十条",))


@pytest.fixture
def scripted(tmp_path: Path, clock: Clock) -> Iterator[tuple[ChatService, ScriptedKnowledge]]:
    executor = ThreadPoolExecutor(2)
    log = UnansweredLog(migrated(f"sqlite:///{tmp_path / 'q.db'}"))
    knowledge = ScriptedKnowledge(SCRIPT)
    memory = ConversationMemory(ttl=600, clock=clock)
    yield ChatService(knowledge, log, executor, memory, today=lambda: DAY), knowledge  # type: ignore[arg-type]
    executor.shutdown()


GROUP, ANNA, BO = -100, 11, 12


async def test_in_a_group_each_person_has_their_own_context(
    scripted: tuple[ChatService, ScriptedKnowledge],
) -> None:
    service, _ = scripted
    await service.ask(GROUP, HOTEL, person=ANNA)
    await service.ask(GROUP, WEDDING, person=BO)
    anna = await service.ask(GROUP, "那处长呢？", person=ANNA)
    bo = await service.ask(GROUP, "那春节呢？", person=BO)
    assert (anna.previous, anna.answer.question) == (HOTEL, f"{HOTEL}；那处长呢？")
    assert (bo.previous, bo.answer.question) == (WEDDING, f"{WEDDING}；那春节呢？")
    service.forget(GROUP, ANNA)  # /start by one member leaves the other's context alone
    assert (await service.ask(GROUP, "那端午呢？", person=ANNA)).previous is None
    assert (await service.ask(GROUP, "那端午呢？", person=BO)).previous == WEDDING


async def test_a_reply_to_an_answer_continues_that_answers_question(
    scripted: tuple[ChatService, ScriptedKnowledge],
) -> None:
    service, _ = scripted
    await service.ask(GROUP, HOTEL, person=ANNA)
    wedding = await service.ask(GROUP, WEDDING, person=BO)
    service.posted(GROUP, 501, wedding.answer_id)
    reply = await service.ask(GROUP, "那如果是亲戚结婚呢？", person=ANNA, replying_to=501)
    assert (reply.previous, reply.answer.question) == (WEDDING, f"{WEDDING}；那如果是亲戚结婚呢？")
    # Anna's own topic is now the wedding question she continued.
    assert (await service.ask(GROUP, "那春节呢？", person=ANNA)).previous == WEDDING
    # A reply to a message that is not one of our answers falls back to the person's topic.
    assert (await service.ask(GROUP, "那端午呢？", person=BO, replying_to=999)).previous == WEDDING
    # The same message id in another chat is another message.
    assert (await service.ask(-200, "那端午呢？", person=ANNA, replying_to=501)).previous is None


async def test_followups_never_chain_more_than_one_question(
    scripted: tuple[ChatService, ScriptedKnowledge],
) -> None:
    service, knowledge = scripted
    await service.ask(3, WEDDING)
    await service.ask(3, "那春节呢？")
    third = await service.ask(3, "那端午呢？")
    assert (third.previous, third.answer.question) == (WEDDING, f"{WEDDING}；那端午呢？")
    assert all(q.count("；") <= 1 for q in knowledge.asked)
    # A reply to the answer of a follow-up continues the standalone question under it, not the chain.
    service.posted(3, 77, third.answer_id)
    again = await service.ask(3, "那春节呢？", replying_to=77)
    assert again.answer.question == f"{WEDDING}；那春节呢？"


async def test_a_followup_that_is_a_new_topic_starts_fresh(
    scripted: tuple[ChatService, ScriptedKnowledge],
) -> None:
    service, _ = scripted
    await service.ask(4, WEDDING)
    fresh = await service.ask(4, "那公车能私用吗？")
    assert fresh.previous is None and fresh.answer.question == "那公车能私用吗？"
    # ... and it is the topic now.
    assert (topic := service.memory.previous((4, 4))) is not None and topic.question == "那公车能私用吗？"
    # A follow-up a card answers from the topic's own articles stays a follow-up.
    await service.ask(4, WEDDING)
    same = await service.ask(4, "那如果是亲戚结婚呢？")
    assert same.previous == WEDDING
    # Without a card: a new topic when the topic changes nothing about the answer.
    drifted = await service.ask(4, "那出差住宿呢？")
    assert drifted.previous is None and drifted.answer.question == "那出差住宿呢？"
    await service.ask(4, WEDDING)
    related = await service.ask(4, "那如果是红包呢？")
    assert related.previous == WEDDING and related.answer.question == f"{WEDDING}；那如果是红包呢？"
