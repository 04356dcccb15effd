"""The check of a finished Bundle: what fhir.resources' model validation rejects, without
building the models.

`Bundle.model_validate` builds one pydantic model per element and runs fhir_core's Python
validators on each (about 0.2 ms per element, the largest single cost of an export). This module
walks the FHIR JSON once with a plan read off the same model classes (once per class) and applies
the same rules, each primitive value through a pydantic TypeAdapter of the field's own
annotation (so regexes, dates and the rest are checked by the very same code):

- every key is an element of its type (JSON name, or '_name' for a primitive's id/extension),
  'resourceType' only on a resource and naming it; a resource goes by its own type's plan;
- a repeating element is a non-empty list, a single one is not a list; JSON types are exact
  (a boolean is true/false, an integer an int, a string a str: pydantic would coerce '1');
- no null, except the positional placeholders of a primitive list and its '_name' list;
- required elements (model fields without default; primitives with min 1, which may instead
  carry an extension) are present; of a choice element (value[x]) at most one, and one when
  it is required;
- a code whose required binding the model lists in full (fhir.resources' `enum_values`, when
  not cut short with '+') is one of those codes: fhir.resources itself does not check them;
- an empty object is refused (FHIR JSON has none); an empty string is left to the field's
  type, as the models do (string and code refuse it, base64Binary takes it).

tests/test_bundle_check.py feeds it every golden bundle (the output must be in_spec_order's,
byte for byte) and thousands of broken variants: each one fhir.resources rejects, this rejects.
Out of the walk comes the Bundle with every object's keys in specification order.
"""

from __future__ import annotations

import dataclasses
import decimal
import importlib
import typing
from dataclasses import dataclass
from functools import cache
from types import NoneType, UnionType
from typing import Any

from fhir_core.constraints import FHIR_TYPES_MAPS
from fhir_core.types import FhirBase, FhirElementOrResourceBase
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError
from pydantic.fields import FieldInfo

JSON = dict[str, Any]

PRIMITIVE, COMPLEX, RESOURCE = 0, 1, 2


