"""The knowledge package's errors in Chinese, for the people who meet them (staff asking, operators ingesting)."""

from __future__ import annotations

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


def describe(error: KnowledgeError) -> str:
    """A short Chinese sentence saying what went wrong and what to do."""
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
    return f"知识库出错：{error}"
