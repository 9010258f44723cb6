"""Which lane of the bot's rate limiter a message takes (passed as ``rate_limit_args``; see bot/ratelimit.py)."""

from __future__ import annotations


class NoRetryLane(int):
    """Zero retries, but truthy: ExtBot silently drops a falsy ``rate_limit_args`` (``if not ...``)."""

    def __bool__(self) -> bool:
        """Always true, so ExtBot hands the value on to the limiter."""
        return True

    def __repr__(self) -> str:
        """Name it in PTB's debug log."""
        return "NO_RETRY"


# Pace the request but hand a RetryAfter straight back to the caller (broadcasts retry one chat later).
# A plain 0 would be dropped by ExtBot and reach the limiter as None, i.e. PTB's retry, which on every 429
# pauses all chats for retry_after and then lets the requests paced meanwhile out in one burst (found by
# bench/broadcast.py). A plain AIORateLimiter reads it as max_retries=0.
NO_RETRY: int = NoRetryLane(0)


class PriorityLane(int):
    """PTB's usual retries (3), marked so the limiter lets the request skip the queue."""

    def __repr__(self) -> str:
        """Name it in PTB's debug log."""
        return "PRIORITY"


# For the few messages a user is waiting on while the bot is busy (a report's receipt): they still count
# against 30 messages/s, but go before queued prompts and broadcasts.
PRIORITY: int = PriorityLane(3)
