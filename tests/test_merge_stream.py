"""--merge streamed (issue #12, "Memory"): the corpus Bundle is written entry by entry, its
articles' own resources spooled as they are merged, in the bytes the whole-corpus path gives."""

from __future__ import annotations

import copy
import json
import marshal
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTICLES, SEED

from fhir_export import bundling, pipeline
from fhir_export.article_export import map_resources
from fhir_export.bundle_check import BundleCheckError
from fhir_export.discovery import discover
from fhir_export.errors import InternalError
from fhir_export.mapping import merge
from fhir_export.options import BundleType, ExportOptions, OutputFormat
from fhir_export.report import ExportReport
from fhir_export.serialization import LISTED, SERIALIZERS, spliced
from fhir_export.spool import Store, tee
from fhir_export.terminology import default_lexicon

JSON = dict[str, Any]
PATHS = [str(SEED.parent), str(ARTICLES)]


def _per_article(options: ExportOptions) -> list[list[JSON]]:
    """Every article's resources as the run maps them, in the run's order (failed ones out)."""
    lexicon = default_lexicon(options.lexicons)
    files, _ = discover(PATHS)
    mapped = []
    for source in files:
        try:
            resources, _ = map_resources(source.path, options, ExportReport(), lexicon,
                                         relative=source.relative)
        except Exception:  # noqa: S112 (the run reports it and goes on: so does this)
            continue
        mapped.append(resources)
    return mapped


def _held(per_article: list[list[JSON]]) -> list[JSON]:
    """The corpus as it was made before it streamed: every article's resources held, the
    references relinked at the end over the whole corpus (merge.py before issue #12)."""
    urls: dict[str, str] = {}
    merged: dict[tuple[str, str], JSON] = {}
    out: list[JSON] = []
    seen: set[str] = set()
    for resources in per_article:
        article = str(resources[0]["@key"])
        for resource in resources:
            corpus_key = merge._corpus_key(resource, article)
            if resource["resourceType"] == "Provenance":
                key = f"corpus|{article}"
                out.append(merge._in_corpus(resource, merge.resource_id("Provenance", key))
                           | {"@key": key})
            elif corpus_key is None:
                if resource["id"] not in seen:
                    seen.add(resource["id"])
                    out.append(resource)
            else:
                kind = resource["resourceType"]
                new_id = merge.resource_id(kind, f"corpus|{corpus_key}")
                urls[merge.full_url(resource["id"])] = merge.full_url(new_id)
                target = merged.get((kind, corpus_key))
                if target is None:
                    target = merge._in_corpus(resource, new_id) | {"@key": f"corpus|{corpus_key}"}
                    merged[(kind, corpus_key)] = target
                    out.append(target)
                elif kind == "MedicationKnowledge":
                    merge._merge_mk(target, resource)
                else:
                    merge._merge_issue(target, resource)
    result = []
    for original in out:
        resource = merge._relink(merge.thawed(original), urls)
        if resource["resourceType"] == "MedicationKnowledge":
            resource["text"] = merge._mk_narrative(resource)
            merge._dedupe_refs(resource, ("clinicalUseIssue",))
        for path in (("context", "related"), ("target",), ("implicated",)):
            merge._dedupe_refs(resource, path)
        result.append(resource)
    return result


@pytest.fixture(scope="module")
def mapped() -> dict[str, list[list[JSON]]]:
    return {v: _per_article(ExportOptions(fhir_version=v)) for v in ("R4", "R5")}


@pytest.mark.parametrize(("version", "bundle_type"), [
    ("R4", BundleType.TRANSACTION), ("R4", BundleType.BATCH),
    ("R5", BundleType.COLLECTION), ("R5", BundleType.BATCH),
])
def test_streamed_corpus_has_the_bytes_of_the_held_one(
    tmp_path: Path, mapped: dict[str, list[list[JSON]]], version: str, bundle_type: BundleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pipeline, "Store", lambda: Store(buffer=256))  # most read from disk
    options = ExportOptions(fhir_version=version, bundle_type=bundle_type,
                            output_format=OutputFormat.BOTH)
    report = pipeline.export_corpus(PATHS, tmp_path, options)
    assert len(mapped[version]) > 20  # a corpus: many articles, medicines shared among them
    held = [json.loads(json.dumps(r)) for r in _held(json.loads(json.dumps(mapped[version])))]
    bundle = bundling.build(held, bundle_type=bundle_type, key="corpus", fhir_version=version)
    for fmt in ("json", "xml"):
        written = (tmp_path / f"corpus.bundle.{fmt}").read_bytes()
        assert written == SERIALIZERS[fmt](bundle), fmt
    assert report.results[0].resources == len(bundle["entry"])
    for record, fmt in zip(report.results[0].records, ("json", "xml"), strict=True):
        data = (tmp_path / f"corpus.bundle.{fmt}").read_bytes()
        assert record == pipeline.manifest.record(tmp_path, tmp_path / f"corpus.bundle.{fmt}",
                                                  data, pipeline.manifest.bundle_counts(bundle))
    # what merge() gives is the held corpus too (the corpus relinks as it merges)
    assert merge.merge(json.loads(json.dumps(mapped[version]))) == held


