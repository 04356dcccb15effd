"""The Word article tests/data/articles/lisinopril-leaflet-word.docx, as body parts for
tests/docx_fixtures.py: a patient leaflet as a hospital content team writes it in Word (Title
style, Heading 1/2, bullet lists, a bold line used as a heading, a side-effect table with a
header row, a review line). Written by the project; no real leaflet's text."""

from __future__ import annotations

from docx_fixtures import IMAGE, bullets, h, p, table

LEAFLET = (
    p("Lisinopril tablets", "Title"),
    p("Information for patients and carers. Cardiology Department, Fernhill Hospital"),
    IMAGE,
    h(1, "What lisinopril is and what it is used for"),
    p(
        "Lisinopril belongs to a group of medicines called ACE inhibitors. It is also sold "
        "under the brand names Zestril and Prinivil."
    ),
    p("Lisinopril is used:"),
    bullets(
        "to treat high blood pressure (hypertension)",
        "to treat heart failure",
    ),
    p(
        "Lisinopril works by widening the blood vessels, which makes it easier for your heart "
        "to pump blood."
    ),
    h(1, "Before you take lisinopril"),
    p("Do not take lisinopril if you:"),
    bullets(
        "are allergic to lisinopril or to any other ACE inhibitor",
        "have ever had swelling of the face, lips, tongue or throat (angioedema)",
        "are more than 3 months pregnant",
    ),
    h(2, "Talk to your doctor"),
    p("Talk to your doctor or pharmacist before taking lisinopril if you:"),
    bullets(
        "have kidney disease or are having dialysis",
        "have liver disease",
        "have low blood pressure",
        "are pregnant or planning to become pregnant",
        "are breastfeeding",
    ),
    h(1, "How to take lisinopril"),
    p(
        "Lisinopril tablets are taken by mouth. Swallow the tablet whole with a glass of water, "
        "at the same time each day. The usual dose for high blood pressure is 10 mg once a day."
    ),
    p("If you forget a dose", bold=True),
    p(
        "Take it as soon as you remember, unless it is nearly time for the next dose. Never take "
        "two doses at the same time."
    ),
    h(1, "Possible side effects"),
    p("Like all medicines, lisinopril can cause side effects, although not everybody gets them."),
    table(
        ("Side effect", "How common", "What to do"),
        ("dizziness", "common", "Sit or lie down until it passes."),
        ("headache", "common", "Rest and drink plenty of water."),
        ("dry cough", "common", "Tell your doctor if it does not go away."),
        ("feeling sick (nausea)", "uncommon", "Take the tablet with food."),
    ),
    p("Stop taking lisinopril and call 999 straight away if you get:"),
    bullets(
        "swelling of the face, lips, tongue or throat",
        "difficulty breathing",
        "yellowing of the skin or the whites of the eyes",
    ),
    h(1, "How to store lisinopril"),
    p("Keep this medicine out of the sight and reach of children. Store below 25°C."),
    p("Last reviewed: 3 March 2025. Next review due: March 2028."),
)
