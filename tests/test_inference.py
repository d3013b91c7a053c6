"""Dependency inference from Python imports: `parse_imports`, the import cache, source roots,
first- and third-party module owners, ambiguity, `!` exclusions, in every dialect."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from graphpub.publish import imports as imports_module
from graphpub.publish.imports import ImportCache, ImportedModule, parse_imports
from tests.conftest import TESTDATA, Runner, lines, make_repo

# ---------------------------------------------------------------- helpers


def pants_repo(tmp_path: Path, files: Mapping[str, str], root_patterns: str | None = None) -> Path:
    """A Pants repository holding `files`; `root_patterns` is the TOML array of
    `[source] root_patterns`, if any."""
    toml = f"[source]\nroot_patterns = {root_patterns}\n" if root_patterns is not None else ""
    return make_repo(tmp_path, {"pants.toml": toml, **files})


def dependencies(run: Runner, root: Path, *args: str) -> list[str]:
    """`graphpub dependencies ARGS`, which must succeed without a warning."""
    code, out, err = run(["dependencies", *args], root=root)
    assert (code, err) == (0, ""), err
    return lines(out)


def dependencies_warned(run: Runner, root: Path, *args: str) -> tuple[list[str], list[str]]:
    """`graphpub dependencies ARGS`, which must succeed: its lines and its stderr lines."""
    code, out, err = run(["dependencies", *args], root=root)
    assert code == 0, err
    return lines(out), lines(err)


def candidates(
    source: str, module: str = "pkg.mod", is_package: bool = False
) -> list[tuple[str, ...]]:
    return [i.candidates for i in parse_imports(source, module, is_package)]


def cache_file(root: Path) -> Path:
    return root / ".graphpub" / "imports.json"


# ---------------------------------------------------------------- parse_imports


def test_plain_imports() -> None:
    source = "import os\nimport a.b.c, d as e\n"
    assert parse_imports(source, "pkg.mod", False) == [
        ImportedModule(("os",), 1),
        ImportedModule(("a.b.c",), 2),
        ImportedModule(("d",), 2),
    ]


def test_from_imports_name_the_submodule_then_the_module() -> None:
    assert candidates("from a.b import c, d as e\n") == [("a.b.c", "a.b"), ("a.b.d", "a.b")]


def test_star_import_names_only_the_module() -> None:
    assert candidates("from a.b import *\n") == [("a.b",)]


def test_imports_anywhere_in_the_file() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    import a\n"
        "try:\n"
        "    import b\n"
        "except ImportError:\n"
        "    b = None\n"
        "def f():\n"
        "    from c import d\n"
        "class K:\n"
        "    import e\n"
    )
    assert candidates(source) == [
        ("typing.TYPE_CHECKING", "typing"),
        ("a",),
        ("b",),
        ("c.d", "c"),
        ("e",),
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from . import x\n", [("pkg.sub.x", "pkg.sub")]),
        ("from .sibling import y\n", [("pkg.sub.sibling.y", "pkg.sub.sibling")]),
        ("from .. import z\n", [("pkg.z", "pkg")]),
        ("from ..other import w\n", [("pkg.other.w", "pkg.other")]),
        ("from ..other.deep import *\n", [("pkg.other.deep",)]),
    ],
)
def test_relative_imports_of_a_module(source: str, expected: list[tuple[str, ...]]) -> None:
    # `pkg/sub/mod.py`: its package is `pkg.sub`.
    assert candidates(source, "pkg.sub.mod", False) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from . import x\n", [("pkg.sub.x", "pkg.sub")]),
        ("from .inner import y\n", [("pkg.sub.inner.y", "pkg.sub.inner")]),
        ("from .. import z\n", [("pkg.z", "pkg")]),
    ],
)
def test_relative_imports_of_a_package(source: str, expected: list[tuple[str, ...]]) -> None:
    # `pkg/sub/__init__.py`: the module `pkg.sub` is its own package.
    assert candidates(source, "pkg.sub", True) == expected


@pytest.mark.parametrize(
    ("source", "module", "is_package"),
    [
        ("from ... import x\n", "pkg.mod", False),
        ("from ...far import x\n", "pkg.mod", False),
        # Python: "attempted relative import beyond top-level package" for all of these.
        ("from .. import x\n", "pkg.mod", False),
        ("from ..other import x\n", "pkg.mod", False),
        ("from .. import x\n", "pkg", True),
        ("from ..other import x\n", "pkg", True),
        # A top-level module has no package to be relative to.
        ("from . import x\n", "mod", False),
        ("from .sibling import x\n", "mod", False),
    ],
)
def test_relative_imports_beyond_the_top_are_ignored(
    source: str, module: str, is_package: bool
) -> None:
    assert [name for names in candidates(source, module, is_package) for name in names] == []


def test_relative_imports_within_the_top_level_package() -> None:
    assert candidates("from . import x\n", "pkg", True) == [("pkg.x", "pkg")]
    assert candidates("from .y import z\n", "pkg.mod", False) == [("pkg.y.z", "pkg.y")]


def test_dunder_import_of_a_literal_name_is_an_import() -> None:
    """Pants' parser reads `__import__("x")` as an import, and no other call: not
    `importlib.import_module("x")` (optimeering-beta loads its optional pandas so, and its
    released wheel does not require pandas)."""
    source = (
        "import importlib\n"
        "from importlib import import_module\n"
        'importlib.import_module("a.b")\n'
        'import_module("c")\n'
        '__import__("d.e")\n'
        "import_module(name)\n"
        'importlib.import_module(f"x{y}")\n'
        "__import__(42)\n"
        'builtins.__import__("f")\n'
        "__import__(name)\n"
    )
    assert parse_imports(source, "pkg.mod", False) == [
        ImportedModule(("importlib",), 1),
        ImportedModule(("importlib.import_module", "importlib"), 2),
        ImportedModule(("d.e",), 5),
    ]


def test_string_imports() -> None:
    """Pants' `[python-infer] string_imports`: string literals with `min_dots` dots whose parts
    are identifiers, but the `ignore` globs; f-strings without a placeholder; not what an
    f-string's placeholder holds."""
    source = (
        '"""Docstring, not.a.module with spaces."""\n'
        'INSTALLED_APPS = ["django.contrib.auth", "myapp.apps.MyConfig", "short.name"]\n'
        'pytest_plugins = ("tests.fixtures.db",)\n'
        'PATH = "data/files.json"\n'
        'ALSO = f"app.views.index"\n'
        'NOT = f"app.{x}.index"\n'
        "NESTED = f\"{'nested.module.name'}\"\n"
        'GEN = "gen.generated.thing"\n'
        'BYTES = b"bytes.module.name"\n'
        'BAD = "1bad.module.name"\n'
        "import os\n"
    )
    strings = imports_module.StringImports(min_dots=2, ignore=("gen.*",))
    assert parse_imports(source, "pkg.mod", False, strings) == [
        ImportedModule(("os",), 11),
        ImportedModule(("django.contrib.auth",), 2),
        ImportedModule(("myapp.apps.MyConfig",), 2),
        ImportedModule(("tests.fixtures.db",), 3),
        ImportedModule(("app.views.index",), 5),
        ImportedModule(("bytes.module.name",), 9),
    ]
    one_dot = imports_module.StringImports(min_dots=1)
    assert ImportedModule(("short.name",), 2) in parse_imports(source, "pkg.mod", False, one_dot)
    # Off (Pants' default): no string is an import.
    assert parse_imports(source, "pkg.mod", False) == [ImportedModule(("os",), 11)]


