"""pkg_resources-style namespace packages: the wheels setuptools builds from Pants' generated
setup.py (`namespace_packages=`), which install side by side (testdata/pants_namespace)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from graphpub.buildgraph.config import Config
from graphpub.publish.namespace_packages import declares_namespace, namespaces
from tests.conftest import TESTDATA, install_into_fresh_venv
from tests.servers import clean_env
from tests.test_oracles import check_record

# What Pants' generated setup.py says of each distribution (package_dists.py find_packages).
SETUP = {
    "acme-common": {
        "packages": ("acme", "acme.common"),
        "namespace_packages": ("acme",),
    },
    "acme-extra": {
        "packages": ("acme", "acme.plugins", "acme.plugins.extra"),
        "namespace_packages": ("acme", "acme.plugins"),
        "install_requires": ("acme-common==1.0.0",),
    },
}
# setuptools' own, in every wheel it builds: not the project's.
SETUPTOOLS_ONLY = ("top_level.txt",)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """testdata/pants_namespace packaged by graphpub: its dist/."""
    root = tmp_path_factory.mktemp("namespace") / "repo"
    shutil.copytree(TESTDATA / "pants_namespace", root)
    result = subprocess.run(
        [sys.executable, "-m", "graphpub", "-C", str(root), "package", "--output", "json", "::"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(Path(r["path"]).name for r in json.loads(result.stdout)) == [
        "acme_common-1.0.0-py3-none-any.whl",
        "acme_common-1.0.0.tar.gz",
        "acme_extra-1.0.0-py3-none-any.whl",
        "acme_extra-1.0.0.tar.gz",
    ]
    return root / "dist"


def wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def setuptools_wheel(sdist: Path, project: str, directory: Path) -> Path:
    """The wheel setuptools builds from Pants' setup.py for the sources `sdist` holds (laid
    out as in Pants' chroot: from the source root)."""
    chroot = directory / "chroot"
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            _, _, path = member.name.partition("/")
            extracted = archive.extractfile(member) if path.startswith("acme/") else None
            if extracted is not None:
                (chroot / path).parent.mkdir(parents=True, exist_ok=True)
                (chroot / path).write_bytes(extracted.read())
    arguments = {"name": project, "version": "1.0.0", **SETUP[project]}
    (chroot / "setup.py").write_text(
        f"from setuptools import setup\n\nsetup(**{arguments!r})\n", encoding="utf-8"
    )
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", "out", "."],
        cwd=chroot,
        capture_output=True,
        check=True,
    )
    [wheel] = (chroot / "out").glob("*.whl")
    return wheel


@pytest.mark.parametrize("project", ["acme-common", "acme-extra"])
def test_the_wheel_is_setuptools_from_pants_setup_py(
    project: str, built: Path, tmp_path: Path
) -> None:
    """No namespace `__init__.py`; the same `-nspkg.pth` and `namespace_packages.txt` as
    setuptools writes; the `.pth` named for the lowest Python of the constraints (`>=3.9`),
    which Pex runs setup.py with."""
    stem = project.replace("-", "_") + "-1.0.0"
    ours = wheel_files(built / f"{stem}-py3-none-any.whl")
    with zipfile.ZipFile(built / f"{stem}-py3-none-any.whl") as wheel:
        assert sorted(check_record(wheel)) == sorted(ours)  # each hashed right in RECORD
    theirs = wheel_files(setuptools_wheel(built / f"{stem}.tar.gz", project, tmp_path))
    running = f"-py{sys.version_info.major}.{sys.version_info.minor}-nspkg.pth"
    theirs = {name.replace(running, "-py3.9-nspkg.pth"): data for name, data in theirs.items()}
    payload = sorted(n for n in theirs if ".dist-info/" not in n)
    assert sorted(n for n in ours if ".dist-info/" not in n) == payload
    assert f"{stem}-py3.9-nspkg.pth" in payload
    assert not any(n.endswith("acme/__init__.py") for n in ours)
    assert "acme/plugins/__init__.py" not in ours
    for name in payload:
        assert ours[name] == theirs[name], name
    dist_info = sorted(n for n in theirs if ".dist-info/" in n and not n.endswith(SETUPTOOLS_ONLY))
    assert sorted(n for n in ours if ".dist-info/" in n) == dist_info
    namespace_packages = f"{stem}.dist-info/namespace_packages.txt"
    assert ours[namespace_packages] == theirs[namespace_packages]
    assert ours[namespace_packages] == "\n".join(SETUP[project]["namespace_packages"]).encode() + (
        b"\n"
    )


