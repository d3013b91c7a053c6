"""Generated projects as Pants generates setup.py: every python_artifact() keyword in the core
metadata field setuptools writes it to, entry points from the field and from `provides`,
Requires-Dist as the requirement targets write it (sorted, with pins of first-party
distributions), Requires-Python from the interpreter constraints, the `py3-none-any` tag."""

from __future__ import annotations

import json
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

from tests.conftest import Runner, make_repo, peek


def package(run: Runner, root: Path, *specs: str) -> dict[str, Path]:
    """`graphpub package SPECS`: file name to path."""
    code, out, err = run(["package", "--output", "json", *(specs or ("::",))], root=root)
    assert code == 0, err
    return {Path(r["path"]).name: root / r["path"] for r in json.loads(out)}


def wheel_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode("utf-8"))


def wheel_member(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(suffix))
        return archive.read(name).decode("utf-8")


def repo(tmp_path: Path, build: str, pants: str = "", **files: str) -> Path:
    return make_repo(
        tmp_path,
        {
            "pants.toml": '[GLOBAL]\npants_version = "2.26.0"\n[source]\nroot_patterns = ["/"]\n'
            + pants,
            "app/BUILD": build,
            "app/__init__.py": "",
            **files,
        },
    )


EVERY_KEYWORD = """
python_sources()
python_distribution(
    name="dist",
    dependencies=[":app"],
    long_description_path="app/README.rst",
    provides=python_artifact(
        name="every-keyword",
        version="1.0.0",
        description="One of each 🐍",
        long_description_content_type="text/x-rst",
        author="Ada Lovelace",
        author_email="ada@example.com",
        maintainer="Charles Babbage",
        maintainer_email="charles@example.com",
        license="Apache-2.0 OR MIT",
        keywords=["engines", "analysis"],
        url="https://example.com/every",
        download_url="https://example.com/every/download",
        project_urls={"Source": "https://example.com/every/src"},
        classifiers=["Programming Language :: Python :: 3", "Topic :: Utilities"],
        extras_require={"fast": ["ujson>=5"], "docs": "sphinx>=7"},
        python_requires=">=3.9",
        zip_safe=False,
        include_package_data=True,
        platforms=["any"],
    ),
)
"""


def test_every_setup_keyword_reaches_the_metadata(tmp_path: Path, run: Runner) -> None:
    root = repo(tmp_path, EVERY_KEYWORD, **{"app/README.rst": "Every keyword\n=============\n"})
    code, _, err = run(["package", "--output", "json", "::"], root=root)
    assert code == 0, err
    # setup() takes `platforms`, which core metadata 2.x no longer has a place for.
    assert "left out: platforms" in err
    wheel = root / "dist" / "every_keyword-1.0.0-py3-none-any.whl"
    metadata = wheel_metadata(wheel)
    assert metadata["Summary"] == "One of each 🐍"
    assert metadata["Author"] == "Ada Lovelace"
    assert metadata["Author-email"] == "ada@example.com"
    assert metadata["Maintainer"] == "Charles Babbage"
    assert metadata["Maintainer-email"] == "charles@example.com"
    assert metadata["License"] == "Apache-2.0 OR MIT"
    assert metadata["Keywords"] == "analysis,engines"
    assert sorted(metadata.get_all("Project-URL")) == [
        "Download, https://example.com/every/download",
        "Homepage, https://example.com/every",
        "Source, https://example.com/every/src",
    ]
    assert metadata.get_all("Classifier") == [
        "Programming Language :: Python :: 3",
        "Topic :: Utilities",
    ]
    assert metadata["Requires-Python"] == ">=3.9"
    assert sorted(metadata.get_all("Provides-Extra")) == ["docs", "fast"]
    assert sorted(metadata.get_all("Requires-Dist")) == [
        "sphinx>=7; extra == 'docs'",
        "ujson>=5; extra == 'fast'",
    ]
    assert metadata["Description-Content-Type"] == "text/x-rst"
    assert metadata.get_payload() == "Every keyword\n=============\n"


def test_long_description_as_text(tmp_path: Path, run: Runner) -> None:
    build = (
        "python_sources()\n"
        'python_distribution(name="dist", dependencies=[":app"], provides=python_artifact(\n'
        '    name="text", version="1", long_description="# Title 𝔘\\n\\nBody.\\n",\n'
        '    long_description_content_type="text/markdown"))\n'
    )
    wheel = package(run, repo(tmp_path, build))["text-1-py3-none-any.whl"]
    metadata = wheel_metadata(wheel)
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload() == "# Title 𝔘\n\nBody.\n"


