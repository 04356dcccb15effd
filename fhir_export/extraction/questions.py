"""The form's own question a screening finding was read from ("Does your child have a bleeding
disorder?"): decided once here, carried on the finding (Finding.question). Extraction asks a
topic once per question (a form may ask about asthma in two questions); the Questionnaire's
item reads the question when it asks about that one topic."""

from __future__ import annotations

import re

from ..model import Finding, Span

# a form's question: it opens with its verb ("Does your child have ...?", "Has your child ever
# had ...?"), after the form's number for it, if any ("12 ", "13a ")
_ASKED = re.compile(
    r"(?:\d{1,2}[a-z]?[.)]?\s+)?((?:Does|Do|Did|Has|Have|Had|Is|Are|Was|Were|Can|Could|Will|"
    r"Would|Should|May)\s[^?]*\?)"
)
_SENTENCE_END = re.compile(r"[.!?:]\s")
_LONGEST_QUESTION = 300  # characters: longer, it is a paragraph, not a form's question


def question_of(text: str, finding: Finding) -> Span | None:
    """Where the form's own question that asks about the finding is: the question of its
    sentence that holds it, if it opens with its verb; None when the finding was not read
    from a question."""
    s = finding.sentence
    opening = s.start
    for stop in _SENTENCE_END.finditer(text, s.start, finding.span.start):
        opening = stop.end()
    asked = _ASKED.match(text, opening, s.end)
    if asked is None or asked.end() < finding.span.end:
        return None
    start, end = asked.span(1)
    if end - start > _LONGEST_QUESTION:
        return None
    return Span(section=finding.span.section, start=start, end=end)