def test_the_corpus_holds_only_merged_resources_and_keeps_the_others_at_once(
    mapped: dict[str, list[list[JSON]]],
) -> None:
    kept: list[JSON | int] = []
    corpus = merge.Corpus(kept.append)
    first = json.loads(json.dumps(mapped["R4"][0]))
    corpus.add(first)
    handed = [item for item in kept if not isinstance(item, int)]
    kinds = {r["resourceType"] for r in handed}
    assert {"DocumentReference", "Provenance"} <= kinds
    assert not kinds & {"MedicationKnowledge", "DetectedIssue"}
    assert corpus.out == []  # nothing held but the merged resources
    assert {r["resourceType"] for r in corpus.order} == {"MedicationKnowledge", "DetectedIssue"}
    # a handed resource is final: its references already point at the merged resources
    urls = {merge.full_url(r["id"]) for r in corpus.order}
    provenance = next(r for r in handed if r["resourceType"] == "Provenance")
    targets = {t["reference"] for t in provenance["target"]}
    assert urls <= targets
    per_article = {merge.full_url(r["id"]) for r in first
                   if r["resourceType"] in ("MedicationKnowledge", "DetectedIssue")}
    assert not targets & per_article


def _broken(resources: list[JSON], where: str) -> list[JSON]:
    """The corpus with one resource broken (a FHIR JSON rule the check enforces)."""
    out = json.loads(json.dumps(resources))
    if where == "merged":
        index = next(i for i, r in enumerate(out) if r["resourceType"] == "MedicationKnowledge")
        out[index]["status"] = 7  # an int where FHIR JSON has a string
    elif where == "merged-deep":
        index = max(i for i, r in enumerate(out) if r["resourceType"] == "MedicationKnowledge")
        out[index]["monograph"][-1]["source"]["display"] = ""
    elif where == "kept":
        index = max(i for i, r in enumerate(out) if r["resourceType"] == "DocumentReference")
        out[index]["content"] = []
    else:
        out[-1]["unknownElement"] = True
    return out


@pytest.mark.parametrize("where", ["merged", "merged-deep", "kept", "last"])
def test_each_entry_check_rejects_what_the_whole_bundle_check_rejects(
    mapped: dict[str, list[list[JSON]]], where: str
) -> None:
    resources = _broken(merge.merge(json.loads(json.dumps(mapped["R4"]))), where)
    with pytest.raises(BundleCheckError) as whole:
        bundling.build(resources, bundle_type=BundleType.TRANSACTION, key="corpus")
    stream = bundling.Stream(bundle_type=BundleType.TRANSACTION, key="corpus")
    with pytest.raises(BundleCheckError) as streamed:
        for resource in resources:
            stream.entry(resource)
    assert str(streamed.value) == str(whole.value)
    assert str(whole.value).startswith("entry[")


def test_an_empty_corpus_stream_fails_as_the_whole_check_does() -> None:
    with pytest.raises(BundleCheckError) as whole:
        bundling.build([], bundle_type=BundleType.BATCH, key="corpus")
    with pytest.raises(BundleCheckError) as streamed:
        bundling.Stream(bundle_type=BundleType.BATCH, key="corpus").finish()
    assert str(streamed.value) == str(whole.value) == "entry: an empty list"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_listed_pieces_join_into_dumps_of_the_whole(
    mapped: dict[str, list[list[JSON]]], fmt: str
) -> None:
    bundle = bundling.build(merge.merge(json.loads(json.dumps(mapped["R5"][:4]))),
                            bundle_type=BundleType.COLLECTION, key="corpus", fhir_version="R5")
    shell = {k: v for k, v in bundle.items() if k != "entry"}
    for entries in (bundle["entry"], bundle["entry"][:1]):
        writer = LISTED[fmt](shell, "entry")
        pieces = [writer.head(), *(writer.item(e) for e in entries), writer.tail()]
        assert b"".join(pieces) == SERIALIZERS[fmt](shell | {"entry": entries})


