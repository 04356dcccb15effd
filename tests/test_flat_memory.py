"""Flat memory per article (issue #12): what a run must remember of every article (its input,
the digest of its identity, the stems and names it wrote) waits on disk, so that a run of
100,000 articles holds what a run of 10,000 does.

The articles' own export is stubbed with one real outcome (its path and identity changed),
so that what grows is the run's own bookkeeping, measured with tracemalloc."""

from __future__ import annotations

import gc
import itertools
import json
import threading
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTICLES

from fhir_export import manifest, parallel, pipeline
from fhir_export.discovery import Input, discover
from fhir_export.options import ExportOptions, OutputFormat
from fhir_export.report import ArticleResult, ExportReport, RunEvents
from fhir_export.spool import Remembered

LEAFLET = ARTICLES / "amlodipine-leaflet-uk.txt"


def _corpus(folder: Path, n: int, per_folder: int = 100) -> Path:
    data = b"Aspirin\nAspirin is used to treat pain.\n"
    for i in range(n):
        sub = folder / f"d{i // per_folder:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"a{i:05d}.txt").write_bytes(data)
    return folder


def test_discovery_holds_no_input_per_article(tmp_path: Path) -> None:
    folder = _corpus(tmp_path / "in", 1500)
    gc.collect()
    before = sum(isinstance(o, Input) for o in gc.get_objects())
    files, errors = discover([str(folder)])
    gc.collect()
    held = sum(isinstance(o, Input) for o in gc.get_objects()) - before
    assert not errors
    assert held == 0  # a list of 1,500 Inputs before
    assert len(files) == 1500
    assert [f.relative for f in files[:2]] == ["d000/a00000.txt", "d000/a00001.txt"]
    assert files[-1].raw == str(folder / "d014" / "a01499.txt")
    assert list(files)[700] == files[700] == files[699:701][1]


