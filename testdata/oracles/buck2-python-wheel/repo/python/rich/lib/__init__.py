"""my_rich."""
