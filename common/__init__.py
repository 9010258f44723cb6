"""What every package shares and nothing else: the one clock. Imports nothing of Qingfeng."""
