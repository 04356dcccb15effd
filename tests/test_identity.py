"""Article identity: canonical URL, else the path below the input root, never a bare file name;
every id derives from it, in every mode (per article, --merge, --format ndjson)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fhir_export.cli import main
from fhir_export.errors import ExitCode
from fhir_export.identity import PATH_SYSTEM, glob_root
from fhir_export.mapping.ids import NAMESPACE
from fhir_export.mapping.merge import CORPUS_SYSTEM
from fhir_export.sources.html_metadata import page_url

URI = "urn:ietf:rfc:3986"


def page(drug: str, brand: str, canonical: str = "") -> str:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><title>{drug.title()} | Example Health</title>{link}
<meta property="og:site_name" content="Example Health"></head>
<body><main><h1>{drug.title()}</h1>
<p>{drug.title()} ({brand}) is a medicine used to treat high blood pressure.</p>
<h2>Side effects</h2><ul><li>headache</li><li>dizziness</li></ul>
</main></body></html>
"""


def run(*args: Any) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text("utf-8")))


def ids(bundle: dict[str, Any]) -> set[str]:
    return {e["resource"]["id"] for e in bundle["entry"]}


def doc_of(bundle: dict[str, Any]) -> dict[str, Any]:
    (doc,) = [e["resource"] for e in bundle["entry"]
              if e["resource"]["resourceType"] == "DocumentReference"]
    return dict(doc)