def test_no_infer_dep_pragma() -> None:
    """Pants' `# pants: no-infer-dep`: an import (a name of a `from` import), `__import__` or
    string import ending on a line the comment is on is none; the words in a string are no
    comment."""
    source = (
        "import a  # pants: no-infer-dep\n"
        "from b import (\n"
        "    c,  # pants: no-infer-dep\n"
        "    d,\n"
        ")\n"
        "from e import f  # pants: no-infer-dep\n"
        '__import__("g")  # pants: no-infer-dep\n'
        'import h; x = "# pants: no-infer-dep"\n'
        "CONFIG = {\n"
        '    "runner_module": "tests.test_runner",  # pants: no-infer-dep\n'
        '    "other_module": "tests.other_runner",\n'
        "}\n"
    )
    strings = imports_module.StringImports(min_dots=1)
    assert parse_imports(source, "pkg.mod", False, strings) == [
        ImportedModule(("b.d", "b"), 2),
        ImportedModule(("h",), 8),
        ImportedModule(("tests.other_runner",), 11),
    ]


@pytest.mark.parametrize(
    "source",
    [
        "import a\ndef broken(:\n",
        "print 'python 2'\nimport a\n",
        "import a\x00\n",
        "",
        "# only a comment\n",
    ],
)
def test_unparsable_or_empty_files_give_nothing(source: str) -> None:
    assert parse_imports(source, "pkg.mod", False) == []


# ---------------------------------------------------------------- the import cache


def test_cache_parses_once_and_keeps_results_by_content(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("import a\nfrom b import c\n", encoding="utf-8")
    cache = ImportCache(tmp_path)
    expected = [ImportedModule(("a",), 1), ImportedModule(("b.c", "b"), 2)]
    assert cache.imports(source, "m", False) == expected
    assert not cache_file(tmp_path).exists()  # written by save() only
    cache.save()
    entries = json.loads(cache_file(tmp_path).read_text(encoding="utf-8"))
    assert list(entries.values()) == [[[["a"], 1], [["b.c", "b"], 2]]]
    assert sorted(p.name for p in (tmp_path / ".graphpub").iterdir()) == [
        ".gitignore",  # graphpub's working directory never shows up in git status
        "imports.json",
    ]


def test_cache_answers_unchanged_content_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "m.py"
    source.write_text("import a\n", encoding="utf-8")
    first = ImportCache(tmp_path)
    first.imports(source, "m", False)
    first.save()
    # Rewrite the cached entry: a new cache must answer from it without parsing.
    path = cache_file(tmp_path)
    entries = json.loads(path.read_text(encoding="utf-8"))
    [key] = entries
    path.write_text(json.dumps({key: [[["from_cache"], 7]]}), encoding="utf-8")

    def no_parsing(*args: object) -> list[ImportedModule]:
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(imports_module, "parse_imports", no_parsing)
    second = ImportCache(tmp_path)
    assert second.imports(source, "m", False) == [ImportedModule(("from_cache",), 7)]
    before = path.stat().st_mtime_ns
    second.save()  # nothing new: not rewritten
    assert path.stat().st_mtime_ns == before


def test_cache_of_another_parser_or_string_setting_parses_anew(tmp_path: Path) -> None:
    """Entries are kept by how the file was read too: what an older graphpub took for imports
    (`importlib.import_module("x")`), or another `string_imports` setting, is not reused."""
    source = tmp_path / "m.py"
    source.write_text('import a\nX = "p.q.r"\n', encoding="utf-8")
    content_key = imports_module._key(source.read_bytes(), "m", False)
    cache_file(tmp_path).parent.mkdir()
    stale = {content_key: [[["stale"], 1]], f"{content_key}:1": [[["stale"], 1]]}
    cache_file(tmp_path).write_text(json.dumps(stale), encoding="utf-8")
    plain = ImportCache(tmp_path)
    assert plain.imports(source, "m", False) == [ImportedModule(("a",), 1)]
    plain.save()
    strings = imports_module.StringImports(min_dots=2)
    with_strings = ImportCache(tmp_path, strings)
    expected = [ImportedModule(("a",), 1), ImportedModule(("p.q.r",), 2)]
    assert with_strings.imports(source, "m", False) == expected
    with_strings.save()
    # Both kept: turning string_imports off again parses nothing.
    assert ImportCache(tmp_path).imports(source, "m", False) == [ImportedModule(("a",), 1)]
    assert len(json.loads(cache_file(tmp_path).read_text(encoding="utf-8"))) == 4


def test_cache_reparses_changed_content(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("import a\n", encoding="utf-8")
    cache = ImportCache(tmp_path)
    assert cache.imports(source, "m", False) == [ImportedModule(("a",), 1)]
    cache.save()
    source.write_text("\nimport b\n", encoding="utf-8")
    again = ImportCache(tmp_path)
    assert again.imports(source, "m", False) == [ImportedModule(("b",), 2)]
    again.save()
    entries = json.loads(cache_file(tmp_path).read_text(encoding="utf-8"))
    assert sorted(entries.values()) == [[[["a"], 1]], [[["b"], 2]]]


def test_cache_key_includes_the_module(tmp_path: Path) -> None:
    # The same content means other modules when relative imports resolve elsewhere.
    source = tmp_path / "m.py"
    source.write_text("from . import x\n", encoding="utf-8")
    cache = ImportCache(tmp_path)
    assert cache.imports(source, "p.m", False) == [ImportedModule(("p.x", "p"), 1)]
    assert cache.imports(source, "q.m", False) == [ImportedModule(("q.x", "q"), 1)]
    assert cache.imports(source, "q", True) == [ImportedModule(("q.x", "q"), 1)]


def test_corrupt_cache_is_ignored_and_replaced(tmp_path: Path) -> None:
    cache_file(tmp_path).parent.mkdir()
    cache_file(tmp_path).write_text("{not json", encoding="utf-8")
    source = tmp_path / "m.py"
    source.write_text("import a\n", encoding="utf-8")
    cache = ImportCache(tmp_path)
    assert cache.imports(source, "m", False) == [ImportedModule(("a",), 1)]
    cache.save()
    assert len(json.loads(cache_file(tmp_path).read_text(encoding="utf-8"))) == 1


def test_cache_of_the_wrong_shape_is_ignored(tmp_path: Path) -> None:
    cache_file(tmp_path).parent.mkdir()
    cache_file(tmp_path).write_text("[]", encoding="utf-8")
    source = tmp_path / "m.py"
    source.write_text("import a\n", encoding="utf-8")
    assert ImportCache(tmp_path).imports(source, "m", False) == [ImportedModule(("a",), 1)]


def test_cache_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert ImportCache(tmp_path).imports(tmp_path / "gone.py", "gone", False) == []


def test_cli_writes_the_cache_only_when_inferring(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, {"a/BUILD": "python_sources()\n", "a/m.py": "import os\n"})
    assert dependencies(run, root, "--no-infer", "a/m.py") == []
    assert not cache_file(root).exists()
    assert dependencies(run, root, "a/m.py") == []
    assert len(json.loads(cache_file(root).read_text(encoding="utf-8"))) == 1


def test_cli_sees_an_edited_file(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": "python_sources()\n",
            "a/m.py": "import a.x\n",
            "a/x.py": "",
            "a/y.py": "",
        },
    )
    assert dependencies(run, root, "a/m.py") == ["a/x.py"]
    (root / "a/m.py").write_text("import a.y\n", encoding="utf-8")
    assert dependencies(run, root, "a/m.py") == ["a/y.py"]
    (root / "a/m.py").write_text("import a.x\n", encoding="utf-8")
    assert dependencies(run, root, "a/m.py") == ["a/x.py"]


# ---------------------------------------------------------------- Pants: first party

PANTS_FIRST_PARTY = {
    "src/python/app/BUILD": "python_sources()\n",
    "src/python/app/__init__.py": "",
    "src/python/app/main.py": (
        "import os\n"
        "import json as j\n"
        "from lib.util import helper\n"
        "import lib\n"
        "import lib.util.helper_name.deeper\n"
        "import nowhere.to.be.found\n"
        "from . import sibling\n"
    ),
    "src/python/app/sibling.py": "from .main import x\nfrom app import main\n",
    "src/python/lib/BUILD": "python_sources()\n",
    "src/python/lib/__init__.py": "",
    "src/python/lib/util.py": "def helper(): ...\n",
    "src/python/lib/unused.py": "",
}


def test_pants_first_party_imports(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, PANTS_FIRST_PARTY, '["/src/python"]')
    # stdlib and unknown modules give nothing; `lib.util.helper_name.deeper` is the longest
    # owned prefix `lib.util`; `from . import sibling` is app/sibling.py.
    assert dependencies(run, root, "src/python/app/main.py") == [
        "src/python/app/sibling.py",
        "src/python/lib/__init__.py",
        "src/python/lib/util.py",
    ]
    # `from .main import x` and `from app import main` both name app/main.py: one edge.
    assert dependencies(run, root, "src/python/app/sibling.py") == ["src/python/app/main.py"]
    assert dependencies(run, root, "src/python/lib/util.py") == []


def test_pants_no_self_edges(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": "python_sources()\n",
            "a/__init__.py": "from . import me\nimport a\n",
            "a/me.py": "import a.me\nfrom a import me\nfrom .me import x\nimport a\n",
        },
        '["/"]',
    )
    assert dependencies(run, root, "a/me.py") == ["a/__init__.py"]
    assert dependencies(run, root, "a/__init__.py") == ["a/me.py"]


