"""The command line, end to end through click's CliRunner: exit codes, stdout/stderr, files.

Every user mistake must end in a documented exit code with exactly one `Error:` line on
stderr and never a traceback. Articles are small patient leaflets written inline.
"""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from fhir_export import __version__
from fhir_export.cli import export_command, main
from fhir_export.errors import ExitCode
from fhir_export.sources import SUFFIXES

FHIR_NS = "{http://hl7.org/fhir}"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
RITUXIMAB_RXNORM = "121191"
TRASTUZUMAB_RXNORM = "224905"
SUMMARY = re.compile(
    r"^(\d+) articles? \((\d+) with content, (\d+) empty, (\d+) failed\), "
    r"(\d+) resources?, (\d+) unmapped terms?$"
)

RITUXIMAB_LEAFLET = """\
Rituximab (Rituxan): a guide for patients

Last reviewed: 2024-03-05

What is rituximab?

Rituximab (Rituxan) is a medicine used to treat non-Hodgkin's lymphoma and rheumatoid \
arthritis. It is given as an infusion into a vein.

Side effects

Common side effects include fever, chills and feeling tired. Tell your nurse straight away \
if you feel unwell during the infusion.
"""

TRASTUZUMAB_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Trastuzumab (Herceptin) | Patient information</title>
</head>
<body>
  <main>
    <h1>Trastuzumab (Herceptin)</h1>
    <p>Last reviewed: <time datetime="2024-08-21">21 August 2024</time></p>
    <h2>What is trastuzumab?</h2>
    <p>Trastuzumab (Herceptin) is a medicine used to treat HER2-positive breast cancer.
       It is given as an infusion into a vein.</p>
    <h2>Side effects</h2>
    <p>Common side effects include fever and chills.</p>
  </main>
</body>
</html>
"""

TRASTUZUMAB_MARKDOWN = """\
---
title: Trastuzumab and your heart
updated: 2024-06-01
---

# Trastuzumab and your heart

Trastuzumab (Herceptin) is a medicine for HER2-positive breast cancer. It is given as an
infusion into a vein.

## Side effects

- tiredness
- fever
"""

ZORBEX_LEAFLET = """\
Zorbex for skin conditions

Zorbex is a medicine given as an injection under the skin. Common side effects include fever.
"""

USER_LEXICON: dict[str, Any] = {
    "schema": 1,
    "entries": [
        {
            "id": "zz-testdrug",
            "kind": "drug",
            "preferred": "zorblimab",
            "synonyms": [],
            "brands": [{"name": "Zorbex"}],
            "codings": [
                {
                    "system": RXNORM,
                    "code": "999999",
                    "display": "zorblimab",
                    "verified": "V",
                    "source": "test",
                }
            ],
        }
    ],
}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str | None]:
    """The ambient environment must not leak into a run: no SOURCE_DATE_EPOCH, no FHIR_EXPORT_*."""
    env: dict[str, str | None] = {"SOURCE_DATE_EPOCH": None}
    env.update({k: None for k in os.environ if k.startswith("FHIR_EXPORT")})
    env.update(extra or {})
    return env


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        main, [str(a) for a in args], env=_clean_env(env), prog_name="fhir-export"
    )


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


def assert_no_traceback(result: Result) -> None:
    """A user mistake ends in SystemExit with a message, never an unexpected exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


def summary(result: Result) -> tuple[int, int, int, int]:
    last = result.stderr.splitlines()[-1]
    match = SUMMARY.fullmatch(last)
    assert match, f"no summary line at the end of stderr: {result.stderr!r}"
    articles, content, empty, failed, resources, unmapped = (int(g) for g in match.groups())
    assert content + empty + failed == articles
    return articles, resources, failed, unmapped


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def provenance_recorded(bundle: dict[str, Any]) -> str:
    (prov,) = resources(bundle, "Provenance")
    return str(prov["recorded"])


def codes(resource: dict[str, Any], system: str = RXNORM) -> set[str]:
    return {c["code"] for c in resource["code"]["coding"] if c["system"] == system}


def references(value: Any) -> list[str]:
    """Every Reference.reference anywhere in a JSON value."""
    found: list[str] = []
    if isinstance(value, dict):
        ref = value.get("reference")
        if isinstance(ref, str):
            found.append(ref)
        for v in value.values():
            found += references(v)
    elif isinstance(value, list):
        for v in value:
            found += references(v)
    return found


def parse_xml(data: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser=parser)


