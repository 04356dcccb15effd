"""Corpus mode (R4 and R5): one knowledge base for many articles.

Each article is mapped on its own first (so every fact keeps its own article and offsets);
then resources about the same medicine are merged: one MedicationKnowledge per medicine (keyed
by its lexicon id, else its normalized name), every article a monograph, indications, routes,
classes and monitoring merged with every source kept (a concept stated by two articles carries
both derivation-reference extensions), one DetectedIssue per medicine, kind and wording citing
every article. DocumentReference, Questionnaire and Provenance stay one per article.

One id, one content: what merging changes lives in an id namespace of its own, keyed
'corpus|...' (MedicationKnowledge, DetectedIssue, ClinicalUseDefinition by medicine, kind and
wording; the Provenance, which lists the merged resources, by its article), and carries a
business identifier in the corpus namespace (CORPUS_SYSTEM) instead of its article's. What
merging leaves alone (DocumentReference, Questionnaire, Organization, Device) keeps its id and
is the very resource of the per-article output.
"""

from __future__ import annotations

import marshal
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from . import narrative as nv
from .common import JSON
from .ids import NAMESPACE, full_url, resource_id

# the identifier system of merged resources (uuid5 over "corpus" in fhir-export's namespace)
CORPUS_SYSTEM = full_url(str(uuid.uuid5(NAMESPACE, "corpus")))

_MERGED_LISTS = ("intendedRoute", "monitoringProgram")

Freeze = Callable[[list[Any], list[JSON] | None], None]  # add an article's sources, frozen
Load = Callable[[bytes], Any]  # a frozen item -> the item


class Store(Protocol):
    """Where frozen items are kept: put() gives a token (bytes) for data, get() the data."""

    def put(self, data: bytes) -> bytes: ...

    def get(self, token: bytes) -> bytes: ...


def _corpus_key(resource: JSON, article: str) -> str | None:
    """'<article>|medicine' -> 'medicine'; '<article>|medicine|kind|wording' -> the rest
    (`article` is the article's key, which may hold '|' itself)."""
    key = str(resource["@key"])
    if resource["resourceType"] in (
        "MedicationKnowledge",
        "DetectedIssue",
        "ClinicalUseDefinition",
    ):
        return key.removeprefix(f"{article}|")
    return None


def _in_corpus(resource: JSON, new_id: str) -> JSON:
    """The resource under its corpus id, its own identifier (the one holding its per-article
    id) moved to the corpus namespace; other identifiers (NDC codes) are kept."""
    out = dict(resource) | {"id": new_id}
    if "identifier" in resource:
        out["identifier"] = [
            {"system": CORPUS_SYSTEM, "value": new_id} if i.get("value") == resource["id"] else i
            for i in resource["identifier"]
        ]
    return out


def _concept_key(concept: JSON) -> str:
    codes = sorted(f"{c['system']}|{c['code']}" for c in concept.get("coding", ()))
    return codes[0] if codes else str(concept.get("text", "")).casefold()


def _merge_concepts(
    into: list[JSON], more: list[JSON], key: Any, inner: Any = lambda item: item,
    freeze: Freeze | None = None,
) -> None:
    """Add items not yet present; for one already there, keep every source extension (on the
    concept itself: `inner` finds it inside an item such as administrationGuidelines)."""
    index = {key(c): c for c in into}
    for item in more:
        same = index.get(key(item))
        if same is None:
            into.append(item)
            index[key(item)] = item
        else:
            (freeze or _frozen)(
                inner(same).setdefault("extension", []), inner(item).get("extension"))


def _frozen(into: list[Any], items: list[JSON] | None) -> None:
    """Add the items an article adds to a merged list (its sources: extensions, monographs,
    references) marshalled: a tenth of their memory as objects, until the resource is
    written (thawed, or one at a time: bundling.Stream.spliced). Nothing reads them while
    the corpus is merged."""
    into.extend(marshal.dumps(item) for item in items or ())


