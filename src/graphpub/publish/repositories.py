"""Repositories, as the Pants publish docs define them, and the credentials twine may see.

`"@name"` is a section of a `.pypirc` (the build root's, else `~/.pypirc`); anything else is a
repository URL. Twine reads TWINE_USERNAME, TWINE_PASSWORD and TWINE_REPOSITORY_URL; for `@name`
the same names suffixed `_NAME` (upper-cased, `-` as `_`) win. URL repositories see only the
plain names, and each twine process sees only its own repository's values.
"""

from __future__ import annotations

import configparser
import io
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from graphpub.errors import GraphpubError, SourceLocation, describe_character, unsafe_character
from graphpub.publish.trusted import OIDC_VARIABLES, uses_trusted_publishing, without_oidc
from graphpub.secrets import Secrets

CREDENTIAL_VARIABLES = ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY_URL")
TRUSTED_PUBLISHING = "trusted publishing (GitHub Actions OIDC: ACTIONS_ID_TOKEN_REQUEST_URL)"
"""What `twine_environment` reports found when the OIDC variables go to twine."""
# Twine knows these without a .pypirc section.
KNOWN_REPOSITORIES = {
    "pypi": "https://upload.pypi.org/legacy/",
    "testpypi": "https://test.pypi.org/legacy/",
}


class RepositoryError(GraphpubError):
    """A repository that cannot be used."""


@dataclass(frozen=True)
class Repository:
    """Where distributions are uploaded."""

    name: str
    """As the BUILD file or config says it: `@private-repo` or a URL."""
    alias: str | None
    url: str
    config_file: Path | None = None
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def suffix(self) -> str | None:
        """The suffix of its credential variables: `PRIVATE_REPO` for `@private-repo`."""
        return self.alias.upper().replace("-", "_") if self.alias else None

    @property
    def is_directory(self) -> bool:
        return self.url.startswith("file://")

    @property
    def directory(self) -> Path:
        return Path(unquote(urlsplit(self.url).path))  # file:///my%20index is "/my index"


def pypirc_candidates(root: Path, override: Path | None) -> list[Path]:
    if override is not None:
        return [override]
    return [root / ".pypirc", Path.home() / ".pypirc"]


def read_pypirc(
    candidates: Sequence[Path], secrets: Secrets
) -> tuple[Path | None, configparser.RawConfigParser]:
    """The first of `candidates` that exists, parsed as twine parses it. Its passwords and
    URLs are registered in `secrets` before it is parsed, so no error can show them."""
    parser = configparser.RawConfigParser()
    for path in candidates:
        if path.is_file():
            try:
                data = path.read_bytes()
            except OSError as e:
                raise RepositoryError(
                    f"cannot read {path}: {e.strerror}", location=SourceLocation(str(path))
                ) from None
            _register_secrets(data, path, secrets)
            try:
                text = data.decode("utf-8")  # as twine reads it
            except UnicodeDecodeError as e:
                line = data.count(b"\n", 0, e.start) + 1
                column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
                raise RepositoryError(
                    f"{path} is not UTF-8 text (byte 0x{data[e.start]:02x})",
                    location=SourceLocation(str(path), line, column),
                    hint="re-save the .pypirc as UTF-8",
                ) from None
            try:
                # Universal newlines, as when the file is read as text.
                parser.read_file(io.StringIO(text, newline=None), source=str(path))
            except configparser.Error as e:
                raise RepositoryError(
                    f"cannot read {path}: {str(e).splitlines()[0]}",
                    location=SourceLocation(str(path)),
                ) from None
            return path, parser
    return None, parser


_PYPIRC_OPTION = re.compile(r"^\s*(?P<key>password|repository)\s*[:=]\s*(?P<value>.*?)\s*$")


def _register_secrets(data: bytes, path: Path, secrets: Secrets) -> None:
    """Every `password` and the userinfo of every `repository` of a .pypirc, read line by
    line as the user wrote them (also where the file is not valid UTF-8 or INI)."""
    section = ""
    for line in data.decode("utf-8", errors="replace").splitlines():
        header = re.match(r"^\s*\[(.*)\]", line)
        if header:
            section = header.group(1)
            continue
        option = _PYPIRC_OPTION.match(line)
        if option is None:
            continue
        source = f"{path} [{section}] {option.group('key')}"
        if option.group("key") == "password":
            secrets.add(option.group("value"), source)
        else:
            secrets.add_url(option.group("value"), source)


