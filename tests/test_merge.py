"""Corpus mode (--merge): one MedicationKnowledge per medicine, every article kept as a source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conformance import require_schemas, validate_r4_json, validate_r4_xml
from conftest import ARTICLES, SEED, all_articles, resources

from fhir_export.cli import main

DERIVATION = "http://hl7.org/fhir/StructureDefinition/derivation-reference"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], bytes, bytes]:
    out = tmp_path_factory.mktemp("corpus")
    result = CliRunner().invoke(main, ["export", str(SEED.parent), str(ARTICLES), "--merge",
                                       "--format", "both", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / "corpus.bundle.json"),
                                          str(out / "corpus.bundle.xml")]
    data = (out / "corpus.bundle.json").read_bytes()
    return json.loads(data), data, (out / "corpus.bundle.xml").read_bytes()


def _derivation_docs(concept: dict[str, Any]) -> set[str]:
    return {e["extension"][0]["valueReference"]["reference"]
            for e in concept.get("extension", []) if e["url"] == DERIVATION}


def test_one_knowledge_per_medicine_with_every_article_as_monograph(corpus: Any) -> None:
    bundle = corpus[0]
    mks = resources(bundle, "MedicationKnowledge")
    names = [mk["code"]["text"].casefold() for mk in mks]
    assert len(names) == len(set(names))  # one per medicine across the 28 articles
    docs = {f"urn:uuid:{d['id']}": d for d in resources(bundle, "DocumentReference")}
    assert len(docs) == len(all_articles())
    (trastuzumab,) = [mk for mk in mks if mk["code"]["text"].casefold() == "trastuzumab"]
    sources = {m["source"]["reference"] for m in trastuzumab["monograph"]}
    assert len(sources) == 4 and sources <= set(docs)
    assert "Herceptin" in trastuzumab["synonym"]


def test_a_fact_from_two_articles_keeps_both_sources(corpus: Any) -> None:
    (rituximab,) = [mk for mk in resources(corpus[0], "MedicationKnowledge")
                    if mk["code"]["text"].casefold() == "rituximab"]
    nhl = [g["indicationCodeableConcept"] for g in rituximab["administrationGuidelines"]
           if any(c["code"] == "C85.90" for c in g["indicationCodeableConcept"].get("coding", []))]
    assert len(nhl) == 1 and len(_derivation_docs(nhl[0])) == 2


def test_corpus_is_valid_r4_and_references_resolve(corpus: Any) -> None:
    require_schemas()
    bundle, _, xml = corpus
    assert validate_r4_json(bundle) == []
    assert validate_r4_xml(xml) == []
    urls = {e["fullUrl"] for e in bundle["entry"]}

    def refs(value: Any) -> list[str]:
        if isinstance(value, dict):
            own = [value["reference"]] if isinstance(value.get("reference"), str) else []
            return own + [r for v in value.values() for r in refs(v)]
        if isinstance(value, list):
            return [r for v in value for r in refs(v)]
        return []

    assert set(refs(bundle)) <= urls
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    assert len(ids) == len(set(ids))


def test_corpus_is_deterministic(tmp_path: Path, corpus: Any) -> None:
    result = CliRunner().invoke(main, ["export", str(SEED.parent), str(ARTICLES), "--merge",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert (tmp_path / "corpus.bundle.json").read_bytes() == corpus[1]


def test_r5_corpus(tmp_path: Path) -> None:
    require_schemas()
    from conformance import require_r5_schemas, validate_r5_json, validate_r5_xml

    require_r5_schemas()
    result = CliRunner().invoke(main, ["export", str(SEED.parent), str(ARTICLES), "--merge",
                                       "--fhir-version", "R5", "--format", "both",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    bundle = json.loads((tmp_path / "corpus.bundle.json").read_text("utf-8"))
    assert validate_r5_json(bundle) == []
    assert validate_r5_xml((tmp_path / "corpus.bundle.xml").read_bytes()) == []
    mks = resources(bundle, "MedicationKnowledge")
    (trastuzumab,) = [mk for mk in mks if mk["code"]["text"].casefold() == "trastuzumab"]
    assert len(trastuzumab["monograph"]) == 4
    cud = {f"urn:uuid:{r['id']}" for r in resources(bundle, "ClinicalUseDefinition")}
    issues = [r["reference"] for mk in mks for r in mk.get("clinicalUseIssue", [])]
    assert issues and set(issues) <= cud and len(issues) == len(set(issues))
