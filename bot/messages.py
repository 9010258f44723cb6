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
from reports.keys import MALFORMED, MISSING, WRONG_PASSPHRASE
from reports.model import STATUSES

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
        case ReportError():
            return _describe_report(error)
    return GENERIC


REPORT_FIELDS = {
    "category": "类别",
    "subject": "被反映人或单位",
    "details": "问题详情",
    "when_where": "时间地点",
    "attachments": "附件",
    "text": "内容",
}


def _describe_report(error: ReportError) -> str:
    match error:
        case InvalidReport(field="attachments", problem="too_many", limit=limit, length=length):
            return f"附件太多了（{length}个），最多{limit}个。"
        case InvalidReport(field=field, problem=problem, limit=limit, length=length):
            label = REPORT_FIELDS.get(field, field)
            if problem == "empty":
                return f"{label}不能为空。"
            if problem == "too_short":
                return f"{label}太短了（{length}字），请至少写{limit}字，把问题说清楚。"
            if problem == "too_long":
                return f"{label}太长了（{length}字），请精简到{limit}字以内。"
            if problem == "unknown":
                return f"请从列表中选择{label}。"
            return f"{label}填写有误，请检查后重试。"
        case AttachmentRejected(filename=name, reason="too_large", limit=limit):
            size = f"（上限 {limit // (1024 * 1024)} MB）" if limit else ""
            return f"文件太大：{name}{size}"
        case AttachmentRejected(filename=name, reason="too_many_pixels", limit=limit):
            megapixels = f"（上限 {limit // 1_000_000} 百万像素）" if limit else ""
            return f"图片尺寸太大：{name}{megapixels}。请截取需要的部分或缩小后再发送。"
        case AttachmentRejected(filename=name, reason="cannot_clean"):
            return (
                f"这个文件无法检查和清理（可能设置了打开密码）：{name}。"
                "请去掉密码或另存一份普通 PDF 后再发送，也可以截图发送。"
            )
        case AttachmentRejected(filename=name, reason="executable"):
            return f"出于安全考虑，不接受可执行文件：{name}"
        case AttachmentRejected(filename=name, reason="unreadable"):
            return f"文件无法读取或已损坏：{name}"
        case AttachmentRejected(filename=name):
            return f"不支持这种文件类型：{name}"
        case BadReceipt():
            return "回执码不正确，或该线索已办结清理。请检查后重新输入（形如 7KQ2-M9XD-4HTV-Z0CB-1NRW）。"
        case TooManyAttempts(what="reports"):
            return "今天提交的线索已达上限，请明天再试。"
        case TooManyAttempts(retry_after_seconds=seconds):
            wait = f"请{max(1, -(-seconds // 60))}分钟后再试" if seconds else "请稍后再试"
            return f"回执码输错次数过多，{wait}。"
        case NoReviewerKeys():
            return "暂时无法受理：尚未配置审阅人密钥，请联系管理员（qingfeng reports keygen）。"
        case KeyFileError():
            return _describe_key_file(str(error))
        case ReviewerKeyRefused(fingerprint=fpr, reason="unknown"):
            return (
                f"这把密钥（指纹 {fpr}）不在审阅人名单中（数据目录 reviewers/），不能查看或处理线索。"
                "请由管理员把它的 .pub 公钥文件放入该文件夹。"
            )
        case ReviewerKeyRefused(fingerprint=fpr):
            return (
                f"这把密钥（指纹 {fpr}）还没有签名密钥，答复和改状态需要签名。"
                "请先运行 qingfeng reports key-upgrade --key 私钥文件，并把更新后的 .pub 文件放入 reviewers/。"
            )
        case DecryptionFailed():
            return "无法解密：这份线索没有加密给你的密钥，或数据已损坏。"
        case UnknownReport():
            return f"没有编号为 {error} 的线索。"
        case UnsafeExportFolder(path=path, reason=reason):
            return f"不能导出到 {path}：{_EXPORT_FOLDER_PROBLEMS.get(reason, '它不是文件夹。')}"
        case StatusChangeRefused(current="closed", wanted="addition"):
            return "该线索已办结，不能再补充材料。"
        case StatusChangeRefused(current=current, wanted=wanted):
            now, then = STATUSES.get(current, current), STATUSES.get(wanted, wanted)
            return f"不能把线索从“{now}”改为“{then}”：状态只能依次为 已受理 → 核查中 → 已办结。"
    return f"匿名反映出错：{error}"


_EXPORT_FOLDER_PROBLEMS = {
    "symlink": "它是一个符号链接。请指定一个新的文件夹。",
    "not_owned": "这个文件夹不属于当前用户。请指定一个新的文件夹。",
    "not_empty": "文件夹不是空的。请指定一个新的或空的文件夹，以免覆盖或混入其他文件。",
}


def _describe_key_file(reason: str) -> str:
    what, _, where = reason.partition(": ")
    if reason == WRONG_PASSPHRASE:
        return "口令不正确，无法解锁审阅人私钥。"
    if reason == MISSING:
        return "找不到审阅人私钥文件：请用 --key 指定，或先运行 qingfeng reports keygen。"
    if reason == MALFORMED:
        return "审阅人私钥文件已损坏或格式不对。"
    if what == "key file exists":
        return f"密钥文件已存在，没有覆盖：{where}"
    if what == "malformed public key file":
        return f"审阅人公钥文件有误，请管理员检查：{where}"
    if what.endswith("server secret"):
        return f"回执密钥文件有误，请管理员检查：{where}"
    return f"密钥文件有误：{reason}"


def _first_validation_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(p) for p in problem.get("loc", ()))
    return f"QINGFENG_{where.upper()}: {problem.get('msg', '')}" if where else str(problem.get("msg", ""))
