"""Telegram handlers (thin: parse, call one service, render)."""
