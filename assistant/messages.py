"""Any error as one Chinese sentence: each package's errors say themselves (``user_message``)."""

from __future__ import annotations

from pydantic import ValidationError

GENERIC = "出错了，请稍后再试。"


def describe(error: BaseException) -> str:
    """A short Chinese sentence telling the user what went wrong and what to do."""
    if isinstance(error, ValidationError):
        return f"配置有误：{_first_validation_problem(error)}"
    if isinstance(error, OSError) and error.strerror:
        return f"无法读写文件：{error.filename or error}（{error.strerror}）"
    text = getattr(error, "user_message", None)
    return text if isinstance(text, str) and text else GENERIC


def _first_validation_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(p) for p in problem.get("loc", ()))
    return f"QINGFENG_{where.upper()}: {problem.get('msg', '')}" if where else str(problem.get("msg", ""))
