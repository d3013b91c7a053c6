"""Projects that describe themselves (Pants `generate_setup=False`), built by their own backend.

Staged as Pants stages them: the Python sources, resources and files of the distribution's
whole dependency closure where they lie (no source root stripped), with the `__init__.py` files
above them and the files vcs_version targets generate; the backend runs in the distribution's
directory, whose pyproject.toml (or setup.py) must be among those files. The backend is its
`[build-system]`'s, else setuptools' legacy one, run through pypa `build`: in an isolated
environment its requirements are installed into from the user's package index (pip reads
PIP_INDEX_URL and pip.conf), one environment for every project with the same requirements; or,
without isolation, graphpub's own Python, which must have them. Name, version and every
metadata field are the backend's: nothing of python_artifact() is read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from types import TracebackType
from typing import Any

from packaging.metadata import parse_email
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from graphpub import __version__
from graphpub.buildgraph.address import Address
from graphpub.buildgraph.confined import read_inside_root
from graphpub.buildgraph.graph import BuildGraph
from graphpub.buildgraph.specs import resolve_specs
from graphpub.errors import GraphpubError, SourceLocation
from graphpub.lifetime import die_with_parent
from graphpub.publish.build import (
    MAX_PACKAGED_FILE_BYTES,
    Backend,
    BuildError,
    EnvironmentKey,
    Layout,
    Staged,
    StagedFile,
    _finish,
    build_all,
    lay_out,
    stage_directory,
)
from graphpub.publish.build_cache import build_cache
from graphpub.publish.ownership import Contents
from graphpub.publish.vcs_version import generated_file
from graphpub.rules.distribution import Distribution
from graphpub.secrets import is_secret_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

# PEP 517: a project with no [build-system] is built by setuptools' legacy backend; `build`
# asks for this setuptools, as Pants takes its own.
LEGACY_REQUIRES = ("setuptools >= 40.8.0",)
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
# The lines of a failing backend's output an error shows.
_OUTPUT_TAIL = 25


@dataclasses.dataclass(frozen=True)
class Reported:
    """What a backend says a distribution is."""

    name: str
    version: str
    requires_dist: tuple[str, ...]


def stage_own_project(
    graph: BuildGraph, contents: Contents, output: Path, epoch: int, isolated: bool
) -> Staged:
    """Stage the project as Pants' chroot has it, and find its backend."""
    view = contents.distribution
    target = graph.target(view.address)
    root = str(graph.config.root)
    digest = hashlib.sha256(f"{__version__}\0own\0".encode())
    files: dict[str, StagedFile] = {}
    read: dict[str, bytes] = {}  # what the backend is found in
    for path in contents.files:
        data = read_inside_root(root, path, MAX_PACKAGED_FILE_BYTES, location=view.location)
        files[path] = StagedFile(path, hashlib.sha256(data).hexdigest(), source=path)
        read[path] = data
    for address in contents.generated:
        generated = generated_file(graph, graph.target(address))
        data = generated.text.encode()
        files[generated.path] = StagedFile(
            generated.path, hashlib.sha256(data).hexdigest(), data=data
        )
        read[generated.path] = data
    where = view.address.directory
    layout = Layout(
        stage_directory(graph, view),
        graph.config.root,
        tuple(files[path] for path in sorted(files)),
        (where,) if where else (),
    )
    directory = layout.root / where if where else layout.root
    backend = _backend(graph, contents, read, isolated)
    return _finish(view, target.fields, layout, directory, output, epoch, digest, backend=backend)