def test_pants_inferred_edges_in_every_command(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, PANTS_FIRST_PARTY, '["/src/python"]')
    code, out, err = run(["dependents", "src/python/lib/util.py"], root=root)
    assert (code, err) == (0, "")
    # (The generator src/python/lib depends on the targets it generates.)
    assert lines(out) == ["src/python/app/main.py", "src/python/lib"]
    code, out, err = run(["peek", "src/python/app/main.py"], root=root)
    assert (code, err) == (0, "")
    assert "src/python/lib/util.py" in json.loads(out)[0]["dependencies"]
    code, out, err = run(["graph", "--format", "json", "src/python/app/main.py"], root=root)
    assert (code, err) == (0, "")
    assert {
        "from": "src/python/app/main.py",
        "to": "src/python/lib/util.py",
        "inferred": True,
    } in json.loads(out)["edges"]
    # The transitive closure follows inferred edges (main.py imports sibling.py back).
    assert dependencies(run, root, "--transitive", "src/python/app/sibling.py") == [
        "src/python/app/main.py",
        "src/python/lib/__init__.py",
        "src/python/lib/util.py",
    ]


def test_no_infer(tmp_path: Path, run: Runner) -> None:
    files = {
        **PANTS_FIRST_PARTY,
        "src/python/app/BUILD": 'python_sources(dependencies = ["src/python/lib/unused.py"])\n',
    }
    root = pants_repo(tmp_path, files, '["/src/python"]')
    for command in ("dependencies", "dependents", "peek", "graph"):
        code, out, err = run([command, "--no-infer", "src/python/lib/util.py"], root=root)
        assert (code, err) == (0, ""), command
    assert dependencies(run, root, "--no-infer", "src/python/app/main.py") == [
        "src/python/lib/unused.py"
    ]
    code, out, err = run(["dependents", "--no-infer", "src/python/lib/util.py"], root=root)
    assert (code, out, err) == (0, "src/python/lib\n", "")
    code, out, err = run(["peek", "--no-infer", "src/python/app/main.py"], root=root)
    assert json.loads(out)[0]["dependencies"] == ["src/python/lib/unused.py"]
    assert dependencies(run, root, "src/python/app/main.py") == [
        "src/python/app/sibling.py",
        "src/python/lib/__init__.py",
        "src/python/lib/unused.py",
        "src/python/lib/util.py",
    ]


def test_explicit_dependency_is_not_repeated(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": 'python_sources(dependencies = ["b/x.py"])\n',
            "a/m.py": "import b.x\nimport b.y\n",
            "b/BUILD": "python_sources()\n",
            "b/x.py": "",
            "b/y.py": "",
        },
    )
    assert dependencies(run, root, "a/m.py") == ["b/x.py", "b/y.py"]


@pytest.mark.parametrize(
    ("python_infer", "expected"),
    [
        ("", ["plugins/plain.py"]),
        # Pants' default min_dots is 2: `plugins.fancy` has one.
        ("string_imports = true\n", ["plugins/deep/fancy.py", "plugins/plain.py"]),
        (
            "string_imports = true\nstring_imports_min_dots = 1\n",
            ["plugins/deep/fancy.py", "plugins/fancy.py", "plugins/plain.py"],
        ),
        (
            "string_imports = true\nstring_imports_min_dots = 1\n"
            'string_import_ignore = ["*.deep.*"]\n',
            ["plugins/fancy.py", "plugins/plain.py"],
        ),
    ],
)
def test_dynamic_imports_in_a_repository(
    tmp_path: Path, run: Runner, python_infer: str, expected: list[str]
) -> None:
    """`__import__("x")` is an import; `importlib.import_module("x")` is not, unless
    `[python-infer] string_imports` makes its string one, as any other string (st2 and podsmith
    turn it on with string_imports_min_dots = 1)."""
    root = make_repo(
        tmp_path,
        {
            "pants.toml": f"[python-infer]\n{python_infer}",
            "a/BUILD": "python_sources()\n",
            "a/m.py": (
                "import importlib\n"
                'plugin = importlib.import_module("plugins.fancy")\n'
                'deep = importlib.import_module("plugins.deep.fancy")\n'
                'other = __import__("plugins.plain")\n'
                "dynamic = importlib.import_module(plugin.name)\n"
            ),
            "plugins/BUILD": "python_sources()\n",
            "plugins/fancy.py": "",
            "plugins/plain.py": "",
            "plugins/never.py": "",
            "plugins/deep/BUILD": "python_sources()\n",
            "plugins/deep/fancy.py": "",
        },
    )
    assert dependencies(run, root, "a/m.py") == expected