def files_in(folder: Path) -> list[str]:
    """The folder's files but the run manifest every export writes (see test_manifest.py)."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name != "manifest.json")


@pytest.fixture
def article(tmp_path: Path) -> Path:
    """A folder `articles/` holding one good plain-text leaflet."""
    return write(tmp_path / "articles" / "rituximab-guide.txt", RITUXIMAB_LEAFLET)


# --------------------------------------------------------------------------------------------
# help and version
# --------------------------------------------------------------------------------------------


def test_help_lists_export_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Usage: fhir-export" in result.stdout
    assert re.search(r"^\s+export\s+\S", result.stdout, re.M), result.stdout
    assert result.stderr == ""


def test_short_help_flag_works() -> None:
    assert run("-h").stdout == run("--help").stdout


def test_export_help_documents_every_option() -> None:
    result = run("export", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())  # help is wrapped at the terminal width
    for name in ("--out", "--format", "--bundle-type", "--recorded", "--lexicon"):
        assert name in text
    for name in ("--max-bytes", "-v, --verbose", "-h, --help", "PATHS"):
        assert name in text
    for choice in ("json|xml|both", "transaction|batch|collection"):
        assert choice in text
    assert "'-'" in text and "stdout" in text  # --out - is documented
    assert "SOURCE_DATE_EPOCH" in text  # the --recorded default is documented
    # every declared option has help text of its own, shown in --help
    for param in export_command.params:
        if param.param_type_name == "option":
            assert getattr(param, "help", None), f"{param.name} has no help"
            assert param.opts[-1] in text


def test_version_prints_program_and_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"fhir-export, version {__version__}\n"


# --------------------------------------------------------------------------------------------
# the default run
# --------------------------------------------------------------------------------------------


def test_default_run_writes_json_and_reports(
    tmp_path: Path, article: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("export", "articles")
    assert result.exit_code == ExitCode.OK, result.stderr
    target = Path("output") / "rituximab-guide.bundle.json"
    assert result.stdout == f"{target}\n"
    assert files_in(tmp_path / "output") == ["rituximab-guide.bundle.json"]
    bundle = load(target)
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "transaction"
    articles, count, failed, unmapped = summary(result)
    assert (articles, failed) == (1, 0)
    assert count == len(bundle["entry"]) > 0
    assert result.stderr.splitlines()[-1] == (
        f"1 article (1 with content, 0 empty, 0 failed), {count} resources, "
        f"{unmapped} unmapped term{'' if unmapped == 1 else 's'}"
    )
    # off a terminal one line per article as it finishes, then the summary; no -v: no more
    (line, _) = result.stderr.splitlines()
    assert line.startswith("exported articles/rituximab-guide.txt: 1 medicine (1 coded), ")
    assert line.endswith(f" {unmapped} unmapped term{'' if unmapped == 1 else 's'}")
    (med,) = resources(bundle, "MedicationKnowledge")
    assert RITUXIMAB_RXNORM in codes(med)


def test_default_paths_is_the_source_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "source" / "leaflet.txt", RITUXIMAB_LEAFLET)
    monkeypatch.chdir(tmp_path)
    result = run("export")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{Path('output') / 'leaflet.bundle.json'}\n"


def test_default_source_folder_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("export")
    assert result.exit_code == ExitCode.USAGE  # a path that names nothing: a usage error
    assert error_lines(result) == ["Error: source: no such file or directory"]
    assert_no_traceback(result)


def test_each_supported_format_is_read(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a-leaflet.txt", RITUXIMAB_LEAFLET)
    write(tmp_path / "in" / "b-page.html", TRASTUZUMAB_PAGE)
    write(tmp_path / "in" / "c-guide.md", TRASTUZUMAB_MARKDOWN)
    out = tmp_path / "out"
    result = run("export", tmp_path / "in", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        str(out / "a-leaflet.bundle.json"),
        str(out / "b-page.bundle.json"),
        str(out / "c-guide.bundle.json"),
    ]
    articles, _, failed, _ = summary(result)
    assert (articles, failed) == (3, 0)
    for stem, code in (("b-page", TRASTUZUMAB_RXNORM), ("c-guide", TRASTUZUMAB_RXNORM)):
        (med,) = resources(load(out / f"{stem}.bundle.json"), "MedicationKnowledge")
        assert code in codes(med)


# --------------------------------------------------------------------------------------------
# --format
# --------------------------------------------------------------------------------------------


def test_format_xml_writes_only_xml(tmp_path: Path, article: Path) -> None:
    out = tmp_path / "out"
    result = run("export", article, "--out", out, "--format", "xml")
    assert result.exit_code == 0, result.stderr
    target = out / "rituximab-guide.bundle.xml"
    assert result.stdout == f"{target}\n"
    assert files_in(out) == ["rituximab-guide.bundle.xml"]
    data = target.read_bytes()
    assert data.startswith(b"<?xml")
    root = parse_xml(data)
    assert root.tag == f"{FHIR_NS}Bundle"
    assert root.find(f"{FHIR_NS}type").get("value") == "transaction"
    kinds = [child.tag for child in root.iterfind(f"{FHIR_NS}entry/{FHIR_NS}resource/*")]
    assert f"{FHIR_NS}MedicationKnowledge" in kinds
    assert f"{FHIR_NS}Provenance" in kinds


def test_format_both_writes_json_and_xml(tmp_path: Path, article: Path) -> None:
    out = tmp_path / "out"
    result = run("export", article, "--out", out, "--format", "both")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        str(out / "rituximab-guide.bundle.json"),
        str(out / "rituximab-guide.bundle.xml"),
    ]
    assert files_in(out) == ["rituximab-guide.bundle.json", "rituximab-guide.bundle.xml"]
    bundle = load(out / "rituximab-guide.bundle.json")
    root = parse_xml((out / "rituximab-guide.bundle.xml").read_bytes())
    # the two serializations carry the same bundle
    assert root.find(f"{FHIR_NS}id").get("value") == bundle["id"]
    xml_ids = [
        e.get("value") for e in root.iterfind(f"{FHIR_NS}entry/{FHIR_NS}resource/*/{FHIR_NS}id")
    ]
    assert xml_ids == [e["resource"]["id"] for e in bundle["entry"]]


def test_format_rejects_unknown_choice(article: Path, tmp_path: Path) -> None:
    result = run("export", article, "--out", tmp_path / "out", "--format", "yaml")
    assert result.exit_code == ExitCode.USAGE
    assert len(error_lines(result)) == 1
    assert "'yaml' is not one of 'json', 'xml', 'both'" in result.stderr
    assert not (tmp_path / "out").exists()
    assert_no_traceback(result)


# --------------------------------------------------------------------------------------------
# --bundle-type
# --------------------------------------------------------------------------------------------


def _export_bundle(tmp_path: Path, article: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "out"
    result = run("export", article, "--out", out, *extra)
    assert result.exit_code == 0, result.stderr
    return load(out / "rituximab-guide.bundle.json")


def test_bundle_type_transaction_is_default(tmp_path: Path, article: Path) -> None:
    bundle = _export_bundle(tmp_path, article)
    assert bundle["type"] == "transaction"
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        assert entry["request"] == {
            "method": "PUT",
            "url": f"{resource['resourceType']}/{resource['id']}",
        }
    refs = references([e["resource"] for e in bundle["entry"]])
    assert refs and all(r in full_urls for r in refs)


def test_bundle_type_batch_uses_relative_references(tmp_path: Path, article: Path) -> None:
    bundle = _export_bundle(tmp_path, article, "--bundle-type", "batch")
    assert bundle["type"] == "batch"
    local = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    for entry in bundle["entry"]:
        assert entry["request"]["method"] == "PUT"
        assert entry["request"]["url"] in local
    refs = references([e["resource"] for e in bundle["entry"]])
    assert refs, "the bundle should link its resources"
    for ref in refs:
        assert not ref.startswith("urn:uuid:"), ref
        assert re.fullmatch(r"[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}", ref), ref
        assert ref in local, f"{ref} points outside the batch"


def test_bundle_type_collection_has_no_requests(tmp_path: Path, article: Path) -> None:
    bundle = _export_bundle(tmp_path, article, "--bundle-type", "collection")
    assert bundle["type"] == "collection"
    assert bundle["entry"]
    assert all("request" not in entry for entry in bundle["entry"])
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    refs = references([e["resource"] for e in bundle["entry"]])
    assert refs and all(r in full_urls for r in refs)


def test_bundle_type_in_xml(tmp_path: Path, article: Path) -> None:
    out = tmp_path / "out"
    result = run("export", article, "--out", out, "--format", "xml", "--bundle-type", "collection")
    assert result.exit_code == 0, result.stderr
    root = parse_xml((out / "rituximab-guide.bundle.xml").read_bytes())
    assert root.find(f"{FHIR_NS}type").get("value") == "collection"
    assert root.find(f"{FHIR_NS}entry/{FHIR_NS}request") is None


def test_bundle_type_rejects_unknown_choice(article: Path, tmp_path: Path) -> None:
    result = run("export", article, "--out", tmp_path / "out", "--bundle-type", "document")
    assert result.exit_code == ExitCode.USAGE
    assert len(error_lines(result)) == 1
    assert_no_traceback(result)


# --------------------------------------------------------------------------------------------
# --out -
# --------------------------------------------------------------------------------------------


def test_out_dash_writes_bundle_to_stdout_only(
    tmp_path: Path, article: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    result = run("export", article, "--out", "-")
    assert result.exit_code == 0, result.stderr
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # nothing written to disk
    bundle = json.loads(result.stdout)
    assert bundle["resourceType"] == "Bundle"
    assert resources(bundle, "MedicationKnowledge")
    # stderr carries only the summary
    assert len(result.stderr.splitlines()) == 1
    assert summary(result) == (1, len(bundle["entry"]), 0, summary(result)[3])
    # and the bytes are those a file export writes
    written = run("export", article, "--out", tmp_path / "out")
    assert written.exit_code == 0
    assert result.stdout_bytes == (tmp_path / "out" / "rituximab-guide.bundle.json").read_bytes()


def test_out_dash_xml(article: Path) -> None:
    result = run("export", article, "--out", "-", "--format", "xml")
    assert result.exit_code == 0, result.stderr
    root = parse_xml(result.stdout_bytes)
    assert root.tag == f"{FHIR_NS}Bundle"


def test_out_dash_with_folder_of_one_article(article: Path) -> None:
    result = run("export", article.parent, "--out", "-")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["resourceType"] == "Bundle"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--format", "both"), "Error: --out - writes one format: choose json or xml"),
        (("SECOND",), "Error: --out - writes exactly one article"),
    ],
    ids=["format-both", "two-paths"],
)
def test_out_dash_usage_errors(
    tmp_path: Path,
    article: Path,
    monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...],
    message: str,
) -> None:
    second = write(tmp_path / "articles" / "trastuzumab.html", TRASTUZUMAB_PAGE)
    monkeypatch.chdir(tmp_path)
    args = [str(second) if a == "SECOND" else a for a in extra]
    result = run("export", article, *args, "--out", "-")
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    assert error_lines(result) == [message]
    assert not (tmp_path / "output").exists()
    assert_no_traceback(result)


def test_out_dash_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    result = run("export", missing, "--out", "-")
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    assert error_lines(result) == [f"Error: {missing}: no such file or directory"]
    assert_no_traceback(result)


def test_out_dash_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("export", tmp_path / "empty", "--out", "-")
    assert result.exit_code == ExitCode.NO_INPUT
    assert result.stdout == ""
    assert error_lines(result) == [
        f"Error: {tmp_path / 'empty'}: no article found."
    ]


def test_out_dash_folder_with_two_articles_is_usage_error(tmp_path: Path, article: Path) -> None:
    write(article.parent / "trastuzumab.html", TRASTUZUMAB_PAGE)
    result = run("export", article.parent, "--out", "-")
    assert result.stdout == ""
    assert len(error_lines(result)) == 1
    assert result.exit_code == ExitCode.USAGE


# --------------------------------------------------------------------------------------------
# paths: globs, missing paths, empty folders, name collisions
# --------------------------------------------------------------------------------------------


def test_glob_patterns(tmp_path: Path) -> None:
    write(tmp_path / "in" / "leaflet.txt", RITUXIMAB_LEAFLET)
    write(tmp_path / "in" / "page.html", TRASTUZUMAB_PAGE)
    write(tmp_path / "in" / "deeper" / "guide.md", TRASTUZUMAB_MARKDOWN)
    write(tmp_path / "in" / "notes.rtf", b"{\\rtf1 notes}\n")
    out = tmp_path / "out"

    result = run("export", str(tmp_path / "in" / "*.txt"), "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / "leaflet.bundle.json")]

    # outputs mirror the paths below the pattern's fixed folder
    result = run("export", str(tmp_path / "in" / "**" / "*.md"), "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / "deeper" / "guide.bundle.json")]

    # non-articles matched by a glob are skipped, not errors
    result = run("export", str(tmp_path / "in" / "*"), "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        str(out / "leaflet.bundle.json"),
        str(out / "page.bundle.json"),
    ]


def test_glob_without_match(tmp_path: Path, article: Path) -> None:
    pattern = str(tmp_path / "in" / "*.txt")
    out = tmp_path / "out"
    result = run("export", pattern, article, "--out", out)
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == [f"Error: {pattern}: no file matches this pattern."]
    assert result.stdout == f"{out / 'rituximab-guide.bundle.json'}\n"
    assert_no_traceback(result)


def test_a_missing_path_or_a_url_is_a_usage_error(tmp_path: Path, article: Path) -> None:
    # a typo in a path is the command's mistake: nothing is read or written, exit 2
    missing = tmp_path / "no-such-leaflet.txt"
    out = tmp_path / "out"
    result = run("export", missing, article, "--out", out)
    assert result.exit_code == ExitCode.USAGE
    assert error_lines(result) == [f"Error: {missing}: no such file or directory"]
    assert result.stdout == "" and not out.exists()
    assert_no_traceback(result)
    result = run("export", "https://example.org/leaflet", "--out", out)
    assert result.exit_code == ExitCode.USAGE
    assert "works offline" in result.stderr and "curl -o page.html" in result.stderr
    assert run("export", article, "--merge", "--out", "-").exit_code == ExitCode.USAGE
    assert run("export", article, "--out", out, "--fhir-version", "r4").exit_code == 0


def test_folder_without_articles_exits_3(tmp_path: Path) -> None:
    folder = tmp_path / "nothing-here"
    write(folder / "readme.rtf", b"{\\rtf1 notes}\n")
    write(folder / "image.png", b"\x89PNG\r\n\x1a\n")
    out = tmp_path / "out"
    result = run("export", folder, "--out", out)
    assert result.exit_code == ExitCode.NO_INPUT
    assert result.stdout == ""
    assert error_lines(result) == [
        f"Error: {folder}: no article found "
        f"(looked for {', '.join(SUFFIXES)} files; skipped 2 of other types)."
    ]
    assert not out.exists()
    assert_no_traceback(result)


def test_hidden_files_inside_a_folder_are_skipped(tmp_path: Path, article: Path) -> None:
    write(article.parent / ".draft.txt", RITUXIMAB_LEAFLET)
    write(article.parent / ".git" / "notes.txt", RITUXIMAB_LEAFLET)
    out = tmp_path / "out"
    result = run("export", article.parent, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert files_in(out) == ["rituximab-guide.bundle.json"]


def test_folder_inside_hidden_folder_is_exported(tmp_path: Path) -> None:
    folder = tmp_path / ".cache" / "articles"
    write(folder / "leaflet.txt", RITUXIMAB_LEAFLET)
    out = tmp_path / "out"
    result = run("export", folder, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert files_in(out) == ["leaflet.bundle.json"]


def test_parent_relative_folder_is_exported(
    tmp_path: Path, article: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    result = run("export", "../articles", "--out", "out")
    assert result.exit_code == 0, result.stderr
    assert files_in(tmp_path / "work" / "out") == ["rituximab-guide.bundle.json"]


def test_same_stem_twice_is_reported(tmp_path: Path, article: Path) -> None:
    other = write(article.parent / "rituximab-guide.html", TRASTUZUMAB_PAGE)
    out = tmp_path / "out"
    result = run("export", article.parent, "--out", out)
    assert result.exit_code == ExitCode.INPUT_FAILED
    # files are taken in sorted order: .html before .txt
    assert error_lines(result) == [
        f"Error: {article}: has the same name as {other}, so their outputs would collide. "
        "Rename one of them."
    ]
    assert files_in(out) == ["rituximab-guide.bundle.json"]
    assert_no_traceback(result)


# --------------------------------------------------------------------------------------------
# output that cannot be written
# --------------------------------------------------------------------------------------------


def test_out_is_a_regular_file_exits_4(tmp_path: Path, article: Path) -> None:
    blocker = write(tmp_path / "output", "not a folder")
    result = run("export", article, "--out", blocker)
    assert result.exit_code == ExitCode.OUTPUT_FAILED
    assert result.stdout == ""
    assert error_lines(result) == [
        f"Error: {blocker}: cannot create output folder ({os.strerror(errno.EEXIST)})."
    ]
    assert blocker.read_text() == "not a folder"
    assert_no_traceback(result)


def test_out_below_a_regular_file_exits_4(tmp_path: Path, article: Path) -> None:
    blocker = write(tmp_path / "output", "not a folder")
    target = blocker / "bundles"
    result = run("export", article, "--out", target)
    assert result.exit_code == ExitCode.OUTPUT_FAILED
    assert error_lines(result) == [
        f"Error: {target}: cannot create output folder ({os.strerror(errno.ENOTDIR)})."
    ]
    assert_no_traceback(result)


def test_output_file_slot_taken_by_a_folder_exits_4(tmp_path: Path, article: Path) -> None:
    out = tmp_path / "out"
    (out / "rituximab-guide.bundle.json").mkdir(parents=True)
    result = run("export", article, "--out", out)
    assert result.exit_code == ExitCode.OUTPUT_FAILED
    assert result.stdout == ""
    lines = error_lines(result)
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {out / 'rituximab-guide.bundle.json'}: cannot write (")
    assert files_in(out) == ["rituximab-guide.bundle.json"]  # no temp files
    assert_no_traceback(result)


# --------------------------------------------------------------------------------------------
# --recorded and SOURCE_DATE_EPOCH
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2025-01-01", "2025-01-01 00:00:00", "2025-01-01T00:00:00", "", "1735689600"],
)
def test_recorded_bad_value_is_usage_error(tmp_path: Path, article: Path, value: str) -> None:
    out = tmp_path / "out"
    result = run("export", article, "--out", out, "--recorded", value)
    assert result.exit_code == ExitCode.USAGE
    assert error_lines(result) == [
        "Error: Invalid value for --recorded: must be an instant like 2025-01-01T00:00:00Z"
    ]
    assert not out.exists()
    assert_no_traceback(result)


@pytest.mark.parametrize("value", ["2025-02-30T10:00:00Z", "2025-13-45T99:99:99Z"])
def test_recorded_impossible_date_is_usage_error(tmp_path: Path, article: Path, value: str) -> None:
    result = run("export", article, "--out", tmp_path / "out", "--recorded", value)
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.USAGE
    assert len(error_lines(result)) == 1


def test_recorded_option_sets_provenance(tmp_path: Path, article: Path) -> None:
    bundle = _export_bundle(tmp_path, article, "--recorded", "2025-01-01T00:00:00Z")
    assert provenance_recorded(bundle) == "2025-01-01T00:00:00Z"


def test_recorded_option_with_offset(tmp_path: Path, article: Path) -> None:
    bundle = _export_bundle(tmp_path, article, "--recorded", "2025-01-01T09:30:00+02:00")
    assert provenance_recorded(bundle) == "2025-01-01T09:30:00+02:00"


def test_recorded_in_xml(tmp_path: Path, article: Path) -> None:
    out = tmp_path / "out"
    result = run(
        "export", article, "--out", out, "--format", "xml", "--recorded", "2025-01-01T00:00:00Z"
    )
    assert result.exit_code == 0, result.stderr
    root = parse_xml((out / "rituximab-guide.bundle.xml").read_bytes())
    (recorded,) = root.iterfind(f".//{FHIR_NS}Provenance/{FHIR_NS}recorded")
    assert recorded.get("value") == "2025-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [("0", "1970-01-01T00:00:00Z"), ("1700000000", "2023-11-14T22:13:20Z")],
)
def test_source_date_epoch_sets_provenance(
    tmp_path: Path, article: Path, epoch: str, expected: str
) -> None:
    out = tmp_path / "out"
    result = run("export", article, "--out", out, env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == 0, result.stderr
    assert provenance_recorded(load(out / "rituximab-guide.bundle.json")) == expected


def test_recorded_option_wins_over_source_date_epoch(tmp_path: Path, article: Path) -> None:
    out = tmp_path / "out"
    result = run(
        "export",
        article,
        "--out",
        out,
        "--recorded",
        "2025-01-01T00:00:00Z",
        env={"SOURCE_DATE_EPOCH": "0"},
    )
    assert result.exit_code == 0, result.stderr
    assert provenance_recorded(load(out / "rituximab-guide.bundle.json")) == "2025-01-01T00:00:00Z"


def test_recorded_defaults_to_article_date(tmp_path: Path, article: Path) -> None:
    bundle = _export_bundle(tmp_path, article)
    assert provenance_recorded(bundle) == "2024-03-05T00:00:00Z"


def test_recorded_without_any_date_is_not_the_wall_clock(tmp_path: Path) -> None:
    undated = write(
        tmp_path / "undated.txt",
        "Rituximab (Rituxan) is a medicine given as an infusion into a vein.\n",
    )
    out = tmp_path / "out"
    result = run("export", undated, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert provenance_recorded(load(out / "undated.bundle.json")) == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize("epoch", ["abc", "1.5", "1e9"])
def test_source_date_epoch_bad_value_is_usage_error(
    tmp_path: Path, article: Path, epoch: str
) -> None:
    out = tmp_path / "out"
    result = run("export", article, "--out", out, env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == ExitCode.USAGE
    assert error_lines(result) == [
        "Error: SOURCE_DATE_EPOCH must be whole seconds since 1970 within years 1-9999, "
        f"not {epoch!r}"
    ]
    assert not out.exists()
    assert_no_traceback(result)


def test_source_date_epoch_out_of_range_is_usage_error(tmp_path: Path, article: Path) -> None:
    result = run(
        "export", article, "--out", tmp_path / "out", env={"SOURCE_DATE_EPOCH": "99999999999999"}
    )
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.USAGE
    assert len(error_lines(result)) == 1


# --------------------------------------------------------------------------------------------
# --lexicon
# --------------------------------------------------------------------------------------------


def test_user_lexicon_adds_a_drug(tmp_path: Path) -> None:
    lexicon = write(tmp_path / "my-lexicon.json", json.dumps(USER_LEXICON))
    leaflet = write(tmp_path / "in" / "zorbex.txt", ZORBEX_LEAFLET)
    out = tmp_path / "out"
    # without the lexicon, Zorbex is unknown
    plain = run("export", leaflet, "--out", tmp_path / "plain")
    assert plain.exit_code == 0, plain.stderr
    assert resources(load(tmp_path / "plain" / "zorbex.bundle.json"), "MedicationKnowledge") == []

    result = run("export", leaflet, "--out", out, "--lexicon", lexicon)
    assert result.exit_code == 0, result.stderr
    (med,) = resources(load(out / "zorbex.bundle.json"), "MedicationKnowledge")
    assert {"system": RXNORM, "code": "999999", "display": "zorblimab"} in med["code"]["coding"]


def test_user_lexicon_keeps_shipped_entries(tmp_path: Path, article: Path) -> None:
    lexicon = write(tmp_path / "my-lexicon.json", json.dumps(USER_LEXICON))
    bundle = _export_bundle(tmp_path, article, "--lexicon", str(lexicon))
    (med,) = resources(bundle, "MedicationKnowledge")
    assert RITUXIMAB_RXNORM in codes(med)


def test_lexicon_missing_file_is_usage_error(tmp_path: Path, article: Path) -> None:
    result = run("export", article, "--out", tmp_path / "out", "--lexicon", tmp_path / "no.json")
    assert result.exit_code == ExitCode.USAGE
    assert len(error_lines(result)) == 1
    assert "does not exist" in error_lines(result)[0]
    assert_no_traceback(result)


def test_malformed_lexicon_json_is_usage_error(tmp_path: Path, article: Path) -> None:
    text = '{"schema": 1, "entries": ['
    lexicon = write(tmp_path / "broken.json", text)
    try:
        json.loads(text)
    except ValueError as exc:
        detail = str(exc)
    result = run("export", article, "--out", tmp_path / "out", "--lexicon", lexicon)
    assert result.exit_code == ExitCode.USAGE
    assert error_lines(result) == [f"Error: {lexicon}: not valid JSON ({detail})."]
    assert result.stdout == ""
    assert_no_traceback(result)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"schema": 1, "entries": {}}', "needs an object with an 'entries' list"),
        ('{"schema": 1}', "needs an object with an 'entries' list"),
        ("[]", "needs an object with an 'entries' list"),
    ],
    ids=["entries-not-list", "no-entries", "top-level-list"],
)
def test_malformed_lexicon_shape_is_usage_error(
    tmp_path: Path, article: Path, content: str, problem: str
) -> None:
    lexicon = write(tmp_path / "broken.json", content)
    result = run("export", article, "--out", tmp_path / "out", "--lexicon", lexicon)
    assert result.exit_code == ExitCode.USAGE
    assert error_lines(result) == [f"Error: {lexicon}: {problem}."]
    assert_no_traceback(result)


def test_malformed_lexicon_with_out_dash(tmp_path: Path, article: Path) -> None:
    lexicon = write(tmp_path / "broken.json", '{"schema": 1, "entries": {}}')
    result = run("export", article, "--out", "-", "--lexicon", lexicon)
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    assert error_lines(result) == [f"Error: {lexicon}: needs an object with an 'entries' list."]


def test_malformed_lexicon_is_reported_once(tmp_path: Path, article: Path) -> None:
    write(article.parent / "trastuzumab.html", TRASTUZUMAB_PAGE)
    lexicon = write(tmp_path / "broken.json", '{"schema": 1, "entries": {}}')
    result = run("export", article.parent, "--out", tmp_path / "out", "--lexicon", lexicon)
    assert result.exit_code == ExitCode.USAGE
    assert error_lines(result) == [f"Error: {lexicon}: needs an object with an 'entries' list."]


def test_malformed_lexicon_entry_names_the_file(tmp_path: Path, article: Path) -> None:
    entry = dict(USER_LEXICON["entries"][0])
    del entry["kind"]
    lexicon = write(tmp_path / "broken.json", json.dumps({"schema": 1, "entries": [entry]}))
    result = run("export", article, "--out", tmp_path / "out", "--lexicon", lexicon)
    assert result.exit_code == ExitCode.USAGE
    (line,) = error_lines(result)
    assert line.startswith(f"Error: {lexicon}: ")


@pytest.mark.parametrize(
    "entries",
    [
        [1],
        [{}],
        [{"id": "zz", "kind": "drug", "preferred": "zorblimab", "brands": [{}]}],
        [{"id": "zz", "kind": "drug", "preferred": "zorblimab", "codings": ["999999"]}],
    ],
    ids=["entry-not-object", "entry-without-id", "brand-without-name", "coding-not-object"],
)
def test_malformed_lexicon_entries_never_traceback(
    tmp_path: Path, article: Path, entries: list[Any]
) -> None:
    lexicon = write(tmp_path / "broken.json", json.dumps({"schema": 1, "entries": entries}))
    result = run("export", article, "--out", tmp_path / "out", "--lexicon", lexicon)
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.USAGE
    assert len(error_lines(result)) == 1


# --------------------------------------------------------------------------------------------
# -v
# --------------------------------------------------------------------------------------------


def test_verbose_lists_unmapped_terms(tmp_path: Path, article: Path) -> None:
    out = tmp_path / "out"
    quiet = run("export", article, "--out", out)
    loud = run("export", article, "--out", out, "-v")
    assert quiet.exit_code == loud.exit_code == 0
    assert quiet.stdout == loud.stdout  # stdout carries only written paths either way
    unmapped = summary(loud)[3]
    assert unmapped >= 1, "the leaflet names symptoms the lexicon does not know"
    lines = [line for line in loud.stderr.splitlines() if "unmapped:" in line]
    assert len(lines) == 1
    prefix = f"{article}: unmapped: "
    assert lines[0].startswith(prefix)
    terms = lines[0][len(prefix) :].split("; ")
    assert len(terms) == unmapped
    assert all(t.strip() == t and t for t in terms)
    assert not any("unmapped:" in line for line in quiet.stderr.splitlines())


def test_verbose_is_silent_without_unmapped_terms(tmp_path: Path) -> None:
    leaflet = write(
        tmp_path / "short.txt",
        "Rituximab (Rituxan) is a medicine given as an infusion into a vein.\n",
    )
    result = run("export", leaflet, "--out", tmp_path / "out", "--verbose")
    assert result.exit_code == 0
    unmapped = summary(result)[3]
    listed = [line for line in result.stderr.splitlines() if "unmapped:" in line]
    assert len(listed) == (1 if unmapped else 0)
    assert result.stderr.splitlines()[:-1] == [
        f"exported {leaflet}: 1 medicine (1 coded), 2 facts, 0 screening questions, "
        f"{unmapped} unmapped term{'' if unmapped == 1 else 's'}",
        *listed,
        f"{leaflet}: no screening question",  # what it yielded nothing of
    ]


# --------------------------------------------------------------------------------------------
# no traceback for user mistakes
# --------------------------------------------------------------------------------------------


MISTAKES: list[tuple[str, list[str], dict[str, str], int]] = [
    ("unknown-command", ["exprot"], {}, ExitCode.USAGE),
    ("unknown-option", ["export", "ARTICLE", "--colour"], {}, ExitCode.USAGE),
    ("max-bytes-zero", ["export", "ARTICLE", "--max-bytes", "0"], {}, ExitCode.USAGE),
    ("max-bytes-word", ["export", "ARTICLE", "--max-bytes", "lots"], {}, ExitCode.USAGE),
    ("format-missing-value", ["export", "ARTICLE", "--format"], {}, ExitCode.USAGE),
    ("lexicon-is-folder", ["export", "ARTICLE", "--lexicon", "TMP"], {}, ExitCode.USAGE),
    ("recorded-bad", ["export", "ARTICLE", "--recorded", "now"], {}, ExitCode.USAGE),
    ("epoch-bad", ["export", "ARTICLE"], {"SOURCE_DATE_EPOCH": "soon"}, ExitCode.USAGE),
    ("missing-path", ["export", "TMP/none.txt"], {}, ExitCode.USAGE),
    ("unsupported-file", ["export", "TMP/notes.rtf"], {}, ExitCode.INPUT_FAILED),
    ("empty-folder", ["export", "TMP/empty"], {}, ExitCode.NO_INPUT),
    ("out-is-file", ["export", "ARTICLE", "--out", "TMP/notes.rtf"], {}, ExitCode.OUTPUT_FAILED),
    ("out-dash-two", ["export", "ARTICLE", "ARTICLE", "--out", "-"], {}, ExitCode.USAGE),
]


@pytest.mark.parametrize(
    ("args", "env", "code"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_user_mistakes_never_show_a_traceback(
    tmp_path: Path,
    article: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    code: int,
) -> None:
    write(tmp_path / "notes.rtf", b"{\\rtf1 notes}\n")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    real = [a.replace("ARTICLE", str(article)).replace("TMP", str(tmp_path)) for a in args] + (
        ["--out", str(tmp_path / "out")] if "--out" not in args and args[0] == "export" else []
    )
    result = run(*real, env=env)
    assert_no_traceback(result)
    assert result.exit_code == code, result.stderr
    assert len(error_lines(result)) == 1, result.stderr


# --------------------------------------------------------------------------------------------
# the quality signal: articles exported empty, --report
# --------------------------------------------------------------------------------------------

ABOUT_US = """\
About us

