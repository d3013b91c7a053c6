"""Reading repositories' indexes: credentials stay with their origin, and every read is
bounded in time and size, whatever the server does; a hostile index fails alone.

The hostile servers are our own (tests.httpservers), on 127.0.0.1 and 127.0.0.2 — both
loopback on Linux, yet two origins, as a private index and a public one are. The well-behaved
repositories are real pypiserver processes.
"""

from __future__ import annotations

import base64
import io
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphpub.publish.index import IndexFile, existing_files
from graphpub.publish.index_client import IndexClient, IndexLimits, IndexReadError, origin
from tests.conftest import Runner
from tests.httpservers import (
    ScriptedServer,
    endless,
    gzipped,
    json_page,
    page,
    redirect,
    self_signed,
    trickle,
)
from tests.monorepos import chain_files, chain_repo
from tests.servers import IndexServer, simple_index_files, start_pypiserver

USER = "index-reader"
PASSWORD = "Zq7-index-S3CRET-6043"  # distinctive: it cannot appear anywhere by chance
NETRC_PASSWORD = "Zq7-netrc-S3CRET-1187"
TOKEN = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
LIMITS = IndexLimits(timeout=1.0, max_bytes=1 << 20)
ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
SLACK = 3.0  # seconds a deadline may be overrun by: thread switches on a busy machine


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[ScriptedServer]:
    """Another origin on 127.0.0.2: it lists, for any project, files of our names with
    other content, so reading it as if it were the index would make false conflicts."""
    with ScriptedServer("127.0.0.2") as server:
        server.route(
            "/simple/",
            page(
                b"".join(
                    f'<a href="/{n}#sha256={"0" * 64}">{n}</a>'.encode()
                    for n in sorted(chain_files(3))
                )
            ),
        )
        yield server


@pytest.fixture(scope="module")
def private_index(
    tmp_path_factory: pytest.TempPathFactory, elsewhere: ScriptedServer
) -> Iterator[IndexServer]:
    """A private pypiserver (credentials to read too) whose answer for a project it does not
    hold is pypiserver's default: a 303 to a fallback index, here `elsewhere`."""
    server = start_pypiserver(
        tmp_path_factory.mktemp("private-with-fallback"),
        USER,
        PASSWORD,
        authenticated="update,download,list",
        fallback_url=f"{elsewhere.url}simple/",
    )
    yield server
    server.stop()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TWINE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TWINE_USERNAME", USER)
    monkeypatch.setenv("TWINE_PASSWORD", PASSWORD)


def publish(run: Runner, root: Path) -> tuple[int, str, dict[str, Any]]:
    """`graphpub publish ::`: exit code, everything printed, the report; no secret in them."""
    report = root / "report.json"
    code, out, err = run(["publish", "::", "--output", str(report)], root=root)
    written = out + err + report.read_text(encoding="utf-8")
    assert PASSWORD not in written
    assert "Traceback" not in written and "internal error" not in written, written
    return code, out + err, json.loads(report.read_text(encoding="utf-8"))


def statuses(report: dict[str, Any], repository: str) -> list[str]:
    """The statuses of the files of the distributions `repository` got, sorted."""
    return sorted(
        f["status"] for u in report["uploads"] if u["repository"] == repository for f in u["files"]
    )


def hashes(files: dict[str, IndexFile]) -> dict[str, str | None]:
    """File name to sha256, of what existing_files found."""
    return {name: file.sha256 for name, file in files.items()}


# ---------------------------------------------------------------- credentials and redirects


