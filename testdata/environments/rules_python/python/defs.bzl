fail("graphpub evaluated //python:defs.bzl instead of serving it")
