"""``qingfeng reminders``: the holiday calendar, the reminder plan, previews, and sending what is due."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys

from assistant.messages import describe
from bot.exits import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from wiring.settings import Settings


def add_reminder_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``qingfeng reminders …`` to the command's subparsers."""
    reminders = sub.add_parser("reminders", help="节前提醒：节假日、提醒计划、预览")
    actions = reminders.add_subparsers(dest="action", required=True)
    calendar = actions.add_parser("calendar", help="某年的节假日安排及来源（官方/估算/操作员录入）")
    calendar.add_argument("year", type=int, nargs="?", help="年份，默认今年")
    plan_cmd = actions.add_parser("plan", help="提醒计划")
    plan_cmd.add_argument("--from", dest="start", metavar="DATE", help="起始日期 YYYY-MM-DD，默认今天")
    plan_cmd.add_argument("--to", dest="end", metavar="DATE", help="结束日期，默认一年后")
    plan_cmd.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象")
    preview = actions.add_parser("preview", help="预览下一条节前提醒的全文")
    preview.add_argument("holiday", nargs="?", help="节日，如 春节 或 spring_festival")
    preview.add_argument("--from", dest="start", metavar="DATE", help="从哪天起找，默认今天")
    send_due = actions.add_parser("send-due", help="立即发送此刻到期的提醒（运维与测试用）")
    send_due.add_argument(
        "--now", metavar="ISO-DATETIME", help="视为当前的时间，如 2026-09-28T09:00（北京时间）"
    )
    send_due.add_argument("--json", action="store_true", help="每条提醒输出一个 JSON 对象")
    reminders.set_defaults(func=cmd_reminders)


def cmd_reminders(settings: Settings, args: argparse.Namespace) -> int:
    """Show the holiday calendar, the reminder plan, or a reminder's text."""
    import datetime as dt

    from reminders.calendar import HolidayCalendar, format_calendar
    from reminders.content import corpus_lookup, load_templates, render, template_for
    from reminders.errors import ReminderError
    from reminders.planner import load_custom, plan

    if args.action == "send-due":
        return cmd_send_due(settings, args)
    try:
        calendar = HolidayCalendar(override_path=settings.holiday_override_path)
        if args.action == "calendar":
            year = args.year or dt.date.today().year
            print(format_calendar(calendar.blocks(year), year, calendar.warnings(year)))
            return EXIT_OK
        start = dt.date.fromisoformat(args.start) if args.start else dt.date.today()
        if args.action == "plan":
            end = dt.date.fromisoformat(args.end) if args.end else start + dt.timedelta(days=366)
            reminders = plan(calendar, start, end, custom=load_custom(settings.custom_reminders_path))
            for r in reminders:
                if args.json:
                    print(json.dumps(r.to_dict(), ensure_ascii=False))
                else:
                    dates = f"（{r.holiday_start} 至 {r.holiday_end}，{r.source}）" if r.holiday_start else ""
                    print(f"{r.send_at:%Y-%m-%d %H:%M}  {r.title}{dates}  [{r.id}]")
            return EXIT_OK
        # preview: the next reminder (of one holiday if given), rendered from its template
        upcoming = [
            r
            for r in plan(calendar, start, start + dt.timedelta(days=400))
            if r.kind == "holiday"
            and (not args.holiday or args.holiday == r.holiday_key or args.holiday in r.holiday_name)
        ]
        if not upcoming:
            print(f"没有找到节日：{args.holiday}", file=sys.stderr)
            return EXIT_USAGE
        first = upcoming[0]
        block = next(
            b
            for y in range(start.year, start.year + 3)
            for b in calendar.blocks(y)
            if b.start == first.holiday_start
        )
        reminder = render(
            template_for(load_templates(), first.holiday_key),
            year=block.start.year,
            holiday_name=block.name,
            dates_text=block.dates_text(),
            days=block.days,
            lookup=corpus_lookup(),
        )
        print(f"发送时间：{first.send_at:%Y-%m-%d %H:%M}（{first.id}）\n")
        print(reminder.text)
        return EXIT_OK
    except (ReminderError, ValueError) as exc:
        print(f"提醒配置有误：{exc}", file=sys.stderr)
        return EXIT_USAGE


def _moment(text: str | None) -> dt.datetime:
    """An ISO date-time; without a zone it is China time. None means now."""
    from reminders.planner import CHINA

    if not text:
        return dt.datetime.now(CHINA)
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def cmd_send_due(settings: Settings, args: argparse.Namespace) -> int:
    """Broadcast every reminder due at --now (default: now) to the subscribed chats, then exit."""
    import signal

    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_sending_bot, require_token
    from bot.errors import BotError, TelegramUnreachable, TokenRejected
    from bot.sender import TelegramSender
    from reminders.broadcast import BroadcastReport
    from reminders.errors import ReminderError
    from wiring.factory import build_engine, build_reminders
    from wiring.logs import configure_logging

    try:
        now = _moment(args.now)
    except ValueError:
        print(f"时间格式不对：{args.now}（应为 ISO 格式，如 2026-09-28T09:00）", file=sys.stderr)
        return EXIT_USAGE
    try:
        token = require_token(settings)
    except BotError as exc:
        print(describe(exc), file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level if args.verbose else "WARNING", secrets=[token])
    engine = build_engine(settings)
    interrupted = False

    async def send() -> list[BroadcastReport]:
        nonlocal interrupted
        service = build_reminders(settings, engine, clock=lambda: now)
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
            return await service.send_due(broadcaster, now)

    try:
        reports = asyncio.run(send())
    except InvalidToken:
        print(describe(TokenRejected("rejected")), file=sys.stderr)
        return EXIT_USAGE
    except NetworkError as exc:
        print(describe(TelegramUnreachable(str(exc).replace(token, "[REDACTED]"))), file=sys.stderr)
        return EXIT_ERROR
    except ReminderError as exc:
        print(describe(exc), file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    if args.json:
        for report in reports:
            row = {
                "reminder": report.reminder_id,
                "sent": len(report.sent),
                "failed": report.failed,
                "unsubscribed": report.unsubscribed,
                "migrated": report.migrated,
                "retries": report.retries,
            }
            print(json.dumps(row, ensure_ascii=False))
    elif not reports:
        print(f"{now:%Y-%m-%d %H:%M}：没有到期的提醒。")
    for report in reports if not args.json else ():
        print(
            f"{report.reminder_id}：发送 {len(report.sent)} 个聊天，失败 {len(report.failed)}，"
            f"退订 {len(report.unsubscribed)}，迁移 {len(report.migrated)}"
        )
    if interrupted:
        print("已中断：尚未发送的聊天会在下次运行时补发，已发送的不会重复。", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK
