"""Every exported Questionnaire in NLM's LHC-Forms, rendered in headless Chromium.

tests/lhc/render.mjs loads each Questionnaire of the golden bundles (R4 and R5) into the
LHC-Forms web component, checks that every item shown before any answer is visible with its
text, answers the first boolean "Yes", checks that its enableWhen follow-up appears (and types
into it), then reads the QuestionnaireResponse back with LForms.Util.getFormFHIRData. Here that
response must be valid FHIR and point back at the Questionnaire and its linkIds.

Needs `bash scripts/setup_lhc_forms.sh` (node, /usr/bin/chromium, .cache/lhc/); skips without
them, fails under CI=true. Saves a screenshot of the first form to /tmp/lhc-form.png.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance import (
    r5_schemas_available,
    schemas_available,
    validate_r4_json,
    validate_r5_json,
)
from conftest import GOLDEN, ROOT
from hapi_validator import hapi_validate

from fhir_export.validation import validate

RENDER = ROOT / "tests" / "lhc" / "render.mjs"
CACHE = ROOT / ".cache" / "lhc"
CHROMIUM = Path(os.environ.get("LHC_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOT = Path("/tmp/lhc-form.png")  # noqa: S108 - for a person to look at
RELEASES = {"R4": GOLDEN, "R5": GOLDEN.parent / "golden-r5"}
FOLLOW_UP_TEXT = "Details typed by the LHC-Forms test"


def _questionnaires(path: Path) -> list[dict[str, Any]]:
    bundle = json.loads(path.read_text("utf-8"))
    return [
        entry["resource"]
        for entry in bundle.get("entry", [])
        if entry.get("resource", {}).get("resourceType") == "Questionnaire"
    ]


BUNDLES = [
    (release, path)
    for release, folder in RELEASES.items()
    for path in sorted(folder.glob("*.json"))
    if _questionnaires(path)
]
CASES = [(release, path, q) for release, path in BUNDLES for q in _questionnaires(path)]


def _require_setup() -> None:
    missing = [
        what
        for what, ok in (
            ("node", shutil.which("node") is not None),
            (str(CHROMIUM), CHROMIUM.exists()),
            (".cache/lhc/lforms", (CACHE / "lforms" / "webcomponent" / "lhc-forms.js").is_file()),
            (
                ".cache/lhc/node_modules/playwright-core",
                (CACHE / "node_modules" / "playwright-core" / "package.json").is_file(),
            ),
        )
        if not ok
    ]
    if missing:
        reason = (
            f"LHC-Forms set-up missing ({', '.join(missing)}): run bash scripts/setup_lhc_forms.sh"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def rendered() -> Iterator[dict[tuple[str, str], dict[str, Any]]]:
    """render.mjs over every golden bundle with a Questionnaire, keyed by (file, id)."""
    _require_setup()
    assert BUNDLES, "no golden bundle holds a Questionnaire"
    SCREENSHOT.unlink(missing_ok=True)
    args = ["node", str(RENDER), "--screenshot", str(SCREENSHOT)]
    for release in RELEASES:
        args += ["--fhir-version", release]
        args += [str(path) for r, path in BUNDLES if r == release]
    done = subprocess.run(args, capture_output=True, text=True, timeout=900, cwd=ROOT, check=False)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode in (0, 1), done.stderr[-4000:]
    yield {(r["file"], r["id"]): r for r in results}


def test_every_questionnaire_was_rendered(
    rendered: dict[tuple[str, str], dict[str, Any]],
) -> None:
    expected = {(str(path), q["id"]) for _, path, q in CASES}
    assert set(rendered) == expected
    assert [r for r in rendered.values() if r.get("error") or r.get("pageErrors")] == []
    assert SCREENSHOT.is_file() and SCREENSHOT.stat().st_size > 10_000


def _link_ids(items: list[dict[str, Any]] | None) -> Iterator[str]:
    for item in items or []:
        yield item["linkId"]
        yield from _link_ids(item.get("item"))
        for answer in item.get("answer", []):
            yield from _link_ids(answer.get("item"))


def _answers(items: list[dict[str, Any]] | None) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in items or []:
        for answer in item.get("answer", []):
            yield item["linkId"], answer
            yield from _answers(answer.get("item"))
        yield from _answers(item.get("item"))


@pytest.mark.parametrize(
    ("release", "path", "questionnaire"),
    CASES,
    ids=[f"{release}-{path.stem}-{q['id'][:8]}" for release, path, q in CASES],
)
def test_questionnaire_renders_and_answers(
    rendered: dict[tuple[str, str], dict[str, Any]],
    release: str,
    path: Path,
    questionnaire: dict[str, Any],
) -> None:
    result = rendered.get((str(path), questionnaire["id"]))
    assert result is not None, "render.mjs printed nothing for this Questionnaire"
    assert result.get("error") is None, result.get("error")
    assert result.get("pageErrors") is None, result.get("pageErrors")
    assert result["fhirVersion"] == release

    # every item visible before any answer (groups, booleans) is shown with its text
    assert result["itemsExpected"] > 0
    assert result["missing"] == []
    assert result["itemsShown"] == result["itemsExpected"]

    # answering the first boolean "Yes" shows its enableWhen follow-up, hidden before
    assert result["answeredLinkId"] and result["followUpLinkId"]
    assert result["followUpHiddenBefore"] is True
    assert result["followUpShown"] is True

    # the QuestionnaireResponse LHC-Forms produced is valid FHIR of the same release
    response = result["questionnaireResponse"]
    assert response["resourceType"] == "QuestionnaireResponse"
    data = json.dumps(response).encode("utf-8")
    issues = validate(data, path=f"{path.stem}-response.json", fhir_version=release)
    assert [i for i in issues if i.severity in ("error", "fatal")] == []
    if release == "R4" and schemas_available():
        assert validate_r4_json(response) == []
    if release == "R5" and r5_schemas_available():
        assert validate_r5_json(response) == []

    # ... and points back at this Questionnaire, its linkIds and the answers given
    canonical = questionnaire["url"]
    if questionnaire.get("version"):
        canonical += "|" + questionnaire["version"]
    assert response["questionnaire"] == canonical
    assert set(_link_ids(response.get("item"))) <= set(_link_ids(questionnaire["item"]))
    answers = dict(_answers(response.get("item")))
    assert set(answers) == {result["answeredLinkId"], result["followUpLinkId"]}
    assert answers[result["answeredLinkId"]] == {"valueBoolean": True}
    assert answers[result["followUpLinkId"]] == {"valueString": FOLLOW_UP_TEXT}


def _write_responses(
    rendered: dict[tuple[str, str], dict[str, Any]], release: str, folder: Path
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for n, (_, path, questionnaire) in enumerate(c for c in CASES if c[0] == release):
        result = rendered[(str(path), questionnaire["id"])]
        response = json.loads(json.dumps(result["questionnaireResponse"]))
        # LHC-Forms tags its output with meta.profile
        # http://hl7.org/fhir/<4.0|5.0>/StructureDefinition/QuestionnaireResponse, a URL no
        # package defines (the validator could only say it cannot find it); without it the
        # response is checked against the base resource and its Questionnaire
        profiles = response.get("meta", {}).pop("profile", [])
        assert profiles in ([], [f"http://hl7.org/fhir/{release[1]}.0/StructureDefinition/"
                                 "QuestionnaireResponse"])
        file = folder / f"{n:02d}-{path.stem}-response.json"
        file.write_text(json.dumps(response), "utf-8")
        files.append(file)
    return files


# LHC-Forms writes its QuestionnaireResponses without a narrative: a best-practice warning
# about LHC-Forms' output (dom-6), not about ours.
LHC_NO_NARRATIVE = "dom-6: 'A resource should have narrative"
# ... and tags it with {"code": "lformsVersion: 40.1.3"}, a tag without a code system
LHC_TAG = ".meta.tag[0]"


@pytest.mark.parametrize("release", list(RELEASES))
def test_responses_are_valid_against_their_forms_in_the_hapi_validator(
    rendered: dict[tuple[str, str], dict[str, Any]], release: str, tmp_path: Path
) -> None:
    """The HL7 validator core checks each LHC-Forms QuestionnaireResponse against the very
    Questionnaire it answers (linkIds, nesting, answer types, enableWhen), found by its
    canonical `url|version` among the golden bundles given alongside."""
    responses = _write_responses(rendered, release, tmp_path)
    bundles = [path for r, path in BUNDLES if r == release]
    messages = hapi_validate(release, [*bundles, *responses])
    about = [m for m in messages if m[0] in {str(f) for f in responses}]
    assert [m for m in about if m[1] in ("ERROR", "FATAL")] == []
    warnings = {(m[2], m[3]) for m in about if m[1] == "WARNING"}
    assert {w for w in warnings if not w[0].endswith(LHC_TAG) and LHC_NO_NARRATIVE not in w[1]} \
        == set(), warnings

    # ... and it does look at the forms: a linkId the form lacks, an answer of the wrong type
    broken = responses[0].read_text("utf-8")
    assert f'{{"valueString": "{FOLLOW_UP_TEXT}"}}' in broken
    broken = broken.replace(f'{{"valueString": "{FOLLOW_UP_TEXT}"}}', '{"valueInteger": 3}')
    data = json.loads(broken)
    data["item"].append({"linkId": "no-such-item", "answer": [{"valueBoolean": True}]})
    bad = tmp_path / "broken-response.json"
    bad.write_text(json.dumps(data), "utf-8")
    found = [m[3] for m in hapi_validate(release, [bundles[0], bad])
             if m[0] == str(bad) and m[1] == "ERROR"]
    assert any("LinkId 'no-such-item' not found in questionnaire" in m for m in found), found
    assert any("Answer value must be of the type" in m for m in found), found
