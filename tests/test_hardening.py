"""Hardening (issue #15): no input stops the run, nothing is lost silently, costs stay linear.

Every hostile input here is written by the test itself. The contract: one bad input gives one
`Error: <path>: ...` line and the other inputs are still written; a bug (an unexpected
exception) gives `Error: <path>: internal error (<Type>: <message>); please report it with this
file`, its traceback in the --report JSON, and exit code 123.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fhir_export import article_export, bundling, parallel, segmentation
from fhir_export.cli import main
from fhir_export.errors import ExitCode
from fhir_export.mapping import r4
from fhir_export.serialization import SERIALIZERS

ARTICLE = """\
{name}: a guide for patients

What is {name}?

{name} is a medicine used to treat pain and fever. It may cause stomach bleeding.
"""
NAMES = ("aspirin", "ibuprofen", "naproxen")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(
        main, [str(a) for a in args], env={"SOURCE_DATE_EPOCH": None}, prog_name="fhir-export"
    )


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


def assert_no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stdout + result.stderr


def three_articles(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in NAMES:
        path = folder / f"{name}.txt"
        path.write_text(ARTICLE.format(name=name.capitalize()), encoding="utf-8")
        paths.append(path)
    return paths


def _failing(original: Callable[..., Any], where: Callable[..., bool]) -> Callable[..., Any]:
    def stage(*args: Any, **kwargs: Any) -> Any:
        if where(*args, **kwargs):
            raise ZeroDivisionError("boom in the middle\nof a stage")
        return original(*args, **kwargs)

    return stage


def _ibuprofen_text(*args: Any, **kwargs: Any) -> bool:
    return "Ibuprofen" in repr(args)


# each stage of the pipeline, made to raise for the second of three articles
STAGES: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "read": lambda mp: mp.setattr(
        parallel,
        "read_file",
        _failing(parallel.read_file, lambda path, **_: path.name == "ibuprofen.txt"),
    ),
    "segment": lambda mp: mp.setattr(
        segmentation,
        "segment",
        _failing(segmentation.segment, lambda raw: raw.name == "ibuprofen.txt"),
    ),
    "extract": lambda mp: mp.setattr(
        article_export, "extract", _failing(article_export.extract, _ibuprofen_text)
    ),
    "map": lambda mp: mp.setattr(r4, "map_article", _failing(r4.map_article, _ibuprofen_text)),
    "bundle": lambda mp: mp.setattr(
        bundling,
        "build",
        _failing(bundling.build, lambda *a, key, **k: key.endswith("ibuprofen.txt")),
    ),
    "serialize-json": lambda mp: mp.setitem(
        SERIALIZERS, "json", _failing(SERIALIZERS["json"], _ibuprofen_text)
    ),
}


# in this process, and in worker processes (forked: they inherit the failing stage)
JOBS = ["1", "2"] if sys.platform == "linux" else ["1"]


@pytest.mark.parametrize("jobs", JOBS)
@pytest.mark.parametrize("stage", sorted(STAGES))
def test_an_unexpected_exception_in_any_stage_stops_only_its_article(
    stage: str, jobs: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = three_articles(tmp_path / "in")
    STAGES[stage](monkeypatch)
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = run("export", tmp_path / "in", "--out", out, "--report", report, "--jobs", jobs)
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INTERNAL_ERROR == 123
    assert error_lines(result) == [
        f"Error: {src[1]}: internal error (ZeroDivisionError: boom in the middle of a stage); "
        "please report it with this file"
    ]
    assert sorted(p.name for p in out.glob("*.bundle.json")) == [
        "aspirin.bundle.json", "naproxen.bundle.json"]
    assert "1 failed" in result.stderr.splitlines()[-1]
    rows = {Path(a["path"]).name: a for a in json.loads(report.read_text())["articles"]}
    failed = rows["ibuprofen.txt"]
    assert failed["status"] == "failed"
    assert failed["stage"] == stage
    assert "Traceback" in failed["traceback"]
    assert "ZeroDivisionError: boom in the middle" in failed["traceback"]
    assert "traceback" not in rows["aspirin.txt"]


@pytest.mark.parametrize("jobs", JOBS)
@pytest.mark.parametrize("mode", [["--merge"], ["--format", "ndjson"]])
def test_an_unexpected_exception_stops_only_its_article_in_corpus_modes(
    mode: list[str], jobs: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = three_articles(tmp_path / "in")
    STAGES["extract"](monkeypatch)
    result = run("export", tmp_path / "in", "--out", tmp_path / "out", *mode, "--jobs", jobs)
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INTERNAL_ERROR
    assert [line.split(": internal error")[0] for line in error_lines(result)] == [
        f"Error: {src[1]}"
    ]
    assert "2 with content" in result.stderr.splitlines()[-1]


def test_an_unexpected_exception_with_out_dash_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = three_articles(tmp_path / "in")
    STAGES["extract"](monkeypatch)
    result = run("export", src[1], "--out", "-")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INTERNAL_ERROR
    assert error_lines(result) == [
        f"Error: {src[1]}: internal error (ZeroDivisionError: boom in the middle of a stage); "
        "please report it with this file"
    ]
    assert result.stdout == ""


def test_an_expected_failure_keeps_exit_code_1(tmp_path: Path) -> None:
    three_articles(tmp_path / "in")
    (tmp_path / "in" / "empty.txt").write_text("", encoding="utf-8")
    result = run("export", tmp_path / "in", "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.INPUT_FAILED


def _bundles(tmp_path: Path) -> list[Path]:
    three_articles(tmp_path / "in")
    assert run("export", tmp_path / "in", "--out", tmp_path / "out").exit_code == 0
    return sorted((tmp_path / "out").glob("*.bundle.json"))


def test_convert_reports_an_unexpected_exception_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fhir_export import convert

    bundles = _bundles(tmp_path)
    monkeypatch.setattr(
        convert, "convert", _failing(convert.convert, lambda *a, path, **k: "ibuprofen" in path)
    )
    result = run("convert", *bundles, "--to", "xml", "--out", tmp_path / "xml")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INTERNAL_ERROR
    assert error_lines(result) == [
        f"Error: {bundles[1]}: internal error (ZeroDivisionError: boom in the middle of a "
        "stage); please report it with this file"
    ]
    assert sorted(p.name for p in (tmp_path / "xml").iterdir()) == [
        "aspirin.bundle.xml",
        "naproxen.bundle.xml",
    ]
    one = run("convert", bundles[1], "--to", "xml", "--out", "-")
    assert_no_traceback(one)
    assert one.exit_code == ExitCode.INTERNAL_ERROR
    assert len(error_lines(one)) == 1


def test_validate_reports_an_unexpected_exception_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fhir_export import validation

    bundles = _bundles(tmp_path)
    monkeypatch.setattr(
        validation,
        "validate",
        _failing(validation.validate, lambda *a, path, **k: "ibuprofen" in path),
    )
    result = run("validate", *bundles)
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INTERNAL_ERROR
    assert error_lines(result) == [
        f"Error: {bundles[1]}: internal error (ZeroDivisionError: boom in the middle of a "
        "stage); please report it with this file"
    ]
    assert f"{bundles[0]}: 0 errors" in result.stderr
    assert f"{bundles[2]}: 0 errors" in result.stderr


def test_push_plan_reports_an_unexpected_exception_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fhir_export import push

    bundles = _bundles(tmp_path)
    monkeypatch.setattr(
        push, "_plan_bundle", _failing(push._plan_bundle, lambda *a: "ibuprofen" in a[1])
    )
    result = run("push", tmp_path / "out", "--server", "http://127.0.0.1:9/fhir", "--dry-run")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INTERNAL_ERROR
    assert [line.split(": internal error")[0] for line in error_lines(result)] == [
        f"Error: {bundles[1]}"
    ]
    assert result.stdout.count("POST ") == 2


# --------------------------------------------------------------------------------------------
# crashes: each input below once ended the whole run with a traceback
# --------------------------------------------------------------------------------------------

BODY = (
    "<h1>Aspirin</h1><p>Aspirin is a medicine used to treat pain and fever. "
    "It may cause stomach bleeding.</p>"
)


def page(head: str = "", body: str = BODY, html_attrs: str = "") -> str:
    return f"<html{html_attrs}><head>{head}<title>Aspirin</title></head><body>{body}</body></html>"


def export_ok(tmp_path: Path, name: str, data: bytes | str, *args: str) -> dict[str, Any]:
    """Export one article (JSON and XML), check our own validate passes both, return the JSON."""
    src = tmp_path / "in" / name
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    out = tmp_path / "out"
    result = run("export", src, "--out", out, "--format", "both", *args)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    outputs = sorted(out.glob("*.bundle.*"))
    assert len(outputs) == 2
    checked = run("validate", *outputs)
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    bundle: dict[str, Any] = json.loads(outputs[0].read_text(encoding="utf-8"))
    return bundle


@pytest.mark.parametrize(
    "label", ["rot13", "hex", "base64", "zlib", "bz2", "uu", "quopri", "undefined", "punycode"]
)
def test_a_python_codec_that_is_no_charset_is_ignored(tmp_path: Path, label: str) -> None:
    export_ok(tmp_path, "codec.html", page(f'<meta charset="{label}">'))


def test_whatwg_labels_decode_as_browsers_do() -> None:
    from fhir_export.sources.charsets import WHATWG, codec
    from fhir_export.sources.decode import decode

    assert codec(" KOI8-R ") == "koi8-r" and codec("latin1") == "windows-1252"
    assert codec("utf-16") == "utf-8"  # a <meta> cannot declare UTF-16
    assert codec("rot13") is None and codec("x-user-defined") is None
    assert len(WHATWG) > 200
    raw = page('<meta charset="koi8-r">', "<p>Аспирин</p>").encode("koi8-r")
    text, charset = decode(raw, path="p.html", media_type="text/html")
    assert "Аспирин" in text and charset == "koi8-r"


HOSTILE_CHARACTERS = "\ufffe\uffff\ufdd0\U0001fffe\U0010ffff"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("nonchar.txt", f"Aspirin\n\nAspirin{HOSTILE_CHARACTERS} is used to treat pain.\n"),
        ("nonchar.md", f"# Aspirin\n\nAspirin{HOSTILE_CHARACTERS} is used to treat pain.\n"),
        ("nonchar.html", page(body=f"<p>Aspirin{HOSTILE_CHARACTERS} is used to treat pain.</p>")),
        ("control.html", page(body="<script>x</script>\x01\x02\x0b\x0c" + BODY)),
        ("control.txt", "Aspirin\n\nAspirin is\x01 used to\x0b treat pain.\n"),
    ],
)
def test_noncharacters_and_controls_never_reach_the_output(
    tmp_path: Path, name: str, content: str
) -> None:
    bundle = export_ok(tmp_path, name, content)
    text = json.dumps(bundle["entry"][0]["resource"], ensure_ascii=False)
    assert "Aspirin is used to treat pain" in text or "Aspirin" in text
    for char in HOSTILE_CHARACTERS + "\x01\x02\x0b":
        assert char not in json.dumps(bundle, ensure_ascii=False)


@pytest.mark.parametrize(
    "json_ld",
    [
        '"just a string"',
        '{"headline": ["Aspirin", "again"], "publisher": 5, "author": null}',
        '{"headline": 7, "dateModified": ["2024-01-02"], "datePublished": {"x": 1}}',
        '{"@graph": [5, null, "x", {"headline": null, "publisher": [null]}]}',
        '{"@graph": "x"}',
        '{"@graph": {"headline": "Aspirin"}}',
        "null",
        "3",
        "[1, [2], null]",
    ],
)
def test_json_ld_of_any_shape_is_read_or_ignored(tmp_path: Path, json_ld: str) -> None:
    head = f'<script type="application/ld+json">{json_ld}</script>'
    export_ok(tmp_path, "ld.html", page(head))


def test_xhtml_whose_metadata_is_a_list(tmp_path: Path) -> None:
    xhtml = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en"><head><title>Aspirin</title>'
        '<script type="application/ld+json">{"headline": ["Aspirin", "A"]}</script>'
        f"</head><body>{BODY}</body></html>"
    )
    bundle = export_ok(tmp_path, "a.xhtml", xhtml)
    assert bundle["entry"][0]["resource"]["description"] == "Aspirin"


@pytest.mark.parametrize("release", ["R4", "R5"])
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("space.html", page(html_attrs=' lang=" en"')),
        ("junk.html", page(html_attrs=' lang="!!"')),
        (
            "date.md",
            "---\nlang: 2024-01-01\ntitle: Aspirin\n---\n\n# Aspirin\n\nAspirin is used.\n",
        ),
        ("under.md", "---\nlang: en_GB\n---\n\n# Aspirin\n\nAspirin is used to treat pain.\n"),
    ],
)
def test_a_malformed_language_becomes_a_valid_tag(
    tmp_path: Path, name: str, content: str, release: str
) -> None:
    bundle = export_ok(tmp_path, name, content, "--fhir-version", release)
    assert bundle["entry"][0]["resource"]["language"] == "en"


def test_language_tag() -> None:
    from fhir_export.metadata import language_tag

    assert language_tag(" en-GB ") == "en-GB"
    assert language_tag("en_US") == "en"
    assert language_tag("2024-01-01") is None
    assert language_tag("") is None and language_tag(None) is None


def test_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / os.fsdecode(b"caf\xe9.txt")).write_text(ARTICLE.format(name="Aspirin"))
    three_articles(folder)
    report = tmp_path / "report.json"
    result = run("export", folder, "--out", tmp_path / "out", "--report", report)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert f"{tmp_path}/out/caf\\xe9.bundle.json" in result.stdout.splitlines()
    paths = [a["path"] for a in json.loads(report.read_text(encoding="utf-8"))["articles"]]
    assert f"{folder}/caf\\xe9.txt" in paths
    written = tmp_path / "out" / os.fsdecode(b"caf\xe9.bundle.json")
    assert json.loads(written.read_bytes())["resourceType"] == "Bundle"


def test_names_with_newlines_and_terminal_escapes_are_printed_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "evil\n\x1b[31mred.txt").write_text("", encoding="utf-8")  # empty: an error line
    (folder / "fine\x1b]0;title\x07.txt").write_text(ARTICLE.format(name="Aspirin"))
    result = run("export", folder, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == [f"Error: {folder}/evil\\n\\x1b[31mred.txt: file is empty."]
    assert result.stdout == f"{tmp_path}/out/fine\\x1b]0;title\\x07.bundle.json\n"
    assert "\x1b" not in result.stdout + result.stderr


@pytest.mark.skipif(
    not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
    reason="root can read any folder",
)
def test_an_article_under_a_folder_the_user_cannot_search(tmp_path: Path) -> None:
    three_articles(tmp_path / "in" / "ok")
    locked = tmp_path / "in" / "locked"
    three_articles(locked)
    locked.chmod(0)
    try:
        whole = run("export", tmp_path / "in", "--out", tmp_path / "out")
        one = run("export", locked / "aspirin.txt", "--out", tmp_path / "out")
    finally:
        locked.chmod(0o755)
    assert_no_traceback(whole)
    assert whole.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(whole) == [f"Error: {locked}: cannot read folder (Permission denied)."]
    assert len(whole.stdout.splitlines()) == 3
    assert_no_traceback(one)
    assert error_lines(one) == [f"Error: {locked}/aspirin.txt: cannot read (Permission denied)."]


# --------------------------------------------------------------------------------------------
# cost: a run-on text (sentence ends lost) is read in time linear in its size
# --------------------------------------------------------------------------------------------


class _CountingPattern:
    """A compiled pattern (or a starts.Gated one) that counts the characters its searches are
    given to scan."""

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern
        self.scanned = 0

    def search(self, text: str, pos: int = 0, endpos: int = 2**63, *index: Any) -> Any:
        self.scanned += max(0, min(endpos, len(text)) - pos)
        return self.pattern.search(text, pos, endpos, *index)


# sentences that start in lower case: to the sentence splitter one run-on text
RUN_ON = "aspirin may cause bleeding, nausea and headache; ibuprofen can cause ulcers. "


@pytest.mark.parametrize("name", ["GATED_NEGATION", "_RELATIVE"])
def test_a_run_on_text_is_searched_back_a_bounded_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Each trigger in a run-on text looks back a bounded way, not to the text's start: the
    characters scanned grow with the text (2x), not with its square (4x)."""
    import importlib

    from fhir_export.options import ExportOptions
    from fhir_export.pipeline import render
    from fhir_export.report import ExportReport

    facts = importlib.import_module("fhir_export.extraction.facts")  # not the function
    scanned = []
    for repeats in (200, 400):
        counting = _CountingPattern(getattr(facts, name))
        monkeypatch.setattr(facts, name, counting)
        path = tmp_path / f"runon-{repeats}.txt"
        path.write_text("Aspirin: a guide\n\n" + RUN_ON * repeats + "\n", encoding="utf-8")
        render(path, ExportOptions(), ExportReport())
        scanned.append(counting.scanned)
    assert scanned[0] > 0
    assert scanned[1] < 2.5 * scanned[0], scanned
    assert scanned[1] < 300 * 1000 * 2, "about one reach (150 characters) per trigger"


