"""The secret registry: every credential graphpub knows, and the filter all output passes.

One `Secrets` per command. Values are registered as soon as graphpub comes to know them —
`TWINE_*` values and variables matching `secret_env` from the environment at start-up, `.pypirc`
passwords when the file is read (before it is parsed, so that an error quoting a line is
covered), keyring answers, userinfo of any repository URL — and every output path redacts
through it: stdout and stderr (tracebacks included), `--output` files, twine's output, errors.
Each value remembers where it came from, so a message can name the credential, never show it.

`found_in` is the other use: before anything is uploaded, a distribution's metadata and file
names must hold no registered value (`publish.exfiltration`).
"""

from __future__ import annotations

import fnmatch
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

# Shorter values are not redacted: a password of two characters would garble every line.
MIN_REDACTED = 3
# Values of variables matched only by a `secret_env` pattern must be at least this long: a
# SECRETS_ENABLED=true is no secret, and `true` must stay readable.
MIN_PATTERN_VALUE = 8
# A value shorter than this is not looked for in published metadata: it would be found in
# ordinary words (and is no credential worth the name).
MIN_CHECKED = 6
DEFAULT_SECRET_ENV = ("*TOKEN*", "*PASSWORD*", "*SECRET*")
MASK = "***"
_USERINFO = re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+@")


class Secrets:
    """Secret values and where each came from (`TWINE_PASSWORD`, `.pypirc [corp] password`).
    Safe to use from several threads: repositories register keyring answers concurrently."""

    def __init__(self) -> None:
        self._sources: dict[str, str] = {}
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str | None, source: str) -> None:
        """Register `value`, a credential from `source`; also its URL-decoded form."""
        if not value:
            return
        with self._lock:
            for form in {value, unquote(value)}:
                if len(form) >= MIN_REDACTED and form not in self._sources:
                    self._sources[form] = source
                    self._pattern = None

    def add_url(self, url: str | None, source: str) -> None:
        """Register the password of a URL's userinfo (`https://user:PW@host/`); a value that
        is no URL at all is registered whole."""
        if not url:
            return
        try:
            password = urlsplit(url).password
        except ValueError:
            self.add(url, source)
            return
        self.add(password, f"the password in {source}")

    def add_environment(
        self, environ: Mapping[str, str], patterns: Iterable[str] = DEFAULT_SECRET_ENV
    ) -> None:
        """The credentials an environment holds: every TWINE_* password and URL, and the
        values of variables whose names match `patterns` (case-insensitive globs)."""
        for name, value in environ.items():
            if name.startswith("TWINE_PASSWORD"):
                self.add(value, name)
            elif name.startswith("TWINE_REPOSITORY_URL"):
                self.add_url(value, name)
            elif len(value) >= MIN_PATTERN_VALUE and is_secret_name(name, patterns):
                self.add(value, name)

    def redact(self, text: str) -> str:
        """`text` with every registered value, and any URL userinfo, replaced by `***`."""
        pattern = self._compiled()
        if pattern is not None:
            text = pattern.sub(MASK, text)
        return _USERINFO.sub(MASK + "@", text)

    def found_in(self, text: str) -> str | None:
        """The source of a registered value (at least MIN_CHECKED long) that `text` holds."""
        with self._lock:
            items = list(self._sources.items())
        for value, source in sorted(items, key=lambda item: -len(item[0])):
            if len(value) >= MIN_CHECKED and value in text:
                return source
        return None

    def __len__(self) -> int:
        return len(self._sources)

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._sources:
                # Longest first, so a secret holding another is masked whole.
                values = sorted(self._sources, key=len, reverse=True)
                self._pattern = re.compile("|".join(map(re.escape, values)))
            return self._pattern


def is_secret_name(name: str, patterns: Iterable[str] = DEFAULT_SECRET_ENV) -> bool:
    """Whether an environment variable holds a credential: TWINE_*, or a name matching one
    of `patterns` (globs, case-insensitive)."""
    upper = name.upper()
    return upper.startswith("TWINE_") or any(
        fnmatch.fnmatchcase(upper, pattern.upper()) for pattern in patterns
    )
