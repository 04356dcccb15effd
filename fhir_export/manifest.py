"""The run manifest (`manifest.json` in the output folder): what a run wrote, from which
inputs, with sha256 hashes, resource counts per type and the run's errors.

Every export writes one, in every format. With `--format ndjson` it is a FHIR Bulk Data
`$export` manifest (transactionTime, request, requiresAccessToken, output, error) and our run
record sits in its `extension` object, the name the Bulk Data IG reserves for this; the other
formats write the same `extension` object alone, so one reader serves all. The record holds no
wall-clock time: the same inputs give the same bytes.

Pure functions only: pipeline.py writes the file and cleans the folder; push.py checks a
folder against it before sending anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from . import __version__
from .errors import ExitCode, ExportError, display
from .spool import Streamed, Table, streamed_json

NAME = "manifest.json"
KEY = "fhir-export"  # our object inside the manifest's `extension`
VERSION = 1
OWN_SUFFIXES = (".bundle.json", ".bundle.xml", ".ndjson")  # names our outputs have
_FHIR_NS = "{http://hl7.org/fhir}"


class ManifestError(ExportError):
    """A folder's files disagree with its manifest.json: push refuses it, sending nothing."""

    exit_code = ExitCode.MANIFEST_MISMATCH
    stage = "push"


@dataclass(frozen=True, slots=True)
class FileRecord:
    path: str  # POSIX, relative to the manifest's folder, as display() prints it
    sha256: str
    size: int
    resources: tuple[tuple[str, int], ...]  # (resourceType, count), sorted by type
    raw: bytes | None = None  # the name's bytes when they are not printable UTF-8

    @property
    def name(self) -> str:
        """The relative path as the file system has it."""
        return os.fsdecode(self.raw) if self.raw is not None else self.path

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            **({"pathBytes": self.raw.hex()} if self.raw is not None else {}),
            "sha256": self.sha256,
            "bytes": self.size,
            "resources": dict(self.resources),
        }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def resource_counts(name: str, data: bytes) -> tuple[tuple[str, int], ...]:
    """Resources per type in one of our output files (a JSON or XML Bundle, or NDJSON)."""
    counts: Counter[str] = Counter()
    if name.endswith(".ndjson"):
        for line in data.splitlines():
            if line.strip():
                counts[str(json.loads(line).get("resourceType"))] += 1
    elif name.endswith(".xml"):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        root = etree.fromstring(data, parser)
        for entry in root.iterchildren(f"{_FHIR_NS}entry"):
            for holder in entry.iterchildren(f"{_FHIR_NS}resource"):
                for resource in holder:
                    if isinstance(resource.tag, str):
                        counts[etree.QName(resource).localname] += 1
    else:
        bundle = json.loads(data)
        for entry in bundle.get("entry") or []:
            counts[str((entry.get("resource") or {}).get("resourceType"))] += 1
    return tuple(sorted(counts.items()))


