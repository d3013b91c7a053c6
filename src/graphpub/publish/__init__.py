"""Packaging and publishing of the distributions in the target graph."""
