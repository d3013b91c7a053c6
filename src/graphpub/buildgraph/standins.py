"""Inert stand-ins for the names graphpub does not model, shaped by how a file uses them.

A build or `.bzl` file may use names graphpub has no meaning for: a rule of a plugin
(`kotlin_library(name = ...)`), a module of an external repository it cannot see
(`runtime.python_library(...)`, `selects.with_or({...})`), a type in an annotation
(`ctx: AnalysisContext`). Starlark has no value that is at once callable, has any attribute and
is a type, so each stand-in is made for its use in the file that names it: a name that is
called is a function (making an opaque target of its kind when given a `name`), a name whose
attributes are read is a struct of stand-ins, a name used as a type only is `typing.Any`, one
called and used as a type (a provider: `DefaultInfo(...)`, `-> list[DefaultInfo]`) is `struct`
(both), one indexed with strings is a dict of empty strings for them, and any other value an
empty list (data that `in`, `+ [...]`, iteration and `len` take). Rule implementations never run,
so what stands in for what they use matters not.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# The Starlark function making a stand-in callable: exported by the prelude (`standins.bzl`).
STANDIN_FUNCTION = "graphpub_standin"
# Its name in the files that load it (`definitions`' `alias`).
STANDIN_ALIAS = "_graphpub_standin"
_CHAIN = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\s*\.\s*[A-Za-z_]\w*)*)(\s*\()?")


@dataclass
class Use:
    """How a file uses a name (and, below, each attribute of it)."""

    called: bool = False
    typed: bool = False
    """Named in a type annotation."""
    valued: bool = False
    """Used as a value other than by a call, an attribute or a string index."""
    keys: set[str] = field(default_factory=set)
    """String literals it is indexed with (`MAPPING["3.10"]`)."""
    attributes: dict[str, Use] = field(default_factory=dict)
    result: Use | None = None
    """How what a call returns is used, where the file keeps it (`x = f(...)`, then `x`)."""
    result_name: str = ""
    """The name the file keeps it under."""
    hints: set[str] = field(default_factory=set)
    """What its neighbours say it is (`string`, `list`, `dict`): `"==" + X`, `X | {...}`."""

    def absorb(self, other: Use) -> None:
        """Take on the uses of an alias of this value (`x = value`, then `x(...)`)."""
        self.called = self.called or other.called
        self.typed = self.typed or other.typed
        self.keys |= other.keys
        self.hints |= other.hints
        for name, use in other.attributes.items():
            self.attributes.setdefault(name, Use()).absorb(use)
        if other.result is not None and self.result is None:
            self.result, self.result_name = other.result, other.result_name

    def expression(self, path: str, *, inert: bool = False) -> str:
        """Starlark for a value standing in for `path` (`runtime.python_library`); `inert`:
        calls make no targets (a global of the ecosystem that is no rule, such as
        `configuration_field(name = ...)`)."""
        methods = set(self.attributes)
        for kind, value in (("dict", "{}"), ("string", "''"), ("list", "[]")):
            if methods and methods <= _METHODS[kind]:  # `X.replace(...)`: a string
                return value
        if self.attributes:
            members = ", ".join(
                f"{name} = {use.expression(f'{path}.{name}', inert=inert)}"
                for name, use in sorted(self.attributes.items())
            )
            return f"struct({members})"
        if self.called and self.typed:
            return "struct"
        # Passed on (`_impl(name, rb_library, **kwargs)`) under a rule's name: a rule.
        called = self.called or (
            self.valued and not self.hints and _looks_like_a_rule(path.rpartition(".")[2], ())
        )
        if called:
            # What a call gives: shaped by how the file uses it, else an empty list (the
            # likeliest use of a helper's result: `deps = [...] + helper(...)`).
            result = "[]"
            if self.result is not None:
                result = self.result.expression(self.result_name.lstrip("_") or path)
            makes_targets = not inert or path in _MAKE_TARGETS
            return f"{STANDIN_FUNCTION}({path!r}, {result}, {makes_targets})"
        if self.keys:
            return "{" + ", ".join(f"{key!r}: ''" for key in sorted(self.keys)) + "}"
        if self.typed and not self.valued:
            return "typing.Any"
        for kind, value in (("dict", "{}"), ("string", "''")):
            if kind in self.hints:
                return value
        return "[]"


# The methods that tell a value's type when a file calls them on a stand-in.
_METHODS = {
    "string": frozenset(
        {
            *("capitalize", "count", "elems", "endswith", "find", "format", "index"),
            *("isalnum", "isalpha", "isdigit", "islower", "isspace", "istitle", "isupper"),
            *("join", "lower", "lstrip", "partition", "removeprefix", "removesuffix"),
            *("replace", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split"),
            *("splitlines", "startswith", "strip", "title", "upper"),
        }
    ),
    "list": frozenset({"append", "clear", "extend", "index", "insert", "pop", "remove"}),
    "dict": frozenset(
        {"clear", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"}
    ),
}


def uses(text: str, names: Iterable[str]) -> dict[str, Use]:
    """How `text` uses each of `names`: calls, attribute chains, and how the results of calls
    kept under a name are used in turn (strings and comments left out)."""
    chains = list(_chains(text))
    return _uses(chains, set(names), _RESULT_DEPTH)


# How many calls deep the results of calls are followed (`f(...)` kept, its result called...).
_RESULT_DEPTH = 3


def _uses(chains: list[_Chain], wanted: set[str], depth: int) -> dict[str, Use]:
    found = {name: Use() for name in wanted}
    for chain in chains:
        if chain.name not in wanted:
            continue
        use = found[chain.name]
        for attribute in chain.attributes:
            use = use.attributes.setdefault(attribute, Use())
        use.called = use.called or chain.called
        use.typed = use.typed or chain.typed
        if chain.key is not None:
            use.keys.add(chain.key)
        elif not (chain.called or chain.typed):
            use.valued = True
            if chain.hint:
                use.hints.add(chain.hint)
        if chain.kept_as and depth > 0 and chain.called and use.result is None:
            use.result_name = chain.kept_as
            use.result = _uses(chains, {chain.kept_as}, depth - 1)[chain.kept_as]
            if _looks_like_a_rule(chain.kept_as, chain.attributes):
                use.result.called = True  # exported for other files to call: a rule's factory
        elif chain.kept_as and depth > 0 and not chain.called:
            use.absorb(_uses(chains, {chain.kept_as}, depth - 1)[chain.kept_as])
    return found


# Names of rules and test rules, and the attributes that make them (`analysistest.make`).
_RULE_NAME = re.compile(r"(_test|_rule|_binary|_library|_macro|_toolchain|_suite)$")
_RULE_FACTORIES = frozenset({"make", "rule", "macro", "anon_rule", "define"})


def _looks_like_a_rule(name: str, attributes: tuple[str, ...]) -> bool:
    return bool(_RULE_NAME.search(name)) or bool(attributes and attributes[-1] in _RULE_FACTORIES)


def definitions(
    found: Mapping[str, Use], alias: str, inert: frozenset[str] | set[str] = frozenset()
) -> str:
    """Starlark statements, `;`-separated on one line, binding each name to its stand-in
    (those in `inert` making no targets); `alias` is the local name of STANDIN_FUNCTION."""
    return "; ".join(
        f"{name} = "
        + use.expression(name, inert=name in inert).replace(STANDIN_FUNCTION + "(", alias + "(")
        for name, use in sorted(found.items())
    )


# Globals of the ecosystems that are no rules but make targets all the same.
_MAKE_TARGETS = frozenset({"testing.analysis_test"})


@dataclass(frozen=True)
class _Chain:
    """One use of a name: `name.a.b`, then a call, a string index, or in a type annotation."""

    name: str
    attributes: tuple[str, ...]
    called: bool
    typed: bool
    key: str | None
    kept_as: str = ""
    """For a call that is a whole assignment's value (`x = name.a(...)`): `x`."""
    hint: str = ""
    """What the tokens around a plain value say it is (`string`, `list`, `dict`)."""


