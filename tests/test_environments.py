"""Real repositories load as they are: the rules and globals of each ecosystem graphpub has no
schema for load as opaque targets or stand-ins (testdata/environments, written the way public
monorepos write them), silently when the ecosystem defines them, with one warning otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graphpub.buildgraph.prelude import known_globals
from graphpub.buildgraph.standins import uses
from graphpub.rules.catalog import catalog
from tests.conftest import TESTDATA, Runner, lines, make_repo

ENVIRONMENTS = TESTDATA / "environments"


def listed(run: Runner, root: Path, *specs: str) -> list[str]:
    code, out, err = run(["list", *(specs or ("::",))], root=root)
    assert (code, err) == (0, ""), err
    return lines(out)


def peeked(run: Runner, root: Path, spec: str) -> dict[str, Any]:
    code, out, err = run(["peek", "--no-infer", spec], root=root)
    assert code == 0, err
    [record] = json.loads(out)
    return dict(record)


def test_pants_target_types_of_other_backends_load_silently(run: Runner) -> None:
    root = ENVIRONMENTS / "pants"
    assert listed(run, root) == [
        "//:local",
        "//:pants",
        "//:pants#pantsbuild.pants",
        "//:pants#pantsbuild.pants.testutil",
        "//:python_bullseye",
        "//:scripts",
        "//:version",
        "//:workspace",
        "src/env",
        "src/env/__init__.py",
        "src/env:configs",
        "src/env:downloaded",
        "src/env:guava",
        "src/env:ts",
        "src/env:ui",
    ]
    environment = peeked(run, root, "//:python_bullseye")
    assert environment["kind"] == "docker_environment"
    assert environment["fields"]["image"] == "python:3.11-slim-bullseye"
    assert environment["location"] == "BUILD:2"
    # Pants' objects are data: http_source keeps its URL as the file's source.
    downloaded = peeked(run, root, "src/env:downloaded")
    assert downloaded["fields"]["source"] == "https://example.com/tool-1.0.tar.gz"
    assert downloaded["sources"] == []
    # pants_requirements: Pants of the repository's release (2.24), in the generator's resolve.
    pants = peeked(run, root, "//:pants#pantsbuild.pants")
    assert pants["fields"] == {
        "modules": ["pants"],
        "requirements": ["pantsbuild.pants == 2.24.0"],
        "resolve": "pants-plugins",
    }


def test_bazel_native_rules_and_bzl_globals(run: Runner) -> None:
    root = ENVIRONMENTS / "bazel"
    code, out, err = run(["list", "::"], root=root)
    assert code == 0, err
    assert lines(out) == [
        "//:app",
        "//:app_files",
        "//:app_lib",
        "//:default_toolchain",
        "//:linux",
        "//:linux_x86_64",
        "//:protos",
        "//:test_answers_questions",
        "//:test_cites_sources",
        "//:tests",
        "//:toolchain_flag",
        "//:version",
    ]
    # Only the repository graphpub cannot see is worth a word, and the name its imitated
    # macro made twice (the first target stays; the one with an empty name makes none).
    assert lines(err) == [
        "warning: tools/defs.bzl:6:6: load of unknown external '@vendored_runtime//:runtime.bzl':"
        " copy_kwargs, runtime stand in as the file uses them (a call with a name makes an opaque"
        " target; map the repository with the external_loads config key, or set strict_loads ="
        " true)",
        "warning: BUILD.bazel:43: a second opaque target named 'protos' in package '//' (first"
        " made at BUILD.bazel:43) is left out",
    ]
    assert peeked(run, root, "//:protos")["fields"]["srcs"] == ["first.proto"]
    # str() of a function as Bazel writes it: rules_testing names tests after their functions.
    assert peeked(run, root, "//:tests")["fields"]["srcs"] == [
        ":test_answers_questions",
        ":test_cites_sources",
    ]
    # `runtime.python_library(...)`: a module of the external repository, used as a struct.
    library = peeked(run, root, "//:app_lib")
    assert library["kind"] == "runtime.python_library"
    assert library["location"] == "BUILD.bazel:30"  # the BUILD file's call of the macro
    assert library["fields"]["srcs"] == ["app/main.py"]
    # A stand-in's result is the caller's to change (`kwargs = copy_kwargs(kwargs)`).
    assert library["fields"]["tags"] == ["app", "@platforms//os:linux"]  # @platforms//host
    assert peeked(run, root, "//:app")["fields"]["main"] == "main.py"  # skylib's paths
    assert peeked(run, root, "//:app")["fields"]["data"] == ["app/config.json"]  # selects
    assert peeked(run, root, "//:app_files")["fields"]["srcs"] == ["app/main.py"]  # depset
    assert peeked(run, root, "//:version")["kind"] == "version_info"  # rule()
    assert peeked(run, root, "//:toolchain_flag")["kind"] == "label_flag"


def test_bazel_macros_graphpub_only_imitates(run: Runner) -> None:
    """protobuf's and a vendor macro's ways: an external rule handed to a macro of the
    repository's own, a target the external macro makes that graphpub cannot see."""
    root = ENVIRONMENTS / "bazel_imitated"
    code, out, err = run(["list", "::"], root=root)
    assert (code, lines(out)) == (0, ["//:fastmath", "//:lib", "//:protos_rb"]), err
    # rb_library is only passed on by the file loading it: a rule, which the macro calls.
    protos = peeked(run, root, "//:protos_rb")
    assert protos["kind"] == "rb_library"
    assert protos["fields"]["tags"] == ["proto 1"]  # `str` stays a type where it is one
    code, out, err = run(["dependencies", "//:lib"], root=root)
    assert (code, out) == (0, "")
    assert lines(err)[-1] == (
        "warning: BUILD.bazel:15:13: //:lib depends on ':fastmath.so', which no target graphpub"
        " sees in '//' makes: left out, as a macro graphpub only imitates there may make it"
        " (strict_rules = true makes this an error)"
    )


