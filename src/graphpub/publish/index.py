"""What a repository already holds (its simple index), and directory repositories.

Twine 6.2+ refuses `--skip-existing` for anything but PyPI, so graphpub reads the index itself:
a file already there with the same sha256 is skipped, the same name with other content is a
conflict. A `file://` repository is a directory graphpub keeps as a PEP 503 static index, which
`pip install --index-url file://...` reads; writes are atomic and under a lock.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import html
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

from graphpub.rules.requirements import normalize_project

PEP691_JSON = "application/vnd.pypi.simple.v1+json"


def project_of(filename: str) -> str:
    """The project a wheel or sdist file belongs to (normalised)."""
    stem = filename.removesuffix(".tar.gz").removesuffix(".zip").removesuffix(".whl")
    return normalize_project(stem.split("-")[0])


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state_on_index(there: Mapping[str, str | None], path: Path) -> str | None:
    """Whether an index already holds `path`: `skipped` with the same sha256 (or none given),
    `conflict` when another file of that name is there, None when the name is not there."""
    if path.name not in there:
        return None
    return "skipped" if there[path.name] in (None, sha256_of(path)) else "conflict"


def directory_files(project: Path) -> dict[str, str]:
    """The files of one project of a directory index, name to sha256 (pages and the
    temporary files of a write in progress left out)."""
    if not project.is_dir():
        return {}
    return {
        f.name: sha256_of(f)
        for f in sorted(project.iterdir())
        if f.is_file() and not f.name.startswith(".") and f.name != "index.html"
    }


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def existing_files(
    simple_url: str, project: str, username: str | None, password: str | None, timeout: float
) -> dict[str, str | None]:
    """File name to sha256 (None when the index gives none) of `project` on an index."""
    url = simple_url.rstrip("/") + f"/{normalize_project(project)}/"
    request = urllib.request.Request(url, headers={"Accept": f"{PEP691_JSON}, text/html;q=0.1"})
    if username and password:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return {}
        raise
    if PEP691_JSON in content_type:
        document = json.loads(body)
        return {f["filename"]: f.get("hashes", {}).get("sha256") for f in document.get("files", [])}
    parser = _Links()
    parser.feed(body.decode("utf-8", errors="replace"))
    files: dict[str, str | None] = {}
    for link in parser.links:
        target, _, fragment = link.partition("#")
        name = target.rstrip("/").rsplit("/", 1)[-1]
        digest = fragment.partition("sha256=")[2] or None
        files[html.unescape(name)] = digest
    return files


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".graphpub.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent runs take turns; the lock ends with them
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def publish_to_directory(directory: Path, files: Mapping[Path, str]) -> dict[Path, str]:
    """Copy `files` (path to sha256) into a PEP 503 directory index; the status of each:
    `published`, `skipped` (there with the same content) or `conflict`."""
    statuses: dict[Path, str] = {}
    with _locked(directory):
        for path, digest in files.items():
            project = directory / project_of(path.name)
            project.mkdir(exist_ok=True)
            target = project / path.name
            if target.exists():
                statuses[path] = "skipped" if sha256_of(target) == digest else "conflict"
                continue
            _write_atomically(target, path.read_bytes())
            statuses[path] = "published"
        _write_pages(directory)
    return statuses


def _write_pages(directory: Path) -> None:
    projects = sorted(p for p in directory.iterdir() if p.is_dir())
    for project in projects:
        links = "".join(
            f'<a href="{html.escape(name)}#sha256={digest}">{html.escape(name)}</a><br/>\n'
            for name, digest in directory_files(project).items()
        )
        page = f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n"
        _write_atomically(project / "index.html", page.encode())
    root = "".join(
        f'<a href="{html.escape(p.name)}/">{html.escape(p.name)}</a><br/>\n' for p in projects
    )
    _write_atomically(
        directory / "index.html", f"<!DOCTYPE html>\n<html><body>\n{root}</body></html>\n".encode()
    )
