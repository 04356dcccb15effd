"""What a run keeps of each article until its end, on disk instead of in memory.

A run's report and manifest list every article, but are written when the run ends (their
summary and counts come first). Their rows are serialized as each article finishes into an
anonymous temporary file (a Spool), and read back in order into the file at the end, so a
run's memory does not grow with its articles. The bytes are the ones json.dumps(indent=2)
gives for the whole document (see json_list, streamed_json).

Only anonymous temporary files are written here (gone when closed or when the process ends);
outputs are written by pipeline.py.
"""

from __future__ import annotations

import heapq
import json
import os
import sqlite3
import struct
import tempfile
import uuid
import weakref
from array import array
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import Any

_HEADER = struct.Struct("<II")  # key length, data length
_TOKEN = struct.Struct("<QI")  # offset, length


def dumps(value: Any) -> bytes:
    """One item as json.dumps(indent=2, ensure_ascii=False) writes it (at depth 0)."""
    return json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8")


class Spool:
    """Records (a sort key and bytes) in an anonymous temporary file, read back in the order
    added (records) or sorted by key, stably (sorted). Sorting reads the keys into memory
    only when the records were not added in key order already (a run's articles mostly
    are: discovery sorts the files of a folder)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(prefix="fhir-export-")
        self.close = weakref.finalize(self, self.file.close)  # closed when let go of
        self.count = 0
        self.last: str | None = None
        self.in_order = True
        self.reading = False  # read since the last add: the next one seeks to the end

    def add(self, data: bytes, key: str = "") -> None:
        raw = key.encode("utf-8", "surrogatepass")
        if self.reading:
            self.file.seek(0, 2)
            self.reading = False
        self.file.write(_HEADER.pack(len(raw), len(data)) + raw + data)
        if self.last is not None and key < self.last:
            self.in_order = False
        self.last = key
        self.count += 1

    def records(self) -> Iterator[tuple[str, bytes]]:
        """(key, data) of every record, in the order added."""
        self.reading = True
        self.file.flush()
        self.file.seek(0)
        for _ in range(self.count):
            key_size, size = _HEADER.unpack(self.file.read(_HEADER.size))
            key = self.file.read(key_size).decode("utf-8", "surrogatepass")
            yield key, self.file.read(size)

    def sorted(self, extras: Iterable[tuple[str, bytes]] = ()) -> Iterator[bytes]:
        """The data of every record and of `extras` ((key, data) held in memory), sorted by
        key, stably (on equal keys: records in the order added, then extras in theirs)."""
        more = sorted(extras, key=itemgetter(0))
        mine: Iterable[tuple[str, bytes]] = self.records() if self.in_order else self._by_key()
        for _, data in heapq.merge(mine, more, key=itemgetter(0)):
            yield data

    def _by_key(self) -> Iterator[tuple[str, bytes]]:
        """Records sorted by key: their keys and offsets read first (records added out of
        key order only)."""
        index: list[tuple[str, int, int]] = []
        self.reading = True
        self.file.flush()
        self.file.seek(0)
        offset = 0
        for _ in range(self.count):
            self.file.seek(offset)
            key_size, size = _HEADER.unpack(self.file.read(_HEADER.size))
            key = self.file.read(key_size).decode("utf-8", "surrogatepass")
            offset += _HEADER.size + key_size
            index.append((key, offset, size))
            offset += size
        index.sort(key=itemgetter(0))
        for key, start, size in index:
            self.file.seek(start)
            yield key, self.file.read(size)


def json_list(items: Iterable[bytes], depth: int) -> Iterator[bytes]:
    """A JSON list of items (each as dumps() gives it) at nesting `depth` of a document: the
    bytes json.dumps(document, indent=2) gives for that list."""
    inner = b"\n" + b"  " * (depth + 1)
    empty = True
    for item in items:
        yield (b"[" if empty else b",") + inner + item.replace(b"\n", inner)
        empty = False
    yield b"[]" if empty else b"\n" + b"  " * depth + b"]"


class Streamed:
    """A placeholder in a document for streamed_json: a list whose items are streamed."""

    def __init__(self, items: Iterable[bytes]) -> None:
        self.items = items
        self.token = f"\x00{uuid.uuid4().hex}"


def streamed_json(document: Any) -> Iterator[bytes]:
    """dumps(document) + a newline, with every Streamed placeholder in it (a value of a dict)
    written as the list of its items, read as they are written: the bytes of the document
    with those lists in place, never all in memory."""
    holders: dict[str, Streamed] = {}

    def swap(value: Any) -> Any:
        if isinstance(value, Streamed):
            holders[value.token] = value
            return value.token
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = dumps(swap(document))
    for token, streamed in holders.items():
        marker = dumps(token)
        before, _, text = text.partition(marker)
        line_start = before.rfind(b"\n") + 1
        depth = (len(before) - line_start - len(before[line_start:].lstrip(b" "))) // 2
        yield before
        yield from json_list(streamed.items, depth)
    yield text + b"\n"


def tee(pieces: Iterable[tuple[bytes, ...]], ways: int) -> list[Iterator[bytes]]:
    """`ways` streams of bytes out of one iterable of tuples (the i-th bytes of each tuple are
    the i-th stream's next chunk), read once: the first stream reads it as it is read itself
    and writes the other streams' chunks to anonymous temporary files, which those streams
    read back; so they are read after the first (as write_atomic writes its targets)."""
    files = [tempfile.TemporaryFile(prefix="fhir-export-") for _ in range(ways - 1)]
    done = False

    def first() -> Iterator[bytes]:
        nonlocal done
        for chunks in pieces:
            for file, chunk in zip(files, chunks[1:], strict=True):
                file.write(chunk)
            yield chunks[0]
        done = True

    def later(file: Any) -> Iterator[bytes]:
        if not done:
            raise RuntimeError("a stream of tee() read before the first was")
        with file:
            file.seek(0)
            while chunk := file.read(1 << 20):
                yield chunk

    streams = [first()]
    for file in files:
        streams.append(later(file))
        weakref.finalize(streams[-1], file.close)  # closed when let go of, even unread
    return streams


class Store:
    """Data kept in an anonymous temporary file, each read back, in any order, by the token
    put() gave for it (12 bytes: its offset and size): what a run has too much of to hold
    (the sources of --merge's merged resources, see merge.Corpus). Written a buffer at a
    time."""

    def __init__(self, buffer: int = 1 << 20) -> None:
        self.file = tempfile.TemporaryFile(prefix="fhir-export-")
        self.close = weakref.finalize(self, self.file.close)  # closed when let go of
        self.written = 0  # bytes in the file
        self.pending = bytearray()
        self.buffer = buffer

    def put(self, data: bytes) -> bytes:
        token = _TOKEN.pack(self.written + len(self.pending), len(data))
        self.pending += data
        if len(self.pending) >= self.buffer:
            os.pwrite(self.file.fileno(), self.pending, self.written)
            self.written += len(self.pending)
            self.pending.clear()
        return token

    def get(self, token: bytes) -> bytes:
        return self.read(*_TOKEN.unpack(token))

    def read(self, offset: int, size: int) -> bytes:
        """`size` bytes from `offset` on (of what put() wrote)."""
        if offset >= self.written:
            start = offset - self.written
            return bytes(self.pending[start:start + size])
        return os.pread(self.file.fileno(), size, offset)


def _database(owner: object, schema: str) -> sqlite3.Connection:
    """A private temporary SQLite database ("": on disk past a page cache of 2 MB), with
    one table, closed when `owner` is let go of: maybe by a collection in another thread
    (it is never used by two threads at once)."""
    db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
    weakref.finalize(owner, db.close)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                     f"PRAGMA cache_size=-512; {schema};")
    return db


class Remembered:
    """Keys (str or bytes), each with a text value, in a private temporary SQLite database
    (held in SQLite's page cache, a few MB at most, then on disk; gone when closed): what a
    run must remember of every article (identities, names, the files written) without its
    memory growing with the articles. Exact: keys are compared whole."""

    def __init__(self) -> None:
        self.db = _database(
            self, "CREATE TABLE kept (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID")

    @staticmethod
    def _key(key: str | bytes) -> bytes:
        return key.encode("utf-8", "surrogatepass") if isinstance(key, str) else key

    def setdefault(self, key: str | bytes, value: str = "") -> str | None:
        """The value an earlier key equal to this one was kept with; None (and this one
        kept with value) when there is none."""
        raw = self._key(key)
        earlier = self.db.execute("SELECT value FROM kept WHERE key = ?", (raw,)).fetchone()
        if earlier is not None:
            return bytes(earlier[0]).decode("utf-8", "surrogatepass")
        self.db.execute("INSERT INTO kept VALUES (?, ?)", (raw, self._key(value)))
        return None

    def add(self, key: str | bytes) -> None:
        self.db.execute("INSERT OR IGNORE INTO kept VALUES (?, x'')", (self._key(key),))

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str | bytes):
            return False
        found = self.db.execute("SELECT 1 FROM kept WHERE key = ?", (self._key(key),))
        return found.fetchone() is not None


_PAIR = struct.Struct("<II")  # bytes of the first string, of the second


class Pairs:
    """Pairs of strings in a Store (an anonymous temporary file), read back by index: in
    memory only where each pair starts (8 bytes)."""

    def __init__(self) -> None:
        self.store = Store()
        self.offsets = array("Q")

    def append(self, first: str, second: str) -> None:
        one = first.encode("utf-8", "surrogatepass")
        two = second.encode("utf-8", "surrogatepass")
        token = self.store.put(_PAIR.pack(len(one), len(two)) + one + two)
        self.offsets.append(_TOKEN.unpack(token)[0])

    def __len__(self) -> int:
        return len(self.offsets)

    def pair(self, index: int) -> tuple[str, str]:
        offset = self.offsets[index]  # IndexError past the end, as a list's
        one, two = _PAIR.unpack(self.store.read(offset, _PAIR.size))
        data = self.store.read(offset + _PAIR.size, one + two)
        return (data[:one].decode("utf-8", "surrogatepass"),
                data[one:].decode("utf-8", "surrogatepass"))


class Table:
    """A dict of str keys and JSON values in a private temporary SQLite database (its page
    cache in memory, the rest on disk): as with a dict, the last value put for a key wins
    and items() come in the order keys were first put."""

    def __init__(self) -> None:
        self.db = _database(self, "CREATE TABLE items (key BLOB UNIQUE NOT NULL, "
                                  "value TEXT NOT NULL)")

    def put(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO items VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
            "excluded.value", (key.encode("utf-8", "surrogatepass"), json.dumps(value)))

    def get(self, key: str, default: Any = None) -> Any:
        found = self.db.execute("SELECT value FROM items WHERE key = ?",
                                (key.encode("utf-8", "surrogatepass"),)).fetchone()
        return default if found is None else json.loads(found[0])

    def items(self) -> Iterator[tuple[str, Any]]:
        for key, value in self.db.execute("SELECT key, value FROM items ORDER BY rowid"):
            yield bytes(key).decode("utf-8", "surrogatepass"), json.loads(value)

    def __len__(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM items").fetchone()[0])
