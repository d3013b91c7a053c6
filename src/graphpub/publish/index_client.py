"""Reading a repository's simple index over HTTP: one requests session per repository, so the
reads of its projects share kept-alive connections.

Credentials never leave the index's origin (scheme, host and port, as browsers define it).
graphpub follows redirects itself, and only within that origin (`/simple/Foo/` to
`/simple/foo/`, at most MAX_REDIRECTS of them). A redirect to another origin — pypiserver's
answer for a project it does not hold is a 303 to https://pypi.org/simple/NAME/ — means the
index does not hold the project itself: it is not followed at all, so neither the password
nor the question reaches the other server, and another index's files are never taken for
this one's. An https index redirecting to http on the same host is another origin too.

Each read is bounded by `IndexLimits`: a total deadline (`deadline.Deadline`, not requests'
per-operation timeout) and a size, both checked while reading, so a trickled or endless
answer costs index_timeout seconds and max_index_bytes of memory at most.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import io
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import IO, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3

from graphpub.publish.deadline import Deadline, Watchdog, WatchedAdapter

MAX_REDIRECTS = 5
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CHUNK = 64 * 1024


class IndexReadError(Exception):
    """An index that could not be read, in words for the user; `transient` when trying again
    later may succeed (the network, a 5xx, the deadline)."""

    def __init__(self, reason: str, *, transient: bool, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.status = status
        """The HTTP status the server answered with, if that was the failure."""


@dataclass(frozen=True)
class IndexLimits:
    """What one read may cost: seconds in all (index_timeout) and bytes (max_index_bytes)."""

    timeout: float
    max_bytes: int


@dataclass(frozen=True)
class Page:
    """An index page as read: where it was found, what it says it is, and its bytes."""

    url: str
    content_type: str
    body: bytes


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of `url`, the port made explicit; ValueError for a bad port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, parts.hostname or "", parts.port or _DEFAULT_PORTS.get(scheme)


class _OriginAuth(requests.auth.AuthBase):
    """Basic credentials for requests to one origin only.

    Set as the session's auth even without credentials, it also keeps requests from looking
    in ~/.netrc: requests does that only for a session without auth, and would give whatever
    host the file names for the index's host. Proxies and the CA bundle still come from the
    environment (trust_env stays on): users behind a proxy need it, and twine, which uploads
    to the same repository, reads them the same way."""

    def __init__(self, index_origin: tuple[str, str, int | None] | None, token: str | None) -> None:
        self.origin = index_origin
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.token and request.url and origin(request.url) == self.origin:
            request.headers["Authorization"] = self.token
        return request


class _Session(requests.Session):
    """A session that never resolves redirects itself (IndexClient does). requests would,
    even with allow_redirects=False, read a redirect's whole body, without limit, to prepare
    `Response.next`.

    What the environment says (proxies, `NO_PROXY`, the CA bundle) is looked up once per
    origin: requests scans every environment variable again for each request, which costs
    more than reading a page from a nearby index."""

    def __init__(self) -> None:
        super().__init__()
        self._environment_settings: dict[tuple[str, ...], dict[str, Any]] = {}

    def resolve_redirects(
        self, *args: Any, **kwargs: Any
    ) -> Generator[requests.Response, None, None]:
        yield from ()

    def merge_environment_settings(
        self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        if proxies:  # given per request: as requests does it
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, repr(stream), repr(verify), repr(cert))
        found = self._environment_settings.get(key)
        if found is None:
            found = super().merge_environment_settings(url, {}, stream, verify, cert)
            self._environment_settings[key] = found
        return {**found, "proxies": dict(found["proxies"])}


class IndexClient:
    """Reads pages of the index at `index_url` with `credentials`, within `limits`."""

    def __init__(
        self,
        index_url: str,
        credentials: tuple[str | None, str | None],
        limits: IndexLimits,
        ca_certs: str | None = None,
    ) -> None:
        username, password = credentials
        token = None
        if username and password:
            pair = base64.b64encode(f"{username}:{password}".encode()).decode()
            token = f"Basic {pair}"
        try:
            self.origin: tuple[str, str, int | None] | None = origin(index_url)
        except ValueError:  # a port that is no number: requests refuses it at the first read
            self.origin = None
        self.limits = limits
        self._session = _Session()
        self._session.auth = _OriginAuth(self.origin, token)
        # The CA bundle twine is given (--cert), else requests' (REQUESTS_CA_BUNDLE, certifi).
        # Given with each request: a session's verify loses to REQUESTS_CA_BUNDLE.
        self._ca_certs = ca_certs
        adapter = WatchedAdapter()
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self.keeps_alive = True
        """Whether the index kept the connection of its last page alive (HTTP/1.1 without
        `Connection: close`)."""
        self._lock = threading.Lock()
        self._running: set[Deadline] = set()
        self._aborted = False
        self._watchdog = Watchdog()

    def __enter__(self) -> IndexClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()
        self._watchdog.close()

    def abort(self) -> None:
        """End every read under way at once (their connections shut down), and refuse any
        other: what was being read is no longer wanted."""
        with self._lock:
            self._aborted = True
            running = list(self._running)
        for deadline in running:
            deadline.expire()

    def get(self, url: str, accept: str) -> Page | None:
        """The page at `url`; None when the index does not hold it: 404 or 410, or a redirect
        to another origin. IndexReadError when it cannot be read."""
        url = _without_userinfo(url)
        with self._reading() as deadline:
            page = self._follow(url, accept, deadline)
        return page

    def download(self, url: str, into: IO[bytes]) -> None:
        """Write the file at `url` (a link of the index's pages) into `into`, within the same
        limits as a page. Redirects are followed to any origin (a file may be served from
        another host, as PyPI's are), the credentials sent only to the index's own, and never
        from https to http. IndexReadError when it cannot be read whole."""
        url = _without_userinfo(url)
        with self._reading() as deadline:
            self._fetch(url, into, deadline)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Deadline]:
        """A read within a new deadline of index_timeout: its errors as IndexReadError, "too
        slow" once the deadline has passed (what was read may then be cut short, even
        without an error)."""
        with Deadline(self.limits.timeout, self._watchdog) as deadline:
            with self._lock:
                if self._aborted:
                    raise IndexReadError("the read was abandoned", transient=False)
                self._running.add(deadline)
            try:
                with self._errors(deadline):
                    yield deadline
            finally:
                with self._lock:
                    self._running.discard(deadline)

    @contextlib.contextmanager
    def _errors(self, deadline: Deadline) -> Iterator[None]:
        try:
            yield
        except IndexReadError:
            if deadline.expired:
                raise self._too_slow() from None
            raise
        except (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            http.client.HTTPException,
            OSError,
        ) as e:
            if deadline.expired:
                raise self._too_slow() from None
            raise _read_error(e) from None
        if not deadline.finish():
            raise self._too_slow()

    def _fetch(self, url: str, into: IO[bytes], deadline: Deadline) -> None:
        for _hop in range(MAX_REDIRECTS + 1):
            remaining = deadline.remaining()
            with self._session.get(
                url,
                allow_redirects=False,
                stream=True,
                timeout=(remaining, remaining),
                verify=self._ca_certs,
            ) as response:
                location = self._session.get_redirect_target(response)
                if location is None:
                    if response.status_code != 200:
                        status = response.status_code
                        raise IndexReadError(
                            f"{_status(status)} from {url}", transient=status >= 500, status=status
                        )
                    self._copy_body(response, into)
                    return
            target = _without_userinfo(urljoin(url, location)).partition("#")[0]
            if urlsplit(url).scheme == "https" and urlsplit(target).scheme != "https":
                raise IndexReadError(f"{url} redirects to {target}, not https", transient=False)
            url = target
        raise IndexReadError(f"more than {MAX_REDIRECTS} redirects from {url}", transient=False)

    def _copy_body(self, response: requests.Response, into: IO[bytes]) -> None:
        limit = self.limits.max_bytes
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large()
        written = 0
        for chunk in response.iter_content(_CHUNK):  # decompressed: what it takes to hold
            written += len(chunk)
            if written > limit:
                raise self._too_large()
            into.write(chunk)

    def _too_slow(self) -> IndexReadError:
        return IndexReadError(
            f"no complete answer within {self.limits.timeout:g} s (index_timeout)", transient=True
        )

    def _follow(self, url: str, accept: str, deadline: Deadline) -> Page | None:
        for _hop in range(MAX_REDIRECTS + 1):
            remaining = deadline.remaining()
            with self._session.get(
                url,
                headers={"Accept": accept},
                allow_redirects=False,
                stream=True,
                timeout=(remaining, remaining),
                verify=self._ca_certs,
            ) as response:
                location = self._session.get_redirect_target(response)
                if location is None:
                    return self._page(url, response)
            target = _without_userinfo(urljoin(url, location)).partition("#")[0]
            try:
                elsewhere = origin(target) != self.origin
            except ValueError:
                raise IndexReadError(
                    f"{url} redirects to an invalid URL: {target}", transient=False
                ) from None
            if elsewhere:
                return None  # not this index's own: see the module docstring
            url = target
        raise IndexReadError(f"more than {MAX_REDIRECTS} redirects from {url}", transient=False)

    def _page(self, url: str, response: requests.Response) -> Page | None:
        self.keeps_alive = _keeps_alive(response)
        status = response.status_code
        if status in (404, 410):
            return None
        if not 200 <= status < 300:
            raise IndexReadError(
                f"{_status(status)} from {url}", transient=status >= 500, status=status
            )
        return Page(url, response.headers.get("Content-Type", ""), self._body(response))

    def _body(self, response: requests.Response) -> bytes:
        body = io.BytesIO()
        self._copy_body(response, body)
        return body.getvalue()

    def _too_large(self) -> IndexReadError:
        return IndexReadError(
            f"the answer is larger than max_index_bytes ({self.limits.max_bytes:,} bytes)",
            transient=False,
        )


def _keeps_alive(response: requests.Response) -> bool:
    """Whether the server keeps the connection open after `response` (RFC 9112 9.3)."""
    tokens = {t.strip().lower() for t in response.headers.get("Connection", "").split(",")}
    if "close" in tokens:
        return False
    return getattr(response.raw, "version", 11) >= 11 or "keep-alive" in tokens


def _status(status: int) -> str:
    """`403 Forbidden`: the standard phrase, since the server's own could say anything."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP status {status}"


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _read_error(error: BaseException) -> IndexReadError:
    """A failed read in words a user reads at a glance, instead of urllib3's chain of reprs."""
    causes = list(_causes(error))

    def caused_by(*kinds: type[BaseException]) -> bool:
        return any(isinstance(c, kinds) for c in causes)

    if caused_by(requests.exceptions.ContentDecodingError):
        return IndexReadError("the answer does not decompress", transient=False)
    if caused_by(requests.exceptions.SSLError):
        return IndexReadError(f"TLS: {_innermost(causes)}", transient=False)
    if caused_by(ConnectionRefusedError):
        return IndexReadError("connection refused", transient=True)
    if caused_by(ConnectionError, http.client.IncompleteRead):  # reset, aborted, cut short
        return IndexReadError("connection reset during the transfer", transient=True)
    transient = caused_by(requests.ConnectionError, requests.Timeout)  # DNS, proxy, ...
    return IndexReadError(_innermost(causes), transient=transient)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and the errors it wraps: chained, or carried as arguments or `reason` (as
    requests and urllib3 carry them)."""
    pending, seen = [error], set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending.extend(e for e in [*wrapped, *current.args] if isinstance(e, BaseException))


def _innermost(causes: list[BaseException]) -> str:
    last = causes[-1]
    return str(last) or type(last).__name__
