"""The Starlark that build files are written in: the dialects they are parsed in and the
globals they see before graphpub's prelude."""

from __future__ import annotations

from dataclasses import dataclass

import starlark as sl


@dataclass(frozen=True)
class StarlarkEnvironment:
    """Made once per evaluator (`make`), shared by the parts parsing and evaluating files."""

    dialect: sl.Dialect
    """Bazel's and Buck2's files, and graphpub's own Starlark."""
    python_dialect: sl.Dialect
    """Pants' files, which are Python."""
    globals: sl.Globals

    @classmethod
    def make(cls) -> StarlarkEnvironment:
        dialect = sl.Dialect.extended()
        dialect.enable_f_strings = True
        # Pants files are Python, where annotations are not checked: refused here, so that
        # python_compat lowers them away.
        python_dialect = sl.Dialect.extended()
        python_dialect.enable_f_strings = True
        python_dialect.enable_types = sl.DialectTypes.DISABLE
        # starlark's own extensions real .bzl files use, all pure (no I/O: not print, pprint
        # or breakpoint, which the prelude defines or refuses; nor debug, which shows Python).
        extensions = sl.LibraryExtension
        starlark_globals = sl.Globals.extended_by(
            [
                extensions.StructType,
                extensions.CallStack,
                extensions.Json,
                extensions.Typing,
                extensions.RecordType,
                extensions.EnumType,
                extensions.Map,
                extensions.Filter,
                extensions.Partial,
            ]
        )
        return cls(dialect, python_dialect, starlark_globals)
