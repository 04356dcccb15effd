"""Hardening (issue #15): no input stops the run, nothing is lost silently, costs stay linear.

Every hostile input here is written by the test itself. The contract: one bad input gives one
`Error: <path>: ...` line and the other inputs are still written; a bug (an unexpected
exception) gives `Error: <path>: internal error (<Type>: <message>); please report it with this
file`, its traceback in the --report JSON, and exit code 123.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fhir_export import bundling, pipeline, segmentation
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
        pipeline,
        "read_article",
        _failing(pipeline.read_article, lambda path, **_: path.name == "ibuprofen.txt"),
    ),
    "segment": lambda mp: mp.setattr(
        segmentation,
        "segment",
        _failing(segmentation.segment, lambda raw: raw.name == "ibuprofen.txt"),
    ),
    "extract": lambda mp: mp.setattr(
        pipeline, "extract", _failing(pipeline.extract, _ibuprofen_text)
    ),
    "map": lambda mp: mp.setattr(r4, "map_article", _failing(r4.map_article, _ibuprofen_text)),
    "bundle": lambda mp: mp.setattr(
        bundling, "build", _failing(bundling.build, lambda *a, key, **k: key == "ibuprofen.txt")
    ),
    "serialize-json": lambda mp: mp.setitem(
        SERIALIZERS, "json", _failing(SERIALIZERS["json"], _ibuprofen_text)
    ),
}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_an_unexpected_exception_in_any_stage_stops_only_its_article(
    stage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = three_articles(tmp_path / "in")
    STAGES[stage](monkeypatch)
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = run("export", tmp_path / "in", "--out", out, "--report", report)
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INTERNAL_ERROR == 123
    assert error_lines(result) == [
        f"Error: {src[1]}: internal error (ZeroDivisionError: boom in the middle of a stage); "
        "please report it with this file"
    ]
    assert sorted(p.name for p in out.iterdir()) == ["aspirin.bundle.json", "naproxen.bundle.json"]
    assert "1 failed" in result.stderr.splitlines()[-1]
    rows = {Path(a["path"]).name: a for a in json.loads(report.read_text())["articles"]}
    failed = rows["ibuprofen.txt"]
    assert failed["status"] == "failed"
    assert failed["stage"] == stage
    assert "Traceback" in failed["traceback"]
    assert "ZeroDivisionError: boom in the middle" in failed["traceback"]
    assert "traceback" not in rows["aspirin.txt"]


@pytest.mark.parametrize("mode", [["--merge"], ["--format", "ndjson"]])
def test_an_unexpected_exception_stops_only_its_article_in_corpus_modes(
    mode: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = three_articles(tmp_path / "in")
    STAGES["extract"](monkeypatch)
    result = run("export", tmp_path / "in", "--out", tmp_path / "out", *mode)
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
    return sorted((tmp_path / "out").glob("*.json"))


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
