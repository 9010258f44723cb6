"""Exit codes of the ``qingfeng`` command."""

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
