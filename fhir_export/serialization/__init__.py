"""Serializers by format name: FHIR JSON dict -> bytes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import json as json_format
from . import xml as xml_format

Serializer = Callable[[dict[str, Any]], bytes]

SERIALIZERS: dict[str, Serializer] = {
    "json": json_format.dumps,
    "xml": xml_format.dumps,
}

# a document whose last element is a list, serialized one item at a time (see json.Listed)
LISTED: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "json": json_format.Listed,
    "xml": xml_format.Listed,
}

__all__ = ["LISTED", "SERIALIZERS", "Serializer"]
