"""Fixed Chinese texts of the bot (errors are worded in ``assistant.messages``)."""

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
    "/preview 节日 — 在本聊天预览下一条提醒的全文，例如 /preview 春节\n\n"
    "<b>匿名反映问题线索</b>（仅限私聊）\n"
    "/report — 分步填写并匿名提交问题线索，可附照片或文件\n"
    "/status — 凭回执码查询办理进度、查看回复、补充情况\n"
    "/cancel — 取消正在填写的内容"
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
BROADCAST_FAILED = "群发出错：{reason}"

COMMANDS_ZH = [
    ("start", "开始使用与隐私说明"),
    ("help", "使用帮助"),
    ("ask", "提问廉政法规问题"),
    ("subscribe", "订阅节前廉洁提醒"),
    ("unsubscribe", "退订节前廉洁提醒"),
    ("reminders", "查看近期提醒安排"),
    ("preview", "预览下一条提醒全文"),
    ("report", "匿名反映问题线索"),
    ("status", "凭回执码查询线索办理进度"),
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
    ("report", "Report a concern anonymously (in Chinese)"),
    ("status", "Follow a report with its receipt code"),
]

# Anonymous reports (匿名反映问题线索): /report and /status, private chats only
REPORT_IN_GROUP = (
    "为保护您的隐私，问题线索只在与我的私聊中受理，本群中不接收任何内容。请点这里在私聊中开始：{link}"
)
CODE_IN_GROUP = "请私聊机器人查询。为保护您，含回执码的消息已删除，请不要在群里发送回执码。"
DRAFT_EXPIRED = "草稿已过期，没有提交任何内容。如需反映问题线索，请重新发送 /report。"
STATUS_IN_GROUP = "请在与我的私聊中凭回执码查询，不要在群里发送回执码：{link}"
REPORT_INTRO = (
    "<b>匿名反映问题线索</b>\n"
    "共5步，可随时发送 /cancel 取消；{minutes}分钟没有操作，草稿会被丢弃。"
    "提交前您可以核对全部内容。\n\n"
    "第1步：请选择问题类别。"
)
REPORT_CATEGORY_CHOSEN = "问题类别：{category}"
REPORT_CHOOSE_CATEGORY = "请点上方按钮选择问题类别，或发送 /cancel 取消。"
REPORT_SKIP = "跳过"
REPORT_DONE = "完成"
REPORT_ASK_SUBJECT = (
    "第2步：被反映的单位或人员（可选，不超过{limit}字）。请直接输入，没有或不便填写请点“跳过”。"
)
REPORT_ASK_DETAILS = (
    "第3步：请写清发生了什么（必填，{minimum}至{maximum}字）：谁、做了什么、涉及的金额或物品、"
    "有无其他知情人等。"
)
REPORT_ASK_WHEN_WHERE = "第4步：发生的时间和地点（可选，不超过{limit}字）。请直接输入，或点“跳过”。"
REPORT_ASK_EVIDENCE = (
    "第5步：证据材料（可选）。可发送照片或文件，最多{count}个，每个不超过{mb}MB。{supported}\n"
    "照片和文件中的拍摄位置、设备、作者等元数据会被清除。发送完毕请点“完成”；没有材料请点“跳过”。"
)
REPORT_TEXT_EXPECTED = "这一步请直接输入文字（不接收贴纸、语音、位置等），或发送 /cancel 取消。"
REPORT_FORWARDED = "为保护您和他人，不接收转发的消息。请把要说的内容直接输入成文字。"
REPORT_EVIDENCE_TEXT = "这一步请发送照片或文件；发送完毕请点“完成”，没有材料请点“跳过”。"
REPORT_EVIDENCE_UNSUPPORTED = "这类消息不能作为证据材料。{supported}"
REPORT_ATTACHMENT_ADDED = "已收到第{number}个附件（最多{count}个）。可继续发送，发送完毕请点“完成”。"
REPORT_ATTACHMENT_WARNING = "注意：这个文件的元数据未能完全清除，文件内容本身也可能含有能识别您的信息。"
REPORT_CAPTION_IGNORED = "附件的说明文字不会保存；需要说明的情况请写在第3步中。"
REPORT_ATTACHMENT_REJECTED = (
    "{reason}\n这个文件没有收下，已填写的内容仍然保留。可以换一个文件，或点“完成”继续。"
)
REPORT_TOO_MANY_ATTACHMENTS = "最多只能附{count}个附件，这个文件没有收下。请点“完成”继续。"
REPORT_STILL_DOWNLOADING = "还有附件正在接收，请稍候再点。"
REPORT_NOT_GIVEN = "（未填写）"
REPORT_SUMMARY = (
    "<b>请核对要提交的内容</b>\n"
    "问题类别：{category}\n"
    "被反映的单位或人员：{subject}\n"
    "时间地点：{when_where}\n"
    "证据材料：{attachments}个\n"
    "问题情况：\n{details}"
)
REPORT_SUMMARY_CUT = "……（共{length}字，以上为节选，提交的是全文）"
REPORT_PRIVACY = (
    "<b>提交前请了解</b>\n"
    "• 清风保存的只有：问题类别、您填写的文字、清除了元数据的附件，以及提交日期（只记到哪一天）。"
    "内容加密后才存储，存下的数据只有审阅人员的密钥能打开，拿到数据库文件的人也读不出。"
    "但内容在加密前会经过机器人程序：能改动服务器程序的人，可以让之后提交的内容在加密前被记录。\n"
    "• 不保存您的 Telegram 账号、用户名、姓名、聊天或消息编号，也不保存转发来源。\n"
    "• 为防止滥用，每人每天最多提交{per_day}条；计数用每天更换、只在内存中的密钥处理，不能还原出账号。\n"
    "• 提交后我会在 Telegram 允许的范围内删除本次对话中的消息，并给您一个回执码，凭它查询进度、补充情况。\n"
    "• 但 Telegram 本身知道这个账号与本机器人有过对话。如有顾虑，请使用不与您身份关联的账号。"
)
REPORT_CONFIRM = "确认提交"
REPORT_CANCEL = "取消"
REPORT_CONFIRM_EXPECTED = "请点上方的“确认提交”或“取消”。"
REPORT_SUBMITTING = "正在加密提交……"
REPORT_RECEIPT = (
    "<b>已提交，感谢您的反映。</b>\n\n"
    "回执码：<code>{code}</code>\n\n"
    "回执码只显示这一次，本机不保存，遗失后无法找回，请抄写妥善保存（本消息不能转发）。\n"
    "发送 /status 并输入回执码，可查看办理进度（已受理 / 核查中 / 已办结）、审阅人员的回复，并补充情况。"
)
REPORT_NOT_SUBMITTED = "没有提交：{reason}"
REPORT_CANCELLED = "已取消，草稿已丢弃，没有提交任何内容。"
REPORT_TIMEOUT = "{minutes}分钟没有操作，草稿已丢弃，没有提交任何内容。需要时请重新发送 /report。"
REPORT_BUSY = "您正在填写问题线索。请先完成当前步骤，或发送 /cancel 取消。"
REPORT_STALE_BUTTON = "这个按钮已失效。"
REPORT_EDIT_IGNORED = "修改已发送的消息不会改动已填写的内容。如需更正，请发送 /cancel 后重新开始。"
REPORT_DRAFT_DISCARDED = "之前未提交的问题线索草稿已丢弃。"
REPORT_DRAFT_GONE = "这次操作已失效（可能已超时），请重新发送 /report 或 /status。"
NOTHING_TO_CANCEL = "当前没有正在进行的操作。"
STATUS_ASK_CODE = (
    "请发送您的回执码（形如 7KQ2-M9XD-4HTV-Z0CB-1NRW）。读取后我会立即删除这条消息。发送 /cancel 取消。"
)
STATUS_CODE_EXPECTED = "请用文字发送回执码，或发送 /cancel 取消。"
STATUS_WRONG_CODE = "{reason}\n请直接重新发送回执码再试；其他消息会照常当作问题回答。"
STATUS_VIEW = "<b>办理进度：{status}</b>\n提交日期：{day}"
# Replies or a status change that no listed reviewer signed: someone other than the reviewers wrote them.
STATUS_UNVERIFIED = (
    "⚠ 有 {count} 条记录未通过审阅人签名核验，已隐藏。请勿按任何索要身份或联系方式的信息操作；"
    "审阅人员不会向您询问姓名、电话。"
)
STATUS_ADDITIONS = "您已补充情况 {count} 次。"
STATUS_REPLIES_HEADER = "<b>审阅人员的回复</b>"
STATUS_REPLY = "{day}：\n{text}"
STATUS_NO_REPLIES = "暂无审阅人员的回复。"
STATUS_ADD = "补充情况"
STATUS_DONE = "结束"
STATUS_BUTTONS_EXPECTED = "请点上方的“补充情况”或“结束”。"
STATUS_ASK_ADDITION = (
    "请直接输入要补充的情况（文字，不超过{limit}字）。内容同样加密，只有审阅人员能看到。发送 /cancel 取消。"
)
STATUS_ADDED = "已补充，审阅人员会看到。可随时发送 /status 查看进度。"
STATUS_ENDED = "已结束查询。"
STATUS_CANCELLED = "已取消查询。"
STATUS_TIMEOUT = "{minutes}分钟没有操作，查询已结束。需要时请重新发送 /status。"
STATUS_BUSY = "您正在查询线索。请先完成当前步骤，或发送 /cancel 取消。"
