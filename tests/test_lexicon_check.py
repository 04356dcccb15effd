"""`fhir-export lexicon check`: each check can fail, and the shipped lexicon passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fhir_export.cli import main
from fhir_export.terminology.check import check, code_problem, loinc_ok, verhoeff_ok


def test_check_digits() -> None:
    assert verhoeff_ok("84114007") and not verhoeff_ok("84114008")
    assert loinc_ok("34895-3") and loinc_ok("44249-1") and not loinc_ok("34895-4")


@pytest.mark.parametrize(("system", "code"), [
    ("http://snomed.info/sct", "84114008"),
    ("http://loinc.org", "34895-4"),
    ("http://www.nlm.nih.gov/research/umls/rxnorm", "12a"),
    ("http://www.whocc.no/atc", "L01FA1"),
    ("http://fdasis.nlm.nih.gov", "4F4X42SYQ"),
    ("http://hl7.org/fhir/sid/icd-10-cm", "U0"),
])
def test_bad_code_formats(system: str, code: str) -> None:
    assert code_problem(system, code)


def _file(tmp_path: Path, entries: list[Any]) -> Path:
    path = tmp_path / "user.json"
    path.write_text(json.dumps({"schema": 1, "entries": entries}), "utf-8")
    return path


def test_shipped_lexicon_is_clean() -> None:
    assert [i.line() for i in check()] == []


def test_each_problem_is_reported(tmp_path: Path) -> None:
    path = _file(tmp_path, [
        {"id": "a", "kind": "drug", "preferred": "alphamab", "classes": ["missing-class"],
         "codings": [{"system": "http://snomed.info/sct", "code": "84114008", "verified": "V",
                      "source": "test"}]},
        {"id": "a", "kind": "drug", "preferred": "alphamab two"},
        {"id": "b", "kind": "drug", "preferred": "Herceptin"},
        {"id": "c", "kind": "nonsense", "preferred": "x"},
        {"id": "d", "kind": "drug", "preferred": "delta",
         "codings": [{"system": "http://loinc.org", "code": "34895-3", "verified": "maybe"}]},
    ])
    lines = [i.line() for i in check((path,))]
    where = str(path)
    assert f"{where}: error: a: http://snomed.info/sct|84114008 is not a SNOMED CT identifier " \
           "(format or Verhoeff check digit)" in lines
    assert f"{where}: error: a: id used twice in this file" in lines
    assert f"{where}: error: a: names class 'missing-class', which is no drug-class entry" in lines
    assert "lexicon: error: b, trastuzumab: the term 'herceptin' names more than one concept" \
           in lines
    assert any(line.startswith(f"{where}: error: c: has kind 'nonsense'") for line in lines)
    assert f"{where}: error: d: 34895-3: 'verified' must be one of V, V2, P, U" in lines


def test_cli_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["lexicon", "check"])
    assert ok.exit_code == 0 and ok.stdout == ""
    assert ok.stderr.strip() == "checked shipped lexicon: 0 errors, 0 warnings"
    bad = _file(tmp_path, [{"id": "z", "kind": "drug"}])
    result = runner.invoke(main, ["lexicon", "check", "--no-shipped", str(bad)])
    assert result.exit_code == 1
    assert result.stdout == f"{bad}: error: z: needs a text 'preferred'\n"
