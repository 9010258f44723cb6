"""Errors raised by the reminders package; each says itself in Chinese (``reminders/messages.py``)."""

from __future__ import annotations


class ReminderError(Exception):
    """Base class for every error of the reminders package."""

    @property
    def user_message(self) -> str:
        """This error in Chinese, for the operator who met it."""
        from reminders.messages import describe  # the texts import these classes

        return describe(self)


class CalendarError(ReminderError):
    """The holiday calendar cannot be built, e.g. a malformed operator override file."""


class TemplateError(ReminderError):
    """A reminder template is missing, malformed, or its reminder does not fit in one message."""


class UnknownHoliday(ReminderError):
    """No holiday of this name (Chinese name or key) is in the plan."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name
