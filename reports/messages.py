"""The reports package's errors in Chinese: for reporters in the chat and reviewers at the command line."""

from __future__ import annotations

from reports.errors import (
    AttachmentRejected,
    BadReceipt,
    DecryptionFailed,
    InvalidReport,
    KeyFileError,
    KeyProblem,
    NoReviewerKeys,
    ReportError,
    ReviewerKeyRefused,
    StatusChangeRefused,
    TooManyAttempts,
    UnknownReport,
    UnsafeExportFolder,
)
from reports.model import STATUSES

REPORT_FIELDS = {
    "category": "类别",
    "subject": "被反映人或单位",
    "details": "问题详情",
    "when_where": "时间地点",
    "attachments": "附件",
    "text": "内容",
}

_EXPORT_FOLDER_PROBLEMS = {
    "symlink": "它是一个符号链接。请指定一个新的文件夹。",
    "not_owned": "这个文件夹不属于当前用户。请指定一个新的文件夹。",
    "not_empty": "文件夹不是空的。请指定一个新的或空的文件夹，以免覆盖或混入其他文件。",
}


def describe(error: ReportError) -> str:
    """A short Chinese sentence saying what went wrong and what to do."""
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
        case KeyFileError(problem=problem, path=path):
            return _KEY_FILE_PROBLEMS[problem].format(path=path or "")
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


_KEY_FILE_PROBLEMS = {
    KeyProblem.WRONG_PASSPHRASE: "口令不正确，无法解锁审阅人私钥。",
    KeyProblem.MISSING: "找不到审阅人私钥文件：请用 --key 指定，或先运行 qingfeng reports keygen。",
    KeyProblem.MALFORMED: "审阅人私钥文件已损坏或格式不对。",
    KeyProblem.EXISTS: "密钥文件已存在，没有覆盖：{path}",
    KeyProblem.BAD_PUBLIC_KEY: "审阅人公钥文件有误，请管理员检查：{path}",
    KeyProblem.BAD_SECRET: "回执密钥文件有误，请管理员检查：{path}",
}
