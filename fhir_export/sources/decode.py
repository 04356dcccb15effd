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
# What says "binary": C0 controls other than tab and line/page breaks. C1 characters (U+0080 to
# U+009F) are not: PDF and Word exports write windows-1252 punctuation there (below).
_C0 = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# C1 characters stand for the windows-1252 byte of the same number ("don\x92t", "2\x965 days");
# the five numbers windows-1252 leaves undefined are dropped with the other controls.
_C1 = {
    n: b.decode("cp1252")
    for n in range(0x80, 0xA0)
    if (b := bytes([n])) not in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
}
# Latin ligatures a PDF's fonts write as one character: letters again (NFKC for these only).
_LIGATURES = {0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl",
              0xFB05: "st", 0xFB06: "st"}
_LIGATURE = re.compile("[\ufb00-\ufb06]")
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
    sample = _ANSI.sub("", text[:8192])
    controls = len(_C0.findall(sample))
    if controls > 8 and controls * 50 > len(sample):  # over 2% of the characters
        raise SourceError("binary file, not a text article", path=path)
    if _MOJIBAKE.search(text):
        text = ftfy.fix_text(text, _FTFY)
    return text, charset


def normalize_text(text: str) -> str:
    """Unicode NFC; terminal escapes, control characters and invisible marks dropped (C1
    characters read as windows-1252 first); Latin ligatures spelled out; exotic spaces made
    plain; line ends unified. What is left is valid in XML and JSON alike."""
    text = _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text.translate(_C1))
    if _LIGATURE.search(text):
        text = text.translate(_LIGATURES)
    return unicodedata.normalize("NFC", text).translate(_INVISIBLE).translate(_SPACES)


def collapse(text: str) -> str:
    """One line, single spaces: for text taken out of markup."""
    return " ".join(normalize_text(text).split())