def test_a_missing_target_is_an_error_where_nothing_is_imitated(
    tmp_path: Path, run: Runner
) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": 'py_library(name = "lib", srcs = [], deps = [":fastmath.so"])\n',
        },
    )
    code, out, err = run(["dependencies", "//:lib"], root=root)
    assert (code, out) == (1, "")
    assert "has no target named 'fastmath.so'" in err, err


def test_buck2_prelude_rules_and_typed_bzl_files(run: Runner) -> None:
    root = ENVIRONMENTS / "buck2"
    assert listed(run, root) == [
        "//app:bundle",
        "//app:bundle_hs",
        "//app:greeter_erl",
        "//app:greeter_go",
        "//app:greeter_kt",
        "//app:greeter_py",
        "//app:host",
        "//app:zlib",
        "//defs:platforms",
    ]
    assert peeked(run, root, "//app:greeter_kt")["kind"] == "kotlin_library"
    assert peeked(run, root, "//app:bundle_hs")["kind"] == "haskell_library"  # native.
    bundle = peeked(run, root, "//app:bundle")
    assert bundle["kind"] == "bundle"  # rule(impl = _bundle_impl)
    assert bundle["fields"]["label"] == "default"  # read_root_config
    assert bundle["dependencies"] == ["//app:greeter_kt", "//app:greeter_py"]
    assert peeked(run, root, "//app:host")["fields"]["constraint_values"][0].startswith(
        "prelude//cpu/constraints:"
    )


def test_rules_python_itself_serves_its_own_files(run: Runner) -> None:
    """In rules_python's own repository `//python:packaging.bzl` is what graphpub serves as
    `@rules_python//python:packaging.bzl`: the file (which fails if evaluated) never is. Its
    private helpers (`//python/private:builders.bzl`), which graphpub does not serve, load for
    real: the wheel's distribution comes from one."""
    root = ENVIRONMENTS / "rules_python"
    assert listed(run, root) == [
        "//examples/wheel:mypkg",
        "//examples/wheel:pkg",
        "//examples/wheel:wheel",
        "//examples/wheel:wheel.dist",
        "//examples/wheel:wheel.publish",
    ]
    wheel = peeked(run, root, "//examples/wheel:wheel")
    assert wheel["distribution"]["name"] == "example_minimal_library"


def test_pants_globs_overrides_cycles_and_plugin_fields(run: Runner) -> None:
    root = ENVIRONMENTS / "pants_forms"
    code, out, err = run(["list", "::"], root=root)
    assert code == 0, err
    assert lines(out) == [
        "//:scripts",
        "pants-plugins/internal_plugins",
        "pants-plugins/internal_plugins/releases.py",
        "src/app",
        "src/app/a.py",  # `./*.py`; `!generated/` leaves out generated/gen.py
        "src/app/b.py",
        "src/app/messages_pb2.py",
    ]
    # A field of the repository's own plugin: kept, with one warning.
    assert lines(err) == [
        "warning: src/app/BUILD:1: python_sources(): field 'release_channel' is none graphpub"
        " knows: kept, as a plugin of the repository's may add it (see the fields with: graphpub"
        " help python_sources; strict_rules = true makes this an error)"
    ]
    assert peeked(run, root, "src/app/messages_pb2.py")["fields"]["tags"] == ["generated"]
    # A generator graphpub has no schema for owns Pants' default sources.
    assert peeked(run, root, "//:scripts")["sources"] == ["release.sh"]
    # a.py and b.py need each other: Pants allows cycles through file targets.
    code, out, err = run(["dependencies", "--transitive", "src/app/a.py"], root=root)
    assert (code, lines(out)) == (0, ["src/app/b.py"]), err


