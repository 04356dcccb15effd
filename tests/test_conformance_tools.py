"""The R4 schema validators in tests/conformance.py: they pass valid R4 and they CAN fail.

Needs the official schemas (scripts/fetch_fhir_schemas.sh); without them these tests skip
locally and fail under CI=true.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

try:
    import conformance
except ImportError:  # tests/ imported as a package
    from tests import conformance

validate_r4_json = conformance.validate_r4_json
validate_r4_xml = conformance.validate_r4_xml


@pytest.fixture(autouse=True)
def _schemas(request: pytest.FixtureRequest) -> None:
    # Every test here needs the schemas, except those that simulate their absence.
    if "_schemas_missing" not in request.fixturenames:
        conformance.require_schemas()


def _only(messages: list[str], *needles: str) -> None:
    """At least one message, and some message contains every needle."""
    assert messages, "expected the validator to report a problem"
    assert any(all(n in m for n in needles) for m in messages), messages


# --------------------------------------------------------------------------------------------
# R4 JSON samples (hand-written, R4 4.0.1 shapes)
# --------------------------------------------------------------------------------------------

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "pat-1",
    "text": {
        "status": "generated",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Jane Roe</p></div>',
    },
    "active": True,
    "name": [{"family": "Roe", "given": ["Jane"]}],
    "gender": "female",
    "birthDate": "1970-01-31",
}

MEDICATION_KNOWLEDGE: dict[str, Any] = {
    "resourceType": "MedicationKnowledge",
    "id": "mk-metformin",
    "code": {
        "coding": [
            {
                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": "6809",
                "display": "metformin",
            }
        ],
        "text": "Metformin",
    },
    "status": "active",
    "synonym": ["Glucophage"],
    "administrationGuidelines": [
        {"dosage": [{"type": {"text": "oral"}, "dosage": [{"text": "500 mg twice daily"}]}]}
    ],
}

DOCUMENT_REFERENCE: dict[str, Any] = {
    "resourceType": "DocumentReference",
    "id": "doc-1",
    "status": "current",
    "type": {"text": "Patient education article"},
    "date": "2024-05-01T10:00:00Z",
    "description": "About metformin",
    "content": [
        {
            "attachment": {
                "contentType": "text/html",
                "language": "en",
                "data": "PHA+SGVsbG88L3A+",
                "title": "Metformin",
            }
        }
    ],
}

QUESTIONNAIRE: dict[str, Any] = {
    "resourceType": "Questionnaire",
    "id": "q-1",
    "status": "draft",
    "title": "Did you understand?",
    "item": [
        {
            "linkId": "1",
            "text": "Take it with food?",
            "type": "choice",
            "answerOption": [
                {"valueCoding": {"code": "yes", "display": "Yes"}},
                {"valueCoding": {"code": "no", "display": "No"}},
            ],
        }
    ],
}

PROVENANCE: dict[str, Any] = {
    "resourceType": "Provenance",
    "id": "prov-1",
    "target": [{"reference": "DocumentReference/doc-1"}],
    "recorded": "2024-05-01T10:00:00.000+02:00",
    "agent": [{"who": {"display": "fhir-export"}}],
}

DETECTED_ISSUE: dict[str, Any] = {
    "resourceType": "DetectedIssue",
    "id": "di-1",
    "status": "final",
    "severity": "moderate",
    "detail": "Check kidney function before use.",
    "implicated": [{"reference": "MedicationKnowledge/mk-metformin"}],
}

SMALL_BUNDLE_RESOURCES = [
    PATIENT,
    MEDICATION_KNOWLEDGE,
    DOCUMENT_REFERENCE,
    QUESTIONNAIRE,
    PROVENANCE,
    DETECTED_ISSUE,
]


def _bundle(resources: list[dict[str, Any]], bundle_id: str = "b-1") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "type": "collection",
        "timestamp": "2024-05-01T10:00:00Z",
        "entry": [
            {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources
        ],
    }


def _with(resource: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(resource)
    result.update(changes)
    return result


# --------------------------------------------------------------------------------------------
# JSON: valid documents pass
# --------------------------------------------------------------------------------------------


def test_schema_file_is_r4() -> None:
    schema = json.loads(conformance.JSON_SCHEMA_PATH.read_text(encoding="utf-8"))
    assert (schema.get("$id") or schema.get("id")) == "http://hl7.org/fhir/json-schema/4.0"
    for name in (
        "MedicationKnowledge",
        "DocumentReference",
        "Questionnaire",
        "Provenance",
        "DetectedIssue",
        "Bundle",
    ):
        assert name in schema["definitions"]
        assert name in conformance.r4_resource_types()


@pytest.mark.parametrize("resource", SMALL_BUNDLE_RESOURCES, ids=lambda r: r["resourceType"])
def test_valid_resources_pass(resource: dict[str, Any]) -> None:
    assert validate_r4_json(resource) == []


def test_valid_bundle_passes() -> None:
    assert validate_r4_json(_bundle(SMALL_BUNDLE_RESOURCES)) == []


def test_json_text_is_accepted() -> None:
    assert validate_r4_json(json.dumps(PATIENT)) == []
    _only(validate_r4_json("{not json"), "not valid JSON")


# --------------------------------------------------------------------------------------------
# JSON: invalid documents fail, with messages that name the problem
# --------------------------------------------------------------------------------------------


def test_bad_status_code_fails() -> None:
    messages = validate_r4_json(_with(QUESTIONNAIRE, status="published"))
    _only(messages, "Questionnaire/q-1", "$.status", "'published' is not one of")
    messages = validate_r4_json(_with(DOCUMENT_REFERENCE, status="final"))
    _only(messages, "DocumentReference/doc-1", "$.status", "'final' is not one of")
    # NB (see scripts/SCHEMAS.md): the R4 JSON schema enumerates only some required codes.
    # MedicationKnowledge.status is a plain `code` in the JSON schema AND the XSD, so a bad
    # value there is caught by neither (only the HL7 validator checks that binding);
    # DetectedIssue.status is plain in the JSON schema but enumerated in the XSD.


def test_unknown_element_fails() -> None:
    messages = validate_r4_json(_with(PATIENT, nickname="JJ"))
    _only(messages, "Patient/pat-1", "'nickname' was unexpected")


def test_wrong_type_fails() -> None:
    _only(validate_r4_json(_with(PATIENT, active="yes")), "$.active", "not of type 'boolean'")
    _only(validate_r4_json(_with(PATIENT, birthDate=1970)), "$.birthDate", "not of type")
    _only(validate_r4_json(_with(PATIENT, name={"family": "Roe"})), "$.name", "not of type")


def test_bad_primitive_format_fails() -> None:
    _only(validate_r4_json(_with(PATIENT, birthDate="31.01.1970")), "$.birthDate", "match")
    # dateTime with hours but no time zone is not R4.
    _only(validate_r4_json(_with(DOCUMENT_REFERENCE, date="2024-05-01T10:00:00")), "$.date")
    # The schema's patterns are ECMAScript: '$' does not match before a trailing newline.
    _only(validate_r4_json(_with(PATIENT, gender="female\n")), "$.gender")
    _only(validate_r4_json(_with(PATIENT, id="pat-1\n")), "$.id", "does not match")


def test_missing_required_element_fails() -> None:
    # The JSON schema marks only complex elements as required (a primitive may be given as
    # `_element` with extensions only), so Provenance.agent is, Provenance.recorded is not.
    provenance = copy.deepcopy(PROVENANCE)
    del provenance["agent"]
    _only(validate_r4_json(provenance), "Provenance/prov-1", "'agent' is a required property")


def test_bundle_entry_errors_name_the_entry_resource() -> None:
    bad_doc = _with(DOCUMENT_REFERENCE, status="final")  # R4 DocumentReference: current|...
    messages = validate_r4_json(_bundle([PATIENT, bad_doc, QUESTIONNAIRE]))
    assert messages == [
        "DocumentReference/doc-1: $.entry[1].resource.status: 'final' is not one of "
        "['current', 'superseded', 'entered-in-error']"
    ]


def test_unknown_or_missing_resource_type_in_bundle_fails() -> None:
    bundle = _bundle([PATIENT])
    bundle["entry"].append({"resource": {"resourceType": "Medicine", "id": "x"}})
    bundle["entry"].append({"resource": {"id": "y"}})
    messages = validate_r4_json(bundle)
    _only(messages, "$.entry[1].resource", "'Medicine' is not an R4 resourceType")
    _only(messages, "$.entry[2].resource", "'resourceType' is a required property")


def test_contained_resources_are_validated_by_their_own_type() -> None:
    patient = _with(PATIENT, contained=[{"resourceType": "Organization", "id": "org", "name": 5}])
    _only(validate_r4_json(patient), "Organization/org", "$.contained[0].name", "not of type")


def test_bundle_level_errors() -> None:
    _only(validate_r4_json(_with(_bundle([PATIENT]), type="package")), "Bundle/b-1", "$.type")


@pytest.mark.parametrize(
    ("resource", "r5_only_element", "value"),
    [
        (
            MEDICATION_KNOWLEDGE,
            "indicationGuideline",
            [{"indication": [{"concept": {"text": "x"}}]}],
        ),
        (DOCUMENT_REFERENCE, "version", "2"),
        (PROVENANCE, "patient", {"reference": "Patient/pat-1"}),
    ],
    ids=[
        "MedicationKnowledge.indicationGuideline",
        "DocumentReference.version",
        "Provenance.patient",
    ],
)
def test_r5_only_elements_are_rejected(
    resource: dict[str, Any], r5_only_element: str, value: Any
) -> None:
    """Proves the schema is R4: elements introduced in R5 are unknown to it."""
    messages = validate_r4_json(_with(resource, **{r5_only_element: value}))
    _only(messages, f"'{r5_only_element}' was unexpected")


def test_twenty_entry_bundle_validates_fast() -> None:
    resources = []
    for i in range(20):
        template = SMALL_BUNDLE_RESOURCES[i % len(SMALL_BUNDLE_RESOURCES)]
        resources.append(_with(template, id=f"{template['id']}-{i}"))
    bundle = _bundle(resources)
    validate_r4_json(bundle)  # warm-up: the validator is built once per session
    start = time.perf_counter()
    assert validate_r4_json(bundle) == []
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"validating a 20-entry bundle took {elapsed:.3f} s"


# --------------------------------------------------------------------------------------------
# XML (fhir-single.xsd)
# --------------------------------------------------------------------------------------------

PATIENT_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<Patient xmlns="http://hl7.org/fhir">
  <id value="pat-1"/>
  <text>
    <status value="generated"/>
    <div xmlns="http://www.w3.org/1999/xhtml"><p>Jane Roe</p></div>
  </text>
  <active value="true"/>
  <name>
    <family value="Roe"/>
    <given value="Jane"/>
  </name>
  <gender value="female"/>
  <birthDate value="1970-01-31"/>
</Patient>
"""

