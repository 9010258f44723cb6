"""Exit codes of the ``qingfeng`` command, and the one table that maps each error class to its code."""

from __future__ import annotations

from pydantic import ValidationError

from assistant.errors import AnswerExpired, AssistantError
from bot.errors import BotError, MalformedToken, MissingToken, TelegramUnreachable, TokenRejected
from knowledge.errors import (
    CorruptDocument,
    DocumentError,
    DuplicateSource,
    EmptyDocument,
    EmptyQuestion,
    IndexNotReady,
    KnowledgeError,
    ModelNotFound,
    QuestionError,
    QuestionTooLong,
    UnsupportedDocument,
)
from reminders.errors import CalendarError, ReminderError, TemplateError, UnknownHoliday
from reports.errors import (
    AttachmentRejected,
    BadReceipt,
    DecryptionFailed,
    InvalidReport,
    KeyFileError,
    NoReviewerKeys,
    ReportError,
    ReviewerKeyRefused,
    StatusChangeRefused,
    TooManyAttempts,
    UnknownReport,
    UnsafeExportFolder,
)

EXIT_OK = 0
EXIT_FAILED = 1  # something outside the command failed: a file, the network, damaged data
EXIT_USAGE = 2  # the command or the configuration is wrong: fix the arguments or the QINGFENG_* settings
EXIT_REFUSED = 3  # a key, passphrase or token was refused, or this key may not do that
EXIT_NOT_FOUND = 4  # what the command names does not exist (a report number, a holiday)
EXIT_INTERRUPTED = 130  # Ctrl-C

MEANINGS = {
    EXIT_OK: "成功",
    EXIT_FAILED: "运行失败：文件、网络或数据有问题",
    EXIT_USAGE: "用法或配置有误：参数、QINGFENG_* 设置、日历或模板文件",
    EXIT_REFUSED: "被拒绝：密钥、口令或令牌不对，或这把密钥无权这样做",
    EXIT_NOT_FOUND: "找不到：线索编号、节日",
    EXIT_INTERRUPTED: "被 Ctrl-C 中断",
}

# Every error class of the project is listed (tests/cli/test_exits.py); an error's code is that of the nearest
# class in its MRO listed here, so library errors (OSError, pydantic's ValidationError) are covered too.
EXIT_CODES: dict[type[BaseException], int] = {
    ValidationError: EXIT_USAGE,
    KeyboardInterrupt: EXIT_INTERRUPTED,
    OSError: EXIT_FAILED,
    # knowledge
    KnowledgeError: EXIT_FAILED,
    DocumentError: EXIT_FAILED,
    UnsupportedDocument: EXIT_FAILED,
    CorruptDocument: EXIT_FAILED,
    EmptyDocument: EXIT_FAILED,
    DuplicateSource: EXIT_FAILED,
    QuestionError: EXIT_USAGE,
    EmptyQuestion: EXIT_USAGE,
    QuestionTooLong: EXIT_USAGE,
    IndexNotReady: EXIT_FAILED,
    ModelNotFound: EXIT_USAGE,
    # reminders
    ReminderError: EXIT_USAGE,
    CalendarError: EXIT_USAGE,
    TemplateError: EXIT_USAGE,
    UnknownHoliday: EXIT_NOT_FOUND,
    # reports
    ReportError: EXIT_FAILED,
    InvalidReport: EXIT_USAGE,
    AttachmentRejected: EXIT_USAGE,
    BadReceipt: EXIT_NOT_FOUND,
    TooManyAttempts: EXIT_REFUSED,
    NoReviewerKeys: EXIT_USAGE,
    KeyFileError: EXIT_REFUSED,
    ReviewerKeyRefused: EXIT_REFUSED,
    DecryptionFailed: EXIT_REFUSED,
    UnsafeExportFolder: EXIT_USAGE,
    UnknownReport: EXIT_NOT_FOUND,
    StatusChangeRefused: EXIT_USAGE,
    # the bot and the services around it
    BotError: EXIT_FAILED,
    MissingToken: EXIT_USAGE,
    MalformedToken: EXIT_USAGE,
    TokenRejected: EXIT_REFUSED,
    TelegramUnreachable: EXIT_FAILED,
    AssistantError: EXIT_FAILED,
    AnswerExpired: EXIT_FAILED,
}


def exit_code(error: BaseException) -> int | None:
    """The exit code for ``error``: that of the nearest listed class it derives from; None if none is."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return None


def table() -> str:
    """The exit codes as a Markdown table, each with the error classes that give it (for the README)."""
    rows = ["| 退出码 | 含义 | 错误类 |", "|---|---|---|"]
    for code, meaning in MEANINGS.items():
        names = sorted(cls.__name__ for cls, c in EXIT_CODES.items() if c == code)
        rows.append(f"| {code} | {meaning} | {', '.join(f'`{n}`' for n in names) or '—'} |")
    return "\n".join(rows)
