"""Hardening, part 2 (issue #15): hostile FHIR for convert and validate, symlinks and bounds,
operator mistakes. Every hostile input is written by the test itself; the contract is the one
of tests/test_hardening.py: one `Error: <path>: ...` line per bad input, never a traceback,
the other inputs still handled, the documented exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_hardening import _bundles, assert_no_traceback, error_lines, run

from fhir_export.errors import ExitCode

XHTML = "http://www.w3.org/1999/xhtml"


def _patient(div: Any) -> str:
    return json.dumps({"resourceType": "Patient", "text": {"status": "generated", "div": div}})


# each of these once ended `convert` with a traceback
HOSTILE: dict[str, tuple[str, str]] = {
    "empty-div.json": (_patient(""), "the narrative Patient.text.div is empty"),
    "doctype-div.json": (
        _patient(f'<!DOCTYPE x [<!ENTITY a "aaaa">]><div xmlns="{XHTML}">&a;</div>'),
        "the narrative Patient.text.div has a DOCTYPE or ENTITY declaration (refused; entities "
        "are never expanded)",
    ),
    "entity-div.json": (
        _patient(f'<div xmlns="{XHTML}">&a;</div>'),
        "the narrative Patient.text.div is not well-formed XHTML (Entity 'a' not defined, "
        "line 1, column 46)",
    ),
    "extra-after-div.json": (
        _patient(f'<div xmlns="{XHTML}">x</div><p>more</p>'),
        "the narrative Patient.text.div is not well-formed XHTML (Extra content at the end of "
        "the document, line 1, column 50)",
    ),
    "deep.json": ("[" * 100_000 + "]" * 100_000, "JSON nested deeper than 100 levels"),
    "deep-inside.json": (
        '{"resourceType": "Patient", "extension": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "JSON nested deeper than 100 levels",
    ),
    "type-error.json": (  # the models raise TypeError on a number as an entry's resourceType
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {"resourceType": 5}}],
            }
        ),
        'not valid FHIR R4 or R5 (can only concatenate str (not "int") to str)',
    ),
    "wrong-type.json": (
        json.dumps({"resourceType": "Patient", "name": 5}),
        "not valid FHIR R4 or R5 (name: Input should be a valid list)",
    ),
    "doctype.xml": (
        '<?xml version="1.0"?><!DOCTYPE Patient [<!ENTITY a "aaaa">]>'
        '<Patient xmlns="http://hl7.org/fhir"><id value="&a;"/></Patient>',
        "XML with a DOCTYPE is refused (entities are never expanded)",
    ),
    "deep-elements.xml": (
        '<Patient xmlns="http://hl7.org/fhir">' + "<extension>" * 150 + "</extension>" * 150
        + "</Patient>",
        "XML nested deeper than 100 levels",
    ),
}


def test_convert_reports_hostile_fhir_one_line_each_and_converts_the_rest(
    tmp_path: Path,
) -> None:
    good = _bundles(tmp_path)
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    for name, (content, _) in HOSTILE.items():
        (hostile / name).write_text(content, encoding="utf-8")
    paths = [good[0], *(hostile / name for name in HOSTILE), good[1]]
    result = run("convert", *paths, "--to", "xml", "--out", tmp_path / "xml")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == [
        f"Error: {hostile / name}: {problem}." for name, (_, problem) in HOSTILE.items()
    ]
    assert sorted(p.name for p in (tmp_path / "xml").iterdir()) == [
        "aspirin.bundle.xml",
        "ibuprofen.bundle.xml",
    ]
    assert result.stderr.splitlines()[-1] == f"2 converted, {len(HOSTILE)} failed"


@pytest.mark.parametrize("name", ["empty-div.json", "deep.json", "type-error.json"])
def test_convert_to_stdout_reports_hostile_fhir_in_one_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(HOSTILE[name][0], encoding="utf-8")
    result = run("convert", path, "--to", "xml", "--out", "-")
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == [f"Error: {path}: {HOSTILE[name][1]}."]
    assert result.stdout == ""


def test_validate_reports_hostile_fhir_as_issues_and_validates_the_rest(tmp_path: Path) -> None:
    good = _bundles(tmp_path)
    for name, (content, _) in HOSTILE.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    result = run("validate", good[0], *(tmp_path / n for n in HOSTILE), good[1])
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == []  # no internal error: each is an issue of its file
    for name in HOSTILE:
        assert f"{tmp_path / name}: error: " in result.stdout
        assert f"{tmp_path / name}: 0 errors" not in result.stderr
    assert f"{good[0]}: 0 errors" in result.stderr
    assert f"{good[1]}: 0 errors" in result.stderr


def test_validate_reads_no_more_than_its_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file is read with a cap (so /dev/zero is not read to the end before the size check):
    one byte over the limit is enough to refuse it."""
    from fhir_export.convert import MAX_BYTES

    big = tmp_path / "big.json"
    with big.open("wb") as handle:  # sparse: no disk used
        handle.truncate(3 * MAX_BYTES)
    sizes: list[int] = []
    real_open = open

    def spy(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(path, mode, *args, **kwargs)
        if str(path) == str(big):
            original = handle.read

            def read(n: int = -1) -> Any:
                sizes.append(n)
                return original(n)

            handle.read = read
        return handle

    monkeypatch.setattr("builtins.open", spy)
    result = run("validate", big)
    assert_no_traceback(result)
    assert sizes == [MAX_BYTES + 1]
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert result.stdout == f"{big}: error: (document): file is over the {MAX_BYTES} byte limit\n"
