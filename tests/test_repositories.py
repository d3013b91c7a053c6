"""Repositories read from a .pypirc exactly as twine reads them, and the credentials twine sees."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from graphpub.errors import SourceLocation
from graphpub.publish.repositories import (
    Repository,
    RepositoryError,
    resolve,
    sends_credentials_in_clear,
    twine_environment,
    with_environment_url,
)
from graphpub.secrets import Secrets

HERE = SourceLocation("BUILD", 3)


def parsed(
    text: str, path: Path = Path("/repo/.pypirc")
) -> tuple[Path, configparser.RawConfigParser]:
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return path, parser


def test_a_section_twine_would_not_find_is_an_error() -> None:
    pypirc = parsed("[distutils]\nindex-servers = pypi\n\n[corp]\nrepository: https://corp/\n")
    with pytest.raises(RepositoryError) as caught:
        resolve("@corp", pypirc, [Path("/repo/.pypirc")], HERE, Secrets())
    assert "is not listed in its [distutils] index-servers" in str(caught.value)
    assert caught.value.hint == "add `corp` to `index-servers` under [distutils] in /repo/.pypirc"


def test_pypi_is_twines_default_unless_listed() -> None:
    # Twine ignores a [pypi] section that index-servers does not list: so does graphpub.
    unlisted = parsed("[distutils]\nindex-servers = corp\n\n[pypi]\nrepository: https://mirror/\n")
    assert resolve("@pypi", unlisted, [], HERE, Secrets()).url == "https://upload.pypi.org/legacy/"
    listed = parsed("[distutils]\nindex-servers = pypi\n\n[pypi]\nrepository: https://mirror/\n")
    assert resolve("@pypi", listed, [], HERE, Secrets()).url == "https://mirror/"
    # With no [distutils] section, twine lists pypi and testpypi.
    assert (
        resolve("@testpypi", parsed(""), [], HERE, Secrets()).url == "https://test.pypi.org/legacy/"
    )


def test_server_login_gives_default_credentials() -> None:
    pypirc = parsed(
        "[server-login]\nusername: everyone\npassword: pw-default\n\n"
        "[distutils]\nindex-servers = corp\n\n[corp]\nrepository: https://corp/\n"
    )
    repository = resolve("@corp", pypirc, [], HERE, Secrets())
    assert (repository.username, repository.password) == ("everyone", "pw-default")


def test_suffixed_variables_win_and_urls_see_only_plain_ones() -> None:
    environ = {
        "TWINE_USERNAME": "plain-user",
        "TWINE_PASSWORD": "plain-pw",
        "TWINE_PASSWORD_PRIVATE_REPO": "suffixed-pw",
        "TWINE_REPOSITORY_URL_PRIVATE_REPO": "https://elsewhere/",
        "TWINE_PASSWORD_OTHER": "not-for-us",
        "HOME": "/home/me",
    }
    named = Repository("@private-repo", "private-repo", "https://private/")
    environment, found = twine_environment(named, environ)
    assert {k: v for k, v in environment.items() if k.startswith("TWINE_")} == {
        "TWINE_USERNAME": "plain-user",
        "TWINE_PASSWORD": "suffixed-pw",
        "TWINE_REPOSITORY_URL": "https://elsewhere/",
    }
    assert found == [
        "TWINE_USERNAME",
        "TWINE_PASSWORD_PRIVATE_REPO",
        "TWINE_REPOSITORY_URL_PRIVATE_REPO",
    ]
    assert environment["HOME"] == "/home/me"
    # Twine uploads @name where TWINE_REPOSITORY_URL says: graphpub reads that index too.
    assert with_environment_url(named, environment).url == "https://elsewhere/"
    url = Repository("https://pypi.example/", None, "https://pypi.example/")
    environment, _ = twine_environment(url, environ)
    assert environment["TWINE_PASSWORD"] == "plain-pw"
    assert with_environment_url(url, environment).url == "https://pypi.example/"


@pytest.mark.parametrize(
    ("url", "insecure"),
    [
        ("http://pypi.corp.example/", True),
        ("http://10.0.0.5:8080/simple/", True),
        ("http://127.0.0.1:8080/", False),
        ("http://localhost/", False),
        ("http://[::1]:3141/", False),
        ("https://pypi.corp.example/", False),
        ("file:///srv/index", False),
        # Loopback by the parsed address, or exactly `localhost`: nothing DNS could point
        # elsewhere, nothing only some parsers read as an address.
        ("http://127.1.2.3/", False),  # all of 127.0.0.0/8
        ("http://LOCALHOST:8080/", False),  # host names are case-insensitive
        ("http://[::ffff:127.0.0.1]/", False),  # IPv4-mapped 127.0.0.1
        ("http://127.attacker.example/", True),
        ("http://localhost.attacker.example/", True),
        ("http://localhost./", True),  # fully qualified: asked of DNS
        ("http://0x7f.0.0.1/", True),  # inet_aton reads it as 127.0.0.1; ipaddress does not
        ("http://127.1/", True),
        ("http://2130706433/", True),
        ("http://[::ffff:10.0.0.1]/", True),
        ("http://10.0.0.1/", True),
    ],
)
def test_plain_http_only_to_this_machine(url: str, insecure: bool) -> None:
    assert sends_credentials_in_clear(url) is insecure


def test_a_repository_url_that_is_no_url_is_secret_as_a_whole() -> None:
    secrets = Secrets()
    secrets.add_url("https://user:pw-in-url@corp.example/", "the repository")
    broken = "http://[::1-Zq-pw"
    secrets.add_environment({"TWINE_REPOSITORY_URL_CORP": broken})
    shown = secrets.redact(f"https://user:pw-in-url@corp.example/ {broken} pw-in-url")
    assert shown == "https://***@corp.example/ *** ***"