def test_a_source_roots_own_init_is_no_module(tmp_path: Path, run: Runner) -> None:
    """A source root's own `__init__.py` is no module Pants maps (it names it `.`): st2's
    string `"__init__.py"`, taken for an import with string_imports_min_dots = 1, is not
    owned by the `__init__.py` of each of its roots."""
    root = make_repo(
        tmp_path,
        {
            "pants.toml": (
                '[source]\nroot_patterns = ["/contrib/core", "/tools"]\n'
                "[python-infer]\nstring_imports = true\nstring_imports_min_dots = 1\n"
            ),
            "contrib/core/BUILD": "python_sources()\n",
            "contrib/core/__init__.py": "",
            "contrib/core/helper.py": "",
            "tools/BUILD": "python_sources()\n",
            "tools/__init__.py": "",
            "tools/m.py": 'SKIP = ["__init__.py", "__init__.pyc"]\nimport helper\n',
        },
    )
    assert dependencies(run, root, "tools/m.py") == ["contrib/core/helper.py"]


def test_string_imports_setting_is_checked(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[python-infer]\nstring_imports = true\nstring_imports_min_dots = "1"\n',
            "BUILD": "",
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, out) == (1, "")
    assert "pants.toml: [python-infer] string_imports_min_dots must be a whole number" in err


def test_relative_imports_in_a_repository(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "src/BUILD": "python_sources()\n",
            "src/proj/BUILD": "python_sources()\n",
            "src/proj/__init__.py": "from .core import run\n",
            "src/proj/core.py": "from . import helpers\nfrom .sub.leaf import thing\n",
            # Both beyond the top package `proj`: ignored.
            "src/proj/helpers.py": "from .. import toplevel\nfrom ..toplevel import x\n",
            "src/proj/sub/BUILD": "python_sources()\n",
            "src/proj/sub/__init__.py": "",
            "src/proj/sub/leaf.py": "from ..helpers import h\nfrom ... import toplevel\n",
            "src/toplevel.py": "",
        },
        '["/src"]',
    )
    assert dependencies(run, root, "src/proj/__init__.py") == ["src/proj/core.py"]
    assert dependencies(run, root, "src/proj/core.py") == [
        "src/proj/helpers.py",
        "src/proj/sub/leaf.py",
    ]
    assert dependencies(run, root, "src/proj/sub/leaf.py") == ["src/proj/helpers.py"]
    # `from .. import toplevel` / `from ..toplevel import x` in proj/helpers.py go beyond
    # `proj`: Python fails, so nothing is inferred (not src/toplevel.py).
    assert dependencies(run, root, "src/proj/helpers.py") == []


def test_tests_and_stubs_own_their_modules(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": "python_sources()\npython_tests(name = 'tests')\n",
            "a/util.py": "",
            "a/util.pyi": "",
            "a/test_util.py": "import a.util\nimport a.conftest_helpers\n",
            "a/conftest_helpers.py": "",
            "b/BUILD": "python_sources()\n",
            "b/m.py": "from a import util\nimport a.test_util\n",
        },
    )
    # The stub and the code are both dependencies, not a choice between them.
    assert dependencies(run, root, "a/test_util.py:tests") == [
        "a/conftest_helpers.py",
        "a/util.py",
        "a/util.pyi",
    ]
    assert dependencies(run, root, "b/m.py") == [
        "a/test_util.py:tests",
        "a/util.py",
        "a/util.pyi",
    ]


def test_stub_only_module_is_a_dependency(tmp_path: Path, run: Runner) -> None:
    # A `.pyi` file owns its module, even when no `.py` goes with it (a compiled extension).
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": "python_sources()\n",
            "a/fast.pyi": "def f() -> int: ...\n",
            "b/BUILD": "python_sources()\n",
            "b/m.py": "from a.fast import f\n",
        },
    )
    assert dependencies(run, root, "b/m.py") == ["a/fast.pyi"]


def test_stub_and_code_in_separate_targets(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'python_sources(name = "code", sources = ["*.py"])\n'
                'python_sources(name = "stubs", sources = ["*.pyi"])\n'
            ),
            "a/util.py": "",
            "a/util.pyi": "",
            "b/BUILD": "python_sources()\n",
            "b/m.py": "import a.util\n",
        },
    )
    assert dependencies(run, root, "b/m.py") == ["a/util.py:code", "a/util.pyi:stubs"]


# ---------------------------------------------------------------- ambiguity and `!`

AMBIGUOUS = {
    "lib/BUILD": 'python_sources()\npython_sources(name = "again", sources = ["util.py"])\n',
    "lib/util.py": "",
    "lib/other.py": "",
    "app/BUILD": "python_sources()\n",
    "app/main.py": "import lib.util\nimport lib.other\nfrom lib.util import f\n",
}

AMBIGUITY_WARNING = (
    "warning: app/main.py:1: app/main.py imports a module owned by several targets "
    "(lib/util.py, lib/util.py:again): no dependency inferred; add the one meant to its "
    "dependencies, or exclude the others with `!`"
)


def test_ambiguous_import_warns_once_and_infers_nothing(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, AMBIGUOUS)
    out, err = dependencies_warned(run, root, "app/main.py")
    assert out == ["lib/other.py"]
    assert err == [AMBIGUITY_WARNING]
    # Every command that infers warns the same way.
    code, out_text, err_text = run(["peek", "app/main.py"], root=root)
    assert code == 0
    assert lines(err_text) == [AMBIGUITY_WARNING]
    assert json.loads(out_text)[0]["dependencies"] == ["lib/other.py"]
    # Without inference there is nothing to be ambiguous about.
    code, out_text, err_text = run(["dependencies", "--no-infer", "app/main.py"], root=root)
    assert (code, out_text, err_text) == (0, "", "")


def test_explicit_dependency_settles_an_ambiguity(tmp_path: Path, run: Runner) -> None:
    files = {**AMBIGUOUS, "app/BUILD": 'python_sources(dependencies = ["lib/util.py:again"])\n'}
    root = pants_repo(tmp_path, files)
    assert dependencies(run, root, "app/main.py") == ["lib/other.py", "lib/util.py:again"]


@pytest.mark.parametrize(
    ("excluded", "kept"),
    [("!lib/util.py:again", "lib/util.py"), ("!!lib/util.py:lib", "lib/util.py:again")],
)
def test_exclusion_settles_an_ambiguity(
    tmp_path: Path, run: Runner, excluded: str, kept: str
) -> None:
    files = {**AMBIGUOUS, "app/BUILD": f'python_sources(dependencies = ["{excluded}"])\n'}
    root = pants_repo(tmp_path, files)
    assert dependencies(run, root, "app/main.py") == ["lib/other.py", kept]