def shared(bundle: dict[str, Any]) -> set[str]:
    """Ids that any two articles may share: the publisher and the tool."""
    return {e["resource"]["id"] for e in bundle["entry"]
            if e["resource"]["resourceType"] in ("Organization", "Device")}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site mirror: two different pages, both saved as index.html, no canonical URL."""
    root = tmp_path / "site"
    write(root / "a" / "index.html", page("amlodipine", "Norvasc"))
    write(root / "b" / "index.html", page("lisinopril", "Zestril"))
    return root


def test_the_path_system_is_the_documented_uuid() -> None:
    assert PATH_SYSTEM == f"urn:uuid:{uuid.uuid5(NAMESPACE, 'article-path')}"


def test_two_index_pages_get_their_own_ids_and_outputs(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("export", site, "--out", out)
    assert result.exit_code == ExitCode.OK, result.stderr
    # output names mirror the paths below the folder given
    assert result.stdout.splitlines() == [str(out / "a" / "index.bundle.json"),
                                          str(out / "b" / "index.bundle.json")]
    a, b = load(out / "a" / "index.bundle.json"), load(out / "b" / "index.bundle.json")
    assert ids(a) & ids(b) == shared(a) & shared(b) != set()
    assert a["id"] != b["id"]
    assert doc_of(a)["identifier"] == [{"system": PATH_SYSTEM, "value": "a/index.html"}]
    assert doc_of(b)["identifier"] == [{"system": PATH_SYSTEM, "value": "b/index.html"}]
    assert "url" not in doc_of(a)["content"][0]["attachment"]  # no URL known


def test_two_index_pages_stay_apart_when_merged(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("export", site, "--merge", "--out", out)
    assert result.exit_code == ExitCode.OK, result.stderr
    bundle = load(out / "corpus.bundle.json")
    docs = [e["resource"] for e in bundle["entry"]
            if e["resource"]["resourceType"] == "DocumentReference"]
    assert [d["identifier"][0]["value"] for d in docs] == ["a/index.html", "b/index.html"]
    by_doc = {f"urn:uuid:{d['id']}": d["identifier"][0]["value"] for d in docs}
    mks = {mk["code"]["text"]: {by_doc[m["source"]["reference"]] for m in mk["monograph"]}
           for mk in (e["resource"] for e in bundle["entry"])
           if mk["resourceType"] == "MedicationKnowledge"}
    assert mks == {"Amlodipine": {"a/index.html"}, "Lisinopril": {"b/index.html"}}


def test_two_index_pages_stay_apart_in_ndjson(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("export", site, "--format", "ndjson", "--out", out)
    assert result.exit_code == ExitCode.OK, result.stderr
    lines = (out / "DocumentReference.ndjson").read_text("utf-8").splitlines()
    docs = [json.loads(line) for line in lines]
    assert sorted(d["identifier"][0]["value"] for d in docs) == ["a/index.html", "b/index.html"]
    assert len({d["id"] for d in docs}) == 2


def test_a_canonical_url_is_the_identity_and_a_rename_changes_no_byte(tmp_path: Path) -> None:
    url = "https://www.example.org/medicines/amlodipine"
    before, after = tmp_path / "before", tmp_path / "after"
    write(before / "saved" / "index.html", page("amlodipine", "Norvasc", url))
    write(after / "elsewhere" / "amlodipine-copy.html", page("amlodipine", "Norvasc", url))
    for folder in (before, after):
        result = run("export", folder, "--out", folder.with_name(folder.name + "-out"),
                     "--format", "both")
        assert result.exit_code == ExitCode.OK, result.stderr
    for fmt in ("json", "xml"):
        old = (tmp_path / "before-out" / "saved" / f"index.bundle.{fmt}").read_bytes()
        new = (tmp_path / "after-out" / "elsewhere" / f"amlodipine-copy.bundle.{fmt}").read_bytes()
        assert old == new
    doc = doc_of(load(tmp_path / "before-out" / "saved" / "index.bundle.json"))
    assert doc["identifier"] == [{"system": URI, "value": url}]
    assert doc["content"][0]["attachment"]["url"] == url
    assert "url" not in doc["content"][1]["attachment"]  # the rendition is not at that URL


def test_same_input_same_bytes(site: Path, tmp_path: Path) -> None:
    for n in (1, 2):
        assert run("export", site, "--out", tmp_path / f"out{n}", "--format", "both",
                   "--merge").exit_code == ExitCode.OK
        assert run("export", site, "--out", tmp_path / f"per{n}").exit_code == ExitCode.OK
    assert ((tmp_path / "out1" / "corpus.bundle.json").read_bytes()
            == (tmp_path / "out2" / "corpus.bundle.json").read_bytes())
    assert ((tmp_path / "per1" / "a" / "index.bundle.json").read_bytes()
            == (tmp_path / "per2" / "a" / "index.bundle.json").read_bytes())


def test_og_url_and_front_matter_url(tmp_path: Path) -> None:
    html = page("amlodipine", "Norvasc").replace(
        "</head>", '<meta property="og:url" content="HTTPS://Example.ORG/amlodipine#top"></head>')
    write(tmp_path / "in" / "a.html", html)
    write(tmp_path / "in" / "b.md", "---\ntitle: Lisinopril\n"
          "canonical: https://example.org/lisinopril\n---\n# Lisinopril\n\n"
          "Lisinopril (Zestril) is used to treat high blood pressure.\n")
    result = run("export", tmp_path / "in", "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.OK, result.stderr
    a, b = (doc_of(load(tmp_path / "out" / n)) for n in ("a.bundle.json", "b.bundle.json"))
    assert a["identifier"][0]["value"] == "https://example.org/amlodipine"  # normalized
    assert b["identifier"][0]["value"] == "https://example.org/lisinopril"


@pytest.mark.parametrize(("value", "base", "expected"), [
    ("https://Example.org", None, "https://example.org/"),
    ("https://example.org/a?b=1#c", None, "https://example.org/a?b=1"),
    ("https://user:secret@example.org/a", None, "https://example.org/a"),
    ("/drugs/x", "https://example.org/y", "https://example.org/drugs/x"),
    ("/drugs/x", None, None),
    ("ftp://example.org/x", None, None),
    ("javascript:alert(1)", None, None),
    ("https://example.org/a b", None, None),
    ("", None, None),
])
def test_page_url(value: str, base: str | None, expected: str | None) -> None:
    assert page_url(value, base) == expected


def test_two_files_with_one_canonical_url_are_refused(tmp_path: Path) -> None:
    url = "https://example.org/amlodipine"
    first = write(tmp_path / "in" / "a.html", page("amlodipine", "Norvasc", url))
    second = write(tmp_path / "in" / "b.html", page("amlodipine", "Istin", url))
    for extra in ((), ("--merge",), ("--format", "ndjson")):
        result = run("export", tmp_path / "in", "--out", tmp_path / "out", *extra)
        assert result.exit_code == ExitCode.INPUT_FAILED
        assert next(x for x in result.stderr.splitlines() if x.startswith("Error:")) == (
            f"Error: {second}: has the same identity as {first} ({url}), so their resources "
            "would share ids. Export their common folder (paths below it tell them apart), "
            "or one of them.")


def test_two_file_arguments_with_one_name_are_refused(site: Path, tmp_path: Path) -> None:
    a, b = site / "a" / "index.html", site / "b" / "index.html"
    result = run("export", a, b, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert next(x for x in result.stderr.splitlines() if x.startswith("Error:")) == (
        f"Error: {b}: has the same name as {a}, so their outputs would collide. "
        "Export their common folder (outputs mirror the paths below it).")
    result = run("export", a, b, "--out", tmp_path / "out2", "--format", "ndjson")
    assert next(x for x in result.stderr.splitlines() if x.startswith("Error:")) == (
        f"Error: {b}: has the same identity as {a} (index.html), so their resources would "
        "share ids. Export their common folder (paths below it tell them apart), or one of them.")


def test_glob_root() -> None:
    assert glob_root("articles/**/*.html") == Path("articles")
    assert glob_root("*.html") == Path()
    assert glob_root("a/b*/c/*.md") == Path("a")


def test_push_finds_the_mirrored_outputs(site: Path, tmp_path: Path) -> None:
    from fhir_export.push import plan

    out = tmp_path / "out"
    assert run("export", site, "--out", out).exit_code == ExitCode.OK
    requests, errors = plan([str(out)])
    assert errors == []
    assert [r.source for r in requests] == [str(out / "a" / "index.bundle.json"),
                                            str(out / "b" / "index.bundle.json")]


def _by_id(bundles: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every resource of the bundles by id; an id seen twice must carry the same content."""
    out: dict[str, dict[str, Any]] = {}
    for bundle in bundles:
        for entry in bundle["entry"]:
            resource = {k: v for k, v in entry["resource"].items() if k != "meta"}
            assert out.setdefault(resource["id"], resource) == resource, resource["id"]
    return out


