"""The alpha component."""
