"""Validate FHIR R4 output against the official HL7 schemas (test helper, not shipped).

The schemas are not vendored: ``scripts/fetch_fhir_schemas.sh`` puts them into
``.cache/fhir-schemas/r4/`` (git-ignored):

* ``fhir.schema.json`` -- HL7's R4 JSON schema (draft-06, id ``http://hl7.org/fhir/json-schema/4.0``)
* ``xsd/fhir-single.xsd`` (+ ``fhir-xhtml.xsd``, ``xml.xsd``) -- HL7's R4 4.0.1 XML schemas

and the R5 ones into ``.cache/fhir-schemas/r5/`` (``FHIR_EXPORT_R5_SCHEMA_DIR``), both from HL7's
npm package hl7.fhir.r5.core 5.0.0: ``fhir.schema.json`` (id
``http://hl7.org/fhir/json-schema/5.0``) and ``xsd/fhir-single.xsd``; ``require_r5_schemas``,
``validate_r5_json`` and ``validate_r5_xml`` mirror the R4 helpers.

Importing: pytest (default ``prepend`` import mode, no ``__init__.py`` in ``tests/``) puts
``tests/`` on ``sys.path`` for the test modules there, so tests write ``from conformance import
...``; if ``tests/`` ever becomes a package, ``from tests.conformance import ...`` works instead.

Usage in a test::

    from conformance import require_schemas, validate_r4_json, validate_r4_xml

    def test_bundle_is_r4():
        require_schemas()        # skip locally / fail in CI when the schemas are missing
        assert validate_r4_json(bundle_dict) == []
        assert validate_r4_xml(bundle_xml_bytes) == []

Messages read ``"<ResourceType>/<id>: <where>: <message>"``, naming the innermost resource
that holds the problem (a Bundle entry's own resource, a contained resource, ...).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = Path(
    os.environ.get("FHIR_EXPORT_SCHEMA_DIR") or REPO_ROOT / ".cache" / "fhir-schemas" / "r4"
)
JSON_SCHEMA_PATH = SCHEMA_DIR / "fhir.schema.json"
XSD_DIR = SCHEMA_DIR / "xsd"
XSD_PATH = XSD_DIR / "fhir-single.xsd"

R4_JSON_SCHEMA_ID = "http://hl7.org/fhir/json-schema/4.0"
FHIR_NS = "http://hl7.org/fhir"
FETCH_HINT = "run scripts/fetch_fhir_schemas.sh"

_MAX_MESSAGE = 300  # jsonschema puts the whole offending value in its messages; keep them short

__all__ = [
    "FHIR_NS",
    "JSON_SCHEMA_PATH",
    "R4_JSON_SCHEMA_ID",
    "SCHEMA_DIR",
    "XSD_PATH",
    "assert_valid_r4_json",
    "assert_valid_r4_xml",
    "r4_resource_types",
    "require_schemas",
    "schemas_available",
    "validate_r4_json",
    "validate_r4_xml",
]


# --------------------------------------------------------------------------------------------
# Availability
# --------------------------------------------------------------------------------------------


def schemas_available() -> bool:
    """True when both the R4 JSON schema and the R4 XSD set are on disk."""
    return all(
        p.is_file() and p.stat().st_size > 0
        for p in (
            JSON_SCHEMA_PATH,
            XSD_PATH,
            XSD_DIR / "fhir-xhtml.xsd",
            XSD_DIR / "xml.xsd",
        )
    )


def _schemas_required() -> bool:
    ci = os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}
    return ci or os.environ.get("FHIR_EXPORT_REQUIRE_SCHEMAS", "").strip() == "1"


def require_schemas() -> None:
    """Skip the calling test when the schemas are missing; fail instead under CI.

    Under ``CI=true`` (or ``FHIR_EXPORT_REQUIRE_SCHEMAS=1``) a missing schema must not turn
    the conformance tests into silent skips, so the test fails.
    """
    if schemas_available():
        return
    message = f"R4 schemas not fetched: {FETCH_HINT} (looked in {SCHEMA_DIR})"
    if _schemas_required():
        pytest.fail(
            f"{message}; CI=true / FHIR_EXPORT_REQUIRE_SCHEMAS=1 require them", pytrace=False
        )
    pytest.skip(message)


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


@functools.cache
def _r4_json_schema() -> dict[str, Any]:
    with JSON_SCHEMA_PATH.open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    schema_id = schema.get("$id") or schema.get("id")
    if schema_id != R4_JSON_SCHEMA_ID:
        raise RuntimeError(f"{JSON_SCHEMA_PATH} has id {schema_id!r}, not {R4_JSON_SCHEMA_ID}")
    return schema


@functools.cache
def r4_resource_types() -> frozenset[str]:
    """The resource types the R4 JSON schema knows (its resourceType discriminator)."""
    return frozenset(_r4_json_schema()["discriminator"]["mapping"])


@functools.lru_cache(maxsize=64)
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    # The schema's patterns are ECMAScript regexes: there '$' matches only at the very end,
    # while Python's '$' also matches before a final newline ("active\n" would pass '^...$').
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern_keyword(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if schema.get("type", "string") != "string":
        # e.g. boolean has pattern '^true|false$' next to type boolean: a string there is
        # already reported as "is not of type 'boolean'"; the pattern error would be noise.
        return
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield ValidationError(f"{_short(instance)} does not match {pattern!r}")


def _fhir_resource_keyword(
    validator: Any, _value: Any, instance: Any, _schema: Any
) -> Iterator[Any]:
    """Stand-in for the schema's ``ResourceList`` (a ``oneOf`` over ~150 resource types).

    It dispatches on ``resourceType`` -- what the schema's ``discriminator`` says -- so a bad
    Bundle entry or contained resource is reported against its own type, with its own path,
    instead of "is not valid under any of the given schemas" after trying every type.
    """
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        yield ValidationError(f"{_short(instance)} is not a resource (expected a JSON object)")
        return
    resource_type = instance.get("resourceType")
    if resource_type is None:
        yield ValidationError("'resourceType' is a required property")
        return
    if not isinstance(resource_type, str) or resource_type not in r4_resource_types():
        yield ValidationError(f"{_short(resource_type)} is not an R4 resourceType")
        return
    yield from validator.descend(
        instance, {"$ref": f"{R4_JSON_SCHEMA_ID}#/definitions/{resource_type}"}
    )


@functools.cache
def _json_validator() -> Any:
    """One validator for every resource type, built once per test session."""
    from jsonschema import Draft6Validator, validators
    from referencing import Registry
    from referencing.jsonschema import DRAFT6

    schema = _r4_json_schema()
    definitions = dict(schema["definitions"])  # shallow copy: the loaded schema stays verbatim
    definitions["ResourceList"] = {"fhirResource": True}
    root = {key: value for key, value in schema.items() if key not in ("oneOf", "discriminator")}
    root["definitions"] = definitions
    # The file says "id" (draft-04 spelling) while declaring draft-06, which reads "$id":
    # register it under its id explicitly so absolute and relative $refs both resolve.
    registry = Registry().with_resource(R4_JSON_SCHEMA_ID, DRAFT6.create_resource(root))
    validator_cls = validators.extend(
        Draft6Validator,
        {"fhirResource": _fhir_resource_keyword, "pattern": _pattern_keyword},
    )
    return validator_cls({"fhirResource": True}, registry=registry)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_path(path: Sequence[Any]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _resource_label(root: Any, path: Sequence[Any]) -> str:
    """``Type/id`` of the innermost resource on ``path`` (the document root if none inside)."""
    label = _label_of(root)
    node = root
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, Mapping) and isinstance(node.get("resourceType"), str):
            label = _label_of(node)
    return label


_PLAIN_LABEL = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def _label_part(value: Any, missing: str) -> str:
    if value is None:
        return missing
    if isinstance(value, str) and _PLAIN_LABEL.fullmatch(value):
        return value
    return _short(value, 40)  # odd ids/types are shown quoted, never raw (newlines etc.)


def _label_of(node: Any) -> str:
    if not isinstance(node, Mapping):
        return "<not a resource>"
    resource_type = _label_part(node.get("resourceType"), "<no resourceType>")
    return f"{resource_type}/{_label_part(node.get('id'), '<no id>')}"


def _path_sort_key(path: Sequence[Any]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in path)


def validate_r4_json(resource: Mapping[str, Any] | str | bytes) -> list[str]:
    """Validate a resource (any type, Bundles included) against the official R4 JSON schema.

    ``resource`` is a parsed JSON object or JSON text. Every resource inside (Bundle entries,
    contained resources, Parameters) is validated against its own type's definition.
    Returns readable messages ``"<ResourceType>/<id>: <json path>: <message>"``; empty = valid.
    """
    if isinstance(resource, str | bytes):
        try:
            resource = json.loads(resource)
        except ValueError as exc:
            return [f"<document>: $: not valid JSON: {exc}"]
    validator = _json_validator()
    errors = sorted(
        validator.iter_errors(resource),
        key=lambda e: (_path_sort_key(e.absolute_path), e.message),
    )
    messages = []
    for error in errors:
        path = list(error.absolute_path)
        message = error.message
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 3] + "..."
        messages.append(f"{_resource_label(resource, path)}: {_json_path(path)}: {message}")
    return messages


def assert_valid_r4_json(resource: Mapping[str, Any] | str | bytes) -> None:
    """``assert`` helper: raises AssertionError listing every schema violation."""
    problems = validate_r4_json(resource)
    if problems:
        raise AssertionError(
            f"{len(problems)} R4 JSON schema violation(s):\n  " + "\n  ".join(problems)
        )


# --------------------------------------------------------------------------------------------
# XML
# --------------------------------------------------------------------------------------------


def _safe_parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _local_xsd_parser() -> Any:
    """Parser for the schema files: any import/include must come from the local xsd/ folder."""
    from lxml import etree

    xsd_dir = XSD_DIR.resolve()

    class _LocalOnly(etree.Resolver):  # type: ignore[misc]
        def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
            # Map well-known remote schema locations to the local copies; refuse anything
            # else that is not a file in xsd/ (no network, ever).
            name = (system_url or "").rsplit("/", 1)[-1]
            local = (xsd_dir / name).resolve()
            if name and local.parent == xsd_dir and local.is_file():
                return self.resolve_filename(str(local), context)
            raise OSError(f"XSD import outside {xsd_dir} refused: {system_url!r}")

    parser = _safe_parser()
    parser.resolvers.add(_LocalOnly())
    return parser


@functools.cache
def _xml_schema() -> Any:
    from lxml import etree

    doc = etree.parse(str(XSD_PATH), _local_xsd_parser())
    return etree.XMLSchema(doc)


def _xml_label(doc: Any, xpath: str | None) -> str:
    """``Type/id`` of the innermost FHIR resource element around the node at ``xpath``."""
    root = doc.getroot()
    element = root
    if xpath:
        try:
            found = doc.xpath(xpath)
        except Exception:  # libxml2 paths are usually plain, but never let labelling fail
            found = []
        if found and hasattr(found[0], "tag"):
            element = found[0]
    resource_holders = {f"{{{FHIR_NS}}}{n}" for n in ("resource", "contained", "outcome")}
    node = element
    while node is not None:
        parent = node.getparent()
        if isinstance(node.tag, str) and (parent is None or parent.tag in resource_holders):
            qname = node.tag.rsplit("}", 1)[-1]
            id_el = node.find(f"{{{FHIR_NS}}}id")
            rid = id_el.get("value") if id_el is not None else None
            return f"{_label_part(qname, '?')}/{_label_part(rid, '<no id>')}"
        node = parent
    return "<document>"


def validate_r4_xml(xml: bytes | str) -> list[str]:
    """Validate an XML document (resource or Bundle) against the official ``fhir-single.xsd``.

    Returns messages ``"<ResourceType>/<id>: line <n>: <libxml2 message>"``; empty = valid.
    The document is parsed without DTDs, entity expansion or network access.
    """
    from lxml import etree

    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    schema = _xml_schema()
    try:
        doc = etree.ElementTree(etree.fromstring(xml, _safe_parser()))
    except etree.XMLSyntaxError as exc:
        return [f"<document>: line {exc.lineno}: not well-formed XML: {exc.msg}"]
    problems = []
    if doc.docinfo.doctype or doc.docinfo.internalDTD is not None:
        # FHIR XML has no DTD (HL7 advises parsers to ignore entities); report it rather
        # than validate a document whose entity references were left unexpanded.
        problems.append(
            f"{_xml_label(doc, None)}: line 1: DOCTYPE/DTD present: FHIR XML uses no DTD "
            "(entities are not expanded, so what they stand for is not validated)"
        )
    try:
        valid = schema.validate(doc)
    except etree.XMLSchemaValidateError as exc:  # e.g. unexpanded entity references
        return [*problems, f"{_xml_label(doc, None)}: line 1: XSD validation aborted: {exc}"]
    if valid:
        return problems
    return problems + [
        f"{_xml_label(doc, entry.path)}: line {entry.line}: {entry.message}"
        for entry in schema.error_log
    ]


def assert_valid_r4_xml(xml: bytes | str) -> None:
    """``assert`` helper: raises AssertionError listing every XSD violation."""
    problems = validate_r4_xml(xml)
    if problems:
        raise AssertionError(f"{len(problems)} R4 XSD violation(s):\n  " + "\n  ".join(problems))


# --------------------------------------------------------------------------------------------
# R5 (5.0.0): the same checks against HL7's R5 JSON schema and XSDs (hl7.fhir.r5.core 5.0.0)
# --------------------------------------------------------------------------------------------

R5_SCHEMA_DIR = Path(
    os.environ.get("FHIR_EXPORT_R5_SCHEMA_DIR") or REPO_ROOT / ".cache" / "fhir-schemas" / "r5"
)
R5_JSON_SCHEMA_PATH = R5_SCHEMA_DIR / "fhir.schema.json"
R5_XSD_DIR = R5_SCHEMA_DIR / "xsd"
R5_XSD_PATH = R5_XSD_DIR / "fhir-single.xsd"
R5_JSON_SCHEMA_ID = "http://hl7.org/fhir/json-schema/5.0"

__all__ += [
    "R5_JSON_SCHEMA_ID",
    "R5_JSON_SCHEMA_PATH",
    "R5_SCHEMA_DIR",
    "R5_XSD_PATH",
    "assert_valid_r5_json",
    "assert_valid_r5_xml",
    "r5_resource_types",
    "r5_schemas_available",
    "require_r5_schemas",
    "validate_r5_json",
    "validate_r5_xml",
]


def r5_schemas_available() -> bool:
    """True when both the R5 JSON schema and the R5 XSD set are on disk."""
    return all(
        p.is_file() and p.stat().st_size > 0
        for p in (
            R5_JSON_SCHEMA_PATH,
            R5_XSD_PATH,
            R5_XSD_DIR / "fhir-xhtml.xsd",
            R5_XSD_DIR / "xml.xsd",
        )
    )


def require_r5_schemas() -> None:
    """Skip the calling test when the R5 schemas are missing; fail instead under CI
    (``CI=true`` or ``FHIR_EXPORT_REQUIRE_SCHEMAS=1``), as :func:`require_schemas` does."""
    if r5_schemas_available():
        return
    message = f"R5 schemas not fetched: {FETCH_HINT} (looked in {R5_SCHEMA_DIR})"
    if _schemas_required():
        pytest.fail(
            f"{message}; CI=true / FHIR_EXPORT_REQUIRE_SCHEMAS=1 require them", pytrace=False
        )
    pytest.skip(message)


@functools.cache
def _r5_json_schema() -> dict[str, Any]:
    with R5_JSON_SCHEMA_PATH.open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    schema_id = schema.get("$id") or schema.get("id")
    if schema_id != R5_JSON_SCHEMA_ID:
        raise RuntimeError(f"{R5_JSON_SCHEMA_PATH} has id {schema_id!r}, not {R5_JSON_SCHEMA_ID}")
    return schema


@functools.cache
def r5_resource_types() -> frozenset[str]:
    """The resource types the R5 JSON schema knows (its resourceType discriminator)."""
    return frozenset(_r5_json_schema()["discriminator"]["mapping"])


def _r5_resource_keyword(
    validator: Any, _value: Any, instance: Any, _schema: Any
) -> Iterator[Any]:
    """R5 twin of :func:`_fhir_resource_keyword`: dispatch on ``resourceType``."""
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        yield ValidationError(f"{_short(instance)} is not a resource (expected a JSON object)")
        return
    resource_type = instance.get("resourceType")
    if resource_type is None:
        yield ValidationError("'resourceType' is a required property")
        return
    if not isinstance(resource_type, str) or resource_type not in r5_resource_types():
        yield ValidationError(f"{_short(resource_type)} is not an R5 resourceType")
        return
    yield from validator.descend(
        instance, {"$ref": f"{R5_JSON_SCHEMA_ID}#/definitions/{resource_type}"}
    )


@functools.cache
def _r5_json_validator() -> Any:
    from jsonschema import Draft6Validator, validators
    from referencing import Registry
    from referencing.jsonschema import DRAFT6

    schema = _r5_json_schema()
    definitions = dict(schema["definitions"])
    definitions["ResourceList"] = {"fhirResource": True}
    root = {key: value for key, value in schema.items() if key not in ("oneOf", "discriminator")}
    root["definitions"] = definitions
    registry = Registry().with_resource(R5_JSON_SCHEMA_ID, DRAFT6.create_resource(root))
    validator_cls = validators.extend(
        Draft6Validator,
        {"fhirResource": _r5_resource_keyword, "pattern": _pattern_keyword},
    )
    return validator_cls({"fhirResource": True}, registry=registry)


def _json_messages(validator: Any, resource: Mapping[str, Any] | str | bytes) -> list[str]:
    if isinstance(resource, str | bytes):
        try:
            resource = json.loads(resource)
        except ValueError as exc:
            return [f"<document>: $: not valid JSON: {exc}"]
    errors = sorted(
        validator.iter_errors(resource),
        key=lambda e: (_path_sort_key(e.absolute_path), e.message),
    )
    messages = []
    for error in errors:
        path = list(error.absolute_path)
        message = error.message
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 3] + "..."
        messages.append(f"{_resource_label(resource, path)}: {_json_path(path)}: {message}")
    return messages


def validate_r5_json(resource: Mapping[str, Any] | str | bytes) -> list[str]:
    """Validate a resource (any type, Bundles included) against the official R5 JSON schema;
    messages as :func:`validate_r4_json`; empty = valid."""
    return _json_messages(_r5_json_validator(), resource)


def assert_valid_r5_json(resource: Mapping[str, Any] | str | bytes) -> None:
    problems = validate_r5_json(resource)
    if problems:
        raise AssertionError(
            f"{len(problems)} R5 JSON schema violation(s):\n  " + "\n  ".join(problems)
        )


def _local_only_parser(xsd_dir: Path) -> Any:
    """Parser for schema files whose imports/includes may only come from ``xsd_dir``."""
    from lxml import etree

    root_dir = xsd_dir.resolve()

    class _LocalOnly(etree.Resolver):  # type: ignore[misc]
        def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
            name = (system_url or "").rsplit("/", 1)[-1]
            local = (root_dir / name).resolve()
            if name and local.parent == root_dir and local.is_file():
                return self.resolve_filename(str(local), context)
            raise OSError(f"XSD import outside {root_dir} refused: {system_url!r}")

    parser = _safe_parser()
    parser.resolvers.add(_LocalOnly())
    return parser


@functools.cache
def _r5_xml_schema() -> Any:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(R5_XSD_PATH), _local_only_parser(R5_XSD_DIR)))


def _xml_messages(schema: Any, xml: bytes | str) -> list[str]:
    from lxml import etree

    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    try:
        doc = etree.ElementTree(etree.fromstring(xml, _safe_parser()))
    except etree.XMLSyntaxError as exc:
        return [f"<document>: line {exc.lineno}: not well-formed XML: {exc.msg}"]
    problems = []
    if doc.docinfo.doctype or doc.docinfo.internalDTD is not None:
        problems.append(
            f"{_xml_label(doc, None)}: line 1: DOCTYPE/DTD present: FHIR XML uses no DTD "
            "(entities are not expanded, so what they stand for is not validated)"
        )
    try:
        valid = schema.validate(doc)
    except etree.XMLSchemaValidateError as exc:
        return [*problems, f"{_xml_label(doc, None)}: line 1: XSD validation aborted: {exc}"]
    if valid:
        return problems
    return problems + [
        f"{_xml_label(doc, entry.path)}: line {entry.line}: {entry.message}"
        for entry in schema.error_log
    ]


def validate_r5_xml(xml: bytes | str) -> list[str]:
    """Validate an XML document against the official R5 ``fhir-single.xsd`` (same namespace,
    http://hl7.org/fhir, as R4); messages as :func:`validate_r4_xml`; empty = valid."""
    return _xml_messages(_r5_xml_schema(), xml)


def assert_valid_r5_xml(xml: bytes | str) -> None:
    problems = validate_r5_xml(xml)
    if problems:
        raise AssertionError(f"{len(problems)} R5 XSD violation(s):\n  " + "\n  ".join(problems))