@pytest.mark.parametrize("bang", ["!", "!!"])
def test_exclusion_drops_an_inferred_edge(tmp_path: Path, run: Runner, bang: str) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": f'python_sources(dependencies = ["{bang}b/x.py"])\n',
            "a/m.py": "import b.x\nimport b.y\n",
            "a/n.py": "import b.x\n",
            "b/BUILD": "python_sources()\n",
            "b/x.py": "",
            "b/y.py": "",
        },
    )
    assert dependencies(run, root, "a/m.py") == ["b/y.py"]
    assert dependencies(run, root, "a/n.py") == []
    code, out, err = run(["dependents", "b/x.py"], root=root)
    assert (code, out, err) == (0, "b\n", "")  # only its generator


def test_ambiguity_between_source_roots(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "one/shared/BUILD": "python_sources()\n",
            "one/shared/__init__.py": "",
            "two/shared/BUILD": "python_sources()\n",
            "two/shared/__init__.py": "",
            "app/BUILD": "python_sources()\n",
            "app/m.py": "\n\nfrom shared import thing\n",
        },
        '["/one", "/two", "/"]',
    )
    out, err = dependencies_warned(run, root, "app/m.py")
    assert out == []
    assert err == [
        "warning: app/m.py:3: app/m.py imports a module owned by several targets "
        "(one/shared/__init__.py, two/shared/__init__.py): no dependency inferred; add the "
        "one meant to its dependencies, or exclude the others with `!`"
    ]


# ---------------------------------------------------------------- Pants: third party

REQUIREMENTS_TXT = """\
PyYAML>=6
Pillow
scikit-learn==1.5
attrs
protobuf>=4
Foo.Bar-Baz
my-dist
types-toml
python-dateutil
"""


def test_third_party_modules(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": 'python_requirements(module_mapping = {"my-dist": ["mymod"]})\n',
            "3rd/requirements.txt": REQUIREMENTS_TXT,
            "app/BUILD": "python_sources()\n",
            "app/m.py": (
                "import yaml\n"
                "from PIL import Image\n"
                "import sklearn.linear_model\n"
                "import attr\n"
                "from google.protobuf import message\n"
                "import foo.bar_baz.sub\n"
                "import mymod.sub\n"
                "import toml\n"
                "from dateutil import parser\n"
            ),
            "app/not_mapped.py": (
                "import my_dist\nimport pyyaml\nimport google\nimport foo_bar_baz\n"
            ),
        },
    )
    assert dependencies(run, root, "app/m.py") == [
        "3rd#Foo.Bar-Baz",
        "3rd#Pillow",
        "3rd#PyYAML",
        "3rd#attrs",
        "3rd#my-dist",
        "3rd#protobuf",
        "3rd#python-dateutil",
        "3rd#scikit-learn",
        "3rd#types-toml",
    ]
    # module_mapping replaces the module named like the project; `google` alone is not
    # `google.protobuf`; a project's `.` stays one in its module, as Pants keeps it.
    assert dependencies(run, root, "app/not_mapped.py") == []


def test_python_requirement_modules_field(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": (
                'python_requirement(name = "odd", requirements = ["odd-dist"], '
                'modules = ["oddly", "also.this"])\n'
            ),
            "app/BUILD": "python_sources()\n",
            "app/m.py": "import oddly.x\nimport also.this.y\n",
            "app/n.py": "import odd_dist\nimport also\n",
        },
    )
    assert dependencies(run, root, "app/m.py") == ["3rd:odd"]
    assert dependencies(run, root, "app/n.py") == []


def test_pants_default_module_mapping(tmp_path: Path, run: Runner) -> None:
    """Pants' DEFAULT_MODULE_MAPPING and its patterns (optimeering-beta imports azure.identity
    from azure-identity, which only `^azure-.+` maps)."""
    root = pants_repo(
        tmp_path,
        {
            "BUILD": 'python_requirements(name = "reqs")\n',
            "requirements.txt": (
                "azure-identity==1.17.1\n"
                "django-redis==5.4.0\n"
                "websocket-client==1.8.0\n"
                "factory-boy==3.3.0\n"
                "GitPython==3.1.43\n"
                "opentelemetry-sdk==1.27.0\n"
                "python-json-logger==2.0.7\n"
                "google-cloud-bigquery==3.25.0\n"
            ),
            "app/BUILD": "python_sources()\n",
            "app/main.py": (
                "import azure.identity\n"
                "import django_redis\n"
                "import websocket\n"
                "import factory\n"
                "import git\n"
                "import opentelemetry.sdk\n"
                "import pythonjsonlogger\n"
                "from google.cloud import bigquery\n"
            ),
            # Named like their projects, as a mapping would not name them.
            "app/unmapped.py": "import azure_identity\nimport gitpython\nimport factory_boy\n",
        },
    )
    assert dependencies(run, root, "app/main.py") == [
        "//:reqs#GitPython",
        "//:reqs#azure-identity",
        "//:reqs#django-redis",
        "//:reqs#factory-boy",
        "//:reqs#google-cloud-bigquery",
        "//:reqs#opentelemetry-sdk",
        "//:reqs#python-json-logger",
        "//:reqs#websocket-client",
    ]
    assert dependencies(run, root, "app/unmapped.py") == []


@pytest.mark.parametrize(
    ("project", "module"),
    [
        ("azure-storage-blob", "azure.storage.blob"),
        ("django-environ", "environ"),
        ("google-cloud-secret-manager", "google.cloud.secretmanager"),
        ("google-cloud-bigquery", "google.cloud.bigquery_v2"),
        ("opentelemetry-instrumentation-django", "opentelemetry.instrumentation.django"),
        ("oslo-config", "oslo_config"),
        ("python-dotenv", "dotenv"),
        ("apache-airflow-providers-amazon", "airflow.providers.amazon"),
    ],
)
def test_pants_module_patterns(tmp_path: Path, run: Runner, project: str, module: str) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": "python_requirements()\n",
            "3rd/requirements.txt": f"{project}\n",
            "app/BUILD": "python_sources()\n",
            "app/m.py": f"import {module}.sub\n",
            "app/plain.py": f"import {project.replace('-', '_')}\n",
        },
    )
    assert dependencies(run, root, "app/m.py") == [f"3rd#{project}"]
    # A pattern's modules replace the name's own, as Pants' do (oslo's are the same).
    plain = [] if module.split(".")[0] != project.replace("-", "_") else [f"3rd#{project}"]
    assert dependencies(run, root, "app/plain.py") == plain


