"""The `qingfeng` command on the real model and index: as a user runs it (separate processes), and in process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.exits import EXIT_USAGE
from cli.main import Env
from knowledge.service import KnowledgeService
from tests.cli.runner import Result, invoke
from tests.knowledge.pdfmaker import make_pdf
from wiring.factory import build_knowledge
from wiring.settings import load_settings

pytestmark = pytest.mark.slow


def run(data_dir: Path, *args: str, stdin: str = "", extra_env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGFENG_")}
    env.update({"QINGFENG_DATA_DIR": str(data_dir), "PYTHONIOENCODING": "utf-8"}, **(extra_env or {}))
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


@pytest.fixture
def inproc(real_service: KnowledgeService) -> Callable[..., Result]:
    """``qingfeng ARGS`` in this process, on the session's loaded model (no second load of the weights)."""

    def run_here(data_dir: Path, *args: str, stdin: str = "") -> Result:
        env = Env(
            load=lambda: load_settings({"data_dir": data_dir}),
            build_knowledge=lambda settings: build_knowledge(settings, embedder=real_service.index.embedder),
        )
        return invoke(args, env=env, stdin=stdin)

    return run_here


@pytest.fixture
def data_dir(real_service: KnowledgeService, real_data_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the session's real index, so a test may change it."""
    copy = tmp_path / "data"
    shutil.copytree(real_data_dir / "index", copy / "index")
    return copy


def test_ask_prints_a_cited_answer(data_dir: Path) -> None:
    result = run(data_dir, "ask", "能开单位的车送孩子上学吗")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("不可以。")  # the verdict first
    assert "【1】《" in result.stdout and "第" in result.stdout


def test_ask_json(data_dir: Path, inproc: Callable[..., Result]) -> None:
    result = inproc(data_dir, "ask", "--json", "逢年过节收下属的购物卡行不行")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"question", "answer", "refused", "verdict", "lead", "card", "citations"}
    assert data["question"] == "逢年过节收下属的购物卡行不行"
    assert (
        data["verdict"] == "no"
        and data["lead"].startswith("不可以")
        and data["answer"].startswith(data["lead"])
    )
    assert not data["refused"] and 1 <= len(data["citations"]) <= 3
    citation = data["citations"][0]
    assert set(citation) == {"source", "title", "article", "chapter", "score"}
    assert citation["source"].endswith(".md") and citation["article"].startswith("第")


def test_ask_json_batch(data_dir: Path, tmp_path: Path, inproc: Callable[..., Result]) -> None:
    questions = tmp_path / "q.txt"
    questions.write_text("公车私用怎么处分\n\n今天天气怎么样\n😀\n", encoding="utf-8")
    result = inproc(data_dir, "ask", "--json", "--batch", str(questions))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == ["公车私用怎么处分", "今天天气怎么样", "😀"]
    assert not rows[0]["refused"] and rows[1]["refused"] and rows[2]["refused"]
    assert "请输入" in rows[2]["answer"]
    assert all({"verdict", "lead", "card"} <= set(r) for r in rows)


def test_bad_questions_get_chinese_messages(data_dir: Path, inproc: Callable[..., Result]) -> None:
    long = inproc(data_dir, "ask", "公" * 5000)
    assert long.returncode == EXIT_USAGE and "问题太长了" in long.stderr and "Traceback" not in long.stderr
    empty = inproc(data_dir, "ask", "   ")
    assert empty.returncode == EXIT_USAGE and "请输入要咨询的问题" in empty.stderr


def test_chat_reads_questions_until_eof(data_dir: Path, inproc: Callable[..., Result]) -> None:
    result = inproc(data_dir, "chat", stdin="公务接待能喝酒吗\n红烧肉怎么做\n退出\n不应被回答\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "问：公务接待能喝酒吗" in out and "【1】《" in out
    assert "这个问题不在我能回答的范围" in out
    assert "不应被回答" not in out and out.rstrip().endswith("再见。")


def test_ingest_adds_user_documents_and_names_bad_files(
    data_dir: Path, tmp_path: Path, inproc: Callable[..., Result]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "本单位公车规定.txt").write_bytes(
        "本单位公车管理规定\n第一条 本单位车辆钥匙由办公室统一保管，节假日封存。\n".encode("gbk")
    )
    (docs / "notice.pdf").write_bytes(make_pdf(["通知", "第一条 节日期间严禁收受月饼礼盒。"]))
    (docs / "fake.pdf").write_bytes(os.urandom(4096))
    (docs / "empty.txt").write_bytes(b"")
    result = inproc(data_dir, "ingest", str(docs))
    assert result.returncode == 1  # some files were bad
    assert "fake.pdf" in result.stdout and "empty.txt" in result.stdout
    assert "新增 2 篇" in result.stdout
    assert (data_dir / "library" / "本单位公车规定.txt").exists()
    assert not (data_dir / "library" / "fake.pdf").exists()
    answer = json.loads(inproc(data_dir, "ask", "--json", "节假日单位车辆钥匙谁保管").stdout)
    assert answer["citations"][0]["source"] == "本单位公车规定.txt"
    # Removing the document from the library removes it from the index.
    (data_dir / "library" / "本单位公车规定.txt").unlink()
    again = inproc(data_dir, "ingest")
    assert "删除 1 篇" in again.stdout and "未变 30 篇" in again.stdout


def test_bad_setting_is_one_line_not_a_traceback(data_dir: Path) -> None:
    result = run(data_dir, "ask", "公车", extra_env={"QINGFENG_TOP_K": "many"})
    assert result.returncode == 2
    assert "配置有误" in result.stderr and "QINGFENG_TOP_K" in result.stderr
    assert "Traceback" not in result.stderr
