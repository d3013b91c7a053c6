"""`graphpub graph` as pictures: the distributions the specs reach (what each carries, the
first-party requirements, the upload order, the repositories and skips) and the targets with
inferred and explicit edges, as dot, JSON, Mermaid and one self-contained HTML page, which a
real browser (headless Chromium) renders here."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TESTDATA, Runner

ARTIFACTS = Path(os.environ.get("GRAPHPUB_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts"))


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(TESTDATA / "demo", root, ignore=shutil.ignore_patterns("dist", ".graphpub"))
    return root


def output(run: Runner, root: Path, *args: str) -> str:
    code, out, err = run(["graph", *args], root=root)
    assert code == 0, err
    return out


def test_distributions_as_json(demo: Path, run: Runner) -> None:
    document = json.loads(output(run, demo, "--level", "distributions", "::", "--format=json"))
    by_address = {d["address"]: d for d in document["distributions"]}
    assert document["upload_order"] == [
        "src/python/greeting:dist",
        "src/python:demo",
        "src/python/testutil:dist",
    ]
    greeting = by_address["src/python/greeting:dist"]
    assert greeting["name"] == "demo-greeting"
    assert greeting["owns"] == [
        "src/python/greeting/__init__.py",
        "src/python/greeting/greeting.py",
        "src/python/greeting/translations.json:translations",
    ]
    assert greeting["owned_targets"] == 3
    assert greeting["repositories"] == [
        "@pypi",
        "@private-repo",
        "https://pypi.private2.example.com",
    ]
    assert by_address["src/python:demo"]["requires"] == ["src/python/greeting:dist"]
    assert by_address["src/python/testutil:dist"]["skip"] == (
        "by `skip_twine` on src/python/testutil:dist"
    )
    assert document["edges"] == [{"from": "src/python:demo", "to": "src/python/greeting:dist"}]
    # The specs reach demo, which requires demo-greeting: both, dependency first.
    reached = json.loads(
        output(run, demo, "--level=distributions", "src/python:demo", "--format=json")
    )
    assert reached["upload_order"] == ["src/python/greeting:dist", "src/python:demo"]


def test_distributions_as_dot_and_mermaid(demo: Path, run: Runner) -> None:
    dot = output(run, demo, "--level", "distributions", "::")
    assert dot.startswith("digraph distributions {")
    assert '"src/python:demo" -> "src/python/greeting:dist" [style=bold];' in dot
    assert "#1 to upload; carries 3 targets, 3 files" in dot
    mermaid = output(run, demo, "--level", "distributions", "::", "--format", "mermaid")
    assert mermaid.startswith("flowchart BT\n")
    nodes = dict(re.findall(r'^  (n\d+)\["([^"]*)"\]$', mermaid, re.M))
    assert len(nodes) == 3
    demo_node = next(n for n, label in nodes.items() if label.startswith("src/python:demo<br/>"))
    greeting = next(n for n, label in nodes.items() if label.startswith("src/python/greeting:d"))
    assert f"  {demo_node} ==> {greeting}" in mermaid.splitlines()
    assert "#35;1 to upload" in nodes[greeting]  # `#` would start a Mermaid entity


def test_targets_tell_inferred_edges_from_explicit_ones(demo: Path, run: Runner) -> None:
    document = json.loads(output(run, demo, "src/python/demo:", "--format", "json"))
    edges = {(e["from"], e["to"]): e["inferred"] for e in document["edges"]}
    # main.py imports greeting (inferred); the generator names its files (explicit).
    assert edges[("src/python/demo/main.py", "src/python/greeting/__init__.py")] is True
    assert edges[("src/python/demo", "src/python/demo/main.py")] is False
    dot = output(run, demo, "src/python/demo:")
    assert '"src/python/demo/main.py" -> "src/python/greeting/__init__.py" [style=dashed];' in dot
    assert '"src/python/demo" -> "src/python/demo/main.py";' in dot
    mermaid = output(run, demo, "src/python/demo:", "--format", "mermaid")
    assert " -.-> " in mermaid and " --> " in mermaid
    explicit_only = json.loads(output(run, demo, "--no-infer", "src/python/demo:", "--format=json"))
    assert not any(e["inferred"] for e in explicit_only["edges"])


# ---------------------------------------------------------------- in a real browser


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install chromium); "
    "the HTML pictures are checked in a real browser only",
)


def _browser(*args: str) -> str:
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # CI containers run as root
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--user-data-dir=" + str(ARTIFACTS / ".chromium-profile"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# Run in the browser over the page as drawn: every node's and edge's rendered box, and
# whether each edge ends on the box of the node it points to. The page itself has no script
# (its Content-Security-Policy allows none); this copy adds one for the test.
_PROBE = """
<script>
const boxes = {};
for (const g of document.querySelectorAll("svg g.node")) {
  const b = g.querySelector("rect").getBBox();
  const text = g.querySelector("text").getBBox();
  boxes[g.dataset.id] = {x: b.x, y: b.y, width: b.width, height: b.height,
                         textWidth: text.width, classes: g.getAttribute("class")};
}
const edges = [];
for (const p of document.querySelectorAll("svg path.edge")) {
  const end = p.getPointAtLength(p.getTotalLength());
  const start = p.getPointAtLength(0);
  edges.push({from: p.dataset.from, to: p.dataset.to, classes: p.getAttribute("class"),
              length: p.getTotalLength(), start: [start.x, start.y], end: [end.x, end.y],
              dash: getComputedStyle(p).strokeDasharray});
}
const svg = document.querySelector("svg").getBoundingClientRect();
const out = document.createElement("pre");
out.id = "probe";
out.textContent = JSON.stringify({boxes, edges, svg: [svg.width, svg.height]});
document.body.appendChild(out);
</script>
"""


class _Probe(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "pre" and ("id", "probe") in attrs

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text += data


def rendered(page: str, name: str) -> dict[str, object]:
    """What Chromium drew of `page`: the probe's findings; a screenshot of the page as
    graphpub wrote it is saved in the artifacts directory as `name.png`."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    original = ARTIFACTS / f"{name}.html"
    original.write_text(page, encoding="utf-8")
    _browser(
        f"--screenshot={ARTIFACTS / f'{name}.png'}", "--window-size=1600,1200", original.as_uri()
    )
    assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
    probed = ARTIFACTS / f"{name}.probe.html"
    probed.write_text(
        re.sub(r"<meta http-equiv=\"Content-Security-Policy\"[^>]*>", "", page).replace(
            "</body>", _PROBE + "</body>"
        ),
        encoding="utf-8",
    )
    parser = _Probe()
    parser.feed(_browser("--dump-dom", probed.as_uri()))
    result: dict[str, object] = json.loads(parser.text)
    return result


