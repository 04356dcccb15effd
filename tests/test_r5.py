"""FHIR R5 output (`--fhir-version R5`): goldens, the official R5 schemas, the R5 models, XML
against JSON, determinism, references, and the seed article's facts in their R5 places.

Goldens live in tests/data/golden-r5/ (same discovery as tests/test_golden.py; `pytest
--update-golden` rewrites them). R5 maps the very same Extraction as R4, so several tests here
compare the two releases fact by fact.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conformance import (
    require_r5_schemas,
    require_schemas,
    validate_r4_json,
    validate_r4_xml,
    validate_r5_json,
    validate_r5_xml,
)
from conftest import DATA, SEED, all_articles, render_both, resources
from lxml import etree

from fhir_export.cli import main
from fhir_export.extraction import extract
from fhir_export.identity import PATH_SYSTEM
from fhir_export.mapping import r4, r5
from fhir_export.mapping.common import DERIVATION
from fhir_export.mapping.ids import resource_id
from fhir_export.mapping.r4.article import MapContext
from fhir_export.options import BundleType, ExportOptions, OutputFormat
from fhir_export.pipeline import render
from fhir_export.report import ExportReport
from fhir_export.segmentation import segment
from fhir_export.sources import read_article
from fhir_export.terminology import default_lexicon

JSON = dict[str, Any]
GOLDEN_R5 = DATA / "golden-r5"
CASES = all_articles()
IDS = [p.name for p in CASES]
# what R5 no longer has, per resource type
R4_ONLY = {
    "MedicationKnowledge": {"synonym", "administrationGuidelines", "contraindication",
                            "intendedRoute"},
    "Device": {"deviceName"},
}


def render_r5(path: Path, bundle_type: BundleType = BundleType.TRANSACTION,
              ) -> tuple[JSON, bytes, bytes]:
    """(R5 bundle as parsed JSON, JSON bytes, XML bytes) for one article, nothing written."""
    options = ExportOptions(output_format=OutputFormat.BOTH, bundle_type=bundle_type,
                            fhir_version="R5")
    outputs, _ = render(path, options, ExportReport())
    return json.loads(outputs["json"]), outputs["json"], outputs["xml"]


@pytest.fixture(scope="module")
def seed_r5() -> JSON:
    return render_r5(SEED)[0]


def _canonical_xml(data: bytes) -> str:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    tree = etree.fromstring(data, parser)
    return etree.tostring(tree, method="c14n2", strip_text=True).decode("utf-8")


def _walk(value: Any) -> list[JSON]:
    """Every object inside value, depth first."""
    if isinstance(value, dict):
        return [value] + [d for v in value.values() for d in _walk(v)]
    if isinstance(value, list):
        return [d for v in value for d in _walk(v)]
    return []


def _by_url(bundle: JSON) -> dict[str, JSON]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


# --- goldens, schemas, models -----------------------------------------------------------------

@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_golden_r5(path: Path, update_golden: bool) -> None:
    bundle, _, xml = render_r5(path)
    stem = path.name.rsplit(".", 1)[0]
    json_file = GOLDEN_R5 / f"{stem}.json"
    xml_file = GOLDEN_R5 / f"{stem}.xml"
    if update_golden or not json_file.exists():
        GOLDEN_R5.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", "utf-8")
        xml_file.write_bytes(xml)
        if not update_golden:
            pytest.fail(f"R5 golden files were missing for {path.name}: written, review them")
    assert bundle == json.loads(json_file.read_text("utf-8"))
    assert _canonical_xml(xml) == _canonical_xml(xml_file.read_bytes())


def test_every_r5_golden_has_an_article() -> None:
    stems = {p.name.rsplit(".", 1)[0] for p in CASES}
    files = {p.name.rsplit(".", 1)[0] for p in GOLDEN_R5.iterdir()}
    assert files == stems


@pytest.mark.parametrize("bundle_type", list(BundleType), ids=[b.value for b in BundleType])
@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_valid_against_official_r5_schemas(path: Path, bundle_type: BundleType) -> None:
    require_r5_schemas()
    bundle, _, xml = render_r5(path, bundle_type)
    assert validate_r5_json(bundle) == []
    assert validate_r5_xml(xml) == []


def test_r5_validators_tell_the_releases_apart() -> None:
    """The R5 schemas refuse the R4 bundle and the R4 schemas the R5 one, so the tests above
    prove R5, not 'valid in either'."""
    require_r5_schemas()
    require_schemas()
    r4_bundle, _, r4_xml = render_both(SEED)
    r5_bundle, _, r5_xml = render_r5(SEED)
    assert any("administrationGuidelines" in m for m in validate_r5_json(r4_bundle))
    assert any("synonym" in m for m in validate_r5_xml(r4_xml))
    assert any("ClinicalUseDefinition" in m for m in validate_r4_json(r5_bundle))
    assert validate_r4_xml(r5_xml) != []


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_r5_models_read_every_resource(path: Path) -> None:
    from fhir.resources.bundle import Bundle

    bundle, _, _ = render_r5(path)
    model = Bundle.model_validate(bundle)
    for entry in model.entry or ():
        assert type(entry.resource).__module__.startswith("fhir.resources.")
        assert ".R4B." not in type(entry.resource).__module__
    types = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert "DetectedIssue" not in types
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert not R4_ONLY.get(resource["resourceType"], set()) & set(resource)
        if resource["resourceType"] == "DocumentReference":
            assert "context" not in resource
            assert all(isinstance(c["attachment"]["size"], str) for c in resource["content"])


def _int64_sizes(value: Any) -> Any:
    """fhir.resources dumps integer64 (Attachment.size) as a JSON number; R5 JSON writes it
    as a string (https://hl7.org/fhir/R5/json.html#primitive), as we do."""
    if isinstance(value, dict):
        out = {k: _int64_sizes(v) for k, v in value.items()}
        if "contentType" in out and isinstance(out.get("size"), int):
            out["size"] = str(out["size"])
        return out
    if isinstance(value, list):
        return [_int64_sizes(v) for v in value]
    return value


def _normalize_divs(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _normalize_divs(v) for k, v in value.items()}
        if isinstance(out.get("div"), str):
            out["div"] = _canonical_xml(out["div"].strip().encode("utf-8"))
        return out
    if isinstance(value, list):
        return [_normalize_divs(v) for v in value]
    return value


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_xml_carries_exactly_the_json_content(path: Path) -> None:
    from fhir.resources.bundle import Bundle

    bundle, _, xml = render_r5(path)
    parsed = Bundle.model_validate_xml(xml)
    back = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert _normalize_divs(_int64_sizes(back)) == _normalize_divs(bundle)


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_same_input_same_bytes(path: Path) -> None:
    _, json_a, xml_a = render_r5(path)
    _, json_b, xml_b = render_r5(path)
    assert json_a == json_b
    assert xml_a == xml_b
    assert json_a.endswith(b"\n") and json_a.decode("utf-8")


@pytest.mark.parametrize("bundle_type", list(BundleType), ids=[b.value for b in BundleType])
@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_references_resolve_inside_the_bundle(path: Path, bundle_type: BundleType) -> None:
    bundle, _, _ = render_r5(path, bundle_type)
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls))
    if bundle_type is BundleType.BATCH:
        targets = {f"{e['resource']['resourceType']}/{e['resource']['id']}"
                   for e in bundle["entry"]}
    else:
        targets = set(urls)
    refs = [d["reference"] for d in _walk(bundle) if isinstance(d.get("reference"), str)]
    assert refs and set(refs) <= targets