def _chains(text: str) -> Iterable[_Chain]:
    """Every use of a name in code (not in strings or comments): by Python's tokenizer, else
    (text it cannot read) by a regex over the text."""
    try:
        tokens = [
            t
            for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
        ]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        for match in _CHAIN.finditer(text):
            parts = tuple(part.strip() for part in match.group(2).split(".")[1:])
            yield _Chain(match.group(1), parts, bool(match.group(3)), False, None)
        return
    typed = _annotation_tokens(tokens)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        previous = tokens[index - 1].string if index else ""
        if token.type != tokenize.NAME or previous == ".":
            index += 1
            continue
        start = index
        chain: list[str] = []
        index += 1
        while (
            index + 1 < len(tokens)
            and tokens[index].string == "."
            and tokens[index + 1].type == tokenize.NAME
        ):
            chain.append(tokens[index + 1].string)
            index += 2
        following = tokens[index].string if index < len(tokens) else ""
        key = None
        if following == "[" and index + 2 < len(tokens) and tokens[index + 2].string == "]":
            literal = tokens[index + 1]
            if literal.type == tokenize.STRING and literal.string[:1] in "\"'":
                key = literal.string[1:-1]
        # `x = chain(...)` or `x = chain`, a whole statement: what the file does with `x` is
        # what it does with the call's result, or with the value itself.
        kept_as = ""
        assigned = (
            start >= 2
            and tokens[start - 1].string == "="
            and tokens[start - 2].type == tokenize.NAME
            and (start == 2 or tokens[start - 3].type == tokenize.NEWLINE)
        )
        if assigned and (following == "(" or following in ("", "\n")):
            kept_as = tokens[start - 2].string
        hint = _hint(tokens, start, index)
        yield _Chain(
            token.string, tuple(chain), following == "(", start in typed, key, kept_as, hint
        )


