"""Errors of the shared services; each says itself in Chinese (``user_message``)."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class for errors of the shared services."""

    user_message = "出错了，请稍后再试。"


class AnswerExpired(AssistantError):
    """A button refers to an answer that is no longer kept in memory."""

    user_message = "这条回答已过期，请重新提问。"
