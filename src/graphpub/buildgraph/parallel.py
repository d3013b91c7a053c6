"""Evaluating many packages at once on several cores.

Starlark evaluation holds the GIL, so threads do not help. Forked workers do: each inherits the
evaluator as it is (rules, prelude, caches) at no start-up cost, evaluates its share of the
packages and sends them back pickled; the parent evaluates a share itself meanwhile.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field

from graphpub.buildgraph.evaluator import Evaluator, Package
from graphpub.errors import GraphpubError

# Below this many packages per worker, forking and pickling cost more than they save.
MIN_PACKAGES_PER_WORKER = 250
# A worker also pickles what it evaluated (about a sixth of the evaluation time, measured on
# benchmarks/gen_monorepo.py trees) while the parent only unpickles it: the parent takes a
# larger share so that both finish together.
PARENT_SHARE_WEIGHT = 1.2


@dataclass
class _Result:
    packages: dict[str, Package] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    error: BaseException | None = None


def evaluate_packages(evaluator: Evaluator, directories: Sequence[str], jobs: int) -> None:
    """Evaluate the packages in `directories` into the evaluator's cache, using up to `jobs`
    processes; raises the first error (by location) any of them met."""
    jobs = min(jobs, len(directories) // MIN_PACKAGES_PER_WORKER)
    if jobs < 2 or not hasattr(os, "fork"):
        _raise_first([evaluator.evaluate_many(directories)])
        return
    shares = _shares(directories, jobs)
    workers = [_fork(evaluator, share) for share in shares[1:]]
    errors: list[BaseException | None] = [evaluator.evaluate_many(shares[0])]
    for pid, read_fd in workers:
        result = _collect(pid, read_fd)
        evaluator.adopt(result.packages)
        for key, message in result.warnings:
            evaluator.warn(message, key=key)
        errors.append(result.error)
    _raise_first(errors)


def _shares(directories: Sequence[str], jobs: int) -> list[list[str]]:
    """Split the directories for the parent (first share) and `jobs - 1` workers."""
    parent_count = round(len(directories) * PARENT_SHARE_WEIGHT / (PARENT_SHARE_WEIGHT + jobs - 1))
    rest = directories[parent_count:]
    return [list(directories[:parent_count])] + [list(rest[i :: jobs - 1]) for i in range(jobs - 1)]


def _fork(evaluator: Evaluator, share: Sequence[str]) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return pid, read_fd
    # The worker: never returns, never runs the parent's cleanup or flushes its buffers.
    status = 0
    try:
        os.close(read_fd)
        result = _Result()
        known = set(evaluator.packages)
        evaluator.capture_warnings(result.warnings)
        result.error = evaluator.evaluate_many(share)
        result.packages = {d: p for d, p in evaluator.packages.items() if d not in known}
        try:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # an unpicklable error: send what it says
            result.error = RuntimeError(f"{type(result.error).__name__}: {result.error} ({e})")
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _collect(pid: int, read_fd: int) -> _Result:
    with os.fdopen(read_fd, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not payload:
        return _Result(error=RuntimeError(f"a build-file evaluation worker failed ({status})"))
    result: _Result = pickle.loads(payload)
    return result


def _raise_first(errors: Sequence[BaseException | None]) -> None:
    found = [e for e in errors if e is not None]
    if not found:
        return
    located = [e for e in found if isinstance(e, GraphpubError) and e.location is not None]
    if located:
        raise min(located, key=lambda e: e.location or ())  # deterministic whatever the split
    raise found[0]