@pytest.mark.parametrize("project", ["acme_common", "acme_extra"])
def test_the_sdist_builds_the_same_wheel(project: str, built: Path, tmp_path: Path) -> None:
    """The sdist keeps the namespace's `__init__.py` (as Pants' does) and builds the same
    wheel: what pip installs from it is what graphpub uploads."""
    with tarfile.open(built / f"{project}-1.0.0.tar.gz") as archive:
        assert f"{project}-1.0.0/acme/__init__.py" in archive.getnames()
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
            *("--wheel-dir", str(tmp_path), str(built / f"{project}-1.0.0.tar.gz")),
        ],
        capture_output=True,
        text=True,
        env=clean_env({"SOURCE_DATE_EPOCH": "315532800"}),
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [wheel] = tmp_path.glob("*.whl")
    assert wheel_files(wheel) == wheel_files(built / f"{project}-1.0.0-py3-none-any.whl")


def test_distributions_of_a_namespace_install_side_by_side(built: Path, tmp_path: Path) -> None:
    """Installed with pip into a fresh virtualenv, both import without pkg_resources;
    uninstalling one leaves the other whole."""
    wheels = sorted(str(p) for p in built.glob("*.whl"))
    bin_dir = install_into_fresh_venv(tmp_path, "namespace", "--no-index", *wheels)
    python = str(bin_dir / "python")

    def run(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, "-c", code], capture_output=True, text=True, env=clean_env(), check=False
        )

    both = run(
        "import sys, acme.common, acme.plugins.extra\n"
        "print(acme.plugins.extra.hello())\n"
        "assert 'pkg_resources' not in sys.modules\n"
        "assert not hasattr(acme, '__file__') or acme.__file__ is None\n"
    )
    assert both.returncode == 0, both.stderr
    assert both.stdout == "Hello, extra!\n"
    uninstall = subprocess.run(
        [python, "-m", "pip", "uninstall", "--yes", "acme-extra"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    assert uninstall.returncode == 0, uninstall.stderr
    left = run("import acme.common; print(acme.common.greet('common'))")
    assert left.returncode == 0, left.stderr
    assert left.stdout == "Hello, common!\n"
    gone = run("import acme.plugins.extra")
    assert "No module named 'acme.plugins.extra'" in gone.stderr


@pytest.mark.parametrize(
    ("source", "declares"),
    [
        (b"__import__('pkg_resources').declare_namespace(__name__)\n", True),
        (b"from pkg_resources import declare_namespace\ndeclare_namespace(__name__)\n", True),
        (b"import pkg_resources\npkg_resources.declare_namespace(__name__)\n", True),
        (
            b"try:\n    __import__('pkg_resources').declare_namespace(__name__)\n"
            b"except ImportError:\n    __path__ = __import__('pkgutil').extend_path(__path__,"
            b" __name__)\n",
            True,
        ),
        # pkgutil-style and PEP 420 namespaces are not setuptools' namespace_packages.
        (b"__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n", False),
        (b"", False),
        (b"declare_namespace('acme')\n", False),
        (b"declare_namespace(__name__, 1)\n", False),
        (b"def (:\n", False),
    ],
)
def test_what_declares_a_namespace(source: bytes, declares: bool) -> None:
    """As Pants' declares_pkg_resources_namespace_package."""
    assert declares_namespace(source) is declares


NAMESPACE = {"mitol/__init__.py": b"__import__('pkg_resources').declare_namespace(__name__)\n"}
PAYLOAD = {**NAMESPACE, "mitol/common/__init__.py": b"", "mitol/common/envs.py": b""}
# setuptools 63's line for `mitol` (Pants 2.15's default setuptools), as the released
# mitol-django-common 2023.12.19 wheel holds it.
MITOL_LINE_BEFORE_70 = (
    "import sys, types, os;has_mfs = sys.version_info > (3, 5);"
    "p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('mitol',));"
    "importlib = has_mfs and __import__('importlib.util');"
    "has_mfs and __import__('importlib.machinery');"
    "m = has_mfs and sys.modules.setdefault('mitol', importlib.util.module_from_spec("
    "importlib.machinery.PathFinder.find_spec('mitol', [os.path.dirname(p)])));"
    "m = m or sys.modules.setdefault('mitol', types.ModuleType('mitol'));"
    "mp = (m or []) and m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p)\n"
)


def test_pants_before_2_24_runs_setuptools_63() -> None:
    """ol-django's (Pants 2.15.2, `>=3.8`): its released wheel's file names and `.pth`."""
    config = Config(root=Path("/repo"), pants_version="2.15.2")
    found = namespaces(config, "mitol-django-common", "2023.12.19", PAYLOAD, ">=3.8")
    assert found is not None
    assert found.packages == ("mitol",)
    assert found.left_out == ("mitol/__init__.py",)
    assert dict(found.wheel_files) == {
        "mitol_django_common-2023.12.19-py3.8-nspkg.pth": MITOL_LINE_BEFORE_70,
        "mitol_django_common-2023.12.19.dist-info/namespace_packages.txt": "mitol\n",
    }


@pytest.mark.parametrize(
    ("pants_version", "setuptools", "modern"),
    [
        ("2.23.1", (), False),
        ("2.24.0", (), True),
        (None, (), True),  # unknown: today's setuptools
        ("2.15.2", ("setuptools>=70",), True),
        ("2.26.0", ("setuptools==68.2.2", "wheel"), False),
        ("2.26.0", ("wheel", "setuptools<70"), False),
        ("2.15.2", ("//3rdparty:setuptools",), False),  # a resolve's: the release's default
    ],
)
def test_which_setuptools_writes_the_pth(
    pants_version: str | None, setuptools: tuple[str, ...], modern: bool
) -> None:
    config = Config(
        root=Path("/repo"), pants_version=pants_version, setuptools_requirements=setuptools
    )
    found = namespaces(config, "mitol-django-common", "2023.12.19", PAYLOAD, ">=3.8")
    assert found is not None
    pth = dict(found.wheel_files)["mitol_django_common-2023.12.19-py3.8-nspkg.pth"]
    assert ("has_mfs" not in pth) is modern


@pytest.mark.parametrize(
    ("requires_python", "pants_version", "python"),
    [
        (">=3.8", "2.15.2", "3.8"),
        (">3.8", "2.15.2", "3.8"),  # 3.8.1 and later
        ("==3.11.*", "2.26.0", "3.11"),
        (">=3.9,<3.13", "2.26.0", "3.9"),
        (">=3.6", "2.15.2", "3.7"),  # setuptools 63 runs on 3.7 and later
        (">=3.6", "2.26.0", "3.8"),  # setuptools 70 on 3.8 and later
        (None, "2.26.0", "3.8"),
        ("==2.7.*", "2.15.2", "2.7"),  # older than setuptools runs on: as constrained
    ],
)
def test_the_pth_is_named_for_the_python_pex_takes(
    requires_python: str | None, pants_version: str, python: str
) -> None:
    config = Config(root=Path("/repo"), pants_version=pants_version)
    found = namespaces(config, "Acme--Thing", "1.0rc1", NAMESPACE, requires_python)
    assert found is not None
    [pth, namespace_packages] = dict(found.wheel_files)
    # The .egg-info's name: pkg_resources' safe_name made a run of `-` one, setuptools 70's
    # keeps it; hatchling's .dist-info is named for the PEP 503 name.
    project = "Acme_Thing" if pants_version == "2.15.2" else "Acme__Thing"
    assert pth == f"{project}-1.0rc1-py{python}-nspkg.pth"
    assert namespace_packages == "acme_thing-1.0rc1.dist-info/namespace_packages.txt"


def test_a_namespace_below_another_leaves_out_both_and_sets_the_child() -> None:
    payload = {
        "a/__init__.py": b"",  # a package, but above a namespace: setuptools leaves it out
        "a/b/__init__.py": NAMESPACE["mitol/__init__.py"],
        "a/b/c/__init__.py": b"",
    }
    found = namespaces(Config(root=Path("/repo")), "abc", "1", payload, ">=3.10")
    assert found is not None
    assert found.packages == ("a.b",)
    assert found.left_out == ("a/__init__.py", "a/b/__init__.py")
    pth = dict(found.wheel_files)["abc-1-py3.10-nspkg.pth"].splitlines()
    assert [line.split("*")[1].split(")")[0] for line in pth] == ["('a',", "('a', 'b'"]
    assert pth[1].endswith(";m and setattr(sys.modules['a'], 'b', m)")
    assert dict(found.wheel_files)["abc-1.dist-info/namespace_packages.txt"] == "a.b\n"


def test_no_namespace_no_change() -> None:
    payload = {"pkg/__init__.py": b"X = 1\n", "pkg/m.py": b""}
    assert namespaces(Config(root=Path("/repo")), "pkg", "1", payload, None) is None
