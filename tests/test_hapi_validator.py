"""The HAPI FHIR instance validator (the HL7 validator core, offline) on every golden output.

Software nobody on this team wrote, given HL7's definition of the derivation-reference
extension (FHIR extensions pack): R4 outputs must give no message at all; R5 outputs no error,
and only the warning (and its companion information) the offline validator cannot avoid: it has
no LOINC, so it cannot expand the LOINC-filtered value set DocumentReference.type is bound to.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import GOLDEN
from hapi_validator import hapi_validate
from test_spl_mapping import combination_label

from fhir_export.cli import main

R5_ACCEPTED = "Unable to expand ValueSet: cannot apply filters"
R5_ACCEPTED_INFO = "None of the codings provided are in the value set 'FHIR Document Type Codes'"


def test_r4_outputs_have_no_message_at_all() -> None:
    """Not even information: the derivation-reference extension is checked against HL7's
    definition of it (FHIR extensions pack), not reported as unknown."""
    files = sorted(GOLDEN.glob("*.json"))
    assert hapi_validate("R4", files) == []


def test_r5_outputs_have_no_error() -> None:
    """R5: one warning and its companion information per article, both about what the offline
    validator cannot do: expand the LOINC-filtered value set DocumentReference.type is bound
    to (our code, LOINC 34895-3, is in it)."""
    files = sorted((GOLDEN.parent / "golden-r5").glob("*.json"))
    messages = hapi_validate("R5", files)
    assert [m for m in messages if m[1] in ("ERROR", "FATAL")] == []
    other = [m for m in messages if R5_ACCEPTED not in m[3] and R5_ACCEPTED_INFO not in m[3]]
    assert other == []
    assert {m[2].rsplit(".", 1)[-1] for m in messages} <= {"type"}


@pytest.mark.parametrize("release", ["R4", "R5"])
def test_combination_product_output_is_valid(tmp_path: Path, release: str) -> None:
    """A label with a combination product and a single-active product (no golden article has
    one): its product MedicationKnowledge, ingredients, NDC codes and links are checked too."""
    source, out = tmp_path / "source", tmp_path / "out"
    source.mkdir()
    combination_label(source)
    done = CliRunner().invoke(
        main, ["export", str(source), "--out", str(out), "--fhir-version", release]
    )
    assert done.exit_code == 0, done.output
    bundle = out / "combo.bundle.json"
    assert '"relatedMedicationKnowledge"' in bundle.read_text("utf-8")
    messages = hapi_validate(release, [bundle])
    if release == "R5":
        messages = [m for m in messages if R5_ACCEPTED not in m[3] and R5_ACCEPTED_INFO not in m[3]]
    assert messages == []


def test_the_validator_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    text = (GOLDEN / "immunotherapy.json").read_text("utf-8")
    bad.write_text(text.replace('"status": "current"', '"status": "bogus"', 1), "utf-8")
    messages = hapi_validate("R4", [bad])
    assert any(m[1] == "ERROR" and "bogus" in m[3] for m in messages)


def test_misused_derivation_reference_is_an_error(tmp_path: Path) -> None:
    bundle = json.loads((GOLDEN / "immunotherapy.json").read_text("utf-8"))
    knowledge = next(e["resource"] for e in bundle["entry"]
                     if e["resource"]["resourceType"] == "MedicationKnowledge")
    extension = knowledge["extension"][0]
    assert extension["url"] == "http://hl7.org/fhir/StructureDefinition/derivation-reference"
    for part in extension["extension"]:
        if part["url"] == "offset":
            part["valueString"] = str(part.pop("valueInteger"))
    extension["extension"].append({"url": "page", "valueInteger": 3})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle), "utf-8")
    errors = [m[3] for m in hapi_validate("R4", [bad]) if m[1] == "ERROR"]
    assert any("allows for the type integer" in m for m in errors), errors
    assert any("Sub-extension url 'page' is not defined" in m for m in errors), errors
