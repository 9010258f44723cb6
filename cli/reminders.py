"""``qingfeng reminders``: the holiday calendar, the plan, previews and sending what is due — as the bot does.

Every command asks the reminder service the bot runs (``wiring.factory.build_reminders``), so the plan here is
the bot's plan for the same settings (send time, working days before, extra days).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from cli.exits import EXIT_FAILED, EXIT_OK
from cli.main import CONTEXT, Env, pass_env, verbose_option
from common.clock import CHINA, china_now
from reminders.errors import UnknownHoliday

if TYPE_CHECKING:
    from reminders.broadcast import BroadcastReport
    from reminders.service import ReminderService


class _Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"日期格式不对：{value}（应为 YYYY-MM-DD，如 2026-09-28）", param, ctx)


class _Moment(click.ParamType):
    name = "ISO-DATETIME"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"时间格式不对：{value}（应为 ISO 格式，如 2026-09-28T09:00）", param, ctx)
        return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


DATE = _Date()
MOMENT = _Moment()


@contextlib.contextmanager
def _service(env: Env) -> Iterator[ReminderService]:
    from wiring.factory import build_engine, build_reminders

    engine = build_engine(env.settings)
    try:
        yield build_reminders(env.settings, engine)
    finally:
        engine.dispose()


def _start_of(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time(), tzinfo=CHINA) if day else None


@click.group(context_settings=CONTEXT)
@verbose_option
def reminders() -> None:
    """节前提醒：节假日安排、提醒计划、预览、发送到期提醒。"""


@reminders.command(context_settings=CONTEXT)
@click.argument("year", type=int, required=False)
@verbose_option
@pass_env
def calendar(env: Env, year: int | None) -> int:
    """某年的节假日安排及来源（官方 / 估算 / 操作员录入），默认今年。"""
    from reminders.calendar import format_calendar

    with _service(env) as service:
        year = year or service.now().year
        click.echo(format_calendar(service.calendar.blocks(year), year, service.calendar.warnings(year)))
    return EXIT_OK


@reminders.command(context_settings=CONTEXT)
@click.option("--from", "start", type=DATE, help="起始日期，默认今天")
@click.option("--to", "end", type=DATE, help="结束日期，默认一年后")
@click.option("--json", "as_json", is_flag=True, help="每行输出一个 JSON 对象")
@verbose_option
@pass_env
def plan(env: Env, start: dt.date | None, end: dt.date | None, as_json: bool) -> int:
    """提醒计划：每条提醒的发送时间（与运行中的机器人按同样的设置计算）。"""
    with _service(env) as service:
        start = start or service.now().date()
        planned = service.plan(start, end or start + dt.timedelta(days=366))
    for r in planned:
        if as_json:
            click.echo(json.dumps(r.to_dict(), ensure_ascii=False))
        else:
            dates = f"（{r.holiday_start} 至 {r.holiday_end}，{r.source}）" if r.holiday_start else ""
            click.echo(f"{r.send_at:%Y-%m-%d %H:%M}  {r.title}{dates}  [{r.id}]")
    return EXIT_OK


@reminders.command(context_settings=CONTEXT)
@click.argument("holiday", required=False)
@click.option("--from", "start", type=DATE, help="从哪天起找，默认今天")
@verbose_option
@pass_env
def preview(env: Env, holiday: str | None, start: dt.date | None) -> int:
    """预览下一条提醒的全文（可指定节日，如 春节 或 spring_festival）。"""
    with _service(env) as service:
        upcoming = service.next_one(now=_start_of(start), holiday=holiday)
    if upcoming is None:
        raise UnknownHoliday(holiday or "")
    planned = upcoming.planned
    click.echo(f"发送时间：{planned.send_at:%Y-%m-%d %H:%M}（{planned.id}）\n")
    click.echo(upcoming.reminder.text)
    return EXIT_OK


@reminders.command("send-due", context_settings=CONTEXT)
@click.option("--now", type=MOMENT, help="视为当前的时间，如 2026-09-28T09:00（北京时间），默认现在")
@click.option("--json", "as_json", is_flag=True, help="每条提醒输出一个 JSON 对象")
@verbose_option
@pass_env
def send_due(env: Env, now: dt.datetime | None, as_json: bool) -> int:
    """立即发送此刻到期的提醒，然后退出（运维与测试用；每个群每条提醒只发一次）。"""
    import signal

    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_sending_bot, require_token
    from bot.errors import TelegramUnreachable, TokenRejected
    from bot.sender import TelegramSender
    from wiring.factory import build_engine, build_reminders
    from wiring.logs import configure_logging

    settings = env.settings
    moment = now or china_now()
    token = require_token(settings)
    configure_logging(settings.log_level if env.verbose else "WARNING", secrets=[token])
    engine = build_engine(settings)
    interrupted = False

    async def send() -> list[BroadcastReport]:
        nonlocal interrupted
        service = build_reminders(settings, engine, clock=lambda: moment)
        await asyncio.to_thread(service.subscribe_configured, settings.reminder_chats)
        async with build_sending_bot(settings) as bot:
            broadcaster = service.broadcaster(TelegramSender(bot))

            def stop() -> None:
                # Messages already on their way finish and are logged; the rest wait for the next run.
                nonlocal interrupted
                interrupted = True
                broadcaster.stop()

            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop)
            return await service.send_due(broadcaster, moment)

    try:
        reports = asyncio.run(send())
    except InvalidToken as exc:
        raise TokenRejected("rejected") from exc
    except NetworkError as exc:
        raise TelegramUnreachable(str(exc).replace(token, "[REDACTED]")) from exc
    finally:
        engine.dispose()
    for report in reports:
        if as_json:
            row = {
                "reminder": report.reminder_id,
                "sent": len(report.sent),
                "failed": report.failed,
                "unsubscribed": report.unsubscribed,
                "migrated": report.migrated,
                "retries": report.retries,
            }
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(
                f"{report.reminder_id}：发送 {len(report.sent)} 个聊天，失败 {len(report.failed)}，"
                f"退订 {len(report.unsubscribed)}，迁移 {len(report.migrated)}"
            )
    if not reports and not as_json:
        click.echo(f"{moment:%Y-%m-%d %H:%M}：没有到期的提醒。")
    if interrupted:
        click.echo("已中断：尚未发送的聊天会在下次运行时补发，已发送的不会重复。", err=True)
        return EXIT_FAILED
    return EXIT_OK
