"""Addresses of targets, and parsing of every form users write in `deps` / `dependencies`.

An `Address` names one target. An `AddressInput` is what a user wrote, parsed but not yet
resolved: only the graph knows whether `a/b/f.py` is a file (owned by some target) or whether
a bare directory names its default target.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from sys import intern

from graphpub.buildgraph.cells import Cells
from graphpub.errors import AddressError, SourceLocation, describe_character, unsafe_character


class AddressStyle(Enum):
    """How addresses are printed: `dir:name` as Pants does, or `//dir:name` as Bazel and Buck2."""

    PANTS = "pants"
    BAZEL = "bazel"


@dataclass(frozen=True, slots=True, eq=False, init=False)
class Address:
    """One target: its package directory (root-relative, `""` for the root) and name.

    `file` is set for a target generated for one file (Pants `dir/f.py:gen`), relative to
    `directory`; `generated` for other generated targets (`dir:gen#name`); `parameters` for one
    parametrization (`dir:name@k=v`); `repository` for a target in an external repository
    (`@pypi//requests:pkg`).
    """

    directory: str
    name: str
    file: str = ""
    generated: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    repository: str = ""
    # Addresses are hashed in every graph operation: the hash is computed once. (The tuple it
    # is computed from is not kept: at 150,000 targets it would cost 13 MB.)
    _hash: int = field(init=False, repr=False)

    def __init__(
        self,
        directory: str,
        name: str,
        file: str = "",
        generated: str = "",
        parameters: tuple[tuple[str, str], ...] = (),
        repository: str = "",
    ) -> None:
        # (Written out rather than generated: every target of the repository makes one, and
        # the generated one's __post_init__ builds `key` again for the hash.)
        # (Through the slots' descriptors: a third faster than object.__setattr__.)
        _set_directory(self, directory)
        _set_name(self, name)
        _set_file(self, file)
        _set_generated(self, generated)
        _set_parameters(self, parameters)
        _set_repository(self, repository)
        _set_hash(self, hash((repository, directory, name, file, generated, parameters)))

    @property
    def key(self) -> tuple[str, str, str, str, str, tuple[tuple[str, str], ...]]:
        """What addresses sort by: `sorted(addresses, key=attrgetter("key"))`."""
        return (
            self.repository,
            self.directory,
            self.name,
            self.file,
            self.generated,
            self.parameters,
        )

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Address):
            return NotImplemented
        return (
            self._hash == other._hash
            and self.name == other.name
            and self.directory == other.directory
            and self.file == other.file
            and self.generated == other.generated
            and self.parameters == other.parameters
            and self.repository == other.repository
        )

    def __lt__(self, other: Address) -> bool:
        return self.key < other.key

    def __reduce__(self) -> tuple[object, ...]:
        fields = (self.directory, self.name, self.file, self.generated, self.parameters)
        return (Address, (*fields, self.repository))

    @property
    def is_external(self) -> bool:
        return bool(self.repository)

    @property
    def is_default_name(self) -> bool:
        return self.name == default_target_name(self.directory)

    @property
    def base(self) -> Address:
        """The address of the target that generated this one (itself if not generated)."""
        if not (self.file or self.generated or self.parameters):
            return self
        return Address(self.directory, self.name, repository=self.repository)

    @property
    def residence(self) -> str:
        """The directory the target lives in, for `dir:` specs: its file's, for a target
        generated for one file (as in Pants), else its build file's."""
        return posixpath.dirname(self.file_path) if self.file else self.directory

    @property
    def file_path(self) -> str:
        """The root-relative path of the file this target was generated for, or `""`."""
        return posixpath.join(self.directory, self.file) if self.file else ""

    def render(self, style: AddressStyle = AddressStyle.PANTS) -> str:
        # (Written for speed: `list` renders every address of the repository.)
        directory, name, file = self.directory, self.name, self.file
        suffix = ""
        if self.generated:
            suffix += f"#{self.generated}"
        if self.parameters:
            suffix += "@" + ",".join(f"{k}={v}" for k, v in self.parameters)
        if style is AddressStyle.BAZEL or self.repository:
            prefix = f"@{self.repository}//" if self.repository else "//"
            if file:
                return f"{prefix}{self.file_path}:{name}{suffix}"
            return f"{prefix}{directory}:{name}{suffix}"
        # (default_target_name, inline)
        is_default_name = name == directory[directory.rfind("/") + 1 :] if directory else not name
        if file:
            path = f"{directory}/{file}" if directory else file
            return f"{path}{suffix}" if is_default_name else f"{path}:{name}{suffix}"
        if not directory:
            return f"//:{name}{suffix}"
        if is_default_name:
            return directory + suffix
        return f"{directory}:{name}{suffix}"

    def __str__(self) -> str:
        return self.render()


_set_directory = Address.__dict__["directory"].__set__
_set_name = Address.__dict__["name"].__set__
_set_file = Address.__dict__["file"].__set__
_set_generated = Address.__dict__["generated"].__set__
_set_parameters = Address.__dict__["parameters"].__set__
_set_repository = Address.__dict__["repository"].__set__
_set_hash = Address.__dict__["_hash"].__set__


