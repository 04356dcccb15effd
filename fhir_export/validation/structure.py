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

from ..convert import MAX_DEPTH
from .definitions import INLINE, Definitions, Element, definitions

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


class _Checker:
    def __init__(self, defs: Definitions) -> None:
        self.defs = defs
        self.seen: dict[tuple[str, type, Any], bool] = {}
        self.required: dict[str, list[tuple[str, ...]]] = {}
        self.depth = 0  # objects nested: at most _DEPTH (JSON's depth stays under MAX_DEPTH)

    def _required(self, scope: str) -> list[tuple[str, ...]]:
        """Per required element of scope, the JSON names that can carry it."""
        found = self.required.get(scope)
        if found is None:
            by_element: dict[str, list[str]] = {}
            for name, (element, type_name) in self.defs.children.get(scope, {}).items():
                if element.min >= 1:
                    by_element.setdefault(element.path, []).append(name)
                    if self._is_primitive(type_name):
                        by_element[element.path].append("_" + name)
            found = [tuple(names) for names in by_element.values()]
            self.required[scope] = found
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
        children = self.defs.children.get(scope, {})
        choices: set[str] = set()
        for key, value in node.items():
            if key == "resourceType" and resource:
                continue
            primitive_extra = key.startswith("_")
            found = children.get(key[1:] if primitive_extra else key)
            if found is None or value is None:
                return False
            element, type_name = found
            if not primitive_extra and element.path.endswith("[x]"):
                if element.path in choices:
                    return False
                choices.add(element.path)
            repeats = element.max != "1"
            if repeats != isinstance(value, list) or (repeats and not value):
                return False
            items = value if repeats else (value,)
            for item in items:
                if item is None:
                    return False
                if primitive_extra:
                    if not self._primitive_extra(item):
                        return False
                elif not self._value(item, element, type_name):
                    return False
            if primitive_extra and key[1:] in node:
                other = node[key[1:]]
                if repeats and (not isinstance(other, list) or len(other) != len(value)):
                    return False
        return all(any(name in node for name in names) for names in self._required(scope))

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

    def _value(self, item: Any, element: Element, type_name: str) -> bool:
        if type_name == "System.String":  # R4 types a few elements so; the models do not
            head, _, tail = element.path.partition(".")
            if tail == "id" and (head in self.defs.resource_types
                                 or head in ("Resource", "DomainResource")):
                type_name = "id"
            elif element.path == "Extension.url":
                type_name = "uri"
        if self._is_primitive(type_name):
            return self._primitive(item, type_name)
        if type_name in ("Resource", "DomainResource") or (
            type_name in self.defs.resource_types
        ):
            return self.resource(item)
        if not isinstance(item, dict) or not item:
            return False
        inline = element.scope and type_name in INLINE
        return self._object(item, element.scope if inline else type_name)

    def _primitive(self, value: Any, type_name: str) -> bool:
        if isinstance(value, list | dict):
            return False
        key = (type_name, type(value), value)
        known = self.seen.get(key)
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
            self.seen[key] = known
        return known


def conforms(resource: Any, release: str) -> bool:
    """True when `resource` (parsed FHIR JSON) has a structure the release's models accept."""
    return _Checker(definitions(release)).resource(resource)
