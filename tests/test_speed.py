"""Speed and scale (issue #12): a light command line, the library function, --jobs.

Nothing here is timed: the figures are benchmarks/export_speed.py's job. These tests pin what
makes the speed safe: the command line imports nothing heavy until a command needs it.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ARTICLES, GOLDEN, SEED

import fhir_export
from fhir_export import pipeline
from fhir_export.cli import main
from fhir_export.errors import ExitCode, InternalError, SourceError
from fhir_export.options import BundleType, ExportOptions, OutputFormat
from fhir_export.serialization import SERIALIZERS

# what `import fhir_export.cli` must not load: the FHIR models, lxml, the readers' libraries,
# the lexicon, the validator; each command imports them in its body
HEAVY = (
    "fhir.resources",
    "fhir_core",
    "pydantic",
    "lxml",
    "pypdfium2",
    "mammoth",
    "resiliparse",
    "fhirpathpy",
    "fhir_export.pipeline",
    "fhir_export.sources",
    "fhir_export.terminology",
    "fhir_export.validation",
)


def test_importing_the_cli_loads_nothing_heavy() -> None:
    code = (
        "import json, sys; import fhir_export.cli; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{sorted({h.split('.')[0] for h in HEAVY})!r} and any(m == h or m.startswith(h + '.') "
        f"for h in {list(HEAVY)!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
    assert "fhir.resources" in HEAVY  # the module the test is about is in the list


def test_a_text_article_loads_no_other_format_s_reader(tmp_path: Path) -> None:
    """Each reader (and its library) is imported on its first article: exporting a .txt
    never loads the HTML, Markdown, PDF or Word readers, nor ftfy (mojibake only)."""
    article = tmp_path / "a.txt"
    article.write_text("Aspirin may cause nausea.\n", encoding="utf-8")
    code = (
        "import json, sys; from fhir_export.sources import read_article; "
        f"read_article(__import__('pathlib').Path({str(article)!r}), max_bytes=1000); "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('mammoth', 'pypdfium2', 'markdown_it', 'ftfy') or m.startswith('fhir_export.sources.') "
        "and m.rsplit('.', 1)[1] in ('html', 'markdown', 'pdf', 'docx', 'spl'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_the_lazy_readers_media_types_are_the_readers_own() -> None:
    from fhir_export import sources
    from fhir_export.sources import docx, pdf, spl

    for suffix, module in ((".docx", docx), (".pdf", pdf), (".xml", spl)):
        assert sources.BINARY_READERS[suffix][0] == module.MEDIA_TYPE


# -- the library function ---------------------------------------------------------------------


def test_export_article_gives_the_bytes_export_writes(tmp_path: Path) -> None:
    article = ARTICLES / "warfarin-hospital-guide.html"
    options = ExportOptions(output_format=OutputFormat.BOTH)
    exported = fhir_export.export_article(article.read_bytes(), article.name, options)
    assert pipeline.export([str(article)], tmp_path, options).errors == []
    assert exported.outputs == {
        "json": (tmp_path / "warfarin-hospital-guide.bundle.json").read_bytes(),
        "xml": (tmp_path / "warfarin-hospital-guide.bundle.xml").read_bytes(),
    }
    assert json.loads(exported.outputs["json"]) == exported.bundle
    assert exported.resources[0]["resourceType"] == "DocumentReference"
    assert exported.identity == exported.resources[0]["identifier"][0]["value"]
    assert exported.result.medications > 0
    assert set(exported.seconds) >= {"read", "segment", "extract", "map", "bundle"}
    again = pickle.loads(pickle.dumps(exported))  # noqa: S301 (our own bytes)
    assert (again.outputs, again.bundle, again.result) == (
        exported.outputs, exported.bundle, exported.result
    )
    assert pickle.loads(pickle.dumps(options)) == options  # noqa: S301


def test_export_article_ndjson_lines_are_the_bundle_resources() -> None:
    article = ARTICLES / "infliximab-guide.md"
    options = ExportOptions(output_format=OutputFormat.NDJSON, bundle_type=BundleType.BATCH)
    exported = fhir_export.export_article(article.read_bytes(), "guides/infliximab.md", options)
    lines = exported.outputs["ndjson"].decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == exported.resources
    # an article without a canonical URL is identified by the name it is given
    assert exported.identity == "guides/infliximab.md"


def test_export_article_errors_name_the_article() -> None:
    options = ExportOptions()
    with pytest.raises(SourceError) as empty:
        fhir_export.export_article(b"", "a/empty.txt", options)
    assert empty.value.line().startswith("Error: a/empty.txt: ")
    with pytest.raises(SourceError) as other:
        fhir_export.export_article(b"text", "notes.rtf", options, path="/in/notes.rtf")
    assert other.value.line().startswith("Error: /in/notes.rtf: unsupported file type '.rtf'.")
    with pytest.raises(SourceError) as large:
        fhir_export.export_article(b"x" * 11, "big.txt", ExportOptions(max_bytes=10))
    assert "over the 10 byte limit" in large.value.line()


def test_internal_errors_cross_processes_with_their_traceback() -> None:
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError as exc:
        error = InternalError(exc, path="a.txt", stage="extract")
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert (again.line(), again.stage, again.traceback, again.exit_code) == (
        error.line(), "extract", error.traceback, ExitCode.INTERNAL_ERROR
    )


# -- --jobs -----------------------------------------------------------------------------------


def _corpus(tmp_path: Path) -> list[str]:
    """The test articles, and beside them: an empty article (an error), a second article of
    the same name (outputs would collide) and one of the same identity (ids would collide)."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "empty.txt").write_text("", encoding="utf-8")
    shutil.copyfile(ARTICLES / "infliximab-guide.md", other / "infliximab-guide.md")
    nested = other / "nested"
    nested.mkdir()
    shutil.copyfile(ARTICLES / "adalimumab-drug-page.html", nested / "adalimumab.html")
    return [str(ARTICLES), str(other), str(SEED)]


