"""Analyzes."""
