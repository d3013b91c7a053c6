"""A Pants plugin."""