def _backend(
    graph: BuildGraph, contents: Contents, files: Mapping[str, bytes], isolated: bool
) -> Backend:
    """The project's `[build-system]`, as Pants reads it (a table without `build-backend` or
    `requires` is an error), else setuptools' legacy backend, which needs a setup.py or
    setup.cfg; `files`: the staged files, by root-relative path."""
    view = contents.distribution
    where = view.address.directory or "."

    def staged(name: str) -> str:
        return f"{view.address.directory}/{name}".lstrip("/")

    relative = staged("pyproject.toml")
    secret_env = graph.config.secret_env
    if relative in files:
        try:
            document = tomllib.loads(files[relative].decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise BuildError(
                f"{relative}: invalid TOML: {e}", location=SourceLocation(relative)
            ) from None
        build_system = document.get("build-system")
        if isinstance(build_system, Mapping):
            backend, requires = build_system.get("build-backend"), build_system.get("requires")
            if not isinstance(backend, str) or not backend:
                raise BuildError(
                    f"no build-backend found in the [build-system] table of {relative}",
                    location=SourceLocation(relative),
                    hint='e.g. build-backend = "setuptools.build_meta"',
                )
            if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
                raise BuildError(
                    f"no requires found in the [build-system] table of {relative}",
                    location=SourceLocation(relative),
                    hint='e.g. requires = ["setuptools>=61"]',
                )
            return Backend(
                tuple(requires),
                backend,
                isolated,
                tuple(secret_env),
                tools=_tools(graph, view),
            )
    if not any(staged(name) in files for name in ("setup.py", "setup.cfg")):
        on_disk = [
            name
            for name in ("pyproject.toml", "setup.py", "setup.cfg")
            if graph.tree_has_file(staged(name))
        ]
        raise BuildError(
            f"{view.label} builds the project of {where} (generate_setup=False), but no "
            f"pyproject.toml, setup.py or setup.cfg of {where} is among its dependencies",
            location=view.location,
            hint=(
                f"add a `files` or `resources` target owning {where}/{on_disk[0]} to its "
                "dependencies: the backend sees only what the distribution depends on"
                if on_disk
                else "write the project's pyproject.toml there, or let graphpub generate "
                "the project (generate_setup=True)"
            ),
        )
    requires = (
        *LEGACY_REQUIRES,
        *_pants_tool(graph, view, graph.config.setuptools_requirements, "setuptools"),
    )
    return Backend(
        tuple(dict.fromkeys(requires)),
        LEGACY_BACKEND,
        isolated,
        tuple(secret_env),
        tools=_tools(graph, view),
    )


def _pants_tool(
    graph: BuildGraph, view: Distribution, entries: Sequence[str], section: str
) -> list[str]:
    """What a Pants tool subsystem (`[setuptools]`, `[mypy]`) installs: requirement strings,
    or the requirement targets a `requirements` entry names (a resolve's, such as
    `//:setuptools`)."""
    found: list[str] = []
    for entry in entries:
        if not entry.startswith(("//", ":")):
            found.append(entry)
            continue
        try:
            addresses = resolve_specs([entry], graph)
        except GraphpubError as e:
            raise BuildError(
                f"pants.toml [{section}] requirements: {e.message}",
                location=SourceLocation("pants.toml"),
                hint=f"{view.label} is built with them",
            ) from None
        for address in addresses:
            for target in [address, *sorted(graph.dependencies([address], transitive=True))]:
                found.extend(graph.target(target).fields.get("requirements") or ())
    return found


def _tools(graph: BuildGraph, view: Distribution) -> tuple[str, ...]:
    """What Pants adds to a build's environment, apart from the backend's requirements: for
    `uses_mypyc=True`, mypy as `[mypy]` configures it, and the distribution's own
    requirements (whose type annotations mypyc may need)."""
    if not graph.target(view.address).fields.get("uses_mypyc"):
        return ()
    mypy = _pants_tool(graph, view, graph.config.mypy_requirements, "mypy")
    return tuple(dict.fromkeys([*mypy, *view.requirements]))


_PURELIB = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
_FROM_THE_INDEX = (
    "pip installs them from your package index (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, "
    "pip.conf), which must serve them; or install them beside graphpub and pass "
    "--no-build-isolation"
)


class BackendEnvironments:
    """The environments projects that describe themselves are built in: one isolated
    environment per set of build requirements (with what each project's backend asks for
    besides), or graphpub's own Python, checked to have them."""

    def __init__(self, projects: Sequence[Staged], jobs: int = 1) -> None:
        self._projects = [p for p in projects if p.backend is not None]
        self._jobs = jobs
        self._environments: dict[EnvironmentKey, Any] = {}
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> BackendEnvironments:
        try:
            with quiet_backend():
                self._prepare()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stack.close()

    def runtime_for(self, project: Staged) -> tuple[str, dict[str, str]]:
        """(the Python running `project`'s backend, the variables its environment adds)."""
        assert project.backend is not None
        if not project.backend.isolated:
            return sys.executable, {}
        environment = self._environments[project.backend.environment_key]
        return environment.python_executable, environment.make_extra_environ()

    def _prepare(self) -> None:
        """Without isolation: check graphpub's Python has each backend's `requires` (as pip
        and uv do, the backend is not asked for more: what it lacks then fails its build,
        with its output). With isolation: an environment per set of `requires`, then what
        each backend asks for besides (PEP 517 get_requires_for_build_*, one process per
        hook, `jobs` at a time) installed once into its environment."""
        from build.env import DefaultIsolatedEnv

        isolated = []
        for project in self._projects:
            backend = project.backend
            assert backend is not None
            if not backend.isolated:
                self._check_installed(project)
                continue
            isolated.append(project)
            if backend.environment_key not in self._environments:
                environment = self._stack.enter_context(DefaultIsolatedEnv())
                self._install(environment, backend.requires, project)
                if backend.tools:
                    self._install_apart(environment, backend.tools, project)
                self._environments[backend.environment_key] = environment
        wanted: dict[EnvironmentKey, tuple[Staged, set[str]]] = {}
        for project, asked in zip(isolated, self._ask_all(isolated), strict=True):
            assert project.backend is not None
            _, found = wanted.setdefault(project.backend.environment_key, (project, set()))
            found |= asked
        for key, (project, found) in wanted.items():
            if found:
                self._install(self._environments[key], sorted(found), project)

    def _ask_all(self, projects: Sequence[Staged]) -> list[set[str]]:
        """What each isolated backend needs besides its `requires`, in worker processes."""
        if not projects:
            return []
        runtimes = [self.runtime_for(p) for p in projects]
        if self._jobs <= 1 or len(projects) == 1:
            answers = [_extra_requires(p, r) for p, r in zip(projects, runtimes, strict=True)]
        else:
            with ProcessPoolExecutor(
                max_workers=min(self._jobs, len(projects)),
                mp_context=get_context("fork"),
                initializer=die_with_parent,
                initargs=(os.getpid(),),
            ) as pool:
                answers = list(pool.map(_extra_requires, projects, runtimes))
        found = []
        for project, (asked, failure) in zip(projects, answers, strict=True):
            if failure is not None:
                raise BuildError(
                    f"{project.label}: asking its backend what it needs: {failure}",
                    location=project.location,
                    hint=f"the staged project is in {project.directory}",
                )
            found.append(asked)
        return found

    @staticmethod
    def _check_installed(project: Staged) -> None:
        from build import check_dependency

        assert project.backend is not None
        missing = {
            " -> ".join(chain)
            for requirement in (*project.backend.requires, *project.backend.tools)
            for chain in check_dependency(requirement)
        }
        if missing:
            raise BuildError(
                f"{project.label} is built without isolation, and graphpub's Python "
                f"({sys.executable}) lacks what its backend needs: {', '.join(sorted(missing))}",
                location=project.location,
                hint="install them beside graphpub, or build with isolation (drop "
                "--no-build-isolation, or set build_isolation = true)",
            )

    @staticmethod
    def _install_apart(environment: Any, requirements: Sequence[str], project: Staged) -> None:
        """Install `requirements` into a directory of their own, found after the
        environment's site-packages (a `.pth` file): what the backend's requirements pin
        wins, as the first PEX on Pants' PEX_PATH does."""
        apart = Path(environment.path) / "tools"
        try:
            purelib = subprocess.run(
                [environment.python_executable, "-c", _PURELIB],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            subprocess.run(
                [
                    *(sys.executable, "-m", "pip", "install", "--no-input"),
                    *("--no-warn-script-location", "--no-compile", "--target", str(apart)),
                    *requirements,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=True,
            )
        except (subprocess.CalledProcessError, OSError) as e:
            raise BuildError(
                f"installing what {project.label} is built with besides its backend "
                f"({', '.join(requirements)}) failed: " + _failure_text(e),
                location=project.location,
                hint=_FROM_THE_INDEX,
            ) from None
        (Path(purelib) / "graphpub-tools.pth").write_text(f"{apart}\n", encoding="utf-8")

    @staticmethod
    def _install(environment: Any, requirements: Sequence[str], project: Staged) -> None:
        from build import BuildException

        try:
            environment.install(list(requirements))
        except (BuildException, subprocess.CalledProcessError, OSError) as e:
            raise BuildError(
                f"installing the build requirements of {project.label} "
                f"({', '.join(requirements)}) into an isolated environment failed: "
                + _failure_text(e),
                location=project.location,
                hint=_FROM_THE_INDEX,
            ) from None


class HookRunner:
    """Runs a backend hook (pyproject_hooks' SubprocessRunner) with the project's variables
    (SOURCE_DATE_EPOCH, env_vars) and without any credential of graphpub's environment: the
    backend runs the project's own code, which has no business with them."""

    def __init__(self, project: Staged, extra: Mapping[str, str]) -> None:
        assert project.backend is not None
        patterns = project.backend.secret_env
        base = {k: v for k, v in os.environ.items() if not is_secret_name(k, patterns)}
        self._environment = {**base, **extra, **project.environment}

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        result = subprocess.run(
            list(cmd),
            cwd=cwd,
            env={**self._environment, **(extra_environ or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, cmd, output=result.stdout)


def _extra_requires(
    project: Staged, runtime: tuple[str, dict[str, str]]
) -> tuple[set[str], str | None]:
    """In a worker process: (what `project`'s backend asks for to build each kind, the error
    text if asking failed)."""
    from build import BuildBackendException, BuildException, ProjectBuilder

    python, extra = runtime
    builder = ProjectBuilder(
        project.directory, python_executable=python, runner=HookRunner(project, extra)
    )
    wanted: set[str] = set()
    try:
        with quiet_backend():
            for kind, _settings in project.kinds:
                # Without the config settings: Pants gives them to build_wheel / build_sdist
                # only, and setuptools' hooks would read `--global-option`s meant for
                # bdist_wheel (`--python-tag`) as egg_info's, which refuses them.
                wanted |= builder.get_requires_for_build(kind)
    except (BuildException, BuildBackendException) as e:
        return set(), _failure_text(e)
    return wanted, None


def build_own_project(
    project: Staged, temporary: Path, runtime: tuple[str, dict[str, str]]
) -> str | None:
    """In a worker process: build `project` with its backend into `temporary`; the error
    text if it fails."""
    from build import BuildBackendException, BuildException, ProjectBuilder

    python, extra = runtime
    try:
        builder = ProjectBuilder(
            project.directory, python_executable=python, runner=HookRunner(project, extra)
        )
        with quiet_backend():
            for kind, settings in project.kinds:
                builder.build(kind, temporary, settings or None)
        return None
    except (BuildException, BuildBackendException) as e:
        return _failure_text(e)
    except Exception as e:  # an unexpected failure of the backend's process
        return f"{type(e).__name__}: {e}"


@contextlib.contextmanager
def quiet_backend() -> Iterator[None]:
    """The warnings a backend gives (pyproject_hooks passes them on) are its build's output,
    which graphpub shows only when the build fails, as Pants does."""
    from pyproject_hooks import BuildBackendWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BuildBackendWarning)
        yield


def _backend_error(project: Staged, what: str, error: BaseException) -> BuildError:
    return BuildError(
        f"{project.label}: {what}: {_failure_text(error)}",
        location=project.location,
        hint=f"the staged project is in {project.directory}",
    )


def _failure_text(error: BaseException) -> str:
    """What went wrong, with the end of the failing process's output."""
    text = str(error)
    cause = getattr(error, "exception", None) or error.__cause__ or error
    output = getattr(cause, "output", None) or getattr(cause, "stdout", None)
    if isinstance(output, bytes):
        output = output.decode("utf-8", errors="replace")
    if output:
        lines = [line for line in str(output).splitlines() if line.strip()]
        text += "\n" + "\n".join(lines[-_OUTPUT_TAIL:])
    return text


def describe_projects(
    graph: BuildGraph,
    projects: Sequence[Contents],
    *,
    output: Path,
    epochs: Mapping[Address, int],
    isolated: bool,
    jobs: int,
    build: bool,
) -> dict[Address, Contents]:
    """`projects` with the name, version and requirements their backends report: from the
    wheels they build (`build`: they are built, into the cache), else from PEP 517's
    prepare_metadata_for_build_wheel. `epochs`: each one's SOURCE_DATE_EPOCH (the one it is
    built with later, so that those builds come from the cache)."""
    cache = build_cache(graph.config.root)
    staged = [
        stage_own_project(graph, c, output, epochs[c.distribution.address], isolated)
        for c in projects
    ]
    if build:
        built = build_all(staged, cache, jobs, warn=graph.warn)
        reported = {
            s.address: _built_metadata(s, [a.path for a in built[s.address]]) for s in staged
        }
    else:
        reported = _prepared_metadata(staged, cache.directory, jobs)
    described = {}
    for contents in projects:
        found = reported[contents.distribution.address]
        view = dataclasses.replace(
            contents.distribution,
            name=found.name,
            version=found.version,
            raw_version=found.version,
            unresolved_stamps=(),
        )
        described[view.address] = dataclasses.replace(
            contents, distribution=view, requirements=found.requires_dist
        )
    return described


def _built_metadata(project: Staged, artifacts: Sequence[Path]) -> Reported:
    """What the built wheel's METADATA says (an sdist's PKG-INFO when no wheel is built)."""
    for path in artifacts:
        try:
            name, version, _, _ = parse_wheel_filename(path.name)
        except InvalidWheelFilename:
            continue  # the sdist
        with zipfile.ZipFile(path) as archive:
            members = [
                n
                for n in archive.namelist()
                if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            ]
            if len(members) != 1:
                raise BuildError(
                    f"{path.name} has {len(members)} .dist-info/METADATA files, not one",
                    location=project.location,
                )
            reported = _reported(archive.read(members[0]), project)
        if (canonicalize_name(reported.name), Version(reported.version)) != (name, version):
            raise BuildError(
                f"{path.name} is named for {name} {version}, but its METADATA says "
                f"{reported.name} {reported.version}",
                location=project.location,
            )
        return reported
    for path in artifacts:
        if path.name.endswith(".tar.gz"):
            with tarfile.open(path, "r:gz") as archive:
                for member in archive.getmembers():
                    parts = member.name.split("/")
                    if len(parts) == 2 and parts[1] == "PKG-INFO" and member.isfile():
                        extracted = archive.extractfile(member)
                        if extracted is not None:
                            return _reported(extracted.read(), project)
    raise BuildError(
        f"{project.label}: its backend built no wheel or sdist with metadata",
        location=project.location,
    )


def _prepared_metadata(
    projects: Sequence[Staged], cache: Path, jobs: int
) -> dict[Address, Reported]:
    """PEP 517's prepare_metadata_for_build_wheel of each project (kept in the cache)."""
    from build import BuildBackendException, BuildException, ProjectBuilder

    found: dict[Address, Reported] = {}
    pending = []
    for project in projects:
        kept = cache / f"{project.key}.METADATA"
        if kept.is_file():
            found[project.address] = _reported(kept.read_bytes(), project)
        else:
            pending.append(project)
    if not pending:
        return found
    cache.mkdir(parents=True, exist_ok=True)
    for project in pending:
        lay_out(project)
    with quiet_backend(), BackendEnvironments(pending, jobs) as environments:
        for project in pending:
            python, extra = environments.runtime_for(project)
            builder = ProjectBuilder(
                project.directory, python_executable=python, runner=HookRunner(project, extra)
            )
            with tempfile.TemporaryDirectory(dir=cache) as scratch:
                try:
                    metadata = Path(builder.metadata_path(scratch)) / "METADATA"
                except (BuildException, BuildBackendException) as e:
                    raise _backend_error(project, "preparing its metadata failed", e) from None
                data = metadata.read_bytes()
            (cache / f"{project.key}.METADATA").write_bytes(data)
            found[project.address] = _reported(data, project)
    return found


def _reported(data: bytes, project: Staged) -> Reported:
    raw, _ = parse_email(data)
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise BuildError(
            f"{project.label}: its backend's metadata names no "
            + ("name" if not name else "version"),
            location=project.location,
        )
    return Reported(str(name), str(version), tuple(raw.get("requires_dist") or ()))
