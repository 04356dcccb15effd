"""The site's two kinds of page: the run's index and one page per article."""

from __future__ import annotations

from .cards import issue_card, medicine_card, questionnaire_card, title_of
from .facts import KINDS, LABELS, ArticleView
from .highlight import highlighted
from .markup import Html, el, join

# only the site's own files: no inline script, no network, nothing framed or posted
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "object-src 'none'"
)
# what LHC-Forms needs, relative to assets/lforms/ (copied there by site.py)
LFORMS_STYLE = "webcomponent/styles.css"
LFORMS_SCRIPTS = ("webcomponent/assets/lib/zone.min.js", "webcomponent/lhc-forms.js")
LFORMS_FHIR = {"R4": "fhir/R4/lformsFHIR.min.js", "R5": "fhir/R5/lformsFHIR.min.js"}
FACT_KINDS = tuple(k for k in KINDS if k != "medicine")


def _page(title: str, root: str, body: list[Html | None], scripts: list[str],
          styles: list[str]) -> bytes:
    head = el(
        "head",
        None,
        el("meta", {"charset": "utf-8"}),
        el("meta", {"http-equiv": "Content-Security-Policy", "content": CSP}),
        el("meta", {"name": "referrer", "content": "no-referrer"}),
        el("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
        el("title", None, title),
        *(el("link", {"rel": "stylesheet", "href": root + s}) for s in styles),
        el("link", {"rel": "stylesheet", "href": root + "assets/review.css"}),
    )
    tail = [el("script", {"src": root + s}) for s in ("assets/review.js", *scripts)]
    page = el("html", {"lang": "en"}, head, el("body", None, *body, *tail))
    # a lone surrogate (JSON allows "\\ud800") cannot be UTF-8: it becomes "?"
    return ("<!DOCTYPE html>\n" + page + "\n").encode("utf-8", "replace")


def _legend() -> Html:
    return el(
        "ul",
        {"class": "legend"},
        *(el("li", None, el("mark", {"class": f"fact k-{k}"}, LABELS[k])) for k in KINDS),
    )


def article_page(view: ArticleView, lforms: bool) -> bytes:
    anchors = _anchors(view)
    titles = {c.anchor: f"{c.resource_type}: {title_of(c)}" for c in view.cards}
    doc_lang = next(
        (str(c.resource.get("language")) for c in view.cards if c.resource.get("language")), None
    )
    issues = [*view.of_type("ClinicalUseDefinition"), *view.of_type("DetectedIssue")]
    forms = view.of_type("Questionnaire")
    body: list[Html | None] = [
        el("p", {"class": "nav"}, el("a", {"href": "../index.html"}, "← All articles")),
        el("h1", None, view.title),
        el("p", {"class": "meta"}, "Bundle ", el("code", None, view.file),
           f", FHIR {view.fhir_version}"),
        _counts(view),
        el("h2", {"id": "text"}, "Source text"),
        el("p", {"class": "hint"}, "The plain-text rendition the offsets point into "
           "(DocumentReference, base64-decoded). Every fact is highlighted by kind; a highlight "
           "links to the resource it became, each resource links back."),
        _legend(),
        el("div", {"class": "source", "lang": doc_lang}, highlighted(view, titles))
        if view.text is not None
        else el("p", {"class": "missing"}, "This Bundle has no plain-text rendition."),
        _misplaced(view),
        el("h2", {"id": "medicines"}, f"Medicines ({len(view.medicines)})"),
        join(medicine_card(view, c, anchors) for c in view.medicines)
        if view.medicines else el("p", {"class": "none"}, "No medicine."),
        el("h2", {"id": "statements"}, f"Clinical statements ({len(issues)})"),
        join(issue_card(view, c, anchors) for c in issues)
        if issues else el("p", {"class": "none"}, "No side effect, warning, "
                          "contraindication or indication resource."),
        el("h2", {"id": "questionnaire"}, "Screening questionnaire"),
        join(questionnaire_card(view, c, lforms) for c in forms)
        if forms else el("p", {"class": "none"}, "No Questionnaire."),
    ]
    scripts, styles = [], []
    if lforms and forms:
        scripts = [f"assets/lforms/{s}" for s in LFORMS_SCRIPTS] + ["assets/form.js"]
        styles = [f"assets/lforms/{LFORMS_STYLE}"]
        body.append(el("div", {"id": "lforms-fhir", "hidden": True,
                               "data-src": f"../assets/lforms/{LFORMS_FHIR[view.fhir_version]}"}))
    return _page(f"{view.title} — review", "../", body, scripts, styles)


def _anchors(view: ArticleView) -> dict[str, str]:
    """A reference as the Bundle writes it (urn:uuid:<id>) -> the card anchor."""
    return {f"urn:uuid:{c.resource.get('id')}": c.anchor for c in view.cards}


def _counts(view: ArticleView) -> Html:
    parts = [f"medicines: {len(view.medicines)} ({view.coded} coded)"]
    parts += [f"{LABELS[k]}: {view.count(k)}" for k in FACT_KINDS if view.count(k)]
    flags = [el("span", {"class": "flag"}, f) for f in view.flags]
    return el("p", {"class": "counts"}, ", ".join(parts), " ", *flags)


def _misplaced(view: ArticleView) -> Html | None:
    if not view.misplaced:
        return None
    rows = [el("li", None, f"{LABELS[f.kind]} at {f.start}-{f.end} in ",
               el("a", {"href": "#" + f.card}, f.card)) for f in view.misplaced]
    return el("div", {"class": "missing"},
              el("p", None, "Facts whose offsets fall outside the text (not highlighted):"),
              el("ul", None, *rows))


def index_page(rows: list[tuple[str, ArticleView]], errors: list[str]) -> bytes:
    head = el(
        "tr",
        None,
        *(
            el("th", {"data-type": kind}, el("button", {"type": "button"}, label))
            for label, kind in (
                ("Title", "text"), ("File", "text"), ("FHIR", "text"),
                ("Medicines", "number"), ("Coded", "number"),
                *((LABELS[k], "number") for k in FACT_KINDS), ("Flags", "text"),
            )
        ),
    )
    body = []
    for page, view in rows:
        cells = [
            el("td", None, el("a", {"href": page}, view.title)),
            el("td", None, el("code", None, view.file)),
            el("td", None, view.fhir_version),
            _number(len(view.medicines)),
            _number(view.coded),
            *(_number(view.count(k)) for k in FACT_KINDS),
            el("td", {"class": "flags"}, *(el("span", {"class": "flag"}, f) for f in view.flags)),
        ]
        body.append(el("tr", None, *cells))
    total = sum(len(v.medicines) for _, v in rows)
    without = sum("no medicine" in v.flags for _, v in rows)
    summary = (f"{len(rows)} article{'' if len(rows) == 1 else 's'}, {total} "
               f"medicine{'' if total == 1 else 's'}; {without} with no medicine. "
               "Click a column header to sort.")
    content: list[Html | None] = [
        el("h1", None, "fhir-export review"),
        el("p", {"class": "counts"}, summary),
        el("table", {"class": "sortable", "id": "articles"}, el("thead", None, head),
           el("tbody", None, *body)),
    ]
    if errors:
        content.append(el("h2", None, f"Not shown ({len(errors)})"))
        content.append(el("ul", {"class": "errors"}, *(el("li", None, e) for e in errors)))
    return _page("fhir-export review", "", content, [], [])


def _number(value: int) -> Html:
    return el("td", {"class": "n" if value else "n zero", "data-value": value}, str(value))