def bundle_counts(bundle: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    """Resources per type of a Bundle as FHIR JSON: what resource_counts reads from its
    serialized bytes, counted before they are written."""
    counts = Counter(str((e.get("resource") or {}).get("resourceType"))
                     for e in bundle.get("entry") or [])
    return tuple(sorted(counts.items()))


def record(out_dir: Path, path: Path, data: bytes,
           counts: tuple[tuple[str, int], ...] | None = None) -> FileRecord:
    return record_of(out_dir, path, sha256(data), len(data),
                     counts if counts is not None else resource_counts(path.name, data))


def record_ndjson(out_dir: Path, path: Path) -> FileRecord:
    """record() of an NDJSON file, read a line at a time, so memory does not grow with it."""
    digest, size, counts = hashlib.sha256(), 0, Counter[str]()
    with path.open("rb") as handle:
        for line in handle:
            digest.update(line)
            size += len(line)
            if line.strip():
                counts[str(json.loads(line).get("resourceType"))] += 1
    return record_of(out_dir, path, digest.hexdigest(), size, tuple(sorted(counts.items())))


def record_of(out_dir: Path, path: Path, digest: str, size: int,
            counts: tuple[tuple[str, int], ...]) -> FileRecord:
    relative = PurePosixPath(*path.relative_to(out_dir).parts).as_posix()
    shown = display(relative)
    return FileRecord(shown, digest, size, counts,
                      os.fsencode(relative) if shown != relative else None)


def listed_name(item: dict[str, Any]) -> str | None:
    """A file entry's name as the file system has it (pathBytes for names that display()
    escapes), or None."""
    raw = item.get("pathBytes")
    if isinstance(raw, str):
        try:
            return os.fsdecode(bytes.fromhex(raw))
        except ValueError:
            return None
    path = item.get("path")
    return path if isinstance(path, str) else None


def run_record(
    *,
    mode: str,
    options: dict[str, str],
    files: list[FileRecord] | Streamed,
    inputs: list[dict[str, Any]] | Streamed,
    errors: list[str],
) -> dict[str, Any]:
    """Our part of the manifest: deterministic (no times), files in push order (a Streamed
    list: their records serialized, see document)."""
    return {
        "version": VERSION,
        "generator": f"fhir-export {__version__}",
        "mode": mode,
        **options,
        "files": files if isinstance(files, Streamed) else [f.as_json() for f in files],
        "inputs": inputs,
        "errors": errors,
    }


def document(run: dict[str, Any], bulk: dict[str, Any] | None = None) -> Iterator[bytes]:
    """The manifest's bytes, read as they are written (its Streamed lists from disk)."""
    data = dict(bulk or {})
    data["extension"] = {**(data.get("extension") or {}), KEY: run}
    return streamed_json(data)


@dataclass(frozen=True, slots=True)
class Previous:
    """What an earlier run's manifest says it wrote: file system name -> sha256 (None: no
    hash known, a Bulk Data manifest of an older fhir-export), per input (display path) its
    outputs, the file entries by their displayed path and per input its identities. Tables
    on disk (spool.Table): a manifest of 100,000 articles is not held in memory."""

    files: Table = field(default_factory=Table)  # str -> str | None
    inputs: Table = field(default_factory=Table)  # str -> list[str]
    records: Table = field(default_factory=Table)  # str -> dict[str, Any]
    identities: Table = field(default_factory=Table)  # str -> list[dict[str, str]]

    def add(self, listed: str, item: Any) -> None:
        """One item of the run record's `files` or `inputs` list (`listed`)."""
        if listed == "files" and isinstance(item, dict):
            name = listed_name(item)
            if name is not None:
                self.files.put(name, str(item.get("sha256")))
            self.records.put(str(item.get("path")), item)  # by the name outputs list
        elif listed == "inputs" and isinstance(item, dict) and isinstance(item.get("path"), str):
            self.inputs.put(item["path"], [str(o) for o in item.get("outputs") or []])
            self.identities.put(item["path"], identities_of(item))


def identities_of(row: dict[str, Any]) -> list[dict[str, str]]:
    """An input record's identity, then its previous ones ({system, value} each)."""
    found = [row.get("identity"), *(row.get("previousIdentities") or [])]
    return [{"system": str(i["system"]), "value": str(i["value"])} for i in found
            if isinstance(i, dict) and i.get("system") and i.get("value")]


def read_previous(out_dir: Path) -> Previous | None:
    """The manifest an earlier fhir-export run left in out_dir, or None (none, unreadable,
    or not ours: then nothing in the folder is known to be ours)."""
    previous = Previous()
    try:
        try:
            data = _streamed(out_dir / NAME, previous)
        except ValueError:  # valid JSON, maybe, but not laid out as we write it
            data = None
        if data is None:  # read whole
            previous = Previous()
            data = json.loads((out_dir / NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    run = _run(data)
    if isinstance(run, dict) and (isinstance(run.get("files"), list)
                                  or run.get("files") == _STREAMED):
        for listed in ("files", "inputs"):
            if isinstance(run.get(listed), list):  # not streamed: read whole, or empty
                for item in run[listed]:
                    previous.add(listed, item)
        return previous
    if str(data.get("request", "")).startswith("fhir-export export") and isinstance(
        data.get("output"), list
    ):  # an NDJSON manifest of an earlier release: file names, no hashes
        for name in (str(o.get("url")) for o in data["output"] if isinstance(o, dict)):
            previous.files.put(name, None)
        return previous
    return None


_STREAMED = "\x00streamed"  # in place of a list read item by item
_LIST = re.compile(r'( *)"(files|inputs)": \[')


def _run(data: Any) -> Any:
    extension = data.get("extension") if isinstance(data, dict) else None
    return extension.get(KEY) if isinstance(extension, dict) else None


def _streamed(path: Path, previous: Previous) -> Any:
    """The manifest at path read line by line as fhir-export writes it (json.dumps, indent
    2): the items of its run record's `files` and `inputs` lists one at a time, to
    previous.add, the rest parsed (those lists replaced by a marker). None when the file
    is not laid out so (then it is read whole)."""
    rest: list[str] = []
    streamed: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            match = _LIST.fullmatch(line.rstrip("\n"))
            if match is None:
                rest.append(line)
                continue
            indent, listed = match.groups()
            level, item = indent + "  ", list[str]()
            for inner in lines:
                text = inner.rstrip("\n")
                if text in (indent + "]", indent + "],"):
                    if item:
                        previous.add(listed, json.loads("\n".join(item)))
                    comma = "," if text.endswith(",") else ""
                    rest.append(f'{indent}"{listed}": {json.dumps(_STREAMED)}{comma}\n')
                    break
                item.append(text)
                if text.startswith(level) and text[len(level) : len(level) + 1] != " " and (
                        text.endswith(",")):  # the item's last line
                    item[-1] = text[:-1]
                    previous.add(listed, json.loads("\n".join(item)))
                    item = []
            else:
                return None
            streamed.append(listed)
    data = json.loads("".join(rest))
    run = _run(data)
    if (not streamed or len(set(streamed)) != len(streamed) or not isinstance(run, dict)
            or any(run.get(listed) != _STREAMED for listed in streamed)):
        return None
    return data


def safe_member(out_dir: Path, relative: str) -> Path | None:
    """out_dir/relative when it stays inside out_dir (no absolute path, no '..'), else None."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in relative:
        return None
    return out_dir.joinpath(*pure.parts)


def verified_files(folder: Path) -> list[Path] | None:
    """The files folder/manifest.json lists, in its order, after checking each against it:
    None when the folder has no manifest. Raises ManifestError (nothing may be sent) when a
    listed file is missing, outside the folder, or not the bytes the manifest hashed."""
    manifest = folder / NAME
    if not manifest.is_file():
        return None
    where = str(manifest)
    try:
        data = json.loads(manifest.read_bytes())
    except (OSError, ValueError) as exc:
        raise ManifestError(f"cannot read the manifest ({exc})", path=where) from None
    extension = data.get("extension") if isinstance(data, dict) else None
    run = extension.get(KEY) if isinstance(extension, dict) else None
    if isinstance(run, dict) and isinstance(run.get("files"), list):
        listed = [(listed_name(f), f.get("sha256")) for f in run["files"] if isinstance(f, dict)]
    elif isinstance(data, dict) and isinstance(data.get("output"), list):  # Bulk Data alone
        listed = [(o.get("url"), None) for o in data["output"] if isinstance(o, dict)]
    else:
        raise ManifestError("not a fhir-export or Bulk Data manifest", path=where)
    hint = "Export again into this folder, or push the files by name."
    found: list[Path] = []
    for relative, digest in listed:
        path = safe_member(folder, relative) if isinstance(relative, str) else None
        if path is None:
            raise ManifestError(f"lists {relative!r}, which is not a file in this folder",
                                path=where)
        if not path.is_file():
            raise ManifestError(f"lists {relative}, which is missing", path=where, hint=hint)
        if digest is not None:
            try:
                actual = sha256(path.read_bytes())
            except OSError as exc:
                raise ManifestError(f"cannot read {relative} ({exc.strerror})",
                                    path=where) from None
            if actual != digest:
                raise ManifestError(
                    f"{relative} is not the file it lists (sha256 differs: changed since "
                    "the export)", path=where, hint=hint)
        found.append(path)
    return found
