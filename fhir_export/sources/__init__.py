"""Readers: one per format, each turning a file's bytes into a RawDocument.

Only this package reads articles. Format is chosen by file suffix; size checks are shared, and
so are decoding and the binary check for the text formats, so every format fails the same way on
bad input. Readers of binary formats (BINARY_READERS) get the bytes undecoded and return a
RawDocument whose charset is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..article_types import SUFFIXES
from ..errors import SourceError, display
from ..model import RawDocument
from . import docx, html, markdown, pdf, spl, text
from .decode import decode

Reader = Callable[[str, str, bytes, str], RawDocument]
BinaryReader = Callable[[str, str, bytes], RawDocument]

READERS: dict[str, tuple[str, Reader]] = {
    ".txt": ("text/plain", text.read),
    ".text": ("text/plain", text.read),
    ".html": ("text/html", html.read),
    ".htm": ("text/html", html.read),
    ".xhtml": ("text/html", html.read),
    ".md": ("text/markdown", markdown.read),
    ".markdown": ("text/markdown", markdown.read),
}

# suffix -> (media type, reader) for formats read from their bytes, not from decoded text
BINARY_READERS: dict[str, tuple[str, BinaryReader]] = {
    ".docx": (docx.MEDIA_TYPE, docx.read),
    ".pdf": (pdf.MEDIA_TYPE, pdf.read),
    ".xml": (spl.MEDIA_TYPE, spl.read),  # FDA SPL; recognized by its root element, not the suffix
}

if set(SUFFIXES) != {*READERS, *BINARY_READERS}:  # article_types names them for the CLI
    raise RuntimeError("article_types.SUFFIXES and the readers disagree")


def is_article(path: Path) -> bool:
    return path.suffix.lower() in READERS or path.suffix.lower() in BINARY_READERS


def read_article(path: Path, *, max_bytes: int) -> RawDocument:
    """Read one article file. Raises SourceError with a one-line, user-facing message."""
    shown = display(path)  # a name that is not UTF-8 or holds control characters, escaped
    media_type, reader = READERS.get(path.suffix.lower(), ("", None))
    binary = BINARY_READERS.get(path.suffix.lower())
    if reader is None and binary is None:
        raise SourceError(
            f"unsupported file type '{path.suffix}'",
            path=shown,
            hint=f"Use one of: {', '.join(SUFFIXES)}.",
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(
                f"file is {size} bytes, over the {max_bytes} byte limit",
                path=shown,
                hint="Split the article or raise --max-bytes.",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read file ({exc.strerror})", path=shown) from exc
    name = display(path.name)  # the article's key: it must encode as UTF-8
    if reader is None:
        assert binary is not None  # noqa: S101 (refused above when both are None)
        return _checked(shown, binary[1](shown, name, raw))
    content, charset = decode(raw, path=shown, media_type=media_type)
    return _call(reader, shown, name, raw, content, charset)


def _call(
    reader: Reader, shown: str, name: str, raw: bytes, content: str, charset: str
) -> RawDocument:
    doc = reader(shown, name, raw, content)
    return _checked(shown, doc, charset)


def _checked(shown: str, doc: RawDocument, charset: str | None = None) -> RawDocument:
    if not any(b.text.strip() for b in doc.blocks):
        raise SourceError("no readable text in the article", path=shown)
    return replace(doc, charset=doc.charset if charset is None else charset)