def test_pants_plugin_fields_are_errors_under_strict_rules(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[GLOBAL]\nbackend_packages = ["pants.backend.python", "acme.x"]\n',
            "graphpub.toml": "strict_rules = true\n",
            "BUILD": 'python_sources(name="lib", release_channel="beta")\n',
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("BUILD:1:"), err
    assert "unknown field 'release_channel'" in err


def test_pants_cycles_between_build_file_targets_are_still_errors(
    tmp_path: Path, run: Runner
) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "[GLOBAL]\n",
            "BUILD": 'target(name="a", dependencies=[":b"])\n'
            'target(name="b", dependencies=[":a"])\n',
        },
    )
    # (`dependencies`: `list` follows no dependency, as `pants list`, so it meets no cycle.)
    code, out, err = run(["dependencies", "::"], root=root)
    assert (code, out) == (1, "")
    assert "cycle" in err and "//:a -> //:b -> //:a" in err, err


def test_an_unknown_name_warns_once_for_every_use(tmp_path: Path, run: Runner) -> None:
    build = 'acme_rule(name = "a")\nacme_rule(name = "b")\n'
    root = make_repo(tmp_path, {"MODULE.bazel": "", "x/BUILD.bazel": build, "y/BUILD.bazel": build})
    code, out, err = run(["list", "::"], root=root)
    assert (code, lines(out)) == (0, ["//x:a", "//x:b", "//y:a", "//y:b"])
    assert len(lines(err)) == 1, err
    assert err.startswith("warning: x/BUILD.bazel:1:1: 'acme_rule' is defined nowhere"), err


def test_strict_rules_refuses_what_has_no_schema(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "graphpub.toml": "strict_rules = true\n",
            "BUILD.bazel": 'kotlin_library(name = "kt")\n',
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(
        "BUILD.bazel:1:1: kotlin_library() is a rule graphpub knows no schema for "
        "(strict_rules is set)"
    ), err


@pytest.mark.parametrize(
    ("dialect", "names"),
    [
        ("pants", ["docker_environment", "vcs_version", "package_json", "nfpm_content_files"]),
        ("bazel", ["platform", "label_flag", "toolchain", "cc_library", "py_wheel"]),
        ("buck2", ["kotlin_library", "erlang_application", "go_binary", "python_wheel"]),
    ],
)
def test_the_catalogs_hold_the_ecosystems_rules(dialect: str, names: list[str]) -> None:
    assert set(names) <= set(catalog(dialect))


def test_the_bzl_globals_graphpub_does_not_model() -> None:
    assert {"config_common", "testing", "configuration_field", "transition", "CcInfo"} <= (
        known_globals()
    )
    assert {"AnalysisContext", "attrs", "ConfigurationInfo", "bxl"} <= known_globals()
    assert "rule" not in known_globals()  # rule() behaves: it is in the prelude


@pytest.mark.parametrize(
    ("text", "name", "expression"),
    [
        ("x(name = 'a')", "x", "graphpub_standin('x', [], True)"),
        ("x.y.z(name = 'a')", "x", "struct(y = struct(z = graphpub_standin('x.y.z', [], True)))"),
        ("def f(c: T) -> list[T]:\n    pass", "T", "typing.Any"),
        ("p = P(a = 1)\ndef f() -> list[P]:\n    pass", "P", "struct"),
        ('v = "==" + V + ".*"', "V", "''"),
        ("d = {} | D", "D", "{}"),
        ('w = M["3.10"]', "M", "{'3.10': ''}"),
        ("l = [] + L", "L", "[]"),
        ("s = V.replace('.', '')", "V", "''"),
        (
            "t = f.make(impl)\n",
            "f",
            "struct(make = graphpub_standin('f.make', graphpub_standin('t', [], True), True))",
        ),
        ("u = u_rule\nu(name = 'x')", "u_rule", "graphpub_standin('u_rule', [], True)"),
        (
            "p = f()\np.target_platform",
            "f",
            "graphpub_standin('f', struct(target_platform = []), True)",
        ),
        ("x = 'not f(a)' # f(b)\nf", "f", "[]"),
        ("f(name, rb_library, **kwargs)", "rb_library", "graphpub_standin('rb_library', [], True)"),
        ("v = [a, V]", "V", "''"),
        ("f(a, V, b)", "V", "[]"),
    ],
    ids=[
        "called",
        "attributes",
        "type",
        "provider",
        "string",
        "dict",
        "indexed",
        "list",
        "string-method",
        "rule-factory",
        "alias",
        "result-attributes",
        "strings-and-comments",
        "rule-passed-on",
        "list-item",
        "argument",
    ],
)
def test_stand_ins_take_the_shape_of_their_use(text: str, name: str, expression: str) -> None:
    assert uses(text, [name])[name].expression(name) == expression
