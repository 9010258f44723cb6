"""The reminders package's errors in Chinese, for the operator who configures calendars and templates."""

from __future__ import annotations

from reminders.errors import CalendarError, ReminderError, TemplateError, UnknownHoliday


def describe(error: ReminderError) -> str:
    """A short Chinese sentence saying what went wrong and what to do."""
    match error:
        case CalendarError():
            return f"节假日日历有误，请管理员检查：{error}"
        case TemplateError():
            return f"提醒模板有误，请管理员检查：{error}"
        case UnknownHoliday(name=name):
            return f"没有找到节日：{name}（可用中文名，如 春节，或英文键，如 spring_festival）"
    return f"节前提醒出错：{error}"
