"""alpha."""

__version__ = "3.10dev"
