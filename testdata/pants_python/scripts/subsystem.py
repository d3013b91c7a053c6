"""Runs the scripts."""