def default_target_name(directory: str) -> str:
    """The name of an unnamed target, and of `//a/b`: the last directory component."""
    return posixpath.basename(directory) if directory else ""


class Exclusion(Enum):
    """Pants' `!` (drop this dependency) and `!!` (drop it transitively) prefixes."""

    NONE = ""
    DIRECT = "!"
    TRANSITIVE = "!!"


@dataclass(frozen=True, slots=True)
class AddressInput:
    """A dependency or label as written, made root-relative but not yet resolved.

    `target` is None when none was written (`//a/b`, `a/b/f.py`): the graph decides whether the
    path is a file or a directory whose default target is meant.
    """

    path: str
    target: str | None
    generated: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    repository: str = ""
    exclusion: Exclusion = Exclusion.NONE
    written: str = ""
    file: str = ""
    """Set only by graphpub itself: a target generator's edge to the target of one file."""
    # The address this input names when its path is a package directory: made when first
    # asked for (resolving edges), not for every dependency of every target listed.
    _address: Address | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def directory_address(self) -> Address:
        """The address this input names when its path is a package directory."""
        address = self._address
        if address is None:
            name = self.target if self.target is not None else default_target_name(self.path)
            address = Address(
                self.path, name, self.file, self.generated, self.parameters, self.repository
            )
            object.__setattr__(self, "_address", address)
        return address

    def __reduce__(self) -> tuple[object, ...]:
        fields = (self.path, self.target, self.generated, self.parameters, self.repository)
        return (AddressInput, (*fields, self.exclusion, self.written, self.file))

    @staticmethod
    def of(address: Address) -> AddressInput:
        """The input naming exactly `address` (for edges graphpub adds itself)."""
        return AddressInput(
            address.directory,
            address.name,
            address.generated,
            address.parameters,
            address.repository,
            written=str(address),
            file=address.file,
        )


_RESERVED_NAME_CHARS = frozenset("#@!")
_CELL_PREFIX = re.compile(r"^(?P<cell>[A-Za-z_][A-Za-z0-9_-]*)//")
# `//a/b:c`, `a/b:c` and `:c` with plain path segments: most addresses in real build files,
# parsed without the general machinery below.
_SIMPLE = re.compile(r"(?P<anchor>//)?(?P<path>[\w+-]+(?:/[\w+-]+)*)?:(?P<name>[\w+.-]+)")


