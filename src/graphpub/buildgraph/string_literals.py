"""Python string literals as written: the several adjacent ones of one string, and the
replacement fields of f-strings.

`ast` gives a string's whole span but, before Python 3.12, not where the expressions of an
f-string are; `python_compat` needs both to rewrite f-strings in place. The text is known to
be valid Python (`ast.parse` accepted it), so the scanner trusts its shape.
"""

from __future__ import annotations

from dataclasses import dataclass

_QUOTES = ('"""', "'''", '"', "'")
_OPENERS = "([{"
_CLOSERS = ")]}"


@dataclass(frozen=True)
class Field:
    """`{expression!conversion:spec}` of an f-string; offsets into the text."""

    start: int  # the `{`
    end: int  # after the `}`
    expression_start: int
    expression_end: int
    conversion: str  # "", "r", "s" or "a"
    has_spec: bool
    self_documenting: bool  # `{x=}`


@dataclass(frozen=True)
class Literal:
    """One string literal: its prefix (such as `rf`), quote, and fields if an f-string."""

    start: int
    end: int
    prefix: str
    quote: str
    fields: tuple[Field, ...]

    @property
    def is_f_string(self) -> bool:
        return "f" in self.prefix.lower()

    @property
    def plain_prefix(self) -> str:
        """The prefix without `f`: for the literal parts of a rewritten f-string."""
        return "".join(c for c in self.prefix if c not in "fF")

    @property
    def body_start(self) -> int:
        return self.start + len(self.prefix) + len(self.quote)

    @property
    def body_end(self) -> int:
        return self.end - len(self.quote)


def literals(text: str, start: int, end: int) -> list[Literal]:
    """The string literals between `start` and `end`, which hold one string (adjacent
    literals, whitespace, comments and line continuations between them)."""
    found = []
    position = start
    while position < end:
        character = text[position]
        if character in " \t\n\r\f\\":
            position += 1
        elif character == "#":
            newline = text.find("\n", position)
            position = end if newline == -1 else newline
        else:
            literal = _literal(text, position)
            found.append(literal)
            position = literal.end
    return found


def _literal(text: str, start: int) -> Literal:
    position = start
    while text[position] not in "\"'":
        position += 1
    prefix = text[start:position]
    quote = next(q for q in _QUOTES if text.startswith(q, position))
    raw = "r" in prefix.lower()
    is_f = "f" in prefix.lower()
    position += len(quote)
    fields = []
    while not text.startswith(quote, position):
        character = text[position]
        escaped = character == "\\" and not raw
        if escaped or (is_f and character in "{}" and text.startswith(character * 2, position)):
            position += 2  # an escape sequence, or `{{` / `}}`
        elif is_f and character == "{":
            field = _field(text, position)
            fields.append(field)
            position = field.end
        else:
            position += 1
    return Literal(start, position + len(quote), prefix, quote, tuple(fields))


def _field(text: str, start: int) -> Field:
    """The field whose `{` is at `start`."""
    position = start + 1
    depth = 0
    expression_end = -1
    conversion = ""
    has_spec = False
    self_documenting = False
    while True:
        character = text[position]
        if character in "\"'":
            position = _skip_string(text, position)
            continue
        if character in _OPENERS:
            depth += 1
        elif character in _CLOSERS and depth:
            depth -= 1
        elif depth == 0 and character == "}":
            break
        elif depth == 0 and character == "!" and text[position + 1] != "=":
            expression_end = position
            conversion = text[position + 1]
            position += 2
            continue
        elif depth == 0 and character == ":":
            expression_end = expression_end if expression_end != -1 else position
            has_spec = True
            position = _spec_end(text, position)
            break
        elif depth == 0 and character == "=" and _ends_self_documentation(text, position):
            expression_end = position
            self_documenting = True
        elif depth == 0 and character in "=!<>" and text[position + 1] == "=":
            position += 1  # `==`, `!=`, `<=`, `>=`: an operator, not `!r` or `{x=}`
        position += 1
    if expression_end == -1:
        expression_end = position
    return Field(
        start, position + 1, start + 1, expression_end, conversion, has_spec, self_documenting
    )


def _ends_self_documentation(text: str, position: int) -> bool:
    """Whether the `=` at `position` is `{x=}`'s: only blanks, then `}`, `!` or `:` follow."""
    following = text[position + 1 :].lstrip(" \t\n")
    return following[:1] in ("}", "!", ":") and not following.startswith("!=")


def _spec_end(text: str, position: int) -> int:
    """The closing `}` of a field whose format spec starts at `position` (it may nest fields)."""
    depth = 0
    while True:
        character = text[position]
        if character == "{":
            depth += 1
        elif character == "}":
            if depth == 0:
                return position
            depth -= 1
        position += 1


def _skip_string(text: str, position: int) -> int:
    """After the string literal starting at `position` (inside a field's expression)."""
    quote = next(q for q in _QUOTES if text.startswith(q, position))
    position += len(quote)
    while not text.startswith(quote, position):
        position += 2 if text[position] == "\\" else 1
    return position + len(quote)
