"""Locates data files a Bazel-built program depends on (a stand-in: only its shape matters)."""

import os


def Create(env=None):  # noqa: N802 - the real module's name
    """A runfiles object for this program, or None when it has no runfiles."""
    env = os.environ if env is None else env
    directory = env.get("RUNFILES_DIR")
    return _Runfiles(directory) if directory else None


class _Runfiles:
    def __init__(self, directory):
        self._directory = directory

    def Rlocation(self, path):  # noqa: N802 - the real module's name
        return os.path.join(self._directory, path)
