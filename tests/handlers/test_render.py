"""HTML rendering: everything escaped, long answers split between articles under Telegram's limit."""

from __future__ import annotations

from handlers.render import MAX_MESSAGE, answer_html, article_html, pack
from knowledge.model import Answer, Citation


def citation(article: str = "第九十七条", note: str = "") -> Citation:
    return Citation("a.md", "中国共产党纪律处分条例", article, "第八章", 0.5, "正文", note)


def answer(blocks: list[str]) -> Answer:
    return Answer("问", "\n\n".join(blocks), False, (citation(),), tuple(blocks))


def test_user_and_corpus_text_is_escaped() -> None:
    pages = answer_html(
        answer(["这个问题在<b>…</b>中有规定：", "【1】《条例》第一条\n收受 <script>&礼金\n（注：已<废止>）"]),
        previous="<i>上一问</i>",
    )
    html = "\n".join(pages)
    assert "<script>" not in html and "&lt;script&gt;&amp;礼金" in html
    assert "&lt;b&gt;…&lt;/b&gt;" in html and "&lt;i&gt;上一问&lt;/i&gt;" in html
    assert "<b>【1】《条例》第一条</b>" in html
    assert "<i>（注：已&lt;废止&gt;）</i>" in html


def test_long_answers_split_at_article_boundaries() -> None:
    article = "【{n}】《条例》第{n}条\n" + "规" * 2500
    blocks = ["这个问题在《条例》中有规定："] + [article.format(n=n) for n in range(1, 4)]
    pages = answer_html(answer(blocks))
    assert len(pages) == 3
    assert all(len(p) <= MAX_MESSAGE for p in pages)
    for number, page in enumerate(pages, start=1):
        assert page.count("【") == 1 and f"【{number}】" in page  # each article whole, in order


def test_a_single_huge_article_is_cut_into_pieces_under_the_limit() -> None:
    text = "\n".join("第一款" + "字" * 900 for _ in range(12))
    pages = article_html(citation(note="2016年版"), text)
    assert len(pages) > 1 and all(len(p) <= MAX_MESSAGE for p in pages)
    assert pages[0].startswith("<b>《中国共产党纪律处分条例》第九十七条（第八章）</b>")
    assert pages[-1].endswith("<i>（注：2016年版）</i>")
    assert "".join(pages).count("字") == 12 * 900


def test_an_overlong_line_is_never_cut_inside_an_entity() -> None:
    pages = pack(["&amp;" * 2000])
    assert all(len(p) <= MAX_MESSAGE for p in pages)
    assert all(p.endswith(";") for p in pages)
    assert "".join(pages) == "&amp;" * 2000


def test_the_verdict_is_bold_and_escaped_like_the_rest() -> None:
    head = "不可以。按《条例》第一条：严禁<公车>私用。\n· 如已使用，及时说明"
    blocks = [head, "【1】《条例》第一条\n“严禁公车私用”"]
    reply = Answer("问", "\n\n".join(blocks), False, (citation(),), tuple(blocks), "no", head.split("\n")[0])
    [page] = answer_html(reply)
    assert page.startswith("<b>不可以。</b>按《条例》第一条：严禁&lt;公车&gt;私用。\n· 如已使用")
    plain = Answer(
        "问", "按《条例》第一条：规定。", False, (citation(),), ("按《条例》第一条：规定。",), None, ""
    )
    assert "<b>" not in answer_html(plain)[0]