def test_a_redirect_to_another_origin_means_not_there_and_is_not_followed(
    tmp_path: Path,
    run: Runner,
    credentials: None,
    private_index: IndexServer,
    elsewhere: ScriptedServer,
) -> None:
    with ScriptedServer("127.0.0.1") as index:
        # The index sends each project elsewhere, by a 302 and by a 303.
        index.route("/simple/chain-p0/", redirect(f"{elsewhere.url}simple/chain-p0/", 302))
        index.route("/simple/chain-p1/", redirect(f"{elsewhere.url}simple/chain-p1/", 303))
        # Uploads go to the private pypiserver; its index, graphpub is told, is `index`.
        config = f'index_urls = {{ "{private_index.url}" = "{index.url}simple/" }}\n'
        root = chain_repo(tmp_path / "repo", [private_index.url], count=2, config=config)
        before = len(elsewhere.seen)
        code, output, report = publish(run, root)
        assert code == 0, output
        assert statuses(report, private_index.url) == ["published"] * 4  # no false conflict
        assert simple_index_files(private_index) >= chain_files(2)
        reads = index.requests_to("/simple/")
        assert {seen.path for seen in reads} == {"/simple/chain-p0/", "/simple/chain-p1/"}
        assert all(seen.headers.get("Authorization") == TOKEN for seen in reads)
    # The other origin heard nothing: neither the password nor the question.
    assert elsewhere.seen[before:] == []


def test_a_new_project_on_a_pypiserver_that_falls_back_to_another_index(
    tmp_path: Path,
    run: Runner,
    credentials: None,
    private_index: IndexServer,
    elsewhere: ScriptedServer,
) -> None:
    root = chain_repo(tmp_path / "repo", [private_index.url], count=3, name="fresh")
    before = len(elsewhere.seen)
    code, output, report = publish(run, root)
    assert code == 0, output
    assert statuses(report, private_index.url) == ["published"] * 6
    # Read again, now from the index itself (with credentials): everything is there.
    code, output, report = publish(run, root)
    assert code == 0, output
    assert statuses(report, private_index.url) == ["skipped"] * 6
    assert elsewhere.seen[before:] == []
    assert "303" in private_index.log()  # the fallback answers did happen


def reader(server: ScriptedServer, limits: IndexLimits = LIMITS) -> IndexClient:
    return IndexClient(f"{server.url}simple/", (USER, PASSWORD), limits)


def test_redirects_within_the_origin_are_followed_with_credentials() -> None:
    with ScriptedServer() as server, reader(server) as client:
        server.route("/simple/Foo/", redirect("/simple/foo/", 301))
        server.route("/simple/foo/", redirect(f"{server.url}other/foo/", 308))
        server.route("/other/foo/", page(b'<a href="foo-1.0.tar.gz#sha256=AB">x</a>'))
        found = client.get(f"{server.url}simple/Foo/", ACCEPT)
        assert found is not None and found.url == f"{server.url}other/foo/"
        found = existing_files(client, f"{server.url}simple/", "Foo")
        assert hashes(found) == {"foo-1.0.tar.gz": "ab"}
        # Its link, resolved against the page it was found on (after the redirects).
        assert found["foo-1.0.tar.gz"].url == f"{server.url}other/foo/foo-1.0.tar.gz"
        assert [seen.path for seen in server.seen] == [
            *("/simple/Foo/", "/simple/foo/", "/other/foo/"),
            *("/simple/foo/", "/other/foo/"),  # existing_files asks for the normalised name
        ]
        assert [seen.headers.get("Authorization") for seen in server.seen] == [TOKEN] * 5


def test_another_scheme_or_port_is_another_origin() -> None:
    assert origin("https://h.example/simple/") == origin("https://H.example:443/x/")
    assert origin("https://h.example/simple/") != origin("http://h.example/simple/")
    with ScriptedServer() as server, ScriptedServer() as other, reader(server) as client:
        port = server.url.rstrip("/").rpartition(":")[2]
        server.route("/simple/a/", redirect(f"https://127.0.0.1:{port}/simple/a/"))
        server.route("/simple/b/", redirect(f"{other.url}simple/b/"))
        other.route("/simple/b/", page(b"should never be read"))
        assert client.get(f"{server.url}simple/a/", ACCEPT) is None
        assert client.get(f"{server.url}simple/b/", ACCEPT) is None
        assert len(server.seen) == 2
        assert other.seen == []