BUNDLE_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<Bundle xmlns="http://hl7.org/fhir">
  <id value="b-1"/>
  <type value="collection"/>
  <timestamp value="2024-05-01T10:00:00Z"/>
  <entry>
    <fullUrl value="http://example.org/fhir/MedicationKnowledge/mk-metformin"/>
    <resource>
      <MedicationKnowledge>
        <id value="mk-metformin"/>
        <code>
          <coding>
            <system value="http://www.nlm.nih.gov/research/umls/rxnorm"/>
            <code value="6809"/>
            <display value="metformin"/>
          </coding>
          <text value="Metformin"/>
        </code>
        <status value="active"/>
        <synonym value="Glucophage"/>
      </MedicationKnowledge>
    </resource>
  </entry>
  <entry>
    <fullUrl value="http://example.org/fhir/DocumentReference/doc-1"/>
    <resource>
      <DocumentReference>
        <id value="doc-1"/>
        <status value="current"/>
        <type><text value="Patient education article"/></type>
        <date value="2024-05-01T10:00:00Z"/>
        <description value="About metformin"/>
        <content>
          <attachment>
            <contentType value="text/html"/>
            <language value="en"/>
            <data value="PHA+SGVsbG88L3A+"/>
            <title value="Metformin"/>
          </attachment>
        </content>
      </DocumentReference>
    </resource>
  </entry>
  <entry>
    <fullUrl value="http://example.org/fhir/Provenance/prov-1"/>
    <resource>
      <Provenance>
        <id value="prov-1"/>
        <target><reference value="DocumentReference/doc-1"/></target>
        <recorded value="2024-05-01T10:00:00.000+02:00"/>
        <agent><who><display value="fhir-export"/></who></agent>
      </Provenance>
    </resource>
  </entry>
