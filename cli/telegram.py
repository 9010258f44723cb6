"""``qingfeng run``: the Telegram bot."""

from __future__ import annotations

import click

from bot.errors import TelegramUnreachable, TokenRejected
from cli.exits import EXIT_OK
from cli.main import CONTEXT, Env, pass_env, verbose_option


@click.command(context_settings=CONTEXT)
@click.option(
    "--webhook",
    metavar="URL",
    help="改用 webhook：Telegram 可访问的公网地址（如 https://example.org/qingfeng），"
    "监听地址和端口见 QINGFENG_WEBHOOK_LISTEN / QINGFENG_WEBHOOK_PORT",
)
@verbose_option
@pass_env
def run(env: Env, webhook: str | None) -> int:
    """运行 Telegram 机器人（默认长轮询），直到 Ctrl-C 或 SIGTERM。"""
    from telegram.error import InvalidToken, NetworkError

    from bot.app import require_token
    from bot.app import run as run_bot
    from wiring.logs import configure_logging

    token = require_token(env.settings)  # MissingToken / MalformedToken: one line, before anything loads
    configure_logging(env.settings.log_level, secrets=[token])
    try:
        run_bot(env.settings, webhook_url=webhook)
    except InvalidToken as exc:
        raise TokenRejected("rejected") from exc
    except NetworkError as exc:  # includes TimedOut; raised by the first getMe, before the model loads
        raise TelegramUnreachable(str(exc).replace(token, "[REDACTED]")) from exc
    return EXIT_OK