def _touches(point: list[float], box: dict[str, float]) -> bool:
    x, y = point
    return (
        box["x"] - 1 <= x <= box["x"] + box["width"] + 1
        and box["y"] - 1 <= y <= box["y"] + box["height"] + 1
    )


def _self_contained(page: str) -> None:
    assert "<script" not in page
    # No URL the browser could load: the only one is the SVG namespace, an identifier.
    urls = set(re.findall(r"(?:href|src)=\"([^\"]*)\"|url\((?!#)([^)]*)\)", page))
    assert not urls, urls
    assert "default-src 'none'" in page


@needs_chromium
def test_the_distributions_page_in_a_browser(demo: Path, run: Runner) -> None:
    page = output(run, demo, "--level", "distributions", "::", "--format", "html")
    _self_contained(page)
    document = json.loads(output(run, demo, "--level", "distributions", "::", "--format", "json"))
    drawn = rendered(page, "graph-distributions")
    boxes = drawn["boxes"]
    assert isinstance(boxes, dict)
    assert set(boxes) == {d["address"] for d in document["distributions"]}
    for record in document["distributions"]:
        box = boxes[record["address"]]
        assert box["width"] > box["textWidth"] > 0  # the text fits its box
        assert ("skipped" in box["classes"]) == (record["skip"] is not None)
    edges = drawn["edges"]
    assert isinstance(edges, list)
    assert {(e["from"], e["to"]) for e in edges} == {
        (e["from"], e["to"]) for e in document["edges"]
    }
    for edge in edges:
        assert edge["length"] > 0
        assert _touches(edge["start"], boxes[edge["from"]])
        assert _touches(edge["end"], boxes[edge["to"]])
    # Dependencies above their dependents, in upload order.
    assert boxes["src/python/greeting:dist"]["y"] < boxes["src/python:demo"]["y"]
    # The table and the notes say the rest.
    for record in document["distributions"]:
        assert record["name"] in page
        for repository in record["repositories"]:
            assert repository in page
    assert (
        "Upload order: src/python/greeting:dist → src/python:demo → src/python/testutil:dist"
        in page
    )


@needs_chromium
def test_the_targets_page_in_a_browser(demo: Path, run: Runner) -> None:
    page = output(run, demo, "::", "--format", "html")
    _self_contained(page)
    document = json.loads(output(run, demo, "::", "--format", "json"))
    drawn = rendered(page, "graph-targets")
    boxes = drawn["boxes"]
    assert isinstance(boxes, dict)
    assert set(boxes) == {n["address"] for n in document["nodes"]}
    edges = drawn["edges"]
    assert isinstance(edges, list)
    expected = {(e["from"], e["to"]): e["inferred"] for e in document["edges"]}
    assert {(e["from"], e["to"]) for e in edges} == set(expected)
    assert any(expected.values()) and not all(expected.values())
    for edge in edges:
        inferred = expected[(edge["from"], edge["to"])]
        assert ("inferred" in edge["classes"]) == inferred
        # Drawn differently: inferred edges dashed, explicit ones solid.
        assert (edge["dash"] != "none") == inferred, edge
        assert _touches(edge["start"], boxes[edge["from"]])
        assert _touches(edge["end"], boxes[edge["to"]])
