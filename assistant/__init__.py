"""Services every channel shares, Telegram-free: conversations, reviewer notices, scheduled jobs, error texts."""
