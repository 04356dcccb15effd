"""A fast structural check of FHIR JSON, from the shipped definitions: does the resource have a
shape fhir.resources' models accept? Used to skip the models (most of validate's cost) when it
says yes; when it says no, the models run as before and their complaints are reported.

It asks for no less than the models do (tests/test_validate_structure.py feeds it hundreds of
broken variants the models refuse and shows it refuses each one):

* every property is an element of its type in the release (`_x` for a primitive's id and
  extensions), no empty arrays, no nulls;
* an element that repeats is a JSON array, one that does not is not;
* every required element (min 1) is present, for a choice element one of its types, for a
  primitive its value or its `_x`; a choice element has one type at most;
* a complex element is an object, a resource an object with a known `resourceType`;
* a primitive value passes fhir_core's own validator of its type (the one the models use:
  JSON type, lexical form, real dates, integer ranges);
* objects nest no deeper than MAX_DEPTH allows (deeper JSON goes to the depth check).

It reports nothing itself: a no means "let the models say why".
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from ..convert import MAX_DEPTH
from .definitions import INLINE, Definitions, definitions

# FHIRPath system types some R4 elements (Element.id, Extension.url) are typed with.
_SYSTEM = {"System.String": "string", "System.Boolean": "boolean", "System.Integer": "integer",
           "System.Decimal": "decimal"}
_PRIMITIVE_EXTRA = frozenset({"id", "extension"})
# Objects nested at most: with an array between each two, JSON's depth stays under MAX_DEPTH.
_DEPTH = MAX_DEPTH // 2 - 1


@cache
def _adapter(type_name: str) -> Any:
    """fhir_core's validator of a primitive type (a pydantic TypeAdapter), or None."""
    import fhir_core.types as core
    from pydantic import TypeAdapter

    name = _SYSTEM.get(type_name, type_name)
    annotated = getattr(core, name[0].upper() + name[1:] + "Type", None)
    return None if annotated is None else TypeAdapter(annotated)


# How a JSON member is checked (a scope's plan, see _Checker._plan)
_PRIMITIVE, _RESOURCE, _COMPLEX = 0, 1, 2
# per member name: (the choice element it belongs to or "", repeats, kind, type or scope)
_Step = tuple[str, bool, int, str]
# per definitions: scope -> (its members' steps, the names that can carry each required one)
_PLANS: WeakKeyDictionary[Definitions, dict[str, tuple[dict[str, _Step], list[tuple[str, ...]]]]]
_PLANS = WeakKeyDictionary()
# (type, JSON type, value) -> whether fhir_core's validator accepts it (see _Checker._primitive)
_SEEN: dict[tuple[str, type, Any], bool] = {}
_SEEN_MAX, _SEEN_LENGTH = 20_000, 120


