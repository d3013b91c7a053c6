"""What a repository already holds: the files its simple index (PEP 691 JSON, else PEP 503
HTML) lists for a project, with their links and sha256.

Twine 6.2+ refuses `--skip-existing` for anything but PyPI, so graphpub reads the index itself
(over HTTP through index_client; a directory index through directory) and decides what is
there already (publish.existing).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin

from graphpub.publish.index_client import IndexClient, IndexReadError
from graphpub.rules.requirements import normalize_project

PEP691_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class IndexFile:
    """A file an index lists: where to download it, and its sha256 if the index gives one."""

    name: str
    url: str | None
    """Absolute; None for a directory index (graphpub reads those itself)."""
    sha256: str | None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def existing_files(client: IndexClient, simple_url: str, project: str) -> dict[str, IndexFile]:
    """The files of `project` on an index, by name."""
    page = client.get(
        simple_url.rstrip("/") + f"/{normalize_project(project)}/",
        accept=f"{PEP691_JSON}, text/html;q=0.1",
    )
    if page is None:
        return {}
    if PEP691_JSON in page.content_type:
        return _json_files(page.body, page.url)
    return _html_files(page.body, page.url)


def _malformed(kind: str, problem: str) -> IndexReadError:
    return IndexReadError(f"the index answered malformed {kind}: {problem}", transient=False)


def _json_files(body: bytes, page_url: str) -> dict[str, IndexFile]:
    """The files of a PEP 691 project page, its shape checked: any other is malformed."""
    try:
        document = json.loads(body.decode("utf-8"))  # as PEP 691 says: UTF-8, no other
    except (ValueError, RecursionError) as e:  # not JSON, not UTF-8, or nested too deep
        raise _malformed("JSON", str(e) or type(e).__name__) from None
    if not isinstance(document, dict) or not isinstance(document.get("files"), list):
        raise _malformed("JSON", "not an object with a list of files")
    files: dict[str, IndexFile] = {}
    for number, entry in enumerate(document["files"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
            raise _malformed("JSON", f"files[{number}] is not an object with a string filename")
        hashes = entry.get("hashes", {})
        if not isinstance(hashes, dict) or not isinstance(hashes.get("sha256", ""), str):
            raise _malformed("JSON", f"files[{number}].hashes is not an object of strings")
        link = entry.get("url")
        if link is not None and not isinstance(link, str):
            raise _malformed("JSON", f"files[{number}].url is not a string")
        digest = hashes.get("sha256")
        name = entry["filename"]
        files[name] = IndexFile(name, _link(page_url, link), digest.lower() if digest else None)
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


def _html_files(body: bytes, page_url: str) -> dict[str, IndexFile]:
    """The files a PEP 503 project page links to, by the last segment of each link's path;
    the sha256 from its `#sha256=` fragment."""
    parser = _Links()
    try:
        parser.feed(body.decode("utf-8", errors="replace"))
        parser.close()
    except AssertionError as e:  # how html.parser reports markup it cannot read (`<![x[`)
        raise _malformed("HTML", str(e)) from None
    files: dict[str, IndexFile] = {}
    for link in parser.links:
        target, _, fragment = link.partition("#")
        name = unquote(target.partition("?")[0].rstrip("/").rpartition("/")[2])
        if name:
            digest = fragment.partition("sha256=")[2].lower() or None
            files[name] = IndexFile(name, _link(page_url, target), digest)
    return files


def _link(page_url: str, link: str | None) -> str | None:
    """`link` made absolute against the page's URL, without its fragment; None when it is
    no URL at all (its file is still listed: its name is what says it is there)."""
    if not link:
        return None
    try:
        return urljoin(page_url, link).partition("#")[0]
    except ValueError:  # `http://[::1/x`
        return None
