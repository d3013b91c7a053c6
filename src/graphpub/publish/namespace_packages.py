"""pkg_resources-style namespace packages, as Pants' generated setup.py declares them and
setuptools builds their wheel.

Pants gives setup() `namespace_packages=`: every package of the distribution whose
`__init__.py` calls `declare_namespace(__name__)` (package_dists.py find_packages and
declares_pkg_resources_namespace_package). setuptools' wheel then leaves out the `__init__.py`
of each such package and of the packages above it (install_lib.get_exclusions), and holds
`NAME-VERSION-pyX.Y-nspkg.pth`, one line per package and parent that makes it a namespace when
site-packages is read (namespaces.Installer), and `.dist-info/namespace_packages.txt`
(egg_info.write_arg). So distributions sharing a namespace install side by side, and
uninstalling one leaves the others whole.

The `.pth` lines are those of the setuptools Pants runs, which changed in setuptools 70; its
name holds the version of the Python Pants runs it with: Pex takes the lowest one the
distribution's interpreter constraints admit.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from graphpub.buildgraph.config import Config

# The setuptools each Pants release runs by default (its `[setuptools]` lockfile), newest
# release first: 2.24 moved from `setuptools>=63.1.0,<64.0` to `setuptools>=70.0`.
_PANTS_SETUPTOOLS = (
    ((2, 24), "setuptools>=70.0"),
    ((2, 0), "setuptools>=63.1.0,<64.0"),
)
# setuptools 70 wrote the `.pth` lines without their Python < 3.5 fallback.
_MODERN_SETUPTOOLS = Version("70")
# The oldest Python each setuptools runs on: below it Pants cannot run setup.py.
_OLDEST_PYTHON = {False: (3, 7), True: (3, 8)}
_PYTHONS = ((2, 7), *((3, minor) for minor in range(40)))

_ROOT = "sys._getframe(1).f_locals['sitedir']"
_LINES_BEFORE_70 = (
    "import sys, types, os",
    "has_mfs = sys.version_info > (3, 5)",
    "p = os.path.join(%(root)s, *%(pth)r)",
    "importlib = has_mfs and __import__('importlib.util')",
    "has_mfs and __import__('importlib.machinery')",
    "m = has_mfs and sys.modules.setdefault(%(pkg)r, importlib.util.module_from_spec("
    "importlib.machinery.PathFinder.find_spec(%(pkg)r, [os.path.dirname(p)])))",
    "m = m or sys.modules.setdefault(%(pkg)r, types.ModuleType(%(pkg)r))",
    "mp = (m or []) and m.__dict__.setdefault('__path__',[])",
    "(p not in mp) and mp.append(p)",
)
_LINES = (
    "import sys, types, os",
    "p = os.path.join(%(root)s, *%(pth)r)",
    "importlib = __import__('importlib.util')",
    "__import__('importlib.machinery')",
    "m = sys.modules.setdefault(%(pkg)r, importlib.util.module_from_spec("
    "importlib.machinery.PathFinder.find_spec(%(pkg)r, [os.path.dirname(p)])))",
    "m = m or sys.modules.setdefault(%(pkg)r, types.ModuleType(%(pkg)r))",
    "mp = (m or []) and m.__dict__.setdefault('__path__',[])",
    "(p not in mp) and mp.append(p)",
)
_LINE_OF_A_CHILD = "m and setattr(sys.modules[%(parent)r], %(child)r, m)"


@dataclass(frozen=True)
class Namespaces:
    """A distribution's namespace packages, and what they change in its wheel."""

    packages: tuple[str, ...]
    """As setup() gets them (dotted names, sorted)."""
    left_out: tuple[str, ...]
    """The staged `__init__.py` files the wheel does not hold."""
    wheel_files: tuple[tuple[str, str], ...]
    """(path in the wheel, text): the `-nspkg.pth` and `.dist-info/namespace_packages.txt`."""


