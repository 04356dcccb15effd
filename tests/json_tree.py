"""Walking a FHIR JSON tree by paths of keys and indexes, for the tests that break it in one
place (tests/test_bundle_check.py, tests/test_validate_structure.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every node of the tree with its path, the root first (depth first, in key order)."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nodes(item, (*path, index))


def at(root: Any, path: tuple[Any, ...]) -> Any:
    """The node at a path."""
    for step in path:
        root = root[step]
    return root
