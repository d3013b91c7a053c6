"""Fuzzing: whatever the build files, specs, `.pypirc` and configuration say, graphpub exits 0 or
1 with a clear error (`path:LINE:COL: message`, `path: message` or `error: message`), never a
traceback or an "internal error"; the parsers underneath raise GraphpubError or nothing.

The default profile (`graphpub-ci`) runs a bounded, deterministic number of examples with every
`pytest`, in about 30 seconds. The long run is a separate command: 5000 random examples per
property (GRAPHPUB_FUZZ_EXAMPLES=N for another number), failures kept in .hypothesis/ and
replayed first the next time:

    GRAPHPUB_FUZZ=1 .venv/bin/python -m pytest tests/test_fuzz.py -x -q

With atheris installed, `python -m tests.test_fuzz TARGET` fuzzes the in-process properties
coverage-guided (see ATHERIS_TARGETS at the end). Strategies and profiles are in
tests/fuzz_strategies.py.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import re
import select
import shlex
import signal
import tempfile
import traceback
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from email.message import Message
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from graphpub.buildgraph import Address, BuildGraph, load_config
from graphpub.buildgraph.address import AddressInput, AddressStyle, parse_address
from graphpub.buildgraph.specs import parse_specs, resolve_specs
from graphpub.cli import main
from graphpub.diagnostics import render_error
from graphpub.errors import GraphpubError, SourceLocation, visible
from graphpub.publish.repositories import (
    read_pypirc,
    resolve,
    simple_index_url,
    twine_environment,
    without_userinfo,
)
from graphpub.rules import default_rules
from graphpub.secrets import Secrets
from tests import fuzz_strategies as fs

Result = tuple[int, str, str]

# The first line of a rendered error: `path:LINE:COL: message`, `path: message`, `error: ...`.
ERROR_LINE = re.compile(r"(?:error|[^\s:][^:]*(?::\d+){0,2}): \S")


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_bytes(content.encode("utf-8", errors="surrogatepass"))


def run_in_process(args: Sequence[str]) -> Result:
    """`graphpub ARGS` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse
            code = exit_.code if isinstance(exit_.code, int) else 2
    return code, out.getvalue(), err.getvalue()


# Longer than any example takes: a child still running then has hung.
HANG_SECONDS = 60


def run_cli(*commands: Sequence[str]) -> list[Result]:
    """`graphpub ARGS` for each of `commands`, in one forked child: (exit code, stdout, stderr)
    of each.

    A child costs a few milliseconds, and it keeps what a run leaves behind (each BuildGraph is
    kept alive by its Starlark globals, about a megabyte) out of the thousands that follow; a
    crash below Python, or a hang, fails the example instead of the session.
    """
    if not hasattr(os, "fork"):
        return [run_in_process(args) for args in commands]
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            os.close(read_fd)
            results: list[Result] = []
            try:
                for args in commands:
                    results.append(run_in_process(args))
                payload = pickle.dumps(("results", results))
            except BaseException:  # what main() let out: the test reports it
                failed = shlex.join(commands[len(results)])
                payload = pickle.dumps(("raised", f"{failed}\n{traceback.format_exc()}"))
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(payload)
        finally:
            os._exit(0)
    os.close(write_fd)
    what = " / ".join(shlex.join(args) for args in commands)
    with os.fdopen(read_fd, "rb") as pipe:
        ready, _, _ = select.select([pipe], [], [], HANG_SECONDS)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"graphpub {what} hung for {HANG_SECONDS} s")
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        raise AssertionError(f"graphpub {what} crashed: wait status {status}")
    kind, value = pickle.loads(data)
    if kind == "raised":
        raise AssertionError(f"graphpub let an exception out: {value}")
    found: list[Result] = value
    return found


def error_lines(err: str) -> list[str]:
    """stderr without warnings, nor the source lines, carets and hints of the error."""
    return [
        line
        for line in err.splitlines()
        if line.strip() and not line.startswith(("warning: ", " ", "hint: "))
    ]