def parse_address(
    text: str,
    *,
    relative_to: str = "",
    bare_name_is_target: bool = True,
    cells: Mapping[str, str] | None = None,
    location: SourceLocation | None = None,
) -> AddressInput:
    """Parse any address form users write.

    `relative_to` is the package of the build file that wrote it. `bare_name_is_target` says how
    to read a word with no `/` or `:`: Bazel and Buck2 read `"util"` as `:util`, Pants as the
    directory `util` relative to the build root. `cells` maps Buck2 cell names to their
    root-relative directories, for `cell//pkg:name`; as `Cells`, they also say what `//` means
    (the file's own cell) and which cells are external repositories.
    """
    # (`type` first: an ABC's isinstance check costs a microsecond, for every dependency.)
    home = cells.home if type(cells) is Cells or isinstance(cells, Cells) else ""
    if not home and not text.startswith(":"):
        rooted = parse_rooted(text)  # `//a/b:c` or `a/b:c`: the same wherever it is written
        if rooted is not None:
            return rooted
    simple = _SIMPLE.fullmatch(text)
    if simple is not None:
        path = simple.group("path")
        if path is None:
            path = home if simple.group("anchor") else relative_to
        elif home and simple.group("anchor"):
            path = f"{home}/{path}"
        # (Names repeat, `lib` in every package: one string each.)
        return AddressInput(path=path, target=intern(simple.group("name")), written=text)

    written = text
    exclusion = Exclusion.NONE
    if text.startswith("!!"):
        exclusion, text = Exclusion.TRANSITIVE, text[2:]
    elif text.startswith("!"):
        exclusion, text = Exclusion.DIRECT, text[1:]

    def fail(why: str, hint: str | None = None) -> AddressError:
        return AddressError(
            f"invalid address {written!r}: {why}", written=written, location=location, hint=hint
        )

    if not text:
        raise fail("it is empty")
    unsafe = unsafe_character(text)
    if unsafe is not None:
        raise fail(f"it holds {describe_character(unsafe)}", hint="addresses are plain text")

    repository = ""
    anchored = False
    cell = _CELL_PREFIX.match(text)
    if cell and not text.startswith("@"):
        name = cell.group("cell")
        cell_path = (cells or {}).get(name)
        if cell_path is not None:
            text = "//" + posixpath.join(cell_path, text[cell.end() :]).lstrip("/")
            home = ""  # the cell's path is from the build root
        elif isinstance(cells, Cells) and cells.is_external(name):
            # A cell not on disk: an external repository, by the cell's own name.
            text = f"@{cells.external.get(name, name)}//{text[cell.end() :]}"
        else:
            raise fail(
                f"unknown cell {name!r}",
                hint="cells are declared in the [cells] section of .buckconfig",
            )
    if text.startswith("@"):
        repo_part, sep, rest = text.lstrip("@").partition("//")
        if not sep:
            # `@repo` alone is Bazel shorthand for `@repo//:repo`.
            repo_part, rest = text.lstrip("@"), f":{text.lstrip('@')}"
        repository, text, anchored = repo_part, rest, True
    elif text.startswith("//"):
        text, anchored = text[2:], True
        if home:  # `//` is the root of the file's own cell
            text = home + (f"/{text}" if text and not text.startswith(":") else text)

    path, colon, target = text.partition(":")
    generated = ""
    parameters: tuple[tuple[str, str], ...] = ()
    tail_source = target if colon else path
    tail_source, hash_sep, generated = tail_source.partition("#")
    tail_source, at_sep, params_text = tail_source.partition("@")
    if not at_sep:
        # Pants writes parameters last: `dir#generated@k=v` (what `list` prints).
        generated, at_sep, params_text = generated.partition("@")
    if at_sep:
        try:
            parameters = parse_parameters(params_text)
        except ValueError as e:
            raise fail(str(e)) from None
    if colon:
        target = tail_source
    else:
        path = tail_source
    if hash_sep and not generated:
        raise fail("nothing follows '#'")

    if colon and not target:
        raise fail(
            "the target name after ':' is empty",
            hint="to select every target in a directory, use it as a command-line spec ('dir:')",
        )
    if colon and any(ch in _RESERVED_NAME_CHARS for ch in target):
        raise fail(f"target names may not contain {''.join(sorted(_RESERVED_NAME_CHARS))!r}")
    if path.startswith("/"):
        raise fail("absolute paths are not addresses", hint="write '//dir:name' for the build root")

    if not anchored and (path.startswith("./") or path.startswith("../") or path in (".", "..")):
        # Pants: `./f.py`, `../lib:x` are relative to the BUILD file's directory.
        path = posixpath.join(relative_to, path)
    elif not anchored and not colon and path and bare_name_is_target:
        # Bazel/Buck2: "util" is ":util" in the current package, and so is "tests/a_test" (a
        # target name may hold "/", as a file's does). Pants reads both as directories below
        # the build root: nothing to do.
        path, target, colon = relative_to, path, ":"
    elif not anchored and not path and (colon or generated):
        path = relative_to  # ":name", and Pants' "#generated" (a target the file's own
        # directory generates)

    path = posixpath.normpath(path) if path else ""
    if path == ".":
        path = ""
    if path == ".." or path.startswith("../"):
        raise fail("it points outside the build root")
    return AddressInput(
        path=path,
        target=target if colon else None,
        generated=generated,
        parameters=parameters,
        repository=repository,
        exclusion=exclusion,
        written=written,
    )


@functools.cache
def parse_rooted(text: str) -> AddressInput | None:
    """`//a/b:c` or `a/b:c` parsed, None for any other form. The same labels are written again
    and again (`//common:util` in a thousand build files): each is parsed once, and its
    (immutable) AddressInput shared. (Keyed by the string alone: a dict entry per label.)"""
    simple = _SIMPLE.fullmatch(text)
    if simple is None or simple.group("path") is None:
        return None
    # Its directory is a package's (one string for both), its name one of a few.
    path, name = intern(simple.group("path")), intern(simple.group("name"))
    return AddressInput(path=path, target=name, written=text)


def label_path(label: str, package: str) -> str:
    """The root-relative path of the file a label (`//pkg:file.txt`, `:file.txt`) or a
    package-relative path (`file.txt`, `docs/file.txt`) names, from the package `package`. The
    path is not checked: reading it goes through `confined.read_inside_root`."""
    if label.startswith(("@//", "@@//")):
        label = label.lstrip("@")
    if label.startswith("//"):
        directory, colon, name = label[2:].partition(":")
        return posixpath.join(directory, name) if colon else directory
    if label.startswith(":"):
        return posixpath.join(package, label[1:])
    return posixpath.join(package, label)


def generator_of_file(path: str, target: str) -> tuple[str | None, str]:
    """Pants' `dir/sub/f.py:../gen`: the generator `gen` is one directory above the file.
    Returns (the generator's directory, or None when the name has no `../`, and its name)."""
    if not target.startswith("../"):
        return None, target
    directory = posixpath.dirname(path)
    while target.startswith("../"):
        directory, target = posixpath.dirname(directory), target[3:]
    return directory, target


def parse_parameters(text: str) -> tuple[tuple[str, str], ...]:
    """`k=v,k2=v2` as sorted pairs; raises ValueError for anything else."""
    pairs = []
    for item in text.split(","):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ValueError(f"parameter {item!r} is not of the form key=value")
        pairs.append((key.strip(), value.strip()))
    return tuple(sorted(pairs))
