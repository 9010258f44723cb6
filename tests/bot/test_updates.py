"""The update processor: one person's updates in a chat in order, everyone else's concurrently."""

from __future__ import annotations

import asyncio
import datetime as dt

from telegram import Chat, Message, Update, User

from bot.updates import SenderOrderedProcessor, sender_key

NOW = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)


def update(n: int, user: int | None, chat: int = 1) -> Update:
    """A text message update from ``user`` (None: a channel post, which has no sender)."""
    sender = User(user, "测试", is_bot=False) if user is not None else None
    kind = Chat.PRIVATE if user is not None else Chat.CHANNEL
    message = Message(n, NOW, Chat(chat, kind), from_user=sender, text=f"m{n}")
    if user is None:
        return Update(n, channel_post=message)
    return Update(n, message=message)


async def run(processor: SenderOrderedProcessor, plan: list[tuple[Update, str]]) -> list[str]:
    """Process the updates as the application does (one task each, in order); what ran when.

    The first update waits until the last one has run, so an update that did not wait for it runs in between.
    """
    log: list[str] = []
    gate = asyncio.Event()

    async def first(name: str) -> None:
        log.append(f"{name} start")
        await gate.wait()
        log.append(f"{name} end")

    async def other(name: str, last: bool) -> None:
        log.append(name)
        if last:
            gate.set()

    coroutines = [first(plan[0][1])] + [
        other(name, i == len(plan) - 2) for i, (_, name) in enumerate(plan[1:])
    ]
    tasks = [
        asyncio.create_task(processor.process_update(u, c))
        for (u, _), c in zip(plan, coroutines, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    return log


async def test_one_persons_updates_wait_for_each_other_and_others_do_not() -> None:
    processor = SenderOrderedProcessor(256)
    log = await run(processor, [(update(1, 7), "a"), (update(2, 7), "a2"), (update(3, 8), "b")])
    # b (another person) ran while a waited; a2 (a's next message) only after a had finished.
    assert log == ["a start", "b", "a end", "a2"]
    assert processor.senders == 0


async def test_the_same_person_in_another_chat_is_not_held_up() -> None:
    processor = SenderOrderedProcessor(256)
    log = await run(processor, [(update(1, 7, chat=1), "a"), (update(2, 7, chat=-100), "group")])
    assert log == ["a start", "group", "a end"]


async def test_a_flood_beyond_the_queue_limit_is_processed_unordered() -> None:
    processor = SenderOrderedProcessor(256, max_queued=2)
    plan = [(update(1, 7), "a"), (update(2, 7), "a2"), (update(3, 7), "a3")]
    log = await run(processor, plan)
    # a and a2 fill the person's queue; a3 does not wait (nor take a slot for long).
    assert log == ["a start", "a3", "a end", "a2"]
    assert processor.senders == 0


async def test_updates_without_a_sender_are_not_ordered() -> None:
    processor = SenderOrderedProcessor(256)
    log = await run(processor, [(update(1, None), "post"), (update(2, None), "post2")])
    assert log == ["post start", "post2", "post end"]
    assert sender_key(update(1, None)) is None and sender_key(update(2, 7, chat=5)) == (5, 7)


async def test_a_failing_update_releases_the_next_one() -> None:
    processor = SenderOrderedProcessor(256)

    async def boom() -> None:
        raise RuntimeError("handler failed")

    async def fine() -> str:
        return "ok"

    failed = asyncio.create_task(processor.process_update(update(1, 7), boom()))
    after = asyncio.create_task(processor.process_update(update(2, 7), fine()))
    done = await asyncio.wait_for(asyncio.gather(failed, after, return_exceptions=True), 10)
    assert isinstance(done[0], RuntimeError) and done[1] is None
    assert processor.senders == 0
