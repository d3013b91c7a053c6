"""What a repository already holds (its simple index), and which files are a project's.

Twine 6.2+ refuses `--skip-existing` for anything but PyPI, so graphpub reads the index itself
(over HTTP through index_client; a directory index through directory): a file already there
with the same sha256 is skipped, the same name with other content is a conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from graphpub.publish.index_client import IndexClient, IndexReadError
from graphpub.rules.requirements import normalize_project

PEP691_JSON = "application/vnd.pypi.simple.v1+json"


def belongs_to(filename: str, project: str) -> bool:
    """Whether `filename` is a wheel or an sdist of `project`. A wheel's name says its project
    unambiguously. An sdist's is NAME-VERSION.tar.gz (or .zip), where a legacy NAME may hold
    `-` (`my-pkg-1.0.tar.gz`): the split is ambiguous, so the known name decides it (normalised,
    followed by `-` and a valid version)."""
    wanted = normalize_project(project)
    if filename.endswith(".whl"):
        try:
            return parse_wheel_filename(filename)[0] == wanted
        except InvalidWheelFilename:
            return False
    stem = filename.removesuffix(".tar.gz").removesuffix(".zip")
    if stem == filename:
        return False
    for position, character in enumerate(stem):
        if character == "-" and normalize_project(stem[:position]) == wanted:
            try:
                Version(stem[position + 1 :])
            except InvalidVersion:
                continue
            return True
    return False


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state_on_index(there: Mapping[str, str | None], path: Path) -> str | None:
    """Whether an index already holds `path`: `skipped` with the same sha256 (or none given),
    `conflict` when another file of that name is there, None when the name is not there."""
    if path.name not in there:
        return None
    return "skipped" if there[path.name] in (None, sha256_of(path)) else "conflict"


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
