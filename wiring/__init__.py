"""The wiring: settings, and the one factory that builds every service from them."""