Brookfield Community Pharmacy has served the town since 1962. Our team of pharmacists and \
counter staff is here six days a week, and the car park is free for customers.

Opening hours

Monday to Saturday, 9 am to 6 pm.
"""


def test_articles_exported_empty_are_named_before_the_summary(tmp_path: Path) -> None:
    about = write(tmp_path / "in" / "about-us.txt", ABOUT_US)
    leaflet = write(tmp_path / "in" / "rituximab-guide.txt", RITUXIMAB_LEAFLET)
    result = run("export", about, leaflet, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.OK, result.stderr
    assert result.stdout.splitlines() == [
        str(tmp_path / "out" / "about-us.bundle.json"),  # exported all the same
        str(tmp_path / "out" / "rituximab-guide.bundle.json"),
    ]
    *before, last = result.stderr.splitlines()
    assert before[0] == f"empty {about}: no medicine, fact or screening question"
    assert before[1].startswith(f"exported {leaflet}: 1 medicine (1 coded), ")
    assert before[2:] == [
        "1 article yielded no medicine, fact or screening question: about-us.txt"
    ]
    assert re.fullmatch(
        r"2 articles \(1 with content, 1 empty, 0 failed\), \d+ resources, \d+ unmapped terms?",
        last,
    )


def test_report_says_per_article_what_it_yielded(tmp_path: Path) -> None:
    about = write(tmp_path / "in" / "about-us.txt", ABOUT_US)
    leaflet = write(tmp_path / "in" / "rituximab-guide.txt", RITUXIMAB_LEAFLET)
    blank = write(tmp_path / "in" / "blank.txt", "")
    target = tmp_path / "report.json"
    result = run("export", tmp_path / "in", "--out", tmp_path / "out", "--report", target)
    assert result.exit_code == ExitCode.INPUT_FAILED
    data = json.loads(target.read_text("utf-8"))
    assert data["summary"] == result.stderr.splitlines()[-1]
    assert data["counts"] == {"articles": 3, "with_content": 1, "empty": 1, "failed": 1}
    by_path = {a["path"]: a for a in data["articles"]}
    assert list(by_path) == [str(about), str(blank), str(leaflet)]
    assert by_path[str(blank)]["status"] == "failed"
    assert by_path[str(blank)]["error"] == f"Error: {blank}: file is empty."
    failed = {k: v for k, v in by_path[str(blank)].items() if k.startswith(("error_", "exit"))}
    assert failed == {"error_code": "source", "error_stage": "read", "exit_code": 1,
                      "error_message": "file is empty", "error_hint": None}
    empty = by_path[str(about)]
    assert (empty["status"], empty["medicines"], empty["screening"]) == (
        "empty", {"coded": 0, "uncoded": 0}, 0)
    assert empty["no_medicine"] and empty["no_fact"] and empty["no_screening"]
    assert set(empty["facts"].values()) == {0}
    full = by_path[str(leaflet)]
    assert full["status"] == "exported" and full["medicines"] == {"coded": 1, "uncoded": 0}
    assert full["facts"]["indication"] >= 2 and full["facts"]["side-effect"] >= 2
    assert full["facts"]["brand"] == 1 and full["facts"]["route"] >= 1
    assert not full["no_medicine"] and not full["no_fact"] and full["no_screening"]
    assert all(set(s) == {"heading", "kind"} for s in full["empty_sections"])
    assert full["outputs"] == [str(tmp_path / "out" / "rituximab-guide.bundle.json")]
    bundle = json.loads((tmp_path / "out" / "rituximab-guide.bundle.json").read_text("utf-8"))
    assert full["resources"] == len(bundle["entry"])
    assert isinstance(full["unmapped"], list)
