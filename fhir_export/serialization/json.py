"""FHIR JSON: UTF-8, two-space indent, keys in specification order, trailing newline."""

from __future__ import annotations

import json
from typing import Any


def dumps(resource: dict[str, Any]) -> bytes:
    return (json.dumps(resource, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