@pytest.mark.parametrize("release", ["R4", "R5"])
def test_one_id_one_content_across_modes(release: str, tmp_path: Path) -> None:
    """Per-article and merged exports of the same articles: an id written by both is the same
    resource (DocumentReference, Questionnaire, Organization, Device); what merging changes
    has ids of its own (MedicationKnowledge, DetectedIssue / ClinicalUseDefinition,
    Provenance). NDJSON holds exactly the per-article resources."""
    from conftest import ARTICLES, SEED

    inputs = [str(SEED.parent), str(ARTICLES)]
    common = ["--fhir-version", release, "--bundle-type", "batch"]  # ndjson's references
    for mode, extra in (("per", []), ("merged", ["--merge"]), ("ndjson", ["--format", "ndjson"])):
        result = run("export", *inputs, "--out", tmp_path / mode, *common, *extra)
        assert result.exit_code == ExitCode.OK, result.stderr
    per = _by_id([load(p) for p in sorted((tmp_path / "per").rglob("*.bundle.json"))])
    merged = _by_id([load(tmp_path / "merged" / "corpus.bundle.json")])
    both = set(per) & set(merged)
    for rid in both:
        assert per[rid] == merged[rid], rid
    kinds = {per[rid]["resourceType"] for rid in both}
    assert kinds == {"DocumentReference", "Questionnaire", "Organization", "Device"}
    moved = {r["resourceType"] for rid, r in merged.items() if rid not in per}
    assert moved == {"MedicationKnowledge", "Provenance",
                     "DetectedIssue" if release == "R4" else "ClinicalUseDefinition"}
    # merged resources are identified in the corpus namespace, per-article ones in their
    # article's (R4 MedicationKnowledge and Provenance have no identifier element)
    for rid, resource in merged.items():
        if rid not in per and "identifier" in resource:
            assert resource["identifier"][0] == {"system": CORPUS_SYSTEM, "value": rid}
    # each article's resources share one namespace of their own, never an entry's fullUrl (a
    # server resolving a transaction would rewrite it into a reference)
    full_urls = {f"urn:uuid:{rid}" for rid in per}
    namespaces = set()
    for resource in per.values():
        if resource["resourceType"] in ("DetectedIssue", "ClinicalUseDefinition", "Questionnaire"):
            (own,) = [i for i in resource["identifier"] if i["value"] == resource["id"]]
            namespaces.add(own["system"])
    docs = [r for r in per.values() if r["resourceType"] == "DocumentReference"]
    assert namespaces and not namespaces & full_urls and len(namespaces) <= len(docs)
    ndjson = {}
    for file in (tmp_path / "ndjson").glob("*.ndjson"):
        for line in file.read_text("utf-8").splitlines():
            resource = json.loads(line)
            ndjson[resource["id"]] = resource
    assert ndjson == per


