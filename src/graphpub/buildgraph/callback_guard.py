"""graphpub's callbacks from Starlark (builtins, rule calls, `load()`) and their errors.

starlark-pyo3 turns an exception raised inside a Python callback into a StarlarkError of text
only: the callback's error is kept aside here, and the evaluation that failed re-raises it,
typed, at the location starlark reports (`FileRunner`). A callback called with arguments it
does not take is the build file's error, with the callback's signature as the hint.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import starlark as sl

from graphpub.errors import BuildFileError

if TYPE_CHECKING:
    from graphpub.buildgraph.evaluator import PackageState

# What a callback whose result the prelude ignores gives back (`guard`).
_UNUSED = sl.OpaquePythonObject(None)


class CallbackGuard:
    """The error a callback raised during the evaluation under way, until it is taken."""

    def __init__(self) -> None:
        self.pending: BaseException | None = None

    def keep(self, error: BaseException) -> None:
        """`error` is why starlark is about to fail (a callback's, or an interrupt's)."""
        self.pending = error

    def take(self) -> BaseException | None:
        """The error kept, which is then no longer pending."""
        pending, self.pending = self.pending, None
        return pending

    def guard(
        self, function: Callable[..., object], name: str = "", *, result_unused: bool = False
    ) -> Callable[..., object]:
        """Keep an exception raised inside a callback, so it survives starlark's conversion;
        a call with wrong arguments is the build file's error, not graphpub's. `result_unused`:
        the prelude never uses what the function returns, so it is not converted (starlark
        turns a Python None into Starlark by way of JSON: an opaque object crosses as it is)."""

        def guarded(*args: object, **kwargs: object) -> object:
            try:
                result = function(*args, **kwargs)
                return _UNUSED if result_unused else result
            except TypeError as e:
                self.pending = e
                if _raised_by_the_call(e, (guarded.__code__, _WITH_PACKAGE_CODE)):
                    self.pending = BuildFileError(
                        f"{name}() called with wrong arguments",
                        hint=signature(name, function),
                    )
                raise
            except BaseException as e:
                self.pending = e
                raise

        guarded.__name__ = name or getattr(function, "__name__", "builtin")
        return guarded


def call_with_package(
    current: Callable[[str], PackageState],
    name: str,
    function: Callable[..., object],
    /,
    *args: object,
    **kwargs: object,
) -> object:
    """A rule set's function `name`, called with the package being evaluated first (`partial`
    of this is what the prelude offers)."""
    return function(current(f"{name}()"), *args, **kwargs)


_WITH_PACKAGE_CODE = call_with_package.__code__


def signature(name: str, function: Callable[..., object]) -> str | None:
    """`name(a, b = None)`: how a builtin is called, without its hidden first parameter
    (the package) and annotations."""
    import inspect  # for error messages only: not at start-up

    hidden = 0
    if isinstance(function, partial) and function.func is call_with_package:
        function, hidden = function.args[2], 1
    try:
        parameters = list(inspect.signature(function).parameters.values())[hidden:]
    except (TypeError, ValueError):
        return None
    shown = [str(p.replace(annotation=inspect.Parameter.empty)) for p in parameters]
    return f"it is called as {name}({', '.join(shown)})"


def _raised_by_the_call(error: BaseException, callers: tuple[Any, ...]) -> bool:
    """Whether `error` was raised calling a function from one of the `callers` (binding its
    arguments) rather than inside it."""
    traceback = error.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback is not None and traceback.tb_frame.f_code in callers
