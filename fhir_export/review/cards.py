"""The resource cards of an article page: medicines with their codes and names, the clinical
statements (DetectedIssue in R4, ClinicalUseDefinition in R5) and the Questionnaire. Each
card is the target of its highlights (`id="<ResourceType>-<id>"`) and links back to them."""

from __future__ import annotations

from typing import Any

from .facts import JSON, LABELS, USE_KINDS, ArticleView, Card, own_spans
from .highlight import span_anchor
from .markup import Html, el, join, json_block


def title_of(card: Card) -> str:
    r = card.resource
    if card.resource_type == "MedicationKnowledge":
        return str(r.get("code", {}).get("text") or card.anchor)
    if card.resource_type == "Questionnaire":
        return str(r.get("title") or r.get("name") or card.anchor)
    concept = _issue_concept(r)
    medicine = ", ".join(i.get("display", "") for i in r.get("implicated", []))
    what = str(concept.get("text", "")) if concept else ""
    return f"{what} ({medicine})" if medicine else what or card.anchor


def _issue_concept(r: JSON) -> JSON | None:
    if r.get("resourceType") == "DetectedIssue":
        codes = [c for e in r.get("evidence", []) for c in e.get("code", [])]
        return codes[0] if codes else None
    for element, inner in (
        ("indication", "diseaseSymptomProcedure"),
        ("contraindication", "diseaseSymptomProcedure"),
        ("undesirableEffect", "symptomConditionEffect"),
    ):
        found = r.get(element, {}).get(inner, {}).get("concept")
        if found:
            return dict(found)
    code = r.get("warning", {}).get("code")
    return dict(code) if code else None


def back_links(view: ArticleView, card: Card) -> Html:
    text = view.text or ""
    seen = sorted({(f.start, f.end) for f in view.facts if f.card == card.anchor})
    if not seen:
        return el("p", {"class": "back none"}, "No highlight in the text points here.")
    links = [
        el("a", {"class": "back", "href": "#" + span_anchor(s, e)}, text[s:e]) for s, e in seen
    ]
    return el("p", {"class": "back"}, "In the text: ", *_commas(links))


def _commas(parts: list[Html]) -> list[Html | str]:
    out: list[Html | str] = []
    for n, part in enumerate(parts):
        if n:
            out.append(", ")
        out.append(part)
    return out


def _codes(concept: JSON | None) -> Html | None:
    codings = (concept or {}).get("coding", [])
    if not codings:
        return el("p", {"class": "uncoded"}, "No code: text only (not in the shipped lexicon).")
    rows = [
        el("tr", None, el("td", None, c.get("system", "")), el("td", None, el("code", None,
           c.get("code", ""))), el("td", None, c.get("display", "")))
        for c in codings
    ]
    head = el("tr", None, el("th", None, "System"), el("th", None, "Code"),
              el("th", None, "Display"))
    return el("table", {"class": "codes"}, el("thead", None, head), el("tbody", None, *rows))


def _field(label: str, values: list[Any]) -> Html | None:
    if not values:
        return None
    return join([el("dt", None, label), el("dd", None, *_commas([_value(v) for v in values]))])


def _value(value: Any) -> Html:
    return value if isinstance(value, Html) else el("span", None, str(value))


def medicine_card(view: ArticleView, card: Card, anchors: dict[str, str]) -> Html:
    r = card.resource
    names = [*r.get("synonym", []), *r.get("name", [])]
    kinds = {
        (f.start, f.end): f.kind for f in view.facts if f.card == card.anchor
    }
    text = view.text or ""
    brands = sorted({text[s:e] for (s, e), k in kinds.items() if k == "brand"})
    others = [n for n in names if n not in brands]
    classes = [c.get("text", "") for m in r.get("medicineClassification", [])
               for c in m.get("classification", [])]
    uses = [g["indicationCodeableConcept"].get("text", "")
            for g in r.get("administrationGuidelines", []) if "indicationCodeableConcept" in g]
    uses += [i.get("concept", {}).get("text", "") for g in r.get("indicationGuideline", [])
             for i in g.get("indication", [])]
    routes = [c.get("text", "") for c in r.get("intendedRoute", [])]
    monitoring = [m.get("name", "") for m in r.get("monitoringProgram", [])]
    issues = _issue_links(view, card, anchors)
    return el(
        "section",
        {"class": "card medicine", "id": card.anchor},
        el("h3", None, title_of(card)),
        el("p", {"class": "rtype"}, "MedicationKnowledge ", el("code", None, r.get("id", ""))),
        _codes(r.get("code")),
        el(
            "dl",
            None,
            _field("Brand names", [n for n in names if n in brands]),
            _field("Other names", others),
            _field("Class", classes),
            _field("Used for", uses),
            _field("Routes", routes),
            _field("Monitoring", monitoring),
            _field("Clinical statements", issues),
        ),
        back_links(view, card),
    )


