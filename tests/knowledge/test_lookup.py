"""Exact article lookup by document name and number, on the bundled corpus's real chunks (no model needed)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.catalog import library_files
from knowledge.chunker import chunk_document
from knowledge.loaders import load_document
from knowledge.lookup import ArticleIndex
from knowledge.model import Chunk
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def chunks() -> list[Chunk]:
    out: list[Chunk] = []
    for path, info in library_files(CORPUS):
        out.extend(chunk_document(load_document(path, info)))
    return out


@pytest.fixture(scope="module")
def index(chunks: list[Chunk]) -> ArticleIndex:
    return ArticleIndex(chunks)


LOOKUPS = [
    ("纪律处分条例第九十七条", "jilv_chufen_tiaoli_2023.md", "第九十七条"),
    ("纪律处分条例第97条", "jilv_chufen_tiaoli_2023.md", "第九十七条"),
    ("处分条例97条", "jilv_chufen_tiaoli_2023.md", "第九十七条"),
    ("《中国共产党纪律处分条例》第一百零一条讲的啥", "jilv_chufen_tiaoli_2023.md", "第一百零一条"),
    ("党纪处分条例的第八条", "jilv_chufen_tiaoli_2023.md", "第八条"),
    ("政务处分法34条", "zhengwu_chufen_fa_2020.md", "第三十四条"),
    ("公职人员政务处分法第四十条", "zhengwu_chufen_fa_2020.md", "第四十条"),
    ("八项规定第二条", "baxiang_guiding_2012.md", "二、"),
    ("中央八项规定第八条是什么", "baxiang_guiding_2012.md", "八、"),
    ("监察法实施条例第二百一十条", "jiancha_fa_shishi_tiaoli_2021.md", "第二百一十条"),
    ("监察法实施条例210条", "jiancha_fa_shishi_tiaoli_2021.md", "第二百一十条"),
    ("监察法第四十八条", "jiancha_fa_2024.md", "第四十八条"),
    ("监察官法第十条", "jiancha_guan_fa_2021.md", "第十条"),
    ("公务员法第五十九条", "gongwuyuan_fa_2018.md", "第五十九条"),
    ("刑法第三百八十五条", "xingfa_tanwu_huilu_382-396.md", "第三百八十五条"),
    ("刑法第397条", "xingfa_duzhi_397-419.md", "第三百九十七条"),
    ("刑法第三百九十条之一", "xingfa_tanwu_huilu_382-396.md", "第三百九十条之一"),
    ("贪污贿赂司法解释第一条", "tanwu_huilu_sifa_jieshi_2016.md", "第一条"),
    ("组织处理规定第十一条", "zuzhi_chuli_guiding_2021.md", "第十一条"),
    ("主体责任规定第十条", "zhuti_zeren_guiding_2020.md", "第十条"),
    ("廉洁自律准则第三条", "lianjie_zilv_zhunze_2015.md", "第三条"),
    ("差旅费管理办法第七条", "chailvfei_guanli_banfa.md", "第七条"),
    ("公务用车管理办法第二十六条", "gongwu_yongche_guanli_banfa.md", "第二十六条"),
    ("公务接待规定第十条", "guonei_gongwu_jiedai_guiding.md", "第十条"),
    ("会议费管理办法第十一条", "huiyifei_guanli_banfa.md", "第十一条"),
    ("培训费管理办法第十四条", "peixunfei_guanli_banfa.md", "第十四条"),
    ("监督执纪工作规则第二十八条", "jianduzhiji_gongzuo_guize_2019.md", "第二十八条"),
    ("纪委工作条例第二十六条", "jijian_weiyuanhui_gongzuo_tiaoli_2021.md", "第二十六条"),
    ("检举控告工作规则第五条", "jianju_konggao_gongzuo_guize_2020.md", "第五条"),
    ("派驻机构工作规则第十二条", "paizhu_jigou_gongzuo_guize_2022.md", "第十二条"),
    ("批准权限和程序规定第五条", "chufen_pizhun_quanxian_chengxu_guiding_2022.md", "第五条"),
    ("国有企业领导人员廉洁从业若干规定第五条", "guoqi_lingdao_lianjie_congye_guiding_2009.md", "第五条"),
    ("公款出国旅游处分规定第三条", "gongkuan_chuguo_lvyou_chufen_guiding.md", "第三条"),
    ("行政机关公务员处分条例第二十条", "xingzheng_jiguan_gongwuyuan_chufen_tiaoli_2007.md", "第二十条"),
]


@pytest.mark.parametrize(("question", "source", "article"), LOOKUPS)
def test_every_lookup_form_finds_the_article(
    index: ArticleIndex, question: str, source: str, article: str
) -> None:
    ref = index.parse(question)
    assert ref is not None, question
    found = index.find(ref)
    assert found.articles[0] == (source, article)


def test_every_document_has_a_short_name_that_finds_its_articles(
    chunks: list[Chunk], index: ArticleIndex
) -> None:
    for source in {c.source for c in chunks}:
        names = next(c.names for c in chunks if c.source == source).split("|")
        assert names and names[0], f"{source} has no short_names in documents.toml"
        labels = [c.article for c in chunks if c.source == source and c.article.startswith("第")]
        if not labels:
            continue  # item documents (一、二、…): covered by the 八项规定 cases above
        article = labels[len(labels) // 2]
        for name in names:
            ref = index.parse(f"{name}{article}")
            assert ref is not None and source in ref.sources, (name, article)
            assert (source, article) in index.find(ref).articles, (name, article)


def test_the_number_alone_prefers_current_documents(index: ArticleIndex) -> None:
    ref = index.parse("第九十七条是怎么规定的")
    assert ref is not None and not ref.sources
    found = index.find(ref)
    assert ("jilv_chufen_tiaoli_2023.md", "第九十七条") in found.articles
    statuses = [s for s, _ in found.articles]
    assert "xingzheng_jiguan_gongwuyuan_chufen_tiaoli_2007.md" not in statuses[:1]


def test_an_unknown_number_says_which_document_lacks_it(index: ArticleIndex) -> None:
    ref = index.parse("纪律处分条例第二百条")
    assert ref is not None
    found = index.find(ref)
    assert found.articles == ()
    assert found.title == "中国共产党纪律处分条例"
    assert found.count == 158


@pytest.mark.parametrize(
    "question",
    ["春节下属拎了两条烟两瓶酒", "送了3条中华", "一条规定都没说", "公车私用怎么处理", "第几条管送礼"],
)
def test_counts_in_everyday_speech_are_not_lookups(index: ArticleIndex, question: str) -> None:
    assert index.parse(question) is None


def test_short_names_come_from_the_catalog(chunks: list[Chunk]) -> None:
    renamed = [replace(c, names="我的办法") if c.source == "huiyifei_guanli_banfa.md" else c for c in chunks]
    ref = ArticleIndex(renamed).parse("我的办法第三条")
    assert ref is not None and ref.sources == ("huiyifei_guanli_banfa.md",)


def test_corpus_folder_is_the_bundled_one() -> None:
    assert (Path(CORPUS) / "documents.toml").is_file()
