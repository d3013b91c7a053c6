"""Adds `release_channel` to python_sources (a plugin of the repository)."""
