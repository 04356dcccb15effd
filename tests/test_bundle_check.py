"""bundle_check rejects every bundle fhir.resources' model validation rejects.

The export used to validate each finished Bundle with `Bundle.model_validate` (then ordered its
keys with in_spec_order); bundle_check replaces that. Proven here on the goldens (same output,
key order included) and on broken variants of them: every variant the old path rejects, the
new one rejects (the other way round it may be stricter: nulls, empty lists and objects, JSON types,
full required bindings).
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from json_tree import at, nodes

from fhir_export import bundling
from fhir_export.bundle_check import BundleCheckError, check

DATA = Path(__file__).parent / "data"
GOLDEN = {"R4": DATA / "golden", "R5": DATA / "golden-r5"}
CASES = [(v, p) for v, d in GOLDEN.items() for p in sorted(d.glob("*.json"))]
JSON = dict[str, Any]


def old_path(bundle: JSON, version: str) -> JSON:
    """What bundling.build did before bundle_check: validate through the models, then order."""
    model = bundling.bundle_model(version)
    return bundling.in_spec_order(model.model_validate(bundle), bundle)


def rejects_old(bundle: JSON, version: str) -> bool:
    try:
        old_path(bundle, version)
    except Exception:  # any refusal counts: pydantic's or in_spec_order's
        return True
    return False


def rejects_new(bundle: JSON, version: str) -> bool:
    try:
        check(bundling.bundle_model(version), bundle)
    except BundleCheckError:
        return True
    return False


@pytest.mark.parametrize(("version", "path"), CASES, ids=[f"{v}-{p.stem}" for v, p in CASES])
def test_golden_bundles_pass_with_the_old_paths_output(version: str, path: Path) -> None:
    bundle = json.loads(path.read_bytes())
    ours = check(bundling.bundle_model(version), bundle)
    theirs = old_path(bundle, version)
    assert json.dumps(ours) == json.dumps(theirs)  # same values, same key order


# -- broken variants ---------------------------------------------------------------------------

BAD_STRINGS = (" leading", "trailing ", "a  b\x00", "2020-13-45", "2021-02-30T25:00:00Z",
               "not a date", "has space", "urn:uuid:", "1.2.3", "-1", "0", "@#!")
BAD_VALUES: tuple[Any, ...] = (None, "", [], {}, 1, -1, 0, True, 1.5, "x", {"x": 1}, [None])


def _mutants(entry: JSON) -> Iterator[tuple[str, Any]]:
    """(kind, a function that breaks a copy of the entry in one place)."""
    for path, value in nodes(entry):
        parent_path, last = path[:-1], (path[-1] if path else None)

        def replace(new: Any, parent_path: tuple[Any, ...] = parent_path,
                    last: Any = last) -> Any:
            def apply(e: JSON) -> None:
                at(e, parent_path)[last] = new
            return apply

        if path:
            for bad in BAD_VALUES:
                yield "wrong type or value", replace(bad)
            if isinstance(value, list):
                yield "cardinality: a list as one value", replace(value[0])
                yield "null in a list", replace([*value, None])
            else:
                yield "cardinality: one value as a list", replace([value])
            if isinstance(value, str):
                for bad in BAD_STRINGS:
                    yield "bad primitive", replace(bad)
                yield "bad primitive", replace(value + " ")
                yield "bad primitive", replace(" " + value)
            if isinstance(at(entry, parent_path), dict):
                def drop(e: JSON, parent_path: tuple[Any, ...] = parent_path,
                         last: Any = last) -> None:
                    del at(e, parent_path)[last]
                yield "missing element", drop
        if isinstance(value, dict):
            def add(key: str, new: Any, path: tuple[Any, ...] = path) -> Any:
                def apply(e: JSON) -> None:
                    at(e, path)[key] = new
                return apply
            yield "unknown element", add("unknownElement", "x")
            yield "unknown element", add("_unknown", {"id": "x"})
            yield "resourceType", add("resourceType", "Patient")
            yield "resourceType", add("resourceType", "NotAResource")
            if any(k.startswith("value") for k in value):
                yield "two values of a choice", add("valueString", "x")
                yield "two values of a choice", add("valueBoolean", True)


def _variants(version: str, per_entry: int) -> list[tuple[str, JSON]]:
    """Broken variants of every golden bundle of a release: `per_entry` per entry (a fixed
    sample of its breaks), each in a bundle of that one entry, and the bundle's own breaks."""
    rng = random.Random(12)  # noqa: S311 (a fixed sample, not security)
    variants: list[tuple[str, JSON]] = []
    for path in sorted(GOLDEN[version].glob("*.json")):
        bundle = json.loads(path.read_bytes())
        for entry in bundle["entry"]:
            mutants = list(_mutants(entry))
            for kind, mutate in rng.sample(mutants, min(per_entry, len(mutants))):
                broken = copy.deepcopy(entry)
                mutate(broken)
                variants.append((kind, {**bundle, "entry": [broken]}))
        bundle_level = {k: v for k, v in bundle.items() if k != "entry"}
        for kind, mutate in _mutants(bundle_level):
            broken = copy.deepcopy(bundle_level)
            mutate(broken)
            variants.append((kind, {**broken, "entry": bundle["entry"][:1]}))
    return variants


