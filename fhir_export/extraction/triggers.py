"""The wording that introduces each kind of fact, and the wording that cancels it."""

from __future__ import annotations

import re

from ..model import FindingKind

_CARER = (
    r"(?:doctor|healthcare provider|health care provider|health professional|nurse|"
    r"care team|ms team|team|pharmacist|specialist|gp|physician|surgeon|clinic|hospital|"
    r"ward|unit|midwife|prescriber|consultant|line|helpline|us)"
)

TRIGGERS: dict[FindingKind, re.Pattern[str]] = {
    FindingKind.INDICATION: re.compile(
        r"\bgiven (?:to treat|for the treatment of)\s+|"
        r"\b(?:(?:used|approved|prescribed|indicated|licensed|effective|helpful)"
        r"(?:\s+(?:\w+ly|alone|mainly|also|only|mostly))?\s+(?:to treat|for treating|"
        r"for the treatment of|in the treatment of|in treating|against|for)|"
        r"treatments?\s+(?:for|of)|to (?:treat|prevent)(?: (?:or|and) (?:treat|prevent))?|"
        r"treats?|helps? (?:to )?(?:treat|control|prevent))\s+|"
        r"\b(?:common |main )?(?:reasons|uses) (?:for (?:taking )?it )?include\s*:?\s*|"
        r"\bused\b[^.;:]{0,80}?\b(?:in|for) (?:adults|children|people|patients|anyone|those)"
        r"\b[^.;:]{0,60}?\bwith\s+|"
        r"\b(?:temporarily )?relieves?\s+(?:the )?(?:symptoms of\s+)?|"
        r"\b(?:a |the )?(?:good |first |best |usual |common |main )?(?:choice|option) for\s+|"
        r"^\s*(?:common |main |other )?(?:uses?|indications?|used for)\s*:\s*",
        re.I | re.M,
    ),
    FindingKind.SIDE_EFFECT: re.compile(
        r"\b(?:(?:may|can|could|might|will|often|commonly|sometimes|also)\s+)*"
        r"(?:cause|causes|lead to|leads to|result in|trigger)(?: or worsen)?\s+|"
        r"\b(?:have|has) developed\s+|"
        r"\b(?:increase|increases|raise|raises) (?:the|your) (?:risk|chance) of\s+|"
        r"\b(?:(?:has|have) been |is |are |may be |can be )?(?:associated|linked) with\s+|"
        r"\b(?:side effects?|adverse (?:effects|reactions)|risks(?: and side effects)?)\b"
        r"[^.:]*?\b(?:include|includes|including|is|are|such as)\b\s*:?\s*|"
        r"^\s*(?:common |possible )?side effects?\s*:\s*",
        re.I | re.M,
    ),
    FindingKind.WARNING: re.compile(
        r"\b(?:call|contact|tell|see|visit|phone|ring) (?:(?:your|the|a) )?"
        r"(?:[\w-]+ ){0,2}"  # "the rheumatology team", "the 24-hour oncology line"
        + _CARER
        + r"[^.:]*?\b(?:right away|immediately|at once|straight away|urgently|promptly|"
        r"as soon as possible)\b[^.:]*?\bif\b(?: you)?(?: (?:have|develop|get|notice|"
        r"experience|feel|start|are))?(?: any(?: of these| of the following)?)?\s*|"
        r"\b(?:get|seek) (?:emergency|medical|urgent) (?:help|care|attention|treatment)"
        r"[^.:]*?\b(?:if\b(?: you)?(?: (?:have|develop|get|notice))?|"
        r"(?:right away|immediately|straight away) for\b)\s*|"
        r"\b(?:get|seek) help (?:right away|immediately|straight away|urgently) if\b(?: you)?"
        r"(?: (?:have|develop|get|notice))?\s*|"
        r"\bstop (?:use|using|taking)[^.:]*?\b(?:ask|call|see|tell) (?:a|your) "
        r"(?:doctor|pharmacist)[^.:]*?\bif\b(?: you)?\s*|"
        r"\bserious (?:side effects|risks)\b[^.:]*?\b(?:include|including|such as)\b\s*:?\s*|"
        r"\bcan cause serious\s+",
        re.I,
    ),
    FindingKind.CONTRAINDICATION: re.compile(
        r"\b(?:do not|don't|should not|must not|never) (?:use|take|receive|be given|have|"
        r"start|get)\b[^.:]*?\bif\b(?: you)?(?: (?:have|are|had|have ever had))?\s*|"
        r"\bnot (?:be )?(?:used|given) (?:in|by|to) (?:people|patients|anyone|women) "
        r"(?:with|who have)\s+",
        re.I,
    ),
    FindingKind.SCREENING: re.compile(
        r"\b(?:tell|inform|let|talk to|speak to|speak with|check with|ask) (?:(?:your|the|a) )?"
        + _CARER
        + r"\b[^.:]*?\bif you(?: have| are| had| were| (?:have )?ever)?(?: ever)?"
        r"(?: had| been)?(?: or (?:have )?had)?(?: any(?: of the following(?: conditions)?|"
        r" of these)?)?\s*|"
        r"\b(?:will|may|should|must) (?:also )?(?:ask|check|test|screen)\b[^.:]*?"
        r"(?:\babout|\bfor|\bwhether you have had|\bif you have had|\bwhether you have)"
        r"(?: any)?\s*|"
        r"\b(?:screen(?:ing|ed)?|test(?:ed|ing)?|checked|check) (?:you )?for\s+",
        re.I,
    ),
}

