"""Bytes -> text, with the checks every format shares (empty, binary, encoding)."""

from __future__ import annotations

import codecs
import re
import unicodedata

from ..errors import SourceError
from . import charsets

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# UTF-8 read as windows-1252 somewhere upstream: "donâ€™t", "Â®". ftfy undoes exactly that
# and nothing else here (quotes, ligatures and widths are left as the publisher wrote them).
_MOJIBAKE = re.compile("[ÂÃâ][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")
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
_LIGATURES = {
    0xFB00: "ff",
    0xFB01: "fi",
    0xFB02: "fl",
    0xFB03: "ffi",
    0xFB04: "ffl",
    0xFB05: "st",
    0xFB06: "st",
}
_LIGATURE = re.compile("[\ufb00-\ufb06]")
# Unicode noncharacters (U+FDD0..U+FDEF, U+FFFE and U+FFFF of every plane) and lone surrogates:
# never text, invalid in XML (U+FFFE, U+FFFF, surrogates) or in UTF-8 (surrogates). Dropped.
_NONCHARACTER = re.compile(
    "[\ufdd0-\ufdef\ud800-\udfff"
    + "".join(chr(plane | 0xFFFE) + chr(plane | 0xFFFF) for plane in range(0, 0x110000, 0x10000))
    + "]"
)
# what an XML parser or tree refuses in text: C0 controls but tab, line feed, carriage return
# (and form feed, a page break in plain text, made a space in HTML), and the above
_NOT_XML = re.compile(f"[\x00-\x08\x0b\x0e-\x1f]|{_NONCHARACTER.pattern}")
# A first look for both, fast: re searches a class of astral characters one by one (6 ms on a
# 170 KB page), a range of them at once (0.4 ms). Only text it finds something in (an emoji
# will do) is searched for the characters themselves.
_MAYBE_NOT_XML = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\ufdd0-\ufdef\ud800-\udfff\ufffe\uffff\U00010000-\U0010ffff]"
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Characters scraped text carries that mean nothing: zero-width marks and soft hyphens.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u3000\t"), " ")
# whether a text holds any of them (str.translate walks every character: 0.1 s a megabyte)
_ANY_INVISIBLE = re.compile("[" + re.escape("".join(map(chr, _INVISIBLE))) + "]")
_ANY_SPACE = re.compile("[" + re.escape("".join(map(chr, _SPACES))) + "]")


def _declared(head: bytes) -> tuple[str | None, str | None]:
    """(the codec of the page's <meta> charset, the label when it is not a WHATWG one)."""
    match = _META_CHARSET.search(head)
    if not match:
        return None, None
    label = match.group(1).decode("ascii").lower()
    codec = charsets.codec(label)
    return (codec, None) if codec else (None, label)


_UTF16 = ("utf-16", "utf-16le", "utf-16be")


def forced_codec(label: str) -> str | None:
    """The codec an `--encoding` label names (a WHATWG label, or utf-16/utf-16le/utf-16be
    meaning just that), None when it names no text encoding."""
    label = label.strip().lower()
    return label if label in _UTF16 else charsets.codec(label)


def decode(
    raw: bytes, *, path: str, media_type: str, encoding: str | None = None
) -> tuple[str, str]:
    """Decode an article's bytes; return (text, the charset its bytes are in). `encoding`
    (a label, see forced_codec) overrides the byte order mark, a <meta> charset and UTF-8."""
    if not raw.strip():
        raise SourceError("file is empty", path=path)
    if encoding is not None:
        text, charset = _forced(raw, path, encoding)
    else:
        text, charset = _detected(raw, path, media_type)
    sample = _ANSI.sub("", text[:8192])
    controls = len(_C0.findall(sample))
    if controls > 8 and controls * 50 > len(sample):  # over 2% of the characters
        raise SourceError("binary file, not a text article", path=path)
    if _MOJIBAKE.search(text):
        text = _unmangled(text)
    if media_type == "text/html":
        text = text.replace("\f", " ")
    if _MAYBE_NOT_XML.search(text) and _NOT_XML.search(
        text
    ):  # sanitized at the boundary: no reader sees what XML refuses
        text = _NOT_XML.sub("", text)
    return text, charset