def test_discovery_order_is_sorted_path_order(tmp_path: Path) -> None:
    """Files in sorted(Path) order: a folder's files where its name sorts ('a/...' before
    'a-z', which a sort of the path strings would put first), the same as before."""
    folder = tmp_path / "in"
    for name in ("a-z/x.txt", "a/b/y.txt", "a/c.md", "ab.txt", "a/.hidden/h.txt", "A.txt",
                 "a/b.html", "z.png"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x", encoding="utf-8")
    skipped: list[Path] = []
    files, _ = discover([str(folder)], skipped=skipped)
    found = [f.relative for f in files]
    assert found == ["A.txt", "a/b/y.txt", "a/b.html", "a/c.md", "a-z/x.txt", "ab.txt"]
    assert found == [Path(p).relative_to(folder).as_posix() for p in sorted(
        folder / f for f in found)]
    assert skipped == [folder / "z.png"]
    pattern, _ = discover([f"{folder}/**/*.txt"])
    assert [f.relative for f in pattern] == ["A.txt", "a/b/y.txt", "a-z/x.txt", "ab.txt"]


def test_remembered_keeps_keys_exactly(tmp_path: Path) -> None:
    kept = Remembered()
    assert kept.setdefault(b"\x00key", "caf\udce9.txt") is None
    assert kept.setdefault(b"\x00key", "other") == "caf\udce9.txt"
    assert kept.setdefault(b"\x00ke", "other") is None
    kept.add("a/b.bundle.json")
    kept.add("a/b.bundle.json")
    assert "a/b.bundle.json" in kept
    assert "a/b.bundle.xml" not in kept
    assert 3 not in kept


def _stubbed(monkeypatch: pytest.MonkeyPatch, options: ExportOptions) -> None:
    """parallel.run_one made cheap: one real outcome, with each source's path and identity."""
    template = parallel.run_one(Input.of(LEAFLET, LEAFLET.name), options)
    assert template.result is not None

    def run_one(source: Any, options: ExportOptions) -> parallel.Outcome:
        assert template.result is not None
        result = replace(template.result, path=str(source.path), outputs=[], records=[])
        return replace(template, result=result, identity=f"urn:test:{source.relative}")

    monkeypatch.setattr(parallel, "run_one", run_one)

    class Unsynced(pipeline.Synced):
        def written(self, paths: list[Path]) -> None:  # not every 2 seconds: never
            return

    monkeypatch.setattr(pipeline, "Synced", Unsynced)


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_a_run_remembers_nothing_per_article_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """Memory traced every 100 articles from the 300th to the 1,500th of a run: under 40
    bytes per article (the offset of its input was allocated by discovery; the rest is the
    allocator's noise). The largest step is left out: a global table of Python's that a run
    happens to grow once (the interned strings) is no memory per article. Before, the run
    held the digest of each identity and the hash of each name it wrote in a dict and a set:
    about 100 bytes per article here, and its Inputs since discovery."""
    options = ExportOptions(output_format=OutputFormat(fmt))
    _stubbed(monkeypatch, options)
    folder = _corpus(tmp_path / "in", 1500)
    traced: list[int] = []
    finished_count = [0]

    def finished(item: ArticleResult | Exception) -> None:
        assert isinstance(item, ArticleResult), item
        finished_count[0] += 1
        if finished_count[0] >= 300 and finished_count[0] % 100 == 0:
            gc.collect()
            traced.append(tracemalloc.get_traced_memory()[0])

    run = pipeline.export_ndjson if fmt == "ndjson" else pipeline.export
    tracemalloc.start()
    try:
        report = run([str(folder)], tmp_path / "out", options,
                     RunEvents(finished=finished), ExportReport())
    finally:
        tracemalloc.stop()
    assert report.exported == 1500
    assert not report.errors
    steps = [after - before for before, after in itertools.pairwise(traced)]
    per_article = (sum(steps) - max(steps)) / 1100
    assert per_article < 40, f"{per_article:.0f} bytes per article ({steps})"


def test_two_articles_of_one_name_and_identity_are_still_refused(tmp_path: Path) -> None:
    """The stems and identities remembered on disk refuse as the dicts did, naming the
    first file."""
    folder = tmp_path / "in"
    (folder / "a").mkdir(parents=True)
    text = LEAFLET.read_text(encoding="utf-8")
    (folder / "a" / "x.txt").write_text(text, encoding="utf-8")
    (folder / "a" / "x.md").write_text(text, encoding="utf-8")  # the same stem
    report = pipeline.export([str(folder / "a"), str(folder)], tmp_path / "out",
                             ExportOptions())
    lines = [e.line() for e in report.errors]
    assert lines[0].startswith(f"Error: {folder}/a/x.txt: has the same name as "
                               f"{folder}/a/x.md, so their outputs would collide.")
    assert report.exported == 1


def test_remembered_may_be_let_go_of_in_another_thread() -> None:
    """A collection in another thread (a test's HTTP server, push's workers) closes it."""
    kept = [Remembered()]
    kept[0].add("x")
    thread = threading.Thread(target=kept.clear)
    thread.start()
    thread.join()
    assert not kept


def _manifest(folder: Path, n: int) -> dict[str, Any]:
    """A manifest of n articles, as a run writes it (json.dumps, indent 2)."""
    run = {
        "version": 1, "mode": "per-article",
        "files": [{"path": f"d/a{i}.bundle.json", "sha256": f"{i:064x}", "bytes": 9,
                   "resources": {"Device": 1}} for i in range(n)],
        "inputs": [{"path": f"in/d/a{i}.txt", "status": "exported",
                    "outputs": [f"d/a{i}.bundle.json"],
                    "identity": {"system": "urn:x", "value": f"d/a{i}.txt"}} for i in range(n)],
        "errors": [],
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / manifest.NAME).write_text(
        json.dumps({"extension": {manifest.KEY: run}}, indent=2) + "\n", encoding="utf-8")
    return run


def _as_read(previous: manifest.Previous) -> list[Any]:
    return [list(table.items()) for table in (
        previous.files, previous.inputs, previous.records, previous.identities)]


def test_an_earlier_manifest_is_read_item_by_item(tmp_path: Path) -> None:
    """A run over an earlier run's folder reads its manifest one item at a time: the peak
    traced while reading 3,000 articles' manifest is under a tenth of the file (0.07; with
    json.loads of the whole it was 3.7 times the file)."""
    run = _manifest(tmp_path / "out", 3000)
    size = (tmp_path / "out" / manifest.NAME).stat().st_size
    tracemalloc.start()
    try:
        previous = manifest.read_previous(tmp_path / "out")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert previous is not None
    assert peak < size / 10, f"{peak} bytes traced for a manifest of {size}"
    assert previous.files.get("d/a2999.bundle.json") == f"{2999:064x}"
    assert previous.records.get("d/a7.bundle.json") == run["files"][7]
    assert previous.inputs.get("in/d/a5.txt") == ["d/a5.bundle.json"]
    assert previous.identities.get("in/d/a5.txt") == [{"system": "urn:x", "value": "d/a5.txt"}]
    assert [name for name, _ in previous.files.items()][:2] == [
        "d/a0.bundle.json", "d/a1.bundle.json"]


@pytest.mark.parametrize("layout", ["compact", "indent 4", "one item per line"])
def test_an_earlier_manifest_of_another_layout_reads_the_same(tmp_path: Path,
                                                               layout: str) -> None:
    run = _manifest(tmp_path / "ours", 5)
    run["files"].append(run["files"][0] | {"sha256": "later"})  # the last one wins, in place
    run["inputs"].append({"path": 3})  # not a row: passed over
    document = {"extension": {manifest.KEY: run}}
    ours = tmp_path / "ours" / manifest.NAME
    ours.write_text(json.dumps(document, indent=2), encoding="utf-8")
    other = tmp_path / "other" / manifest.NAME
    other.parent.mkdir()
    if layout == "compact":
        other.write_text(json.dumps(document), encoding="utf-8")
    elif layout == "indent 4":
        other.write_text(json.dumps(document, indent=4), encoding="utf-8")
    else:
        text = json.dumps(document, indent=2)
        for listed in ("files", "inputs"):  # each item on one line, at the items' level
            items = ",\n        ".join(json.dumps(i) for i in run[listed])
            text = text.replace(
                json.dumps(run[listed], indent=2).replace("\n", "\n      "),
                f"[\n        {items}\n      ]")
        assert '        {"path": "d/a0.bundle.json"' in text
        other.write_text(text, encoding="utf-8")
    read_ours = manifest.read_previous(ours.parent)
    read_other = manifest.read_previous(other.parent)
    assert read_ours is not None and read_other is not None
    assert _as_read(read_ours) == _as_read(read_other)
    assert read_ours.files.get("d/a0.bundle.json") == "later"
    assert next(n for n, _ in read_ours.files.items()) == "d/a0.bundle.json"
    assert len(read_ours.inputs) == 5


def test_a_refused_article_leaves_only_its_error_line_behind(tmp_path: Path) -> None:
    """Copies of a page with a canonical URL share its identity: every copy after the first
    is refused, and the run keeps its error until the end. The error must not hold the
    traceback of where it was raised, whose frames held the copy's finished bundle (about
    200 KB each: a 100,000-file run peaked at 3.2 GB). Traced from the 50th to the 249th
    refusal: under 2 KB per refused article (its error and line)."""
    folder = tmp_path / "in"
    folder.mkdir()
    page = (
        '<html lang="en"><head><title>Aspirin</title>'
        '<link rel="canonical" href="https://example.org/aspirin"></head><body><main>'
        "<h1>Aspirin</h1><p>Aspirin is used to treat pain. Aspirin may cause nausea.</p>"
        + "<p>More about aspirin and what it does.</p>" * 60
        + "</main></body></html>"
    )
    for n in range(250):
        (folder / f"a{n:04d}.html").write_text(page, encoding="utf-8")
    traced: list[int] = []
    refused = [0]

    def finished(item: ArticleResult | Exception) -> None:
        if isinstance(item, Exception):
            refused[0] += 1
            if refused[0] in (50, 249):
                gc.collect()
                traced.append(tracemalloc.get_traced_memory()[0])

    tracemalloc.start()
    try:
        report = pipeline.export([str(folder)], tmp_path / "out",
                                 ExportOptions(output_format=OutputFormat.BOTH, jobs=1),
                                 RunEvents(finished=finished), ExportReport())
    finally:
        tracemalloc.stop()
    assert report.exported == 1 and len(report.errors) == 249
    assert all(e.__traceback__ is None for e in report.errors)
    per_article = (traced[1] - traced[0]) / 199
    assert per_article < 2048, f"{per_article:.0f} bytes per refused article"