def test_explicit_modules_beat_the_default_mapping(tmp_path: Path, run: Runner) -> None:
    """A requirement's `modules` (or python_requirements' `module_mapping`) replaces what Pants'
    default mapping or a pattern gives, and `type_stub_modules` what the stub patterns give."""
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": (
                'python_requirements(module_mapping = {"azure-identity": ["azid"]})\n'
                'python_requirement(name = "git", requirements = ["gitpython"], '
                'modules = ["gitalt"])\n'
                'python_requirement(name = "stubs", requirements = ["types-pyyaml"], '
                'type_stub_modules = ["yamlalt"])\n'
                # Pants reads `type_stub_modules` only when `modules` names none.
                'python_requirement(name = "both", requirements = ["both"], '
                'modules = ["both_code"], type_stub_modules = ["both_stubs"])\n'
            ),
            "3rd/requirements.txt": "azure-identity\n",
            "app/BUILD": "python_sources()\n",
            "app/new.py": (
                "import azid\nimport gitalt\nimport yamlalt\nimport both_code\nimport both_stubs\n"
            ),
            "app/default.py": "import azure.identity\nimport git\nimport yaml\n",
        },
    )
    assert dependencies(run, root, "app/new.py") == [
        "3rd#azure-identity",
        "3rd:both",
        "3rd:git",
        "3rd:stubs",
    ]
    assert dependencies(run, root, "app/default.py") == []


def test_pants_default_type_stub_mapping(tmp_path: Path, run: Runner) -> None:
    """Pants' DEFAULT_TYPE_STUB_MODULE_MAPPING (types-pyyaml types yaml) and its patterns
    (`types-*`, `*-stubs`, ...), tried before the code patterns (django-stubs is not
    `^django-`'s module `stubs`)."""
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": "python_requirements()\n",
            "3rd/requirements.txt": (
                "PyYAML\ntypes-PyYAML\nDjango\ndjango-stubs\nboto3\nboto3-stubs\n"
                "types-python-dateutil\n"
            ),
            "app/BUILD": "python_sources()\n",
            "app/m.py": "import yaml\nimport django.db\nimport boto3\nimport dateutil\n",
            "app/n.py": "import stubs\nimport types_pyyaml\n",
        },
    )
    assert dependencies(run, root, "app/m.py") == [
        "3rd#Django",
        "3rd#PyYAML",
        "3rd#boto3",
        "3rd#boto3-stubs",
        "3rd#django-stubs",
        "3rd#types-PyYAML",
        "3rd#types-python-dateutil",
    ]
    assert dependencies(run, root, "app/n.py") == []


def test_type_stubs_and_their_project_are_both_dependencies(tmp_path: Path, run: Runner) -> None:
    # As Pants does: `types-requests` types `requests`; importing requests needs both.
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": "python_requirements()\n",
            "3rd/requirements.txt": "requests\ntypes-requests\n",
            "app/BUILD": "python_sources()\n",
            "app/m.py": "import requests\n",
        },
    )
    assert dependencies(run, root, "app/m.py") == ["3rd#requests", "3rd#types-requests"]


def test_type_stubs_module_mapping_pairs_with_the_code(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": (
                "python_requirements(\n"
                '    module_mapping = {"fast-impl": ["fast"]},\n'
                '    type_stubs_module_mapping = {"fast-typing": ["fast"]},\n'
                ")\n"
            ),
            "3rd/requirements.txt": "fast-impl\nfast-typing\n",
            "app/BUILD": "python_sources()\n",
            "app/m.py": "from fast import go\n",
        },
    )
    assert dependencies(run, root, "app/m.py") == ["3rd#fast-impl", "3rd#fast-typing"]


def test_first_party_before_third_party(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": "python_requirements()\n",
            "3rd/requirements.txt": "attrs\nsix\n",
            "src/BUILD": "python_sources()\n",
            "src/attr/__init__.py": "",
            "src/attr/BUILD": "python_sources()\n",
            "src/app.py": "import attr\nimport six\n",
        },
        '["/src"]',
    )
    assert dependencies(run, root, "src/app.py") == ["3rd#six", "src/attr/__init__.py"]


def test_longest_owned_prefix_wins_across_first_and_third_party(
    tmp_path: Path, run: Runner
) -> None:
    # First-party code in the `google` namespace does not own `google.protobuf`, which the
    # protobuf requirement provides: the longest owned prefix of `google.protobuf.message`.
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": "python_requirements()\n",
            "3rd/requirements.txt": "protobuf\n",
            "google/BUILD": "python_sources()\n",
            "google/__init__.py": "",
            "app/BUILD": "python_sources()\n",
            "app/m.py": "from google.protobuf import message\n",
            "app/n.py": "import google.mine\n",
        },
    )
    assert dependencies(run, root, "app/m.py") == ["3rd#protobuf"]
    assert dependencies(run, root, "app/n.py") == ["google/__init__.py"]


def test_third_party_ambiguity(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": "python_requirements()\n",
            "3rd/requirements.txt": "six\n",
            "other/BUILD": 'python_requirement(name = "six", requirements = ["six==1.16"])\n',
            "app/BUILD": "python_sources()\n",
            "app/m.py": "import six\n",
        },
    )
    out, err = dependencies_warned(run, root, "app/m.py")
    assert out == []
    assert err == [
        "warning: app/m.py:1: app/m.py imports a module owned by several targets "
        "(3rd#six, other:six): no dependency inferred; add the one meant to its "
        "dependencies, or exclude the others with `!`"
    ]
    (root / "app/BUILD").write_text(
        'python_sources(dependencies = ["!other:six"])\n', encoding="utf-8"
    )
    assert dependencies(run, root, "app/m.py") == ["3rd#six"]


def test_only_owners_of_the_importers_resolve_count(tmp_path: Path, run: Runner) -> None:
    """Pants keeps a module mapping per resolve (era-5g-interface: the `mypy` resolve's numpy
    does not compete with the default resolve's, which the library's code imports)."""
    root = pants_repo(
        tmp_path,
        {
            "pants.toml": (
                '[source]\nroot_patterns = ["/"]\n[python]\nenable_resolves = true\n'
                'resolves = { python-default = "d.lock", mypy = "m.lock" }\n'
            ),
            "BUILD": (
                'python_requirements(name = "reqs")\n'
                'python_requirements(name = "mypy", source = "mypy.txt", resolve = "mypy")\n'
            ),
            "requirements.txt": "numpy>=1.24\n",
            "mypy.txt": "numpy>=1.24\nmypy==1.7.1\n",
            "app/BUILD": (
                "python_sources()\n"
                'python_sources(name = "checks", sources = ["check.py"], resolve = "mypy")\n'
            ),
            "app/m.py": "import numpy\n",
            "app/check.py": "import numpy\nimport mypy\n",
        },
    )
    out, err = dependencies_warned(run, root, "app/m.py")
    assert (out, err) == (["//:reqs#numpy"], [])
    assert dependencies(run, root, "app/check.py:checks") == ["//:mypy#mypy", "//:mypy#numpy"]