def check_clear(*commands: Sequence[str], publishing: bool = False) -> list[Result]:
    """Run `graphpub ARGS` for each of `commands`: exit 0 or 1, no traceback, and on exit 1 a
    rendered error first. With `publishing`, progress may come before the error, or failed
    uploads on stdout instead of it."""
    results = run_cli(*commands)
    for args, (code, out, err) in zip(commands, results, strict=True):
        if "internal error" in err:
            # Again with --debug, which lets the exception out with its traceback.
            run_cli(["--debug", *args])
            raise AssertionError(f"internal error without --debug: {err}")
        assert code in (0, 1), (args, code, out, err)
        assert "Traceback" not in err, err
        if code == 1 and publishing:
            failed = "failed for" in out or "blocked" in out
            assert failed or any(ERROR_LINE.match(line) for line in error_lines(err)), (out, err)
        elif code == 1:
            found = error_lines(err)
            assert found and ERROR_LINE.match(found[0]), err
    return results


@pytest.fixture(scope="module", autouse=True)
def warm_parent(publish_repo: Path) -> None:
    """Run each kind of command here once, so that the forked children find every module
    imported and every cache filled (the distribution built): otherwise each child pays for
    it, several times what its own run takes."""
    with temporary_root() as directory, offline():
        write_tree(directory, {"fuzz.pypirc": VALID_PYPIRC})
        for command in (
            ["peek", "::"],
            ["dependencies", "::"],
            ["publish", "--dry-run", "--pypirc", str(directory / "fuzz.pypirc"), "::"],
        ):
            code, _, err = run_in_process(["-C", str(publish_repo), *command])
            assert code == 0, err


@contextlib.contextmanager
def temporary_root() -> Iterator[Path]:
    # Hypothesis runs every example in the same function-scoped fixtures: a directory each.
    with tempfile.TemporaryDirectory(prefix="graphpub-fuzz-") as directory:
        yield Path(directory)


# ---------------------------------------------------------------- build files

DIALECTS = ("pants", "bazel", "buck2")
MARKERS: dict[str, dict[str, str]] = {
    "pants": {"pants.toml": '[source]\nroot_patterns = ["/"]\n'},
    "bazel": {"MODULE.bazel": 'pip.parse(hub_name = "pypi")\n'},
    "buck2": {".buckconfig": "[cells]\nroot = .\nother = other\n"},
}
BUILD_NAMES = {"pants": ("BUILD",), "bazel": ("BUILD.bazel", "BUILD"), "buck2": ("BUCK",)}
LIB_BUILD = {
    "pants": 'python_sources(name = "lib")\ntarget(name = "other")\n',
    "bazel": 'py_library(name = "lib", srcs = glob(["*.py"]))\npy_library(name = "other")\n',
    "buck2": 'python_library(name = "lib", srcs = glob(["*.py"]))\n',
}
SOURCES = {
    "lib/util.py": "VALUE = 1\n",
    "pkg/a.py": "import lib.util\nimport requests\n\ndef main():\n    pass\n",
    "pkg/skip.py": "",
    "pkg/data/x.json": "{}\n",
}


def repository_files(
    dialect: str, build: str | bytes, bzl: str | bytes, requirements: str | bytes, build_name: str
) -> dict[str, str | bytes]:
    return {
        **MARKERS[dialect],
        **SOURCES,
        f"lib/{BUILD_NAMES[dialect][0]}": LIB_BUILD[dialect],
        f"pkg/{build_name}": build,
        "pkg/defs.bzl": bzl,
        "pkg/requirements.txt": requirements,
    }


def check_build_files(files: Mapping[str, str | bytes]) -> list[Result]:
    with temporary_root() as root:
        write_tree(root, files)
        return check_clear(["-C", str(root), "list", "::"], ["-C", str(root), "peek", "::"])


@fs.fuzz_settings(ci_examples=120)
@given(st.data())
def test_build_files_never_traceback(data: st.DataObject) -> None:
    dialect = data.draw(st.sampled_from(DIALECTS), label="dialect")
    build_name = data.draw(st.sampled_from(BUILD_NAMES[dialect]), label="build file")
    files = repository_files(
        dialect,
        data.draw(fs.BUILD_FILES[dialect], label="build"),
        data.draw(fs.bzl_file, label="defs.bzl"),
        data.draw(fs.requirements_file, label="requirements.txt"),
        build_name,
    )
    if data.draw(st.booleans(), label="with a root build file"):
        files[BUILD_NAMES[dialect][0]] = data.draw(fs.BUILD_FILES[dialect], label="root build")
    check_build_files(files)


# ---------------------------------------------------------------- specs