@pytest.mark.parametrize("version", ["R4", "R5"])
def test_every_variant_the_models_reject_is_rejected(version: str) -> None:
    refused: Counter[str] = Counter()
    stricter: Counter[str] = Counter()
    missed = []
    for kind, bundle in _variants(version, 2):
        old, new = rejects_old(bundle, version), rejects_new(bundle, version)
        if old:
            refused[kind] += 1
            if not new:
                missed.append((kind, json.dumps(bundle)[:300]))
        elif new:
            stricter[kind] += 1
    assert not missed, missed[:5]
    # the sample exercised every kind of break the models refuse
    assert set(refused) >= {
        "wrong type or value", "cardinality: a list as one value",
        "cardinality: one value as a list", "null in a list", "bad primitive",
        "missing element", "unknown element", "resourceType", "two values of a choice",
    }, refused
    assert sum(refused.values()) > 800, refused


def test_named_breaks_are_rejected_by_both() -> None:
    """The breaks the issue names, one each, on a small bundle."""
    base = {
        "resourceType": "Bundle", "type": "collection",
        "entry": [{"fullUrl": "urn:uuid:9b0e2f4c-8d0a-5b4e-9a51-0f1e2d3c4b5a", "resource": {
            "resourceType": "MedicationKnowledge", "id": "mk1", "status": "active",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "372756006"}],
                     "text": "warfarin"},
            "synonym": ["Coumadin"],
        }}],
    }
    assert not rejects_old(base, "R4") and not rejects_new(base, "R4")
    resource = ("entry", 0, "resource")
    breaks: dict[str, tuple[tuple[Any, ...], Any]] = {
        "wrong type": ((*resource, "code"), "warfarin"),
        "missing required": (("entry", 0, "resource", "resourceType"), None),
        "bad primitive": ((*resource, "id"), "mk 1"),
        "bad code regex": ((*resource, "status"), " active"),
        "unknown element": ((*resource, "colour"), "red"),
        "cardinality": ((*resource, "synonym"), "Coumadin"),
        "list where one": ((*resource, "code", "text"), ["warfarin"]),
    }
    for name, (path, value) in breaks.items():
        broken = copy.deepcopy(base)
        if value is None:
            del at(broken, path[:-1])[path[-1]]
        else:
            at(broken, path[:-1])[path[-1]] = value
        assert rejects_old(broken, "R4"), name
        assert rejects_new(broken, "R4"), name


def test_stricter_than_the_models_where_fhir_json_is() -> None:
    """What the models let through but FHIR JSON forbids, refused, with the element's path."""
    bundle: JSON = {"resourceType": "Bundle", "type": "bogus"}  # a required binding
    assert not rejects_old(bundle, "R4")
    with pytest.raises(BundleCheckError, match=r"^type: 'bogus' is not a code"):
        check(bundling.bundle_model("R4"), bundle)
    for value in ([], None, "1"):  # empty list, null, a string for an integer
        loose = {"resourceType": "Bundle", "type": "collection",
                 "entry" if value != "1" else "total": value}
        assert not rejects_old(loose, "R4"), value
        assert rejects_new(loose, "R4"), value
    deep = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "Basic", "code": {"coding": [{"code": " x"}]}}}]}
    with pytest.raises(BundleCheckError) as caught:
        check(bundling.bundle_model("R4"), deep)
    assert caught.value.path == "entry[0].resource.code.coding[0].code"


def test_the_cache_of_accepted_values_stays_small() -> None:
    """Only short values are remembered (ids and narratives of every article would make
    memory grow with the run), and never more than its bound."""
    from fhir_export import bundle_check

    bundle_check._seen.clear()
    long_text = "x" * (bundle_check._SEEN_LENGTH + 1)
    for n in range(bundle_check._SEEN_MAX + 10):
        check(bundling.bundle_model("R4"), {"resourceType": "Bundle", "type": "collection",
                                            "id": f"b{n}"})
    assert len(bundle_check._seen) <= bundle_check._SEEN_MAX
    check(bundling.bundle_model("R4"), {"resourceType": "Bundle", "type": "collection",
                                        "identifier": {"value": long_text}})
    assert not any(long_text in key for key in bundle_check._seen)
