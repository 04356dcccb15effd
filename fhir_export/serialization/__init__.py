"""Serializers by format name: FHIR JSON dict -> bytes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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



def spliced(writers: list[Any], data: list[bytes], splices: list[Any],
            size: int = 1 << 16) -> Iterator[tuple[bytes, ...]]:
    """Each writer's bytes of one item (`data`, from LISTED writers) with the token of each
    splice (bundling.Splice, in the order of the item) replaced by its items, read once
    and written in every format as they come: chunks of about `size` bytes, one per writer
    a step (for spool.tee)."""
    out: list[list[bytes]] = [[] for _ in writers]
    held = 0
    rest = list(data)
    for splice in splices:
        indents = []
        for n, writer in enumerate(writers):
            before, indent, rest[n] = writer.split(rest[n], splice.token)
            out[n].append(before)
            indents.append(indent)
        for index, item in enumerate(splice.items()):
            for n, writer in enumerate(writers):
                out[n].append(writer.inserted(item, splice.key, indents[n], index == 0))
            held += len(out[0][-1])
            if held >= size:
                yield tuple(b"".join(parts) for parts in out)
                out, held = [[] for _ in writers], 0
    for n, tail in enumerate(rest):
        out[n].append(tail)
    yield tuple(b"".join(parts) for parts in out)


__all__ = ["LISTED", "SERIALIZERS", "Serializer", "spliced"]