SPEC_REPOS: dict[str, dict[str, str]] = {
    "pants": {
        "pants.toml": "",
        "BUILD": 'target(name = "root")\n',
        "a/BUILD": (
            'python_sources(sources = ["*.py"])\nresources(name = "res", sources = ["d/*"])\n'
        ),
        "a/x.py": "",
        "a/d/one.json": "",
        "a/b/BUILD": 'target(name = "b")\ntarget(name = "c")\n',
        "a b/BUILD": 'target(name = "sp ace")\n',
        "é/BUILD": 'target(name = "é")\n',
    },
    "bazel": {
        "MODULE.bazel": "",
        "BUILD.bazel": 'filegroup(name = "root")\n',
        "a/BUILD.bazel": 'py_library(name = "a", srcs = ["x.py"])\npy_library(name = "t")\n',
        "a/x.py": "",
        "a/b/BUILD": 'py_library(name = "b")\n',
    },
    "buck2": {
        ".buckconfig": "[cells]\nroot = .\nother = other\n[cell_aliases]\nalias = other\n",
        "BUCK": 'python_library(name = "root")\n',
        "a/BUCK": 'python_library(name = "a", srcs = ["x.py"])\n',
        "a/x.py": "",
        "other/BUCK": 'python_library(name = "o")\n',
    },
}


@pytest.fixture(scope="module")
def spec_repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    roots = {}
    for dialect, files in SPEC_REPOS.items():
        root = tmp_path_factory.mktemp(f"specs-{dialect}")
        write_tree(root, files)
        roots[dialect] = root
    return roots


def _is_an_argument(spec: str) -> bool:
    """What a shell can pass to `graphpub list` as a spec: no NUL, no option of graphpub's."""
    return "\x00" not in spec and not spec.startswith(("--", "-h", "-C", "-j"))


@fs.fuzz_settings(ci_examples=150)
@given(
    dialect=st.sampled_from(DIALECTS),
    specs=st.lists(fs.spec.filter(_is_an_argument), min_size=1, max_size=3),
)
@example(dialect="pants", specs=["a:"])
@example(dialect="pants", specs=["-a::", "::"])
@example(dialect="buck2", specs=["other//:o", "alias//..."])
def test_specs_never_traceback(spec_repos: dict[str, Path], dialect: str, specs: list[str]) -> None:
    check_clear(["-C", str(spec_repos[dialect]), "list", *specs])


@pytest.fixture(scope="module")
def spec_graphs(spec_repos: dict[str, Path]) -> dict[str, BuildGraph]:
    # One graph each for every example: in this process, each new one would stay (see run_cli).
    return {
        dialect: BuildGraph(load_config(root), default_rules(), warn=lambda _message: None)
        for dialect, root in spec_repos.items()
    }


@fs.fuzz_settings(ci_examples=400)
@given(
    dialect=st.sampled_from(DIALECTS),
    texts=st.lists(st.one_of(fs.spec, fs.label), min_size=1, max_size=3),
)
@example(dialect="pants", texts=["a/x.py\x00"])
def test_spec_parsing_raises_only_graphpub_errors(
    spec_graphs: dict[str, BuildGraph], dialect: str, texts: list[str]
) -> None:
    # Specs also come from the `skip` config key, where TOML can hold any character.
    graph = spec_graphs[dialect]
    with contextlib.suppress(GraphpubError):
        parse_specs(texts, graph)
    with contextlib.suppress(GraphpubError):
        for address in resolve_specs(texts, graph):
            assert isinstance(address, Address)


relative_packages = st.sampled_from(("", "a", "a/b", "src/python", "é"))


@fs.fuzz_settings(ci_examples=1000)
@given(
    text=st.one_of(fs.label, fs.spec),
    relative_to=relative_packages,
    bare_name_is_target=st.booleans(),
    cells=st.dictionaries(st.sampled_from(("root", "other", "cell")), relative_packages),
)
@example(text="//a/../..:x", relative_to="", bare_name_is_target=True, cells={})
@example(text="a/\x00:b", relative_to="", bare_name_is_target=True, cells={})  # NUL: no path
@example(text="cell//../x:y", relative_to="", bare_name_is_target=True, cells={"cell": ""})
def test_parse_address_raises_only_graphpub_errors(
    text: str, relative_to: str, bare_name_is_target: bool, cells: dict[str, str]
) -> None:
    location = SourceLocation("a/BUILD", 1, 1)
    try:
        parsed = parse_address(
            text,
            relative_to=relative_to,
            bare_name_is_target=bare_name_is_target,
            cells=cells,
            location=location,
        )
    except GraphpubError as error:
        assert error.location == location
        return
    assert isinstance(parsed, AddressInput)
    # Whatever was written, a parsed address stays inside the build root.
    assert not parsed.path.startswith(("/", "../")) and parsed.path != "..", parsed
    parsed.directory_address.render(AddressStyle.BAZEL)