def _run(tmp_path: Path, name: str, paths: list[str], *options: str) -> tuple[Any, ...]:
    out, report = tmp_path / name, tmp_path / f"{name}.report.json"
    result = CliRunner().invoke(
        main,
        ["export", *paths, "--out", str(out), "--report", str(report), *options],
        env={"SOURCE_DATE_EPOCH": None},
    )
    files = {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }
    shown = result.stdout.replace(str(out), "OUT")
    return result.exit_code, shown, result.stderr, files, report.read_text("utf-8").replace(
        str(out), "OUT"
    )


@pytest.mark.parametrize("mode", [["--format", "both"], ["--format", "ndjson"]], ids=str)
def test_jobs_give_the_same_bytes_lines_and_report(tmp_path: Path, mode: list[str]) -> None:
    paths = _corpus(tmp_path)
    one = _run(tmp_path, "one", paths, "--jobs", "1", *mode)
    two = _run(tmp_path, "two", paths, "--jobs", "2", *mode)
    code, stdout, stderr, files, report = one
    assert code == ExitCode.INPUT_FAILED
    assert "same identity as" in stderr and "empty.txt" in stderr
    assert ("same name as" in stderr) == (mode[1] == "both")  # NDJSON: no file per article
    assert len(files) > (60 if mode[1] == "both" else 5)
    assert two[0] == code
    assert two[1].splitlines() == stdout.splitlines()
    assert two[2].splitlines() == stderr.splitlines()
    assert two[4] == report
    assert list(two[3]) == list(files)
    assert [name for name in files if two[3][name] != files[name]] == []


@pytest.mark.parametrize("format", ["lines", "operationoutcome"])
def test_validate_jobs_give_the_same_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, format: str
) -> None:
    """validate --jobs 2 prints what --jobs 1 prints, in the files' order, with the same exit
    code: valid and invalid bundles, a file that is not FHIR, NDJSON, a file it cannot read
    and one that hits a bug (a worker forked from this process has the same broken code)."""
    from fhir_export import validation

    folder = tmp_path / "in"
    folder.mkdir()
    goldens = sorted(GOLDEN.glob("*.json"))[:12]
    for n, path in enumerate(goldens):
        shutil.copyfile(path, folder / f"{n:02d}.json")
    (folder / "05b.json").write_text('{"resourceType": "Observation", "status": "x"}', "utf-8")
    (folder / "07b.json").write_text("not json", "utf-8")
    (folder / "08b.ndjson").write_text('{"resourceType": "Basic", "code": {}}\n', "utf-8")
    (folder / "09b.json").write_text('{"resourceType": "Basic"}', "utf-8")
    validate = validation.validate

    def broken(data: bytes, *, path: str, fhir_version: str | None = None) -> Any:
        if path.endswith("09b.json"):
            raise ZeroDivisionError("boom")
        return validate(data, path=path, fhir_version=fhir_version)

    monkeypatch.setattr(validation, "validate", broken)
    files = sorted(str(p) for p in folder.iterdir())
    files.insert(3, str(folder / "missing.json"))  # cannot be read
    runs = [
        CliRunner().invoke(main, ["validate", *files, "--format", format, "--jobs", jobs])
        for jobs in ("1", "2")
    ]
    one, two = runs
    assert one.exit_code == ExitCode.INTERNAL_ERROR
    assert "internal error (ZeroDivisionError: boom)" in one.stderr
    assert "cannot read file" in one.stderr
    assert len(one.stderr.splitlines()) == len(files)
    assert (two.exit_code, two.stdout, two.stderr) == (one.exit_code, one.stdout, one.stderr)