def test_tls_with_the_configured_ca_and_no_downgrade(tmp_path: Path) -> None:
    bundle, tls = self_signed(tmp_path)
    with ScriptedServer(tls=tls) as server, ScriptedServer() as plain:
        port = server.url.rstrip("/").rpartition(":")[2]
        server.route("/simple/a/", page(b'<a href="a-1.0.tar.gz">a</a>'))
        server.route("/simple/b/", redirect(f"http://127.0.0.1:{port}/simple/b/"))
        server.route("/simple/c/", redirect(f"{plain.url}simple/c/"))
        index = f"{server.url}simple/"
        # The CA twine is given (config ca_certs) is the one index reads trust.
        with IndexClient(index, (USER, PASSWORD), LIMITS, ca_certs=str(bundle)) as client:
            assert hashes(existing_files(client, index, "a")) == {"a-1.0.tar.gz": None}
            # https to http, on the same host and port or another: another origin.
            assert client.get(f"{index}b/", ACCEPT) is None
            assert client.get(f"{index}c/", ACCEPT) is None
        assert plain.seen == []
        # Without it, the certificate is nobody's.
        untrusting = IndexClient(index, (USER, PASSWORD), LIMITS)
        with untrusting, pytest.raises(IndexReadError, match=r"^TLS: .*certificate verify failed"):
            untrusting.get(f"{index}a/", ACCEPT)


def test_redirect_loops_end() -> None:
    with ScriptedServer() as server, reader(server) as client:
        server.route("/simple/a/", redirect("/simple/a/", 302))
        with pytest.raises(IndexReadError, match=r"^more than 5 redirects from http://"):
            client.get(f"{server.url}simple/a/", ACCEPT)
        assert len(server.seen) == 6


def test_netrc_adds_no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login someone password {NETRC_PASSWORD}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    with ScriptedServer() as server:
        server.route("/simple/", page(b""))
        with IndexClient(f"{server.url}simple/", (None, None), LIMITS) as client:
            client.get(f"{server.url}simple/a/", ACCEPT)
        assert "Authorization" not in server.seen[0].headers


def test_the_reads_of_a_repository_share_one_connection() -> None:
    with ScriptedServer() as server, reader(server) as client:
        server.route("/simple/", page(b'<a href="x-1.0.tar.gz">x</a>'))
        for project in ("a", "b", "c"):
            found = existing_files(client, f"{server.url}simple/", project)
            assert hashes(found) == {"x-1.0.tar.gz": None}
        assert len({seen.port for seen in server.seen}) == 1


# ---------------------------------------------------------------- bounded reads


def timed_failure(client: IndexClient, url: str) -> tuple[IndexReadError, float]:
    start = time.monotonic()
    with pytest.raises(IndexReadError) as caught:
        existing_files(client, url, "p")
    return caught.value, time.monotonic() - start


@pytest.mark.parametrize("head_too", [True, False], ids=["status-line-and-headers", "body"])
def test_a_trickled_answer_ends_at_the_deadline(head_too: bool) -> None:
    with ScriptedServer() as server, reader(server) as client:
        server.route("/simple/", trickle(head_too))
        error, elapsed = timed_failure(client, f"{server.url}simple/")
    assert error.reason == "no complete answer within 1 s (index_timeout)"
    assert error.transient
    assert elapsed < LIMITS.timeout + SLACK


def test_one_thread_keeps_the_deadlines_of_all_reads() -> None:
    """Not a thread per read (as a threading.Timer each would be): one for the client,
    which ends once the client is closed and no read is under way."""
    with ScriptedServer() as server:
        server.route("/simple/", page(b'<a href="x-1.0.tar.gz">x</a>'))
        before = {t.name for t in threading.enumerate()}
        client = reader(server)
        for index in range(20):
            existing_files(client, f"{server.url}simple/", f"p{index}")
        started = [
            t
            for t in threading.enumerate()
            if t.name not in before and "process_request" not in t.name  # the server's
        ]
        assert [t.name for t in started] == ["graphpub-deadlines"]
        client.close()
        started[0].join(SLACK)
        assert not started[0].is_alive()


