"""The shipped validation data (fhir_export/validation_data/r4.json, r5.json), indexed for walking
an instance: which element a JSON property is, its type, constraints and required codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# Element types whose children are defined inline in the same StructureDefinition.
INLINE = frozenset({"BackboneElement", "Element"})


@dataclass(frozen=True, slots=True)
class Constraint:
    key: str
    severity: str
    human: str
    expression: str


@dataclass(frozen=True, slots=True)
class Binding:
    value_set: str
    codes: frozenset[str] | None  # None: the value set cannot be enumerated


@dataclass(frozen=True, slots=True)
class Element:
    path: str  # StructureDefinition path, e.g. Questionnaire.item.enableWhen
    types: tuple[str, ...]
    constraints: tuple[Constraint, ...]
    binding: Binding | None
    scope: str  # where its children are defined (its own path, a contentReference, or "")
    min: int = 0
    max: str = "1"  # "1", "*" or a number: anything but "1" is a JSON array


@dataclass(frozen=True, slots=True)
class TypeDef:
    name: str
    kind: str
    constraints: tuple[Constraint, ...]
    regex: str | None = None  # a primitive type's lexical form


class Definitions:
    """One release's types, and a (parent path, JSON property) -> (element, type) index."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.fhir_version: str = data["fhirVersion"]
        self.source: dict[str, str] = data["source"]
        self.resources: frozenset[str] = frozenset(data["resources"])
        self.resource_types: frozenset[str] = frozenset(data["resourceTypes"])
        self.types: dict[str, TypeDef] = {}
        self.children: dict[str, dict[str, tuple[Element, str]]] = _Index(self._index)
        self._value_sets = {
            url: Binding(url, frozenset(entry["codes"]) if "codes" in entry else None)
            for url, entry in data["valueSets"].items()
        }
        self._raw: dict[str, dict[str, Any]] = {}
        for name, entry in data["types"].items():
            self.types[name] = TypeDef(
                name, entry["kind"], _constraints(entry["constraints"]), entry.get("regex")
            )
            self._raw.update(entry.get("elements", {}))
        self._by_parent: dict[str, list[str]] = {}
        for path in self._raw:
            self._by_parent.setdefault(path.rsplit(".", 1)[0], []).append(path)

    def _index(self, scope: str) -> dict[str, tuple[Element, str]]:
        """The children of one scope, built when the scope is first met (a release ships
        thousands of elements; a file meets a few hundred)."""
        index: dict[str, tuple[Element, str]] = {}
        for path in self._by_parent.get(scope, ()):
            raw = self._raw[path]
            target = raw.get("contentReference")
            types = tuple(self._raw[target]["types"] if target else raw.get("types", ()))
            element = Element(
                path=path,
                types=types,
                constraints=_constraints(raw.get("constraints", ())),
                binding=self._value_sets[raw["binding"]] if "binding" in raw else None,
                scope=target or (path if path in self._by_parent else ""),
                min=raw.get("min", 0),
                max=raw.get("max", "1"),
            )
            name = path.rsplit(".", 1)[1]
            if name.endswith("[x]"):
                for type_name in types:
                    index[name[:-3] + type_name[0].upper() + type_name[1:]] = (element, type_name)
            else:
                index[name] = (element, types[0] if types else "")
        return index

    def child(self, scope: str, name: str) -> tuple[Element, str] | None:
        return self.children.get(scope, {}).get(name)


class _Index(dict[str, dict[str, tuple[Element, str]]]):
    """scope -> its children, each built on first use."""

    def __init__(self, build: Callable[[str], dict[str, tuple[Element, str]]]) -> None:
        super().__init__()
        self._build = build

    def get(self, scope: str, default: Any = None) -> Any:
        found = super().get(scope)
        if found is None:
            found = self[scope] = self._build(scope)
        return found

    def __missing__(self, scope: str) -> dict[str, tuple[Element, str]]:
        found = self[scope] = self._build(scope)
        return found


def _constraints(raw: Any) -> tuple[Constraint, ...]:
    return tuple(Constraint(c["key"], c["severity"], c["human"], c["expression"]) for c in raw)


@cache
def definitions(release: str) -> Definitions:
    """The shipped data of one release ("R4" or "R5"), loaded once."""
    text = (
        resources.files("fhir_export") / "validation_data" / f"{release.lower()}.json"
    ).read_text(encoding="utf-8")
    return Definitions(json.loads(text))