def test_resolves_are_ignored_unless_enabled(tmp_path: Path, run: Runner) -> None:
    """Without `[python] enable_resolves` Pants ignores `resolve` fields: pants-dep-graph's
    `pants_requirements(resolve="pants-plugins")` provides `pants` to its plugin's code, which
    names no resolve; two resolves' numpy then compete."""
    root = pants_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/"]\n',
            "BUILD": (
                'python_requirement(name = "pants", requirements = ["pantsbuild.pants"], '
                'modules = ["pants"], resolve = "pants-plugins")\n'
                'python_requirements(name = "reqs")\n'
                'python_requirements(name = "mypy", source = "mypy.txt", resolve = "mypy")\n'
            ),
            "requirements.txt": "numpy>=1.24\n",
            "mypy.txt": "numpy>=1.24\n",
            "plugin/BUILD": "python_sources()\n",
            "plugin/register.py": "from pants.engine.rules import collect_rules\n",
            "plugin/uses_numpy.py": "import numpy\n",
        },
    )
    out, _ = dependencies_warned(run, root, "plugin/register.py")
    assert out == ["//:pants"]
    out, err = dependencies_warned(run, root, "plugin/uses_numpy.py")
    assert out == []
    assert "owned by several targets (//:mypy#numpy, //:reqs#numpy)" in err[0]


def test_a_script_without_extension_has_its_imports_inferred(tmp_path: Path, run: Runner) -> None:
    """Pants' python_source takes a file without extension (st2's `bin/st2-*` scripts), and
    infers its imports."""
    root = pants_repo(
        tmp_path,
        {
            "lib/BUILD": "python_sources()\n",
            "lib/__init__.py": "",
            "lib/cmd.py": "def main(): ...\n",
            "bin/BUILD": 'python_sources(sources = ["st2-*"])\n',
            "bin/st2-purge": "import sys\nfrom lib.cmd import main\nsys.exit(main())\n",
        },
    )
    assert dependencies(run, root, "bin/st2-purge") == ["lib/cmd.py"]


def test_a_distribution_depends_on_the_modules_of_its_entry_points(
    tmp_path: Path, run: Runner
) -> None:
    """Pants infers a python_distribution's dependencies from the entry points of its field and
    of its `provides` (frontrunner-sdk's package reaches its distribution only that way), and
    a pex_binary an entry point names by address."""
    root = pants_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/"]\n',
            "BUILD": (
                "python_distribution(name = 'dist',\n"
                "    entry_points = {'console_scripts': {'fake': 'sdk:_fake', 'app': ':app'}},\n"
                "    provides = python_artifact(name = 'sdk', version = '1',\n"
                "        entry_points = {'pytest11': {'sdk': 'sdk.plugin'}}))\n"
                "pex_binary(name = 'app', entry_point = 'tool/main.py')\n"
            ),
            "sdk/BUILD": "python_sources()\n",
            "sdk/__init__.py": "",
            "sdk/plugin.py": "",
            "tool/BUILD": "python_sources()\n",
            "tool/main.py": "",
        },
    )
    assert dependencies(run, root, "//:dist") == [
        "//:app",
        "sdk/__init__.py",
        "sdk/plugin.py",
    ]


# ---------------------------------------------------------------- source roots


def test_default_source_roots_longest_wins(tmp_path: Path, run: Runner) -> None:
    # Defaults: "/", "src", "src/python", "src/py"; src/python/x is the module `x`.
    root = pants_repo(
        tmp_path,
        {
            "src/python/x/BUILD": "python_sources()\n",
            "src/python/x/__init__.py": "",
            "src/y/BUILD": "python_sources()\n",
            "src/y/__init__.py": "",
            "tools/BUILD": "python_sources()\n",
            "tools/z.py": "",
            "app/BUILD": "python_sources()\n",
            "app/m.py": "import x\nimport y\nimport tools.z\nimport python.x\nimport src.y\n",
        },
    )
    assert dependencies(run, root, "app/m.py") == [
        "src/python/x/__init__.py",
        "src/y/__init__.py",
        "tools/z.py",
    ]


ROOTS_FILES = {
    "src/BUILD": "python_sources()\n",
    "src/app.py": "import lib\nimport other\n",
    "src/lib/BUILD": "python_sources()\n",
    "src/lib/__init__.py": "",
    "proj/src/other/BUILD": "python_sources()\n",
    "proj/src/other/__init__.py": "",
}


def test_anchored_root_pattern(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, ROOTS_FILES, '["/src"]')
    # proj/src is no source root: its file has no module.
    assert dependencies(run, root, "src/app.py") == ["src/lib/__init__.py"]


def test_root_pattern_anywhere(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, ROOTS_FILES, '["src"]')
    assert dependencies(run, root, "src/app.py") == [
        "proj/src/other/__init__.py",
        "src/lib/__init__.py",
    ]


def test_multi_part_pattern_anywhere(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/src/python/one/BUILD": "python_sources()\n",
            "a/src/python/one/__init__.py": "",
            "src/python/two/BUILD": "python_sources()\n",
            "src/python/two/__init__.py": "import one\n",
            # Only the suffix src/python, not any directory named python.
            "python/three/BUILD": "python_sources()\n",
            "python/three/__init__.py": "",
            "b/python/four/BUILD": "python_sources()\n",
            "b/python/four/__init__.py": "",
        },
        '["src/python", "/"]',
    )
    assert dependencies(run, root, "src/python/two/__init__.py") == ["a/src/python/one/__init__.py"]
    (root / "src/python/two/__init__.py").write_text(
        "import three\nimport four\nimport python.three\nimport b.python.four\n",
        encoding="utf-8",
    )
    assert dependencies(run, root, "src/python/two/__init__.py") == [
        "b/python/four/__init__.py",
        "python/three/__init__.py",
    ]


def test_wildcard_root_pattern(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "projects/alpha/BUILD": "python_sources()\n",
            "projects/alpha/alpha_mod.py": "",
            "projects/beta/BUILD": "python_sources()\n",
            "projects/beta/beta_mod.py": "import alpha_mod\n",
        },
        '["/projects/*"]',
    )
    assert dependencies(run, root, "projects/beta/beta_mod.py") == ["projects/alpha/alpha_mod.py"]


def test_wildcard_matches_one_directory(tmp_path: Path, run: Runner) -> None:
    # As Pants' own test: with `src/*`, src/python/foo/bar.py is below the root src/python
    # (the module foo.bar), not below src/python/foo: `*` does not match a `/`.
    root = pants_repo(
        tmp_path,
        {
            "src/python/foo/BUILD": "python_sources()\n",
            "src/python/foo/__init__.py": "",
            "src/python/foo/bar.py": "",
            "src/python/app/BUILD": "python_sources()\n",
            "src/python/app/m.py": "import foo.bar\nimport foo\n",
            "src/python/app/n.py": "import bar\n",
        },
        '["/src/*"]',
    )
    assert dependencies(run, root, "src/python/app/m.py") == [
        "src/python/foo/__init__.py",
        "src/python/foo/bar.py",
    ]
    assert dependencies(run, root, "src/python/app/n.py") == []


