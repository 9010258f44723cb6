"""Pre-holiday reminders (节前提醒): calendar, planner, broadcast."""