def _unmangled(text: str) -> str:
    """ftfy's fix for UTF-8 read as windows-1252, and nothing else (imported here: most
    articles never need it, and a process pays its import once)."""
    import ftfy

    config = ftfy.TextFixerConfig(
        unescape_html=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        normalization=None,
        explain=False,
    )
    return ftfy.fix_text(text, config)


def _detected(raw: bytes, path: str, media_type: str) -> tuple[str, str]:
    """The byte order mark, else (HTML) the <meta> charset, else UTF-8."""
    charset = None
    body = raw
    for bom, name in _BOMS:
        if raw.startswith(bom):
            charset, body = name, raw[len(bom) :]
            break
    if charset is None and b"\x00" in raw:
        raise SourceError("binary file, not a text article", path=path)
    ignored = None  # a declared label that names no encoding: read as if none were declared
    if charset is None and media_type == "text/html":
        charset, ignored = _declared(raw[:8192])
    charset = charset or "utf-8"
    try:
        if charset == "utf-16":
            text = raw.decode("utf-16")  # the BOM says which byte order
        else:
            text = body.decode(charset)
    except UnicodeDecodeError as exc:
        unknown = f"; '{ignored}' is not a charset label" if ignored else ""
        raise SourceError(
            f"not valid {charset.upper()} (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start + len(raw) - len(body)}{unknown})",
            path=path,
            hint="Convert the file to UTF-8, declare its charset or give --encoding.",
        ) from None
    return text, charset


def _forced(raw: bytes, path: str, label: str) -> tuple[str, str]:
    """--encoding: the bytes in that codec, whatever they declare."""
    codec = forced_codec(label)
    if codec is None:
        raise SourceError(f"--encoding {label!r} names no text encoding", path=path)
    body = raw.removeprefix(b"\xef\xbb\xbf") if codec == "utf-8" else raw
    try:
        return body.decode(codec), codec
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"not valid {codec.upper()} as --encoding says (byte 0x{exc.object[exc.start]:02x} "
            f"at offset {exc.start})",
            path=path,
            hint="Check --encoding, or leave it out to detect the encoding.",
        ) from None


# a numeric character reference (HTML: the semicolon is optional, zeros may lead)
_REFERENCE = re.compile(r"&#(?:[xX]0*([0-9a-fA-F]{1,8})(?![0-9a-fA-F])|0*([0-9]{1,10})(?![0-9]));?")


def without_bad_references(text: str) -> str:
    """Numeric character references to characters XML refuses (C0 controls but tab and line
    breaks, noncharacters such as U+FFFE) dropped, a form feed made a space: an HTML parser
    turns `&#xFFFE;` into the character itself, which no XML tree or output then takes."""
    if "&#" not in text:
        return text

    def kept(match: re.Match[str]) -> str:
        hexadecimal, decimal = match.groups()
        code = int(hexadecimal, 16) if hexadecimal else int(decimal)
        if code == 0x0C:
            return " "
        if code < 0x110000 and _NOT_XML.match(chr(code)):
            return ""
        return match.group()

    return _REFERENCE.sub(kept, text)


def normalize_text(text: str) -> str:
    """Unicode NFC; terminal escapes, control characters, noncharacters (U+FFFE, ...), lone
    surrogates and invisible marks dropped (C1 characters read as windows-1252 first); Latin
    ligatures spelled out; exotic spaces made plain; line ends unified. What is left is valid
    in XML and JSON alike."""
    text = _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text.translate(_C1))
    if _MAYBE_NOT_XML.search(text) and _NONCHARACTER.search(text):
        text = _NONCHARACTER.sub("", text)
    if _LIGATURE.search(text):
        text = text.translate(_LIGATURES)
    text = unicodedata.normalize("NFC", text)
    if _ANY_INVISIBLE.search(text):
        text = text.translate(_INVISIBLE)
    if _ANY_SPACE.search(text):
        text = text.translate(_SPACES)
    return text


def collapse(text: str) -> str:
    """One line, single spaces: for text taken out of markup."""
    return " ".join(normalize_text(text).split())