def test_an_abandoned_client_ends_its_reads_at_once() -> None:
    """A publish that does not go on (its build failed) abandons the reads it began: the one
    under way ends now, not at index_timeout, and no other starts."""
    with ScriptedServer() as server, reader(server, IndexLimits(600.0, 1 << 20)) as client:
        server.route("/simple/", trickle(head_too=True))
        failures: list[IndexReadError] = []

        def read() -> None:
            with pytest.raises(IndexReadError) as caught:
                existing_files(client, f"{server.url}simple/", "p")
            failures.append(caught.value)

        reading = threading.Thread(target=read, daemon=True)
        reading.start()
        deadline = time.monotonic() + SLACK
        while not server.seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.seen  # the read is under way
        client.abort()
        reading.join(SLACK)
        assert not reading.is_alive() and len(failures) == 1
        with pytest.raises(IndexReadError, match="abandoned"):
            existing_files(client, f"{server.url}simple/", "q")
        assert len(server.seen) == 1


def test_the_deadline_holds_over_tls(tmp_path: Path) -> None:
    bundle, tls = self_signed(tmp_path)
    with ScriptedServer(tls=tls) as server:
        server.route("/simple/", trickle(head_too=True))
        index = f"{server.url}simple/"
        with IndexClient(index, (None, None), LIMITS, ca_certs=str(bundle)) as client:
            error, elapsed = timed_failure(client, index)
    assert error.reason == "no complete answer within 1 s (index_timeout)"
    assert elapsed < LIMITS.timeout + SLACK


def test_the_deadline_holds_through_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with ScriptedServer() as proxy:
        proxy.route("/simple/", trickle(head_too=True))
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with IndexClient("http://index.invalid/simple/", (None, None), LIMITS) as client:
            error, elapsed = timed_failure(client, "http://index.invalid/simple/")
        assert proxy.seen[0].proxied
    assert error.reason == "no complete answer within 1 s (index_timeout)"
    assert elapsed < LIMITS.timeout + SLACK


HUGE = 300 * 1024 * 1024


@pytest.mark.parametrize(
    "answer",
    [
        endless(HUGE, declared=True),
        endless(HUGE, declared=False),
        gzipped(bytes(20 * 1024 * 1024), "text/html"),  # 20 MB decompressed, 20 KB sent
    ],
    ids=["content-length", "no-content-length", "gzip-bomb"],
)
def test_an_answer_larger_than_max_index_bytes_is_not_read(answer: Any) -> None:
    with ScriptedServer() as server, reader(server) as client:
        server.route("/simple/", answer)
        error, elapsed = timed_failure(client, f"{server.url}simple/")
    assert error.reason == "the answer is larger than max_index_bytes (1,048,576 bytes)"
    assert not error.transient
    assert elapsed < LIMITS.timeout + SLACK


JSON_PROBLEM = "the index answered malformed JSON: "


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[]", "not an object with a list of files"),
        (b'{"files": 3}', "not an object with a list of files"),
        (b'{"name": "p"}', "not an object with a list of files"),
        (b'{"files": [1]}', "files[0] is not an object with a string filename"),
        (b'{"files": [{"filename": 5}]}', "files[0] is not an object with a string filename"),
        (b'{"files": [{"url": "x"}]}', "files[0] is not an object with a string filename"),
        (b'{"files": [{"filename": "a", "hashes": []}]}', "files[0].hashes is not an object"),
        (b'{"files": [{"filename": "a", "hashes": {"sha256": 5}}]}', "files[0].hashes is not"),
        (b'{"files": [', "Expecting value"),
        (b"\xff\xfe{", "'utf-8' codec can't decode byte 0xff"),
        (b"[" * 100_000 + b"]" * 100_000, "maximum recursion depth"),
    ],
)
def test_malformed_json_is_a_clear_failure(body: bytes, problem: str) -> None:
    with ScriptedServer() as server, reader(server) as client:
        server.route("/simple/", json_page(body))
        error, _ = timed_failure(client, f"{server.url}simple/")
    assert error.reason.startswith(JSON_PROBLEM + problem), error.reason
    assert not error.transient