# --- the same facts as R4, in R5's places ------------------------------------------------------

def _mapped(path: Path) -> tuple[list[JSON], list[JSON]]:
    article = segment(read_article(path, max_bytes=10 * 1024 * 1024))
    extraction = extract(article, default_lexicon())
    context = MapContext(recorded="2025-01-01T00:00:00Z")
    return (r4.map_article(article, extraction, context),
            r5.map_article(article, extraction, context))


def _derivations(resources_: list[JSON]) -> set[tuple[int, int]]:
    out = set()
    for d in _walk(resources_):
        if d.get("url") == DERIVATION:
            parts = {e["url"]: e for e in d["extension"]}
            if "offset" in parts:
                out.add((parts["offset"]["valueInteger"], parts["length"]["valueInteger"]))
    return out


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_r5_maps_exactly_the_facts_r4_maps(path: Path) -> None:
    four, five = _mapped(path)
    # ClinicalUseDefinitions are keyed like R4's DetectedIssues; indications are added
    issue_keys = {r["@key"] for r in four if r["resourceType"] == "DetectedIssue"}
    uses = [r for r in five if r["resourceType"] == "ClinicalUseDefinition"]
    assert {r["@key"] for r in uses if r["type"] != "indication"} == issue_keys
    for use in uses:
        assert use["id"] == resource_id("ClinicalUseDefinition", use["@key"])
        assert use["@key"].split("|")[-2] == use["@kind"]
    r4_indications = sum(len(r.get("administrationGuidelines", ())) for r in four)
    assert sum(r["type"] == "indication" for r in uses) == r4_indications
    # every other resource keeps its id; the same sentences are cited, offset for offset
    assert ({r["id"] for r in four if r["resourceType"] != "DetectedIssue"}
            == {r["id"] for r in five if r["resourceType"] != "ClinicalUseDefinition"})
    assert _derivations(four) == _derivations(five)
    # same entry order idea: every MedicationKnowledge is followed by its own definitions
    owner = None
    for r in five:
        if r["resourceType"] == "MedicationKnowledge":
            owner = r["@key"]
        elif r["resourceType"] == "ClinicalUseDefinition":
            assert owner is not None and r["@key"].startswith(owner + "|")


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_medication_knowledge_points_at_each_of_its_definitions_once(path: Path) -> None:
    bundle, _, _ = render_r5(path)
    by_url = _by_url(bundle)
    pointed: list[str] = []
    for mk in resources(bundle, "MedicationKnowledge"):
        issues = [r["reference"] for r in mk.get("clinicalUseIssue", ())]
        assert all(by_url[u]["type"] != "indication" for u in issues)
        indications = [i for g in mk.get("indicationGuideline", ()) for i in g["indication"]]
        for indication in indications:
            use = by_url[indication["reference"]["reference"]]
            assert use["type"] == "indication"
            # the concept is the definition's own, derivation-reference included
            assert indication["concept"] == use["indication"]["diseaseSymptomProcedure"]["concept"]
        pointed += issues + [i["reference"]["reference"] for i in indications]
    uses = {f"urn:uuid:{r['id']}" for r in resources(bundle, "ClinicalUseDefinition")}
    assert sorted(pointed) == sorted(uses)


