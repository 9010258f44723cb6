"""Errors raised while configuring or starting the Telegram bot; each says itself in Chinese (``user_message``)."""

from __future__ import annotations


class BotError(Exception):
    """Base class for errors of the bot layer."""

    @property
    def user_message(self) -> str:
        """This error in Chinese (and English: operators read it in logs and terminals)."""
        return f"Telegram 机器人出错：{self}"


class MissingToken(BotError):
    """No Telegram bot token is configured."""

    user_message = (
        "未设置 Telegram 机器人令牌：请设置环境变量 QINGFENG_TELEGRAM_TOKEN（向 @BotFather 申请）。"
        " / QINGFENG_TELEGRAM_TOKEN is not set."
    )


class MalformedToken(BotError):
    """The configured token does not look like a Telegram bot token."""

    user_message = (
        "Telegram 机器人令牌格式不对（应形如 123456789:AA…）：请检查 QINGFENG_TELEGRAM_TOKEN。"
        " / QINGFENG_TELEGRAM_TOKEN is malformed."
    )


class TokenRejected(BotError):
    """Telegram (or the configured Bot API server) refused the token."""

    user_message = "Telegram 拒绝了这个令牌，请向 @BotFather 核对。 / Telegram rejected the bot token."


class TelegramUnreachable(BotError):
    """The Bot API server could not be reached when the bot started."""

    @property
    def user_message(self) -> str:
        """What failed, and where to look."""
        return (
            f"无法连接 Telegram（{self}）：请检查网络、代理或 QINGFENG_TELEGRAM_BASE_URL。"
            " / Cannot reach the Telegram Bot API."
        )