def test_tee_gives_every_stream_its_chunks_and_refuses_a_later_one_read_first() -> None:
    first, second = tee(iter([(b"a", b"1"), (b"b", b"22")]), 2)
    with pytest.raises(RuntimeError):
        next(second)
    assert b"".join(first) == b"ab"
    first, second = tee(iter([(b"a", b"1"), (b"b", b"22")]), 2)
    assert (b"".join(first), b"".join(second)) == (b"ab", b"122")


def test_a_check_failing_mid_stream_writes_nothing_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A merged resource broken only when the corpus is complete (its narrative) fails its
    check after the Bundle's first entries were written: no output, the earlier one kept."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "corpus.bundle.json").write_bytes(b"earlier\n")
    monkeypatch.setattr(merge, "_mk_narrative",
                        lambda mk, load: {"status": "made-up", "div": ""})
    written: list[bytes] = []

    def spied(pieces: Any, ways: int) -> list[Any]:
        streams = tee(pieces, ways)

        def first() -> Any:
            for chunk in streams[0]:
                written.append(chunk)
                yield chunk
        return [first(), *streams[1:]]

    monkeypatch.setattr(pipeline, "tee", spied)
    options = ExportOptions(output_format=OutputFormat.BOTH)
    with pytest.raises(InternalError) as raised:
        pipeline.export_corpus([str(ARTICLES / "amlodipine-leaflet-uk.txt")], out, options)
    assert raised.value.stage == "bundle"
    assert "made-up" in str(raised.value)
    assert len(written) >= 2  # the header and the DocumentReference were written first
    assert sorted(p.name for p in out.iterdir()) == ["corpus.bundle.json"]
    assert (out / "corpus.bundle.json").read_bytes() == b"earlier\n"


def _two_citing(
    mapped: dict[str, list[list[JSON]]], version: str, store: Store | None = None
) -> tuple[merge.Corpus, list[list[JSON]]]:
    """A corpus of the first two articles that cite one medicine (and those articles)."""
    articles = json.loads(json.dumps(mapped[version]))
    citing: dict[str, list[int]] = {}  # medicine -> the articles that cite it
    for n, resources in enumerate(articles):
        for r in resources:
            if r["resourceType"] == "MedicationKnowledge":
                key = merge._corpus_key(r, str(resources[0]["@key"]))
                citing.setdefault(str(key), []).append(n)
    first, second = next(ns[:2] for ns in citing.values() if len(ns) > 1)
    corpus = merge.Corpus(lambda item: None, store=store)
    corpus.add(articles[first])
    corpus.add(articles[second])
    return corpus, [articles[first], articles[second]]


def test_what_later_articles_add_to_a_merged_resource_is_held_marshalled(
    mapped: dict[str, list[list[JSON]]],
) -> None:
    """A medicine cited by many articles grows by a few hundred bytes per article (its
    sources, marshalled) while the corpus is merged, not by their objects."""
    corpus, articles = _two_citing(mapped, "R4")
    second = articles[1]
    shared = next(n for n, r in enumerate(corpus.order) if r["resourceType"] ==
                  "MedicationKnowledge" and len(r["monograph"]) == 2)
    held = corpus.order[shared]
    assert type(held["monograph"][0]) is dict and type(held["monograph"][1]) is bytes
    assert all(type(e) is bytes for e in held["extension"][-1:])
    taken = merge.thawed(corpus.take(shared))
    assert [type(m) for m in taken["monograph"]] == [dict, dict]
    assert taken["monograph"][1]["source"]["reference"] == merge.full_url(
        second[0]["id"])
    assert corpus.order[shared] == {}  # let go of once taken
    stored, _ = _two_citing(mapped, "R4", Store())  # a run's: on disk, a 12-byte token each
    held = stored.order[shared]
    assert type(held["monograph"][1]) is merge.Packed and len(held["monograph"][1].packed) == 12
    assert merge.thawed(stored.take(shared), stored.load) == taken


