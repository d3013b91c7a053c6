"""Trusted publishing: PyPI and TestPyPI accept an upload token minted from the CI system's
OpenID Connect identity, with no stored password (twine >= 6.1 does the exchange itself).

twine tries it for PyPI and TestPyPI when it found no password; on GitHub Actions it asks for
the identity with `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (set in
a job with `permissions: id-token: write`). Those two variables are a credential: graphpub
gives them to the twine process of a PyPI or TestPyPI repository that has no password, and to
no other process.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

OIDC_VARIABLES = ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
# Where twine attempts trusted publishing (twine.auth.Resolver.is_pypi): the upload URLs.
TRUSTED_PUBLISHING_HOSTS = ("upload.pypi.org", "test.pypi.org")


def supports_trusted_publishing(url: str) -> bool:
    """Whether `url` is PyPI's or TestPyPI's upload URL."""
    parts = urlsplit(url)
    return parts.scheme == "https" and parts.hostname in TRUSTED_PUBLISHING_HOSTS


def uses_trusted_publishing(url: str, password_found: bool, environ: Mapping[str, str]) -> bool:
    """Whether twine will publish to `url` with the CI system's identity: PyPI or TestPyPI,
    no password found (environment or .pypirc), and the OIDC variables present."""
    return (
        supports_trusted_publishing(url)
        and not password_found
        and all(environ.get(name) for name in OIDC_VARIABLES)
    )


def without_oidc(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` without the OIDC request variables."""
    return {k: v for k, v in environ.items() if k not in OIDC_VARIABLES}
