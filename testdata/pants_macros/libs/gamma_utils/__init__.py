"""Gamma utilities."""
