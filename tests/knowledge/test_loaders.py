"""Loaders for every supported format, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from knowledge.chunker import chunk_document
from knowledge.errors import CorruptDocument, EmptyDocument, UnsupportedDocument
from knowledge.loaders import load_document
from tests.knowledge.pdfmaker import make_pdf

LINES = ["测试办法", "第一章 总则", "第一条 为了测试，制定本办法。", "第二条 公务用车不得私用。"]


def _articles(path: Path) -> list[tuple[str, str]]:
    doc = load_document(path)
    return [(c.article, c.chapter) for c in chunk_document(doc)]


EXPECTED = [("第一条", "第一章 总则"), ("第二条", "第一章 总则")]


def test_markdown(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# 测试办法\n\n## 第一章 总则\n\n" + "\n\n".join(LINES[2:]), encoding="utf-8")
    doc = load_document(path)
    assert doc.title == "测试办法" and doc.source == "a.md"
    assert _articles(path) == EXPECTED


def test_gbk_text(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes("\n".join(LINES).encode("gbk"))
    doc = load_document(path)
    assert doc.title == "测试办法"
    assert "公务用车不得私用" in doc.text
    assert _articles(path) == EXPECTED


def test_utf8_bom_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\n".join(LINES).encode("utf-8-sig"))
    assert load_document(path).title == "测试办法"


def test_docx(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("测试办法", level=0)
    document.add_heading("第一章 总则", level=1)
    for line in LINES[2:]:
        document.add_paragraph(line)
    path = tmp_path / "a.docx"
    document.save(str(path))
    doc = load_document(path)
    assert doc.title == "测试办法"
    assert _articles(path) == EXPECTED


def test_pdf(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf(LINES))
    doc = load_document(path)
    assert doc.title == "测试办法"
    assert _articles(path) == EXPECTED


def test_html(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    body = "".join(f"<p>{line}</p>" for line in LINES[2:])
    path.write_text(
        f"<html><head><title>测试办法</title><script>var x='第九条';</script></head>"
        f"<body><h2>第一章 总则</h2>{body}</body></html>",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.title == "测试办法"
    assert "第九条" not in doc.text
    assert _articles(path) == EXPECTED


def test_binary_renamed_pdf_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(CorruptDocument) as info:
        load_document(path)
    assert info.value.path == path


def test_truncated_pdf_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(make_pdf(LINES)[:60])
    with pytest.raises((CorruptDocument, EmptyDocument)):
        load_document(path)


def test_binary_renamed_docx_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(CorruptDocument):
        load_document(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(EmptyDocument):
        load_document(path)
    blank = tmp_path / "blank.md"
    blank.write_text("  \n\n ", encoding="utf-8")
    with pytest.raises(EmptyDocument):
        load_document(blank)


def test_binary_text_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.txt"
    path.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(CorruptDocument):
        load_document(path)


def test_unsupported_type(tmp_path: Path) -> None:
    path = tmp_path / "a.exe"
    path.write_bytes(b"MZ\x90\x00")
    with pytest.raises(UnsupportedDocument) as info:
        load_document(path)
    assert "a.exe" in str(info.value)
