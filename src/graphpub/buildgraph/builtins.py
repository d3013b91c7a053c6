"""The functions build files call besides rules: Bazel's and Buck2's native builtins.

`glob`, `select`, `package`, `package_name`, `repository_name`, `exports_files`,
`existing_rule(s)`, `read_config`, `print`, and the reading of a file below the root that
Python's `open()` in Pants BUILD files and macros becomes; each is a callback into graphpub,
reviewed (the set is pinned by a test), acting on the package being evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from graphpub.buildgraph import starlark_errors
from graphpub.buildgraph.address import Address, parse_address
from graphpub.buildgraph.budget import Limits
from graphpub.buildgraph.config import Config, Dialect
from graphpub.buildgraph.files import FileTree, GlobPatternError
from graphpub.buildgraph.host import canonical_condition, host_conditions
from graphpub.buildgraph.source_reader import SourceReader
from graphpub.buildgraph.target import Target, thaw
from graphpub.errors import AddressError, BuildFileError

if TYPE_CHECKING:
    from graphpub.buildgraph.evaluator import Package, PackageState

DEFAULT_CONDITIONS = frozenset(
    {"//conditions:default", "@bazel_tools//conditions:default", "DEFAULT"}
)
# print() calls shown per evaluated file: a loop printing floods no CI log.
MAX_PRINTS_PER_FILE = 1000
# Characters of one print() message shown: a file printing a huge value floods no CI log.
MAX_PRINTED_CHARACTERS = 4000


class Evaluation(Protocol):
    """What the builtins act on: the packages under evaluation (`Evaluator`)."""

    config: Config
    tree: FileTree
    limits: Limits

    @property
    def stack(self) -> Sequence[PackageState]: ...

    def current(self, what: str) -> PackageState: ...

    def package(self, directory: str) -> Package | None: ...

    def warn(self, message: str, key: str | None = None) -> None: ...


class NativeBuiltins:
    """The native builtins, bound to the evaluation whose current package they act on."""

    def __init__(self, evaluator: Evaluation, reader: SourceReader) -> None:
        self._evaluator = evaluator
        self._reader = reader
        self._config = evaluator.config
        self._given: frozenset[Address] | None = None

    def functions(self) -> dict[str, Callable[..., object]]:
        return {
            "glob": self.glob,
            "select": self.select,
            "package": self.package,
            "package_name": self.package_name,
            "repository_name": self.repository_name,
            "exports_files": self.exports_files,
            "existing_rule": self.existing_rule,
            "existing_rules": self.existing_rules,
            "licenses": self.ignore_call,
            "oncall": self.ignore_call,
            "read_config": self.read_config,
            "get_cell_name": self.get_cell_name,
            "python_read_file__": self.read_file,
            "_print": self.print,
        }

    def _current(self, what: str) -> PackageState:
        return self._evaluator.current(what)

    def glob(
        self,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        exclude_directories: int = 1,
        allow_empty: bool = True,
    ) -> list[str]:
        state = self._current("glob()")
        for argument, value in (("include", include), ("exclude", exclude)):
            if isinstance(value, str) or not all(isinstance(p, str) for p in value):
                raise BuildFileError(
                    f"glob(): '{argument}' must be a list of strings",
                    hint='write glob(["*.py"]), not glob("*.py")'
                    if argument == "include"
                    else None,
                )
        try:
            matches = self._evaluator.tree.glob(
                state.directory,
                list(include),
                list(exclude),
                bool(exclude_directories),
                check=self._evaluator.limits.check_time,
            )
        except GlobPatternError as e:
            raise BuildFileError(f"glob(): {e}") from None
        if not matches and not allow_empty:
            raise BuildFileError(
                f"glob({list(include)!r}) matched no files and allow_empty = False",
                hint="check the patterns, which are relative to the build file's directory",
            )
        return matches

    def select(self, conditions: Mapping[str, object], no_match_error: str = "") -> object:
        state = self._current("select()")
        if not isinstance(conditions, Mapping):
            raise BuildFileError("select() takes a dict of {condition label: value}")
        for key, value in conditions.items():
            if key not in DEFAULT_CONDITIONS and self._condition_holds(key, state):
                return value
        for key, value in conditions.items():  # the host's platform, as Bazel and Buck2 build
            if isinstance(key, str) and canonical_condition(key) in host_conditions():
                return value
        for key in DEFAULT_CONDITIONS:
            if key in conditions:
                return conditions[key]
        if not conditions:
            raise BuildFileError("select() needs at least one condition")
        # Bazel always has some configuration; graphpub has none unless told: take the first
        # branch, as a build for that condition would, and say how to take another.
        first = next(iter(conditions))
        default = "DEFAULT" if state.dialect is Dialect.BUCK2 else "//conditions:default"
        self._evaluator.warn(
            f"{state.build_file}: no select() condition holds and there is no "
            f"{default}: using {first!r} (choose with --condition LABEL)",
            key=f"select:{state.build_file}:{','.join(conditions)}",
        )
        return conditions[first]

    def _condition_holds(self, key: str, state: PackageState) -> bool:
        try:
            wanted = parse_address(key, relative_to=state.directory).directory_address
        except AddressError:
            return False
        if wanted in self._given_conditions():
            return True
        if wanted.directory == state.directory:
            setting = state.package.targets.get(wanted) or state.package.setting_hints.get(wanted)
            if setting is None:
                if state.package.deferred_conditions is None:
                    state.package.deferred_conditions = set()
                state.package.deferred_conditions.add(wanted)
        else:
            package = self._evaluator.package(wanted.directory)
            setting = package.targets.get(wanted) if package else None
        return self.setting_holds(setting)

    def setting_holds(self, setting: Target | None) -> bool:
        """Whether a config_setting matches the --define values and, for its
        `constraint_values`, the host's platform (or the conditions given)."""
        if setting is None or setting.kind != "config_setting":
            return False
        defines = self._config.defines
        required = dict(setting.fields.get("define_values") or {})
        values = setting.fields.get("values") or {}
        if "define" in values:
            key_, _, value_ = str(values["define"]).partition("=")
            required[key_] = value_
        constraints = [str(c) for c in setting.fields.get("constraint_values") or ()]
        return (
            bool(required or constraints)
            and all(defines.get(k) == v for k, v in required.items())
            and all(self._constraint_holds(c, setting.address.directory) for c in constraints)
        )

    def _constraint_holds(self, label: str, directory: str) -> bool:
        """A constraint value the host has, or one of the conditions given."""
        if canonical_condition(label) in host_conditions():
            return True
        try:
            wanted = parse_address(label, relative_to=directory).directory_address
        except AddressError:
            return False
        return wanted in self._given_conditions()

    def _given_conditions(self) -> frozenset[Address]:
        """The --condition / `conditions` labels, parsed once."""
        if self._given is None:
            self._given = frozenset(
                parse_address(c).directory_address for c in self._config.conditions
            )
        return self._given

    def package(self, **kwargs: object) -> None:
        state = self._current("package()")
        state.package.settings.update(kwargs)

    def package_name(self) -> str:
        return self._current("package_name()").directory

    def repository_name(self) -> str:
        self._current("repository_name()")
        return "@"

    def exports_files(self, srcs: Sequence[str], *args: object, **kwargs: object) -> None:
        state = self._current("exports_files()")
        if isinstance(srcs, str) or not all(isinstance(s, str) for s in srcs):
            raise BuildFileError("exports_files() takes a list of file names")
        state.package.settings.setdefault("exports_files", []).extend(srcs)

    def existing_rules(self) -> dict[str, dict[str, object]]:
        state = self._current("native.existing_rules()")
        return {
            t.address.name: _rule_attributes(t)
            for t in state.package.targets.values()
            if not (t.address.file or t.address.generated)
        }

    def existing_rule(self, name: str) -> dict[str, object] | None:
        return self.existing_rules().get(name)

    def read_config(self, section: str, key: str, default: object = None) -> object:
        """Buck2's read_config(): a value of the configuration of the cell being evaluated
        (its `.buckconfig` files), else the default."""
        state = self._current("read_config()")
        if self._config.buck2 is None:
            return default
        config = self._config.buck2.cell_of(state.directory).config
        return config.get(section, {}).get(key, default)

    def get_cell_name(self) -> str:
        """Buck2's get_cell_name(): the name `[cells]` gives the cell of the package being
        evaluated (not an alias of it: `root` only where the root cell is named so)."""
        state = self._current("get_cell_name()")
        if self._config.buck2 is None:
            return "root"
        return self._config.buck2.cell_of(state.directory).name

    def read_file(self, path: str) -> str:
        """The text of a file below the build root, for Python's `open()` in a Pants BUILD file
        or macro (prelude/python_compat.bzl): relative to the root, as Pants runs them there,
        and never outside it (an absolute path, `..`, a symlink out are refused)."""
        stack = self._evaluator.stack
        if stack and stack[-1].dialect not in (Dialect.PANTS, Dialect.GRAPHPUB):
            raise BuildFileError(
                "only Pants BUILD files and macros, which are Python, may read files",
                hint="Bazel and Buck2 build files read no files: write the value in the file",
            )
        if not isinstance(path, str):
            raise BuildFileError(f"open() takes a path string, got {type(path).__name__}")
        data = self._reader.read_bytes(path, what="opened file")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BuildFileError(
                f"open({path!r}): the file is not UTF-8 text (byte 0x{data[e.start]:02x} at "
                f"offset {e.start})",
                hint="open() in BUILD files reads UTF-8 text only",
            ) from None

    def print(self, encoded_call: str) -> None:
        """print(), as Bazel shows it: `DEBUG path:LINE: message`, once per call site and
        message for each build file (so also once for a `.bzl` file's top level, whichever
        process loaded it)."""
        budget = self._evaluator.limits.current
        if budget is not None:  # a file printing in a loop: shown up to a point, not for ever
            budget.prints += 1
            if budget.prints > MAX_PRINTS_PER_FILE:
                if budget.prints == MAX_PRINTS_PER_FILE + 1:
                    self._evaluator.warn(
                        f"{budget.path}: more than {MAX_PRINTS_PER_FILE} print() messages; "
                        "the rest are not shown"
                    )
                return
        stack, words, sep = json.loads(encoded_call)
        frames = starlark_errors.frames(stack)
        if not frames:
            return
        text = sep.join(words)
        if len(text) > MAX_PRINTED_CHARACTERS:
            text = text[:MAX_PRINTED_CHARACTERS] + f"… ({len(text):,} characters in all)"
        message = f"DEBUG {frames[-1]}: " + text
        self._evaluator.warn(message, key=f"print:{frames[0] if len(frames) > 1 else ''}:{message}")

    def ignore_call(self, *args: object, **kwargs: object) -> None:
        return None


def _rule_attributes(target: Target) -> dict[str, object]:
    attributes = {key: thaw(value) for key, value in target.fields.items()}
    attributes["name"] = target.address.name
    attributes["kind"] = target.kind
    return attributes
