"""Rule calls into targets of the package being evaluated.

The prelude's wrapper of each rule passes graphpub the call as one JSON string (its kind, the
Starlark call stack, its arguments): the rule set makes its targets (`RuleSet.instantiate`),
located at the build-file line the stack starts from (through macros too), and they join the
package, each name once. A stand-in called with a name (a rule of an ecosystem graphpub
cannot see) makes an opaque target of its kind.
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from graphpub.buildgraph import starlark_errors
from graphpub.buildgraph.config import Config, file_dialect
from graphpub.buildgraph.target import RuleCall, RuleSet, Target, generic_target
from graphpub.errors import (
    AddressError,
    BuildFileError,
    GraphError,
    SourceLocation,
    describe_character,
    locate_quoted,
    unsafe_character,
)

if TYPE_CHECKING:
    from graphpub.buildgraph.evaluator import Package, PackageState


class RuleCalls:
    """The prelude's callbacks making targets: `rule`, `opaque_rule`, `imitated`."""

    def __init__(
        self,
        rules: RuleSet,
        config: Config,
        stack: Sequence[PackageState],
        current: Callable[[str], PackageState],
        warn: Callable[[str, str], None],
    ) -> None:
        """`stack`: the packages under evaluation, innermost last (the evaluator's, as it
        changes); `current(what)`: the innermost, or the error of `what` used outside any;
        `warn(message, key)` warns once per key."""
        self._rules = rules
        self._rule_names = frozenset(rules.rule_names())
        self._config = config
        self._stack = stack
        self._current = current
        self._warn = warn

    def imitated(self) -> None:
        """A stand-in was called: the package being evaluated (if any) is imitated."""
        if self._stack:
            self._stack[-1].package.imitated = True

    def opaque_rule(self, encoded_call: str) -> None:
        """A stand-in called with a name: an opaque target of its kind, whatever its name."""
        self.rule(encoded_call, opaque=True)

    def rule(self, encoded_call: str, *, opaque: bool = False) -> None:
        kind, stack, args, kwargs = _decode_call(encoded_call)
        state = self._stack[-1] if self._stack else self._current(f"{kind}()")
        path, line = starlark_errors.first_frame(stack) or (state.build_file, 0)
        if path == state.build_file:
            path = state.build_file  # one string per file, not one per target
        location = SourceLocation(path, line)
        call = RuleCall(kind, kwargs, location, state, tuple(args))
        if self._config.strict_rules and (opaque or not self._rules.describes(kind, state.dialect)):
            raise BuildFileError(
                f"{kind}() is a rule graphpub knows no schema for (strict_rules is set)",
                location=location,
                hint="unset strict_rules to load it as an opaque target with its deps as edges",
            )
        try:
            if kind in self._rule_names and not opaque:
                targets = self._rules.instantiate(call)
            elif "name" in kwargs:
                targets = [generic_target(call)]
            else:
                return  # an opaque macro (say a toolchain setup) whose targets graphpub cannot see
        except AddressError as error:
            if error.written and path == state.build_file:
                written_at = locate_quoted(path, state.text.splitlines(), error.written, line)
                error.location = written_at or location
            raise
        for target in targets:
            self._register(state.package, target)

    def _register(self, package: Package, target: Target) -> None:
        address = target.address
        # (The directory is a package the file tree listed: checked once, in `package`.)
        name = f"{address.file}:{address.name}#{address.generated}"
        if not (name.isascii() and name.isprintable()):
            for part in (address.name, address.file, address.generated):
                unsafe = unsafe_character(part)
                if unsafe is None:
                    continue
                raise BuildFileError(
                    f"the target name {part!r} holds {describe_character(unsafe)}",
                    location=target.location,
                    hint="target names are plain text, shown as they are on terminals and in "
                    "logs: rename it (or the file it is named after)",
                )
        existing = package.targets.get(target.address)
        if existing is not None and self._both_opaque(existing, target):
            # Macros of other ecosystems that graphpub only imitates (names made from
            # `str(function)`, which starlark writes otherwise than Bazel) may collide: the
            # first target stays, and loading goes on.
            self._warn(
                f"{target.location}: a second opaque target named "
                f"'{target.address.name}' in package '{package.directory or '//'}' (first made "
                f"at {existing.location}) is left out",
                f"opaque-duplicate:{target.address}",
            )
            return
        if existing is not None:
            raise GraphError(
                f"duplicate target name '{target.address.name}' in package "
                f"'{package.directory or '//'}' (first defined at {existing.location})",
                location=target.location,
                related=(existing.location,),
                hint="every target in a package needs its own name",
            )
        package.targets[target.address] = target

    def _both_opaque(self, first: Target, second: Target) -> bool:
        dialect = file_dialect(first.location.path, self._config.dialect)
        return not (
            self._rules.describes(first.kind, dialect)
            or self._rules.describes(second.kind, dialect)
        )


def _decode_call(encoded_call: str) -> Any:
    """A rule call as the prelude encodes it (`json.encode`: always one valid JSON value),
    without the checks json.loads makes of text from elsewhere."""
    return _SCAN_JSON(encoded_call, 0)[0]


_SCAN_JSON: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]  # (typeshed types it as taking itself)
)