def _primitive_derivations(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """The `reference` of every derivation-reference on a primitive element (`_name`...)."""
    out = []
    for key, value in resource.items():
        if not key.startswith("_"):
            continue
        for item in value if isinstance(value, list) else [value]:
            for extension in (item or {}).get("extension", []):
                for part in extension.get("extension", []):
                    if part["url"] == "reference":
                        out.append(part["valueReference"])
    return out


@pytest.mark.parametrize("release", ["R4", "R5"])
def test_brand_names_cite_the_article_by_its_identifier(
    release: str, site: Path, tmp_path: Path
) -> None:
    """The derivation-reference on a brand name (R4 `_synonym`, R5 `_name`, the extension of a
    primitive, where HAPI resolves no urn:uuid) names the article's DocumentReference by its
    identifier, per article and merged; every other one by its fullUrl."""
    for mode, extra in (("per", []), ("merged", ["--merge"])):
        out = tmp_path / mode
        result = run("export", site, "--out", out, "--fhir-version", release, *extra)
        assert result.exit_code == ExitCode.OK, result.stderr
        for path in sorted(out.rglob("*.bundle.json")):
            bundle = load(path)
            docs = {e["fullUrl"]: e["resource"] for e in bundle["entry"]
                    if e["resource"]["resourceType"] == "DocumentReference"}
            identifiers = [d["identifier"][0] for d in docs.values()]
            cited = []
            for entry in bundle["entry"]:
                for reference in _primitive_derivations(entry["resource"]):
                    assert set(reference) == {"type", "identifier"}, reference
                    assert reference["type"] == "DocumentReference"
                    cited.append(reference["identifier"])
            assert cited and all(c in identifiers for c in cited)
            assert {c["value"] for c in cited} == {i["value"] for i in identifiers}
            text = json.dumps([e["resource"] for e in bundle["entry"]])
            for full_url in docs:  # the complex elements still refer by fullUrl
                assert f'"valueReference": {{"reference": "{full_url}"}}' in text


def test_an_untitled_article_with_a_canonical_url_takes_its_title_from_the_url(
    tmp_path: Path,
) -> None:
    """Renaming the file of an article that states no title changes none of its bytes."""
    folder = tmp_path / "in"
    folder.mkdir()
    url = "https://example.org/corpus/statins.html"
    text = f"---\ncanonical: {url}\n---\nAspirin can cause nausea.\n"
    (folder / "a1.md").write_text(text, "utf-8")
    runner = CliRunner()
    for out in ("o1", "o2"):
        if out == "o2":
            (folder / "a1.md").rename(folder / "renamed.md")
        done = runner.invoke(main, ["export", str(folder), "--out", str(tmp_path / out)])
        assert done.exit_code == 0
    first = (tmp_path / "o1" / "a1.bundle.json").read_bytes()
    assert first == (tmp_path / "o2" / "renamed.bundle.json").read_bytes()
    assert b'"title": "statins"' in first
