"""Settings, service assembly and the command line."""
