"""`LoadResolver` on its own: which module each `load()` label gets, each local file evaluated
once, what it read handed to every later loader (the package cache's inputs), its failure
kept. (tests/test_load.py runs the same through the command line.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import starlark as sl

from graphpub.buildgraph import load_config
from graphpub.buildgraph.budget import Limits
from graphpub.buildgraph.builtins import NativeBuiltins
from graphpub.buildgraph.callback_guard import CallbackGuard
from graphpub.buildgraph.evaluator import Evaluator
from graphpub.buildgraph.file_parser import FileParser
from graphpub.buildgraph.file_runner import FileRunner
from graphpub.buildgraph.files import FileTree
from graphpub.buildgraph.input_recorder import InputRecorder
from graphpub.buildgraph.labels import LoadLabels
from graphpub.buildgraph.loads import LoadResolver
from graphpub.buildgraph.package_cache import Inputs
from graphpub.buildgraph.pants_macros import PantsMacros
from graphpub.buildgraph.prelude_module import Prelude
from graphpub.buildgraph.rule_calls import RuleCalls
from graphpub.buildgraph.source_reader import SourceReader
from graphpub.buildgraph.starlark_environment import StarlarkEnvironment
from graphpub.errors import BuildFileError
from graphpub.rules import default_rules
from tests.conftest import make_repo


@dataclass
class Loading:
    """A resolver of a root's labels, and what it did."""

    resolver: LoadResolver
    guard: CallbackGuard
    recorder: InputRecorder
    evaluated: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def load(self, from_path: str, label: str, *symbols: str) -> Any:
        """What `load(label, *symbols)` in `from_path` gets."""
        text = f"load({label!r}, {', '.join(repr(s) for s in symbols)})\n"
        return self.resolver.load(from_path, text, {label: {s: s for s in symbols}}, label)


def value(module: Any, symbol: str, expression: str = "") -> Any:
    """`expression` (default: `symbol`) evaluated where `symbol` is loaded from `module` (a
    frozen module shows nothing but through a load)."""
    probe = sl.Module()
    text = f"load('module', {symbol!r})\nvalue = {expression or symbol}\n"
    ast = sl.parse("probe.bzl", text, sl.Dialect.extended())
    sl.eval(probe, ast, sl.Globals.standard(), sl.FileLoader(lambda _label: module))
    return probe["value"]


def loading(root: Path, *, strict: bool = False) -> Loading:
    """The parts `Evaluator` wires, the resolver's collaborators, recording inputs."""
    config = load_config(root)
    tree = FileTree(config)
    rules = default_rules()
    guard = CallbackGuard()
    environment = StarlarkEnvironment.make()
    limits = Limits(config, guard.keep)
    recorder = InputRecorder(tree)
    recorder.enable()
    reader = SourceReader(str(root), config.max_build_file_bytes, recorder)
    evaluator = Evaluator(config, tree, rules, lambda _message: None)  # (what builtins act on)
    calls = RuleCalls(rules, config, [], evaluator.current, lambda _m, _k: None)
    prelude = Prelude(
        environment,
        rules,
        NativeBuiltins(evaluator, reader).functions(),
        {"_rule": calls.rule, "_opaque": calls.opaque_rule, "_imitated": calls.imitated},
        guard,
        evaluator.current,
    )
    macros = PantsMacros((), tree, reader.read_file)
    parser = FileParser(environment, config, prelude.names, macros, lambda: None)
    evaluated: list[str] = []
    warnings: list[tuple[str, str]] = []

    def warn(message: str, key: str) -> None:
        warnings.append((key, message))

    def run_bzl(path: str, text: str) -> Any:
        evaluated.append(path)
        return runner.run(path, text, bzl=True)

    resolver = LoadResolver(
        labels=LoadLabels(config.cells, config.external_loads, config.bazel_module),
        tree=tree,
        strict=strict,
        prelude=prelude,
        macros_module=lambda: None,
        reader=reader,
        recorder=recorder,
        guard=guard,
        warn=warn,
        run_bzl=run_bzl,
    )
    runner = FileRunner(
        environment, config, limits, guard, parser, prelude.names, warn, resolver.load
    )
    return Loading(resolver, guard, recorder, evaluated, warnings)


