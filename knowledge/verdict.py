"""What kind of answer a question asks for, and the verdict an article gives it when no card matched.

The verdict answers the question as asked: "能收吗" is answered "no" when the rule forbids it, "这算违纪吗"
"yes" when it is one, "要报告吗" "yes" when it must be, "会受什么处分" with the penalty, "是哪几种" with
information. Without a card the article decides only when its words are unambiguous; otherwise there is no
verdict (never a guess that could be the opposite).
"""

from __future__ import annotations

import re

PENALTY = "penalty"
INFO = "info"
PERMISSION = "permission"  # 能…吗 / 可以吗 / 行吗
VIOLATION = "violation"  # 算违纪吗 / 算不算受贿
NEED = "need"  # 要报告吗 / 需要报批吗
WILL = "will"  # 会不会被加重处分 / 纪委会告诉我结果吗: whether something happens

_ENDS_AS_YES_NO = re.compile(r"(吗|(?<![什怎])么|不|没|没有|与否)[？?！!。\s]*$")  # 是什么 is open
_WH = re.compile(
    r"什么|啥|哪|多少|多长|多久|多重|几[天年月个种条次项点人级档]|怎么(算|办|申请|举报|认定|计算)|如何|谁|何时|标准"
)

_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        PENALTY,
        re.compile(
            r"(什么|啥|哪些|何种|怎样的?)(党纪|政务|纪律|刑事|行政)?(处分|处理|处罚|后果|责任)|怎么(处分|处理|处罚|判)|如何(处分|处理|处罚)"
            r"|判(几|多少|多重|多久)|判刑|坐牢|会不会被(处分|处理|开除|判)|会(被|受)(到)?.{0,4}(处分|处理|开除|判)"
            r"|会怎[样么]|会怎么样|有什么后果|什么下场|要负.{0,4}责任"
        ),
    ),
    (
        VIOLATION,
        re.compile(
            r"算不算|算(是)?.{0,4}(违纪|违规|违法|犯罪|受贿|贪污|行贿|挪用|腐败|赌博|数额)|是不是(违纪|违规|违法|犯罪|受贿)"
            r"|违纪吗|违规吗|违法吗|犯罪吗|够(得上|不够)?.{0,4}(犯罪|立案|处分)|构成.{0,6}(罪|违纪)"
        ),
    ),
    (
        NEED,
        re.compile(
            # "能要吗" / "可以要吗" ask for permission to take something, not whether one must.
            r"要不要|需不需要|用不用|是否(需要|要|应当)|(需要|(?<![能以想敢])要|得|必须|应该|应当).{0,10}(吗|么)[？?]*$"
        ),
    ),
    (
        PERMISSION,
        re.compile(
            r"能不能|能否|可不可以|可否|可以吗|可以不|行不行|行吗|允许|准不准|让不让|能.{0,16}(吗|么)[？?]*$"
            r"|可以.{0,16}(吗|么)[？?]*$|还能.{0,16}(吗|么)"
        ),
    ),
    (WILL, re.compile(r"会不会|会.{0,16}(吗|么)[？?]*$")),
)

_FORBIDS = re.compile(r"不得|严禁|禁止|不准|不许|不能|不应|不宜|杜绝")
_PENALISES = re.compile(
    r"给予.{0,20}处分|处.{0,12}(有期徒刑|拘役|管制|罚金)|依法追究刑事责任|予以(党纪|政务)?处分"
)
_REQUIRES = re.compile(r"应当|必须|须|需要|要求")
_ALLOWS = re.compile(r"可以|允许|有权|可|予以受理|应当受理|应当.{0,6}(告知|反馈|答复|回复)")
_AFFIRMS = re.compile(r"应当认定为|认定为|以.{1,8}论(处)?|属于|视为|计入|累计计算")
# What the rule turns on, when the question does not say: the giver's relation, approval, amount, circumstances.
_CONDITION = re.compile(
    r"可能影响公正执行公务|违反有关规定|确因工作需要|经批准|情节较重|情节严重|数额较大|明显超出"
)
_MANAGED = re.compile(
    r"下属|管理.{0,2}服务对象|服务对象|管理对象|老板|企业|公司|供应商|施工方|承包|开发商|审批|辖区|商人|请托|老总|中介|对方|客户"
)

LABELS = {
    ("permission", "no"): "不可以",
    ("permission", "yes"): "可以",
    ("permission", "depends"): "视情况",
    ("violation", "yes"): "属于违纪违规",
    ("violation", "depends"): "视情况",
    ("need", "yes"): "需要",
    ("penalty", "penalty"): "会受处理",
}


# "会被加重处分吗" / "能从轻吗" ask whether a rule of leniency or severity applies, not what the penalty is.
_DEGREE = re.compile(r"加重|从轻|减轻|免予|免除|不予")


def question_form(question: str) -> str | None:
    """The kind of answer a question asks for (penalty, violation, need, permission, will, info), or None."""
    text = question.strip()
    if _FORMS[0][1].search(text) and not _DEGREE.search(text):
        return PENALTY
    if _WH.search(text) and not _ENDS_AS_YES_NO.search(text):
        return INFO  # 能坐什么座 / 最多报多少: an open question, whatever verb it uses
    for form, pattern in _FORMS[1:]:
        if pattern.search(text):
            return form
    return INFO if _WH.search(text) else None


def verdict_from_article(
    form: str | None, sentence: str, penalty_article: bool, question: str = ""
) -> str | None:
    """The verdict an article's key sentence gives a question of ``form``; None when it does not settle it."""
    if form == PENALTY:
        return "penalty"
    if form == INFO:
        return "info"
    forbids = bool(_FORBIDS.search(sentence))
    penalises = penalty_article or bool(_PENALISES.search(sentence))
    conditional = bool(_CONDITION.search(sentence)) and not _MANAGED.search(question)
    if form == PERMISSION:
        if forbids or penalises:
            return "depends" if conditional else "no"
        if _ALLOWS.search(sentence):
            return "yes"
        return None
    if form == VIOLATION:
        if forbids or penalises or _AFFIRMS.search(sentence):
            return "depends" if conditional else "yes"
        return None
    if form == NEED:
        return "yes" if _REQUIRES.search(sentence) and not forbids else None
    return None


def label_for(form: str | None, verdict: str | None, criminal: bool = False) -> str:
    """The words shown first for an article-based verdict (empty when there is none)."""
    if verdict is None or verdict == "info":
        return ""
    if verdict == "penalty":
        return "可能被追究刑事责任" if criminal else "会受处理"
    if verdict == "depends":
        return "视情况"
    if form == VIOLATION and verdict == "yes":
        return "可能构成犯罪" if criminal else "属于违纪违规"
    return LABELS.get((form or "", verdict), "")