def test_long_description_and_its_path_are_one_too_many(tmp_path: Path, run: Runner) -> None:
    build = (
        "python_sources()\n"
        'python_distribution(name="dist", dependencies=[":app"],\n'
        '    long_description_path="app/README.md",\n'
        '    provides=python_artifact(name="both", version="1", long_description="text"))\n'
    )
    root = repo(tmp_path, build, **{"app/README.md": "# Both\n"})
    code, out, err = run(["package", "::"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("app/BUILD:4:56: app:dist sets long_description_path, and "), err


ENTRY_POINTS = """
python_sources()
python_distribution(
    name="dist",
    dependencies=[":app"],
    entry_points={"console_scripts": {"from-field": "app:main"}, "app.plugins": {"one": "app"}},
    provides=python_artifact(
        name="points",
        version="1",
        entry_points={
            "console_scripts": ["from-provides=app:main", "spaced = app.cli:run"],
            "gui_scripts": ["window = app:gui"],
        },
    ),
)
"""


def test_entry_points_of_the_field_and_of_provides(tmp_path: Path, run: Runner) -> None:
    wheel = package(run, repo(tmp_path, ENTRY_POINTS))["points-1-py3-none-any.whl"]
    text = wheel_member(wheel, ".dist-info/entry_points.txt")
    assert "from-field = app:main" in text
    assert "from-provides = app:main" in text
    assert "spaced = app.cli:run" in text
    assert "[gui_scripts]\nwindow = app:gui" in text
    assert "[app.plugins]\none = app" in text


def test_an_entry_point_registered_twice_is_an_error(tmp_path: Path, run: Runner) -> None:
    build = ENTRY_POINTS.replace('"from-provides=app:main"', '"from-field=app:other"')
    code, out, err = run(["package", "::"], root=repo(tmp_path, build))
    assert (code, out) == (1, "")
    assert err.startswith(
        "app/BUILD:6:5: multiple entry_points registered for console_scripts from-field in "
        "app:dist: its field `entry_points`, its field `provides=python_artifact()`"
    ), err


def test_a_console_script_names_a_function(tmp_path: Path, run: Runner) -> None:
    build = (
        "python_sources()\n"
        'python_distribution(name="dist", dependencies=[":app"],\n'
        '    entry_points={"console_scripts": {"run": "app.cli"}},\n'
        '    provides=python_artifact(name="nofunc", version="1"))\n'
    )
    code, _, err = run(["package", "::"], root=repo(tmp_path, build))
    assert code == 1
    assert err.startswith(
        "app/BUILD:3:46: every entry point in `console_scripts` of app:dist must end in "
        "`:function`, but run is 'app.cli'"
    ), err


def test_an_entry_point_naming_a_pex_binary_is_its_entry_point(tmp_path: Path, run: Runner) -> None:
    """Pants: `:bin` in entry_points is that pex_binary's entry point, a file one as its
    module below the source root; the module is then a dependency (inferred)."""
    build = (
        'python_distribution(name="dist",\n'
        '    entry_points={"console_scripts": {"tool": ":bin", "other": "app/tools:cli"}},\n'
        '    provides=python_artifact(name="binaries", version="1"))\n'
        'pex_binary(name="bin", entry_point="main.py:run")\n'
        'python_sources(name="lib")\n'
    )
    root = repo(
        tmp_path,
        build,
        **{
            "app/main.py": "def run(): ...\n",
            "app/tools/BUILD": (
                'python_sources()\npex_binary(name="cli", entry_point="app.tools.x:go")\n'
            ),
            "app/tools/x.py": "def go(): ...\n",
        },
    )
    wheel = package(run, root)["binaries-1-py3-none-any.whl"]
    text = wheel_member(wheel, ".dist-info/entry_points.txt")
    assert "tool = app.main:run" in text
    assert "other = app.tools.x:go" in text
    with zipfile.ZipFile(wheel) as archive:
        assert {"app/main.py", "app/tools/x.py"} <= set(archive.namelist())


def test_an_entry_point_list_holds_name_equals_reference(tmp_path: Path, run: Runner) -> None:
    build = (
        'python_distribution(name="dist",\n'
        '    provides=python_artifact(name="bad", version="1",\n'
        '        entry_points={"console_scripts": ["app:main"]}))\n'
    )
    code, _, err = run(["list", "::"], root=repo(tmp_path, build))
    assert code == 1
    assert "invalid entry point 'app:main' in 'console_scripts'" in err


def simple_dist(name: str, extra: str = "") -> str:
    return (
        "python_sources()\n"
        f'python_distribution(name="dist", dependencies=[":app"]{extra},\n'
        f'    provides=python_artifact(name="{name}", version="1"))\n'
    )


def requires_python(run: Runner, root: Path) -> str | None:
    [record] = peek(run, root, "app:dist")
    value: str | None = record["distribution"]["requires_python"]
    return value


@pytest.mark.parametrize(
    ("pants", "field", "expected"),
    [
        # pants.toml's constraints, CPython left out, the clauses as packaging writes them
        ('[python]\ninterpreter_constraints = ["CPython>=3.8,<3.13"]\n', "", "<3.13,>=3.8"),
        # a bare specifier is CPython's
        ('[python]\ninterpreter_constraints = ["==3.11.*"]\n', "", "==3.11.*"),
        # the distribution's own field
        ("", ', interpreter_constraints=[">=3.10"]', ">=3.10"),
        # the target's and pants.toml's merge (AND)
        (
            '[python]\ninterpreter_constraints = ["<3.14"]\n',
            ', interpreter_constraints=[">=3.10"]',
            "<3.14,>=3.10",
        ),
        # a resolve's constraints
        (
            '[python]\ndefault_resolve = "lib"\n[python.resolves_to_interpreter_constraints]\n'
            'lib = ["CPython>=3.11"]\n',
            "",
            ">=3.11",
        ),
    ],
)
def test_requires_python_from_interpreter_constraints(
    tmp_path: Path, run: Runner, pants: str, field: str, expected: str
) -> None:
    assert requires_python(run, repo(tmp_path, simple_dist("ics", field), pants)) == expected


@pytest.mark.parametrize(
    ("pants_version", "expected"),
    [("2.15.0", "<4,>=3.7"), ("2.16.1", "<4,>=3.7"), ("2.17.0", None), ("2.29.0", None)],
)
def test_pants_own_default_interpreter_constraints(
    tmp_path: Path, run: Runner, pants_version: str, expected: str | None
) -> None:
    """Pants 2.15 and 2.16 assume CPython>=3.7,<4 when pants.toml names none; from 2.17 on
    there is no default, and no Requires-Python."""
    root = make_repo(
        tmp_path,
        {
            "pants.toml": f'[GLOBAL]\npants_version = "{pants_version}"\n'
            '[source]\nroot_patterns = ["/"]\n',
            "app/BUILD": simple_dist("defaults"),
            "app/__init__.py": "",
        },
    )
    assert requires_python(run, root) == expected
    wheel = package(run, root)["defaults-1-py3-none-any.whl"]  # the tag never follows them
    assert wheel_metadata(wheel)["Requires-Python"] == expected


def test_interpreter_constraints_of_the_code_it_holds(tmp_path: Path, run: Runner) -> None:
    build = (
        'python_sources(interpreter_constraints=[">=3.11"])\n'
        'python_distribution(name="dist", dependencies=[":app"],\n'
        '    provides=python_artifact(name="held", version="1"))\n'
    )
    pants = '[python]\ninterpreter_constraints = [">=3.8"]\n'
    assert requires_python(run, repo(tmp_path, build, pants)) == ">=3.11,>=3.8"


def test_python_requires_wins_over_the_constraints(tmp_path: Path, run: Runner) -> None:
    build = simple_dist("explicit").replace('version="1"', 'version="1", python_requires=">=3.8"')
    root = repo(tmp_path, build, '[python]\ninterpreter_constraints = ["==3.8.*"]\n')
    wheel = package(run, root)["explicit-1-py3-none-any.whl"]
    assert wheel_metadata(wheel)["Requires-Python"] == ">=3.8"


def test_alternative_constraints_are_refused(tmp_path: Path, run: Runner) -> None:
    """Requires-Python is one constraint, so Pants refuses alternatives (OR)."""
    pants = '[python]\ninterpreter_constraints = ["CPython==3.8.*", "CPython>=3.11"]\n'
    code, out, err = run(["package", "::"], root=repo(tmp_path, simple_dist("alt"), pants))
    assert (code, out) == (1, "")
    assert err.startswith(
        "app/BUILD:2:1: expected a single interpreter constraint for app:dist, got: "
        "CPython==3.8.* OR CPython>=3.11"
    ), err


@pytest.mark.parametrize(
    ("settings", "tag"),
    [
        ("", "py3-none-any"),
        (
            ', wheel_config_settings={"--global-option": ["--python-tag", "py311"]}',
            "py311-none-any",
        ),
        (', wheel_config_settings={"--build-option": ["--python-tag=cp312"]}', "cp312-none-any"),
    ],
)
def test_the_wheel_tag(tmp_path: Path, run: Runner, settings: str, tag: str) -> None:
    """setuptools' bdist_wheel tags a pure distribution py3-none-any whatever its interpreter
    constraints; `--python-tag` in wheel_config_settings changes it, as Pants documents."""
    pants = '[python]\ninterpreter_constraints = ["CPython>=3.11"]\n'
    files = package(run, repo(tmp_path, simple_dist("tagged", settings), pants))
    assert f"tagged-1-{tag}.whl" in files


FIRST_PARTY = {
    "lib/BUILD": (
        "python_sources()\n"
        'python_distribution(name="dist", dependencies=[":lib"],\n'
        '    provides=python_artifact(name="Zeta-Lib", version="2.1.0"))\n'
    ),
    "lib/__init__.py": "",
    "app/__init__.py": "import lib\nimport attrs\nimport babel\n",
    "3rd/BUILD": 'python_requirements(name="reqs")\n',
    "3rd/requirements.txt": "attrs>=23,<24\nBabel==2.14\n",
}


@pytest.mark.parametrize(
    ("scheme", "pin"),
    [("exact", "Zeta-Lib==2.1.0"), ("compatible", "Zeta-Lib~=2.1.0"), ("any", "Zeta-Lib")],
)
def test_requirements_sorted_as_pants_sorts_them(
    tmp_path: Path, run: Runner, scheme: str, pin: str
) -> None:
    """Third-party requirements as packaging writes them and pins of the repository's other
    distributions, sorted together as strings (Pants' ExportedTargetRequirements)."""
    pants = f'[setup-py-generation]\nfirst_party_dependency_version_scheme = "{scheme}"\n'
    root = repo(tmp_path, simple_dist("app"), pants, **FIRST_PARTY)
    [record] = peek(run, root, "app:dist")
    assert record["distribution"]["requirements"] == ["Babel==2.14", pin, "attrs<24,>=23"]


def test_requirements_of_imports_as_pants_infers_them(tmp_path: Path, run: Runner) -> None:
    """optimeering-beta's wheel, as Pants built it: azure-identity, whose module only Pants'
    `^azure-.+` pattern names, is required; pandas, which the code loads with
    `importlib.import_module` when installed (an optional extra), is not."""
    root = repo(
        tmp_path,
        simple_dist("client"),
        **{
            "3rd/BUILD": 'python_requirements(name="reqs")\n',
            "3rd/requirements.txt": "azure-identity>=1.17.1,<2\npandas==2.2.3\n",
            "app/auth.py": "from azure.identity import DefaultAzureCredential\n",
            "app/extras.py": (
                "from importlib import import_module\n"
                "try:\n"
                '    pd = import_module("pandas")\n'
                "except ImportError:\n"
                "    pd = None\n"
            ),
        },
    )
    wheels = [p for name, p in package(run, root, "app:dist").items() if name.endswith(".whl")]
    [wheel] = wheels
    assert wheel_metadata(wheel).get_all("Requires-Dist") == ["azure-identity<2,>=1.17.1"]


def test_files_and_resources_outside_a_package_are_left_out(tmp_path: Path, run: Runner) -> None:
    """Pants' setup.py packages Python files, and resources and files inside their packages
    (package_data); other files are not in the wheel, but for licence files beside setup.py,
    which setuptools puts in .dist-info. An `__init__.py` above the code is added."""
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/src"]\n',
            "src/BUILD": (
                'resources(name="top", sources=["notes.txt", "LICENSE"])\n'
                'files(name="loose", sources=["ns/data.csv"])\n'
                'python_distribution(name="dist",\n'
                '    dependencies=["src/ns/pkg", "src/ns/pkg:schema", ":top", ":loose"],\n'
                '    provides=python_artifact(name="pkgdata", version="1"))\n'
            ),
            "src/notes.txt": "not in a package\n",
            "src/LICENSE": "MIT\n",
            "src/ns/__init__.py": "# no target owns it\n",
            "src/ns/data.csv": "a,b\n",
            "src/ns/pkg/BUILD": 'python_sources()\nfiles(name="schema", sources=["schema.json"])\n',
            "src/ns/pkg/__init__.py": "",
            "src/ns/pkg/schema.json": "{}\n",
        },
    )
    wheel = package(run, root, "src:dist")["pkgdata-1-py3-none-any.whl"]
    with zipfile.ZipFile(wheel) as archive:
        names = sorted(n for n in archive.namelist() if not n.endswith(("RECORD", "WHEEL")))
    assert names == [
        "ns/__init__.py",  # an ancestor __init__.py, made ns a package: its data.csv is in
        "ns/data.csv",
        "ns/pkg/__init__.py",
        "ns/pkg/schema.json",
        "pkgdata-1.dist-info/METADATA",
        "pkgdata-1.dist-info/licenses/LICENSE",
    ]


