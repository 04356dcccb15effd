"""validate's fast structural check (fhir_export.validation.structure) rejects everything
fhir.resources' models reject: the models are skipped only when it says yes.

Broken variants of a golden bundle (R4 and R5) and of hand-written resources of other types
are made mechanically, at every element of the bundle: the element deleted, its value replaced
by a value of every other JSON kind, an unknown property added, a second type for a choice
element, bad dates, numbers out of range, broken primitive extensions, unknown resource
types. For each variant the models refuse, the check must refuse it too; the test also counts
them, so that it cannot pass by making no variant at all.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import GOLDEN
from json_tree import at, nodes
from pydantic import ValidationError

from fhir_export.convert import _model_class
from fhir_export.errors import SourceError
from fhir_export.validation import validate
from fhir_export.validation.structure import conforms

SEEDS = {"R4": GOLDEN / "immunotherapy.json",
         "R5": GOLDEN.parent / "golden-r5" / "immunotherapy.json"}
OTHERS = [
    {"resourceType": "Patient", "id": "p1", "active": True, "gender": "female",
     "birthDate": "1970-01-31", "name": [{"family": "Doe", "given": ["Jane", "Q"]}],
     "_birthDate": {"extension": [{"url": "http://example.org/x", "valueString": "y"}]},
     "multipleBirthInteger": 2, "telecom": [{"system": "phone", "value": "123"}]},
    {"resourceType": "Observation", "status": "final", "code": {"text": "Weight"},
     "effectiveDateTime": "2024-01-31T10:00:00Z",
     "valueQuantity": {"value": 70.5, "unit": "kg", "system": "http://unitsofmeasure.org",
                       "code": "kg"},
     "component": [{"code": {"text": "x"}, "valueInteger": 3}]},
]
# Replacements for a value, by what it is now.
STRINGS: list[Any] = [12, True, "", "  ", {"a": "b"}, ["x"], None, "2023-02-30", "a b",
                      "x" * 70, -1]
NUMBERS: list[Any] = ["5", -1, 0, 1.5, 2**40, True, None, [1]]
BOOLEANS: list[Any] = ["true", 1, 0, None, [True]]
OBJECTS: list[Any] = ["text", 3, [], {}, None, {"shoeSize": 1}]


def _variants(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path in [path for path, _ in nodes(resource)]:
        if not path:
            continue
        parent_path, last = path[:-1], path[-1]
        value = at(resource, path)

        def changed(new: Any, parent_path: Any = parent_path, last: Any = last) -> Any:
            copied = copy.deepcopy(resource)
            at(copied, parent_path)[last] = new
            return copied

        if isinstance(last, str):  # deleted
            copied = copy.deepcopy(resource)
            del at(copied, parent_path)[last]
            yield copied
        if isinstance(value, bool):
            replacements = BOOLEANS
        elif isinstance(value, int | float):
            replacements = NUMBERS
        elif isinstance(value, str):
            replacements = STRINGS
        elif isinstance(value, dict):
            replacements = OBJECTS
            copied = changed({**value, "shoeSize": 1})
            yield copied
            if "resourceType" in value:
                yield changed({**value, "resourceType": "Nonsense"})
                yield changed({**value, "resourceType": "DomainResource"})
            choice = next((k for k in value if k.startswith("value") and k[5:6].isupper()),
                          None)
            if choice is not None:
                yield changed({**value, "valueBoolean": True, "valueString": "two"})
            yield changed([value])  # a single element given as an array
        else:  # a list
            replacements = [value[0], [], [None], "x"] if value else [[]]
        for replacement in replacements:
            yield changed(replacement)
        if isinstance(last, str) and not last.startswith("_") and isinstance(value, str):
            parent = at(resource, parent_path)
            if isinstance(parent, dict):
                copied = copy.deepcopy(resource)
                at(copied, parent_path)["_" + last] = {"shoeSize": 1}
                yield copied
                copied = copy.deepcopy(resource)
                at(copied, parent_path)["_" + last] = {}
                yield copied


def _models_accept(resource: Any, release: str) -> bool:
    try:
        cls = _model_class(str(resource.get("resourceType")), release)
        cls.model_validate(resource)
    except (ValidationError, SourceError, ValueError, TypeError, KeyError):
        return False
    return True


def _check(resource: dict[str, Any], release: str, every: int) -> tuple[int, int]:
    """(variants the models refuse, variants made); fails on one the check accepts."""
    refused = made = 0
    for number, variant in enumerate(_variants(resource)):
        if number % every:
            continue
        made += 1
        if conforms(variant, release):
            assert _models_accept(variant, release), json.dumps(variant)[:2000]
        elif not _models_accept(variant, release):
            refused += 1
    return refused, made


@pytest.mark.parametrize("release", ["R4", "R5"])
def test_every_variant_the_models_refuse_is_refused(release: str) -> None:
    bundle = json.loads(SEEDS[release].read_text("utf-8"))
    assert conforms(bundle, release) and _models_accept(bundle, release)
    small = copy.deepcopy(bundle)
    small["entry"] = small["entry"][:4]  # the Bundle, a DocumentReference, medicines
    refused, made = _check(small, release, every=3)
    assert refused >= 300, (refused, made)
    for resource in OTHERS:
        assert conforms(resource, release) and _models_accept(resource, release)
        refused_here, _ = _check(resource, release, every=1)
        assert refused_here >= 40


def test_validate_reports_what_the_models_say_when_the_check_refuses(tmp_path: Path) -> None:
    """A refused structure goes to the models: their located complaint is the issue."""
    patient = {"resourceType": "Patient", "birthDate": "1970-02-30"}
    issues = validate(json.dumps(patient).encode(), path="p.json", fhir_version="R4")
    assert [(i.severity, i.location) for i in issues] == [("error", "Patient.birthDate")]


def test_r5_is_detected_without_the_r5_models_only_when_r4_refuses() -> None:
    """Detection tries R4 first: an R5 file skips the models only when the R4 models refuse
    it; `_r4_lacks` (a type or property the R4 models lack) is checked against them."""
    from fhir_export.validation.reading import _r4_lacks, load

    r5 = sorted((GOLDEN.parent / "golden-r5").glob("*.json"))
    r4 = sorted(GOLDEN.glob("*.json"))
    for path in r5:
        resource = json.loads(path.read_text("utf-8"))
        assert _r4_lacks(resource) and not _models_accept(resource, "R4"), path.name
        assert load(path.read_bytes(), path=str(path), fhir_version=None)[1:] == ("R5", [])
    for path in r4:
        resource = json.loads(path.read_text("utf-8"))
        assert not _r4_lacks(resource), path.name
        resource["entry"][1]["resource"]["shoeSize"] = 44  # no R4 (nor R5) property
        assert _r4_lacks(resource) and not _models_accept(resource, "R4")
