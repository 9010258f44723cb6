"""Logging set-up: one stderr handler whose filter removes secrets (the bot token) from every line."""

from __future__ import annotations

import logging
from collections.abc import Iterable

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[REDACTED]"
# Loggers whose DEBUG lines carry message contents and sender identities.
CHAT_CONTENT_LOGGERS = ("telegram", "httpx", "httpcore", "hpack", "aiohttp", "urllib3")


class RedactSecrets(logging.Filter):
    """Replaces each secret in a record's message and traceback before any handler formats it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        if not self.secrets:
            return True
        message = record.getMessage()
        record.msg, record.args = self._clean(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


def configure_logging(level: str | int = "INFO", secrets: Iterable[str] = ()) -> None:
    """Log to stderr at ``level``; HTTP client request lines (which carry the token in the URL) only on WARNING."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "chromadb", "sentence_transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG, PTB and the HTTP clients log whole updates and request bodies: the sender's id, name and
    # username beside the report text and the receipt code. They stay at INFO whatever the level asked for,
    # so that QINGFENG_LOG_LEVEL=DEBUG can never tie a reporter to a report.
    for chatty in CHAT_CONTENT_LOGGERS:
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLogger(chatty).level))
    if root.level < logging.INFO:
        logging.getLogger("qingfeng").info(
            "DEBUG 日志不包含 Telegram 库和 HTTP 客户端的调试输出（其中有发送者身份和消息内容）。"
        )