def _r5_mk(bundle: JSON, name: str) -> JSON:
    found = [r for r in resources(bundle, "MedicationKnowledge")
             if name in r["code"]["text"].casefold()]
    assert len(found) == 1, name
    return found[0]


def _uses(bundle: JSON, mk: JSON, use_type: str) -> list[JSON]:
    by_url = _by_url(bundle)
    return [by_url[r["reference"]] for r in mk.get("clinicalUseIssue", ())
            if by_url[r["reference"]]["type"] == use_type]


def test_seed_interferon_depression_is_an_undesirable_effect(seed_r5: JSON) -> None:
    mk = _r5_mk(seed_r5, "interferon")
    effects = _uses(seed_r5, mk, "undesirable-effect")
    texts = [u["undesirableEffect"]["symptomConditionEffect"]["concept"]["text"] for u in effects]
    assert texts == ["depression", "suicidal thoughts"]
    depression = effects[0]
    # keyed by the article's identity (its path below the input root: here its name)
    assert depression["id"] == resource_id(
        "ClinicalUseDefinition",
        f"{PATH_SYSTEM}|immunotherapy.txt|interferons|side-effect|depression",
    )
    # R5 5.0.0 ClinicalUseDefinition.subject may not reference MedicationKnowledge: the link
    # is MedicationKnowledge.clinicalUseIssue (checked above), and no subject is written
    assert "subject" not in depression
    # the derivation-reference is R4's, on the coded concept
    r4_bundle = render_both(SEED)[0]
    r4_issue = next(r for r in resources(r4_bundle, "DetectedIssue")
                    if r["evidence"][0]["code"][0]["text"] == "depression")
    assert (depression["undesirableEffect"]["symptomConditionEffect"]["concept"]
            == r4_issue["evidence"][0]["code"][0])
    assert depression["extension"] == r4_issue["extension"]
    assert "indicationGuideline" not in mk  # the scraper lost the list: nothing invented


def test_seed_trastuzumab_heart_failure_is_an_undesirable_effect(seed_r5: JSON) -> None:
    mk = _r5_mk(seed_r5, "trastuzumab")
    assert mk["name"] == ["Herceptin"]
    assert [u["undesirableEffect"]["symptomConditionEffect"]["concept"]["text"]
            for u in _uses(seed_r5, mk, "undesirable-effect")] == ["heart failure"]
    assert len(mk["clinicalUseIssue"]) == 1


