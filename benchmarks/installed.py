"""graphpub timed as users run it: from compiled bytecode.

`pip install` compiles a package's modules to bytecode, and Python writes it on first import
otherwise. A machine with `PYTHONDONTWRITEBYTECODE` set (CI images often set it) would
instead compile every module of graphpub again in every timed process, about 0.1 s a start,
which no user pays. The benchmarks unset it for the processes they time and compile graphpub
once, up front.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def as_installed(graphpub: str) -> None:
    """Unset `PYTHONDONTWRITEBYTECODE` for the processes started from here on, and compile
    the graphpub that the `graphpub` executable at that path runs."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    python = Path(graphpub).parent / "python"
    code = (
        "import compileall, graphpub, os; "
        "compileall.compile_dir(os.path.dirname(graphpub.__file__), quiet=1)"
    )
    subprocess.run([str(python) if python.exists() else "python3", "-c", code], check=True)