word = st.text("abcxyz019_-", min_size=1, max_size=5)


@fs.fuzz_settings(ci_examples=300)
@given(
    directory=st.lists(word, max_size=3).map("/".join),
    name=st.one_of(word, st.text("abc.+-_", min_size=1, max_size=5)),
)
def test_rendered_addresses_parse_back(directory: str, name: str) -> None:
    address = Address(directory, name)
    for style in AddressStyle:
        parsed = parse_address(address.render(style), bare_name_is_target=False)
        assert parsed.directory_address == address, (address.render(style), parsed)


# ---------------------------------------------------------------- .pypirc

PUBLISH_REPO = {
    "pants.toml": "",
    "src/fuzzdemo/__init__.py": "VALUE = 1\n",
    "src/fuzzdemo/BUILD": (
        "python_sources()\n"
        "python_distribution(\n"
        '    name = "dist",\n'
        '    dependencies = [":fuzzdemo"],\n'
        '    provides = python_artifact(name = "fuzzdemo", version = "1.0.0"),\n'
        '    repositories = ["@fuzz", "@other-repo"],\n'
        ")\n"
    ),
}


VALID_PYPIRC = (
    "[distutils]\nindex-servers = fuzz other-repo\n"
    "[fuzz]\nrepository: file:index\n[other-repo]\nrepository = file:other\n"
)


@pytest.fixture(scope="module")
def publish_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One repository for every example: its distribution is built once, then cached."""
    root = tmp_path_factory.mktemp("publish")
    write_tree(root, PUBLISH_REPO)
    return root


def _no_network(request: Any, *args: Any, **kwargs: Any) -> Any:
    url = request.full_url if isinstance(request, urllib.request.Request) else str(request)
    raise urllib.error.HTTPError(url, 404, "no network in the fuzz tests", Message(), None)


@contextlib.contextmanager
def offline() -> Iterator[None]:
    """No index is read (they all answer 404) and no TWINE_* variable is set."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TWINE_")}
    with (
        mock.patch.dict(os.environ, environ, clear=True),
        mock.patch("urllib.request.urlopen", _no_network),
    ):
        yield


@fs.fuzz_settings(ci_examples=60)
@given(content=fs.pypirc_file)
@example(content=VALID_PYPIRC)
def test_pypirc_publish_never_tracebacks(publish_repo: Path, content: str | bytes) -> None:
    with temporary_root() as directory, offline():
        pypirc = directory / "fuzz.pypirc"
        write_tree(directory, {"fuzz.pypirc": content})
        check_clear(
            ["-C", str(publish_repo), "publish", "--dry-run", "--pypirc", str(pypirc), "::"],
            publishing=True,
        )


def check_repository_use(name: str, pypirc: Any, searched: list[Path]) -> None:
    """Resolve `name` as the BUILD file at `used_at` names it, then do with the repository
    what publishing does before any upload."""
    used_at = SourceLocation("src/BUILD", 3, 5)
    try:
        repository = resolve(name, pypirc, searched, used_at, Secrets())
    except GraphpubError as error:
        assert error.location == used_at
        return
    environment, _ = twine_environment(repository, {"TWINE_PASSWORD": "s3cret"})
    secrets = Secrets()
    secrets.add_environment(environment)
    secrets.add_url(repository.url, "the repository")
    secrets.redact(f"uploading to {repository.url}")
    without_userinfo(repository.url)
    simple_index_url(repository.url)
    if repository.is_directory:
        assert isinstance(repository.directory, Path)
    assert repository.url