class BundleCheckError(ValueError):
    """A bundle that is not valid FHIR: the path of the first offending element and why."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.steps: list[str] = []  # the path, innermost step first (filled on the way out)

    @property
    def path(self) -> str:
        return "".join(reversed(self.steps)).lstrip(".")

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}" if self.steps else self.problem


@dataclass(frozen=True, slots=True)
class _Field:
    kind: int
    many: bool
    nullable_items: bool  # a primitive list or its '_name' list: null is a placeholder
    model: Any  # COMPLEX: its fhirtypes type; RESOURCE: the FhirElementOrResourceBase type
    adapter: Any  # PRIMITIVE: a TypeAdapter of the item annotation
    json_types: tuple[type, ...]  # PRIMITIVE: the JSON types of its values
    codes: frozenset[str] | None  # a required binding's codes, when the model lists them
    # COMPLEX: the model class, imported when a value of it is first checked (complex_model)
    resolved: Any = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class _Plan:
    resource_type: str | None  # a resource's type; None for a datatype or backbone element
    fields: dict[str, tuple[int, _Field]]  # by JSON key: (place in specification order, field)
    required: tuple[str, ...]  # JSON keys that must be there
    required_primitives: tuple[tuple[str, str], ...]  # (key, '_key'): a value or an extension
    choice_of: dict[str, str]  # JSON key of a choice element's alternative -> its name
    required_choices: tuple[tuple[str, ...], ...]  # alternatives of which one must be there


def _strip_none(annotation: Any) -> tuple[Any, bool]:
    """(annotation without its None alternative, whether it had one)."""
    if typing.get_origin(annotation) in (typing.Union, UnionType):
        args = [a for a in typing.get_args(annotation) if a is not NoneType]
        if len(args) == 1:
            return args[0], len(args) != len(typing.get_args(annotation))
    return annotation, False


def _json_types(item: Any) -> tuple[type, ...]:
    base = typing.get_args(item)[0] if typing.get_origin(item) is typing.Annotated else item
    marker = type(typing.get_args(item)[1]).__name__ if base is not item else ""
    if base is bool:
        return (bool,)
    if marker == "Integer64":  # integer64 is a JSON string in R5; its model takes both
        return (int, str)
    if base is int:
        return (int,)
    if base is decimal.Decimal:
        return (int, float)
    return (str,)


def _field(info: FieldInfo, name: str) -> _Field:
    annotation, _ = _strip_none(info.annotation)
    many = typing.get_origin(annotation) in (list, typing.List)  # noqa: UP006
    item, nullable = _strip_none(typing.get_args(annotation)[0] if many else annotation)
    extra: Any = info.json_schema_extra or {}
    listed = extra.get("enum_values") or ()
    codes = frozenset(listed) if listed and "+" not in listed else None  # '+': a partial list
    if isinstance(item, type) and issubclass(item, FhirBase):
        kind = RESOURCE if issubclass(item, FhirElementOrResourceBase) else COMPLEX
        return _Field(kind, many, many and nullable and name.endswith("__ext"), item, None,
                      (), None)
    return _Field(PRIMITIVE, many, many and nullable, None, TypeAdapter(item), _json_types(item),
                  codes)


@cache
def plan(cls: Any) -> _Plan:
    """What a JSON object of model class `cls` may and must hold (read once per class)."""
    fields = cls.model_fields
    alias = {n: (f.alias or n) for n, f in fields.items()}
    by_key: dict[str, _Field] = {}
    order: list[str] = []
    for element in cls.elements_sequence():
        name = next((n for n, a in alias.items() if a == element), element)
        if name not in fields:
            continue
        order.append(element)
        by_key[element] = _field(fields[name], name)
        if name + "__ext" in fields:
            order.append("_" + element)
            by_key["_" + element] = _field(fields[name + "__ext"], name + "__ext")
    blank = cls.model_construct()
    required = tuple(alias[n] for n, f in fields.items() if f.is_required())
    primitives = tuple((alias[n], "_" + alias[n]) for n, _ in blank.get_required_fields())
    choices = blank.get_one_of_many_fields()
    choice_of = {alias[n]: prefix for prefix, names in choices.items() for n in names}
    required_choices = tuple(
        tuple(alias[n] for n in names) for names in choices.values()
        if (fields[names[0]].json_schema_extra or {}).get("one_of_many_required")
    )
    resource = cls.__resource_type__ if cls.has_resource_base() else None
    places = {key: (n, by_key[key]) for n, key in enumerate(order)}
    return _Plan(resource, places, required, primitives, choice_of, required_choices)


# (adapter, JSON type, value) already accepted: short values only (codes, systems, dates,
# displays repeat; ids and narratives do not), and at most _SEEN_MAX, so memory stays flat
_seen: dict[tuple[int, type, Any], None] = {}
_SEEN_MAX, _SEEN_LENGTH = 20_000, 120


def _primitive(field: _Field, value: Any) -> None:
    if type(value) not in field.json_types:
        wanted = " or ".join(t.__name__ for t in field.json_types)
        raise BundleCheckError(f"{type(value).__name__} where FHIR JSON has {wanted}")
    if field.codes is not None and value not in field.codes:
        raise BundleCheckError(f"{value!r} is not a code of its required binding")
    key = (id(field.adapter), type(value), value)
    if key in _seen:
        return
    try:
        field.adapter.validate_python(value)
    except PydanticError as exc:
        raise BundleCheckError(exc.errors()[0]["msg"]) from None
    if type(value) is str and len(value) > _SEEN_LENGTH:
        return
    if len(_seen) >= _SEEN_MAX:
        _seen.clear()
    _seen[key] = None


def _resource_model(field: _Field, value: JSON) -> Any:
    kind = value.get("resourceType")
    if type(kind) is not str:
        raise BundleCheckError("a resource without resourceType")
    model = _resource_class(field.model._prefix + kind + "Type")
    if model is None:
        raise BundleCheckError(f"{kind!r} is not a resource type")
    return model


@cache
def _resource_class(name: str) -> Any:
    """The model class fhir_core maps a type name to ('R4.PatientType'), when a resource."""
    where = FHIR_TYPES_MAPS.get(name)
    if where is None:
        return None
    module, _, attr = where.rpartition(".")
    model = getattr(importlib.import_module(module), attr)
    return model if model.has_resource_base() else None


def _value(field: _Field, value: Any) -> Any:
    if field.kind == PRIMITIVE:
        _primitive(field, value)
        return value
    if type(value) is not dict:
        raise BundleCheckError(f"{type(value).__name__} where FHIR JSON has an object")
    if field.kind == RESOURCE:
        return check(_resource_model(field, value), value)
    return check(field.resolved or complex_model(field), value)


def complex_model(field: _Field) -> Any:
    """The model class of a COMPLEX field's values, imported on first use and kept on the
    field (a plan names many types a bundle never holds; each import builds pydantic
    models)."""
    if field.resolved is None:
        object.__setattr__(field, "resolved", field.model.get_model_klass())  # frozen
    return field.resolved


def check(cls: Any, data: JSON) -> JSON:
    """`data` (a JSON object of model class `cls`) checked, with every object's keys in
    specification order; BundleCheckError (its path from `data`) for the first rule it
    breaks."""
    if type(data) is not dict:
        raise BundleCheckError("not an object")
    if not data:
        raise BundleCheckError("an empty object")
    p = plan(cls)
    fields = p.fields
    out: JSON = {}
    if "resourceType" in data:
        if data["resourceType"] != p.resource_type:
            raise BundleCheckError(f"resourceType {data['resourceType']!r} in a "
                                   f"{p.resource_type or cls.__name__}")
        out["resourceType"] = data["resourceType"]
    elif p.resource_type is not None:
        raise BundleCheckError("a resource without resourceType")
    try:
        keys = sorted((fields[k][0], k) for k in data if k != "resourceType")
    except KeyError:
        unknown = sorted(k for k in data if k not in fields and k != "resourceType")
        raise BundleCheckError(f"elements {cls.__name__} does not have: {unknown}") from None
    chosen: dict[str, str] = {}
    for _, key in keys:
        try:
            out[key] = _element(fields[key][1], data[key])
        except BundleCheckError as exc:
            exc.steps.append("." + key)
            raise
        choice = p.choice_of.get(key)
        if choice is not None:
            if choice in chosen:
                raise BundleCheckError(f"{chosen[choice]} and {key}: one value of {choice}[x]")
            chosen[choice] = key
    for key in p.required:
        if key not in out:
            raise BundleCheckError(f"{key} is required")
    for key, ext in p.required_primitives:
        if key not in out and not (type(out.get(ext)) is dict and out[ext].get("extension")):
            raise BundleCheckError(f"{key} is required")
    for alternatives in p.required_choices:
        if not any(k in out for k in alternatives):
            raise BundleCheckError(f"one of {alternatives[0]}... is required")
    _placeholders(data, keys, fields)
    return out


def _placeholders(data: JSON, keys: list[tuple[int, str]], fields: dict[str, Any]) -> None:
    """A null in a primitive list (or its '_name' list) only holds the place of a value in
    the other list."""
    for _, key in keys:
        value = data[key]
        if type(value) is not list or not fields[key][1].nullable_items or None not in value:
            continue
        other = data.get(key[1:] if key.startswith("_") else "_" + key)
        for index, item in enumerate(value):
            if item is None and (
                type(other) is not list or len(other) != len(value) or other[index] is None
            ):
                exc = BundleCheckError("null that holds no place of a value or an extension")
                exc.steps += [f"[{index}]", "." + key]
                raise exc


def _element(field: _Field, value: Any) -> Any:
    if value is None:
        raise BundleCheckError("null")
    if not field.many:
        if type(value) is list:
            raise BundleCheckError("a list where FHIR has a single value")
        return _value(field, value)
    if type(value) is not list:
        raise BundleCheckError(f"{type(value).__name__} where FHIR JSON has a list")
    if not value:
        raise BundleCheckError("an empty list")
    out: list[Any] = []
    for index, item in enumerate(value):
        try:
            if item is None:
                if not field.nullable_items:
                    raise BundleCheckError("null")
                out.append(None)
            else:
                out.append(_value(field, item))
        except BundleCheckError as exc:
            exc.steps.append(f"[{index}]")
            raise
    return out
