"""Steps 2 and 3: walk the instance along the shipped definitions, evaluate every constraint of
every element (and of its type), check required codes, and collect what the later steps need
(references, narratives).

Each node is typed by its StructureDefinition element; a data type's root constraints (att-1,
ext-1, ref-1, ...) apply wherever the type is used, and a resource's (dom-*, que-2, bdl-*, ...)
to every resource of that type, contained and Bundle entries included. A constraint fails only
when it evaluates to false; an evaluation error is reported as information and never stops the
run. The rules in fhirpath.SKIPPED are not evaluated by fhirpathpy: ele-1, per-1, rng-2 and
R4's que-7 are checked here in Python, txt-1/txt-2 by narrative.py.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from weakref import WeakKeyDictionary

from .compiled import compiled
from .definitions import INLINE, Binding, Constraint, Definitions, Element, definitions
from .fhirpath import SKIPPED, evaluate
from .issues import Issue

_DATE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
_ELE_1 = "ele-1: All FHIR elements must have a @value or children"
_MIME_PART = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
# Required value sets whose codes cannot be listed (BCP 13, BCP 47, ISO 4217): syntax only.
SYNTAX = {
    "http://hl7.org/fhir/ValueSet/mimetypes": (
        re.compile(rf'^{_MIME_PART}/{_MIME_PART}(\s*;\s*{_MIME_PART}=("[^"]*"|{_MIME_PART}))*$'),
        "a MIME type (BCP 13)",
    ),
    "http://hl7.org/fhir/ValueSet/all-languages": (
        re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"),
        "a language tag (BCP 47)",
    ),
    "http://hl7.org/fhir/ValueSet/currencies": (
        re.compile(r"^[A-Z]{3}$"),
        "a currency code (ISO 4217)",
    ),
}


def _bounds(text: Any) -> tuple[datetime, datetime] | None:
    """The earliest and latest instant a (partial) date/dateTime can mean."""
    match = _DATE.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    low_month, high_month = (int(month),) * 2 if month else (1, 12)
    last = calendar.monthrange(int(year), high_month)[1]
    low_day, high_day = (int(day),) * 2 if day else (1, last)
    tz = None
    if zone:
        tz = (
            UTC
            if zone == "Z"
            else timezone(
                (1 if zone[0] == "+" else -1)
                * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:]))
            )
        )
    low = datetime(
        int(year),
        low_month,
        low_day,
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        int((fraction or "0")[:6].ljust(6, "0")),
        tzinfo=tz,
    )
    high = datetime(
        int(year),
        high_month,
        high_day,
        int(hour or 23),
        int(minute if minute is not None else 59),
        int(second if second is not None else 59),
        int((fraction or "")[:6].ljust(6, "9")),
        tzinfo=tz,
    )
    return low, high


def _per_1(node: Any) -> bool:
    """start's low boundary <= end's high boundary (R5's wording of per-1)."""
    if not isinstance(node, dict):
        return True
    start, end = _bounds(node.get("start")), _bounds(node.get("end"))
    if start is None or end is None:
        return True
    low, high = start[0], end[1]
    if (low.tzinfo is None) != (high.tzinfo is None):
        low, high = low.replace(tzinfo=None), high.replace(tzinfo=None)
    return low <= high


def _que_7(node: Any) -> bool:
    """operator = 'exists' implies (answer is boolean)."""
    return not (
        isinstance(node, dict)
        and node.get("operator") == "exists"
        and "answerBoolean" not in node
    )


def _rng_2(node: Any) -> bool:
    """low <= high, when both have a value in the same unit (no unit conversion)."""
    if not isinstance(node, dict):
        return True
    low, high = node.get("low"), node.get("high")
    if not (isinstance(low, dict) and isinstance(high, dict)):
        return True
    low_value, high_value = low.get("value"), high.get("value")
    if not isinstance(low_value, int | float) or not isinstance(high_value, int | float):
        return True
    if (low.get("system"), low.get("code")) != (high.get("system"), high.get("code")):
        return True
    return bool(low_value <= high_value)


NATIVE = {"per-1": _per_1, "que-7": _que_7, "rng-2": _rng_2}


# The two invariants met most often (every extension, every reference: 90% of FHIRPath
# evaluations on a corpus bundle), written in Python for speed. Keyed by the exact expression
# of the shipped definitions, so a changed definition falls back to fhirpathpy;
# tests/test_validate.py proves each gives what fhirpathpy gives.
def _ext_1(node: Any, resource: Mapping[str, Any], root: Mapping[str, Any]) -> bool | None:
    """extension.exists() != value.exists()"""
    if not isinstance(node, dict):
        return None
    return bool(node.get("extension")) != any(_is_value_key(k) for k in node)


def _is_value_key(key: str) -> bool:
    """value[x] (valueString, ...) or its primitive extension (_valueString)."""
    key = key.removeprefix("_")
    return key.startswith("value") and len(key) > 5 and key[5].isupper()


def _contained_ids(root: Mapping[str, Any]) -> list[Any]:
    contained = root.get("contained")
    if not isinstance(contained, list):
        return []
    return [c.get("id") for c in contained if isinstance(c, dict) and "id" in c]


def _ref_1_r4(node: Any, resource: Mapping[str, Any], root: Mapping[str, Any]) -> bool | None:
    """reference.startsWith('#').not() or (reference.substring(1) in
    %rootResource.contained.id)"""
    reference = node.get("reference") if isinstance(node, dict) else None
    if not isinstance(reference, str):
        return None  # empty: neither true nor false
    return _or(not reference.startswith("#"), _in_contained(reference, root))


def _ref_1_r5(node: Any, resource: Mapping[str, Any], root: Mapping[str, Any]) -> bool | None:
    """reference.exists() implies (reference.startsWith('#').not() or (reference.substring(1)
    in %rootResource.contained.id) or (reference='#' and %rootResource!=%resource))"""
    reference = node.get("reference") if isinstance(node, dict) else None
    if not isinstance(reference, str):
        return True
    return _or(
        not reference.startswith("#"),
        _in_contained(reference, root),
        reference == "#" and root is not resource,
    )


def _in_contained(reference: str, root: Mapping[str, Any]) -> bool | None:
    """reference.substring(1) in %rootResource.contained.id: empty for "#" (substring(1) of a
    one-character string is empty in FHIRPath, and so is `{} in ...`)."""
    return None if len(reference) < 2 else reference[1:] in _contained_ids(root)


def _or(*values: bool | None) -> bool | None:
    """FHIRPath's three-valued `or`: true if any is true, false if all are false, else empty."""
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None


FAST: dict[str, Callable[[Any, Mapping[str, Any], Mapping[str, Any]], bool | None]] = {
    "extension.exists() != value.exists()": _ext_1,
    "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
    "%rootResource.contained.id.trace('ids'))": _ref_1_r4,
    "reference.exists()  implies (reference.startsWith('#').not() or "
    "(reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids')) or "
    "(reference='#' and %rootResource!=%resource))": _ref_1_r5,
}


def constraint_value(
    expression: str, value: Any, base: str, release: str, scope: tuple[Any, Any, Any]
) -> list[Any]:
    """The constraint's value on `value` (typed `base`), with scope = (%resource,
    %rootResource, the primitive's `_x`): compiled (compiled.py) when it can, else
    fhirpathpy's."""
    resource, root, extra = scope
    function = compiled(expression) if extra is None else None
    if function is not None:
        try:
            return function([value], (value, resource, root))
        except Exception:  # noqa: S110 (Unsupported, or a surprise: fhirpathpy decides)
            pass
    return evaluate(
        expression, value, base, release, resource=resource, root=root, extension=extra
    )


# How a constraint is checked: in Python (NATIVE: a rule fhirpathpy is not asked), by a fast
# Python function (FAST), or as FHIRPath (compiled, else fhirpathpy).
_NATIVE, _FAST, _FHIRPATH = 0, 1, 2
_Run = tuple[Constraint, int, Any]
# What the walk does with one member's values, read once per (element, type) of the
# definitions: (constraints to run, type, scope of its children, binding, contained?)
_Step = tuple[tuple[_Run, ...], str, str, Binding | None, bool]
# per definitions: id of one of its (element, type) pairs or constraint tuples (alive as long
# as the definitions) -> its step or runs
_STEPS: WeakKeyDictionary[Definitions, dict[int, _Step]] = WeakKeyDictionary()
_RUNS: WeakKeyDictionary[Definitions, dict[int, tuple[_Run, ...]]] = WeakKeyDictionary()
# a primitive's `_x` (its id and extensions): an Element
_PRIMITIVE_EXTRA = (Element("Element", ("Element",), (), None, ""), "Element")


@dataclass
class Walk:
    """One walk over one resource (and everything in it)."""

    release: str
    issues: list[Issue] = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list)  # (location, reference)
    narratives: list[tuple[str, str]] = field(default_factory=list)  # (location, div)

    def __post_init__(self) -> None:
        self.defs = definitions(self.release)
        self.skipped = SKIPPED[self.release]
        self._steps = _STEPS.setdefault(self.defs, {})
        self._runs_of = _RUNS.setdefault(self.defs, {})

    def _runs(self, constraints: tuple[Constraint, ...]) -> tuple[_Run, ...]:
        """How each constraint that runs is checked (skipped ones without a Python check
        never run: dropped here)."""
        found = self._runs_of.get(id(constraints))
        if found is None:
            runs: list[_Run] = []
            for c in constraints:
                if c.key in self.skipped:
                    if c.key in NATIVE:
                        runs.append((c, _NATIVE, NATIVE[c.key]))
                elif c.expression in FAST:
                    runs.append((c, _FAST, FAST[c.expression]))
                else:
                    runs.append((c, _FHIRPATH, None))
            found = self._runs_of[id(constraints)] = tuple(runs)
        return found

    def _step(self, found: tuple[Element, str]) -> _Step:
        """What the walk does with the values of one (element, type) of the definitions."""
        step = self._steps.get(id(found))
        if step is None:
            element, type_name = found
            typedef = self.defs.types.get(type_name)
            # the element's own constraints, then its type's
            runs = self._runs(element.constraints) + (
                self._runs(typedef.constraints) if typedef is not None else ()
            )
            inline = element.scope and type_name in INLINE
            scope = element.scope if inline else type_name
            step = self._steps[id(found)] = (
                runs, type_name, scope, element.binding, element.path.endswith(".contained")
            )
        return step

    # -- resources -----------------------------------------------------------------------

    def resource(
        self, value: Mapping[str, Any], location: str, root: Mapping[str, Any] | None = None
    ) -> None:
        resource_type = value.get("resourceType")
        root = root or value
        if resource_type not in self.defs.resource_types or not isinstance(resource_type, str):
            self._scan(value, location)
            self.issues.append(
                Issue(
                    "error",
                    location,
                    f"{resource_type} is not a FHIR {self.defs.fhir_version} resource type",
                    "structure",
                )
            )
            return
        self._constraints(
            self._runs(self.defs.types[resource_type].constraints), value, resource_type,
            location, value, root,
        )
        self._children(value, resource_type, location, value, root)

    def _scan(self, node: Any, location: str) -> None:
        """References and narratives of a resource type without shipped definitions."""
        if isinstance(node, list):
            for index, item in enumerate(node):
                self._scan(item, f"{location}[{index}]")
        elif isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                self.references.append((f"{location}.reference", node["reference"]))
            if isinstance(node.get("div"), str) and location.endswith(".text"):
                self.narratives.append((f"{location}.div", node["div"]))
            for key, child in node.items():
                if isinstance(child, dict) and "resourceType" in child:
                    self.resource(child, f"{location}.{key}")
                elif isinstance(child, list | dict):
                    self._scan(child, f"{location}.{key}")

    # -- elements ------------------------------------------------------------------------

    def _children(
        self,
        node: Mapping[str, Any],
        scope: str,
        location: str,
        resource: Mapping[str, Any],
        root: Mapping[str, Any],
    ) -> None:
        children = self.defs.children[scope]  # built on first use (definitions._Index)
        steps = self._steps
        for key, value in node.items():
            if key == "resourceType" or key == "fhir_comments":
                continue
            extension = key[:1] == "_"  # a primitive's id and extensions
            name = key[1:] if extension else key
            found = children.get(name)
            where = f"{location}.{name}"
            if found is None:
                self.issues.append(
                    Issue(
                        "error",
                        where,
                        f"unknown element '{key}' in FHIR {self.defs.fhir_version}",
                        "structure",
                    )
                )
                continue
            if extension:
                found, companion = _PRIMITIVE_EXTRA, None
            else:
                companion = node.get("_" + key)
            step = steps.get(id(found)) or self._step(found)
            if isinstance(value, list):
                if not value:
                    self.issues.append(
                        Issue("error", where, f"{_ELE_1} (empty array)", "invariant")
                    )
                pairs = companion if isinstance(companion, list) else None
                for index, item in enumerate(value):
                    if item is None:
                        continue
                    if pairs is not None:
                        extra = pairs[index] if index < len(pairs) else None
                    else:
                        extra = companion if isinstance(companion, dict) else None
                    self._element(item, step, f"{where}[{index}]", resource, root, extra)
            elif value is not None:
                if isinstance(companion, list):
                    extra = companion[0] if companion else None
                else:
                    extra = companion if isinstance(companion, dict) else None
                self._element(value, step, where, resource, root, extra)

    def _element(
        self,
        value: Any,
        step: _Step,
        location: str,
        resource: Mapping[str, Any],
        root: Mapping[str, Any],
        extra: Any,
    ) -> None:
        runs, type_name, scope, binding, contained = step
        if not isinstance(value, dict):  # a primitive: its constraints and code, nothing below
            if runs:
                self._constraints(runs, value, type_name, location, resource, root, extra)
            if binding is not None:
                self._binding(binding, value, location)
            if type_name == "xhtml" and isinstance(value, str):
                self.narratives.append((location, value))
            return
        if "resourceType" in value:
            self.resource(value, location, root if contained else None)
            return
        if len(value) <= 2 and not any(k != "id" and k != "fhir_comments" for k in value):
            self.issues.append(Issue("error", location, _ELE_1, "invariant"))
        if runs:
            self._constraints(runs, value, scope, location, resource, root, extra)
        if binding is not None:
            self._binding(binding, value, location)
        if type_name == "Reference" and isinstance(value.get("reference"), str):
            self.references.append((f"{location}.reference", value["reference"]))
        self._children(value, scope, location, resource, root)

    def _constraints(
        self,
        runs: tuple[_Run, ...],
        value: Any,
        base: str,
        location: str,
        resource: Mapping[str, Any],
        root: Mapping[str, Any],
        extra: Any = None,
    ) -> None:
        for c, how, check in runs:
            if how == _NATIVE:
                if check(value):
                    continue
                ok: Any = [False]
            elif how == _FAST:
                fast = check(value, resource, root)
                ok = [] if fast is None else [fast]
            else:
                try:
                    ok = constraint_value(
                        c.expression, value, base, self.release, (resource, root, extra)
                    )
                except Exception as exc:  # fhirpathpy raises bare Exception
                    detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
                    self.issues.append(
                        Issue(
                            "information",
                            location,
                            f"{c.key} could not be evaluated, not checked ({detail})",
                            "informational",
                        )
                    )
                    continue
            if ok == [False]:
                severity = "error" if c.severity == "error" else "warning"
                self.issues.append(Issue(severity, location, f"{c.key}: {c.human}", "invariant"))

    def _binding(self, binding: Binding, value: Any, location: str) -> None:
        if not isinstance(value, str):
            return
        if binding.codes is None:
            pattern, what = SYNTAX.get(binding.value_set, (None, ""))
            if pattern is not None and not pattern.match(value):
                self.issues.append(
                    Issue(
                        "error",
                        location,
                        f"'{value}' is not {what}, as the "
                        f"required value set {binding.value_set} asks",
                        "code-invalid",
                    )
                )
            return
        if value in binding.codes:
            return
        allowed = sorted(binding.codes)
        shown = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
        self.issues.append(
            Issue(
                "error",
                location,
                f"'{value}' is not in the required value set {binding.value_set} ({shown})",
                "code-invalid",
            )
        )