def test_well_formed_pages_are_read() -> None:
    document = {
        "meta": {"api-version": "1.1"},
        "name": "p",
        "files": [
            {"filename": "p-1.0.tar.gz", "url": "x", "hashes": {"sha256": "AB12"}},
            {"filename": "p-1.0-py3-none-any.whl", "url": "y", "hashes": {}},
        ],
    }
    html = (
        b'<a href="../../packages/p%2B-1.0.tar.gz?x=1#sha256=CD">p+-1.0.tar.gz</a><a>none</a>'
        b'<a href="http://[::1/p-2.0.tar.gz">an invalid URL: its file is still p-2.0.tar.gz</a>'
    )
    with ScriptedServer() as server, reader(server) as client:
        server.route("/json/", json_page(json.dumps(document).encode()))
        server.route("/html/", page(html))
        server.route("/gzip/", gzipped(html, "text/html"))
        expected = {"p-1.0.tar.gz": "ab12", "p-1.0-py3-none-any.whl": None}
        from_json = existing_files(client, f"{server.url}json/", "p")
        assert hashes(from_json) == expected
        assert from_json["p-1.0.tar.gz"].url == f"{server.url}json/p/x"
        linked = {"p+-1.0.tar.gz": "cd", "p-2.0.tar.gz": None}
        from_html = existing_files(client, f"{server.url}html/", "p")
        assert hashes(from_html) == linked
        assert from_html["p+-1.0.tar.gz"].url == f"{server.url}packages/p%2B-1.0.tar.gz?x=1"
        assert hashes(existing_files(client, f"{server.url}gzip/", "p")) == linked


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (page(b"<![x[ ]]>"), "the index answered malformed HTML: unknown status keyword 'x'"),
        (gzipped(b'{"files": []}', "application/vnd.pypi.simple.v1+json", keep=0.5), JSON_PROBLEM),
        (page(b"not gzip", headers={"Content-Encoding": "gzip"}), "the answer does not decompress"),
        (page(b"", status=403), "403 Forbidden from http://"),
        (page(b"", status=599), "HTTP status 599 from http://"),
    ],
    ids=["html", "truncated-gzip", "not-gzip", "forbidden", "unknown-status"],
)
def test_other_unreadable_answers(answer: Any, reason: str) -> None:
    with ScriptedServer() as server, reader(server) as client:
        server.route("/simple/", answer)
        error, _ = timed_failure(client, f"{server.url}simple/")
    assert error.reason.startswith(reason), error.reason


@pytest.fixture(scope="module")
def hostile() -> Iterator[ScriptedServer]:
    """One server, a hostile repository per path: `http://127.0.0.1:PORT/NAME/`, whose index
    is `/NAME/simple/`."""
    with ScriptedServer() as server:
        server.route("/trickled-head/", trickle(head_too=True))
        server.route("/trickled-body/", trickle(head_too=False))
        server.route("/endless/", endless(HUGE, declared=False))
        server.route("/list-not-object/", json_page(b"[]"))
        server.route("/file-not-object/", json_page(b'{"files": [1]}'))
        server.route("/bad-html/", page(b"<![x[ ]]>"))
        yield server


HOSTILE_REASONS = {
    "trickled-head": "no complete answer within 2 s (index_timeout)",
    "trickled-body": "no complete answer within 2 s (index_timeout)",
    "endless": "the answer is larger than max_index_bytes (1,000,000 bytes)",
    "list-not-object": JSON_PROBLEM + "not an object with a list of files",
    "file-not-object": JSON_PROBLEM + "files[0] is not an object with a string filename",
    "bad-html": "the index answered malformed HTML: unknown status keyword 'x' in marked section",
}
BOUNDED = "upload_retries = 0\nindex_timeout = 2\nmax_index_bytes = 1000000\n"


def test_hostile_repositories_fail_alone_and_in_time(
    tmp_path: Path,
    run: Runner,
    credentials: None,
    private_index: IndexServer,
    hostile: ScriptedServer,
) -> None:
    repositories = {name: f"{hostile.url}{name}/" for name in HOSTILE_REASONS}
    root = chain_repo(
        tmp_path / "repo",
        [private_index.url, *repositories.values()],
        count=2,
        name="besieged",
        config=BOUNDED,
    )
    start = time.monotonic()
    code, output, report = publish(run, root)
    elapsed = time.monotonic() - start
    assert code == 1
    assert statuses(report, private_index.url) == ["published"] * 4
    for name, url in repositories.items():
        first, second = [u for u in report["uploads"] if u["repository"] == url]
        assert (first["target"], first["status"]) == ("p0:dist", "failed"), name
        assert first["reason"] == f"cannot read the index: {HOSTILE_REASONS[name]}", output
        assert (second["target"], second["status"], second["cause"]) == (
            "p1:dist",
            "blocked",
            "p0:dist",
        )
    # Packaging and the good repository's uploads included: far less than the minutes the
    # trickles and the endless page would take.
    assert elapsed < 60, elapsed


