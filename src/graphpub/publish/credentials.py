"""Who graphpub and twine are for a repository, and where that was looked up.

The username and password are found as twine finds them, in its order: the environment
(`TWINE_USERNAME_<NAME>` before `TWINE_USERNAME` for an `@name` repository: graphpub hands
the one it finds to twine as the plain name), then for an `@name` repository the `.pypirc`
section (or its `[server-login]`), for a URL its userinfo, then the keyring, whose service is
the repository URL. graphpub reads the repository's index with what it finds, and when the
repository refuses them (401, 403) or nothing is found, the failure says every place looked
at, so the user knows which one to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from graphpub.publish.repositories import Repository, without_userinfo
from graphpub.secrets import Secrets

# Twine's default username for PyPI and TestPyPI, which take API tokens only.
TOKEN_USERNAME = "__token__"
_PYPI_UPLOADS = ("https://upload.pypi.org/", "https://test.pypi.org/")


@dataclass(frozen=True)
class Lookup:
    """Where one credential was looked for, in order, and which place gave it."""

    what: str  # username, password
    searched: tuple[str, ...]
    found_in: str | None
    value: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """`password: from TWINE_PASSWORD_BAD`, or where it was looked for in vain."""
        if self.found_in is None:
            return f"{self.what}: not found in {_either(self.searched)}"
        before = self.searched[: self.searched.index(self.found_in)]
        passed = f" (not set in {', '.join(before)})" if before else ""
        return f"{self.what}: from {self.found_in}{passed}"


@dataclass(frozen=True)
class Credentials:
    """The repository's credentials as twine will find them, and how they were found."""

    repository: Repository
    username: Lookup
    password: Lookup
    keyring: str
    """Whether the keyring was asked, and what it said."""
    variables: tuple[str, ...]
    """The TWINE_* variables that gave values, by name (for --dry-run)."""

    @property
    def pair(self) -> tuple[str | None, str | None]:
        return self.username.value, self.password.value

    def explanation(self) -> list[str]:
        return [self.username.describe(), self.password.describe(), f"keyring: {self.keyring}"]

    def hint(self, *, refused: bool) -> str:
        """What to do: fix the credentials where they came from, or give the missing one (a
        refusal of credentials one of which was not found is that one missing)."""
        if refused and self.username.found_in and self.password.found_in:
            places = [p for p in (self.username.found_in, self.password.found_in) if p]
            where = " and ".join(dict.fromkeys(places)) or "where they come from"
            return (
                f"{self.repository.name} refused these credentials: correct them in {where}, "
                "or unset them and pass --interactive to type them"
            )
        missing = self.username if self.username.found_in is None else self.password
        variables = [p for p in missing.searched if p.startswith("TWINE_")]
        ways = [f"set {' or '.join(variables)}"]
        if self.repository.alias:
            where = str(self.repository.config_file or "a .pypirc (--pypirc PATH)")
            ways.append(f"add `{missing.what}` to [{self.repository.alias}] in {where}")
        ways += ["store it in the keyring", "pass --interactive to type it"]
        return f"give the {missing.what}: {', '.join(ways[:-1])}, or {ways[-1]}"


_KEYRING = "the keyring"


def _either(places: tuple[str, ...] | list[str]) -> str:
    if len(places) <= 1:
        return "".join(places)
    return ", ".join(places[:-1]) + " or " + places[-1]


def look_up(repository: Repository, environ: Mapping[str, str], secrets: Secrets) -> Credentials:
    """The credentials for `repository` from `environ` (graphpub's own environment), its
    .pypirc section, its URL and the keyring; a keyring's password is registered in
    `secrets`. A directory repository has none."""
    if repository.is_directory:
        nothing = Lookup("username", (), None), Lookup("password", (), None)
        return Credentials(repository, *nothing, keyring="not asked", variables=())
    variables: list[str] = []
    username = _first("username", _environment("TWINE_USERNAME", repository, environ, variables))
    if username.value is None and repository.url.startswith(_PYPI_UPLOADS):
        default = "twine's default for PyPI"
        username = Lookup("username", (*username.searched, default), default, TOKEN_USERNAME)
    password = _first("password", _environment("TWINE_PASSWORD", repository, environ, variables))
    if username.value is None:
        username = _extend(username, _configured("username", repository))
    if password.value is None:
        password = _extend(password, _configured("password", repository))
    if password.value is not None:
        keyring = f"not asked (the password comes from {password.found_in})"
    else:
        username, password, keyring = _from_keyring(repository, username, password, secrets)
    return Credentials(repository, username, password, keyring, tuple(variables))


def _environment(
    base: str, repository: Repository, environ: Mapping[str, str], found: list[str]
) -> list[tuple[str, str | None]]:
    """The variables twine's value may come from, in order (an empty one counts as unset, as
    for `twine_environment`); the one that gives it is added to `found`."""
    names = [f"{base}_{repository.suffix}", base] if repository.suffix else [base]
    places = [(name, environ.get(name) or None) for name in names]
    found.extend(next(([name] for name, value in places if value), []))
    return places


def _first(what: str, places: list[tuple[str, str | None]]) -> Lookup:
    searched: list[str] = []
    for place, value in places:
        searched.append(place)
        if value:
            return Lookup(what, tuple(searched), place, value)
    return Lookup(what, tuple(searched), None)


def _extend(lookup: Lookup, places: list[tuple[str, str | None]]) -> Lookup:
    found = _first(lookup.what, places)
    return Lookup(lookup.what, (*lookup.searched, *found.searched), found.found_in, found.value)


def _configured(what: str, repository: Repository) -> list[tuple[str, str | None]]:
    """The .pypirc's value for an `@name` repository, the URL's userinfo for another."""
    if repository.alias:
        value = repository.username if what == "username" else repository.password
        where = f"`{what}` in [{repository.alias}] of {repository.config_file or 'no .pypirc'}"
        return [(where, value or None)]
    parts = urlsplit(repository.url)
    value = parts.username if what == "username" else parts.password
    return [(f"the repository URL's {what}", unquote(value) if value else None)]


def _from_keyring(
    repository: Repository, username: Lookup, password: Lookup, secrets: Secrets
) -> tuple[Lookup, Lookup, str]:
    """Twine's keyring lookup, whose service is the repository URL: the password for the
    username, or with no username the credential stored for the service. Any keyring failure
    means no credentials, as it does for twine. Also what the keyring said, in words."""
    service = repository.url
    shown = without_userinfo(service)
    found_user, found_password = username.value, None
    try:
        import keyring
    except ImportError:  # twine does not require keyring on every platform
        said = "not asked: the keyring module is not installed"
    else:
        try:
            backend = keyring.get_keyring()
            name = getattr(backend, "name", type(backend).__name__)
            if found_user is None:
                credential = keyring.get_credential(service, None)
                if credential is not None:
                    found_user, found_password = credential.username, credential.password
                answer = "gave a username and password" if found_password else "had none"
            else:
                found_password = keyring.get_password(service, found_user)
                answer = "gave the password" if found_password else "had no password"
            said = f"asked ({name}) for {shown}: {answer}"
        except Exception as e:  # a broken keyring backend must not stop the publish
            said = f"asked for {shown}: it failed ({type(e).__name__})"
    secrets.add(found_password, f"the keyring's password for {shown}")
    if username.value is None:
        username = Lookup(
            "username", (*username.searched, _KEYRING), _KEYRING if found_user else None, found_user
        )
    password = Lookup(
        "password",
        (*password.searched, _KEYRING),
        _KEYRING if found_password else None,
        found_password,
    )
    return username, password, said
