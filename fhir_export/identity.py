"""An article's identity: what it is across runs, renames and export modes.

In order: its canonical URL (HTML `<link rel=canonical>`, else `og:url`; Markdown front matter
`canonical`, `canonical_url`, else `url`), a versioned document's set id (FDA SPL), else its
path below the input root (the folder it was found in, the fixed part of a glob pattern, or a
file argument's own folder), never a bare file name of a file found in a subfolder. Every
resource id of the article derives from `ArticleIdentifier.key` (see mapping/ids.py), so
renaming a file that states its URL changes no id.
"""

from __future__ import annotations

import glob
from pathlib import Path, PurePath

from .errors import display
from .model import Article, ArticleIdentifier

URI = "urn:ietf:rfc:3986"
# The identifier system of article paths: a urn:uuid (RFC 4122, uuid5 over "article-path" in
# fhir-export's namespace, see mapping/ids.py) since fhir-export owns no web address to name
# it by, and an unregistered URN namespace ("urn:fhir-export:...") is no valid URN (RFC 8141).
PATH_SYSTEM = "urn:uuid:d30eb587-a42c-53b6-9425-5c3233160b53"


def relative_path(path: Path, root: Path) -> str:
    """`path` below `root`, POSIX style ("a/index.html")."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def glob_root(pattern: str) -> Path:
    """The fixed folder part of a glob pattern: 'articles/**/*.html' -> 'articles'."""
    parts = PurePath(pattern).parts
    fixed: list[str] = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def identify(article: Article, relative: str) -> ArticleIdentifier:
    """The article's identifier, `relative` being its path below its input root."""
    if article.url:
        return ArticleIdentifier(system=URI, value=article.url, key=article.url, url=article.url)
    if article.identity is not None:
        value = f"urn:uuid:{article.identity.set_id}"
        return ArticleIdentifier(system=URI, value=value, key=value)
    shown = display(relative)  # a name that is not UTF-8 or holds control characters: escaped
    return ArticleIdentifier(system=PATH_SYSTEM, value=shown, key=f"{PATH_SYSTEM}|{shown}")


def identifier_of(article: Article) -> ArticleIdentifier:
    """The identifier the pipeline set; an article built without one (a test, a library
    caller) is identified by its file name, as if it were given on its own."""
    return article.identifier or identify(article, article.name)