def test_marker_filenames(tmp_path: Path, run: Runner) -> None:
    files = {
        "pkgs/alpha/setup.py": "",
        "pkgs/alpha/alpha/BUILD": "python_sources()\n",
        "pkgs/alpha/alpha/__init__.py": "",
        "pkgs/beta/setup.py": "",
        "pkgs/beta/beta/BUILD": "python_sources()\n",
        "pkgs/beta/beta/main.py": "import alpha\nimport pkgs.alpha.alpha\n",
    }
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/"]\nmarker_filenames = ["setup.py"]\n',
            **files,
        },
    )
    assert dependencies(run, root, "pkgs/beta/beta/main.py") == ["pkgs/alpha/alpha/__init__.py"]
    # Without the marker, pkgs/alpha/alpha is the module pkgs.alpha.alpha below the root "/".
    (root / "pants.toml").write_text('[source]\nroot_patterns = ["/"]\n', encoding="utf-8")
    assert dependencies(run, root, "pkgs/beta/beta/main.py") == ["pkgs/alpha/alpha/__init__.py"]
    (root / "pkgs/beta/beta/main.py").write_text("import alpha\n", encoding="utf-8")
    assert dependencies(run, root, "pkgs/beta/beta/main.py") == []


def test_graphpub_toml_source_roots_win_over_pants_toml(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, ROOTS_FILES, '["/src"]')
    (root / "graphpub.toml").write_text('source_roots = ["src"]\n', encoding="utf-8")
    assert dependencies(run, root, "src/app.py") == [
        "proj/src/other/__init__.py",
        "src/lib/__init__.py",
    ]


def test_graphpub_toml_source_root_markers(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "graphpub.toml": 'source_roots = ["/nothing"]\nsource_root_markers = ["ROOT"]\n',
            "x/ROOT": "",
            "x/BUILD": "python_sources()\n",
            "x/m.py": "import n\n",
            "x/n.py": "",
        },
    )
    assert dependencies(run, root, "x/m.py") == ["x/n.py"]


# ---------------------------------------------------------------- Bazel

BAZEL_FILES = {
    "MODULE.bazel": (
        'pip = use_extension("@rules_python//python/extensions:pip.bzl", "pip")\n'
        'pip.parse(hub_name = "pypi", python_version = "3.11", requirements_lock = "//:lock")\n'
        'use_repo(pip, "pypi")\n'
    ),
    "lib/python/mylib/BUILD.bazel": (
        "py_library(\n"
        '    name = "mylib",\n'
        '    srcs = ["__init__.py", "core.py"],\n'
        '    imports = [".."],\n'
        '    deps = ["@pypi//requests", "@pypi//pyyaml"],\n'
        ")\n"
    ),
    "lib/python/mylib/__init__.py": "",
    "lib/python/mylib/core.py": "import requests\nfrom . import helpers\n",
    "lib/python/mylib/helpers.py": "",
    "tools/BUILD.bazel": 'py_library(name = "tools", srcs = ["t.py"])\n',
    "tools/t.py": "",
    "app/BUILD.bazel": (
        'py_binary(name = "app", srcs = ["main.py"])\n'
        'py_test(name = "app_test", srcs = ["main_test.py"], deps = [":app"])\n'
    ),
    "app/main.py": (
        "from mylib.core import run\n"
        "import lib.python.mylib\n"
        "import tools.t\n"
        "import yaml\n"
        "import requests.adapters\n"
        "import t\n"
    ),
    "app/main_test.py": "import app.main\nimport tools.t\n",
}


def test_bazel_imports_add_source_roots(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, BAZEL_FILES)
    # `mylib.core` through imports = [".."]; `lib.python.mylib` from the workspace root;
    # the requirements some target names are known, with their well-known module names.
    assert dependencies(run, root, "//app:app") == [
        "//lib/python/mylib:mylib",
        "//tools:tools",
        "@pypi//pyyaml:pyyaml",
        "@pypi//requests:requests",
    ]
    assert dependencies(run, root, "//app:app_test") == ["//app:app", "//tools:tools"]
    # helpers.py is in no target's srcs: nothing owns `mylib.helpers`.
    assert dependencies(run, root, "//lib/python/mylib:mylib") == [
        "@pypi//pyyaml:pyyaml",
        "@pypi//requests:requests",
    ]
    assert dependencies(run, root, "--no-infer", "//app:app") == []


def test_bazel_ambiguity(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "lib/BUILD.bazel": (
                'py_library(name = "a", srcs = ["x.py"])\npy_library(name = "b", srcs = ["x.py"])\n'
            ),
            "lib/x.py": "",
            "app/BUILD.bazel": 'py_binary(name = "app", srcs = ["main.py"])\n',
            "app/main.py": "import lib.x\n",
        },
    )
    out, err = dependencies_warned(run, root, "//app")
    assert out == []
    assert err == [
        "warning: app/main.py:1: //app:app imports a module owned by several targets "
        "(//lib:a, //lib:b): no dependency inferred; add the one meant to its dependencies, "
        "or exclude the others with `!`"
    ]
    (root / "app/BUILD.bazel").write_text(
        'py_binary(name = "app", srcs = ["main.py"], deps = ["//lib:b"])\n', encoding="utf-8"
    )
    assert dependencies(run, root, "//app") == ["//lib:b"]


# ---------------------------------------------------------------- Buck2

BUCK2_FILES = {
    ".buckconfig": "[cells]\n  root = .\n",
    "libs/foo/BUCK": (
        'python_library(name = "foo", srcs = ["__init__.py", "util.py"], '
        'base_module = "company.foo")\n'
    ),
    "libs/foo/__init__.py": "",
    "libs/foo/util.py": "from . import helper\n",
    "libs/bar/BUCK": 'python_library(name = "bar", srcs = ["sub/x.py"])\n',
    "libs/bar/sub/x.py": "",
    "libs/top/BUCK": 'python_library(name = "top", srcs = ["topmod.py"], base_module = "")\n',
    "libs/top/topmod.py": "",
    "app/BUCK": (
        'python_library(name = "app", srcs = ["main.py"])\n'
        'python_test(name = "test", srcs = ["test_main.py"])\n'
    ),
    "app/main.py": (
        "from company.foo.util import thing\n"
        "import libs.bar.sub.x\n"
        "import topmod\n"
        "import libs.foo.util\n"
        "import libs.top.topmod\n"
    ),
    "app/test_main.py": "from app import main\n",
}


def test_buck2_base_module(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, BUCK2_FILES)
    # base_module places libs/foo at company.foo (not libs.foo); without it, a library's
    # modules are below its directory's dotted path; base_module = "" is the top level.
    assert dependencies(run, root, "//app:app") == [
        "//libs/bar:bar",
        "//libs/foo:foo",
        "//libs/top:top",
    ]
    assert dependencies(run, root, "//app:test") == ["//app:app"]
    assert dependencies(run, root, "--no-infer", "//app:app") == []


# ---------------------------------------------------------------- the demo repository


def test_demo_infers_its_first_party_import(tmp_path: Path, run: Runner) -> None:
    root = tmp_path / "demo"
    shutil.copytree(TESTDATA / "demo", root, ignore=shutil.ignore_patterns(".graphpub"))
    found = dependencies(run, root, "src/python/demo/main.py")
    assert "src/python/greeting/__init__.py" in found
    assert "src/python/greeting/__init__.py" not in dependencies(
        run, root, "--no-infer", "src/python/demo/main.py"
    )
