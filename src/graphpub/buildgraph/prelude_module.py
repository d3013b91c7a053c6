"""graphpub's prelude as a module: the builtins every evaluated file loads on its first line,
and the modules of builtin labels (`@rules_python//...`, a pip hub's `requirements.bzl`,
unknown externals) made of it.

The module holds graphpub's callbacks (each guarded: `callback_guard`) and the Starlark of the
prelude (`prelude.prelude_source`): a wrapper per rule calling `_rule`, the Bazel and Buck2
APIs, the rule set's own Starlark. It is evaluated once per process, frozen, and shared by
every file (before workers fork: `load_prelude`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import starlark as sl

from graphpub.buildgraph.callback_guard import CallbackGuard, call_with_package
from graphpub.buildgraph.prelude import (
    HUB_FUNCTIONS,
    PRELUDE_LABEL,
    defined_names,
    prelude_source,
    starlark_source,
)
from graphpub.buildgraph.standins import STANDIN_ALIAS, STANDIN_FUNCTION, definitions, uses
from graphpub.buildgraph.starlark_environment import StarlarkEnvironment
from graphpub.buildgraph.target import RuleSet

if TYPE_CHECKING:
    from graphpub.buildgraph.evaluator import PackageState


class Prelude:
    """The prelude module of one rule set, and what it offers."""

    def __init__(
        self,
        environment: StarlarkEnvironment,
        rules: RuleSet,
        native_functions: Mapping[str, Callable[..., object]],
        rule_callbacks: Mapping[str, Callable[..., None]],
        guard: CallbackGuard,
        current: Callable[[str], PackageState],
    ) -> None:
        """`native_functions`: Bazel's and Buck2's builtins, by name; the rule set's functions
        are called with the package being evaluated (`current`) first; `rule_callbacks`: the
        callbacks of the prelude's own Starlark (`_rule`), whose results it never uses."""
        self._environment = environment
        self._rule_names = frozenset(rules.rule_names())
        functions = dict(native_functions)
        for name, function in rules.functions().items():
            functions[name] = partial(call_with_package, current, name, function)
        self._functions = functions
        self._rule_callbacks = rule_callbacks
        self._guard = guard
        self._extra = "\n".join(
            [
                starlark_source("bazel_api.bzl"),
                starlark_source("buck2_api.bzl"),
                starlark_source("bazel_skylib.bzl"),
                starlark_source("python_compat.bzl"),
                rules.prelude_source(),
            ]
        )
        public = (
            self._rule_names
            | functions.keys()
            | defined_names(self._extra)
            | {"native", "host_info", "print"}
        )
        # Names starting with `_` cannot be load()ed: they stay inside the prelude.
        self.names = frozenset(n for n in public if not n.startswith("_"))
        """What files may load of it: rules, builtins, the Bazel rule-definition API."""
        self._module: Any = None

    @property
    def callback_names(self) -> frozenset[str]:
        """The builtins that call into graphpub (Python)."""
        return frozenset({*self._functions, *self._rule_callbacks})

    def module(self) -> Any:
        """The frozen module, evaluated on first use."""
        if self._module is None:
            module = sl.Module()
            guard = self._guard.guard
            for name, function in self._functions.items():
                module.add_callable(name, guard(function, name))
            # (Their results are never used: not converted back into Starlark either.)
            for name, callback in self._rule_callbacks.items():
                module.add_callable(name, guard(callback, result_unused=True))
            source = prelude_source(self._rule_names, self._extra)
            dialect, starlark_globals = self._environment.dialect, self._environment.globals
            sl.eval(module, sl.parse(PRELUDE_LABEL, source, dialect), starlark_globals)
            self._module = module.freeze()
        return self._module

    def builtin_module(
        self,
        label: str,
        symbols: Mapping[str, str],
        from_text: str,
        hub: str | None,
        *,
        known: bool = True,
    ) -> Any:
        """A module for a well-known (`known`) or unknown external label, exporting what was
        asked for: what the prelude has (of a well-known one), else a stand-in shaped by how the
        loading file uses the name it gave the symbol."""
        module = sl.Module()
        from_prelude = sorted(s for s in symbols if known and s in self.names)
        hub_functions = [s for s in symbols if hub is not None and s in HUB_FUNCTIONS]
        for symbol in hub_functions:
            module.add_callable(symbol, partial(HUB_FUNCTIONS[symbol], hub))
        stand_in = sorted(set(symbols) - set(from_prelude) - set(hub_functions))
        aliases = [f"_p_{s} = {s!r}" for s in from_prelude]
        if stand_in:
            aliases.append(f"{STANDIN_ALIAS} = {STANDIN_FUNCTION!r}")
        lines = [f"load({PRELUDE_LABEL!r}, {', '.join(aliases)})"] if aliases else []
        lines.extend(f"{s} = _p_{s}" for s in from_prelude)
        if stand_in:
            shapes = uses(from_text, [symbols[s] for s in stand_in])
            lines.append(definitions({s: shapes[symbols[s]] for s in stand_in}, STANDIN_ALIAS))
        loader = sl.FileLoader(lambda _label: self.module())
        dialect, starlark_globals = self._environment.dialect, self._environment.globals
        sl.eval(module, sl.parse(label, "\n".join([*lines, ""]), dialect), starlark_globals, loader)
        return module.freeze()
