"""Step 1: read the bytes safely and check the structure through fhir.resources' models.

JSON whose structure structure.conforms() accepts (R4 first unless a release is forced) is
taken as it is: the models would accept it too, and skipping them is most of the speed.
Otherwise reading is convert.read(): JSON or XML, R4 (fhir.resources.R4B) else R5, XML with
no DTD, no entities, no network and libxml2's size limits. Before it, the file size and the
nesting depth are bounded (a deep JSON document would otherwise exhaust the recursion limit).
When the models refuse the content, each of pydantic's errors becomes one issue at its FHIRPath
location.
"""

from __future__ import annotations

import json
from typing import Any

from lxml import etree
from pydantic import ValidationError

from ..convert import (
    _XML_PARSER_OPTIONS,
    MAX_BYTES,
    MAX_DEPTH,
    _model_class,
    _secure_root,
    read,
)
from ..convert import json_depth as _json_depth
from ..convert import xml_depth as _xml_depth
from ..errors import SourceError
from .issues import DOCUMENT, Issue
from .structure import conforms

RELEASES = ("R4", "R5")


def _document_error(message: str, code: str) -> list[Issue]:
    return [Issue("error", DOCUMENT, message, code)]


def _location(root: str, loc: tuple[Any, ...]) -> str:
    text = root
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = str(part)
            if name.endswith("__ext"):
                name = "_" + name[:-5]
            elif name.endswith("__fhir"):
                name = name[:-6]
            text += f".{name}"
    return text


def _model_issues(cls: Any, raw: Any, data: bytes, is_xml: bool) -> list[Issue]:
    """Pydantic's complaints as issues ([] if the model accepts the content)."""
    root = cls.__name__
    try:
        if is_xml:
            cls.model_validate_xml(data, xmlparser=etree.XMLParser(**_XML_PARSER_OPTIONS))
        else:
            cls.model_validate(raw)
    except ValidationError as exc:
        issues = []
        for error in exc.errors():
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            value = error.get("input")
            if error.get("type") != "missing" and isinstance(value, str | int | float | bool):
                message += f" (got {json.dumps(value)[:80]})"
            code = "required" if "missing" in str(error.get("type")) else "structure"
            issues.append(
                Issue("error", _location(root, tuple(error.get("loc", ()))), message, code)
            )
        return issues
    except KeyError as exc:  # fhir.resources' XML reader, for an element the model lacks
        return [Issue("error", root, f"unknown element {exc}", "structure")]
    except Exception as exc:  # never let a reader's surprise escape
        return [Issue("error", root, _first_line(exc), "structure")]
    return []


def _r4_refuses(raw: dict[str, Any]) -> bool:
    """Whether R4's models refuse the resource (then detection falls to R5): at once when it
    or a resource in it has a type or a property the R4 models lack (they forbid extra
    properties), else by running them."""
    if _r4_lacks(raw):
        return True
    try:
        _model_class(str(raw["resourceType"]), "R4").model_validate(raw)
    except Exception:
        return True
    return False


def _r4_lacks(resource: dict[str, Any]) -> bool:
    try:
        cls = _model_class(str(resource.get("resourceType")), "R4")
    except SourceError:
        return True
    if not set(resource) - {"resourceType"} <= _properties(cls):
        return True
    inner = [e.get("resource") for e in resource.get("entry") or () if isinstance(e, dict)]
    inner += list(resource.get("contained") or ())
    return any(isinstance(r, dict) and _r4_lacks(r) for r in inner)


_PROPERTIES: dict[Any, frozenset[str]] = {}


def _properties(cls: Any) -> frozenset[str]:
    """The JSON properties a model class accepts (its fields' aliases)."""
    found = _PROPERTIES.get(cls)
    if found is None:
        found = _PROPERTIES[cls] = frozenset(
            field.alias or name for name, field in cls.model_fields.items()
        )
    return found


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load(
    data: bytes, *, path: str, fhir_version: str | None
) -> tuple[dict[str, Any] | None, str | None, list[Issue]]:
    """(resource as FHIR JSON, release, issues); the resource is None when it cannot be read
    or its structure is invalid, and the issues then say why."""
    if len(data) > MAX_BYTES:
        return None, None, _document_error(f"file is over the {MAX_BYTES} byte limit", "too-costly")
    is_xml = data.lstrip().startswith(b"<")
    raw: Any = None
    too_deep = f"nested deeper than {MAX_DEPTH} levels"
    try:
        if is_xml:
            root = _secure_root(data, path)
            if _xml_depth(root) > MAX_DEPTH:
                return None, None, _document_error(f"XML {too_deep}", "too-costly")
            resource_type: Any = etree.QName(root).localname
        else:
            raw = json.loads(data)
            if conforms(raw, fhir_version or "R4"):
                # the structure the models would accept (structure.py, which also bounds the
                # depth): the models are skipped
                return raw, fhir_version or "R4", []
            if fhir_version is None and conforms(raw, "R5") and _r4_refuses(raw):
                return raw, "R5", []  # as convert.read() decides: R4 first, else R5
            if _json_depth(raw) > MAX_DEPTH:
                return None, None, _document_error(f"JSON {too_deep}", "too-costly")
            resource_type = raw.get("resourceType") if isinstance(raw, dict) else None
    except SourceError as exc:
        failure = exc.message
        if "Excessive depth" in failure:  # libxml2's own limit (256) without huge_tree
            return None, None, _document_error(f"XML {too_deep}", "too-costly")
        if "Resource limit exceeded" in failure or "Huge input lookup" in failure:
            return (
                None,
                None,
                _document_error(
                    "XML over the parser's limits (a text or attribute value over 10 MB)",
                    "too-costly",
                ),
            )
        return (
            None,
            None,
            _document_error(failure, "security" if "DOCTYPE" in failure else "structure"),
        )
    except RecursionError:
        return None, None, _document_error(f"JSON {too_deep}", "too-costly")
    except ValueError as exc:
        return None, None, _document_error(f"neither FHIR JSON nor XML ({exc})", "structure")
    if not isinstance(resource_type, str):
        return None, None, _document_error("JSON without a 'resourceType'", "structure")

    releases = [fhir_version] if fhir_version else list(RELEASES)
    models = []
    for order, release in enumerate(releases):
        try:
            cls = _model_class(resource_type, release)
        except SourceError:
            continue
        models.append((order, release, cls))
        outcome: tuple[dict[str, Any], str] | None = None
        try:  # convert.read(), one release at a time: its XML reader can raise KeyError
            outcome = read(data, path=path, fhir_version=release)
        except RecursionError:
            return None, None, _document_error(f"content {too_deep}", "too-costly")
        except Exception:  # the models' own complaints are gathered below
            outcome = None
        if outcome is not None:
            return outcome[0], outcome[1], []
    if not models:
        message = f"'{resource_type}' is not a FHIR {' or '.join(releases)} resource type"
        return None, None, _document_error(message, "structure")
    # No release accepts it: report the complaints of the one with the fewest (R4 on a tie).
    candidates = []
    for order, release, cls in models:
        issues = _model_issues(cls, raw, data, is_xml) or [
            Issue("error", resource_type, f"not valid FHIR {release}", "structure")
        ]
        candidates.append((len(issues), order, release, issues))
    _, _, release, issues = min(candidates)
    return None, release, issues
