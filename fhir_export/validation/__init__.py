"""`fhir-export validate`: check any FHIR resource or Bundle, JSON or XML, R4 or R5.

    issues = validate(data, path="bundle.json")          # release auto-detected
    for issue in issues: print(issue.line("bundle.json"))  # path: severity: location: message
    json.dumps(operation_outcome(issues))                 # or as a FHIR OperationOutcome

The checks, in order (the later ones run only when the structure is valid):

1. reading and structure (reading.py): size and depth bounds, XML without DTD or entities,
   then the structure: JSON that structure.py accepts (elements, cardinality, required
   elements, choice types, primitives through fhir_core's own validators) is taken as it is,
   anything else (and all XML) goes through fhir.resources' models, whose complaints are the
   issues (structure.py never accepts what the models refuse: tests/test_validate_structure.py);
2. FHIR invariants (walk.py, compiled.py, fhirpath.py): every constraint of the official
   StructureDefinitions for the written resource types and their data types, compiled to
   Python where it can be, else evaluated with fhirpathpy (both give the same values);
3. required bindings of `code` elements of every resource type against the official value
   sets (walk.py), also in a JSON resource whose structure is broken;
4. reference integrity inside a Bundle (references.py);
5. narrative safety (narrative.py).

Everything runs offline from fhir_export/validation_data/ (scripts/build_validation_data.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ..convert import MAX_DEPTH
from .definitions import definitions
from .issues import DOCUMENT, SEVERITIES, Issue, has_errors, operation_outcome
from .narrative import check as check_narrative
from .reading import load
from .references import check as check_references
from .walk import Walk

__all__ = [
    "DOCUMENT",
    "MAX_DEPTH",
    "SEVERITIES",
    "Issue",
    "has_errors",
    "operation_outcome",
    "validate",
    "validate_ndjson",
]

_ORDER = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def _resource_types(resource: dict[str, Any]) -> set[str]:
    """The resource types of the resource, its Bundle entries and contained resources."""
    found = {str(resource.get("resourceType"))}
    for key in ("entry", "contained"):
        for item in resource.get(key) or ():
            inner = item.get("resource") if key == "entry" and isinstance(item, dict) else item
            if isinstance(inner, dict):
                found |= _resource_types(inner)
    return found


def validate(data: bytes, *, path: str, fhir_version: str | None = None) -> list[Issue]:
    """Every issue of one file (bytes of FHIR JSON or XML). `fhir_version` ("R4" or "R5")
    forces the release; by default R4 is tried, then R5. Bad content never raises: it is
    reported (an unexpected failure inside the checks becomes an error issue too)."""
    if fhir_version is not None and fhir_version.upper() not in ("R4", "R5"):
        raise ValueError(f"fhir_version must be R4 or R5, not {fhir_version!r}")
    forced = fhir_version.upper() if fhir_version else None
    try:
        return _validate(data, path, forced)
    except Exception as exc:  # a bug must not stop a run over many files
        return [
            Issue("error", DOCUMENT, f"validation failed: {type(exc).__name__}: {exc}", "exception")
        ]


def validate_ndjson(
    lines: Iterable[bytes], *, path: str, fhir_version: str | None = None
) -> list[Issue]:
    """Every issue of an NDJSON file (FHIR Bulk Data: one resource per line, any type), each
    line validated as `validate` does a file; an issue's message starts `line N: `."""
    issues: list[Issue] = []
    resources = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        resources += 1
        issues += [
            replace(issue, message=f"line {number}: {issue.message}")
            for issue in validate(line, path=f"{path}:{number}", fhir_version=fhir_version)
        ]
    if not resources:
        issues.append(Issue("error", DOCUMENT, "no resource: the NDJSON file is empty"))
    return sorted(issues, key=lambda i: _ORDER.get(i.severity, len(_ORDER)))


def _codes_of_broken(data: bytes, release: str | None) -> list[Issue]:
    """The required-code issues of a JSON resource whose structure the models refused: a bad
    code is reported even when something else in the same resource is broken too."""
    if release is None or data.lstrip().startswith(b"<"):
        return []
    walk = Walk(release)
    try:
        raw = json.loads(data)
        walk.resource(raw, str(raw.get("resourceType")))
    except Exception:  # noqa: S110 (the structure is broken: keep what the walk found so far)
        pass
    return [issue for issue in walk.issues if issue.code == "code-invalid"]


def _validate(data: bytes, path: str, fhir_version: str | None) -> list[Issue]:
    resource, release, issues = load(data, path=path, fhir_version=fhir_version)
    if (
        resource is not None
        and release == "R4"
        and fhir_version is None
        and not _resource_types(resource) <= definitions("R4").resource_types
    ):
        # fhir.resources' R4B models also accept R4B's resource types (ClinicalUseDefinition...)
        again, release_again, _ = load(data, path=path, fhir_version="R5")
        if again is not None:
            resource, release = again, release_again
    if resource is None or release is None:
        return issues + _codes_of_broken(data, release)
    walk = Walk(release)
    walk.resource(resource, str(resource.get("resourceType")))
    issues = list(walk.issues)
    issues += check_references(resource, walk.references)
    for location, div in walk.narratives:
        issues += check_narrative(div, location)
    return sorted(issues, key=lambda i: _ORDER.get(i.severity, len(_ORDER)))
