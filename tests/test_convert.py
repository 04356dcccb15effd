"""`fhir-export convert`: exact JSON <-> XML round trips; hostile XML refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import GOLDEN

from fhir_export.cli import main
from fhir_export.convert import convert

CASES = sorted(GOLDEN.glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_round_trips_are_exact(path: Path) -> None:
    xml = path.with_suffix(".xml").read_bytes()
    as_json = convert(xml, to="json", path="x")
    assert json.loads(as_json) == json.loads(path.read_text("utf-8"))
    assert as_json == path.read_bytes()  # same bytes as the exporter's own JSON
    assert convert(as_json, to="xml", path="x") == xml  # XML -> JSON -> XML, byte for byte


def test_cli_writes_beside_or_into_a_folder(tmp_path: Path) -> None:
    source = tmp_path / "seed.json"
    source.write_bytes((GOLDEN / "immunotherapy.json").read_bytes())
    runner = CliRunner()
    result = runner.invoke(main, ["convert", str(source), "--to", "xml"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{tmp_path / 'seed.xml'}\n"
    assert (tmp_path / "seed.xml").read_bytes() == (GOLDEN / "immunotherapy.xml").read_bytes()
    result = runner.invoke(main, ["convert", str(source), "--to", "xml", "--out", "-"])
    assert result.stdout_bytes == (GOLDEN / "immunotherapy.xml").read_bytes()
    same = runner.invoke(main, ["convert", str(source), "--to", "json"])
    assert same.exit_code == 1
    assert same.stderr.splitlines()[0] == (
        f"Error: {source}: is already JSON. Convert to the other format.")



def test_two_inputs_for_one_output_file_are_refused(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "x.json", tmp_path / "b" / "x.json"
    for path, golden in ((first, "immunotherapy"), (second, "trastuzumab-faq")):
        path.parent.mkdir()
        path.write_bytes((GOLDEN / f"{golden}.json").read_bytes())
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["convert", str(first), str(second), "--to", "xml",
                                       "--out", str(out)])
    assert result.exit_code == 1
    assert result.stdout == f"{out / 'x.xml'}\n"
    assert result.stderr.splitlines() == [
        f"converted {first} to {out / 'x.xml'}",
        f"Error: {second}: would be written to {out / 'x.xml'}, as {first} is. "
        "Convert them into different folders, or one at a time.",
        "1 converted, 1 failed",
    ]
    assert (out / "x.xml").read_bytes() == (GOLDEN / "immunotherapy.xml").read_bytes()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Organization xmlns="http://hl7.org/fhir"><name value="&lol3;"/></Organization>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Organization xmlns="http://hl7.org/fhir"><name value="&xxe;"/></Organization>"""


@pytest.mark.parametrize(("content", "message"), [
    (BILLION_LAUGHS, "XML with a DOCTYPE is refused (entities are never expanded)"),
    (XXE, "XML with a DOCTYPE is refused (entities are never expanded)"),
    (b"<Organization xmlns='http://hl7.org/fhir'><name value='x'/>", "not well-formed XML"),
    (b'{"name": "x"}', "JSON without a 'resourceType'"),
    (b'{"resourceType": "Nonsense"}', "'Nonsense' is not a FHIR R4 resource type"),
    (b'{"resourceType": "Organization", "active": "perhaps"}', "not valid FHIR R4"),
], ids=["billion-laughs", "xxe", "truncated", "no-type", "unknown-type", "invalid"])
def test_bad_input_is_one_error_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["convert", str(path), "--to", "json",
                                       "--fhir-version", "R4"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"Error: {path}: {message}") or lines[0].startswith(
        f"Error: {message}")
    assert "Traceback" not in result.output
    assert not (tmp_path / "bad.json").exists()


R5_CASES = sorted((GOLDEN.parent / "golden-r5").glob("*.json"))


@pytest.mark.parametrize("path", R5_CASES, ids=[p.stem for p in R5_CASES])
def test_r5_round_trips_are_exact(path: Path) -> None:
    xml = path.with_suffix(".xml").read_bytes()
    as_json = convert(xml, to="json", path="x", fhir_version="R5")
    assert json.loads(as_json) == json.loads(path.read_text("utf-8"))
    assert convert(as_json, to="xml", path="x", fhir_version="R5") == xml
