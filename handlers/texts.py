"""Fixed Chinese texts of the bot (errors are worded in ``bot.messages``)."""

from __future__ import annotations

START = (
    "您好，我是<b>清风</b>廉政助手。\n\n"
    "我能做的：\n"
    "• <b>廉政法规问答</b>：用日常说法提问，我会引用中央八项规定、纪律处分条例、政务处分法、监察法、"
    "公务接待/差旅/公车等规定和刑法有关条文的原文，并注明出处。\n"
    "  例如：能开单位的车送孩子上学吗？\n"
    "• 私聊里直接发问题即可；在群里请用 /ask 问题，或 @我，或回复我的消息。\n"
    "• 可以接着上一个问题追问，例如“那春节呢？”。\n\n"
    "<b>隐私说明</b>：回答在本机检索完成，不联网、不调用大模型。我只在内存里短时记住本聊天的上一个问题，"
    "用来理解追问；没找到答案或被点 👎 的问题只记录问题文字和日期（不记录是谁、在哪个聊天问的），"
    "用于完善知识库。Telegram 本身知道您的账号与本机器人有过对话。\n\n"
    "回答仅供学习参考，具体问题以正式文件和组织认定为准。"
)

HELP = (
    "<b>用法</b>\n"
    "/ask 问题 — 提问（私聊、群聊都可用）\n"
    "私聊：直接发送问题\n"
    "群聊：/ask 问题，或 @我 提问，或回复我的消息\n"
    "追问：如“那春节呢？”“如果是下属送的呢？”，会结合上一个问题理解\n\n"
    "回答下方：📄 全文 查看所引条文的完整内容；👍 / 👎 告诉我们回答是否有用。\n\n"
    "提问时写清具体行为和身份效果更好，例如“党员干部收下属过节送的购物卡会受什么处分”。\n\n"
    "<b>节前廉洁提醒</b>\n"
    "/subscribe — 订阅：法定节假日前在本聊天发送廉洁提醒（群里需群管理员操作）\n"
    "/unsubscribe — 退订\n"
    "/reminders — 查看近期提醒安排\n"
    "/preview 节日 — 在本聊天预览下一条提醒的全文，例如 /preview 春节"
)

ASK_USAGE = "用法：/ask 问题，例如：/ask 能开单位的车送孩子上学吗"
NOT_CHINESE = "请用中文提问，例如：“能开单位的车送孩子上学吗？”\nPlease ask in Chinese."
TEXT_ONLY = "我目前只能回答文字问题，请把问题用文字发给我。"
THANKS = "感谢反馈！"
ALREADY_RATED = "已经收到过您对这个回答的反馈了。"

# Pre-holiday reminders (节前提醒)
PRIVATE_CHAT_TITLE = "私聊"  # how a private subscriber is listed for the operator
SUBSCRIBED = "已订阅节前廉洁提醒：每逢法定节假日前，我会在这里发送廉洁提醒。退订请发送 /unsubscribe。"
ALREADY_SUBSCRIBED = "本聊天已经订阅了节前廉洁提醒，无需重复订阅。退订请发送 /unsubscribe。"
UNSUBSCRIBED = "已退订节前廉洁提醒，今后不再向本聊天发送。想重新订阅请发送 /subscribe。"
NOT_SUBSCRIBED = "本聊天没有订阅节前廉洁提醒。订阅请发送 /subscribe。"
GROUP_ADMINS_ONLY = "抱歉，只有本群的管理员可以为本群订阅或退订节前提醒。"
NEXT_REMINDER = "下一次提醒：{when}，{title}。"
NO_UPCOMING = "近期没有安排提醒。"
REMINDERS_HEADER = "<b>近期节前廉洁提醒</b>"
HOLIDAY_DATES = "假期：{dates}"
ESTIMATED = "（估算日期）"
ESTIMATED_NOTE = "估算日期以国务院办公厅公布的放假安排为准，届时会自动更正。"
CHAT_SUBSCRIBED = "本聊天：已订阅。"
CHAT_NOT_SUBSCRIBED = "本聊天：未订阅，发送 /subscribe 订阅（群里需群管理员操作）。"
PREVIEW_HEADER = "预览（只在本聊天显示，不会群发）：{title}，计划于 {when} 发送给订阅的聊天，全文如下。"
PREVIEW_NOT_FOUND = "没有找到“{holiday}”的待发提醒。发送 /reminders 查看近期安排。"
BOT_ADMINS_ONLY = "抱歉，只有机器人管理员可以立即群发提醒。"
NO_SUBSCRIBERS = "目前没有订阅节前提醒的聊天，无需群发。"
BROADCAST_CONFIRM = (
    "立即群发下面这条提醒吗？\n"
    "<b>{title}</b>\n"
    "原定发送时间：{when}\n"
    "订阅的聊天：{count} 个（已收到这条提醒的聊天不会重复发送）"
)
CONFIRM_SEND = "确认发送"
CANCEL = "取消"
CANCELLED = "已取消。"
BROADCAST_STARTED = "已开始群发：{title}。发送完毕后会在这里告诉您结果。"
BROADCAST_DONE = (
    "群发完成：{title}\n成功 {sent} 个，失败 {failed} 个，退订 {unsubscribed} 个（机器人被移出或被屏蔽）。"
)
BROADCAST_NOTHING_NEW = "群发完成：{title}\n所有订阅的聊天此前都已收到这条提醒，本次没有重复发送。"
BROADCAST_MIGRATED = "另有 {migrated} 个群已升级为超级群，已改发到新群。"
BROADCAST_SKIPPED = "没有发送：{title}对应的假期已经开始。"
BROADCAST_GONE = "这条提醒已不在计划中（可能已改期），没有发送。请重新发送 /broadcast_now。"
BROADCAST_UNAVAILABLE = "提醒服务尚未启动，请稍后再试。"
BROADCAST_FAILED = "群发出错：{reason}"

COMMANDS_ZH = [
    ("start", "开始使用与隐私说明"),
    ("help", "使用帮助"),
    ("ask", "提问廉政法规问题"),
    ("subscribe", "订阅节前廉洁提醒"),
    ("unsubscribe", "退订节前廉洁提醒"),
    ("reminders", "查看近期提醒安排"),
    ("preview", "预览下一条提醒全文"),
]
COMMANDS_ADMIN = [("broadcast_now", "立即群发下一条节前提醒（管理员）")]
COMMANDS_DEFAULT = [
    ("start", "About Qingfeng and privacy"),
    ("help", "How to use the bot"),
    ("ask", "Ask a clean-governance question (in Chinese)"),
    ("subscribe", "Subscribe this chat to pre-holiday reminders"),
    ("unsubscribe", "Stop pre-holiday reminders in this chat"),
    ("reminders", "Upcoming pre-holiday reminders"),
    ("preview", "Preview the next reminder in full"),
]
