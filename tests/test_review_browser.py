"""The review site in headless Chromium (Debian's, through playwright-core, as
test_lhc_forms.py): pages opened from file:// as a person opens them, with the LHC-Forms files
the site ships.

tests/lhc/review_page.mjs checks, per page: every highlight's links and targets exist and the
targets link back, the Questionnaire renders every item in LHC-Forms (each "Yes" clicked, so
that the follow-ups show too), no console error, no page error, no CSP violation, and that
nothing the hostile article holds ran (window.__pwned stays undefined, no handler attribute,
no script but the site's). Two control pages show the check can fail: the hostile text
written raw without the CSP runs its script; written raw under the site's CSP it does not.
The seed's page is saved as a screenshot in the test's tmp folder (path printed).

Needs `bash scripts/setup_lhc_forms.sh`; skips without it, fails under CI=true.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from review_site import HOSTILE, exported, load
from test_lhc_forms import CACHE, _require_setup

from fhir_export.review.pages import CSP
from fhir_export.review.site import write_site

SCRIPT = ROOT / "tests" / "lhc" / "review_page.mjs"


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    _require_setup()
    tmp = tmp_path_factory.mktemp("review-browser")
    pages: dict[str, Path] = {}
    for release, folder in exported(tmp / "runs").items():
        site = tmp / f"site-{release}"
        write_site(folder, site, CACHE / "lforms")
        pages[f"seed-{release}"] = site / "articles" / "immunotherapy.html"
        pages[f"hostile-{release}"] = site / "articles" / "hostile-article.html"
        pages[f"index-{release}"] = site / "index.html"
    raw = HOSTILE.read_text("utf-8")
    controls = tmp / "controls"
    controls.mkdir()
    pages["raw"] = controls / "raw.html"
    pages["raw"].write_text(f"<!DOCTYPE html><html><body>{raw}</body></html>", "utf-8")
    pages["raw-csp"] = controls / "raw-csp.html"
    pages["raw-csp"].write_text(
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        f'content="{CSP}"></head><body>{raw}</body></html>',
        "utf-8",
    )
    screenshot = tmp / "seed-R4.png"
    names = list(pages)
    done = subprocess.run(
        ["node", str(SCRIPT), "--screenshot", str(screenshot), *(str(pages[n]) for n in names)],
        capture_output=True, text=True, timeout=600, cwd=ROOT, check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-4000:]
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(results) == len(names), done.stderr[-4000:]
    return {"results": dict(zip(names, results, strict=True)), "screenshot": screenshot,
            "runs": tmp / "runs"}


def _questionnaire_items(bundle: dict[str, Any]) -> int:
    def count(items: list[dict[str, Any]]) -> int:
        return sum(1 + count(i.get("item", [])) for i in items)

    return sum(
        count(e["resource"]["item"]) for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Questionnaire"
    )


@pytest.mark.parametrize("release", ["R4", "R5"])
@pytest.mark.parametrize("article", ["seed", "hostile"])
def test_article_page_in_chromium(checked: dict[str, Any], article: str, release: str) -> None:
    result = checked["results"][f"{article}-{release}"]
    assert result.get("error") is None, result.get("error")
    assert result["consoleErrors"] == []
    assert result["pageErrors"] == []
    assert result["cspViolations"] == []
    # every highlight: its links and targets exist, and each target links back to it
    name = "immunotherapy" if article == "seed" else "hostile-article"
    bundle = load(checked["runs"] / release.lower() / f"{name}.bundle.json")
    assert result["marks"] >= (20 if article == "seed" else 10)
    assert result["brokenMarks"] == []
    assert result["brokenBackLinks"] == []
    # the Questionnaire: LHC-Forms rendered every item of it, with its text
    assert result["lformsStatus"] == "rendered"
    (form,) = result["forms"]
    assert form["expected"] == _questionnaire_items(bundle) > 0
    assert form["rendered"] == form["expected"]
    assert form["missing"] == []
    # nothing from the article ran
    assert result["pwned"] is None
    assert result["foreignScripts"] == []
    assert result["handlers"] == []
    assert all(u.startswith("../assets/") for u in result["scriptUrls"])


def test_index_page_in_chromium(checked: dict[str, Any]) -> None:
    for release in ("R4", "R5"):
        result = checked["results"][f"index-{release}"]
        assert result.get("error") is None, result.get("error")
        assert (result["consoleErrors"], result["pageErrors"], result["cspViolations"]) == (
            [], [], [])
        assert result["scriptUrls"] == ["assets/review.js"]
        assert result["pwned"] is None and result["handlers"] == []


def test_the_hostile_check_can_fail(checked: dict[str, Any]) -> None:
    """The article's own markup, unescaped and without a CSP, does run: the check sees it.
    Under the site's CSP alone the inline scripts are blocked (the second line of defence)."""
    raw = checked["results"]["raw"]
    assert raw["pwned"] is not None
    assert raw["handlers"]
    raw_csp = checked["results"]["raw-csp"]
    assert raw_csp["pwned"] is None
    assert raw_csp["cspViolations"]


def test_seed_screenshot(checked: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    screenshot: Path = checked["screenshot"]
    assert screenshot.is_file() and screenshot.stat().st_size > 50_000
    with capsys.disabled():
        print(f"\nreview page of the seed (R4): {screenshot}")  # noqa: T201
