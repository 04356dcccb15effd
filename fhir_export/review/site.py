"""The review site of a run: read the per-article Bundles of an output folder, build every page
in memory (`build`, pure), then write them (`write_site`). The same Bundles give the same bytes.

LHC-Forms is copied from `lforms` (a folder laid out as `npm pack lforms` unpacks
dist/lforms/, which scripts/setup_lhc_forms.sh puts in .cache/lhc/lforms); without it the
Questionnaire is shown as a plain list, and the page says so.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .. import convert
from ..errors import ExportError, NoInputError, OutputError, UsageError, display
from .facts import ArticleView, read_bundle
from .pages import LFORMS_FHIR, LFORMS_SCRIPTS, LFORMS_STYLE, article_page, index_page

ASSETS = ("review.css", "review.js", "form.js")
# the LHC-Forms files a page loads, plus what its stylesheet refers to and its licence
LFORMS_FILES = (
    *LFORMS_SCRIPTS,
    LFORMS_STYLE,
    *LFORMS_FHIR.values(),
    "webcomponent/down_arrow_gray_10_10.png",
    "webcomponent/magnifying_glass.png",
    "LICENSE.md",
)
_BUNDLE = re.compile(r"\.bundle\.(json|xml)\Z")


@dataclass(slots=True)
class Site:
    files: dict[str, bytes] = field(default_factory=dict)  # path in the site -> bytes
    copies: dict[str, Path] = field(default_factory=dict)  # path in the site -> file to copy
    pages: int = 0
    errors: list[ExportError] = field(default_factory=list)


def default_lforms() -> Path | None:
    """$FHIR_EXPORT_LFORMS, else .cache/lhc/lforms of the checkout this package runs from."""
    configured = os.environ.get("FHIR_EXPORT_LFORMS")
    candidate = (
        Path(configured) if configured
        else Path(__file__).resolve().parents[2] / ".cache" / "lhc" / "lforms"
    )
    return candidate if lforms_complete(candidate) else None


def lforms_complete(folder: Path) -> bool:
    return all((folder / f).is_file() for f in LFORMS_FILES)


def bundles_in(folder: Path, paths: list[Path] | None = None) -> list[Path]:
    """Every per-article Bundle below `folder` (or among `paths`), sorted; XML only where no
    JSON of the same article is there too."""
    candidates = folder.rglob("*.bundle.*") if paths is None else paths
    found = sorted(p for p in candidates if _BUNDLE.search(p.name) and p.is_file())
    names = {p for p in found if p.name.endswith(".json")}
    return [
        p for p in found
        if p.name.endswith(".json") or p.with_name(_BUNDLE.sub(".bundle.json", p.name)) not in names
    ]


@dataclass(frozen=True, slots=True)
class Events:
    """What `preview` hears while the site is made: how many Bundles, then each one's page
    (its name in the site) or its error."""

    started: Callable[[int], None]
    page: Callable[[Path, str], None]
    failed: Callable[[Path, ExportError], None]


def build(
    folder: Path,
    lforms: Path | None,
    bundles: list[Path] | None = None,
    errors: tuple[str, ...] = (),
    events: Events | None = None,
) -> Site:
    """The site of `bundles` (default: every Bundle below `folder`); `errors`: lines about
    articles of the run that have no Bundle, listed on the index. `events` hears of each
    Bundle as its page is made (or refused)."""
    site = Site()
    views: list[tuple[str, ArticleView]] = []
    used: set[str] = set()
    found = bundles_in(folder, bundles)
    if events is not None:
        events.started(len(found))
    for path in found:
        try:
            relative = display(path.resolve().relative_to(folder.resolve()).as_posix())
        except ValueError:
            relative = display(path.name)
        try:
            bundle, release = convert.read(path.read_bytes(), path=str(path))
        except ExportError as exc:
            site.errors.append(exc)
        except OSError as exc:
            site.errors.append(ExportError(f"cannot read file ({exc.strerror})", path=str(path)))
        else:
            if bundle.get("resourceType") != "Bundle":
                site.errors.append(ExportError("not a Bundle", path=str(path)))
            else:
                view = read_bundle(bundle, relative, release)
                name = _page_name(relative, view, used)
                site.files[f"articles/{name}"] = article_page(view, lforms is not None)
                views.append((f"articles/{name}", view))
                if events is not None:
                    events.page(path, f"articles/{name}")
                continue
        if events is not None:
            events.failed(path, site.errors[-1])
    site.files["index.html"] = index_page(views, [*errors, *(e.line() for e in site.errors)])
    for asset in ASSETS:
        site.files[f"assets/{asset}"] = (
            resources.files(__package__).joinpath("assets", asset).read_bytes()
        )
    if lforms is not None:
        for name in LFORMS_FILES:
            site.copies[f"assets/lforms/{name}"] = lforms / name
    site.pages = len(views)
    return site


def _page_name(relative: str, view: ArticleView, used: set[str]) -> str:
    stem = _BUNDLE.sub("", relative)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "article"
    if name in used:
        name = f"{name}-{view.doc_id[:8]}"
    used.add(name)
    return name + ".html"


def write_site(
    folder: Path,
    out: Path,
    lforms: Path | None,
    bundles: list[Path] | None = None,
    errors: tuple[str, ...] = (),
    events: Events | None = None,
) -> Site:
    """Build the site of the Bundles below `folder` (or `bundles` in it) and write it into
    `out`; files already holding the same bytes are left alone."""
    site = build(folder, lforms, bundles, errors, events)
    for name, data in sorted(site.files.items()):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
    for name, source in sorted(site.copies.items()):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.stat().st_size != source.stat().st_size:
            shutil.copyfile(source, target)
    return site



@dataclass(frozen=True, slots=True)
class Review:
    """What `write_review` did, for the command line."""

    index: Path
    summary: str
    errors: tuple[str, ...]  # one line per Bundle that could not be shown


def write_review(
    folder: Path,
    out: Path,
    bundles: list[Path] | None = None,
    errors: tuple[str, ...] = (),
    lforms: Path | None = None,
    events: Events | None = None,
) -> Review:
    """The review site of the Bundles below `folder` (or of `bundles`, a run's outputs),
    written into `out`. `lforms`: LHC-Forms files to ship (default: `default_lforms()`)."""
    if lforms is not None and not lforms_complete(lforms):
        missing = next(f for f in LFORMS_FILES if not (lforms / f).is_file())
        raise UsageError(f"is not an LHC-Forms folder ({missing} missing)", path=str(lforms),
                         hint="Give dist/lforms of `npm pack lforms@40.1.3`.")
    found = lforms if lforms is not None else default_lforms()
    if bundles is None and not bundles_in(folder):
        raise NoInputError("holds no *.bundle.json or *.bundle.xml", path=str(folder),
                           hint="Give the --out folder of an export.")
    try:
        site = write_site(folder, out, found, bundles, errors, events)
    except OSError as exc:
        raise OutputError(f"cannot write the review site ({exc.strerror})",
                          path=str(exc.filename or out)) from None
    forms = (
        "LHC-Forms included" if found is not None
        else "LHC-Forms not found, Questionnaires shown as lists: run scripts/setup_lhc_forms.sh"
    )
    many = "" if site.pages == 1 else "s"
    return Review(
        index=out / "index.html",
        summary=f"review site: {site.pages} article page{many} in {display(out)} ({forms})",
        errors=tuple(e.line() for e in site.errors),
    )
