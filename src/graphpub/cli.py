"""The `graphpub` command line: parse arguments, run one command, render errors once."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from graphpub import __version__
from graphpub.buildgraph import Address, BuildGraph, Config, find_root, load_config
from graphpub.buildgraph.specs import resolve_specs
from graphpub.buildgraph.target import Target, thaw
from graphpub.diagnostics import render_error, shortened
from graphpub.errors import ConfigError, GraphpubError
from graphpub.rules import default_rules
from graphpub.rules.distribution import Distribution, distributions, is_distributable
from graphpub.rules.help import rule_help, rules_overview
from graphpub.secrets import Secrets

if TYPE_CHECKING:  # imported by the commands that use them (see _selected)
    from graphpub.publish.build import Artifact
    from graphpub.publish.ownership import Contents, Describe
    from graphpub.publish.publisher import Outcome, Plan


def entry() -> int:
    """The `graphpub` command: `main` in a supervised child process, so that a build file
    crashing the Starlark interpreter itself (a stack overflow on a value nested too deeply,
    an allocation beyond the memory cap) is reported as that file's error, not a dead process."""
    from graphpub.buildgraph.parallel import run_supervised

    def report(error: GraphpubError) -> None:
        secrets = Secrets()
        secrets.add_environment(os.environ)
        print(secrets.redact(render_error(error, Path.cwd())), file=sys.stderr)

    return run_supervised(main, report)


def main(argv: Sequence[str] | None = None) -> int:
    # The command's secret registry: what the environment holds now, the rest as it is met
    # (.pypirc, keyring, repository URLs). Whatever reaches the user passes it, tracebacks
    # with --debug included.
    secrets = Secrets()
    secrets.add_environment(os.environ)
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Redacting(sys.stdout, secrets), _Redacting(sys.stderr, secrets)
    try:
        return _main(argv, secrets)
    finally:
        sys.stdout, sys.stderr = streams


