"""A hand-made grounding (the gift-card question) for the model-answer tests."""

from __future__ import annotations

from knowledge.grounding import Grounding, grounding_for
from knowledge.model import Answer, Citation

GIFTS = (
    "第九十七条 收受可能影响公正执行公务的礼品、礼金、消费卡（券）和有价证券、股权、其他金融产品等财物，"
    "情节较轻的，给予警告或者严重警告处分；情节较重的，给予撤销党内职务或者留党察看处分；情节严重的，给予开除党籍处分。"
)
LENIENCY = "第十七条 有下列情形之一的，可以从轻或者减轻处分：……（五）主动上交或者退赔违纪所得的；"
CARS = "第十六条 严格按照规定使用公务用车，严禁公车私用、私车公养。"


def citation(title: str, article: str, text: str, source: str = "doc.md") -> Citation:
    return Citation(source=source, title=title, article=article, chapter="", score=1.0, text=text)


def offline(card: str | None = "gift-card", verdict: str | None = "no") -> Answer:
    citations = (
        citation("中国共产党纪律处分条例", "第九十七条", GIFTS, "dang.md"),
        citation("中国共产党纪律处分条例", "第十七条", LENIENCY, "dang.md"),
    )
    return Answer(
        question="过年下属送购物卡能收吗",
        text="不可以。购物卡属消费卡（券）。",
        refused=False,
        citations=citations,
        blocks=("不可以。购物卡属消费卡（券）。",),
        verdict=verdict,
        lead="不可以。购物卡属消费卡（券）。",
        card=card,
    )


def grounded(card: str | None = "gift-card", verdict: str | None = "no") -> Grounding:
    more = [(citation("党政机关公务用车管理办法", "第十六条", CARS, "car.md"), CARS)]
    result = grounding_for(offline(card, verdict), more, {"dang.md": ("纪律处分条例", "处分条例")})
    assert result is not None
    return result


GOOD = (
    "不可以。购物卡属于「消费卡（券）」[1]，下属所送可能影响公正执行公务。已收下的主动上交，可以从轻处分[2]。"
)