def declares_namespace(source: bytes) -> bool:
    """Whether a module calls `declare_namespace(__name__)` (as a name or an attribute:
    `__import__('pkg_resources').declare_namespace(__name__)`), as Pants tells; code that
    does not parse declares nothing."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        called = (isinstance(function, ast.Attribute) and function.attr == "declare_namespace") or (
            isinstance(function, ast.Name) and function.id == "declare_namespace"
        )
        arguments = tuple(a.id for a in node.args if isinstance(a, ast.Name))
        if called and len(node.args) == 1 and arguments == ("__name__",):
            return True
    return False


def namespaces(
    config: Config,
    name: str,
    version: str,
    payload: Mapping[str, bytes],
    requires_python: str | None,
) -> Namespaces | None:
    """The namespace packages of the distribution `name` `version` whose staged files (by
    path in the distribution) are `payload`, built for `requires_python` (its interpreter
    constraints); None when it declares none."""
    packages = {posixpath.dirname(p).replace("/", ".") for p in payload if p.endswith(".py")}
    declared = tuple(
        sorted(
            package
            for package in packages
            if package and declares_namespace(payload.get(_init_of(package), b""))
        )
    )
    if not declared:
        return None
    every = sorted({parent for package in declared for parent in _and_parents(package)})
    left_out = tuple(p for p in map(_init_of, every) if p in payload)
    modern = _runs_modern_setuptools(config)
    python = _python(requires_python, _OLDEST_PYTHON[modern])
    template = _LINES if modern else _LINES_BEFORE_70
    lines = "".join(_pth_line(package, template) for package in every)
    pth = f"{_egg_basename(name, version, python, modern)}-nspkg.pth"
    dist_info = f"{_file_name_component(canonicalize_name(name))}-{version}.dist-info"
    files = ((pth, lines), (f"{dist_info}/namespace_packages.txt", "\n".join(declared) + "\n"))
    return Namespaces(declared, left_out, files)


def _init_of(package: str) -> str:
    return package.replace(".", "/") + "/__init__.py"


def _and_parents(package: str) -> Iterator[str]:
    """`a.b.c`, `a.b`, `a`."""
    while package:
        yield package
        package = package.rpartition(".")[0]


def _pth_line(package: str, template: tuple[str, ...]) -> str:
    parent, _, child = package.rpartition(".")
    lines = (*template, _LINE_OF_A_CHILD) if parent else template
    values = {"root": _ROOT, "pth": tuple(package.split(".")), "pkg": package}
    values.update(parent=parent, child=child)
    return ";".join(lines) % values + "\n"


def _runs_modern_setuptools(config: Config) -> bool:
    """Whether the setuptools Pants runs is 70 or later: `[setuptools]`'s requirement when
    pants.toml gives one as text (a lockfile's pin is not read), else the default of the
    repository's Pants release (the newest setuptools when that is unknown)."""
    written = [r for r in map(_setuptools_requirement, config.setuptools_requirements) if r]
    if written:
        return _newest_allowed_is_modern(written[0].specifier)
    match = re.match(r"(\d+)\.(\d+)", config.pants_version or "")
    if match is None:
        return True
    release = (int(match.group(1)), int(match.group(2)))
    for first, requirement in _PANTS_SETUPTOOLS:
        if release >= first:
            return _newest_allowed_is_modern(Requirement(requirement).specifier)
    return False


def _setuptools_requirement(text: str) -> Requirement | None:
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None  # the address of a requirement target
    return requirement if canonicalize_name(requirement.name) == "setuptools" else None


def _newest_allowed_is_modern(specifier: SpecifierSet) -> bool:
    """Whether the newest setuptools `specifier` admits is 70 or later."""
    pinned = [s.version for s in specifier if s.operator in ("==", "===") and "*" not in s.version]
    if pinned:
        try:
            return Version(pinned[0]) >= _MODERN_SETUPTOOLS
        except InvalidVersion:
            return True
    return any(specifier.contains(v) for v in (str(_MODERN_SETUPTOOLS), "999"))


def _python(requires_python: str | None, oldest: tuple[int, int]) -> str:
    """`X.Y`: the lowest Python the constraints admit (Pex's choice among those installed),
    not older than setuptools runs on."""
    try:
        specifier = SpecifierSet(requires_python or "")
    except InvalidSpecifier:
        specifier = SpecifierSet()
    admitted = [
        python
        for python in _PYTHONS
        if any(specifier.contains(f"{python[0]}.{python[1]}.{patch}") for patch in range(40))
    ]
    chosen = next((p for p in admitted if p >= oldest), admitted[0] if admitted else oldest)
    return f"{chosen[0]}.{chosen[1]}"


def _egg_basename(name: str, version: str, python: str, modern: bool) -> str:
    """setuptools' name of the installed .egg-info, which the `.pth` file is named after."""
    if modern:  # setuptools._normalization: safe_name, then filename_component
        project = re.sub(r"[^A-Z0-9._-]+", "-", name, flags=re.IGNORECASE)
        project = project.replace("-", "_").strip("_")
        release = version.replace("-", "_").strip("_")
    else:  # pkg_resources: safe_name, then to_filename
        project = re.sub(r"[^A-Za-z0-9.]+", "-", name).replace("-", "_")
        release = version.replace("-", "_")
    return f"{project}-{release}-py{python}"


def _file_name_component(name: str) -> str:
    """hatchling's name of the wheel's .dist-info (PEP 427 escaping)."""
    return re.sub(r"[^\w\d.]+", "_", name, flags=re.UNICODE)
