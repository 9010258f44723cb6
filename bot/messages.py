"""The one place where errors become user-facing Chinese text."""

from __future__ import annotations

from pydantic import ValidationError

from bot.errors import AnswerExpired, MalformedToken, MissingToken, TelegramUnreachable, TokenRejected
from knowledge.errors import (
    CorruptDocument,
    DocumentError,
    DuplicateSource,
    EmptyDocument,
    EmptyQuestion,
    IndexNotReady,
    KnowledgeError,
    ModelNotFound,
    QuestionTooLong,
    UnsupportedDocument,
)
from reminders.errors import CalendarError, ReminderError, TemplateError

GENERIC = "出错了，请稍后再试。"


def describe(error: BaseException) -> str:
    """A short Chinese sentence telling the user what went wrong and what to do."""
    match error:
        case EmptyQuestion():
            return "请输入要咨询的问题（文字），例如：“能开单位的车送孩子上学吗？”"
        case QuestionTooLong(length=length, limit=limit):
            return f"问题太长了（{length}字），请精简到{limit}字以内，只写清要问的情况。"
        case UnsupportedDocument(path=path):
            return f"不支持的文件类型：{path.name}（支持 .md .txt .docx .pdf .html）"
        case EmptyDocument(path=path):
            return f"文件没有可读取的文字：{path.name}"
        case CorruptDocument(path=path, reason=reason):
            return f"文件已损坏或格式不符，无法读取：{path.name}（{reason}）"
        case DuplicateSource(path=path):
            return f"文件名与知识库中已有文件重名，已跳过：{path.name}"
        case DocumentError(path=path, reason=reason):
            return f"无法读取文件：{path.name}（{reason}）"
        case IndexNotReady():
            return "知识库索引尚未建立或已过期，请先运行：qingfeng ingest"
        case ModelNotFound():
            return f"找不到嵌入模型：{error}"
        case MissingToken():
            return (
                "未设置 Telegram 机器人令牌：请设置环境变量 QINGFENG_TELEGRAM_TOKEN（向 @BotFather 申请）。"
                " / QINGFENG_TELEGRAM_TOKEN is not set."
            )
        case MalformedToken():
            return (
                "Telegram 机器人令牌格式不对（应形如 123456789:AA…）：请检查 QINGFENG_TELEGRAM_TOKEN。"
                " / QINGFENG_TELEGRAM_TOKEN is malformed."
            )
        case TokenRejected():
            return "Telegram 拒绝了这个令牌，请向 @BotFather 核对。 / Telegram rejected the bot token."
        case TelegramUnreachable():
            return (
                f"无法连接 Telegram（{error}）：请检查网络、代理或 QINGFENG_TELEGRAM_BASE_URL。"
                " / Cannot reach the Telegram Bot API."
            )
        case AnswerExpired():
            return "这条回答已过期，请重新提问。"
        case ValidationError():
            return f"配置有误：{_first_validation_problem(error)}"
        case KnowledgeError():
            return f"知识库出错：{error}"
        case CalendarError():
            return f"节假日日历有误，请管理员检查：{error}"
        case TemplateError():
            return f"提醒模板有误，请管理员检查：{error}"
        case ReminderError():
            return f"节前提醒出错：{error}"
    return GENERIC


def _first_validation_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(p) for p in problem.get("loc", ()))
    return f"QINGFENG_{where.upper()}: {problem.get('msg', '')}" if where else str(problem.get("msg", ""))