def _issue_links(view: ArticleView, card: Card, anchors: dict[str, str]) -> list[Html]:
    """The DetectedIssues that implicate this medicine (R4) or its clinicalUseIssue (R5)."""
    wanted: list[str] = []
    for ref in card.resource.get("clinicalUseIssue", []):
        wanted.append(anchors.get(str(ref.get("reference")), ""))
    for other in view.of_type("DetectedIssue"):
        refs = [anchors.get(str(i.get("reference"))) for i in other.resource.get("implicated", [])]
        if card.anchor in refs:
            wanted.append(other.anchor)
    cards = {c.anchor: c for c in view.cards}
    return [
        el("a", {"href": "#" + a}, title_of(cards[a]).split(" (")[0]) for a in wanted if a in cards
    ]


def issue_card(view: ArticleView, card: Card, anchors: dict[str, str]) -> Html:
    r = card.resource
    kind = next((f.kind for f in view.facts if f.card == card.anchor), None)
    if kind is None and r.get("resourceType") == "ClinicalUseDefinition":
        kind = USE_KINDS.get(str(r.get("type")))
    label = LABELS.get(kind or "", "statement")
    medicines = [
        el("a", {"href": "#" + anchors[str(i.get("reference"))]}, i.get("display", ""))
        for i in r.get("implicated", []) if str(i.get("reference")) in anchors
    ]
    medicines += [  # R5: the MedicationKnowledge that lists this ClinicalUseDefinition
        el("a", {"href": "#" + c.anchor}, title_of(c)) for c in view.medicines
        if any(anchors.get(str(x.get("reference"))) == card.anchor
               for x in c.resource.get("clinicalUseIssue", []))
        or any(anchors.get(str(x.get("reference", {}).get("reference"))) == card.anchor
               for g in c.resource.get("indicationGuideline", []) for x in g.get("indication", []))
    ]
    concept = _issue_concept(r)
    return el(
        "section",
        {"class": f"card issue k-{kind or 'statement'}", "id": card.anchor},
        el("h3", None, el("span", {"class": "kind"}, label), " ",
           str((concept or {}).get("text", ""))),
        el("p", {"class": "rtype"}, f"{card.resource_type} ", el("code", None, r.get("id", ""))),
        _codes(concept),
        el("dl", None, _field("Medicine", medicines),
           _field("Sentence", [r["detail"]] if isinstance(r.get("detail"), str) else [])),
        back_links(view, card),
    )


def questionnaire_card(view: ArticleView, card: Card, lforms: bool) -> Html:
    """The form rendered by LHC-Forms (assets/form.js reads the JSON block), and always the
    items as a plain list with their back-links."""
    r = card.resource
    block = f"questionnaire-{r.get('id', '')}"
    if lforms:
        note = el("p", {"class": "lforms-status", "data-status": "loading"},
                  "Rendering the form with LHC-Forms…")
        form = el("div", {"class": "lhc-form", "data-questionnaire": block,
                          "data-fhir-version": view.fhir_version})
    else:
        note = el("p", {"class": "lforms-status", "data-status": "absent"},
                  "LHC-Forms is not in this site (run scripts/setup_lhc_forms.sh and write the "
                  "site again): the Questionnaire is shown as a plain list.")
        form = None
    return el(
        "section",
        {"class": "card questionnaire", "id": card.anchor},
        el("h3", None, title_of(card)),
        el("p", {"class": "rtype"}, "Questionnaire ", el("code", None, r.get("id", ""))),
        note,
        form,
        json_block(block, r) if lforms else None,
        el("h4", None, "Items"),
        _items(view, r.get("item", [])),
        back_links(view, card),
    )


def _items(view: ArticleView, items: list[JSON]) -> Html | None:
    if not items:
        return None
    text = view.text or ""
    rows = []
    for item in items:
        link_id = str(item.get("linkId", ""))
        spans = [s for s in own_spans(item) if view.text and s[1] <= len(view.text)]
        sources = [
            el("a", {"class": "back", "href": "#" + span_anchor(s, e)}, "“" + text[s:e] + "”")
            for s, e in spans
        ]
        rows.append(
            el(
                "li",
                {"data-link-id": link_id},
                el("span", {"class": "item-text"}, str(item.get("text", ""))),
                el("span", {"class": "item-type"}, " (" + str(item.get("type", "")) + ")"),
                el("span", {"class": "from"}, " from ", *_commas(sources)) if sources else None,
                _items(view, item.get("item", [])),
            )
        )
    return el("ul", {"class": "items"}, *rows)
