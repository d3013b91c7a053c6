"""Finds the runfiles of a Bazel-built program (a stand-in for the real module)."""

from .runfiles import *  # noqa: F403