def test_a_local_file_is_evaluated_once_and_its_reads_count_for_each_loader(
    tmp_path: Path,
) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "tools/BUILD.bazel": "",
            "tools/defs.bzl": 'load(":version.bzl", "V")\nX = V + 1\n',
            "tools/version.bzl": "V = 1\n",
        },
    )
    parts = loading(root)
    first, second = Inputs(), Inputs()
    parts.recorder.begin(first)
    module = parts.load("a/BUILD.bazel", "//tools:defs.bzl", "X")
    parts.recorder.end()
    parts.recorder.begin(second)
    again = parts.load("b/BUILD.bazel", "//tools:defs.bzl", "X")
    parts.recorder.end()
    assert again is module
    assert value(module, "X") == 2
    assert parts.evaluated == ["tools/defs.bzl", "tools/version.bzl"]
    assert set(first.files) == set(second.files) == {"tools/defs.bzl", "tools/version.bzl"}


def test_a_label_is_relative_to_the_package_of_the_loading_file(tmp_path: Path) -> None:
    """A `.bzl` file in a directory without a build file belongs to the package above."""
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "pkg/BUILD.bazel": "",
            "pkg/defs.bzl": "X = 'pkg'\n",
            "pkg/sub/defs.bzl": "X = 'sub'\n",
        },
    )
    assert value(loading(root).load("pkg/sub/macros.bzl", ":defs.bzl", "X"), "X") == "pkg"


def test_a_cycle_names_its_chain_and_a_failure_is_kept(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": "",
            "a.bzl": 'load("//:b.bzl", "B")\nA = 1\n',
            "b.bzl": 'load("//:a.bzl", "A")\nB = 1\n',
        },
    )
    parts = loading(root)
    with pytest.raises(BuildFileError) as raised:
        parts.load("BUILD.bazel", "//:a.bzl", "A")
    assert raised.value.message == "load cycle: a.bzl -> b.bzl -> a.bzl"
    assert str(raised.value.location) == "b.bzl:1:6"
    # Both failed: loaded again, the same error, neither evaluated again.
    with pytest.raises(BuildFileError) as again:
        parts.load("other/BUILD.bazel", "//:b.bzl", "B")
    assert again.value is raised.value
    assert parts.evaluated == ["a.bzl", "b.bzl"]


def test_a_missing_file_is_an_error_at_the_label(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "pkg/BUILD.bazel": ""})
    parts = loading(root)
    with pytest.raises(BuildFileError) as raised:
        parts.load("pkg/BUILD.bazel", ":missing.bzl", "X")
    assert raised.value.message == "cannot load 'pkg/missing.bzl': no such file"
    assert str(raised.value.location) == "pkg/BUILD.bazel:1:6"
    assert parts.guard.pending is raised.value  # for the loading file's evaluation to raise


def test_builtin_repositories_are_served_by_the_prelude(tmp_path: Path) -> None:
    parts = loading(make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": ""}))
    module = parts.load("BUILD.bazel", "@rules_python//python:defs.bzl", "py_library")
    # (the prelude's own wrapper, which makes targets through graphpub's rules)
    assert value(module, "py_library", "str(py_library)") == "@graphpub//:prelude.bzl.py_library"
    hub = parts.load("BUILD.bazel", "@pypi//:requirements.bzl", "requirement")
    assert value(hub, "requirement", 'requirement("Foo.Bar")') == "@pypi//foo_bar:pkg"
    assert parts.evaluated == [] and parts.warnings == []


def test_an_unknown_external_stands_in_with_a_warning_or_is_an_error(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": ""})
    parts = loading(root)
    module = parts.load("BUILD.bazel", "@other//:defs.bzl", "thing")
    assert value(module, "thing", "type(thing)") == "list"  # (how the file uses it: not at all)
    [(key, message)] = parts.warnings
    assert key == "unknown-load:@other//:defs.bzl"
    assert message.startswith("BUILD.bazel:1:6: load of unknown external '@other//:defs.bzl'")
    with pytest.raises(BuildFileError, match=r"\(strict_loads is set\)"):
        loading(root, strict=True).load("BUILD.bazel", "@other//:defs.bzl", "thing")


def test_a_symbol_that_is_no_name_is_refused(tmp_path: Path) -> None:
    parts = loading(make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": ""}))
    with pytest.raises(BuildFileError, match="asks for 'not a name', which is not a name"):
        parts.load("BUILD.bazel", "@other//:defs.bzl", "not a name")
