"""Errors raised by the reminders package; their messages are Chinese text fit for an operator."""

from __future__ import annotations


class ReminderError(Exception):
    """Base class for every error of the reminders package."""


class CalendarError(ReminderError):
    """The holiday calendar cannot be built, e.g. a malformed operator override file."""


class TemplateError(ReminderError):
    """A reminder template is missing, malformed, or its reminder does not fit in one message."""
