"""Drug Facts labels and warnings in their own words (instructions.py), a medicine's name with a
typing slip (Lexicon.near), and labels run into flattened table rows, on articles written for
each behaviour."""

from __future__ import annotations

from test_extraction import med, run, texts

from fhir_export.extraction import extract
from fhir_export.model import BlockKind, RawBlock, RawDocument, SourceHints
from fhir_export.segmentation import segment
from fhir_export.terminology import default_lexicon


def test_a_typing_slip_in_a_long_name_is_the_medicine() -> None:
    lexicon = default_lexicon()
    entry = lexicon.near("chlorpheniramin")
    assert entry is not None and entry.concept.id == "chlorpheniramine"
    assert lexicon.near("ibuprofren") is not None  # a letter too many
    assert lexicon.near("amoxicilin") is not None  # two spellings of one medicine
    for word in ("information", "medications", "treatments", "aspirn", "chlorpheniramine"):
        assert lexicon.near(word) is None, word  # words, short names, exact names


def test_a_misspelt_active_ingredient_needs_a_medicine_cue() -> None:
    x = run(("heading", "Drug Facts"),
            ("heading", "Active ingredient (in each tablet)"),
            "Chlorpheniramin maleate 4 mg ........ Antihistamine",
            ("heading", "Uses"),
            "temporarily relieves these symptoms due to hay fever or other upper respiratory "
            "allergies:",
            ("item", "sneezing"), ("item", "runny nose"))
    cpm = med(x, "chlorpheniramine")
    assert cpm.name.text == "Chlorpheniramin"  # the article's own wording, coded as the medicine
    assert texts(cpm.indications) == [
        "hay fever or other upper respiratory allergies", "sneezing", "runny nose"]
    # without a dose, a form or a medicine word near it, a slip is not read as a medicine
    assert not run("Chlorpheniramin was the name of the ship.").medications


def test_warnings_in_their_own_words() -> None:
    x = run("Loratadine tablets are used to treat hay fever.",
            ("heading", "When using this product"),
            ("item", "you may get drowsy • avoid alcoholic drinks"),
            ("item", "be careful when driving a motor vehicle"),
            ("item", "Stop use and ask a doctor if"),
            "If pregnant or breast-feeding, ask a health professional before use.",
            "Keep out of reach of children.",
            ("heading", "Directions"),
            "Keep taking one tablet a day.",
            title="Loratadine")
    assert texts(med(x, "loratadine").warnings) == [
        "you may get drowsy", "avoid alcoholic drinks", "be careful when driving a motor vehicle",
        "If pregnant or breast-feeding, ask a health professional before use",
        "Keep out of reach of children"]
    # the same sentence is still a screening question
    assert {"pregnant", "breast-feeding"} <= {f.text for f in x.screening}


def test_a_flattened_table_row_in_spanish() -> None:
    """Cells that lost their spaces ("N/DReacciones adversas:"), a label line that goes on
    about the row above it, and a coordination that shares its head ("edema facial u
    orofaríngeo")."""
    lines = [
        "Antivirales contra la gripe",
        "Zanamivir (Relenza®)Influenza A y BTratamiento5 años o másN/DReacciones alérgicas: "
        "edema facial u orofaríngeo.",
        "Reacciones adversas: diarrea, sinusitis,",
        "Oseltamivir (Tamiflu®)Influenza A y BTratamiento1 año o másN/DReacciones adversas: "
        "náuseas, vómitos.",
    ]
    doc = RawDocument(path="t.txt", name="t.txt", media_type="text/plain", charset="utf-8",
                      raw=b"", blocks=tuple(RawBlock(kind=BlockKind.LINE, text=t) for t in lines),
                      hints=SourceHints(language="es"))
    x = extract(segment(doc), default_lexicon())
    assert texts(med(x, "zanamivir").side_effects) == [
        "edema facial u orofaríngeo", "diarrea", "sinusitis"]
    assert texts(med(x, "oseltamivir").side_effects) == ["náuseas", "vómitos"]