def test_the_plan_reads_within_the_same_limits(
    tmp_path: Path, run: Runner, credentials: None, hostile: ScriptedServer
) -> None:
    good = tmp_path / "index"
    trickled = f"{hostile.url}trickled-head/"
    root = chain_repo(tmp_path / "repo", [good.as_uri(), trickled], count=2, config=BOUNDED)
    # p0 does not go to the trickling repository: the plan asks that index whether it is
    # there already, before p1 may go.
    build = root / "p0" / "BUILD"
    build.write_text(build.read_text().replace(f', "{trickled}"', ""))
    start = time.monotonic()
    code, _, err = run(["publish", "::"], root=root)
    assert code == 1
    assert f"which does not go to {trickled} and is not there" in err
    assert time.monotonic() - start < 2 + SLACK + 5  # evaluating the BUILD files included


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("index_timeout = 0", "index_timeout must be a positive number"),
        ('index_timeout = "1m"', "index_timeout must be a positive number"),
        ("max_index_bytes = 0", "max_index_bytes must be a positive whole number"),
        ("max_index_bytes = 1.5", "max_index_bytes must be a positive whole number"),
    ],
)
def test_index_limits_must_be_valid(
    tmp_path: Path, run: Runner, setting: str, message: str
) -> None:
    root = chain_repo(tmp_path / "repo", ["file:///nowhere"], count=1, config=setting + "\n")
    code, _, err = run(["publish", "--dry-run", "::"], root=root)
    assert code == 1
    assert message in err


def test_an_index_url_with_an_impossible_port_fails_its_reads() -> None:
    url = "http://127.0.0.1:99999/simple/"
    with (
        IndexClient(url, (USER, PASSWORD), LIMITS) as client,
        pytest.raises(IndexReadError) as caught,
    ):
        client.get(f"{url}p/", ACCEPT)
    assert "99999" in caught.value.reason
    assert not caught.value.transient


# ---------------------------------------------------------------- downloads to compare


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "no-content-length"])
def test_a_download_larger_than_max_index_bytes_is_not_read(declared: bool) -> None:
    """A file of our name, fetched to compare contents, is read within the same bounds."""
    with ScriptedServer() as server, reader(server) as client:
        server.route("/files/", endless(HUGE, declared=declared))
        into = io.BytesIO()
        with pytest.raises(IndexReadError) as caught:
            client.download(f"{server.url}files/p-1.0.tar.gz", into)
    assert caught.value.reason == "the answer is larger than max_index_bytes (1,048,576 bytes)"
    assert into.tell() <= LIMITS.max_bytes


def test_a_download_elsewhere_gets_no_credentials(elsewhere: ScriptedServer) -> None:
    """A file link (or a redirect) to another origin is followed, as PyPI serves its files
    from another host, but the credentials stay with the index's origin."""
    elsewhere.route("/files/", page(b"the file's bytes", "application/octet-stream"))
    with ScriptedServer() as server, reader(server) as client:
        server.route("/own/", page(b"own bytes", "application/octet-stream"))
        server.route("/moved/", redirect(f"{elsewhere.url}files/p-1.0.tar.gz", 302))
        own, moved, linked = io.BytesIO(), io.BytesIO(), io.BytesIO()
        client.download(f"{server.url}own/p-1.0.tar.gz", own)
        client.download(f"{server.url}moved/p-1.0.tar.gz", moved)
        client.download(f"{elsewhere.url}files/p-1.0.tar.gz", linked)
        assert (own.getvalue(), moved.getvalue(), linked.getvalue()) == (
            b"own bytes",
            b"the file's bytes",
            b"the file's bytes",
        )
        assert [seen.headers.get("Authorization") for seen in server.seen] == [TOKEN, TOKEN]
    assert [seen.headers.get("Authorization") for seen in elsewhere.requests_to("/files/")] == [
        None,
        None,
    ]
