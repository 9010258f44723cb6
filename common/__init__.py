"""What every package shares and nothing else: the one clock, a cross-process file lock, files and folders
written whole or not at all. Imports nothing of Qingfeng."""
