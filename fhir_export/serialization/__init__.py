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

__all__ = ["SERIALIZERS", "Serializer"]
