"""Reminder templates: they load, cite real articles verbatim, escape HTML and fit in one message."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from reminders.calendar import NAMES
from reminders.content import (
    ELLIPSIS,
    MAX_MESSAGE,
    ArticleLookup,
    Reminder,
    Template,
    TemplateError,
    corpus_lookup,
    load_template,
    load_templates,
    render,
    render_custom,
    telegram_length,
    template_for,
    trim_quote,
)
from reminders.errors import ReminderError

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "knowledge" / "corpus"
HOLIDAYS = {**NAMES, "generic": "元宵节"}
DATES = "2月15日至2月23日"

VALID = """\
title = "{year}年{holiday}节前廉洁提醒"
intro = "{holiday}假期为{dates}，共{days}天。"
risks = ["严禁收受礼品礼金。"]
citations = [{ source = "jilv_chufen_tiaoli_2023.md", article = "第九十七条" }]
closing = "可在私聊中发送 /report 匿名反映。"
"""


@pytest.fixture(scope="module")
def lookup() -> ArticleLookup:
    """The bundled corpus, chunked once for the whole module (no model, no index)."""
    return corpus_lookup(CORPUS)


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    """The bundled templates."""
    return load_templates()


def _render(template: Template, lookup: ArticleLookup, holiday: str = "春节") -> Reminder:
    return render(template, year=2026, holiday_name=holiday, dates_text=DATES, days=9, lookup=lookup)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_holiday_has_a_template(templates: dict[str, Template]) -> None:
    assert set(HOLIDAYS) <= set(templates)
    for key, template in templates.items():
        assert template.key == key
        assert 4 <= len(template.risks) <= 6, key
        assert 2 <= len(template.citations) <= 4, key
        assert len(set(template.citations)) == len(template.citations), key
        assert "/report" in template.closing, key


def test_every_citation_exists_in_the_corpus(templates: dict[str, Template], lookup: ArticleLookup) -> None:
    catalog = tomllib.loads((CORPUS / "documents.toml").read_text(encoding="utf-8"))["documents"]
    for key, template in templates.items():
        for source, article in template.citations:
            assert (CORPUS / source).is_file(), (key, source)
            assert lookup(source, article) is not None, (key, source, article)
            # Reminders quote law in force only, never a superseded or unverified text.
            assert catalog.get(source, {}).get("status", "current") == "current", (key, source)


@pytest.mark.parametrize("key", sorted(HOLIDAYS))
def test_rendered_reminder_quotes_the_corpus_verbatim(
    key: str, templates: dict[str, Template], lookup: ArticleLookup
) -> None:
    reminder = _render(templates[key], lookup, HOLIDAYS[key])
    assert reminder.missing_citations == ()
    assert reminder.title.startswith("2026年")
    assert HOLIDAYS[key] in reminder.title
    assert DATES in reminder.text and "共9天" in reminder.text
    assert DATES in reminder.html
    assert "{" not in reminder.text and "}" not in reminder.text
    assert "1. " in reminder.text
    for source, article in templates[key].citations:
        found = lookup(source, article)
        assert found is not None
        title, text = found
        assert f"《{title}》{article}" in reminder.text
        body = text.removeprefix(article).strip()
        # The bundled citations are short enough to be quoted whole.
        assert body in reminder.text
    assert telegram_length(reminder.html) <= MAX_MESSAGE
    assert len(reminder.text) <= MAX_MESSAGE


def test_html_escapes_inserted_text(templates: dict[str, Template], lookup: ArticleLookup) -> None:
    reminder = render(
        templates["generic"],
        year=2026,
        holiday_name="<b>节</b>",
        dates_text="1月1日 & 1月2日",
        days=2,
        lookup=lookup,
    )
    assert "&lt;b&gt;节&lt;/b&gt;" in reminder.html
    assert "1月1日 &amp; 1月2日" in reminder.html
    assert "<b>节</b>" in reminder.text


def test_custom_reminder_is_escaped() -> None:
    reminder = render_custom("升学宴<提醒>", "严禁借升学宴敛财 & 收受礼金 <script>")
    assert reminder.html == "<b>升学宴&lt;提醒&gt;</b>\n\n严禁借升学宴敛财 &amp; 收受礼金 &lt;script&gt;"
    assert reminder.text == "升学宴<提醒>\n\n严禁借升学宴敛财 & 收受礼金 <script>"
    assert reminder.missing_citations == ()


def test_custom_reminder_too_long_or_empty_is_refused() -> None:
    with pytest.raises(TemplateError, match="过长"):
        render_custom("提醒", "&" * 1500)  # 1500 characters, 7500 once escaped
    with pytest.raises(TemplateError):
        render_custom("提醒", "  ")


def test_missing_citation_is_reported_not_quoted(tmp_path: Path, lookup: ArticleLookup) -> None:
    text = VALID.replace(
        "citations = [",
        'citations = [{ source = "jilv_chufen_tiaoli_2023.md", article = "第九百九十九条" }, '
        '{ source = "no_such_file.md", article = "第一条" }, ',
    )
    template = load_template(_write(tmp_path, "odd.toml", text))
    reminder = _render(template, lookup)
    assert reminder.missing_citations == (
        ("jilv_chufen_tiaoli_2023.md", "第九百九十九条"),
        ("no_such_file.md", "第一条"),
    )
    assert "第九百九十九条" not in reminder.text and "第九百九十九条" not in reminder.html
    assert "no_such_file" not in reminder.text
    assert "第九十七条" in reminder.text


def test_no_quotes_when_no_citation_resolves(tmp_path: Path) -> None:
    template = load_template(_write(tmp_path, "t.toml", VALID))
    reminder = _render(template, lambda source, article: None)
    assert reminder.missing_citations == (("jilv_chufen_tiaoli_2023.md", "第九十七条"),)
    assert "相关规定" not in reminder.text


@pytest.mark.parametrize("field", ["title", "intro", "risks", "citations", "closing"])
def test_missing_field_raises(tmp_path: Path, field: str) -> None:
    text = "\n".join(line for line in VALID.splitlines() if not line.startswith(f"{field} ="))
    path = _write(tmp_path, "broken.toml", text)
    with pytest.raises(TemplateError, match=field):
        load_template(path)
    with pytest.raises(TemplateError, match=r"broken\.toml"):
        load_templates(tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("{dates}", "{date}", "未知占位符"),
        ("{dates}", "{dates", "花括号"),
        ('risks = ["严禁收受礼品礼金。"]', "risks = []", "risks"),
        ('article = "第九十七条"', 'article = ""', "citations 第1项"),
        ("title = ", "title = 1 #", "title"),
    ],
)
def test_malformed_template_raises(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        load_template(_write(tmp_path, "bad.toml", VALID.replace(old, new, 1)))


def test_invalid_toml_and_empty_folder_raise(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="无法读取"):
        load_template(_write(tmp_path / "a", "x.toml", "title = "))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TemplateError, match=r"没有 \*\.toml"):
        load_templates(empty)
    with pytest.raises(TemplateError, match="不存在"):
        load_templates(tmp_path / "missing")


def test_template_error_is_a_reminder_error() -> None:
    assert issubclass(TemplateError, ReminderError)


def test_template_for_falls_back_to_generic(templates: dict[str, Template]) -> None:
    assert template_for(templates, "spring_festival").key == "spring_festival"
    assert template_for(templates, "lantern_festival").key == "generic"
    with pytest.raises(TemplateError):
        template_for({}, "spring_festival")


def test_trim_quote_cuts_at_sentence_or_paragraph() -> None:
    text = "第一句话很长。第二句话也很长；第三句话\n第二款的内容。"
    assert trim_quote(text, 100) == text
    assert trim_quote(text, 10) == "第一句话很长。" + ELLIPSIS
    assert trim_quote(text, 17) == "第一句话很长。第二句话也很长；" + ELLIPSIS
    assert trim_quote(text, 21) == "第一句话很长。第二句话也很长；第三句话" + ELLIPSIS
    assert trim_quote("没有任何标点的一段很长的文字", 5) == "没有任何标" + ELLIPSIS


def test_long_quotes_are_trimmed_to_fit_one_message(tmp_path: Path) -> None:
    article = "本条规定。" * 200  # 1000 characters, ending at sentence boundaries
    citations = ", ".join(f'{{ source = "x.md", article = "第{n}条" }}' for n in "一二三四五六")
    text = VALID.replace(
        'citations = [{ source = "jilv_chufen_tiaoli_2023.md", article = "第九十七条" }]',
        f"citations = [{citations}]",
    )
    template = load_template(_write(tmp_path, "long.toml", text))
    reminder = _render(template, lambda source, number: ("某规定", f"{number} {article}"))
    assert telegram_length(reminder.html) <= MAX_MESSAGE
    assert reminder.text.count("《某规定》") == 6
    for quote in reminder.text.split("\n\n"):
        if quote.startswith("《某规定》"):
            body = quote.split("\n", 1)[1]
            assert body.endswith(ELLIPSIS)
            assert article.startswith(body.removesuffix(ELLIPSIS))
            assert body.removesuffix(ELLIPSIS).endswith("。")


def test_render_refuses_a_template_that_cannot_fit(tmp_path: Path) -> None:
    text = VALID.replace('risks = ["严禁收受礼品礼金。"]', 'risks = ["' + "严禁" * 2100 + '"]')
    template = load_template(_write(tmp_path, "huge.toml", text))
    with pytest.raises(TemplateError, match="长度上限"):
        _render(template, lambda source, article: None)