# -- the JSON serializer ----------------------------------------------------------------------

EDGE_VALUES: list[Any] = [
    {},
    [],
    {"a": [], "b": {}, "c": [[], [{}], [[1]]]},
    {"s": "x\u2028\n\"\\é😀\x00\x1f\t", "é": True, "n": None, "f": False},
    {"int": -12, "big": 10**30, "float": 2.5, "e": 1e16, "neg0": -0.0, "tiny": 5e-324},
    {"nan": math.nan, "inf": -math.inf, "tuple": (1, "a")},
    {"a": 1, 2: 3, None: [{"x": {4: 5}}]},  # keys json.dumps converts
    [{"a": 1}, {"b": [{"c": 1.0}]}],
    "text",
    7,
    None,
]


@pytest.mark.parametrize("value", EDGE_VALUES, ids=range(len(EDGE_VALUES)))
def test_json_serializer_writes_what_json_dumps_writes(value: Any) -> None:
    assert SERIALIZERS["json"](value) == (
        json.dumps(value, ensure_ascii=False, indent=2) + "\n"
    ).encode("utf-8")


def test_json_serializer_reproduces_every_golden_bundle() -> None:
    goldens = sorted(GOLDEN.glob("*.json"))
    assert len(goldens) > 30
    for golden in goldens:
        data = golden.read_bytes()
        assert SERIALIZERS["json"](json.loads(data)) == data, golden.name


# -- writing: atomic files, synced together ----------------------------------------------------


def _three(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("warfarin-hospital-guide.html", "amlodipine-leaflet-uk.txt",
                 "infliximab-guide.md"):
        shutil.copyfile(ARTICLES / name, folder / name)
    return folder


def test_bundles_are_synced_together_not_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per-article files are renamed into place unsynced and made durable by one syncfs of
    their file system at the end of the run, before the manifest (itself fsynced) lists them."""
    events: list[str] = []
    real_fsync = pipeline.os.fsync

    def syncfs(fd: int) -> int:
        events.append("syncfs")
        return 0

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    monkeypatch.setattr(pipeline, "_syncfs", lambda: syncfs)
    monkeypatch.setattr(pipeline.os, "fsync", fsync)
    out = tmp_path / "out"
    report = pipeline.export([str(_three(tmp_path))], out, ExportOptions(
        output_format=OutputFormat.BOTH, jobs=1))
    assert report.errors == []
    assert len(list(out.glob("*.bundle.*"))) == 6
    assert events == ["syncfs", "fsync"]  # the bundles together, then the manifest


def test_a_failed_sync_is_one_error_and_the_files_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ctypes
    import errno

    def syncfs(fd: int) -> int:
        ctypes.set_errno(errno.EIO)
        return -1

    monkeypatch.setattr(pipeline, "_syncfs", lambda: syncfs)
    out = tmp_path / "out"
    report = pipeline.export([str(_three(tmp_path))], out, ExportOptions(jobs=1))
    assert [e.line() for e in report.errors] == [
        f"Error: {out}: cannot write ({os.strerror(errno.EIO)})."]
    assert len(list(out.glob("*.bundle.json"))) == 3


def test_ndjson_streamed_is_what_remembering_every_id_gives(tmp_path: Path) -> None:
    """--format ndjson remembers only the resources that do not name their article's
    DocumentReference; on the test articles that drops exactly the repeats that remembering
    every (type, id) drops, and what names the article never repeats across articles."""
    options = ExportOptions(output_format=OutputFormat.NDJSON, bundle_type=BundleType.BATCH,
                            jobs=1)
    articles = sorted(p for p in ARTICLES.iterdir() if p.suffix in (".txt", ".md", ".html"))
    expected: dict[str, dict[str, bytes]] = {}
    owner: dict[tuple[str, str], str] = {}
    total = 0
    for path in articles:
        exported = fhir_export.export_article(path.read_bytes(), path.name, options)
        lines = exported.outputs["ndjson"].splitlines(keepends=True)
        total += len(lines)
        doc = exported.resources[0]["id"]
        for resource, line in zip(exported.resources, lines, strict=True):
            key = (resource["resourceType"], resource["id"])
            expected.setdefault(key[0], {}).setdefault(key[1], line)
            if doc in json.dumps(resource):  # made from this article: never in another
                assert owner.setdefault(key, path.name) == path.name, key
    out = tmp_path / "out"
    report = pipeline.export_ndjson([str(p) for p in articles], out, options)
    assert report.errors == []
    written = {p.name: p.read_bytes() for p in out.glob("*.ndjson")}
    assert written == {f"{kind}.ndjson": b"".join(lines.values())
                       for kind, lines in expected.items()}
    assert sum(map(len, expected.values())) < total  # repeats were there to drop