class Packed:
    """Frozen items at the end of a merged list, as a Store's tokens of one width packed in
    one bytearray: a source of a medicine that 100,000 articles cite costs its 12 bytes, not
    a bytes object of 45 and a list slot of 8 (what grew with the corpus). Iterating gives
    the tokens."""

    __slots__ = ("packed", "width")

    def __init__(self, width: int) -> None:
        self.packed = bytearray()
        self.width = width

    def __len__(self) -> int:
        return len(self.packed) // self.width

    def __iter__(self) -> Iterator[bytes]:
        packed, width = self.packed, self.width
        for at in range(0, len(packed), width):
            yield bytes(packed[at : at + width])


def is_frozen(item: Any) -> bool:
    return type(item) is bytes or type(item) is Packed


def unpacked(items: Iterable[Any]) -> Iterator[Any]:
    """The items of a merged list, each Packed run given as its tokens, one by one."""
    for item in items:
        if type(item) is Packed:
            yield from item
        else:
            yield item


def _stored(store: Store) -> Freeze:
    def freeze(into: list[Any], items: list[JSON] | None) -> None:
        for item in items or ():
            token = store.put(marshal.dumps(item))
            last = into[-1] if into else None
            if type(last) is not Packed or last.width != len(token):
                last = Packed(len(token))
                into.append(last)
            last.packed += token

    return freeze


def thawed(value: Any, load: Load = marshal.loads) -> Any:
    """`value` with every frozen item of its lists loaded again (in place)."""
    if isinstance(value, dict):
        for item in value.values():
            thawed(item, load)
    elif isinstance(value, list):
        value[:] = [
            load(item) if type(item) is bytes else thawed(item, load) for item in unpacked(value)
        ]
    return value


def _merge_mk(into: JSON, other: JSON, freeze: Freeze = _frozen) -> None:
    freeze(into.setdefault("extension", []), other.get("extension"))
    if "coding" not in into["code"] and "coding" in other["code"]:
        into["code"] = other["code"]
    brands = "synonym" if "synonym" in into or "synonym" in other else "name"  # R4 | R5
    names = {s.casefold() for s in into.get(brands, [])}
    for name, ext in zip(other.get(brands, []), other.get("_" + brands, []), strict=True):
        if name.casefold() not in names:
            into.setdefault(brands, []).append(name)
            into.setdefault("_" + brands, []).append(ext)
            names.add(name.casefold())
    if "indicationGuideline" in other:  # R5
        _merge_concepts(
            into.setdefault("indicationGuideline", []),
            other["indicationGuideline"],
            lambda g: _concept_key(g["indication"][0]["concept"]),
            lambda g: g["indication"][0]["concept"],
            freeze=freeze,
        )
    if "definitional" in other:  # R5
        routes = other["definitional"].get("intendedRoute", [])
        _merge_concepts(
            into.setdefault("definitional", {}).setdefault("intendedRoute", []),
            routes,
            _concept_key,
            freeze=freeze,
        )
    if "clinicalUseIssue" in other:  # R5: each merged issue once (the first reference kept)
        issues = into.setdefault("clinicalUseIssue", [])
        seen = {r["reference"] for r in issues}
        for ref in other["clinicalUseIssue"]:
            if ref["reference"] not in seen:
                seen.add(ref["reference"])
                issues.append(ref)
    freeze(into.setdefault("monograph", []), other.get("monograph"))
    for field in _MERGED_LISTS:
        if field in other:
            key = _concept_key if field == "intendedRoute" else (lambda m: m["name"].casefold())
            _merge_concepts(into.setdefault(field, []), other[field], key, freeze=freeze)
    if "administrationGuidelines" in other:
        into.setdefault("administrationGuidelines", [])
        _merge_concepts(
            into["administrationGuidelines"],
            other["administrationGuidelines"],
            lambda g: _concept_key(g["indicationCodeableConcept"]),
            lambda g: g["indicationCodeableConcept"],
            freeze=freeze,
        )
    if "medicineClassification" in other:
        if "medicineClassification" not in into:
            into["medicineClassification"] = other["medicineClassification"]
        else:
            _merge_concepts(
                into["medicineClassification"][0]["classification"],
                other["medicineClassification"][0]["classification"],
                _concept_key,
                freeze=freeze,
            )
    if "contraindication" in other:  # two articles never share a per-article id: all kept
        freeze(into.setdefault("contraindication", []), other["contraindication"])


