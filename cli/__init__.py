"""The ``qingfeng`` command line (click): each command asks the service factory for what it needs."""