@fs.fuzz_settings(ci_examples=300)
@given(
    content=fs.pypirc_file,
    names=st.lists(st.one_of(st.sampled_from(fs.PYPIRC_SECTIONS), fs.interesting_text), max_size=3),
)
@example(content=b"[fuzz]\nrepository: \x80\n", names=[])  # was a UnicodeDecodeError
@example(
    content="[distutils]\nindex-servers = fuzz\n[fuzz]\nrepository: file:a\x00b\n",
    names=[],  # was a ValueError of Path.resolve()
)
@example(content="[distutils]\nindex-servers = fuzz\n[fuzz]\nrepository: http://[::1/\n", names=[])
def test_pypirc_reading_raises_only_graphpub_errors(content: str | bytes, names: list[str]) -> None:
    with temporary_root() as directory:
        path = directory / ".pypirc"
        write_tree(directory, {".pypirc": content})
        try:
            pypirc = read_pypirc([path], Secrets())
        except GraphpubError as error:
            assert error.location is not None and error.location.path == str(path)
            return
        for name in [*pypirc[1].sections(), *names]:
            check_repository_use(f"@{name}", pypirc, [path])


def test_a_directory_index_named_with_a_space(tmp_path: Path) -> None:
    # `file:my index` in a .pypirc is the URL file:///.../my%20index: the directory is unquoted.
    pypirc = tmp_path / ".pypirc"
    pypirc.write_text("[distutils]\nindex-servers = local\n[local]\nrepository: file:my index\n")
    repository = resolve(
        "@local", read_pypirc([pypirc], Secrets()), [pypirc], SourceLocation("BUILD", 1), Secrets()
    )
    assert repository.url.endswith("/my%20index")
    assert repository.directory == (tmp_path / "my index").resolve()


@fs.fuzz_settings(ci_examples=300)
@given(url=st.one_of(st.sampled_from(fs.PYPIRC_VALUES), fs.interesting_text, fs.label))
@example(url="http://host:notaport/")  # each was a ValueError of urlsplit() after resolve()
@example(url="http://[::1/")
@example(url="")  # was a repository with no URL at all
@example(url="file://")  # was the current directory
def test_url_repositories_raise_only_graphpub_errors(url: str) -> None:
    # `repositories = [URL]` in a BUILD file: no .pypirc involved.
    check_repository_use(url, read_pypirc([], Secrets()), [])


# ---------------------------------------------------------------- rendering


@fs.fuzz_settings(ci_examples=200)
@given(
    message=st.text(min_size=1, max_size=30),
    path=st.one_of(st.sampled_from(("BUILD", "a/BUILD", "missing", "a", "")), fs.label),
    line=st.integers(-2, 2**40),
    column=st.integers(-2, 2**40),
    hint=st.none() | st.text(max_size=20),
    related=st.lists(st.builds(SourceLocation, fs.label, st.integers(0, 9)), max_size=2),
)
@example(  # was a ValueError of open()
    message="m", path="BUILD", line=1, column=1, hint=None, related=[SourceLocation("\x00", 1)]
)
def test_errors_always_render(
    message: str,
    path: str,
    line: int,
    column: int,
    hint: str | None,
    related: list[SourceLocation],
) -> None:
    # render_error runs outside main()'s `try`: if it raised, users would see a traceback.
    with temporary_root() as root:
        write_tree(root, {"BUILD": 'target(name = "x")\n\n\tx = "é"\n', "a/BUILD": b"\xff\n"})
        location = SourceLocation(path, line, column) if path else None
        error = GraphpubError(message, location=location, hint=hint, related=tuple(related))
        rendered = render_error(error, root)
        assert rendered.startswith(f"{path}:" if location else "error: "), rendered
        assert visible(message) in rendered, rendered


# ---------------------------------------------------------------- configuration

CONFIG_FILES = {
    "graphpub.toml": fs.graphpub_toml,
    "pyproject.toml": fs.pyproject_toml,
    "pants.toml": fs.pants_toml,
    ".buckconfig": lambda: fs.buckconfig,
    ".bazelignore": lambda: fs.bazelignore,
}
CONFIG_REPO = {
    "BUILD": 'target(name = "root")\n',
    "src/BUILD": 'python_sources(name = "src")\n',
    "src/m.py": "import os\n",
}


def check_configuration(files: Mapping[str, str | bytes]) -> GraphpubError | None:
    """Load the configuration `files` make, directly and through `graphpub list` and `peek`:
    an error names one of the files, and is what the command reports first."""
    with temporary_root() as root:
        write_tree(root, {**CONFIG_REPO, **files})
        if not any((root / marker).exists() for marker in ("graphpub.toml", "pants.toml")):
            (root / "WORKSPACE").write_text("")
        try:
            load_config(root)
        except GraphpubError as error:
            assert error.location is not None and error.location.path in files, error
            [(code, _, err)] = check_clear(["-C", str(root), "list", "::"])
            assert code == 1
            assert error_lines(err)[0].startswith(error.location.path + ":"), err
            return error
        check_clear(["-C", str(root), "list", "::"], ["-C", str(root), "peek", "::"])
        return None


