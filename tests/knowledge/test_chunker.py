"""The chunker on every bundled document, and on the hard cases."""

from __future__ import annotations

import pytest

from knowledge.catalog import library_files
from knowledge.chunker import MAX_PART_CHARS, chunk_document
from knowledge.cnnum import int_to_cn
from knowledge.loaders import load_document
from knowledge.model import Document
from tests.conftest import CORPUS

# Article counts checked against SOURCES.md (and the official totals where known).
ARTICLE_DOCUMENTS = {
    "chailvfei_guanli_banfa.md": 33,
    "chufen_pizhun_quanxian_chengxu_guiding_2022.md": 56,
    "gongkuan_chuguo_lvyou_chufen_guiding.md": 14,
    "gongwu_yongche_guanli_banfa.md": 31,
    "gongwuyuan_fa_2018.md": 113,
    "guonei_gongwu_jiedai_guiding.md": 26,
    "guoqi_lingdao_lianjie_congye_guiding_2009.md": 30,
    "huiyifei_guanli_banfa.md": 31,
    "jiancha_fa_2024.md": 78,
    "jiancha_fa_shishi_tiaoli_2021.md": 287,
    "jiancha_guan_fa_2021.md": 68,
    "jianduzhiji_gongzuo_guize_2019.md": 77,
    "jianju_konggao_gongzuo_guize_2020.md": 58,
    "jijian_weiyuanhui_gongzuo_tiaoli_2021.md": 59,
    "jilv_chufen_tiaoli_2023.md": 158,
    "lianjie_zilv_zhunze_2015.md": 8,
    "paizhu_jigou_gongzuo_guize_2022.md": 56,
    "peixunfei_guanli_banfa.md": 28,
    "tanwu_huilu_sifa_jieshi_2016.md": 20,
    "wenze_tiaoli_2016_superseded.md": 13,
    "xingzheng_jiguan_gongwuyuan_chufen_tiaoli_2007.md": 55,
    "zhengwu_chufen_fa_2020.md": 68,
    "zhuti_zeren_guiding_2020.md": 25,
    "zuzhi_chuli_guiding_2021.md": 19,
}


def _articles(name: str) -> list[str]:
    chunks = chunk_document(load_document(CORPUS / name))
    labels: list[str] = []
    for chunk in chunks:
        if not labels or labels[-1] != chunk.article:
            labels.append(chunk.article)
    return [label for label in labels if label != "序言"]


@pytest.mark.parametrize(("name", "count"), sorted(ARTICLE_DOCUMENTS.items()))
def test_article_documents_yield_one_chunk_per_article_in_order(name: str, count: int) -> None:
    assert _articles(name) == [f"第{int_to_cn(n)}条" for n in range(1, count + 1)]


def test_criminal_law_keeps_inserted_articles() -> None:
    labels = _articles("xingfa_tanwu_huilu_382-396.md")
    assert len(labels) == 17
    assert labels[:2] == ["第三百八十二条", "第三百八十三条"]
    assert labels.index("第三百八十八条之一") == labels.index("第三百八十八条") + 1
    assert "第三百九十条之一" in labels
    duzhi = _articles("xingfa_duzhi_397-419.md")
    assert len(duzhi) == 25 and "第三百九十九条之一" in duzhi and "第四百零八条之一" in duzhi


def test_every_bundled_document_is_covered() -> None:
    names = {path.name for path, _ in library_files(CORPUS)}
    item_documents = {
        "baxiang_guiding_2012.md",
        "baxiang_guiding_shishi_xize_2012.md",
        "dangnei_zhengzhi_shenghuo_zhunze_2016.md",
    }
    assert names == set(ARTICLE_DOCUMENTS) | item_documents | {
        "xingfa_tanwu_huilu_382-396.md",
        "xingfa_duzhi_397-419.md",
    }


def test_eight_point_rules_are_items() -> None:
    labels = _articles("baxiang_guiding_2012.md")
    assert labels == ["一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、"]


def test_implementing_rules_items_carry_their_heading() -> None:
    labels = _articles("baxiang_guiding_shishi_xize_2012.md")
    assert len(labels) == 30
    assert labels[0] == "一、改进调查研究 1."
    assert labels[4] == "二、精简会议活动和文件简报 5."
    assert labels[-1] == "五、加强督促检查 30."


