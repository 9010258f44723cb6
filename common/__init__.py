"""What every package shares and nothing else: the one clock, a cross-process file lock. Imports nothing of Qingfeng."""
