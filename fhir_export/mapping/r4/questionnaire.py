"""The pre-treatment screening questions the article names, as a loadable Questionnaire.

One yes/no item per screening topic, grouped under the therapy the text ties them to, each
with a free-text follow-up shown only when the answer is yes. A form's own question is the
item's text when it asks about that one topic; otherwise the topic's words are. No topic, no
Questionnaire.
"""

from __future__ import annotations

import re

from ...model import Article, Extraction, Finding
from .. import narrative as nv
from ..common import (
    JSON,
    article_key,
    coding,
    derivation,
    derivation_at,
    derived_identifier,
)
from ..ids import full_url, resource_id

# The form's own words in the article's language (a Spanish clinic loads a Spanish form):
# its group per therapy, the follow-up after a yes (with the topic, or after the form's own
# question), its title and the caption of its narrative. Other languages: English.
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "group": "Before treatment with {name}",
        "details": "If yes: {topic}, please give details",
        "asked": "If yes, please give details",
        "title": "Screening before treatment: {title}",
        "caption": "Asked before treatment",
    },
    "es": {
        "group": "Antes del tratamiento con {name}",
        "details": "Si la respuesta es sí: {topic}, indique los detalles",
        "asked": "Si la respuesta es sí, indique los detalles",
        "title": "Preguntas antes del tratamiento: {title}",
        "caption": "Preguntas antes del tratamiento",
    },
    "fr": {
        "group": "Avant le traitement par {name}",
        "details": "Si oui : {topic}, veuillez préciser",
        "asked": "Si oui, veuillez préciser",
        "title": "Questions avant le traitement : {title}",
        "caption": "Questions avant le traitement",
    },
    "de": {
        "group": "Vor der Behandlung mit {name}",
        "details": "Falls ja: {topic}, bitte Einzelheiten angeben",
        "asked": "Falls ja, bitte Einzelheiten angeben",
        "title": "Fragen vor der Behandlung: {title}",
        "caption": "Fragen vor der Behandlung",
    },
}


def words_for(language: str) -> dict[str, str]:
    """The form's words for a language tag ('es', 'fr-FR'); English when there are none."""
    return _WORDS.get(language.split("-")[0].lower(), _WORDS["en"])


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "item"


def _item(
    finding: Finding,
    doc_url: str,
    used: set[str],
    asked: tuple[str, int, int] | None,
    words: dict[str, str],
) -> list[JSON]:
    """A yes/no item and its follow-up; `asked`: the form's own question (text, offsets) when
    the finding is the one thing it asks about."""
    link = _slug(finding.concept.id if finding.concept else finding.text)
    while link in used:
        link += "-x"
    used.add(link)
    if asked is None:
        text, where = finding.text[:1].upper() + finding.text[1:], derivation(doc_url, finding)
        details = words["details"].format(topic=finding.text)
    else:
        text, where = asked[0], derivation_at(doc_url, asked[1], asked[2])
        details = words["asked"]
    item: JSON = {"extension": [where], "linkId": link}
    if finding.concept and finding.concept.codings:
        item["code"] = [coding(c) for c in finding.concept.codings]
    item |= {"text": text, "type": "boolean"}
    follow = {
        "linkId": f"{link}-details",
        "text": details,
        "type": "text",
        "enableWhen": [{"question": link, "operator": "=", "answerBoolean": True}],
    }
    return [item, follow]


def _questions(
    article: Article, screening: tuple[Finding, ...]
) -> list[tuple[str, int, int] | None]:
    """Each finding's own question (Finding.question), unless the question asks about more
    than one of them ("... TB skin test, chickenpox vaccine, or yellow fever vaccine?"): each
    is then an item of its own words."""
    spans = [(f.question.start, f.question.end) if f.question else None for f in screening]
    counts: dict[tuple[int, int], int] = {}
    for span in spans:
        if span is not None:
            counts[span] = counts.get(span, 0) + 1
    return [
        (" ".join(article.text[span[0] : span[1]].split()), *span)
        if span is not None and counts[span] == 1
        else None
        for span in spans
    ]


def questionnaire(article: Article, extraction: Extraction, doc_url: str) -> JSON | None:
    if not extraction.screening:
        return None
    key = article_key(article)
    rid = resource_id("Questionnaire", key)
    names = {m.key: m.name.text for m in extraction.medications}
    used: set[str] = set()
    words = words_for(article.language)
    items: list[JSON] = []
    groups: dict[str, JSON] = {}
    questions = _questions(article, extraction.screening)
    for finding, asked in zip(extraction.screening, questions, strict=True):
        if finding.group and finding.group in names:
            group = groups.get(finding.group)
            if group is None:
                group = {
                    "linkId": _slug(f"before-{finding.group}"),
                    "text": words["group"].format(name=names[finding.group]),
                    "type": "group",
                    "item": [],
                }
                used.add(group["linkId"])
                groups[finding.group] = group
                items.append(group)
            group["item"] += _item(finding, doc_url, used, asked, words)
        else:
            items += _item(finding, doc_url, used, asked, words)
    title = words["title"].format(title=article.title)
    name = re.sub(r"[^A-Za-z0-9]", "", article.title.title())[:60] or "Article"
    form: JSON = {
        "resourceType": "Questionnaire",
        "id": rid,
        "language": article.language,
        "text": nv.div(
            nv.heading(title),
            nv.items(
                [
                    asked[0] if asked else f.text
                    for f, asked in zip(extraction.screening, questions, strict=True)
                ],
                words["caption"],
            ),
            lang=article.language,
        ),
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/derivation-reference",
                "extension": [{"url": "reference", "valueReference": {"reference": doc_url}}],
            }
        ],
        # a canonical of its own: validators refuse a canonical equal to the entry's fullUrl
        "url": full_url(resource_id("Questionnaire.url", key)),
        "identifier": derived_identifier(article, rid),
        "version": article.date or "1",
        "name": f"ScreeningBeforeTreatment{name}",
        "title": title,
        "status": "draft",
        "description": (
            f"Screening questions asked before treatment, as stated in the article "
            f"'{article.title}'" + (f" ({article.publisher})" if article.publisher else "") + "."
        ),
        "item": items,
    }
    if article.date:
        form["date"] = article.date
    return form | {"@key": key, "@display": title}