def _hint(tokens: list[tokenize.TokenInfo], start: int, end: int) -> str:
    """What the tokens around a plain value (`tokens[start:end]`) say it is: an operand of `|`
    a dict; of `+` or `%` beside a string literal, or an item of a list literal, a string; of
    `+` beside a list literal a list."""
    before = tokens[start - 1].string if start else ""
    after = tokens[end].string if end < len(tokens) else ""
    if "|" in (before, after):
        return "dict"
    if before in ("[", ",") and after in (",", "]") and _enclosing(tokens, start) == "[":
        return "string"
    others = []  # the operands on the other side of a `+` or `%`
    if before in ("+", "%") and start >= 2:
        others.append(tokens[start - 2])
    if after in ("+", "%") and end + 1 < len(tokens):
        others.append(tokens[end + 1])
    if not others:
        return ""
    if "%" in (before, after) or any(t.type == tokenize.STRING for t in others):
        return "string"
    return "list"


def _enclosing(tokens: list[tokenize.TokenInfo], index: int) -> str:
    """The bracket the token at `index` sits in (`[` of a list literal, `(` of a call's
    arguments), or "" at the top level."""
    depth = 0
    for token in reversed(tokens[:index]):
        if token.type != tokenize.OP:
            continue
        if token.string in ")]}":
            depth += 1
        elif token.string in "([{":
            if depth == 0:
                return token.string
            depth -= 1
    return ""


def _annotation_tokens(tokens: list[tokenize.TokenInfo]) -> set[int]:
    """The indexes of the tokens of type annotations: a parameter's (`name: T` in a `def`'s
    parentheses, up to its `,`, `=` or `)`) and a return type (`-> T`, up to the `:`)."""
    typed: set[int] = set()
    depth = 0
    in_signature = False
    signature_depth = 0
    annotating = False
    for index, token in enumerate(tokens):
        text = token.string
        if token.type == tokenize.NAME and text == "def":
            in_signature, signature_depth = True, depth
        if text in "([{" and token.type == tokenize.OP:
            depth += 1
        elif text in ")]}" and token.type == tokenize.OP:
            depth -= 1
            if annotating and depth == signature_depth:
                annotating = False
        if not in_signature:
            continue
        if annotating:
            if depth == signature_depth + 1 and text in (",", "="):
                annotating = False
            elif depth == signature_depth and text == ":":
                annotating = in_signature = False
            else:
                typed.add(index)
        elif (text, depth) in ((":", signature_depth + 1), ("->", signature_depth)):
            annotating = True
        elif text == ":" and depth == signature_depth:
            in_signature = False
    return typed
