# rules_python's real packaging.bzl holds the implementation of py_wheel: graphpub serves the
# label itself when the repository is rules_python, so this file is never evaluated.
fail("graphpub evaluated //python:packaging.bzl instead of serving it")
