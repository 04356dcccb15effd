"""Bytes -> text, with the checks every format shares (empty, binary, encoding)."""

from __future__ import annotations

import codecs
import re
import unicodedata

from ..errors import SourceError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters scraped text carries that mean nothing: zero-width marks and soft hyphens.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u3000\t"), " ")


def decode(raw: bytes, *, path: str, media_type: str) -> tuple[str, str]:
    """Decode an article's bytes; return (text, charset name)."""
    if not raw.strip():
        raise SourceError("file is empty", path=path)
    head = raw[:8192]
    charset = None
    for bom, name in _BOMS:
        if raw.startswith(bom):
            charset, raw = name, raw[len(bom) :]
            break
    if charset is None and b"\x00" in head:
        raise SourceError("binary file, not a text article", path=path)
    if charset is None and media_type == "text/html":
        match = _META_CHARSET.search(head)
        if match:
            charset = match.group(1).decode("ascii").lower()
            try:
                codecs.lookup(charset)
            except LookupError:
                raise SourceError(f"declares an unknown charset '{charset}'", path=path) from None
    charset = charset or "utf-8"
    try:
        text = raw.decode(charset)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"not valid {charset.upper()} (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start})",
            path=path,
            hint="Convert the file to UTF-8 or declare its charset.",
        ) from None
    if len(_CONTROL.findall(text[:8192])) > 8:
        raise SourceError("binary file, not a text article", path=path)
    return text, charset


def normalize_text(text: str) -> str:
    """Unicode NFC, invisible marks dropped, exotic spaces made plain, line ends unified."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).translate(_SPACES)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def collapse(text: str) -> str:
    """One line, single spaces: for text taken out of markup."""
    return " ".join(normalize_text(text).split())