def test_any_unicode_in_every_field(tmp_path: Path, run: Runner) -> None:
    """The generated pyproject.toml is written by tomli-w: emoji, astral characters, quotes
    and backslashes reach METADATA as written."""
    text = 'Grüße 👋🏽 "quoted" \\ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0001f9ec'
    build = (
        "python_sources()\n"
        'python_distribution(name="dist", dependencies=[":app"], provides=python_artifact(\n'
        f'    name="unicode", version="1", description={text!r}, author={text!r},\n'
        f"    keywords=[{text.split()[0]!r}], classifiers=[{('Private :: ' + text)!r}],\n"
        f'    project_urls={{{text.split()[1]!r}: "https://example.com/👋"}}))\n'
    )
    metadata = wheel_metadata(package(run, repo(tmp_path, build))["unicode-1-py3-none-any.whl"])
    assert metadata["Summary"] == text
    assert metadata["Author"] == text
    assert metadata["Keywords"] == "Grüße"
    assert metadata["Classifier"] == "Private :: " + text
    assert metadata["Project-URL"] == "👋🏽, https://example.com/👋"


def test_a_distribution_of_requirements_alone_is_a_wheel_of_metadata(
    tmp_path: Path, run: Runner
) -> None:
    """A meta-package: no code, only what it requires (setuptools builds it for Pants)."""
    build = (
        'python_requirement(name="attrs", requirements=["attrs>=23"])\n'
        'python_distribution(name="dist", dependencies=[":attrs"],\n'
        '    provides=python_artifact(name="meta", version="1"))\n'
    )
    wheel = package(run, repo(tmp_path, build))["meta-1-py3-none-any.whl"]
    with zipfile.ZipFile(wheel) as archive:
        assert all(n.startswith("meta-1.dist-info/") for n in archive.namelist())
    assert wheel_metadata(wheel).get_all("Requires-Dist") == ["attrs>=23"]