@fs.fuzz_settings(ci_examples=90)
@given(files=fs.one_of_files(CONFIG_FILES))
def test_configuration_errors_name_the_file(files: dict[str, str | bytes]) -> None:
    check_configuration(files)


# What the fuzzer found in config.py: each was an internal error, or no error at all.
@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"graphpub.toml": "[tool]\ngraphpub = 1\n"}, "[tool.graphpub] must be a table"),
        ({"pyproject.toml": "tool = 1\n"}, "[tool] must be a table"),
        ({"pyproject.toml": '[tool]\ngraphpub = "x"\n'}, "[tool.graphpub] must be a table"),
        ({"pants.toml": "source = 1\n"}, "[source] must be a table"),
        ({"pants.toml": "python = []\n"}, "[python] must be a table"),
        ({"pants.toml": "setup-py-generation = 1\n"}, "[setup-py-generation] must be a table"),
        ({"pants.toml": "GLOBAL = 1\n"}, "[GLOBAL] must be a table"),
        ({"pants.toml": "[GLOBAL]\nbuild_patterns.add = [1]\n"}, "build_patterns must be"),
        ({"pants.toml": "[GLOBAL]\nbuild_ignore.remove = 1\n"}, "build_ignore must be"),
        ({"pants.toml": "[GLOBAL]\nbuild_ignore = ['!']\n"}, "invalid build_ignore pattern"),
        ({"graphpub.toml": "build_ignore = ['a', '\\']\n"}, "invalid build_ignore pattern"),
        ({"graphpub.toml": "upload_timeout = nan\n"}, "upload_timeout must be a positive"),
        (  # was an error naming no file
            {"pants.toml": "[setup-py-generation]\nfirst_party_dependency_version_scheme = 1\n"},
            "first_party_dependency_version_scheme must be",
        ),
    ],
)
def test_configuration_regressions(files: dict[str, str], message: str) -> None:
    error = check_configuration(files)
    assert error is not None and message in error.message, error


# ---------------------------------------------------------------- found by the fuzzer


@pytest.mark.parametrize(
    "call", ["env(1)", "env([])", "env(None)", 'env("X", default = 1) + env({})']
)
def test_env_with_a_name_that_is_not_a_string(call: str) -> None:
    result, _ = check_build_files({**MARKERS["pants"], "pkg/BUILD": f"X = {call}\n"})
    assert result[0] == 1
    assert "env() takes the variable's name as a string" in result[2]


@pytest.mark.parametrize(
    "build",
    [
        'load("@rules_python//python:defs.bzl", "a-b")\n',
        'load("@rules_python//python:defs.bzl", "")\n',
        'load("@unknown_repo//:x.bzl", "a b")\n',
        'load("@rules_python//python:defs.bzl", alias = "def")\n',
    ],
)
def test_load_of_a_symbol_that_is_not_a_name(build: str) -> None:
    result, _ = check_build_files({**MARKERS["bazel"], "pkg/BUILD.bazel": build})
    assert result[0] == 1
    assert "which is not a name" in result[2]


# ---------------------------------------------------------------- atheris (optional)

# Coverage-guided fuzzing of the properties that run in this process (the CLI ones fork, where
# atheris sees no coverage): `pip install atheris`, then e.g.
#     .venv/bin/python -m tests.test_fuzz addresses -max_total_time=600
ATHERIS_TARGETS = {
    "addresses": test_parse_address_raises_only_graphpub_errors,
    "pypirc": test_pypirc_reading_raises_only_graphpub_errors,
    "urls": test_url_repositories_raise_only_graphpub_errors,
    "rendering": test_errors_always_render,
}


def atheris_main(argv: Sequence[str]) -> None:
    import atheris  # type: ignore[import-not-found,import-untyped,unused-ignore]

    if len(argv) < 2 or argv[1] not in ATHERIS_TARGETS:
        raise SystemExit(f"usage: python -m tests.test_fuzz {{{','.join(ATHERIS_TARGETS)}}} ...")
    target: Any = ATHERIS_TARGETS[argv[1]]
    atheris.instrument_all()
    atheris.Setup([argv[0], *argv[2:]], target.hypothesis.fuzz_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    import sys

    atheris_main(sys.argv)