# "regular blood tests to check your liver": the whole phrase is the monitoring fact.
MONITORING = re.compile(
    r"\b(?:(?:regular|routine|frequent|repeated|regularly scheduled)\s+)?"
    r"(?:blood tests?|urine tests?|INR tests?|liver (?:function )?tests?|kidney (?:function )?"
    r"tests?|heart scans?|eye (?:exams?|tests?)|echocardiograms?|ECGs?|scans?|check-?ups?)"
    r"\s+(?:to (?:check|monitor|measure|see|test)|for|of)\s+[^.;:]+",
    re.I,
)

# Wording just before a trigger that turns it around.
NEGATION = re.compile(
    r"\b(?:not|never|no longer|isn't|aren't|wasn't|cannot|can't|won't|don't|doesn't|"
    r"has not been shown|have not been shown|no evidence)\b[^.,;]{0,25}$",
    re.I,
)
HEDGED = re.compile(r"\b(?:rarely|unlikely|not known|uncommonly|hardly ever)\b", re.I)

# Lead-ins and headings that say what a list is, when the list items carry no trigger.
LIST_LEADS: tuple[tuple[FindingKind, re.Pattern[str]], ...] = (
    (FindingKind.WARNING, TRIGGERS[FindingKind.WARNING]),
    (FindingKind.CONTRAINDICATION, TRIGGERS[FindingKind.CONTRAINDICATION]),
    (FindingKind.SCREENING, TRIGGERS[FindingKind.SCREENING]),
    (FindingKind.SIDE_EFFECT, TRIGGERS[FindingKind.SIDE_EFFECT]),
    (FindingKind.INDICATION, TRIGGERS[FindingKind.INDICATION]),
)
SECTION_KINDS: tuple[tuple[FindingKind, re.Pattern[str]], ...] = (
    (
        FindingKind.WARNING,
        re.compile(
            r"\bserious (?:side effects|risks)|\bwarnings?\b|"
            r"\bimportant safety|\bwhen to (?:call|get)|"
            r"\bget (?:medical|emergency) help",
            re.I,
        ),
    ),
    (FindingKind.SIDE_EFFECT, re.compile(r"\bside[- ]effects?\b|\badverse\b", re.I)),
    (FindingKind.INDICATION, re.compile(r"\bused for\b|\buses\b|\bindications?\b", re.I)),
    (
        FindingKind.SCREENING,
        re.compile(
            r"\bbefore (?:you|taking|starting|using|receiving|"
            r"treatment)\b",
            re.I,
        ),
    ),
)
# "Serious infections, including tuberculosis, can happen." The fact comes before the verb.
HAPPENS = re.compile(
    r"^(?P<np>[^.;:]{3,120}?),?\s+(?:can|may|might|could|sometimes|often)\s+(?:also\s+)?"
    r"(?:happen|occur|develop)\b|"
    r"^(?P<np2>[^.;:]{3,120}?),?\s+(?:has|have)\s+(?:also\s+)?been\s+reported\b",
    re.I,
)

# "For HER2-positive breast cancer, trastuzumab is added": the condition comes first.
FOR_CONDITION = re.compile(
    r"^for (?P<np>[^,.;:]{3,80}),\s+(?=[^.]*\b(?:is|are|may be|can be|will be) "
    r"(?:added|used|given|recommended|prescribed|offered)\b|[^.]*\b(?:may|might|will|can) "
    r"(?:recommend|prescribe|suggest|offer)\b)",
    re.I,
)

# "X can cause serious conditions. These include A, B and C."
CONTINUATION = re.compile(
    r"^(?:these|they|this|such \w+)\s+(?:may |can |could )?include[sd]?\s+", re.I
)
BEFORE_TREATMENT = re.compile(
    r"\bbefore (?:(?:each |your |you |first )*(?:treatment|start(?:ing)?|begin(?:ning)?|"
    r"tak(?:e|ing)|receiv(?:e|ing)|us(?:e|ing)|infusion|dose|injection))(?: (?:with|on))?\b",
    re.I,
)
