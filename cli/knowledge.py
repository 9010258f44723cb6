"""``qingfeng ingest | ask | chat | unanswered``: the knowledge base from the terminal."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

import click

from assistant.messages import describe
from cli.exits import EXIT_FAILED, EXIT_OK
from cli.main import CONTEXT, Env, pass_env, verbose_option
from knowledge.errors import KnowledgeError
from knowledge.index import IngestReport, tqdm_progress
from knowledge.model import Answer
from knowledge.service import KnowledgeService

if TYPE_CHECKING:
    from assistant.llm import LLMAnswerer
    from assistant.outcome import LLMOutcome


def _print_report(report: IngestReport, err: bool = False) -> None:
    if report.model_changed:
        click.echo("检测到嵌入模型已更换，已用新模型重建全部向量。", err=err)
    click.echo(
        f"新增 {len(report.added)} 篇，更新 {len(report.updated)} 篇，删除 {len(report.removed)} 篇，"
        f"未变 {len(report.unchanged)} 篇；本次嵌入 {report.embedded} 条，索引共 {report.total_chunks} 条。",
        err=err,
    )
    for error in report.errors:
        click.echo(f"  ✗ {describe(error)}", err=err)


def _ready(env: Env) -> KnowledgeService:
    """The knowledge service with its index built (said on stderr, so answers stay alone on stdout)."""
    service = env.knowledge()
    if not service.index.is_ready():
        click.echo("正在建立知识库索引（首次使用或更换了模型）……", err=True)
        report = service.ensure_ready(progress=tqdm_progress)
        if report is not None:
            _print_report(report, err=True)
    return service


@click.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@verbose_option
@pass_env
def ingest(env: Env, paths: tuple[Path, ...]) -> int:
    """建立/更新知识库索引；可附加自己的文档（.md .txt .docx .pdf .html，文件或文件夹）。"""
    from knowledge.catalog import add_to_library

    errors = []
    if paths:
        added = add_to_library(list(paths), env.settings.library_path)
        for name in added.names:
            click.echo(f"已加入知识库：{name}")
        errors = added.errors
    report = env.knowledge().ingest(progress=tqdm_progress)
    report.errors[:0] = errors
    _print_report(report)
    return EXIT_FAILED if report.errors else EXIT_OK


class Answering:
    """Answers for the terminal: offline, or through the model when one is configured (one event loop for all)."""

    def __init__(self, service: KnowledgeService, llm: LLMAnswerer | None) -> None:
        self.service = service
        self.llm = llm
        self._runner = asyncio.Runner() if llm is not None else None

    def __enter__(self) -> Answering:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._runner is not None:
            self._runner.close()

    def ask(self, question: str) -> tuple[Answer, LLMOutcome | None]:
        """The answer the user would see, and what the model did (None when no model is configured)."""
        if self.llm is None or self._runner is None:
            return self.service.ask(question), None
        from assistant.chat import GATED
        from assistant.outcome import LLMOutcome

        explanation = self.service.explain(question)
        grounding = self.service.grounding(explanation)
        if grounding is None:
            return explanation.answer, LLMOutcome(self.llm.name, verified=False, fallback=GATED)
        result = self._runner.run(self.llm.answer(grounding))
        return result.answer, result.outcome

    def json(self, question: str) -> dict[str, object]:
        """The JSON object of ``ask --json`` (with ``"llm"`` when a model is configured)."""
        try:
            answer, outcome = self.ask(question)
        except KnowledgeError as exc:
            failed: dict[str, object] = {
                "question": question,
                "answer": describe(exc),
                "refused": True,
                "verdict": None,
                "lead": "",
                "card": None,
                "citations": [],
                "error": True,
            }
            if self.llm is not None:
                failed["llm"] = None
            return failed
        result = answer.to_dict()
        if outcome is not None:
            result["llm"] = outcome.to_dict()
        return result

    def text(self, question: str) -> str:
        """The answer as text, or the error's one line."""
        try:
            return self.ask(question)[0].text
        except KnowledgeError as exc:
            return describe(exc)


@click.command(context_settings=CONTEXT)
@click.argument("question", nargs=-1, required=False)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--batch", type=click.File("r", encoding="utf-8"), help="每行一个问题的文件（- 表示标准输入）")
@verbose_option
@pass_env
def ask(env: Env, question: tuple[str, ...], as_json: bool, batch: TextIO | None) -> int:
    """提问并打印带出处的回答（与机器人的回答相同，不含 HTML）。"""
    if not question and batch is None:
        raise click.UsageError('请给出问题，例如：qingfeng ask "能开单位的车送孩子上学吗"')
    service = _ready(env)
    with Answering(service, env.llm()) as answering:
        if batch is not None:
            for line in batch:
                asked = line.strip()
                if not asked:
                    continue
                if as_json:
                    click.echo(json.dumps(answering.json(asked), ensure_ascii=False))
                else:
                    click.echo(f"问：{asked}\n{answering.text(asked)}\n")
            return EXIT_OK
        text = " ".join(question)
        if as_json:
            result = answering.json(text)
            click.echo(json.dumps(result, ensure_ascii=False))
            return EXIT_FAILED if result.get("error") else EXIT_OK
        click.echo(answering.ask(text)[0].text)  # a KnowledgeError is one line on stderr and its exit code
        return EXIT_OK


@click.command(context_settings=CONTEXT)
@verbose_option
@pass_env
def chat(env: Env) -> int:
    """在终端里连续问答（输入“退出”或按 Ctrl-D 结束）。"""
    service = _ready(env)
    service.warm()
    with Answering(service, env.llm()) as answering:
        _converse(answering)
    click.echo("再见。")
    return EXIT_OK


def _converse(answering: Answering) -> None:
    stdin = sys.stdin
    interactive = stdin.isatty()
    click.echo("清风廉政问答（输入问题后回车；输入“退出”或按 Ctrl-D 结束）")
    while True:
        if interactive:
            try:
                line = input("\n问：")
            except (EOFError, KeyboardInterrupt):
                click.echo()
                break
        else:
            line = stdin.readline()
            if not line:
                break
            click.echo(f"\n问：{line.strip()}")
        asked = line.strip()
        if asked in {"退出", "exit", "quit", "q"}:
            break
        if asked:
            click.echo(answering.text(asked))


@click.command(context_settings=CONTEXT)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="最多列出几条")
@click.option("--json", "as_json", is_flag=True, help="每行输出一个 JSON 对象")
@verbose_option
@pass_env
def unanswered(env: Env, limit: int, as_json: bool) -> int:
    """列出未能回答或被点 👎 的问题（按次数排序），供维护人员补充情形卡和文档。"""
    from knowledge.unanswered import UnansweredLog
    from wiring.factory import build_engine

    engine = build_engine(env.settings)
    try:
        entries = UnansweredLog(engine).top(limit=limit)
    finally:
        engine.dispose()
    if as_json:
        for e in entries:
            row = {
                "question": e.question,
                "count": e.count,
                "refused": e.refused,
                "downvoted": e.downvoted,
                "last_day": e.last_day.isoformat(),
            }
            click.echo(json.dumps(row, ensure_ascii=False))
        return EXIT_OK
    if not entries:
        click.echo("还没有未能回答或被点 👎 的问题。")
        return EXIT_OK
    click.echo("次数  拒答  👎   最近日期    问题")
    for e in entries:
        click.echo(f"{e.count:>4}  {e.refused:>4}  {e.downvoted:>3}  {e.last_day}  {e.question}")
    return EXIT_OK


COMMANDS = (ingest, ask, chat, unanswered)
