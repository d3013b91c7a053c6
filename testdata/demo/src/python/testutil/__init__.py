"""Helpers shared by this repository's tests."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Sequence


def run_main(main: Callable[[Sequence[str]], int], argv: Sequence[str]) -> tuple[int, str]:
    """Run a command-line `main(argv)` and return its exit code and everything it printed.

    `SystemExit` (raised by argparse for `--help`, `--version` and usage errors) is turned into
    its exit code.
    """
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue()
