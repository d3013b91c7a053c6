"""The machine graphpub runs on, as select() conditions see it (prelude/host_conditions.toml).

Bazel builds for the host's platform unless `--platforms` says otherwise, so
`select({"@bazel_tools//src/conditions:linux_x86_64": ...})` takes that branch on such a
machine; Buck2's prelude does the same with its `config//os:linux`. graphpub follows them:
a condition of the host holds, after those `--condition` and `--define` choose.
"""

from __future__ import annotations

import platform
import sys
from functools import cache
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

_CPUS = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "aarch64": "aarch64",
    "arm64": "aarch64",
    "i386": "x86_32",
    "i686": "x86_32",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


def host_platform() -> tuple[str, str]:
    """The host's OS and CPU as @platforms names them (`linux`, `x86_64`)."""
    if sys.platform.startswith("linux"):
        os_name = "linux"
    elif sys.platform == "darwin":
        os_name = "osx"
    elif sys.platform == "win32":
        os_name = "windows"
    else:
        os_name = sys.platform.rstrip("0123456789")
    machine = platform.machine().lower()
    return os_name, _CPUS.get(machine, machine)


@cache
def host_conditions() -> frozenset[str]:
    """The condition labels that hold on this machine."""
    text = (
        resources.files("graphpub.buildgraph").joinpath("prelude").joinpath("host_conditions.toml")
    )
    table = tomllib.loads(text.read_text("utf-8"))
    os_name, cpu = host_platform()
    labels = [label.format(os=os_name, cpu=cpu) for label in table["every"]]
    labels += table["hosts"].get(f"{os_name}-{cpu}", {}).get("labels", [])
    return frozenset(labels)


def canonical_condition(label: str) -> str:
    """A condition label as host_conditions() writes it (`@@platforms//os:linux` is
    `@platforms//os:linux`)."""
    return "@" + label[2:] if label.startswith("@@") else label
