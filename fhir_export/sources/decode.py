"""Bytes -> text, with the checks every format shares (empty, binary, encoding)."""

from __future__ import annotations

import codecs
import re
import unicodedata

import ftfy

from ..errors import SourceError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# WHATWG Encoding Standard: what browsers do with these labels, and so do we.
_WHATWG = {
    "iso-8859-1": "windows-1252",
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "l1": "windows-1252",
    "ascii": "windows-1252",
    "us-ascii": "windows-1252",
    "iso8859-1": "windows-1252",
    "cp1252": "windows-1252",
    "x-cp1252": "windows-1252",
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",  # a meta can't declare these
    "unicode-1-1-utf-8": "utf-8",
    "utf8": "utf-8",
}
# UTF-8 read as windows-1252 somewhere upstream: "donâ€™t", "Â®". ftfy undoes exactly that
# and nothing else here (quotes, ligatures and widths are left as the publisher wrote them).
_MOJIBAKE = re.compile("[ÂÃâ][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    normalization=None,
    explain=False,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Characters scraped text carries that mean nothing: zero-width marks and soft hyphens.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u3000\t"), " ")


def _declared(head: bytes, path: str) -> str | None:
    match = _META_CHARSET.search(head)
    if not match:
        return None
    label = match.group(1).decode("ascii").lower()
    label = _WHATWG.get(label, label)
    try:
        codecs.lookup(label)
    except LookupError:
        raise SourceError(f"declares an unknown charset '{label}'", path=path) from None
    return label


def decode(raw: bytes, *, path: str, media_type: str) -> tuple[str, str]:
    """Decode an article's bytes; return (text, the charset its bytes are in)."""
    if not raw.strip():
        raise SourceError("file is empty", path=path)
    charset = None
    body = raw
    for bom, name in _BOMS:
        if raw.startswith(bom):
            charset, body = name, raw[len(bom) :]
            break
    if charset is None and b"\x00" in raw:
        raise SourceError("binary file, not a text article", path=path)
    if charset is None and media_type == "text/html":
        charset = _declared(raw[:8192], path)
    charset = charset or "utf-8"
    try:
        if charset == "utf-16":
            text = raw.decode("utf-16")  # the BOM says which byte order
        else:
            text = body.decode(charset)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"not valid {charset.upper()} (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start + len(raw) - len(body)})",
            path=path,
            hint="Convert the file to UTF-8 or declare its charset.",
        ) from None
    if len(_CONTROL.findall(_ANSI.sub("", text[:8192]))) > 8:
        raise SourceError("binary file, not a text article", path=path)
    if _MOJIBAKE.search(text):
        text = ftfy.fix_text(text, _FTFY)
    return text, charset


def normalize_text(text: str) -> str:
    """Unicode NFC; terminal escapes, control characters and invisible marks dropped; exotic
    spaces made plain; line ends unified. What is left is valid in XML and JSON alike."""
    text = _CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    return unicodedata.normalize("NFC", text).translate(_INVISIBLE).translate(_SPACES)


def collapse(text: str) -> str:
    """One line, single spaces: for text taken out of markup."""
    return " ".join(normalize_text(text).split())