def test_seed_rituximab_indication_guideline(seed_r5: JSON) -> None:
    mk = _r5_mk(seed_r5, "rituximab")
    assert mk["name"] == ["Rituxan"]
    indications = [i for g in mk["indicationGuideline"] for i in g["indication"]]
    assert [i["concept"]["text"].casefold() for i in indications] == [
        "non-hodgkin's lymphoma", "chronic lymphocytic leukemia", "rheumatoid arthritis"]
    assert {i["concept"]["coding"][0]["code"] for i in indications} == {
        "C85.90", "C91.10", "M06.9"}
    assert all(i["concept"]["extension"][0]["url"] == DERIVATION for i in indications)
    by_url = _by_url(seed_r5)
    for indication in indications:
        use = by_url[indication["reference"]["reference"]]
        assert use["type"] == "indication"
    assert mk["medicineClassification"][0]["classification"][0]["text"] == "monoclonal antibody"


def test_seed_has_no_intended_route(seed_r5: JSON) -> None:
    for mk in resources(seed_r5, "MedicationKnowledge"):
        assert "definitional" not in mk


def test_routes_go_to_definitional_intended_route() -> None:
    with_routes = [p for p in CASES
                   if any(r.get("intendedRoute") for r in resources(render_both(p)[0],
                                                                    "MedicationKnowledge"))]
    assert with_routes  # at least one article states a route
    four, five = render_both(with_routes[0])[0], render_r5(with_routes[0])[0]
    assert ([r.get("intendedRoute") for r in resources(four, "MedicationKnowledge")]
            == [r.get("definitional", {}).get("intendedRoute")
                for r in resources(five, "MedicationKnowledge")])


def test_seed_document_device_and_provenance(seed_r5: JSON) -> None:
    doc = resources(seed_r5, "DocumentReference")[0]
    assert doc["docStatus"] == "final" and doc["date"].endswith("T00:00:00Z")
    assert doc["author"][0]["display"] == "Harvard Health Publishing"
    assert "context" not in doc  # R5 has no context.related: Provenance lists what was made
    prov = resources(seed_r5, "Provenance")[0]
    made = {e["fullUrl"] for e in seed_r5["entry"]
            if e["resource"]["resourceType"] != "Provenance"}
    assert {t["reference"] for t in prov["target"]} == made
    assert prov["entity"][0]["what"]["reference"] == f"urn:uuid:{doc['id']}"
    device = resources(seed_r5, "Device")[0]
    assert device["name"] == [{"value": "fhir-export", "type": "user-friendly-name"}]


def test_default_stays_r4() -> None:
    assert ExportOptions().fhir_version == "R4"
    bundle = render_both(SEED)[0]
    assert resources(bundle, "DetectedIssue") and not resources(bundle, "ClinicalUseDefinition")


def test_unknown_fhir_version_is_a_usage_error() -> None:
    from fhir_export.errors import UsageError

    with pytest.raises(UsageError, match="R6"):
        render(SEED, ExportOptions(fhir_version="R6"), ExportReport())


# --- command line --------------------------------------------------------------------------

def _run(*args: str) -> Any:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("FHIR_EXPORT")}
    env["SOURCE_DATE_EPOCH"] = None
    return CliRunner().invoke(main, list(args), env=env, prog_name="fhir-export")


def test_cli_exports_r5(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / SEED.name).write_bytes(SEED.read_bytes())
    out = tmp_path / "out"
    result = _run("export", str(source), "--fhir-version", "R5", "--format", "both",
                  "--out", str(out))
    assert result.exit_code == 0, result.output
    stem = SEED.name.rsplit(".", 1)[0]
    written = json.loads((out / f"{stem}.bundle.json").read_text("utf-8"))
    assert written == render_r5(SEED)[0]
    assert resources(written, "ClinicalUseDefinition")
    xml = (out / f"{stem}.bundle.xml").read_bytes()
    assert b"<ClinicalUseDefinition>" in xml
    # R4 stays the default
    assert _run("export", str(source), "--out", str(tmp_path / "r4")).exit_code == 0
    r4_bundle = json.loads((tmp_path / "r4" / f"{stem}.bundle.json").read_text("utf-8"))
    assert resources(r4_bundle, "DetectedIssue")


def test_cli_rejects_unknown_fhir_version(tmp_path: Path) -> None:
    result = _run("export", str(SEED), "--fhir-version", "R6", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "R4" in result.stderr and "R5" in result.stderr
    assert not list(tmp_path.iterdir())


def test_cli_help_documents_fhir_version() -> None:
    result = _run("export", "--help")
    text = " ".join(result.stdout.split())
    assert "--fhir-version" in text and "R4|R5" in text and "default: R4" in text
