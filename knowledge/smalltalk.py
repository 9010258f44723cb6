"""Greetings, thanks and "what can you do": a short friendly reply instead of a search of the regulations."""

from __future__ import annotations

import re

EXAMPLES = ("过年下属送购物卡能收吗", "周末能开公车回老家吗", "受了警告处分多久不能提拔")
_EXAMPLE_LINES = "\n".join(f"· {q}" for q in EXAMPLES)

GREETING = f"您好！我是清风廉政助手，可以回答廉洁纪律方面的问题，并给出法规原文。比如：\n{_EXAMPLE_LINES}"
THANKS = "不客气！还有廉洁纪律方面的问题，随时问我。"
CAPABILITIES = (
    "我能回答中央八项规定、纪律处分条例、政务处分法、监察法、公务接待/差旅/公车/会议等规定和刑法贪污贿赂条文方面的问题，"
    f"先说能不能、再说依据，并引用原文。私聊里还可以用 /report 匿名反映问题线索。可以这样问：\n{_EXAMPLE_LINES}"
)

_PUNCTUATION = re.compile(r"[\s!！?？。，,.~～…、]+")
_GREETING = re.compile(
    r"^(你好|您好|hi|hello|哈喽|嗨|在吗|在不在|早上好|上午好|中午好|下午好|晚上好|早安|晚安|你好呀|您好呀|喂)+(清风|助手|机器人)?(呀|啊|哇)?$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^(谢谢|多谢|感谢|谢了|谢啦|辛苦了|好的谢谢|好的|明白了|知道了|懂了|收到)+(你|您|啦|了|哈)?$"
)
_CAPABILITIES = re.compile(
    r"你(能|会|可以)(做|干|帮|回答)(什么|啥|些什么)|你是谁|你是干什么的|怎么用|有什么功能|能问什么|可以问什么"
)


def small_talk(text: str) -> str | None:
    """The reply to a greeting, thanks or a question about the bot itself; None for anything else."""
    bare = _PUNCTUATION.sub("", text.strip())
    if not bare or len(bare) > 20:
        return None
    if _GREETING.match(bare):
        return GREETING
    if _THANKS.match(bare):
        return THANKS
    if _CAPABILITIES.search(bare):
        return CAPABILITIES
    return None