</Bundle>
"""


def test_valid_xml_patient_passes() -> None:
    assert validate_r4_xml(PATIENT_XML) == []
    assert validate_r4_xml(PATIENT_XML.decode("utf-8")) == []


def test_valid_xml_bundle_passes() -> None:
    assert validate_r4_xml(BUNDLE_XML) == []


def test_xml_elements_in_wrong_order_fail() -> None:
    # R4 Patient: name comes before gender.
    swapped = PATIENT_XML.replace(b'  <gender value="female"/>\n', b"").replace(
        b"  <name>", b'  <gender value="female"/>\n  <name>'
    )
    assert swapped != PATIENT_XML
    _only(
        validate_r4_xml(swapped),
        "Patient/pat-1: line 10:",
        "Element '{http://hl7.org/fhir}name': This element is not expected",
    )


def test_xml_wrong_order_inside_bundle_entry_names_the_entry() -> None:
    # R4 DocumentReference: description comes after date.
    swapped = BUNDLE_XML.replace(b'        <description value="About metformin"/>\n', b"")
    swapped = swapped.replace(
        b'        <status value="current"/>',
        b'        <description value="About metformin"/>\n        <status value="current"/>',
    )
    _only(validate_r4_xml(swapped), "DocumentReference/doc-1", "status", "not expected")


def test_xml_bad_code_fails() -> None:
    bad = PATIENT_XML.replace(b'<gender value="female"/>', b'<gender value="woman"/>')
    _only(validate_r4_xml(bad), "Patient/pat-1", "woman")


def test_xml_bad_detected_issue_status_fails() -> None:
    # Caught by the XSD although the JSON schema has DetectedIssue.status as a plain code.
    xml = (
        b'<DetectedIssue xmlns="http://hl7.org/fhir"><id value="di-1"/>'
        b'<status value="done"/></DetectedIssue>'
    )
    _only(validate_r4_xml(xml), "DetectedIssue/di-1", "'done' is not an element of the set")


def test_xml_unknown_element_fails() -> None:
    bad = PATIENT_XML.replace(b"  <active", b'  <nickname value="JJ"/>\n  <active')
    _only(validate_r4_xml(bad), "nickname", "not expected")


def test_xml_r5_only_element_fails() -> None:
    bad = BUNDLE_XML.replace(
        b'        <synonym value="Glucophage"/>\n',
        b'        <synonym value="Glucophage"/>\n'
        b'        <indicationGuideline><indication><concept><text value="x"/></concept>'
        b"</indication></indicationGuideline>\n",
    )
    _only(validate_r4_xml(bad), "MedicationKnowledge/mk-metformin", "indicationGuideline")


def test_xml_malformed_fails() -> None:
    _only(
        validate_r4_xml(b"<Patient xmlns='http://hl7.org/fhir'><id value='x'/>"), "not well-formed"
    )


def test_xml_external_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE Patient [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
        '<Patient xmlns="http://hl7.org/fhir"><id value="p"/>'
        "<name><family>&x;</family></name></Patient>"
    ).encode()
    messages = validate_r4_xml(xxe)
    _only(messages, "DOCTYPE")
    assert all("TOP-SECRET-VALUE" not in m for m in messages), messages


# --------------------------------------------------------------------------------------------
# require_schemas(): skip locally, fail under CI
# --------------------------------------------------------------------------------------------


@pytest.fixture
def _schemas_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(conformance, "JSON_SCHEMA_PATH", tmp_path / "fhir.schema.json")
    monkeypatch.setattr(conformance, "XSD_DIR", tmp_path / "xsd")
    monkeypatch.setattr(conformance, "XSD_PATH", tmp_path / "xsd" / "fhir-single.xsd")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("FHIR_EXPORT_REQUIRE_SCHEMAS", raising=False)


@pytest.mark.usefixtures("_schemas_missing")
def test_require_schemas_skips_locally() -> None:
    assert not conformance.schemas_available()
    with pytest.raises(pytest.skip.Exception, match="R4 schemas not fetched"):
        conformance.require_schemas()


@pytest.mark.usefixtures("_schemas_missing")
@pytest.mark.parametrize(("var", "value"), [("CI", "true"), ("FHIR_EXPORT_REQUIRE_SCHEMAS", "1")])
def test_require_schemas_fails_in_ci(monkeypatch: pytest.MonkeyPatch, var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(pytest.fail.Exception, match=r"run scripts/fetch_fhir_schemas\.sh"):
        conformance.require_schemas()
