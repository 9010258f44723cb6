"""The ``qingfeng`` command: groups per area; errors become one Chinese line and the exit code of their class."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

from assistant.messages import describe
from cli.exits import EXIT_OK, EXIT_USAGE, exit_code
from knowledge.service import KnowledgeService
from wiring import factory
from wiring.settings import Settings, load_settings

if TYPE_CHECKING:
    from assistant.llm import LLMAnswerer

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Env:
    """What the commands run on: the settings (loaded at first use) and the knowledge service's builder.

    Tests give plain settings and a knowledge service on fake engines; everything else is built by
    ``wiring.factory`` from the settings.
    """

    load: Callable[[], Settings] = load_settings
    build_knowledge: Callable[[Settings], KnowledgeService] = factory.build_knowledge
    build_llm: Callable[[Settings], LLMAnswerer | None] = factory.build_llm
    verbose: bool = False  # -v given: log at INFO (send-due also keeps the bot's configured level)
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """The settings (a malformed QINGFENG_* variable is reported when a command first needs them)."""
        if self._settings is None:
            self._settings = self.load()
        return self._settings

    def knowledge(self) -> KnowledgeService:
        """The knowledge service for these settings."""
        return self.build_knowledge(self.settings)

    def llm(self) -> LLMAnswerer | None:
        """The model-backed answerer, or None when QINGFENG_LLM_BASE_URL is not set."""
        return self.build_llm(self.settings)


pass_env = click.make_pass_decorator(Env)


def _verbose(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        logging.getLogger().setLevel(logging.INFO)
        env = ctx.find_object(Env)
        if env is not None:
            env.verbose = True


def verbose_option(command: F) -> F:
    """``-v`` on the group and on every command, so it works before or after the command's name."""
    return click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_verbose,
        help="打印日志 / print log messages",
    )(command)


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


@click.group(context_settings=CONTEXT)
@verbose_option
def qingfeng() -> None:
    """清风：廉政法规问答、节前提醒、匿名反映问题线索。"""


def _quiet_libraries() -> None:
    # Keep the terminal for answers: no tokenizer fork warnings, no hub chatter, no telemetry.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)


def _register() -> None:
    # The command modules import this one for Env and the decorators: attach them once, here.
    from cli import knowledge, reminders, reports, telegram

    for command in (*knowledge.COMMANDS, telegram.run, reminders.reminders, reports.reports):
        qingfeng.add_command(command)


def main(argv: Sequence[str] | None = None, env: Env | None = None) -> int:
    """Entry point of the ``qingfeng`` console script; returns the exit code."""
    # Everything Qingfeng creates (data dir, databases, WAL, index, exports) is for this account only.
    os.umask(0o077)
    _quiet_libraries()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not qingfeng.commands:
        _register()
    try:
        result = qingfeng.main(
            args=list(sys.argv[1:] if argv is None else argv),
            prog_name="qingfeng",
            obj=env or Env(),
            standalone_mode=False,
        )
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as wrong:
        wrong.show()
        return wrong.exit_code
    except click.exceptions.Abort:
        click.echo("已取消。", err=True)
        return 130
    except BaseException as error:
        code = exit_code(error)
        if code is None:
            raise
        click.echo(describe(error), err=True)
        return code
    return EXIT_OK if result is None else int(result)


__all__ = ["EXIT_USAGE", "Env", "main", "pass_env", "qingfeng", "verbose_option"]