class _Redacting:
    """A text stream that writes through another with every secret replaced by `***`."""

    def __init__(self, stream: TextIO, secrets: Secrets) -> None:
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        return self._stream.write(self._secrets.redact(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _main(argv: Sequence[str] | None, secrets: Secrets) -> int:
    parser = _parser()
    args = parser.parse_args(_excludes_as_positionals(sys.argv[1:] if argv is None else argv))
    # The options are shared with every subcommand's parser, so their defaults are set here.
    defaults = {
        "root": None,
        "debug": False,
        "define": None,
        "stamp": None,
        "condition": None,
        "jobs": None,
        "infer": True,
        "strict": False,
    }
    for option, default in defaults.items():
        if not hasattr(args, option):
            setattr(args, option, default)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return 2
    if args.run is _help:
        try:
            _help(args, sys.stdout)
        except GraphpubError as error:
            print(render_error(error, Path.cwd()), file=sys.stderr)
            return 1
        return 0
    root = Path(args.root) if args.root else Path.cwd()
    try:
        config = _config(args)
        root = config.root
        secrets.add_environment(os.environ, config.secret_env)
        for name, url in config.index_urls.items():
            secrets.add_url(url, f"index_urls[{name!r}]")
        args.secrets = secrets
        graph = BuildGraph(config, default_rules(), warn=_warn, jobs=args.jobs, strict=args.strict)
        code = args.run(args, graph, config, sys.stdout)
    except GraphpubError as error:
        if args.debug:
            traceback.print_exc()
        print(render_error(error, root), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # a bug in graphpub: say so plainly
        if args.debug:  # here, where the streams still redact
            traceback.print_exc()
            return 1
        print(
            f"internal error: {type(error).__name__}: {error}\n"
            "hint: rerun with --debug for the traceback, and please report it",
            file=sys.stderr,
        )
        return 1
    return int(code or 0)


# graphpub's own short options; any other `-X...` is a spec to exclude (`-src/python::`).
_SHORT_OPTIONS = ("-C", "-j", "-h")


def _excludes_as_positionals(argv: Sequence[str]) -> list[str]:
    """Pants' `-SPEC` excludes look like options to argparse: move them behind a `--`."""
    arguments: list[str] = []
    excludes: list[str] = []
    for index, token in enumerate(argv):
        if token == "--":
            arguments.extend(argv[index:])
            break
        is_exclude = (
            token.startswith("-")
            and not token.startswith("--")
            and len(token) > 1
            and not token.startswith(_SHORT_OPTIONS)
        )
        (excludes if is_exclude else arguments).append(token)
    if not excludes:
        return arguments
    return [*arguments, *([] if "--" in arguments else ["--"]), *excludes]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _warn(message: str) -> None:
    print(f"warning: {shortened(message)}", file=sys.stderr)


def _config(args: argparse.Namespace) -> Config:
    root = Path(args.root).resolve() if args.root else find_root(Path.cwd())
    if args.root and not root.is_dir():
        raise ConfigError(f"--root {args.root}: no such directory")
    defines: dict[str, str] = {}
    for item in args.define or ():
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ConfigError(f"--define {item!r}: expected KEY=VALUE")
        defines[key] = value
    stamp: dict[str, str] = {}
    for item in args.stamp or ():
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ConfigError(f"--stamp {item!r}: expected KEY=VALUE")
        stamp[key] = value
    return load_config(root).with_overrides(
        defines=defines, conditions=tuple(args.condition or ()), stamp=stamp
    )


# ---------------------------------------------------------------- commands


def _list(args: argparse.Namespace, graph: BuildGraph, config: Config, out: TextIO) -> None:
    rendered = sorted(config.render(a) for a in resolve_specs(args.specs, graph))
    out.write("".join(line + "\n" for line in rendered))


# The publish stage and rich are imported by the commands that use them: `list` on a large
# repository starts in a third of the time without them.


def _selected(args: argparse.Namespace, graph: BuildGraph) -> list[Address]:
    """The targets the specs select, with the dependencies their imports imply (unless
    --no-infer). The specs' packages are loaded first, so that a build file failing where a
    command does not need it (inference reads the whole repository) is only a warning."""
    addresses = resolve_specs(args.specs, graph)
    if args.infer:
        from graphpub.publish.inference import infer_dependencies

        infer_dependencies(graph)
        graph.check_complete(addresses)
    return addresses


def _peek(args: argparse.Namespace, graph: BuildGraph, config: Config, out: TextIO) -> None:
    addresses = sorted(_selected(args, graph), key=config.render)
    views = distributions(graph, addresses)
    packed: Mapping[Address, Contents] = {}
    if args.infer:
        from graphpub.publish.ownership import contents

        packed = contents(graph, addresses, describe=_describer(args, graph, config, build=False))
        # A project that describes itself is what its backend says it is.
        views.update({a: c.distribution for a, c in packed.items() if a in views})
    records = [
        _peek_record(graph.target(a), graph, config, views.get(a), packed.get(a)) for a in addresses
    ]
    json.dump(records, out, indent=2, default=str)
    out.write("\n")


def _peek_record(
    target: Target,
    graph: BuildGraph,
    config: Config,
    view: Distribution | None,
    held: Contents | None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "address": config.render(target.address),
        "kind": target.kind,
        "location": str(target.location),
        "fields": {key: thaw(value) for key, value in sorted(target.fields.items())},
        "dependencies": sorted(
            config.render(d) for d in graph.dependencies([target.address], transitive=False)
        ),
        "sources": list(graph.owned_files(target)),
    }
    if view is not None:
        record["distribution"] = {
            **view.as_json(),
            "carries": [config.render(a) for a in view.carries],
        }
        if held is not None:  # what ownership puts in it (publish.ownership)
            record["distribution"].update(
                requirements=list(held.requirements),
                requires_python=held.requires_python,
                owns=[config.render(a) for a in held.owned],
                files=list(held.files),
            )
    return record


def _selected_distributions(
    args: argparse.Namespace, graph: BuildGraph, command: str
) -> list[Address]:
    """The distributions the specs select, with dependencies inferred (unless --no-infer);
    an error if none."""
    selected = [a for a in _selected(args, graph) if is_distributable(graph.target(a))]
    if not selected:
        raise GraphpubError(
            "the specs select no distribution (python_distribution, py_wheel, python_wheel)",
            hint=f"name one, e.g. graphpub {command} src/python:demo, or all with ::",
        )
    return selected


def _isolated(args: argparse.Namespace, config: Config) -> bool:
    """Whether projects that describe themselves get their backends in isolation."""
    return config.build_isolation and not getattr(args, "no_build_isolation", False)


def _describer(
    args: argparse.Namespace, graph: BuildGraph, config: Config, *, build: bool
) -> Describe:
    """What tells the name, version and requirements of projects that describe themselves:
    their backends, building them (`build`) or preparing their metadata (PEP 517)."""

    def describe(projects: Sequence[Contents]) -> Mapping[Address, Contents]:
        from graphpub.publish.build import source_date_epoch
        from graphpub.publish.own_project import describe_projects

        return describe_projects(
            graph,
            projects,
            output=config.root / "dist",
            epoch=source_date_epoch(config.root),
            isolated=_isolated(args, config),
            jobs=graph.jobs,
            build=build,
        )

    return describe


def _built(
    graph: BuildGraph, config: Config, held: Mapping[Address, Contents], isolated: bool
) -> dict[Address, list[Artifact]]:
    """Stage and build `held` (address to Contents), with a progress bar on a terminal."""
    from rich.console import Console
    from rich.progress import Progress

    from graphpub.publish.build import build_all, source_date_epoch, stage
    from graphpub.publish.inference import source_roots

    epoch, roots = source_date_epoch(config.root), source_roots(graph)
    staged = [
        stage(graph, held[a], config.root / "dist", epoch, roots, isolated) for a in sorted(held)
    ]
    cache = config.root / ".graphpub" / "cache"
    if not sys.stderr.isatty():
        sys.stderr.write(f"packaging {len(staged)} distributions\n")
        return build_all(staged, cache, graph.jobs)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("packaging", total=len(staged))
        return build_all(staged, cache, graph.jobs, on_built=lambda _p: progress.advance(task))


@contextmanager
def _upload_progress(
    plan: Plan, artifacts: Mapping[Address, list[Path]]
) -> Iterator[Callable[[Outcome], None]]:
    """What `publish` calls with each outcome: a progress bar per repository on a terminal,
    else a plain line per file."""
    from rich.console import Console
    from rich.progress import Progress

    if not sys.stderr.isatty():

        def plain(outcome: Outcome) -> None:
            what = outcome.file or outcome.target
            sys.stderr.write(f"{outcome.repository or what}: {what} {outcome.status}\n")

        yield plain
        return
    with Progress(console=Console(stderr=True), transient=True) as progress:
        tasks = {
            name: progress.add_task(
                f"uploading to {name}", total=sum(len(artifacts[a]) for a in addresses)
            )
            for name, addresses in plan.uploads.items()
        }
        yield lambda o: progress.advance(tasks[o.repository]) if o.repository in tasks else None


def _package(args: argparse.Namespace, graph: BuildGraph, config: Config, out: TextIO) -> None:
    from graphpub.publish.exfiltration import check_distributions
    from graphpub.publish.ownership import contents

    held = contents(
        graph,
        _selected_distributions(args, graph, "package"),
        describe=_describer(args, graph, config, build=True),
    )
    built = _built(graph, config, held, _isolated(args, config))
    check_distributions(
        graph,
        {a: held[a].distribution for a in built},
        {a: [artifact.path for artifact in built[a]] for a in built},
        args.secrets,
    )
    records = [
        {
            "target": config.render(address),
            "path": str(artifact.path.relative_to(config.root)),
            "size": artifact.size,
            "sha256": artifact.sha256,
        }
        for address, artifacts in sorted(built.items())
        for artifact in artifacts
    ]
    if args.output == "json":
        json.dump(records, out, indent=2)
        out.write("\n")
    else:
        for record in records:
            out.write(f"{record['path']}  {record['size']} bytes  sha256:{record['sha256']}\n")


def _publish(args: argparse.Namespace, graph: BuildGraph, config: Config, out: TextIO) -> int:
    from graphpub.publish.exfiltration import check_distributions
    from graphpub.publish.ownership import contents
    from graphpub.publish.publisher import Options, plan, publish

    selected = _selected_distributions(args, graph, "publish")
    held = contents(
        graph, selected, required=True, describe=_describer(args, graph, config, build=True)
    )
    skip = set(resolve_specs(config.skip, graph)) if config.skip else set()
    options = Options(
        dry_run=args.dry_run,
        no_deps=args.no_deps,
        skip_twine=args.skip_twine,
        interactive=args.interactive,
        pypirc=Path(args.pypirc).resolve() if args.pypirc else None,
        only=tuple(args.to or ()),
        allow_insecure_http=args.allow_insecure_http,
        secrets=args.secrets,
    )
    the_plan = plan(graph, selected, held, skip, options)
    needed = {a for addresses in the_plan.uploads.values() for a in addresses}
    graph.check_complete(sorted(needed))
    built = _built(graph, config, {a: held[a] for a in needed}, _isolated(args, config))
    artifacts = {a: [artifact.path for artifact in built[a]] for a in needed}
    views = {a: held[a].distribution for a in needed}
    check_distributions(graph, views, artifacts, args.secrets)
    with _upload_progress(the_plan, artifacts) as on_outcome:
        outcomes = publish(graph, the_plan, artifacts, held, options, on_outcome)
    lines = []
    for outcome in outcomes:
        if outcome.status == "published":
            lines.append(f"✓ {outcome.file} published to {outcome.repository}")
        elif outcome.status == "planned":
            lines.append(f"{outcome.file} would be published to {outcome.repository}")
        elif outcome.status == "skipped" and not outcome.file:
            lines.append(f"{outcome.target} skipped ({outcome.reason})")
        elif outcome.status == "skipped":
            lines.append(f"{outcome.file} skipped (already on {outcome.repository})")
        else:
            what = outcome.file or outcome.target
            lines.append(
                f"✕ {what} failed for {outcome.repository}: {outcome.status}: {outcome.reason}"
            )
    if args.dry_run:
        from graphpub.publish.repositories import twine_environment

        for name, repository in sorted(the_plan.repositories.items()):
            _, found = twine_environment(repository, options.environ)
            lines.append(f"{name}: credentials from {', '.join(found) or 'no TWINE_* variable'}")
    lines.extend(f"missing: {m}" for m in the_plan.missing)
    out.write("".join(line + "\n" for line in sorted(lines)))
    if not any(o.status == "published" for o in outcomes) and not args.dry_run:
        out.write("Nothing published.\n")
    for name, repository in sorted(the_plan.repositories.items()):
        chosen = [a for a in selected if a in the_plan.uploads.get(name, ())]
        if repository.is_directory and chosen and not args.dry_run:
            # Third-party requirements are not in a directory index: pip's own index serves them.
            projects = " ".join(sorted(held[a].distribution.name for a in chosen))
            out.write(
                f"Install from {name}: pip install --extra-index-url {repository.url} {projects}\n"
            )
    failed = any(o.failed for o in outcomes)
    if args.output:
        records = [
            {
                "target": o.target,
                "names": [o.file] if o.file else [],
                "repository": o.repository,
                "status": o.status,
                "reason": o.reason,
                "exit_code": o.exit_code,
            }
            for o in outcomes
        ]
        report = json.dumps({"exit_code": int(failed), "uploads": records}, indent=2)
        Path(args.output).write_text(args.secrets.redact(report) + "\n", encoding="utf-8")
    return 1 if failed else 0


def _help(args: argparse.Namespace, out: TextIO) -> None:
    rule_set = default_rules()
    if args.rules or not args.rule:
        out.write(rules_overview(rule_set) + "\n")
    else:
        out.write(rule_help(rule_set, args.rule) + "\n")


def _neighbours(
    walk: Callable[[BuildGraph, list[Address], bool], set[Address]],
) -> Callable[[argparse.Namespace, BuildGraph, Config, TextIO], None]:
    def run(args: argparse.Namespace, graph: BuildGraph, config: Config, out: TextIO) -> None:
        roots = _selected(args, graph)
        found = sorted(config.render(a) for a in walk(graph, roots, args.transitive))
        out.write("".join(line + "\n" for line in found))

    return run


def _dependents_walk(graph: BuildGraph, roots: list[Address], transitive: bool) -> set[Address]:
    graph.load_all()  # anything anywhere may depend on the roots
    return graph.dependents(roots, transitive=transitive)


def _graph(args: argparse.Namespace, graph: BuildGraph, config: Config, out: TextIO) -> None:
    roots = _selected(args, graph)
    nodes = set(roots) | graph.dependencies(roots, transitive=True)
    edges = sorted(
        (config.render(a), config.render(b)) for a, b in graph.graph.subgraph(nodes).edges()
    )
    names = sorted((config.render(a), graph.target(a).kind) for a in nodes)
    if args.format == "json":
        document = {
            "nodes": [{"address": name, "kind": kind} for name, kind in names],
            "edges": [{"from": a, "to": b} for a, b in edges],
        }
        json.dump(document, out, indent=2)
        out.write("\n")
        return
    out.write("digraph targets {\n")
    for name, kind in names:
        label = json.dumps(name + "\n" + kind)
        out.write(f"  {json.dumps(name)} [label={label}];\n")
    for a, b in edges:
        out.write(f"  {json.dumps(a)} -> {json.dumps(b)};\n")
    out.write("}\n")


# ---------------------------------------------------------------- arguments


def _add_isolation_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-build-isolation",
        action="store_true",
        help="build projects that describe themselves (generate_setup=False) with graphpub's "
        "own Python, which must have their backends, not in isolated environments with "
        "their build requirements from the package index",
    )


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-C",
        "--root",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="the build root (default: found from the current directory)",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show Python tracebacks for errors",
    )
    common.add_argument(
        "--define",
        action="append",
        metavar="KEY=VALUE",
        default=argparse.SUPPRESS,
        help="a value for select() / $(KEY) (repeatable)",
    )
    common.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        metavar="N",
        default=argparse.SUPPRESS,
        help="processes evaluating build files (default: the number of CPUs)",
    )
    common.add_argument(
        "--stamp",
        action="append",
        metavar="KEY=VALUE",
        default=argparse.SUPPRESS,
        help="a value for a version stamp such as {BUILD_EMBED_LABEL} (repeatable)",
    )
    common.add_argument(
        "--no-infer",
        dest="infer",
        action="store_false",
        default=argparse.SUPPRESS,
        help="only explicit dependencies, none inferred from Python imports",
    )
    common.add_argument(
        "--strict",
        action="store_true",
        default=argparse.SUPPRESS,
        help="stop at the first build file that fails, even one the command does not need",
    )
    common.add_argument(
        "--condition",
        action="append",
        metavar="LABEL",
        default=argparse.SUPPRESS,
        help="a config_setting label taken as true in select() (repeatable)",
    )

    parser = argparse.ArgumentParser(
        prog="graphpub",
        description="Publish Python distributions out of any monorepo, driven by its BUILD files.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"graphpub {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(
        name: str, help_text: str, run: Callable[..., int | None]
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, parents=[common])
        sub.add_argument(
            "specs", nargs="+", metavar="SPEC", help="e.g. src/python:demo, dir::, //pkg/..."
        )
        sub.set_defaults(run=run)
        return sub

    command("list", "list the targets the specs select", _list)
    sub = command("peek", "show the targets as JSON: kind, fields, dependencies, location", _peek)
    _add_isolation_option(sub)
    for name, walk in (
        ("dependencies", lambda g, r, t: g.dependencies(r, transitive=t)),
        ("dependents", _dependents_walk),
    ):
        sub = command(name, f"list the {name} of the targets", _neighbours(walk))
        sub.add_argument(
            "--transitive", action="store_true", help=f"all {name}, not only direct ones"
        )
    sub = command("graph", "print the dependency graph of the targets", _graph)
    sub.add_argument("--format", choices=("dot", "json"), default="dot")
    sub = command(
        "package", "build the sdists and wheels of the distributions, into dist/", _package
    )
    sub.add_argument("--output", choices=("text", "json"), default="text")
    _add_isolation_option(sub)
    sub = command(
        "publish", "package the distributions and upload them to their repositories", _publish
    )
    _add_isolation_option(sub)
    sub.add_argument("--dry-run", action="store_true", help="package and print the plan only")
    sub.add_argument("--no-deps", action="store_true", help="do not add first-party dependencies")
    sub.add_argument("--skip-twine", action="store_true", help="skip every distribution")
    sub.add_argument("--interactive", action="store_true", help="let twine ask for credentials")
    sub.add_argument("--pypirc", metavar="PATH", help="the .pypirc for '@name' repositories")
    sub.add_argument(
        "--to",
        action="append",
        metavar="REPOSITORY",
        help="only this one of the distributions' repositories ('@name' or URL; repeatable)",
    )
    sub.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow plain http:// repositories off this machine (credentials go in clear)",
    )
    sub.add_argument("--output", metavar="REPORT.json", help="write a JSON report of every upload")
    help_parser = commands.add_parser(
        "help", help="document a rule and its fields", description="document rules"
    )
    help_parser.add_argument("rule", nargs="?", help="a rule, e.g. python_distribution")
    help_parser.add_argument("--rules", action="store_true", help="list every rule")
    help_parser.set_defaults(run=_help)
    return parser