def test_a_direct_reference_requirement_is_kept(tmp_path: Path, run: Runner) -> None:
    """setuptools takes `name @ url` in install_requires (st2's orquesta runner)."""
    build = (
        'python_requirement(name="orquesta",\n'
        '    requirements=["orquesta @ git+https://github.com/StackStorm/orquesta@v1.6.0"])\n'
        'python_distribution(name="dist", dependencies=[":orquesta"],\n'
        '    provides=python_artifact(name="runner", version="1"))\n'
    )
    wheel = package(run, repo(tmp_path, build))["runner-1-py3-none-any.whl"]
    assert wheel_metadata(wheel).get_all("Requires-Dist") == [
        "orquesta @ git+https://github.com/StackStorm/orquesta@v1.6.0"
    ]


def test_setup_scripts_are_the_wheels_scripts(tmp_path: Path, run: Runner) -> None:
    """`python_artifact(scripts=[...])` (st2's bin/st2-*): setuptools installs them from the
    wheel's .data/scripts, not as package files."""
    build = (
        "python_sources()\n"
        'python_distribution(name="dist", dependencies=[":app", "app/bin"],\n'
        '    provides=python_artifact(name="tools", version="1", scripts=["app/bin/st2-run"]))\n'
    )
    root = repo(
        tmp_path,
        build,
        **{
            "app/bin/BUILD": 'python_sources(sources=["st2-*"])\n',
            "app/bin/st2-run": "#!/usr/bin/env python\nimport app\n",
        },
    )
    wheel = package(run, root)["tools-1-py3-none-any.whl"]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "tools-1.data/scripts/st2-run" in names
        assert "app/bin/st2-run" not in names
    (root / "app/BUILD").write_text(build.replace("bin/st2-run", "bin/missing"), "utf-8")
    code, _, err = run(["package", "::"], root=root)
    assert code == 1
    assert "the script 'app/bin/missing' of python_artifact(scripts=...) is not among" in err
