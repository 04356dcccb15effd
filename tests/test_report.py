"""The run's report: per-article yield (the quality signal), the summary line, the JSON report."""

from __future__ import annotations

from fhir_export.errors import SourceError
from fhir_export.model import (
    Concept,
    Extraction,
    Finding,
    FindingKind,
    Medication,
    SectionYield,
    Span,
)
from fhir_export.report import ArticleResult, ExportReport, Yield

SPAN = Span(section=0, start=0, end=9)


def _finding(kind: FindingKind, text: str = "rituximab") -> Finding:
    return Finding(kind=kind, text=text, span=SPAN, sentence=SPAN)


def _medication(coded: bool, **facts: tuple[Finding, ...]) -> Medication:
    concept = Concept(id="rituximab", kind="drug", preferred="rituximab") if coded else None
    return Medication(
        key="rituximab", name=_finding(FindingKind.MEDICATION), concept=concept, **facts
    )


def _result(path: str, extraction: Extraction, unmapped: int = 0) -> ArticleResult:
    found = tuple(_finding(FindingKind.SIDE_EFFECT, f"term {i}") for i in range(unmapped))
    return ArticleResult(
        path=path,
        outputs=[f"out/{path}.bundle.json"],
        resources=3,
        unmapped=found,
        unmapped_sentences=tuple("a sentence." for _ in found),
        yielded=Yield.of(extraction),
    )


NOTHING = Extraction(medications=(), screening=(), unmapped=())


def test_yield_counts_medicines_facts_and_screening() -> None:
    extraction = Extraction(
        medications=(
            _medication(
                True,
                side_effects=(_finding(FindingKind.SIDE_EFFECT, "fever"),) * 2,
                routes=(_finding(FindingKind.ROUTE, "into a vein"),),
            ),
            _medication(False),
        ),
        screening=(_finding(FindingKind.SCREENING, "hepatitis B"),),
        unmapped=(),
        sections=(
            SectionYield(index=0, heading=None, kind=None, facts=0),
            SectionYield(index=1, heading="Side effects", kind="side-effects", facts=2),
            SectionYield(index=2, heading="Warnings", kind="warnings", facts=0),
        ),
    )
    got = Yield.of(extraction).as_json()
    assert got == {
        "status": "exported",
        "medicines": {"coded": 1, "uncoded": 1},
        "facts": {
            "brand": 0, "drug-class": 0, "indication": 0, "side-effect": 2, "warning": 0,
            "contraindication": 0, "route": 1, "monitoring": 0,
        },
        "screening": 1,
        "no_medicine": False,
        "no_fact": False,
        "no_screening": False,
        # an untyped section that gave nothing is no signal; a typed one is
        "empty_sections": [{"heading": "Warnings", "kind": "warnings"}],
    }


def test_an_article_that_yields_nothing_is_empty() -> None:
    got = Yield.of(NOTHING)
    assert got.empty and got.no_medicine and got.no_fact and got.no_screening
    assert got.as_json()["status"] == "empty"
    screening_only = Extraction(
        medications=(), screening=(_finding(FindingKind.SCREENING, "pacemaker"),), unmapped=()
    )
    assert not Yield.of(screening_only).empty
    assert Yield.of(screening_only).no_medicine and Yield.of(screening_only).no_fact


def test_summary_counts_and_plurals() -> None:
    medicine = Extraction(medications=(_medication(True),), screening=(), unmapped=())
    report = ExportReport()
    report.results.append(_result("in/leaflet.txt", medicine, unmapped=1))
    assert report.summary() == (
        "1 article (1 with content, 0 empty, 0 failed), 3 resources, 1 unmapped term"
    )
    assert report.empty_line() is None
    report.results.append(_result("in/about-us.html", NOTHING))
    report.errors.append(SourceError("file is empty", path="in/blank.txt"))
    assert report.summary() == (
        "3 articles (1 with content, 1 empty, 1 failed), 6 resources, 1 unmapped term"
    )
    assert report.empty_line() == (
        "1 article yielded no medicine, fact or screening question: about-us.html"
    )


def test_the_empty_line_names_ten_articles_at_most() -> None:
    report = ExportReport()
    report.results += [_result(f"in/page-{i:02}.html", NOTHING) for i in range(13)]
    line = report.empty_line()
    assert line is not None
    assert line.startswith("13 articles yielded no medicine, fact or screening question: ")
    assert line.endswith("page-08.html, page-09.html and 3 more")


def test_json_report_has_every_article_with_its_status() -> None:
    report = ExportReport()
    report.results.append(_result("in/b-leaflet.txt", NOTHING, unmapped=2))
    report.errors.append(SourceError("file is empty", path="in/a-blank.txt"))
    data = report.unmapped_report()
    assert data["summary"] == report.summary()
    assert data["counts"] == {"articles": 2, "with_content": 0, "empty": 1, "failed": 1}
    failed, empty = data["articles"]
    assert failed == {
        "path": "in/a-blank.txt",
        "status": "failed",
        "error": "Error: in/a-blank.txt: file is empty.",
        "error_code": "source",  # the error's parts as fields, to filter and count on
        "error_stage": "read",
        "error_message": "file is empty",
        "error_hint": None,
        "exit_code": 1,
        "outputs": [],
        "unmapped": [],
    }
    assert empty["status"] == "empty" and empty["no_medicine"] and empty["empty_sections"] == []
    # the fields the report had before stay as they were
    assert empty["outputs"] == ["out/in/b-leaflet.txt.bundle.json"]
    assert [t["text"] for t in empty["unmapped"]] == ["term 0", "term 1"]
    assert data["terms"] == [{"text": "term 0", "count": 1}, {"text": "term 1", "count": 1}]
    assert data["errors"] == ["Error: in/a-blank.txt: file is empty."]


def test_a_result_without_extraction_is_not_counted_empty() -> None:
    report = ExportReport()
    report.results.append(ArticleResult(path="bundle.json", outputs=["bundle.xml"]))
    assert report.empty == [] and "yielded" not in str(report.unmapped_report()["articles"])