def resolve(
    name: str,
    pypirc: tuple[Path | None, configparser.RawConfigParser],
    searched: Sequence[Path],
    used_at: SourceLocation,
    secrets: Secrets,
) -> Repository:
    """The repository a `repositories` entry names; an unknown `@name` is an error.

    A .pypirc is read as twine reads it, so graphpub reads the index twine uploads to: only
    sections listed in `[distutils] index-servers` (default `pypi testpypi`) count, `pypi`
    always exists, and `[server-login]` gives default credentials."""
    unsafe = unsafe_character(name)
    if unsafe is not None:
        secrets.add_url(name, f"the repository URL at {used_at}")
        raise RepositoryError(
            f"repository {name!r} holds {describe_character(unsafe)}",
            location=used_at,
            hint="a repository is '@name' (a .pypirc section) or an upload URL, in plain text",
        )
    if not name.startswith("@"):
        secrets.add_url(name, f"the repository URL at {used_at}")
        return Repository(name=name, alias=None, url=_checked_url(name, name, used_at, None))
    alias = name[1:]
    path, parser = pypirc
    servers = parser.get("distutils", "index-servers", fallback="pypi testpypi").split()
    listed = alias in servers and (parser.has_section(alias) or alias in KNOWN_REPOSITORIES)
    if not listed and alias != "pypi":
        if parser.has_section(alias):
            raise RepositoryError(
                f"repository {name!r}: section [{alias}] of {path} is not listed in its "
                "[distutils] index-servers, so twine would not find it",
                location=used_at,
                hint=f"add `{alias}` to `index-servers` under [distutils] in {path}",
            )
        raise RepositoryError(
            f"repository {name!r} is not a section of any .pypirc "
            f"(searched: {', '.join(str(p) for p in searched)})",
            location=used_at,
            hint=f"add a [{alias}] section with `repository: URL` (and list it in "
            "[distutils] index-servers), or pass --pypirc PATH",
        )

    def option(key: str, fallback: str | None) -> str | None:
        if listed and parser.has_option(alias, key):
            return parser.get(alias, key)
        return fallback

    url = option("repository", KNOWN_REPOSITORIES.get(alias))
    if not url:
        raise RepositoryError(
            f"section [{alias}] of {path} has no `repository` URL",
            location=used_at,
            hint=f"add `repository: https://...` to [{alias}] in {path}",
        )
    if url.startswith("file:") and not url.startswith("file://") and path:
        # `file:dist/index`: a directory relative to the .pypirc, so a repository can
        # carry one that works wherever it is cloned.
        _checked_url(url, name, used_at, path)  # no NUL for the file system
        url = (path.parent / url[len("file:") :]).resolve().as_uri()
    return Repository(
        name=name,
        alias=alias,
        url=_checked_url(url, name, used_at, path),
        config_file=path,
        username=option("username", parser.get("server-login", "username", fallback=None)),
        password=option("password", parser.get("server-login", "password", fallback=None)),
    )


_URL_SCHEMES = ("https", "http", "file")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


def _checked_url(url: str, name: str, used_at: SourceLocation, pypirc: Path | None) -> str:
    """`url` if twine (http, https) or graphpub (a file:// directory) can use it; otherwise
    a RepositoryError at the repository's string, not a failure halfway through publishing.
    With `pypirc`, `file:relative/path` (which may hold spaces) is accepted too."""
    relative = pypirc is not None and url.startswith("file:") and not url.startswith("file://")
    problem = None
    unsafe = (_CONTROL if relative else _CONTROL_OR_SPACE).search(url)
    if unsafe:
        problem = f"it contains {unsafe.group()!r}" + ("" if relative else " (a space is %20)")
    elif not relative:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - a port that is not a number from 0 to 65535 raises
        except ValueError as e:
            problem = str(e)
        else:
            if parts.scheme not in _URL_SCHEMES:
                problem = "it is not an https://, http:// or file:// URL"
            elif parts.scheme != "file" and not parts.hostname:
                problem = "it names no host"
            elif parts.scheme == "file" and (
                not url.startswith("file://")
                or parts.netloc not in ("", "localhost")
                or not parts.path.strip("/")
            ):
                problem = "a file:// URL names a local directory: file:///absolute/path"
    if problem is None:
        return url
    where = f" (from {pypirc})" if pypirc is not None else ""
    raise RepositoryError(
        f"repository {name!r}: invalid URL {url!r}{where}: {problem}",
        location=used_at,
        hint="a repository is '@name' (a .pypirc section) or an upload URL such as "
        "https://upload.pypi.org/legacy/; a directory index is file:///path, or "
        "file:path/relative/to/the/.pypirc in a .pypirc",
    )


