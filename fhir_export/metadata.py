"""Article metadata read from the text: bylines, dates, publisher, language, page noise."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("jan", "january", "januar", "enero", "janvier"),
            ("feb", "february", "februar", "febrero", "février"),
            ("mar", "march", "märz", "marzo", "mars"),
            ("apr", "april", "abril", "avril"),
            ("may", "mai", "mayo"),
            ("jun", "june", "juni", "junio", "juin"),
            ("jul", "july", "juli", "julio", "juillet"),
            ("aug", "august", "agosto", "août"),
            ("sep", "sept", "september", "septiembre", "septembre"),
            ("oct", "october", "oktober", "octubre", "octobre"),
            ("nov", "november", "noviembre", "novembre"),
            ("dec", "december", "dezember", "diciembre", "décembre"),
        )
    )
    for m in names
}
_MONTH = r"(?P<mon>[A-Za-zäéû]{3,10})\.?"
_DATE_PATTERNS = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"),
    re.compile(_MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})"),
    re.compile(r"(?P<d>\d{1,2})\.?\s+(?:de\s+)?" + _MONTH + r"\s+(?:de\s+)?(?P<y>\d{4})"),
    re.compile(_MONTH + r"\s+(?P<y>\d{4})"),
)
_DATE_KEY = re.compile(
    r"\b(?P<key>last\s+updated|updated|last\s+reviewed|reviewed|revised|modified|published|"
    r"posted|date|aktualisiert|stand|actualizado|revisado)\b(?:\s+on)?\s*:?",
    re.I,
)
_REVIEWER = re.compile(
    r"\b(?:medically\s+)?reviewed\s+by\s*:?\s*(?P<name>.+?)(?=\s*(?:[·•|;,]|\bon\b|"
    r"\blast\b|\bupdated\b|\breviewed\b|$))",
    re.I,
)
ORG_WORDS = re.compile(
    r"\b(publishing|publications?|press|media|clinic|hospitals?|health|healthcare|institute|"
    r"foundation|society|association|college|university|library|centers?|centres?|nhs|"
    r"department|ministry|agency|administration|council|trust|network|group|service|pharmacy|guide)\b",
    re.I,
)
_COPYRIGHT = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?,?\s*(?P<org>[^.|]+?)\s*"
    r"(?:\.|\||all rights|$)",
    re.I,
)
_BYLINE_ORG = re.compile(r"^(?:by|published by|from|source)\s*:?\s+(?P<org>.+)$", re.I)
NOISE = re.compile(
    r"^(skip to (main )?content|skip navigation|jump to|menu|search|sign in|log ?in|subscribe|"
    r"share|print|email|advertisement|advertising|sponsored|cookie|accept( all)?( cookies)?|"
    r"privacy policy|terms( of use| and conditions)?|contact us|about us|site map|sitemap|"
    r"further information|related (articles|links|content)|you may also like|read more|"
    r"back to top|top of page|©|\(c\) \d{4}|copyright\b|all rights reserved|"
    r"always consult your healthcare provider|patient information leaflet|package leaflet|"
    r"patient information$|this (material|information) is (provided )?for "
    r"(informational|educational) purposes)",
    re.I,
)
_STOPWORDS = {
    "en": {"the", "and", "is", "of", "to", "with", "your", "for", "are", "this", "you", "it"},
    "de": {"der", "die", "und", "ist", "mit", "nicht", "das", "ein", "eine", "sie", "zu", "bei"},
    "es": {"el", "la", "los", "las", "y", "es", "con", "para", "que", "una", "del", "por"},
    "fr": {"le", "la", "les", "et", "est", "avec", "pour", "que", "une", "des", "du", "vous"},
}


def find_date(text: str) -> str | None:
    """The first calendar date in the text, as an ISO 8601 date (or year-month)."""
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            iso = _iso(match)
            if iso:
                return iso
            if match.groupdict().get("d") is not None and _looks_like_date(match):
                return None  # "31 February 2024" is no date, not a month
    return None


def _looks_like_date(match: re.Match[str]) -> bool:
    mon = match.groupdict().get("mon")
    return mon is None or mon.lower() in _MONTHS


def _iso(match: re.Match[str]) -> str | None:
    parts = match.groupdict()
    year = int(parts["y"])
    if "mon" in parts and parts["mon"] is not None:
        month = _MONTHS.get(parts["mon"].lower())
    else:
        month = int(parts["m"])
    if month is None or not 1900 <= year <= 2100:
        return None
    if parts.get("d") is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, int(parts["d"])).isoformat()
    except ValueError:
        return None


def dated_fields(line: str) -> dict[str, str]:
    """'updated' and/or 'reviewed' dates a byline states, keyed by their kind."""
    found: dict[str, str] = {}
    keys = list(_DATE_KEY.finditer(line))
    for i, key in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(line)
        iso = find_date(line[key.end() : end])
        if iso is None:
            continue
        word = key.group("key").lower()
        kind = "reviewed" if "review" in word or "revisado" in word else "updated"
        found.setdefault(kind, iso)
    return found


def reviewer(line: str) -> str | None:
    match = _REVIEWER.search(line)
    if not match:
        return None
    name = match.group("name").strip(" .:")
    if re.match(r"(last|updated|reviewed|on|date)\b", name, re.I):
        return None
    if not name or _DATE_KEY.match(name) or find_date(name) or len(name.split()) > 8:
        return None
    return name


def is_byline(line: str) -> bool:
    return bool(_REVIEWER.search(line) or (len(line) < 160 and dated_fields(line)))


def organisation(line: str) -> str | None:
    """An organisation named by a short line: 'Harvard Health Publishing', 'By X', '© X'."""
    line = re.sub(r"\s*\([A-Z]{2,6}\)$", "", line.strip(" *_·"))
    for pattern in (_COPYRIGHT, _BYLINE_ORG):
        match = pattern.search(line)
        if match:
            line = match.group("org").strip(" ,.")
            break
    for part in re.split(r"\s*[·•|]\s*", line):
        for piece in reversed(part.split(", ")):
            piece = piece.strip()
            words = piece.split()
            if (
                1 < len(words) <= 6
                and ORG_WORDS.search(piece)
                and not piece.endswith((".", ":", "?", "!"))
                and all(
                    w[0].isupper() or w.lower() in ("of", "for", "and", "the", "&") for w in words
                )
            ):
                return piece
    return None


def copyright_holder(line: str) -> str | None:
    match = _COPYRIGHT.search(line)
    return organisation(match.group("org")) if match else None


def is_noise(line: str) -> bool:
    return bool(NOISE.match(line.strip(" *_#>|"))) or set(line.strip()) <= set("|-·•*_=")


def detect_language(text: str) -> str | None:
    """A two-letter language code when stopwords say so clearly; None when unsure."""
    words = re.findall(r"[a-zäöüßáéíóúñèàç]+", text[:20000].lower())
    if len(words) < 20:
        return None
    counts = {lang: sum(w in stops for w in words) for lang, stops in _STOPWORDS.items()}
    best = max(counts, key=lambda k: counts[k])
    ordered = sorted(counts.values(), reverse=True)
    if ordered[0] < 5 or ordered[0] < 1.5 * ordered[1]:
        return None
    return best


# a well-formed BCP-47 tag as articles write them: a 2-3 letter language, then subtags
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def language_tag(value: str | None) -> str | None:
    """A declared language as a BCP-47 tag ('en', 'en-GB'; 'en_US' -> 'en', surrounding
    space dropped), or None when it is none (a date in front matter, 'english', '!')."""
    tag = (value or "").strip().split("_")[0]
    return tag if _LANGUAGE_TAG.fullmatch(tag) else None