_CUD_CONCEPT = {
    "indication": ("indication", "diseaseSymptomProcedure", "concept"),
    "undesirable-effect": ("undesirableEffect", "symptomConditionEffect", "concept"),
    "contraindication": ("contraindication", "diseaseSymptomProcedure", "concept"),
    "warning": ("warning", "code"),
}


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _merge_issue(into: JSON, other: JSON, freeze: Freeze = _frozen) -> None:
    freeze(into.setdefault("extension", []), other.get("extension"))
    if into["resourceType"] == "ClinicalUseDefinition":  # R5
        path = _CUD_CONCEPT.get(str(into.get("type")), ())
        mine, theirs = _dig(into, path), _dig(other, path)
        if isinstance(mine, dict) and isinstance(theirs, dict):
            freeze(mine.setdefault("extension", []), theirs.get("extension"))
        return
    evidence, more = into["evidence"][0], other["evidence"][0]
    freeze(evidence["code"][0].setdefault("extension", []), more["code"][0].get("extension"))
    freeze(evidence["detail"], more["detail"])


def _mk_narrative(mk: JSON, load: Load = marshal.loads) -> JSON:
    return nv.div(
        nv.heading(str(mk["code"]["text"])),
        nv.items(
            [
                f"{c['system']} {c['code']} ({c.get('display', '')})"
                for c in mk["code"].get("coding", ())
            ],
            "Codes",
        ),
        nv.items([str(n) for n in mk.get("synonym") or mk.get("name") or []], "Brand names"),
        nv.items(
            [g["indicationCodeableConcept"]["text"] for g in mk.get("administrationGuidelines", [])]
            + [g["indication"][0]["concept"]["text"] for g in mk.get("indicationGuideline", [])],
            "Used for",
        ),
        nv.items(
            [
                str(m["source"].get("display", m["source"]["reference"]))
                for m in (
                    load(m) if type(m) is bytes else m for m in unpacked(mk.get("monograph", []))
                )
            ],
            "Sources",
        ),
    )


def _relink(value: Any, urls: dict[str, str]) -> Any:
    """`value`, copied, with every reference to one of `urls`' keys replaced by its value."""
    if isinstance(value, dict):
        out = {k: _relink(v, urls) for k, v in value.items()}
        if isinstance(out.get("reference"), str) and out["reference"] in urls:
            out["reference"] = urls[out["reference"]]
        return out
    if isinstance(value, list):
        return [_relink(v, urls) for v in value]
    return value


def _dedupe_refs(resource: JSON, field_path: tuple[str, ...]) -> None:
    holder: Any = resource
    for step in field_path[:-1]:
        holder = holder.get(step) if isinstance(holder, dict) else None
        if holder is None:
            return
    refs = holder.get(field_path[-1]) if isinstance(holder, dict) else None
    if isinstance(refs, list):
        kept: dict[str, JSON] = {}
        for ref in refs:
            kept.setdefault(ref["reference"], ref)
        holder[field_path[-1]] = list(kept.values())


Keep = Callable[[JSON | int], None]


