"""The HAPI FHIR instance validator (the HL7 validator core, offline) on every golden output.

Software nobody on this team wrote: R4 outputs must give no error and no warning; R5 outputs
no error, and only the one warning the offline validator cannot avoid (it has no LOINC, so it
cannot expand the LOINC-filtered value set DocumentReference.type is bound to). Information
messages (the derivation-reference extension is not in the R4 core package) are allowed.
"""

from __future__ import annotations

from pathlib import Path

from conftest import GOLDEN
from hapi_validator import hapi_validate

R5_ACCEPTED = "Unable to expand ValueSet: cannot apply filters"


def test_r4_outputs_have_no_error_and_no_warning() -> None:
    files = sorted(GOLDEN.glob("*.json"))
    messages = hapi_validate("R4", files)
    bad = [m for m in messages if m[1] in ("ERROR", "FATAL", "WARNING")]
    assert bad == []
    assert {m[0] for m in messages} <= {str(f) for f in files}


def test_r5_outputs_have_no_error() -> None:
    files = sorted((GOLDEN.parent / "golden-r5").glob("*.json"))
    messages = hapi_validate("R5", files)
    errors = [m for m in messages if m[1] in ("ERROR", "FATAL")]
    warnings = [m for m in messages if m[1] == "WARNING" and R5_ACCEPTED not in m[3]]
    assert errors == [] and warnings == []


def test_the_validator_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    text = (GOLDEN / "immunotherapy.json").read_text("utf-8")
    bad.write_text(text.replace('"status": "current"', '"status": "bogus"', 1), "utf-8")
    messages = hapi_validate("R4", [bad])
    assert any(m[1] == "ERROR" and "bogus" in m[3] for m in messages)
