"""FHIRPath evaluation of the official constraints through fhirpathpy.

Expressions are parsed once and cached; the parse trees of the shipped constraints are read
from validation_data/fhirpath.json (fhirpathpy's own trees, scripts/build_fhirpath_trees.py),
so a process does not start fhirpathpy's ANTLR parser, nor import fhirpathpy, unless an
evaluation needs it. fhirpathpy lacks `hasValue()`, which is supplied here.
The constraints it cannot evaluate correctly are in SKIPPED, with the reason and what checks
the rule instead (scripts/VALIDATION_DATA.md repeats the list). build_validation_data.py
refuses data in which a constraint needs a function that fhirpathpy lacks and that is not
skipped, and a skip that no shipped constraint needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from typing import Any, cast

_ELE_1 = (
    "applies to every element: checked in Python with the same rule (a value, or "
    "children other than id); one FHIRPath evaluation per node would be far slower"
)
_NARRATIVE = (
    "htmlChecks() is not in fhirpathpy: fhir_export.validation.narrative checks the "
    "div (XHTML namespace, allowed elements and attributes, no scripts, event "
    "attributes, javascript: URLs or external resources, some text)"
)
_PER_1 = (
    "checked in Python (start's low boundary <= end's high boundary): fhirpathpy 2.2.4 "
    "compares date-times in different time zones wrongly (2024-02-01T00:00:00+01:00 <= "
    "2024-01-31T23:30:00Z gives false); R5 also needs lowBoundary()/highBoundary()"
)
_RESOLVE = "resolve() needs the referenced resource, and fhirpathpy has no resolver"
_MEMBER_OF = "memberOf() needs a terminology server (value set expansion), not in fhirpathpy"
_RNG_2 = (
    "checked in Python (when both ends have a value in the same unit, low <= high): "
    "fhirpathpy 2.2.4 cannot compare Quantities (R4's 'low <= high' raises); R5's form also "
    "needs comparable(), lowBoundary() and highBoundary()"
)
SKIPPED: dict[str, dict[str, str]] = {
    "R4": {
        "ele-1": _ELE_1,
        "txt-1": _NARRATIVE,
        "txt-2": _NARRATIVE,
        "per-1": _PER_1,
        "rng-2": _RNG_2,
        "ctm-1": _RESOLVE,
        "que-7": (
            "checked in Python: the R4 expression says 'answer is Boolean', the System "
            "type, which a FHIR boolean never is in fhirpathpy, so every 'exists' "
            "condition would fail; R5 corrected it to 'answer is boolean'"
        ),
    },
    "R5": {
        "ele-1": _ELE_1,
        "txt-1": _NARRATIVE,
        "txt-2": _NARRATIVE,
        "per-1": _PER_1,
        "apd-1": _RESOLVE,
        "ctm-1": _RESOLVE,
        "dgr-1": _RESOLVE,
        "docRef-1": _RESOLVE,
        "enc-2": _RESOLVE,
        "exs-1": _MEMBER_OF,
        "obs-9": _RESOLVE,
        "opd-3": _MEMBER_OF,
        "prc-1": _RESOLVE,
        "docRef-2": _RESOLVE,
        "prov-1": _RESOLVE,
        "prov-2": _RESOLVE,
        "prov-3": _RESOLVE,
        "rng-2": _RNG_2,
        "ratrng-2": "lowBoundary() and highBoundary() are not in fhirpathpy",
        "sdf-26": (
            "fhirpathpy 2.2.4 defines $this only inside a function's argument; the expression "
            "starts with $this and raises KeyError"
        ),
        "eld-11": (
            "does not parse: the R5 expression writes a string in double quotes "
            "(contains(\":\")), which FHIRPath does not allow"
        ),
    },
}


def _has_value(inputs: list[Any]) -> bool:
    return len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], Mapping | list)


USER_FUNCTIONS: dict[str, dict[str, Any]] = {
    "hasValue": {"fn": _has_value},
}
_OPTIONS = {"userInvocationTable": USER_FUNCTIONS, "traceFn": lambda *args: None}


def supported_functions() -> set[str]:
    from fhirpathpy.engine.invocations import invocation_registry

    return set(invocation_registry) | set(USER_FUNCTIONS)


@cache
def _shipped_trees() -> dict[str, str]:
    """expression -> fhirpathpy's parse tree of it (JSON text), for the fhirpathpy version the
    file was built with; empty under another version."""
    text = (resources.files("fhir_export") / "validation_data" / "fhirpath.json").read_text(
        encoding="utf-8"
    )
    data = json.loads(text)
    trees: dict[str, str] = data["trees"]
    return trees if _fhirpathpy_is(data["fhirpathpy"]) else {}


def _fhirpathpy_is(wanted: str) -> bool:
    """Is the installed fhirpathpy version `wanted`? Its dist-info folder beside the package
    says so without importing importlib.metadata (10 ms); other installs ask it."""
    spec = find_spec("fhirpathpy")
    if spec is not None and spec.origin is not None:
        beside = Path(spec.origin).parent.parent / f"fhirpathpy-{wanted}.dist-info"
        if beside.is_dir():
            return True
    from importlib.metadata import version

    return version("fhirpathpy") == wanted


@lru_cache(maxsize=4096)
def _parsed(expression: str) -> dict[str, Any]:
    shipped = _shipped_trees().get(expression)
    if shipped is not None:
        tree: dict[str, Any] = json.loads(shipped)
        return tree
    from fhirpathpy.parser import parse

    return cast("Callable[[str], dict[str, Any]]", parse)(expression)


def evaluate(
    expression: str,
    node: Any,
    base: str,
    release: str,
    *,
    resource: Mapping[str, Any],
    root: Mapping[str, Any],
    extension: Any = None,
) -> list[Any]:
    """The value of `expression` with `node` (typed as `base`) as its context."""
    from fhirpathpy import apply_parsed_path
    from fhirpathpy.engine.nodes import ResourceNode
    from fhirpathpy.models import models

    # A resource goes in as it is: fhirpathpy only resolves a leading type name
    # (`ClinicalUseDefinition.indication`, cud-1) against plain resource dicts.
    # fhirpathpy's own functions are untyped
    create = cast("Callable[..., Any]", ResourceNode.create_node)
    apply = cast("Callable[..., list[Any]]", apply_parsed_path)
    is_resource = isinstance(node, Mapping) and "resourceType" in node
    start = node if is_resource else create(node, base, extension)
    variables = {"resource": create(resource), "rootResource": create(root)}
    result = apply(
        start, _parsed(expression), variables, models[release.lower()],
        {**_OPTIONS, "returnRawData": True},
    )
    return [r.data if isinstance(r, ResourceNode) else r for r in result]