class Corpus:
    """The corpus, merged one article at a time (add). Each article's references are relinked
    as it is added (they point at its own resources, whose corpus ids are known then), so what
    merging leaves alone (DocumentReference, Questionnaire, Provenance, Organization, Device)
    is final at once and handed to `keep` in Bundle order, while only the merged resources
    (keyed by medicine) stay here; `keep` gets the index of a merged resource where it first
    appears (take() gives it, complete, once every article is added). What an article adds
    to a merged resource (its sources) is kept marshalled until then. Without `keep`
    the corpus holds everything, and resources() gives what merge() gives.

    `relative`: references between the corpus's resources written 'Type/id' instead of by
    fullUrl (what bundling.build does for a batch). `store`: where the frozen items are kept
    (default: here, marshalled); `load` gives one back."""

    def __init__(self, keep: Keep | None = None, *, relative: bool = False,
                 store: Store | None = None) -> None:
        self.merged: dict[tuple[str, str], JSON] = {}
        self.order: list[JSON] = []  # the merged resources, by index
        self.out: list[JSON | int] = []
        self.keep: Keep = self.out.append if keep is None else keep
        self.relative = relative
        self.shared: set[str] = set()  # ids of resources of no one article (publisher, Device)
        self.articles = 0
        self.freeze: Freeze = _frozen
        self.load: Load = marshal.loads
        if store is not None:  # frozen items kept by `store` (on disk), their tokens packed here
            self.freeze = _stored(store)
            self.load = lambda token: marshal.loads(store.get(token))  # noqa: S302 (ours)

    def add(self, resources: list[JSON]) -> None:
        """One article's resources, as map_article returned them."""
        self.articles += 1
        article = str(resources[0]["@key"])  # the DocumentReference comes first
        links: dict[str, str] = {}  # this article's references -> the corpus's
        final: list[tuple[JSON, str | None, str]] = []
        for resource in resources:
            kind = resource["resourceType"]
            corpus_key = _corpus_key(resource, article)
            if kind == "Provenance":  # lists the merged resources; nothing refers to it
                final.append((resource, None, resource_id(kind, f"corpus|{article}")))
                continue
            new_id = resource["id"] if corpus_key is None else resource_id(
                kind, f"corpus|{corpus_key}")
            final.append((resource, corpus_key, new_id))
            if self.relative:
                links[full_url(resource["id"])] = f"{kind}/{new_id}"
            elif new_id != resource["id"]:
                links[full_url(resource["id"])] = full_url(new_id)
        mine: set[str] = set()
        for resource, corpus_key, new_id in final:
            linked = _relink(resource, links)
            kind = resource["resourceType"]
            if kind == "Provenance":
                key = f"corpus|{article}"
                self._keep(_in_corpus(linked, new_id) | {"@key": key})
            elif corpus_key is None:
                key = str(resource["@key"])
                seen = mine if key == article or key.startswith(f"{article}|") else self.shared
                if new_id not in seen:  # a shared publisher or the Device: once
                    seen.add(new_id)
                    self._keep(linked)
            else:
                target = self.merged.get((kind, corpus_key))
                if target is None:
                    target = _in_corpus(linked, new_id) | {"@key": f"corpus|{corpus_key}"}
                    self.merged[(kind, corpus_key)] = target
                    self.keep(len(self.order))
                    self.order.append(target)
                elif kind == "MedicationKnowledge":
                    _merge_mk(target, linked, self.freeze)
                else:
                    _merge_issue(target, linked, self.freeze)

    def _keep(self, resource: JSON) -> None:
        _dedupe_refs(resource, ("context", "related"))
        _dedupe_refs(resource, ("target",))
        _dedupe_refs(resource, ("implicated",))
        self.keep(resource)

    def take(self, index: int) -> JSON:
        """Merged resource number `index`, complete (once every article is added), let go of
        by the corpus: each is taken once. What later articles added to its lists is still
        marshalled (bytes items, after the others of their list): thawed() loads them."""
        resource = self.order[index]
        self.order[index] = {}
        if resource["resourceType"] == "MedicationKnowledge":
            resource["text"] = _mk_narrative(resource, self.load)
            _dedupe_refs(resource, ("clinicalUseIssue",))
        _dedupe_refs(resource, ("context", "related"))
        _dedupe_refs(resource, ("target",))
        _dedupe_refs(resource, ("implicated",))
        return resource

    def resources(self) -> list[JSON]:
        """The corpus's resources, when it holds them (made without `keep`): this empties it."""
        out = [thawed(self.take(item), self.load) if isinstance(item, int) else item
               for item in self.out]
        self.out.clear()
        self.merged.clear()
        self.order = []
        return out


def merge(per_article: list[list[JSON]]) -> list[JSON]:
    """Resources of many articles (each list as map_article returned it) -> the corpus."""
    corpus = Corpus()
    for resources in per_article:
        corpus.add(resources)
    return corpus.resources()
