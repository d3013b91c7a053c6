"""The `graphpub` command line: parse arguments, run one command, render errors once."""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from graphpub import __version__
from graphpub.buildgraph import Address, BuildGraph, Config, find_root, load_config
from graphpub.buildgraph.specs import Selected, resolve_specs, select_listed, select_specs
from graphpub.buildgraph.target import Target, thaw
from graphpub.diagnostics import plural, render_error, shortened
from graphpub.errors import GraphpubError, UsageError
from graphpub.rules import default_rules
from graphpub.rules.distribution import Distribution, distributions, is_distributable
from graphpub.rules.help import rule_help, rules_overview
from graphpub.secrets import Secrets

if TYPE_CHECKING:  # imported by the commands that use them (see _selected)
    from graphpub.publish.build import Artifact
    from graphpub.publish.changed import Changes
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
    args = _arguments(parser, sys.argv[1:] if argv is None else argv)
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
        "verbose": 0,
        "quiet": 0,
        "color": "auto",
        "cache": True,
    }
    for option, default in defaults.items():
        if not hasattr(args, option):
            setattr(args, option, default)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return 2
    if hasattr(args, "changed_since"):
        _check_changed_options(parser, args)
    if getattr(args, "keep_going", False) and args.strict:
        parser.error("--keep-going goes on past errors, --strict stops at the first: not both")
    if args.run is _completion:
        from graphpub.completion import script

        rules = sorted(
            {s.kind for s in default_rules().schemas()} | {"python_artifact", "setup_py"}
        )
        sys.stdout.write(script(args.shell, parser, rules))
        return 0
    if args.run is _help:
        try:
            _help(args, sys.stdout)
        except GraphpubError as error:
            print(_diagnostic(args, render_error(error, Path.cwd())), file=sys.stderr)
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
        if getattr(args, "specs", None):
            from graphpub.buildgraph.relative import absolute_specs

            args.specs = absolute_specs(args.specs, config, Path.cwd())
        # `list` names targets: it follows no dependency, unless it asks for dependents.
        follows_edges = args.run is not _list or bool(getattr(args, "changed_since", None))
        graph = BuildGraph(
            config,
            default_rules(config.pants_version),
            warn=_warner(args),
            jobs=args.jobs,
            strict=args.strict,
            edges=follows_edges,
            keep_going=getattr(args, "keep_going", False),
        )
        if args.cache and not os.environ.get("GRAPHPUB_NO_CACHE"):
            graph.use_cache()
        try:
            code = args.run(args, graph, config, sys.stdout)
            if graph.keep_going:
                code = _said_what_failed(args, graph, root) or code
        finally:
            # What was evaluated before an error is kept too; written by a detached process,
            # so the answer does not wait for the pickling (the next run waits, if need be).
            graph.save_cache(background=True)
    except GraphpubError as error:
        if args.debug:
            traceback.print_exc()
        print(_diagnostic(args, render_error(error, root)), file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
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


def _check_changed_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Specs or --changed-since, not both, as in Pants; --changed-dependents needs the latter."""
    if args.changed_since is not None and args.specs:
        parser.error(
            "you used --changed-since at the same time as specs "
            f"({' '.join(args.specs)}); use one or the other"
        )
    if args.changed_since is None and not args.specs:
        parser.error("the following arguments are required: SPEC (or --changed-since REF)")
    if args.changed_since is None and args.changed_dependents != "none":
        parser.error("--changed-dependents needs --changed-since REF")


# ---------------------------------------------------------------- the command line
#
# Everything about reading the command line is here: what is an option, what an exclude, and
# what an unknown option is told. An unknown option is a usage error (exit 2) wherever it is,
# as in Pants, Bazel, twine and uv: never taken for a spec.


def _arguments(parser: _Parser, argv: Sequence[str]) -> argparse.Namespace:
    """`argv` parsed; a usage error (exit 2, with the command's usage) for anything unknown."""
    args, unknown = parser.parse_known_args(_excludes_as_positionals(argv))
    if unknown:
        command = parser.commands.get(getattr(args, "command", None) or "", parser)
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    if hasattr(args, "specs"):  # `--exclude SPEC` is `-SPEC`
        args.specs = [*args.specs, *(f"-{spec}" for spec in args.exclude or ())]
    return args


def _excludes_as_positionals(argv: Sequence[str]) -> list[str]:
    """Pants' `-SPEC` excludes look like options to argparse: move them behind a `--`. Only
    what cannot be an option is one: a token holding `:` or `/` (`-src/python::`, `-dir:tgt`,
    `-//pkg/...`); any other `-x` is left to argparse, which refuses an unknown option."""
    arguments: list[str] = []
    excludes: list[str] = []
    for index, token in enumerate(argv):
        if token == "--":
            arguments.extend(argv[index:])
            break
        is_exclude = (
            token.startswith("-")
            and not token.startswith("--")
            and any(mark in token for mark in ":/")
            and not _is_option_with_value(token)
        )
        (excludes if is_exclude else arguments).append(token)
    if not excludes:
        return arguments
    return [*arguments, *([] if "--" in arguments else ["--"]), *excludes]


# graphpub's short options taking a value, which may be written attached: `-C/path/to/root`.
_SHORT_WITH_VALUE = ("-C", "-j")


def _is_option_with_value(token: str) -> bool:
    return token.startswith(_SHORT_WITH_VALUE)


class _Parser(argparse.ArgumentParser):
    """argparse that knows its commands' parsers, and says what an unknown option may have
    meant: another option of the command, or (`-x`) Pants' exclude."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}{self._hint(message)}\n")

    def _hint(self, message: str) -> str:
        unknown = re.search(r"unrecognized arguments: (-\S+)", message)
        if not unknown:
            return ""
        option = unknown.group(1).partition("=")[0]
        known = [o for action in self._actions for o in action.option_strings]
        close = difflib.get_close_matches(option, known, n=1, cutoff=0.75)
        if close and option.startswith("--"):
            return f"\nhint: did you mean {close[0]}?"
        if not option.startswith("--"):
            spec = option[1:]
            return (
                f"\nhint: graphpub has no option {option}; to exclude the spec {spec!r}, "
                f"write --exclude {spec}"
            )
        return ""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _warner(args: argparse.Namespace) -> Callable[[str], None]:
    """Where warnings go: stderr, unless -qq."""

    def warn(message: str) -> None:
        if args.quiet < 2:
            print(_diagnostic(args, f"warning: {shortened(message)}"), file=sys.stderr)

    return warn


def _diagnostic(args: argparse.Namespace, text: str) -> str:
    """An error or warning for stderr, coloured as --color and NO_COLOR say."""
    from graphpub.color import paint_diagnostic, use_color

    return paint_diagnostic(text) if use_color(args.color, sys.stderr, os.environ) else text


def _info(args: argparse.Namespace, message: str) -> None:
    """What -v adds: what graphpub found and decided, on stderr."""
    if args.verbose > args.quiet:
        sys.stderr.write(message + "\n")


def _config(args: argparse.Namespace) -> Config:
    root = Path(args.root).resolve() if args.root else find_root(Path.cwd())
    if args.root and not root.is_dir():
        raise UsageError(f"--root {args.root}: no such directory")
    defines: dict[str, str] = {}
    for item in args.define or ():
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError(f"--define {item!r}: expected KEY=VALUE")
        defines[key] = value
    stamp: dict[str, str] = {}
    for item in args.stamp or ():
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError(f"--stamp {item!r}: expected KEY=VALUE")
        stamp[key] = value
    return load_config(root).with_overrides(
        defines=defines, conditions=tuple(args.condition or ()), stamp=stamp
    )


# ---------------------------------------------------------------- commands


def _said_what_failed(args: argparse.Namespace, graph: BuildGraph, root: Path) -> int:
    """With --keep-going, after the answer: each error the command went on without; 1 if
    there was any."""
    errors = graph.keep_going_errors()
    if not errors:
        return 0
    sys.stdout.flush()
    for error in errors:
        print(_diagnostic(args, render_error(error, root)), file=sys.stderr)
    print(
        f"graphpub: {len(errors)} error{'s' if len(errors) > 1 else ''}: the answer above "
        "leaves out what failed (--keep-going)",
        file=sys.stderr,
    )
    return 1


def _list(args: argparse.Namespace, graph: BuildGraph, config: Config, out: TextIO) -> None:
    # (In no order: written sorted as rendered. Directories' specs are answered from the
    # targets' indexes where the package cache holds them: their addresses rendered.)
    selected = None if args.changed_since is not None else select_listed(args.specs, graph)
    if selected is None:
        if args.changed_since is not None:
            addresses = _changed(args, graph)
        else:
            addresses = list(select_specs(args.specs, graph))
        selected = Selected([], [], addresses)
    render = config.render
    if args.format == "text" and not (args.filter_target_type or args.filter_address_regex):
        # The strings alone: `list ::` of 150,000 targets peaks here.
        lines = selected.rendered
        lines.extend(map(render, selected.addresses))
        _write_lines(sorted(lines), out)
        return
    listed = list(zip(selected.rendered, selected.kinds, strict=True))
    listed.extend((render(a), graph.kind(a)) for a in selected.addresses)
    listed = _filtered(args, graph, listed)
    if args.format == "json":
        _write_json(sorted(listed), out)
    else:
        _write_lines(sorted(rendered for rendered, _ in listed), out)


def _write_addresses(
    args: argparse.Namespace, graph: BuildGraph, addresses: Iterable[Address], out: TextIO
) -> None:
    """One address a line, sorted; with --format json, a list of {address, kind}."""
    addresses = list(addresses)
    rendered = graph.rendered(addresses)
    if args.format == "json":
        _write_json(sorted(zip(rendered, map(graph.kind, addresses), strict=True)), out)
    else:
        _write_lines(sorted(rendered), out)


def _write_json(listed: Iterable[tuple[str, str]], out: TextIO) -> None:
    json.dump([{"address": a, "kind": k} for a, k in listed], out, indent=2)
    out.write("\n")


def _write_lines(lines: Sequence[str], out: TextIO) -> None:
    # A batch at a time: `list ::` of 150,000 targets held three times their size at once
    # otherwise.
    for start in range(0, len(lines), _LINES_PER_WRITE):
        out.write("\n".join(lines[start : start + _LINES_PER_WRITE]) + "\n")


_LINES_PER_WRITE = 4096


def _filtered(
    args: argparse.Namespace, graph: BuildGraph, listed: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The (rendered address, kind) of targets that pass --filter-target-type and
    --filter-address-regex."""
    from graphpub.buildgraph.filters import address_regex_filter, target_type_filter

    tests = []
    if args.filter_target_type:
        known = {s.kind for s in default_rules().schemas()}
        known |= {kind for index in graph.indexes() for kind in index.kinds}
        known |= {graph.kind(a) for a in graph.loaded_addresses()}
        tests.append(target_type_filter(args.filter_target_type, known))
    if args.filter_address_regex:
        tests.append(address_regex_filter(args.filter_address_regex))
    return [(a, k) for a, k in listed if all(test(a, k) for test in tests)]


# The publish stage and rich are imported by the commands that use them: `list` on a large
# repository starts in a third of the time without them.


def _selected(
    args: argparse.Namespace, graph: BuildGraph, *, ordered: bool = True
) -> list[Address]:
    """The targets the specs select (sorted, unless not `ordered`), with the dependencies
    their imports imply (unless --no-infer). The specs' packages are loaded first, so that a
    build file failing where a command does not need it (inference reads the whole
    repository) is only a warning."""
    if getattr(args, "changed_since", None) is not None:
        return _changed(args, graph)
    if args.infer:  # (inference looks at the whole repository: its edges may be kept)
        graph.adopt_snapshot()
    if ordered:
        addresses = resolve_specs(args.specs, graph)
    else:
        addresses = list(select_specs(args.specs, graph))
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


def _changes(args: argparse.Namespace, graph: BuildGraph) -> Changes:
    """The files changed since --changed-since (said with -v)."""
    from graphpub.publish.changed import changed_files, within_build

    changes = within_build(graph, changed_files(graph.config.root, args.changed_since))
    _info(args, f"{len(changes.files)} files changed since {args.changed_since}:")
    for path in changes.files:
        _info(args, f"  {path}")
    return changes


def _changed(
    args: argparse.Namespace, graph: BuildGraph, changes: Changes | None = None
) -> list[Address]:
    """The targets owning the files changed since --changed-since, with their dependents as
    --changed-dependents says (through inferred dependencies too, unless --no-infer)."""
    from graphpub.publish.changed import changed_targets

    if changes is None:
        changes = _changes(args, graph)
    if args.infer:
        from graphpub.publish.inference import infer_dependencies

        infer_dependencies(graph)
    return changed_targets(graph, changes, args.changed_dependents)


def _changed_distributions(args: argparse.Namespace, graph: BuildGraph) -> list[Address]:
    """The distributions among the changed targets, or owning one of them."""
    from graphpub.publish.changed import changed_distributions
    from graphpub.publish.ownership import contents

    changes = _changes(args, graph)
    changed = _changed(args, graph, changes)
    everything = [t.address for t in graph.targets() if is_distributable(t)]
    held = contents(graph, everything)
    generators = {t.address: t.generator for t in graph.targets() if t.generator is not None}
    found = changed_distributions(
        changed,
        {a: c.owned for a, c in held.items()},
        generators,
        {a: graph.dependencies([a], transitive=False) for a in held},
        # The files the setup_kwargs plugin read for it (a VERSION file): its version and
        # metadata change with them.
        read={a: c.distribution.plugin_inputs for a, c in held.items()},
        files=changes.files,
    )
    _info(args, f"{len(changed)} targets changed; distributions: {len(found)}")
    for address in found:
        _info(args, f"  {graph.config.render(address)}")
    return found


def _selected_distributions(
    args: argparse.Namespace, graph: BuildGraph, command: str
) -> list[Address]:
    """The distributions the specs select, with dependencies inferred (unless --no-infer);
    an error if none."""
    if getattr(args, "changed_since", None) is not None:
        changed = _changed_distributions(args, graph)
        if not changed and not args.quiet:
            sys.stderr.write(f"no distribution changed since {args.changed_since}\n")
        return changed
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
        from graphpub.publish.epochs import source_date_epochs
        from graphpub.publish.own_project import describe_projects

        held = {c.distribution.address: c for c in projects}
        return describe_projects(
            graph,
            projects,
            output=config.root / "dist",
            epochs=source_date_epochs(graph, held),
            isolated=_isolated(args, config),
            jobs=graph.jobs,
            build=build,
        )

    return describe


def _built(
    graph: BuildGraph,
    config: Config,
    held: Mapping[Address, Contents],
    isolated: bool,
    quiet: bool = False,
    on_ready: Callable[[], None] = lambda: None,
) -> dict[Address, list[Artifact]]:
    """Stage and build `held` (address to Contents), with a progress bar on a terminal;
    `on_ready` as `build_all` calls it."""
    from graphpub.publish.build import build_all, stage
    from graphpub.publish.build_cache import build_cache
    from graphpub.publish.epochs import source_date_epochs
    from graphpub.publish.inference import source_roots

    epochs, roots = source_date_epochs(graph, held), source_roots(graph)
    staged = [
        stage(graph, held[a], config.root / "dist", epochs[a], roots, isolated)
        for a in sorted(held)
    ]
    cache = build_cache(config.root)
    if quiet or not sys.stderr.isatty():
        if not quiet:
            sys.stderr.write(f"packaging {plural(len(staged), 'distribution')}\n")
        return build_all(staged, cache, graph.jobs, warn=graph.warn, on_ready=on_ready)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("packaging", total=len(staged))
        return build_all(
            staged,
            cache,
            graph.jobs,
            on_built=lambda _p: progress.advance(task),
            warn=graph.warn,
            on_ready=on_ready,
        )


@contextmanager
def _upload_progress(
    plan: Plan, artifacts: Mapping[Address, list[Path]], quiet: bool = False
) -> Iterator[Callable[[Outcome], None]]:
    """What `publish` calls with each outcome: a progress bar per repository on a terminal,
    else a plain line per file."""
    if quiet:
        yield lambda _outcome: None
        return
    if not sys.stderr.isatty():

        def plain(outcome: Outcome) -> None:
            for file in outcome.files:
                sys.stderr.write(f"{outcome.repository}: {file.name} {file.status}\n")

        yield plain
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        tasks = {
            name: progress.add_task(f"uploading to {name}", total=len(addresses))
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
    if not held:  # --changed-since: nothing changed
        return
    built = _built(graph, config, held, _isolated(args, config), quiet=args.quiet > 0)
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
    if args.output_format is not None:
        _warner(args)("package --output is deprecated: use --format " + args.output_format)
    if (args.output_format or args.format) == "json":
        json.dump(records, out, indent=2)
        out.write("\n")
    else:
        for record in records:
            out.write(f"{record['path']}  {record['size']} bytes  sha256:{record['sha256']}\n")


def _publish(args: argparse.Namespace, graph: BuildGraph, config: Config, out: TextIO) -> int:
    from graphpub.publish import report
    from graphpub.publish.exfiltration import check_distributions
    from graphpub.publish.install_hint import install_hint
    from graphpub.publish.ownership import contents
    from graphpub.publish.publisher import Options, Publication, plan

    report_out = out
    if args.format == "json":  # the report replaces the lines
        out = io.StringIO()
    selected = _selected_distributions(args, graph, "publish")
    if not selected:  # --changed-since: nothing changed
        out.write("Nothing published.\n")
        if args.format == "json":
            report_out.write(json.dumps({"exit_code": 0, "uploads": []}, indent=2) + "\n")
        return 0
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
    # The indexes are read from the moment nothing is left to build (no build worker is
    # forked from a process whose threads read), while the builds are copied out and
    # checked; nothing is uploaded before both are done.
    with Publication(graph, the_plan, held, options) as publication:
        built = _built(
            graph,
            config,
            {a: held[a] for a in needed},
            _isolated(args, config),
            quiet=args.quiet > 0,
            on_ready=publication.start_reading,
        )
        artifacts = {a: [artifact.path for artifact in built[a]] for a in needed}
        views = {a: held[a].distribution for a in needed}
        check_distributions(graph, views, artifacts, args.secrets)
        with _upload_progress(the_plan, artifacts, quiet=args.quiet > 0) as on_outcome:
            outcomes = publication.publish(artifacts, on_outcome)
    extra = []
    if args.dry_run:
        from graphpub.publish.order import natural_key
        from graphpub.publish.repositories import twine_environment

        for name in sorted(the_plan.repositories, key=natural_key):
            repository = the_plan.repositories[name]
            if repository.is_directory:  # graphpub writes it: no credentials
                continue
            _, found = twine_environment(repository, options.environ)
            extra.append(f"{name}: credentials from {', '.join(found) or 'no TWINE_* variable'}")
    install_from = {}
    for name, repository in the_plan.repositories.items():
        chosen = [a for a in selected if a in the_plan.uploads.get(name, ())]
        if repository.is_directory and chosen and not args.dry_run:
            hint = install_hint(repository, chosen, held)
            if hint is not None:
                install_from[name] = hint
    story = report.Story(args.dry_run, extra, the_plan.missing, install_from)
    out.write("".join(line + "\n" for line in report.text(outcomes, story)))
    if args.output or args.format == "json":
        document = args.secrets.redact(json.dumps(report.json_report(outcomes), indent=2))
        if args.output:
            Path(args.output).write_text(document + "\n", encoding="utf-8")
        if args.format == "json":
            report_out.write(document + "\n")
    return report.exit_code(outcomes)


def _help(args: argparse.Namespace, out: TextIO) -> None:
    rule_set = default_rules()
    if args.rules or not args.rule:
        out.write(rules_overview(rule_set, first=_repository_dialect(args)) + "\n")
    else:
        out.write(rule_help(rule_set, args.rule) + "\n")


def _completion(args: argparse.Namespace, out: TextIO) -> None:
    """Run by _main itself, which holds the parser the script is made from."""


def _repository_dialect(args: argparse.Namespace) -> str | None:
    """The dialect of the repository graphpub runs in, if any; help works anywhere."""
    try:
        return _config(args).dialect.value
    except (GraphpubError, OSError):
        return None


def _neighbours(
    walk: Callable[[BuildGraph, list[Address], bool], set[Address]],
) -> Callable[[argparse.Namespace, BuildGraph, Config, TextIO], None]:
    def run(args: argparse.Namespace, graph: BuildGraph, config: Config, out: TextIO) -> None:
        roots = _selected(args, graph, ordered=False)  # (what it reaches is written sorted)
        _write_addresses(args, graph, walk(graph, roots, args.transitive), out)

    return run


def _dependents_walk(graph: BuildGraph, roots: list[Address], transitive: bool) -> set[Address]:
    graph.load_all()  # anything anywhere may depend on the roots
    return graph.dependents(roots, transitive=transitive)


def _graph(args: argparse.Namespace, graph: BuildGraph, config: Config, out: TextIO) -> None:
    from graphpub import drawing
    from graphpub.publish.picture import (
        distribution_document,
        distribution_picture,
        target_picture,
    )

    if args.level == "distributions":
        from graphpub.publish.ownership import contents

        held = contents(graph, _selected_distributions(args, graph, "graph"), required=True)
        skip = set(resolve_specs(config.skip, graph)) if config.skip else set()
        document = distribution_document(config, held, skip)
        if args.format == "json":
            json.dump(document, out, indent=2)
            out.write("\n")
            return
        picture = distribution_picture(document)
    else:
        picture = target_picture(graph, config, _selected(args, graph))
        if args.format == "json":
            json.dump(
                {
                    "nodes": [{"address": n.id, "kind": n.lines[0]} for n in picture.nodes],
                    "edges": [
                        {"from": e.source, "to": e.target, "inferred": e.style == "inferred"}
                        for e in picture.edges
                    ],
                },
                out,
                indent=2,
            )
            out.write("\n")
            return
    if args.format == "mermaid":
        out.write(drawing.to_mermaid(picture))
    elif args.format == "html":
        out.write(drawing.to_html(picture))
    else:
        out.write(drawing.to_dot(picture, args.level))


# ---------------------------------------------------------------- arguments


def _format_option(sub: argparse.ArgumentParser, choices: tuple[str, ...], more: str = "") -> None:
    """--format, spelled the same on every command that prints data."""
    sub.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        help="how to print: " + ", ".join(choices) + (f" ({more})" if more else ""),
    )


def _add_isolation_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-build-isolation",
        action="store_true",
        help="build projects that describe themselves (generate_setup=False) with graphpub's "
        "own Python, which must have their backends, not in isolated environments with "
        "their build requirements from the package index",
    )


def _parser() -> _Parser:
    common = _Parser(add_help=False, allow_abbrev=False)
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
        "--no-cache",
        dest="cache",
        action="store_false",
        default=argparse.SUPPRESS,
        help="evaluate every build file, without the package cache in .graphpub/packages "
        "(also GRAPHPUB_NO_CACHE=1)",
    )
    common.add_argument(
        "--strict",
        action="store_true",
        default=argparse.SUPPRESS,
        help="stop at the first build file that fails, even one the command does not need",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="say more: the files changed, the distributions chosen (repeatable)",
    )
    common.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=argparse.SUPPRESS,
        help="no progress; -qq: no warnings either (errors are always shown)",
    )
    common.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default=argparse.SUPPRESS,
        help="colour errors and warnings: auto (on a terminal, unless NO_COLOR is set), "
        "always or never",
    )
    common.add_argument(
        "--condition",
        action="append",
        metavar="LABEL",
        default=argparse.SUPPRESS,
        help="a config_setting label taken as true in select() (repeatable)",
    )

    parser = _Parser(
        prog="graphpub",
        allow_abbrev=False,
        description="Publish Python distributions out of any monorepo, driven by its BUILD files.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"graphpub {__version__}")
    commands = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", parser_class=_Parser
    )

    def command(
        name: str,
        help_text: str,
        run: Callable[..., int | None],
        *,
        changed: bool = False,
        keep_going: bool = False,
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, help=help_text, description=help_text, parents=[common], allow_abbrev=False
        )
        parser.commands[name] = sub
        sub.add_argument(
            "specs",
            nargs="*" if changed else "+",
            metavar="SPEC",
            help="e.g. src/python:demo, dir::, //pkg/...; -dir:: or -dir:tgt excludes"
            + (" (none with --changed-since)" if changed else ""),
        )
        sub.add_argument(
            "--exclude",
            action="append",
            metavar="SPEC",
            help="leave out what SPEC matches (repeatable), like Pants' -SPEC",
        )
        if changed:
            sub.add_argument(
                "--changed-since",
                metavar="REF",
                help="the targets owning files changed since this git commit, branch or tag "
                "(and uncommitted or untracked files), instead of specs",
            )
            sub.add_argument(
                "--changed-dependents",
                choices=("none", "direct", "transitive"),
                default="none",
                help="with --changed-since, also the targets depending on the changed ones",
            )
        if keep_going:
            sub.add_argument(
                "--keep-going",
                action="store_true",
                help="go on past build files that fail and dependencies that cannot be found "
                "(as Bazel's --keep_going, Buck2's --keep-going): answer with the rest, then "
                "say each error and exit 1",
            )
        sub.set_defaults(run=run)
        return sub

    sub = command("list", "list the targets the specs select", _list, changed=True, keep_going=True)
    _format_option(sub, ("text", "json"))
    sub.add_argument(
        "--filter-target-type",
        action="append",
        metavar="KIND",
        help="only targets of these kinds: KIND,KIND (any of them), -KIND (none of them); "
        "repeat to require each",
    )
    sub.add_argument(
        "--filter-address-regex",
        action="append",
        metavar="REGEX",
        help="only targets whose address matches: REGEX,REGEX, -REGEX; repeat to require each",
    )
    sub = command("peek", "show the targets as JSON: kind, fields, dependencies, location", _peek)
    _format_option(sub, ("json",))
    _add_isolation_option(sub)
    for name, walk in (
        ("dependencies", lambda g, r, t: g.dependencies(r, transitive=t)),
        ("dependents", _dependents_walk),
    ):
        sub = command(name, f"list the {name} of the targets", _neighbours(walk), keep_going=True)
        sub.add_argument(
            "--transitive", action="store_true", help=f"all {name}, not only direct ones"
        )
        _format_option(sub, ("text", "json"))
    sub = command("graph", "print the dependency graph of the targets", _graph)
    sub.add_argument(
        "--format",
        choices=("dot", "json", "mermaid", "html"),
        default="dot",
        help="Graphviz dot, JSON, a Mermaid flowchart, or one self-contained HTML page",
    )
    sub.add_argument(
        "--level",
        choices=("targets", "distributions"),
        default="targets",
        help="targets and their dependencies, or the distributions the specs reach: what each "
        "carries, what it requires, the upload order and where each goes",
    )
    sub = command(
        "package",
        "build the sdists and wheels of the distributions, into dist/",
        _package,
        changed=True,
    )
    _format_option(sub, ("text", "json"))
    sub.add_argument(
        "--output",
        dest="output_format",
        choices=("text", "json"),
        help="deprecated: --format",
    )
    _add_isolation_option(sub)
    sub = command(
        "publish",
        "package the distributions and upload them to their repositories",
        _publish,
        changed=True,
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
    _format_option(sub, ("text", "json"), "json: the report --output writes, on stdout")
    help_parser = commands.add_parser(
        "help",
        help="document a rule and its fields",
        description="document rules",
        allow_abbrev=False,
    )
    help_parser.add_argument("rule", nargs="?", help="a rule, e.g. python_distribution")
    help_parser.add_argument("--rules", action="store_true", help="list every rule")
    help_parser.set_defaults(run=_help)
    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description='shell completion: eval "$(graphpub completion bash)" in ~/.bashrc '
        "(zsh: the same in ~/.zshrc; fish: graphpub completion fish > "
        "~/.config/fish/completions/graphpub.fish)",
    )
    completion.add_argument("shell", choices=("bash", "zsh", "fish"))
    completion.set_defaults(run=_completion)
    parser.commands["completion"] = completion
    parser.commands["help"] = help_parser
    return parser
