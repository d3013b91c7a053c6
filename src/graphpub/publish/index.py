"""What a repository already holds (its simple index), and directory repositories.

Twine 6.2+ refuses `--skip-existing` for anything but PyPI, so graphpub reads the index itself:
a file already there with the same sha256 is skipped, the same name with other content is a
conflict. A `file://` repository is a directory graphpub keeps as a PEP 503 static index, which
`pip install --index-url file://...` reads; writes are atomic and under a lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import html
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from graphpub.publish.index_client import IndexClient, IndexReadError
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


def existing_files(client: IndexClient, simple_url: str, project: str) -> dict[str, str | None]:
    """File name to sha256 (None when the index gives none) of `project` on an index."""
    page = client.get(
        simple_url.rstrip("/") + f"/{normalize_project(project)}/",
        accept=f"{PEP691_JSON}, text/html;q=0.1",
    )
    if page is None:
        return {}
    if PEP691_JSON in page.content_type:
        return _json_files(page.body)
    return _html_files(page.body)


def _malformed(kind: str, problem: str) -> IndexReadError:
    return IndexReadError(f"the index answered malformed {kind}: {problem}", transient=False)


def _json_files(body: bytes) -> dict[str, str | None]:
    """The files of a PEP 691 project page, its shape checked: any other is malformed."""
    try:
        document = json.loads(body.decode("utf-8"))  # as PEP 691 says: UTF-8, no other
    except (ValueError, RecursionError) as e:  # not JSON, not UTF-8, or nested too deep
        raise _malformed("JSON", str(e) or type(e).__name__) from None
    if not isinstance(document, dict) or not isinstance(document.get("files"), list):
        raise _malformed("JSON", "not an object with a list of files")
    files: dict[str, str | None] = {}
    for number, entry in enumerate(document["files"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
            raise _malformed("JSON", f"files[{number}] is not an object with a string filename")
        hashes = entry.get("hashes", {})
        if not isinstance(hashes, dict) or not isinstance(hashes.get("sha256", ""), str):
            raise _malformed("JSON", f"files[{number}].hashes is not an object of strings")
        digest = hashes.get("sha256")
        files[entry["filename"]] = digest.lower() if digest else None
    return files


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def _html_files(body: bytes) -> dict[str, str | None]:
    """The files a PEP 503 project page links to, by the last segment of each link's path;
    the sha256 from its `#sha256=` fragment."""
    parser = _Links()
    try:
        parser.feed(body.decode("utf-8", errors="replace"))
        parser.close()
    except AssertionError as e:  # how html.parser reports markup it cannot read (`<![x[`)
        raise _malformed("HTML", str(e)) from None
    files: dict[str, str | None] = {}
    for link in parser.links:
        target, _, fragment = link.partition("#")
        name = unquote(target.partition("?")[0].rstrip("/").rpartition("/")[2])
        if name:
            files[name] = fragment.partition("sha256=")[2].lower() or None
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
