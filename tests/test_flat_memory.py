"""Flat memory per article (issue #12): what a run must remember of every article (its input,
the digest of its identity, the stems and names it wrote) waits on disk, so that a run of
100,000 articles holds what a run of 10,000 does.

The articles' own export is stubbed with one real outcome (its path and identity changed),
so that what grows is the run's own bookkeeping, measured with tracemalloc."""

from __future__ import annotations

import gc
import itertools
import threading
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTICLES

from fhir_export import parallel, pipeline
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
