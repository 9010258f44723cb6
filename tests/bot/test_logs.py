"""No log line ever contains the bot token."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from wiring.logs import REDACTED, RedactSecrets, configure_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets([TOKEN]))
    logger = logging.getLogger("test.redact")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)


def test_token_in_message_arguments_and_tracebacks_is_redacted(captured: io.StringIO) -> None:
    logger = logging.getLogger("test.redact")
    logger.info("POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
    try:
        raise RuntimeError(f"connect failed for /bot{TOKEN}/sendMessage")
    except RuntimeError:
        logger.exception("request failed")
    text = captured.getvalue()
    assert TOKEN not in text
    assert text.count(REDACTED) == 2 and "RuntimeError" in text


def test_configure_logging_quiets_http_request_lines() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("DEBUG", secrets=[TOKEN])
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert any(isinstance(f, RedactSecrets) for h in root.handlers for f in h.filters)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def test_conversation_ids_stay_out_of_a_debug_log() -> None:
    configure_logging("DEBUG")
    assert logging.getLogger("telegram.ext.ConversationHandler").getEffectiveLevel() == logging.INFO