def test_the_tokens_of_many_articles_are_packed_in_one_run() -> None:
    """A medicine 100,000 articles cite holds 12 bytes per source it gained, not a bytes
    object and a list slot each (53 bytes: its peak memory grew with the corpus)."""
    store = Store()
    freeze = merge._stored(store)
    into: list[Any] = [{"first": True}]
    for n in range(1000):
        freeze(into, [{"n": n}])
    freeze(into, None)  # an article that adds nothing
    assert len(into) == 2 and type(into[1]) is merge.Packed
    assert len(into[1]) == 1000 and len(into[1].packed) == 12_000
    tokens = list(merge.unpacked(into))[1:]
    assert len(tokens) == 1000 and {len(t) for t in tokens} == {12}
    load = lambda token: marshal.loads(store.get(token))  # noqa: E731, S302 (ours)
    assert merge.thawed(into, load) == [{"first": True}, *({"n": n} for n in range(1000))]


def test_a_large_item_is_encoded_in_parts_with_the_bytes_of_dumps() -> None:
    from fhir_export.serialization import json as json_format

    big = {"resource": {"resourceType": "Basic", "extension": [
        {"url": f"u{n}", "valueString": "é\n\"x\"", "valueInteger": n} for n in range(3000)]}}
    writer = json_format.Listed({"resourceType": "Bundle"}, "entry")
    parts = json_format._Encoded()
    json_format._value(big, parts, "\n    ")
    assert parts.done  # over 4,096 parts: encoded as they came
    pieces = [writer.head(), writer.item(big), writer.item({"a": 1}), writer.tail()]
    assert b"".join(pieces) == json.dumps({"resourceType": "Bundle", "entry": [big, {"a": 1}]},
                                          ensure_ascii=False, indent=2).encode() + b"\n"


def _broken_source(resource: JSON) -> JSON:
    """`resource` with the last source a later article added broken (a frozen item)."""
    for field in ("monograph", "extension"):
        items = resource.get(field, [])
        if items and type(items[-1]) is bytes:
            item = marshal.loads(items[-1])  # noqa: S302 (made by the corpus)
            if field == "monograph":
                item["source"]["reference"] = 5
            else:
                item["url"] = ""
            items[-1] = marshal.dumps(item)
            return resource
    raise AssertionError("no frozen source")


@pytest.mark.parametrize("version", ["R4", "R5"])
@pytest.mark.parametrize("broken", ["none", "source", "resource", "none, stored",
                                    "resource, stored"])
def test_a_merged_resource_written_source_by_source_is_checked_as_a_whole(
    mapped: dict[str, list[list[JSON]]], version: str, broken: str
) -> None:
    """Stream.spliced checks a merged resource without its later sources, then each source
    as it is written; the bytes and any error are those of the resource checked whole. A
    run's corpus keeps its sources in a Store (packed tokens): the same."""
    spliced_any = False
    stored = broken.endswith(", stored")
    broken = broken.removesuffix(", stored")
    corpus, _ = _two_citing(mapped, version, Store() if stored else None)
    for resource in (corpus.take(n) for n in range(len(corpus.order))):
        if broken == "source" and not any(
                type(i) is bytes for f in ("monograph", "extension") for i in resource.get(f, [])):
            continue
        if broken == "source":
            resource = _broken_source(resource)
        elif broken == "resource":
            resource["status"] = 7
        whole_stream = bundling.Stream(bundle_type=BundleType.BATCH, key="c", fhir_version=version)
        stream = bundling.Stream(bundle_type=BundleType.BATCH, key="c", fhir_version=version)
        whole_error = streamed_error = None
        try:
            whole = whole_stream.entry(merge.thawed(copy.deepcopy(resource), corpus.load))
        except BundleCheckError as exc:
            whole_error = str(exc)
        try:
            entry, splices = stream.spliced(resource, corpus.load)
            spliced_any = spliced_any or bool(splices)
            writers = [LISTED[fmt](stream.shell, "entry") for fmt in ("json", "xml")]
            steps = list(spliced(writers, [w.item(entry) for w in writers], splices, 512))
            data = [b"".join(step[n] for step in steps) for n in range(2)]
        except BundleCheckError as exc:
            streamed_error = str(exc)
        assert streamed_error == whole_error
        if whole_error is None:
            expected = [LISTED[fmt](stream.shell, "entry").item(whole) for fmt in ("json", "xml")]
            assert data == expected
        else:
            assert whole_error.startswith("entry[0].resource.")
        if broken != "none":
            break
    assert spliced_any or broken != "none"


def test_a_store_gives_back_what_was_put_in_any_order() -> None:
    store = Store(buffer=10)
    data = [bytes([n]) * n for n in range(1, 30)] + [b"end"]
    tokens = [store.put(d) for d in data]
    assert store.written and store.pending  # some on disk, the last in the buffer
    assert [store.get(t) for t in reversed(tokens)] == data[::-1]
    assert len(tokens[0]) == 12