class _Checker:
    def __init__(self, defs: Definitions) -> None:
        self.defs = defs
        self.seen: dict[tuple[str, type, Any], bool] = {}
        self.plans = _PLANS.setdefault(defs, {})
        self.depth = 0  # objects nested: at most _DEPTH (JSON's depth stays under MAX_DEPTH)

    def _plan(self, scope: str) -> tuple[dict[str, _Step], list[tuple[str, ...]]]:
        """Per member of scope, how its values are checked; per required element, the JSON
        names that can carry it (read from the definitions once per scope)."""
        found = self.plans.get(scope)
        if found is not None:
            return found
        steps: dict[str, _Step] = {}
        by_element: dict[str, list[str]] = {}
        for name, (element, type_name) in self.defs.children[scope].items():
            if type_name == "System.String":  # R4 types a few elements so; the models do not
                head, _, tail = element.path.partition(".")
                if tail == "id" and (head in self.defs.resource_types
                                     or head in ("Resource", "DomainResource")):
                    type_name = "id"
                elif element.path == "Extension.url":
                    type_name = "uri"
            if self._is_primitive(type_name):
                kind, target = _PRIMITIVE, type_name
            elif type_name in ("Resource", "DomainResource") or (
                type_name in self.defs.resource_types
            ):
                kind, target = _RESOURCE, type_name
            else:
                inline = element.scope and type_name in INLINE
                kind, target = _COMPLEX, element.scope if inline else type_name
            choice = element.path if element.path.endswith("[x]") else ""
            steps[name] = (choice, element.max != "1", kind, target)
            if element.min >= 1:
                by_element.setdefault(element.path, []).append(name)
                if kind == _PRIMITIVE:
                    by_element[element.path].append("_" + name)
        found = self.plans[scope] = (steps, [tuple(names) for names in by_element.values()])
        return found

    def _is_primitive(self, type_name: str) -> bool:
        typedef = self.defs.types.get(type_name)
        return type_name in _SYSTEM or (typedef is not None and typedef.kind == "primitive-type")

    def resource(self, value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        resource_type = value.get("resourceType")
        if not isinstance(resource_type, str) or resource_type not in self.defs.resource_types:
            return False
        return self._object(value, resource_type, resource=True)

    def _object(self, node: Mapping[str, Any], scope: str, resource: bool = False) -> bool:
        self.depth += 1
        try:
            return self.depth <= _DEPTH and self._members(node, scope, resource)
        finally:
            self.depth -= 1

    def _members(self, node: Mapping[str, Any], scope: str, resource: bool) -> bool:
        steps, required = self._plan(scope)
        choices: set[str] = set()
        for key, value in node.items():
            if key == "resourceType" and resource:
                continue
            primitive_extra = key[:1] == "_"
            step = steps.get(key[1:] if primitive_extra else key)
            if step is None or value is None:
                return False
            choice, repeats, kind, target = step
            if choice and not primitive_extra:
                if choice in choices:
                    return False
                choices.add(choice)
            if repeats:
                if not isinstance(value, list) or not value:
                    return False
                items: list[Any] | tuple[Any] = value
            elif isinstance(value, list):
                return False
            else:
                items = (value,)
            for item in items:
                if item is None:
                    return False
                if primitive_extra:
                    if not self._primitive_extra(item):
                        return False
                elif kind == _PRIMITIVE:
                    if not self._primitive(item, target):
                        return False
                elif kind == _RESOURCE:
                    if not self.resource(item):
                        return False
                elif not isinstance(item, dict) or not item or not self._object(item, target):
                    return False
            if primitive_extra and key[1:] in node:
                other = node[key[1:]]
                if repeats and (not isinstance(other, list) or len(other) != len(value)):
                    return False
        return all(any(name in node for name in names) for names in required)

    def _primitive_extra(self, item: Any) -> bool:
        """A primitive's `_x`: an object with an id and/or extensions only."""
        if not isinstance(item, dict) or not item or not set(item) <= _PRIMITIVE_EXTRA:
            return False
        if "id" in item and not self._primitive(item["id"], "string"):
            return False
        extensions = item.get("extension", [])
        return isinstance(extensions, list) and all(
            isinstance(e, dict) and self._object(e, "Extension") for e in extensions
        )

    def _primitive(self, value: Any, type_name: str) -> bool:
        if isinstance(value, list | dict):
            return False
        key = (type_name, type(value), value)
        # short values (codes, systems, dates, displays) repeat from file to file: their
        # answers are kept for the process, at most _SEEN_MAX; longer ones for this file only
        short = type(value) is not str or len(value) <= _SEEN_LENGTH
        seen = _SEEN if short else self.seen
        known = seen.get(key)
        if known is None:
            adapter = _adapter(type_name)
            if adapter is None:
                known = False
            else:
                try:
                    adapter.validate_python(value)
                    known = True
                except Exception:
                    known = False
            if short and len(_SEEN) >= _SEEN_MAX:
                _SEEN.clear()
            seen[key] = known
        return known


def conforms(resource: Any, release: str) -> bool:
    """True when `resource` (parsed FHIR JSON) has a structure the release's models accept."""
    return _Checker(definitions(release)).resource(resource)
