"""`.graphpub/`, graphpub's working directory below the build root (caches, staging).

It holds a `.gitignore` of `*`, as tools such as pytest and mypy do for their caches, so that
it never shows up as untracked, whatever the repository's own `.gitignore` says."""

from __future__ import annotations

import os
from pathlib import Path

NAME = ".graphpub"


def work_directory(root: Path, *parts: str) -> Path:
    """`root/.graphpub/parts...`, made if missing, with the `.gitignore` in place."""
    base = root / NAME
    base.mkdir(exist_ok=True)
    try:  # exclusive create: concurrent runs write it once, and never half of it
        descriptor = os.open(base / ".gitignore", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write("# Made by graphpub: its caches and staging, never committed.\n*\n")
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
