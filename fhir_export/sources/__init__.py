"""Readers: one per format, each turning a file's bytes into a RawDocument.

Only this package reads articles. Format is chosen by file suffix; size checks are shared, and
so are decoding and the binary check for the text formats, so every format fails the same way on
bad input. Readers of binary formats (BINARY_READERS) get the bytes undecoded and return a
RawDocument whose charset is empty.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath

from ..article_types import SUFFIXES
from ..errors import SourceError, display
from ..model import RawDocument
from . import text
from .decode import decode

Reader = Callable[[str, str, bytes, str], RawDocument]
BinaryReader = Callable[[str, str, bytes], RawDocument]


def _lazy(module: str) -> Callable[..., RawDocument]:
    """The `read` of sources/<module>.py, imported on its first call: a run of text files
    never loads the HTML, Markdown, PDF or Word libraries (start-up is paid per process)."""

    def read(*args: object) -> RawDocument:
        reader: Callable[..., RawDocument] = importlib.import_module(f"{__name__}.{module}").read
        return reader(*args)

    return read


_HTML, _MARKDOWN = _lazy("html"), _lazy("markdown")
READERS: dict[str, tuple[str, Reader]] = {
    ".txt": ("text/plain", text.read),
    ".text": ("text/plain", text.read),
    ".html": ("text/html", _HTML),
    ".htm": ("text/html", _HTML),
    ".xhtml": ("text/html", _HTML),
    ".md": ("text/markdown", _MARKDOWN),
    ".markdown": ("text/markdown", _MARKDOWN),
}

# suffix -> (media type, reader) for formats read from their bytes, not from decoded text
# (the media types are the readers' own MEDIA_TYPE: tests/test_sources.py checks they agree)
BINARY_READERS: dict[str, tuple[str, BinaryReader]] = {
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _lazy("docx"),
    ),
    ".pdf": ("application/pdf", _lazy("pdf")),
    ".xml": ("application/xml", _lazy("spl")),  # FDA SPL: known by its root, not the suffix
}

if set(SUFFIXES) != {*READERS, *BINARY_READERS}:  # article_types names them for the CLI
    raise RuntimeError("article_types.SUFFIXES and the readers disagree")


def is_article(path: Path) -> bool:
    return path.suffix.lower() in READERS or path.suffix.lower() in BINARY_READERS


def read_article(path: Path, *, max_bytes: int) -> RawDocument:
    """Read one article file. Raises SourceError with a one-line, user-facing message."""
    data = read_file(path, max_bytes=max_bytes)
    return parse_article(data, name=path.name, shown=display(path), max_bytes=max_bytes)


def read_file(path: Path, *, max_bytes: int) -> bytes:
    """An article file's bytes, refused (SourceError) when its type is not supported or it
    is larger than max_bytes: the only place that reads an article from disk."""
    shown = display(path)  # a name that is not UTF-8 or holds control characters, escaped
    _readers(path.suffix, shown)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _too_large(size, max_bytes, shown)
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read file ({exc.strerror})", path=shown) from exc


def parse_article(
    data: bytes, *, name: str, shown: str, max_bytes: int, encoding: str | None = None
) -> RawDocument:
    """An article's bytes, read by the reader of its file name's suffix. `name` is the file
    name (the article's key), `shown` what error lines name (its path)."""
    reader, binary = _readers(PurePosixPath(name).suffix, shown)
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes, shown)
    name = display(name)  # the article's key: it must encode as UTF-8
    if reader is None:
        assert binary is not None  # noqa: S101 (refused by _readers when both are None)
        return _checked(shown, binary[1](shown, name, data))
    content, charset = decode(data, path=shown, media_type=reader[0], encoding=encoding)
    return _call(reader[1], shown, name, data, content, charset)


def _readers(
    suffix: str, shown: str
) -> tuple[tuple[str, Reader] | None, tuple[str, BinaryReader] | None]:
    reader = READERS.get(suffix.lower())
    binary = BINARY_READERS.get(suffix.lower())
    if reader is None and binary is None:
        raise SourceError(
            f"unsupported file type '{suffix}'",
            path=shown,
            hint=f"Use one of: {', '.join(SUFFIXES)}.",
        )
    return reader, binary


def _too_large(size: int, max_bytes: int, shown: str) -> SourceError:
    return SourceError(
        f"file is {size} bytes, over the {max_bytes} byte limit",
        path=shown,
        hint="Split the article or raise --max-bytes.",
    )


def _call(
    reader: Reader, shown: str, name: str, raw: bytes, content: str, charset: str
) -> RawDocument:
    doc = reader(shown, name, raw, content)
    return _checked(shown, doc, charset)


def _checked(shown: str, doc: RawDocument, charset: str | None = None) -> RawDocument:
    if not any(b.text.strip() for b in doc.blocks):
        raise SourceError("no readable text in the article", path=shown)
    return replace(doc, charset=doc.charset if charset is None else charset)
