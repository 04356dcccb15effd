"""Flat memory (issue #12): a run lets go of each article once it is written and told; its
report and manifest rows wait on disk (spool.py) and are streamed into the same bytes that
json.dumps gives for the whole document."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ARTICLES

from fhir_export import pipeline
from fhir_export.cli import main
from fhir_export.options import ExportOptions, OutputFormat
from fhir_export.report import ArticleResult, ExportReport, RunEvents
from fhir_export.spool import Spool, Streamed, dumps, streamed_json

LEAFLET = ARTICLES / "amlodipine-leaflet-uk.txt"
EMPTY = ARTICLES / "knee-arthroscopy.txt"


def _dumped(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [2, 0, 3, 1]])
def test_streamed_lists_are_the_bytes_json_dumps_gives(order: list[int]) -> None:
    rows = [{"path": f"p{i}", "x": [1, {"a": "é\n\u0000"}], "e": [], "d": {}} for i in range(4)]
    spool = Spool()
    for i in order[1:]:
        spool.add(dumps(rows[i]), f"p{i}")
    assert spool.in_order is (order == sorted(order))
    held = [(f"p{order[0]}", dumps(rows[order[0]]))]
    document = {"a": "x", "rows": Streamed(spool.sorted(held)), "none": Streamed(iter(())),
                "deep": {"k": [{"in": Streamed(dumps(r) for r in rows[:2])}]}}
    want = {"a": "x", "rows": rows, "none": [], "deep": {"k": [{"in": rows[:2]}]}}
    assert b"".join(streamed_json(document)) == _dumped(want)


def _corpus(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "in"
    for i in range(n):
        sub = folder / ("b" if i % 2 else "a-z")  # 'a-z' sorts before 'a/' as a string
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copy(EMPTY if i == 3 else LEAFLET, sub / f"x{i}.txt")
    (folder / "a").mkdir()
    shutil.copy(LEAFLET, folder / "a" / "first.txt")
    shutil.copy(LEAFLET, folder / "a" / "second.txt")
    return folder


@pytest.mark.parametrize("fmt", ["json", "ndjson", "merge"])
def test_a_run_holds_one_result_and_writes_the_same_documents(tmp_path: Path, fmt: str) -> None:
    source = _corpus(tmp_path, 6)
    held: list[int] = []
    report = ExportReport()
    events = RunEvents(finished=lambda item: held.append(len(report.results)))
    options = ExportOptions(output_format=OutputFormat.NDJSON if fmt == "ndjson"
                            else OutputFormat.JSON, jobs=1)
    out = tmp_path / "out"
    run = {"json": pipeline.export, "ndjson": pipeline.export_ndjson,
           "merge": pipeline.export_corpus}[fmt]
    run([str(source)], out, options, events, report)
    assert not report.errors
    assert max(held) <= 2 and len(report.results) == 1  # the first, and the one just told
    assert report.retired.results == 7 and report.exported == 8
    assert report.empty == [str(source / "b" / "x3.txt")]
    assert report.retired.rows is not None and not report.retired.rows.in_order
    # every row is there, sorted, in json.dumps' bytes (the spool was out of order: the
    # articles come in the walk's order, 'a/second.txt' before 'a-z/x0.txt')
    pipeline.write_report(report, tmp_path / "report.json")
    data = (tmp_path / "report.json").read_bytes()
    document = json.loads(data)
    assert data == _dumped(document)
    paths = [a["path"] for a in document["articles"]]
    assert paths == sorted(paths) and len(paths) == 8
    assert document["counts"] == {"articles": 8, "with_content": 7, "empty": 1, "failed": 0}
    assert document["summary"] == report.summary()
    manifest = (out / "manifest.json").read_bytes()
    assert manifest == _dumped(json.loads(manifest))
    record = json.loads(manifest)["extension"]["fhir-export"]
    inputs = [i["path"] for i in record["inputs"]]
    assert inputs == sorted(inputs) and len(inputs) == 8
    files = [f["path"] for f in record["files"]]
    if fmt != "json":  # one set of files for every article
        assert all(i["outputs"] == files for i in record["inputs"])
    for f in record["files"]:  # recorded from the bytes written: the files hold them
        written = (out / f["path"]).read_bytes()
        assert (f["sha256"], f["bytes"]) == (hashlib.sha256(written).hexdigest(), len(written))


def test_cli_tells_each_file_once_and_reports_the_same_with_jobs(tmp_path: Path) -> None:
    source = _corpus(tmp_path, 5)
    outputs = []
    for jobs in ("1", "2"):
        result = CliRunner().invoke(main, [
            "export", str(source), "--out", str(tmp_path / jobs), "--jobs", jobs,
            "--format", "ndjson", "--report", str(tmp_path / f"{jobs}.json")])
        assert result.exit_code == 0, result.stderr
        listed = result.stdout.splitlines()
        assert len(listed) == len(set(listed))  # the NDJSON files and the manifest, once
        outputs.append(((tmp_path / f"{jobs}.json").read_text("utf-8")
                        .replace(str(tmp_path / jobs), "OUT"), result.stderr))
    assert outputs[0] == outputs[1]


def test_retire_keeps_the_counts_the_summary_needs() -> None:
    report = ExportReport()
    report.results += [ArticleResult(path=f"p{i}", resources=i) for i in range(4)]
    before = report.summary(), report.counts(), report.unmapped_report()
    report.retire()
    assert len(report.results) == 1
    assert (report.summary(), report.counts(), report.unmapped_report()) == before