def test_sections_without_items_are_chunked_by_heading() -> None:
    labels = _articles("dangnei_zhengzhi_shenghuo_zhunze_2016.md")
    assert len(labels) == 12
    assert labels[0] == "一、坚定理想信念"
    assert labels[-1] == "十二、保持清正廉洁的政治本色"


def test_chunks_carry_title_and_chapter_path() -> None:
    chunks = chunk_document(load_document(CORPUS / "jilv_chufen_tiaoli_2023.md"))
    art97 = next(c for c in chunks if c.article == "第九十七条")
    assert art97.title == "中国共产党纪律处分条例"
    assert art97.chapter == "第二编 分则 第八章 对违反廉洁纪律行为的处分"
    assert art97.text.startswith("第九十七条 收受可能影响公正执行公务的礼品")
    assert "收受其他明显超出正常礼尚往来的财物的，依照前款规定处理。" in art97.text
    shishi = chunk_document(load_document(CORPUS / "jiancha_fa_shishi_tiaoli_2021.md"))
    assert (
        next(c for c in shishi if c.article == "第十条").chapter == "第二章 监察机关及其职责 第一节 领导体制"
    )


def test_long_articles_split_at_paragraphs_and_keep_label() -> None:
    chunks = chunk_document(load_document(CORPUS / "jianduzhiji_gongzuo_guize_2019.md"))
    long_parts = [c for c in chunks if c.parts > 1]
    assert long_parts, "the longest articles of this document exceed one part"
    for chunk in long_parts:
        assert len(chunk.text) <= MAX_PART_CHARS + 1
        siblings = [c for c in chunks if c.article == chunk.article]
        assert [c.part for c in siblings] == list(range(chunk.parts))
        assert siblings[0].text.startswith(chunk.article)


def _doc(text: str) -> Document:
    return Document(source="t.md", title="测试条例", text=text, digest="x")


def test_cross_references_are_not_article_headings() -> None:
    text = "\n\n".join(
        [
            "# 测试条例",
            "第一条 为了测试，制定本条例。",
            "第二条 违反规定的，给予处分。",
            "第一条规定的情形，依照本条例处理。",
            "第五十条的规定不适用于本条。",
            "第三条 本条例自发布之日起施行。",
        ]
    )
    chunks = chunk_document(_doc(text))
    assert [c.article for c in chunks] == ["第一条", "第二条", "第三条"]
    assert "第一条规定的情形" in chunks[1].text and "第五十条的规定" in chunks[1].text


def test_two_articles_are_never_merged_even_when_short() -> None:
    text = "第一条 甲。\n第二条 乙。\n第三条 丙。"
    chunks = chunk_document(_doc(text))
    assert [(c.article, c.text) for c in chunks] == [
        ("第一条", "第一条 甲。"),
        ("第二条", "第二条 乙。"),
        ("第三条", "第三条 丙。"),
    ]


def test_short_documents_are_never_lost() -> None:
    single = chunk_document(_doc("通知\n第一条 节日期间严禁收受月饼礼盒。"))
    assert [(c.article, c.text) for c in single] == [("第一条", "第一条 节日期间严禁收受月饼礼盒。")]
    plain = chunk_document(_doc("通知\n严禁收受月饼。"))
    assert [(c.article, c.text) for c in plain] == [("全文", "通知\n严禁收受月饼。")]


def test_plain_text_chapter_lines_are_recognised() -> None:
    text = "测试条例\n第一章 总则\n第一条 甲。\n第二章 分则\n第二条 乙。\n第三条 丙。"
    chunks = chunk_document(_doc(text))
    assert [(c.article, c.chapter) for c in chunks] == [
        ("第一条", "第一章 总则"),
        ("第二条", "第二章 分则"),
        ("第三条", "第二章 分则"),
    ]


def test_chunk_ids_are_stable_and_unique() -> None:
    doc = load_document(CORPUS / "jilv_chufen_tiaoli_2023.md")
    first = [c.id for c in chunk_document(doc)]
    assert first == [c.id for c in chunk_document(doc)]
    assert len(set(first)) == len(first)
    assert "jilv_chufen_tiaoli_2023.md#第九十七条#0" in first
