"""Small Pants monorepos for publishing tests: a chain of distributions, each needing the one
before it (`chain-p1` imports `p0`, and so on), all going to the same repositories."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def chain_repo(
    root: Path,
    repositories: Sequence[str],
    *,
    count: int = 3,
    name: str = "chain",
    config: str = "",
    pypirc: str | None = None,
) -> Path:
    """Write the monorepo at `root`: `count` distributions `NAME-p0` … listing `repositories`,
    `config` as its graphpub.toml and `pypirc` as its .pypirc."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pants.toml").write_text(
        '[source]\nroot_patterns = ["/"]\n\n[python]\ninterpreter_constraints = [">=3.9"]\n',
        encoding="utf-8",
    )
    (root / "graphpub.toml").write_text(config, encoding="utf-8")
    if pypirc is not None:
        (root / ".pypirc").write_text(pypirc, encoding="utf-8")
    listed = ", ".join(f'"{r}"' for r in repositories)
    for index in range(count):
        package = root / f"p{index}"
        package.mkdir(exist_ok=True)
        imports = f"import p{index - 1}\n" if index else ""
        (package / "__init__.py").write_text(f"{imports}VALUE = {index}\n", encoding="utf-8")
        (package / "BUILD").write_text(
            "python_sources()\n"
            f'python_distribution(name="dist", dependencies=[":p{index}"],\n'
            f'    provides=python_artifact(name="{name}-p{index}", version="1.0",\n'
            f'        description="Link {index} of the chain."),\n'
            f"    repositories=[{listed}])\n",
            encoding="utf-8",
        )
    return root


def chain_files(count: int = 3, name: str = "chain") -> set[str]:
    """The file names `chain_repo` distributions build to."""
    return {
        file
        for index in range(count)
        for file in (f"{name}_p{index}-1.0-py3-none-any.whl", f"{name}_p{index}-1.0.tar.gz")
    }