def twine_environment(
    repository: Repository, environ: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The environment of the twine process for `repository`, and the names of the credential
    variables that gave it values (for --dry-run: names only, never values)."""
    environment = without_oidc({k: v for k, v in environ.items() if not k.startswith("TWINE_")})
    found: list[str] = []
    for variable in CREDENTIAL_VARIABLES:
        # An empty variable counts as unset: CI systems set a secret that does not exist so.
        if repository.suffix and environ.get(f"{variable}_{repository.suffix}"):
            source = f"{variable}_{repository.suffix}"
        elif environ.get(variable):
            source = variable
        else:
            continue
        environment[variable] = environ[source]
        found.append(source)
    # Only the process of a PyPI or TestPyPI repository with no password gets the CI's identity.
    url = environment.get("TWINE_REPOSITORY_URL") if repository.alias else None
    password = "TWINE_PASSWORD" in environment or repository.password is not None
    if uses_trusted_publishing(url or repository.url, password, environ):
        environment.update((name, environ[name]) for name in OIDC_VARIABLES)
        found.append(TRUSTED_PUBLISHING)
    return environment, found


def with_environment_url(repository: Repository, environment: Mapping[str, str]) -> Repository:
    """`repository` as twine will see it: for `@name`, TWINE_REPOSITORY_URL (suffixed or plain)
    replaces the .pypirc's URL; a URL repository is given to twine as `--repository-url`,
    which wins over the variable."""
    url = environment.get("TWINE_REPOSITORY_URL")
    if repository.alias and url and url != repository.url:
        return replace(repository, url=url)
    return repository


def is_loopback(host: str) -> bool:
    """Whether `host` (a URL's hostname: lower-cased, IPv6 without brackets) is this machine.

    Only what cannot be made to point elsewhere counts: an IP literal in 127.0.0.0/8 or ::1
    (also IPv4-mapped, ::ffff:127.0.0.1, which the kernel delivers to 127.0.0.1), or exactly
    `localhost`, which resolvers answer from /etc/hosts. Any other name is resolved by DNS,
    which whoever controls it can point anywhere: `127.attacker.example`,
    `localhost.attacker.example`, even `localhost.` (a fully qualified name, sent to DNS).
    Forms only some parsers read as an address (`0x7f.0.0.1`, `127.1`, `2130706433`) are not
    loopback either: `127.0.0.1` says the same unambiguously."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def sends_credentials_in_clear(url: str) -> bool:
    """Whether uploading to `url` would send credentials unencrypted off this machine."""
    parts = urlsplit(url)
    return parts.scheme == "http" and not is_loopback(parts.hostname or "")


def without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def simple_index_url(url: str) -> str:
    """Where a repository's PEP 503 / 691 index is, from its upload URL (PyPI, TestPyPI,
    devpi `user/index/`, pypiserver `/`)."""
    parts = urlsplit(without_userinfo(url))
    if parts.netloc == "upload.pypi.org":
        return "https://pypi.org/simple/"
    if parts.netloc == "test.pypi.org":
        return "https://test.pypi.org/simple/"
    path = parts.path.rstrip("/")
    segments = [s for s in path.split("/") if s]
    if len(segments) == 2 and not path.endswith("legacy"):
        return urlunsplit(parts._replace(path=f"{path}/+simple/"))  # devpi
    if path.endswith("legacy"):
        path = path[: -len("legacy")].rstrip("/")
    return urlunsplit(parts._replace(path=f"{path}/simple/"))