# --------------------------------------------------------------------------------------------
# silent loss: deep nesting, a furniture-named wrapper around the whole article
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "depth"),
    [("div", 201), ("div", 300), ("b", 300), ("b", 3000), ("div", 5000), ("span", 10000)],
)
def test_deeply_nested_text_is_kept(tmp_path: Path, tag: str, depth: int) -> None:
    from fhir_export.sources import read_article

    nested = f"<{tag}>" * depth + "<p>Aspirin is used to treat pain.</p>" + f"</{tag}>" * depth
    path = tmp_path / "deep.html"
    path.write_text(page(body=f"<h1>Aspirin</h1>{nested}<p>It may cause stomach bleeding.</p>"))
    texts = [b.text for b in read_article(path, max_bytes=10**8).blocks]
    assert "Aspirin is used to treat pain." in texts
    assert "It may cause stomach bleeding." in texts


@pytest.mark.parametrize("heading", ["<h1>Aspirin</h1>", "<h2>Aspirin</h2>"])
@pytest.mark.parametrize("wrapper", ['class="related-content"', 'id="sidebar"', 'class="footer"'])
def test_a_furniture_named_wrapper_around_the_article_keeps_it(
    tmp_path: Path, wrapper: str, heading: str
) -> None:
    from fhir_export.sources import read_article

    body = f'<nav><a href="/">Home</a></nav><div {wrapper}>{heading}{BODY}{BODY}</div>'
    path = tmp_path / "wrapped.html"
    path.write_text(page(body=body))
    texts = " ".join(b.text for b in read_article(path, max_bytes=10**6).blocks)
    assert "Aspirin is a medicine used to treat pain and fever." in texts
    assert "Home" not in texts
