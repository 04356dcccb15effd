"""The pre-treatment screening questions the article names, as a loadable Questionnaire.

One yes/no item per screening topic, grouped under the therapy the text ties them to, each
with a free-text follow-up shown only when the answer is yes. No topic, no Questionnaire.
"""

from __future__ import annotations

import re

from ...model import Article, Extraction, Finding
from .. import narrative as nv
from ..common import JSON, article_key, coding, derivation, derived_identifier
from ..ids import full_url, resource_id


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "item"


def _item(finding: Finding, doc_url: str, used: set[str]) -> list[JSON]:
    link = _slug(finding.concept.id if finding.concept else finding.text)
    while link in used:
        link += "-x"
    used.add(link)
    text = finding.text[:1].upper() + finding.text[1:]
    item: JSON = {"extension": [derivation(doc_url, finding)], "linkId": link}
    if finding.concept and finding.concept.codings:
        item["code"] = [coding(c) for c in finding.concept.codings]
    item |= {"text": text, "type": "boolean"}
    follow = {
        "linkId": f"{link}-details",
        "text": f"If yes: {finding.text}, please give details",
        "type": "text",
        "enableWhen": [{"question": link, "operator": "=", "answerBoolean": True}],
    }
    return [item, follow]


def questionnaire(article: Article, extraction: Extraction, doc_url: str) -> JSON | None:
    if not extraction.screening:
        return None
    key = article_key(article)
    rid = resource_id("Questionnaire", key)
    names = {m.key: m.name.text for m in extraction.medications}
    used: set[str] = set()
    items: list[JSON] = []
    groups: dict[str, JSON] = {}
    for finding in extraction.screening:
        if finding.group and finding.group in names:
            group = groups.get(finding.group)
            if group is None:
                group = {
                    "linkId": _slug(f"before-{finding.group}"),
                    "text": f"Before treatment with {names[finding.group]}",
                    "type": "group",
                    "item": [],
                }
                used.add(group["linkId"])
                groups[finding.group] = group
                items.append(group)
            group["item"] += _item(finding, doc_url, used)
        else:
            items += _item(finding, doc_url, used)
    title = f"Screening before treatment: {article.title}"
    name = re.sub(r"[^A-Za-z0-9]", "", article.title.title())[:60] or "Article"
    form: JSON = {
        "resourceType": "Questionnaire",
        "id": rid,
        "text": nv.div(
            nv.heading(title),
            nv.items([f.text for f in extraction.screening], "Asked before treatment"),
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
