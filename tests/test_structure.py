"""Structure-first extraction (extraction/sections.py, structure.py) on articles written for
each behaviour: typed sections, label/value lines, runs, treatment sections, other languages."""

from __future__ import annotations

import pytest
from test_extraction import med, texts

from fhir_export.extraction import extract, sections
from fhir_export.model import BlockKind, Extraction, RawBlock, RawDocument, SourceHints
from fhir_export.segmentation import segment
from fhir_export.terminology import default_lexicon

Block = str | tuple[str, str] | tuple[str, str, int]


def run(*blocks: Block, title: str = "Metformin", lang: str | None = None) -> Extraction:
    raw: list[RawBlock] = [RawBlock(kind=BlockKind.HEADING, text=title, level=1)]
    for block in blocks:
        if isinstance(block, str):
            raw.append(RawBlock(kind=BlockKind.PARAGRAPH, text=block))
        else:
            kind, text = block[0], block[1]
            level = block[2] if len(block) == 3 else (1 if kind == "item" else 2)  # type: ignore[misc]
            raw.append(RawBlock(kind=BlockKind(kind), text=text, level=level))
    doc = RawDocument(
        path="t.html",
        name="t.html",
        media_type="text/html",
        charset="utf-8",
        raw=b"",
        blocks=tuple(raw),
        hints=SourceHints(language=lang),
    )
    return extract(segment(doc), default_lexicon())


def test_items_of_a_question_heading_need_no_trigger() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "What are the possible side effects of metformin?"),
        ("item", "Feeling sick"),
        ("item", "Diarrhoea"),
        ("heading", "What is it used for?"),
        ("item", "Type 2 diabetes"),
    )
    m = med(x, "metformin")
    assert texts(m.side_effects) == ["Feeling sick", "Diarrhoea"]
    assert texts(m.indications) == ["Type 2 diabetes"]


def test_a_semicolon_run_after_a_label() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        "Side effects that need medical attention: fast heartbeat; shortness of breath; "
        "skin rash with blisters.",
    )
    m = med(x, "metformin")
    assert texts(m.warnings) == ["fast heartbeat", "shortness of breath", "skin rash with blisters"]


def test_a_run_of_clauses_is_prose_not_a_list() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "Side effects"),
        "Let the team know if they bother you; changing the dose can help.",
    )
    assert texts(med(x, "metformin").side_effects) == []


def test_label_value_lines_with_and_without_colons() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        "Brand names  Glucophage, Riomet",
        "How it is given By mouth",
        "Drug type Biguanide",
    )
    m = med(x, "metformin")
    assert set(texts(m.brands)) >= {"Glucophage", "Riomet"}
    assert [f.concept.id for f in m.routes if f.concept] == ["oral"]
    assert texts(m.classes) == ["Biguanide"]


def test_a_flattened_infobox_label() -> None:
    x = run("Metformin lowers blood sugar.", "Trade namesZentrovia, Mellabet, others")
    assert set(texts(med(x, "metformin").brands)) >= {"Zentrovia", "Mellabet"}


def test_a_heading_in_capitals_is_not_a_label() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "SIDE EFFECTS OF METFORMIN"),
        ("item", "Nausea"),
    )
    m = med(x, "metformin")
    assert texts(m.side_effects) == ["Nausea"]


def test_treatment_sections_name_the_condition() -> None:
    x = run(
        "Gout is a kind of arthritis.",
        ("heading", "What are the treatments for gout?"),
        "Your doctor may suggest colchicine or allopurinol.",
        "Stop taking aspirin, which can raise uric acid.",
        title="Gout",
    )
    assert texts(med(x, "colchicine").indications) == ["gout"]
    assert texts(med(x, "aspirin").indications) == []


def test_contraindications_are_screening_questions() -> None:
    x = run("Do not take metformin if you have metabolic acidosis.")
    assert "metabolic acidosis" in texts(med(x, "metformin").contraindications)
    assert "metabolic acidosis" in texts(x.screening)


def test_other_languages_read_structure_not_english_triggers() -> None:
    x = run(
        "Metformin senkt den Blutzucker.",
        ("heading", "Nebenwirkungen"),
        "Nebenwirkungen: Übelkeit, Erbrechen, Durchfall.",
        "Beobachten Sie Kinder deshalb aufmerksam.",
        lang="de",
    )
    assert texts(med(x, "metformin").side_effects) == ["Übelkeit", "Erbrechen", "Durchfall"]


def test_a_section_without_a_kind_inherits_its_parents() -> None:
    doc = RawDocument(
        path="t.md",
        name="t.md",
        media_type="text/markdown",
        charset="utf-8",
        raw=b"",
        blocks=(
            RawBlock(kind=BlockKind.HEADING, text="Metformin", level=1),
            RawBlock(kind=BlockKind.HEADING, text="Side effects", level=2),
            RawBlock(kind=BlockKind.HEADING, text="Common", level=3),
            RawBlock(kind=BlockKind.ITEM, text="Nausea", level=1),
            RawBlock(kind=BlockKind.HEADING, text="Storage", level=2),
        ),
    )
    kinds = [t.kind for t in sections.classify(segment(doc))]
    assert kinds[-3:] == ["side-effect", "side-effect", "storage"]


def test_an_ingredients_list_names_no_medicine() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "Inactive ingredients"),
        "Magnesium stearate, povidone, neomycin.",
        ("heading", "Other medicines"),
        "Inactive ingredients: lactose, gentamicin",
    )
    assert [m.key for m in x.medications] == ["metformin"]


def test_the_class_word_on_a_page_about_one_member_is_that_member() -> None:
    x = run(
        "Adalimumab is used to treat rheumatoid arthritis.",
        "Lymphoma, some fatal, has been reported in people treated with TNF blockers.",
        title="Adalimumab",
    )
    assert [m.key for m in x.medications] == ["adalimumab"]
    assert texts(med(x, "adalimumab").warnings) == ["Lymphoma"]


def test_the_class_word_on_a_page_about_the_class_stays_the_class() -> None:
    x = run(
        "TNF blockers such as adalimumab and infliximab calm the immune system.",
        title="TNF blockers",
    )
    assert "tnf-inhibitors" in [m.key for m in x.medications]


def test_a_coordination_that_shares_its_head_stays_whole() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        "Metformin can cause pink, red or brown urine.",
        "Metformin can cause broken bones in the hip, wrist or spine.",
        "Metformin can cause headache, nausea or vomiting.",
        "Metformin can cause a slow or irregular heartbeat.",
    )
    assert texts(med(x, "metformin").side_effects) == [
        "pink, red or brown urine",
        "broken bones in the hip, wrist or spine",
        "headache",
        "nausea",
        "vomiting",
        "slow or irregular heartbeat",
    ]


def test_bare_words_are_never_facts() -> None:
    from fhir_export.extraction import coordination

    assert coordination.bare("and") and coordination.bare("wrist") and coordination.bare("pink")
    assert not coordination.bare("wrist pain")


def test_spanish_prose_triggers() -> None:
    x = run(
        "La metformina se usa para tratar la diabetes tipo 2.",
        "La metformina puede causar náuseas y diarrea.",
        "La metformina no se usa para tratar la diabetes tipo 1.",
        title="Metformina",
        lang="es",
    )
    (m,) = x.medications
    assert texts(m.indications) == ["diabetes tipo 2"]
    assert texts(m.side_effects) == ["náuseas", "diarrea"]


def test_french_and_german_prose_triggers() -> None:
    fr = run(
        "Le zentrovimab est indiqué dans le traitement des infections bactériennes.",
        title="Zentrovimab",
        lang="fr",
    )
    de = run(
        "Oseltamivir wird zur Behandlung der Grippe eingesetzt.",
        title="Oseltamivir",
        lang="de",
    )
    assert texts(med(fr, "zentrovimab").indications) == ["infections bactériennes"]
    assert texts(med(de, "oseltamivir").indications) == ["Grippe"]


def test_french_screening_and_contraindications() -> None:
    x = run(
        "L'amoxicilline est un antibiotique.",
        ("heading", "Avant de prendre ce médicament"),
        "Ne prenez jamais d'amoxicilline si vous êtes allergique à la pénicilline.",
        "Prévenez votre médecin si vous avez une maladie des reins, un asthme ou une "
        "mononucléose infectieuse.",
        ("heading", "Effets indésirables"),
        "L'amoxicilline peut provoquer des nausées, une diarrhée et une éruption cutanée.",
        title="Amoxicilline",
        lang="fr",
    )
    m = med(x, "amoxicillin")  # "amoxicilline" is the French spelling (DrugBank, in the lexicon)
    assert texts(m.contraindications) == ["allergique à la pénicilline"]
    assert texts(m.side_effects) == ["nausées", "diarrhée", "éruption cutanée"]
    assert not m.routes  # "éruption cutanée" is a rash, not the cutaneous route
    assert texts(x.screening) == [
        "maladie des reins", "asthme", "mononucléose infectieuse", "allergique à la pénicilline",
    ]


def test_german_screening_and_contraindications() -> None:
    x = run(
        "Metformin ist ein Arzneimittel gegen Diabetes.",
        ("heading", "Was sollten Sie vor der Einnahme beachten?"),
        "Metformin darf nicht eingenommen werden, wenn Sie eine schwere Nierenerkrankung "
        "haben.",
        "Nehmen Sie Metformin nicht ein, wenn Sie allergisch gegen Metformin sind.",
        "Informieren Sie Ihren Arzt, wenn Sie eine Herzschwäche, eine Lebererkrankung oder "
        "Alkoholprobleme haben.",
        title="Metformin",
        lang="de",
    )
    m = med(x, "metformin")
    assert texts(m.contraindications) == [
        "schwere Nierenerkrankung", "allergisch gegen Metformin",
    ]
    assert texts(x.screening) == [
        "Herzschwäche", "Lebererkrankung", "Alkoholprobleme", "schwere Nierenerkrankung",
        "allergisch gegen Metformin",
    ]


def test_a_negated_french_or_german_request_asks_nothing() -> None:
    fr = run("Ne prenez pas plus de trois comprimés d'amoxicilline par jour.",
             title="Amoxicilline", lang="fr")
    de = run("Sprechen Sie mit Ihrem Arzt über die Dosis von Metformin.",
             title="Metformin", lang="de")
    assert not fr.screening and not de.screening
    assert not med(fr, "amoxicillin").contraindications


# The EU leaflet template (QRD) words each section alike in every language: its lead-ins
# and list items, in French, German and Spanish.
QRD = {
    "fr": (
        "Ibuprofène",
        ("heading", "1. Qu'est-ce que Ibuprofène 400 mg et dans quels cas est-il utilisé ?"),
        "Il est indiqué dans le traitement de courte durée de la fièvre et des douleurs telles "
        "que maux de tête et douleurs dentaires.",
        ("heading", "2. Quelles sont les informations à connaître avant de prendre Ibuprofène ?"),
        "Ne prenez jamais Ibuprofène 400 mg :",
        ("item", "si vous êtes allergique à l'ibuprofène ou à l'un des autres composants de ce "
                 "médicament,"),
        ("item", "si vous avez un ulcère de l'estomac ou du duodénum,"),
        ("item", "si vous souffrez d'une insuffisance hépatique sévère."),
        "Adressez-vous à votre médecin ou pharmacien avant de prendre ce médicament si vous "
        "avez de l'asthme.",
        ("heading", "4. Quels sont les effets indésirables éventuels ?"),
        "Comme tous les médicaments, ce médicament peut provoquer des effets indésirables.",
        ("item", "nausées, vomissements, diarrhée"),
    ),
    "de": (
        "Ibuprofen",
        ("heading", "1. Was ist Ibuprofen 400 und wofür wird es angewendet?"),
        "Es wird angewendet zur Behandlung von Kopfschmerzen und Zahnschmerzen sowie bei Fieber.",
        ("heading", "2. Was sollten Sie vor der Einnahme von Ibuprofen 400 beachten?"),
        "Ibuprofen 400 darf nicht eingenommen werden,",
        ("item", "wenn Sie allergisch gegen Ibuprofen oder einen der sonstigen Bestandteile "
                 "dieses Arzneimittels sind,"),
        ("item", "wenn Sie ein Magen- oder Zwölffingerdarmgeschwür haben,"),
        ("item", "bei schwerer Herzschwäche."),
        "Bitte sprechen Sie mit Ihrem Arzt oder Apotheker, bevor Sie Ibuprofen 400 einnehmen, "
        "wenn Sie an Asthma leiden.",
        ("heading", "4. Welche Nebenwirkungen sind möglich?"),
        ("item", "Übelkeit, Erbrechen, Durchfall"),
    ),
    "es": (
        "Ibuprofeno",
        ("heading", "1. Qué es Ibuprofeno 400 mg y para qué se utiliza"),
        "Se utiliza para el tratamiento de la fiebre.",
        ("heading", "2. Qué necesita saber antes de empezar a tomar Ibuprofeno 400 mg"),
        "No tome Ibuprofeno 400 mg:",
        ("item", "si es alérgico al ibuprofeno o a alguno de los demás componentes de este "
                 "medicamento,"),
        ("item", "si tiene una úlcera de estómago o duodeno,"),
        ("item", "si padece una insuficiencia hepática grave."),
        "Consulte a su médico o farmacéutico antes de empezar a tomar este medicamento si "
        "tiene asma.",
        ("heading", "4. Posibles efectos adversos"),
        "Este medicamento puede producir efectos adversos.",
        ("item", "náuseas, vómitos, diarrea"),
    ),
}
QRD_FOUND = {  # language: (contraindications, indications, side effects, screening)
    "fr": (
        ["allergique à l'ibuprofène", "ulcère de l'estomac ou du duodénum",
         "insuffisance hépatique sévère"],
        ["fièvre", "douleurs"],
        ["nausées", "vomissements", "diarrhée"],
        ["asthme"],
    ),
    "de": (
        ["allergisch gegen Ibuprofen", "Magen- oder Zwölffingerdarmgeschwür",
         "schwerer Herzschwäche"],
        ["Kopfschmerzen", "Zahnschmerzen", "Fieber"],
        ["Übelkeit", "Erbrechen", "Durchfall"],
        ["Asthma"],
    ),
    "es": (
        ["alérgico al ibuprofeno", "úlcera de estómago o duodeno", "insuficiencia hepática grave"],
        ["fiebre"],
        ["náuseas", "vómitos", "diarrea"],
        ["asma"],
    ),
}


@pytest.mark.parametrize("lang", sorted(QRD))
def test_an_eu_leaflet_template_in_french_german_and_spanish(lang: str) -> None:
    title, *blocks = QRD[lang]
    x = run(*blocks, title=str(title), lang=lang)
    m = med(x, "ibuprofen")
    contraindications, indications, side_effects, asked = QRD_FOUND[lang]
    assert texts(m.contraindications) == contraindications
    assert texts(m.indications) == indications
    assert texts(m.side_effects) == side_effects  # "des effets indésirables" is none of them
    assert texts(x.screening) == asked + contraindications


FREQUENCIES = {  # language: (title, use sentence, side-effect section, its frequency lines)
    "en": ("Ibuprofen", "Ibuprofen is used in adults for the relief of mild to moderate pain.",
           "4. Possible side effects",
           ["Very common (may affect more than 1 in 10 people): heartburn, nausea.",
            "Rare (may affect up to 1 in 1,000 people): ringing in the ears (tinnitus)."]),
    "fr": ("Ibuprofène", "L'ibuprofène est indiqué chez l'adulte et l'enfant de plus de 30 kg "
           "dans le traitement symptomatique des affections douloureuses.",
           "4. Quels sont les effets indésirables éventuels ?",
           ["Fréquent (peut toucher jusqu'à 1 personne sur 10) : brûlures d'estomac, nausées.",
            "Rare (peut toucher jusqu'à 1 personne sur 1 000) : acouphènes."]),
    "de": ("Ibuprofen", "Ibuprofen wird bei Erwachsenen angewendet zur Behandlung von "
           "Schmerzen.",
           "4. Welche Nebenwirkungen sind möglich?",
           ["Häufig (kann bis zu 1 von 10 Behandelten betreffen): Sodbrennen, Übelkeit.",
            "Selten (kann bis zu 1 von 1.000 Behandelten betreffen): Ohrgeräusche."]),
    "es": ("Ibuprofeno", "Ibuprofeno está indicado en adultos para el tratamiento del dolor leve.",
           "4. Posibles efectos adversos",
           ["Frecuentes (pueden afectar hasta 1 de cada 10 personas): ardor de estómago, náuseas.",
            "Raras (pueden afectar hasta 1 de cada 1.000 personas): acúfenos."]),
}
FREQUENCY_FOUND = {
    "en": (["mild to moderate pain"], ["heartburn", "nausea", "ringing in the ears (tinnitus)"]),
    "fr": (["affections douloureuses"], ["brûlures d'estomac", "nausées", "acouphènes"]),
    "de": (["Schmerzen"], ["Sodbrennen", "Übelkeit", "Ohrgeräusche"]),
    "es": (["dolor leve"], ["ardor de estómago", "náuseas", "acúfenos"]),
}


@pytest.mark.parametrize("lang", sorted(FREQUENCIES))
def test_frequency_classes_and_uses_in_a_population(lang: str) -> None:
    """'Common (may affect up to 1 in 10 people): X, Y' lists side effects on its own line, and
    a use stated for a population ('used in adults for the relief of') is still a use."""
    title, use, heading, lines = FREQUENCIES[lang]
    x = run(use, ("heading", heading), *lines, title=title, lang=lang)
    indications, side_effects = FREQUENCY_FOUND[lang]
    m = med(x, "ibuprofen")
    assert texts(m.indications) == indications
    assert texts(m.side_effects) == side_effects


@pytest.mark.parametrize(
    ("lang", "named", "heading", "line", "route"),
    [
        ("fr", "L'ibuprofène est un anti-inflammatoire.", "3. Comment prendre Ibuprofène 400 mg ?",
         "Voie orale. Avalez le comprimé avec un verre d'eau.", "Voie orale"),
        ("de", "Ibuprofen ist ein Schmerzmittel.", "3. Wie ist Ibuprofen 400 einzunehmen?",
         "Zum Einnehmen. Nehmen Sie die Tablette mit Wasser ein.", "Zum Einnehmen"),
        ("es", "El ibuprofeno es un antiinflamatorio.", "3. Cómo tomar Ibuprofeno 400 mg",
         "Vía oral. Trague el comprimido con un vaso de agua.", "Vía oral"),
    ],
)
def test_the_how_to_take_section_of_a_leaflet_gives_the_route(
    lang: str, named: str, heading: str, line: str, route: str
) -> None:
    x = run(named, ("heading", heading), line, title="Ibuprofen", lang=lang)
    m = med(x, "ibuprofen")
    assert [(f.text, f.concept.id if f.concept else None) for f in m.routes] == [(route, "oral")]


@pytest.mark.parametrize(
    ("lang", "kind", "lines", "found"),
    [
        ("de", "side_effects", ["Ibuprofen kann Magenbeschwerden und Sodbrennen verursachen.",
                                "Mögliche Nebenwirkungen: Kopfschmerzen, Schwindel."],
         ["Magenbeschwerden", "Sodbrennen", "Kopfschmerzen", "Schwindel"]),
        ("fr", "side_effects", ["L'ibuprofène est un anti-inflammatoire.",
                                "Effets indésirables possibles : maux de tête, vertiges."],
         ["maux de tête", "vertiges"]),
        ("es", "side_effects", ["El ibuprofeno es un antiinflamatorio.",
                                "Efectos secundarios frecuentes: dolor de cabeza, mareos."],
         ["dolor de cabeza", "mareos"]),
        ("de", "contraindications", ["Ibuprofen ist ein Schmerzmittel.",
                                     "Gegenanzeigen: Schwangerschaft, schwere Niereninsuffizienz."],
         ["Schwangerschaft", "schwere Niereninsuffizienz"]),
        ("fr", "contraindications", ["L'ibuprofène est un anti-inflammatoire.",
                                     "Contre-indications : grossesse, insuffisance rénale sévère."],
         ["grossesse", "insuffisance rénale sévère"]),
        ("es", "contraindications", ["El ibuprofeno es un antiinflamatorio.",
                                     "Contraindicaciones: embarazo, insuficiencia renal grave."],
         ["embarazo", "insuficiencia renal grave"]),
    ],
)
def test_labels_with_a_qualifier_contraindication_labels_and_a_german_verb_at_the_end(
    lang: str, kind: str, lines: list[str], found: list[str]
) -> None:
    """'Mögliche Nebenwirkungen:', 'Gegenanzeigen:', '... kann X verursachen': a contraindication
    is asked about before treatment too."""
    x = run(*lines, title="Ibuprofen", lang=lang)
    assert texts(getattr(med(x, "ibuprofen"), kind)) == found
    if kind == "contraindications":
        assert texts(x.screening) == found


WARNINGS_AND_PRECAUTIONS = {  # the template's "talk to your doctor before taking X if you:"
    "fr": (["L'ibuprofène est un anti-inflammatoire.", ("heading", "Avertissements et précautions"),
            "Adressez-vous à votre médecin ou pharmacien avant de prendre Ibuprofène si vous :",
            ("item", "avez de l'asthme,"), ("item", "souffrez d'une maladie du cœur,")],
           ["asthme", "maladie du cœur"]),
    "de": (["Ibuprofen ist ein Schmerzmittel.", ("heading", "Warnhinweise und Vorsichtsmaßnahmen"),
            "Bitte sprechen Sie mit Ihrem Arzt oder Apotheker, bevor Sie Ibuprofen einnehmen, "
            "wenn Sie:",
            ("item", "an Asthma leiden,"), ("item", "eine Herzerkrankung haben,")],
           ["Asthma", "Herzerkrankung"]),
    "es": (["El ibuprofeno es un antiinflamatorio.", ("heading", "Advertencias y precauciones"),
            "Consulte a su médico o farmacéutico antes de empezar a tomar ibuprofeno si usted:",
            ("item", "tiene asma,"), ("item", "padece una enfermedad del corazón,")],
           ["asma", "enfermedad del corazón"]),
}


@pytest.mark.parametrize("lang", sorted(WARNINGS_AND_PRECAUTIONS))
def test_items_after_talk_to_your_doctor_before_taking_if_you(lang: str) -> None:
    blocks, asked = WARNINGS_AND_PRECAUTIONS[lang]
    x = run(*blocks, title="Ibuprofen", lang=lang)
    assert texts(x.screening) == asked


@pytest.mark.parametrize(
    "lead", [("heading", "Do not take lisinopril:", 3), "Do not take lisinopril:"]
)
def test_do_not_take_x_over_if_you_items(lead: Block) -> None:
    """The UK leaflet's 'Do not take X:' over '- if you are allergic to X' items (a heading or
    a lead-in line): each item after its framing is a contraindication, asked before
    treatment; an item without the framing is left to its section."""
    x = run(
        "Lisinopril is used to treat high blood pressure.",
        lead,
        ("item", "if you are allergic to lisinopril or to any other ACE inhibitor"),
        ("item", "if you have ever had angioedema"),
        ("item", "if you are more than 3 months pregnant"),
        title="Lisinopril",
    )
    expected = ["allergic to lisinopril", "angioedema", "more than 3 months pregnant"]
    assert texts(med(x, "lisinopril").contraindications) == expected
    assert texts(x.screening) == expected


def test_a_label_whose_value_is_a_sentence_is_read_as_prose() -> None:
    """'Avertissements et précautions : adressez-vous à votre médecin ... si vous avez de
    l'asthme': the warning label gives no list, so its sentence is read (in English the
    trigger phrases read every sentence anyway)."""
    x = run(
        "L'ibuprofène est un anti-inflammatoire.",
        "Avertissements et précautions : adressez-vous à votre médecin ou pharmacien avant de "
        "prendre ce médicament si vous avez de l'asthme.",
        title="Ibuprofène",
        lang="fr",
    )
    assert texts(x.screening) == ["asthme"]


def test_not_recommended_and_contraindicated_are_screened() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        "It is not recommended for pregnant patients or those with active or chronic liver "
        "disease.",
        "Metformin is contraindicated in patients with severe kidney disease.",
    )
    expected = ["pregnant patients", "active or chronic liver disease", "severe kidney disease"]
    assert texts(med(x, "metformin").contraindications) == expected
    assert texts(x.screening) == expected


def test_each_typed_section_says_what_it_yielded() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "Side effects"),
        ("item", "Nausea"),
        ("heading", "Warnings"),
        "Ask your care team about this.",
        ("heading", "How to store it"),
    )
    got = [(s.heading, s.kind, s.facts) for s in x.sections]
    assert got == [("Side effects", "side-effect", 1), ("Warnings", "warning", 0)]


def test_a_used_to_lead_in_gives_its_verb_to_the_items() -> None:
    x = run(
        "Metformin is used to:",
        ("item", "treat type 2 diabetes"),
        ("item", "lower the risk of diabetes in people with prediabetes"),
    )
    # it lowers the risk of diabetes: it is no use for diabetes itself
    expected = ["type 2 diabetes", "lower the risk of diabetes in people with prediabetes"]
    assert texts(med(x, "metformin").indications) == expected


def test_a_related_reading_line_states_no_fact() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("item", "Metformin May Cause Burns (Food and Drug Administration)"),
        ("item", "Metformin can cause stomach ache."),
    )
    assert texts(med(x, "metformin").side_effects) == ["stomach ache"]


def test_a_relative_clause_that_defines_the_medicine_is_its_use() -> None:
    x = run(
        "Metformin is a medicine that helps control blood sugar in type 2 diabetes.",
        "Metformin protects the immune system that causes pain.",
    )
    assert texts(med(x, "metformin").indications) == ["type 2 diabetes"]


def test_a_condition_treated_with_medicines() -> None:
    x = run(
        "Spasticity, which can come and go, is usually treated with muscle relaxants such as "
        "baclofen and tizanidine.",
        "Gout is not treated with metformin.",
        title="Living with MS",
    )
    assert texts(med(x, "baclofen").indications) == ["Spasticity"]
    assert texts(med(x, "tizanidine").indications) == ["Spasticity"]
    assert texts(med(x, "metformin").indications) == []


def test_route_label_lines_and_their_continuations() -> None:
    x = run(
        "Le zentrovimab est un antibiotique.",
        "Voie d’administration Orale",
        "Intraveineuse",
        "Intramusculaire",
        "Grossesse Autorisée",
        title="Zentrovimab",
        lang="fr",
    )
    routes = [f.concept.id for f in med(x, "zentrovimab").routes if f.concept]
    assert routes == ["oral", "intravenous", "intramuscular"]


def test_an_acronym_after_a_name_names_it_later() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        "Proton pump inhibitors (PPIs) are medicines such as omeprazole (Prilosec).",
        "Side effects of PPIs may include headache and nausea.",
        title="Indigestion",
    )
    ppis = med(x, "proton-pump-inhibitors")
    assert texts(ppis.side_effects) == ["headache", "nausea"]
    assert texts(ppis.brands) == []  # "(PPIs)" is an acronym, not a brand


def test_screening_phrasings_of_labels_and_leaflets() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        "If pregnant or breastfeeding, ask a health professional before use.",
        "Do not give metformin to children under ten.",
        "Tell your doctor before starting the medicine if you:",
        ("item", "have had an allergic reaction to metformin or other medicines in the past"),
    )
    assert sorted(texts(x.screening)) == [
        "allergic reaction to metformin or other medicines",
        "breastfeeding",
        "children under ten",
        "pregnant",
    ]


def test_brands_in_brackets_after_a_class_are_the_classs() -> None:
    x = run(
        "Some antihistamines (Benadryl, Atarax, Zentrovix) are medicines that help with itching.",
        title="Itching",
    )
    assert [m.key for m in x.medications] == ["antihistamines"]
    assert texts(med(x, "antihistamines").brands) == ["Benadryl", "Atarax", "Zentrovix"]


def test_a_paragraph_about_a_medicines_side_effects_keeps_its_subject() -> None:
    x = run(
        "Metformin lowers blood sugar. Metformin, however, can have side effects. "
        "A metallic taste can lead to nausea, and it may cause diarrhea.",
        title="Diabetes",
    )
    assert "nausea" in texts(med(x, "metformin").side_effects)


def test_a_name_a_dash_and_what_it_does() -> None:
    x = run(
        "There are many cold medicines.",
        ("item", "Nasal decongestants - unclog a stuffy nose"),
        ("item", "Antihistamines - stop runny noses and sneezing"),
        title="Cold medicines",
    )
    assert texts(med(x, "decongestants").indications) == ["stuffy nose"]
    assert texts(med(x, "antihistamines").indications) == ["runny noses", "sneezing"]


def test_a_related_reading_list_names_no_medicine() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "Related reading"),
        ("item", "Metformin and Your Kidneys (National Kidney Foundation)"),
        ("item", "Living with Diabetes (American Diabetes Association)"),
        ("item", "Cortisone Shots (M"),
    )
    assert [m.key for m in x.medications] == ["metformin"]


def test_these_drugs_include_brands_of_the_class_named_before() -> None:
    x = run(
        "A class of drugs called benzodiazepines, often used to treat anxiety, may help.",
        "These prescription drugs include Klonopin, Librium and Zentrapam.",
        title="Restless legs",
    )
    assert [m.key for m in x.medications] == ["benzodiazepines"]
    assert texts(med(x, "benzodiazepines").brands) == ["Klonopin", "Librium", "Zentrapam"]


def test_an_idiom_stays_one_fact_and_a_use_keeps_its_verb() -> None:
    x = run(
        "Ibuprofen relieves minor aches and pains.",
        "Atorvastatin is used to lower cholesterol.",
        title="Two medicines",
    )
    assert texts(med(x, "ibuprofen").indications) == ["minor aches and pains"]
    assert texts(med(x, "atorvastatin").indications) == ["lower cholesterol"]


def test_after_a_semicolon_the_clause_speaks_of_its_own_medicine() -> None:
    x = run(
        "Some antihistamines (Atarax) are medicines that may help; also, capsaicin cream "
        "applied to the skin may relieve itching.",
        title="Itching",
    )
    capsaicin = med(x, "capsaicin")
    assert texts(capsaicin.indications) == ["itching"]
    assert [f.concept.id for f in capsaicin.routes if f.concept] == ["topical"]
    assert all(texts(m.indications) == [] for m in x.medications if m.key != "capsaicin")


def test_a_class_word_describing_a_medicine_gives_way_to_it() -> None:
    x = run(
        "An immunosuppressant treatment, Novantrone (mitoxantrone), is approved for the "
        "treatment of advanced or chronic MS.",
        "A few antihistamines (Benadryl, Atarax, Vistaril) have been found to help.",
        title="Living with MS",
    )
    assert texts(med(x, "mitoxantrone").indications) == ["advanced or chronic MS"]
    assert "immunosuppressants" not in [m.key for m in x.medications]
    assert texts(med(x, "antihistamines").brands) == ["Benadryl", "Atarax", "Vistaril"]


def test_routes_in_german_and_spanish_prose() -> None:
    de = run(
        "Metformin ist ein Arzneistoff gegen Diabetes.",
        "Es ist das am häufigsten verabreichte orale Antidiabetikum.",
        title="Metformin",
        lang="de",
    )
    es = run(
        "Hay medicinas que se inyectan debajo de la piel, como la metformina.",
        title="Medicinas",
        lang="es",
    )
    assert [f.concept.id for f in med(de, "metformin").routes if f.concept] == ["oral"]
    assert [f.concept.id for f in med(es, "metformin").routes if f.concept] == ["subcutaneous"]


def test_drugs_that_reduce_x_include_a_and_b() -> None:
    x = run(
        "Other drugs that may reduce fatigue in some, but not all, patients include "
        "amantadine (Symmetrel) and pemoline (Cylert).",
        title="Living with MS",
    )
    assert texts(med(x, "amantadine").indications) == ["fatigue"]
    assert texts(med(x, "pemoline").indications) == ["fatigue"]


def test_a_label_prefix_mid_text_is_not_the_fact() -> None:
    # "Endocrine Disorders: a, b, c" under adverse reactions: the parts, never the label
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "Adverse reactions"),
        "Endocrine Disorders: Lactation, breast engorgement, mastalgia and hyponatremia.",
        "Respiratory Effects: Laryngospasm, bronchospasm and increased depth of respiration.",
    )
    assert texts(med(x, "metformin").side_effects) == [
        "Lactation",
        "breast engorgement",
        "mastalgia",
        "hyponatremia",
        "Laryngospasm",
        "bronchospasm",
        "increased depth of respiration",
    ]


def test_reported_effects_and_long_runs_in_an_adverse_reactions_section() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "Adverse reactions"),
        "Tachycardia, hypotension, and hypertension have been reported.",
        "QT prolongation and/or ventricular arrhythmias have also been reported.",
        "Insomnia, restlessness, anxiety, euphoria, agitation, vertigo, exacerbation of "
        "psychotic symptoms including hallucinations which may be responsive to withdrawal.",
    )
    assert texts(med(x, "metformin").side_effects) == [
        "Tachycardia",
        "hypotension",
        "hypertension",
        "QT prolongation",
        "ventricular arrhythmias",
        "Insomnia",
        "restlessness",
        "anxiety",
        "euphoria",
        "agitation",
        "vertigo",
        "exacerbation of psychotic symptoms",
        "hallucinations",
    ]


def test_a_sentence_with_a_comma_and_a_verb_is_no_run() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "Warnings"),
        "If an allergic reaction occurs, stop use and get medical help right away.",
    )
    assert texts(med(x, "metformin").warnings) == []


def test_a_sub_heading_of_adverse_reactions_that_names_an_effect() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "Adverse reactions"),
        ("heading", "Cardiovascular Effects", 3),
        "The heart rate may change.",
        ("heading", "6.2 Tardive Dyskinesia", 3),
        "It may appear in some patients on long-term therapy.",
        ("heading", "Serious Infections", 3),
        "Tell your doctor about any infection.",
    )
    metformin = med(x, "metformin")
    assert texts(metformin.side_effects) == ["Tardive Dyskinesia"]
    assert texts(metformin.warnings) == ["Serious Infections"]


def test_a_use_that_lowers_a_risk_keeps_its_verb_and_is_coded_by_what_it_prevents() -> None:
    x = run(
        "Atorvastatin is indicated to:",
        ("item", "Reduce the risk of non-fatal myocardial infarction"),
        "It is approved for adults and children 12 years of age and older.",
        "It should be used with caution in patients with anatomical deformation of the penis.",
        title="Atorvastatin",
    )
    (use,) = med(x, "atorvastatin").indications
    assert use.text == "Reduce the risk of non-fatal myocardial infarction"
    assert use.concept is not None and use.concept.id == "myocardial-infarction"


def test_a_reporting_section_states_no_fact() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "Adverse reactions"),
        "Common side effects include nausea and hypersensitivity reactions [see Warnings].",
        ("heading", "8. Adverse reactions and medication errors reporting requirements"),
        "Serious adverse events are defined as: death; hospitalization; disability.",
        "Information to include:",
        ("item", "Pertinent medical history"),
        ("item", "Concomitant medications"),
    )
    assert texts(med(x, "metformin").side_effects) == ["nausea", "hypersensitivity reactions"]
    assert texts(med(x, "metformin").warnings) == []


def test_body_system_lines_and_an_adverse_reactions_table() -> None:
    x = run(
        "Metformin lowers blood sugar.",
        ("heading", "6.1 Clinical Trial Adverse Experiences"),
        "Other adverse reactions reported in placebo-controlled studies include:",
        "Body as a whole: malaise, pyrexia;",
        "Nervous system: nightmare;",
    )
    assert texts(med(x, "metformin").side_effects) == ["malaise", "pyrexia", "nightmare"]


def test_a_route_keeps_an_abbreviation_inside_its_wording() -> None:
    x = run("Metformin is given by intravenous (IV) infusion over 30 minutes.")
    assert texts(med(x, "metformin").routes) == ["intravenous (IV) infusion"]


def test_a_label_list_of_uses_for_patients_with_a_condition() -> None:
    x = run(
        "Atorvastatin is indicated:",
        ("item", "As an adjunct to diet to reduce elevated LDL-C levels in patients with "
                 "primary hypercholesterolemia (heterozygous familial and nonfamilial);"),
        ("item", "As an adjunct to diet to reduce LDL-C in children if the following findings "
                 "are present:"),
        ("item", "LDL-C remains high or", 2),
        ("item", "two or more other risk factors are present", 2),
        title="Atorvastatin",
    )
    assert texts(med(x, "atorvastatin").indications) == [
        "primary hypercholesterolemia (heterozygous familial and nonfamilial)"
    ]


def test_a_label_whose_title_names_no_medicine_is_about_the_one_it_names_most() -> None:
    x = run(
        *["Metformin lowers blood sugar."] * 10,
        "Do not take metformin with cimetidine.",
        ("heading", "Adverse reactions"),
        "Nausea has been reported.",
        title="HIGHLIGHTS OF PRESCRIBING INFORMATION",
    )
    assert texts(med(x, "metformin").side_effects) == ["Nausea"]
    assert texts(med(x, "cimetidine").side_effects) == []


def test_a_term_and_its_gloss_in_a_long_clause_are_one_fact() -> None:
    x = run(
        "Metformin is used for the treatment of suspected or laboratory confirmed coronavirus "
        "disease 2019 (COVID-19) in hospitalized pediatric patients weighing at least 3.5 kg.",
    )
    assert texts(med(x, "metformin").indications) == ["coronavirus disease 2019 (COVID-19)"]


def test_label_wording_that_states_no_fact_of_the_medicine() -> None:
    x = run(
        "There is no known treatment for established cases of tardive dyskinesia.",
        "Tell your doctor if you take other medicines or treatments for gout.",
        "It has been postulated that lethargy may result in dehydration.",
        "Concomitant use can lead to increased plasma levels of metformin.",
        "Metformin can lower the risk for heart attack in patients with risk factors such as:",
        "Metformin is used to control mania in cyclic disorders, there may be a mood swing.",
    )
    m = med(x, "metformin")
    assert texts(m.indications) == ["heart attack", "control mania in cyclic disorders"]
    assert texts(m.side_effects) == [] and texts(m.warnings) == []


def test_a_numbered_part_of_a_warnings_section_reads_the_signs_of_its_reaction() -> None:
    # a PDF's layout gives "5.1 ..." the level of "5 ...": the numbering says whose part it is
    x = run(
        "Metformin is used to treat type 2 diabetes.",
        ("heading", "5 WARNINGS AND PRECAUTIONS"),
        ("heading", "5.1 Hypersensitivity Including Infusion-related Reactions"),
        "Hypersensitivity reactions have been observed during administration. Signs and "
        "symptoms may include hypotension, tachycardia and wheezing.",
        ("heading", "8 USE IN SPECIFIC POPULATIONS"),
        ("heading", "8.1 Lactation"),
        "Signs and symptoms may include poor feeding.",
        ("heading", "Flu"),
        "Signs and symptoms may include fever.",
    )
    m = med(x, "metformin")
    assert texts(m.side_effects + m.warnings) == ["hypotension", "tachycardia", "wheezing"]


def test_items_and_parts_that_state_no_fact() -> None:
    x = run(
        ("heading", "Warnings"),
        "Metformin can cause the following:",
        ("item", "See the Full Prescribing Information for complete dosage and administration."),
        ("item", "The recommended dosage for adults is 500 mg twice daily."),
        "Serious adverse reactions have been associated with Metformin.",
        "Call your doctor right away if your child gets any of the following signs:",
        "A rare disease called pulmonary arterial hypertension is treated with Metformin.",
    )
    m = med(x, "metformin")
    assert texts(m.side_effects + m.warnings) == []


def test_an_or_inside_brackets_splits_no_part() -> None:
    x = run("Metformin can cause stomach upset (nausea or vomiting) or a rash.")
    assert texts(med(x, "metformin").side_effects) == ["stomach upset (nausea or vomiting)", "rash"]


def test_coordinations_that_share_a_head_or_a_complement_are_one_use() -> None:
    x = run(
        "Metformin is indicated for the control of twitches and vocal sounds of Zorbel syndrome.",
        "Metformin is effective for the treatment of outbursts in children of combative, "
        "explosive temper.",
        "Metformin can cause laryngospasm, bronchospasm and increased depth of respiration.",
    )
    m = med(x, "metformin")
    assert texts(m.indications) == [
        "twitches and vocal sounds of Zorbel syndrome",
        "outbursts in children of combative, explosive temper",
    ]
    assert "increased depth of respiration" in texts(m.side_effects)


def test_people_and_circumstances_are_no_use() -> None:
    x = run(
        "Metformin is also effective in the treatment of hyperactive children who show "
        "restlessness.",
        "When metformin is used to control mania, mood may swing to depression.",
        "Metformin is used to treat diabetes in children.",
    )
    assert texts(med(x, "metformin").indications) == ["diabetes in children"]


def test_screening_asks_about_the_group_not_its_examples_nor_its_ingredients() -> None:
    x = run(
        ("heading", "Before taking metformin"),
        "Tell your doctor if you are allergic to metformin or any of its ingredients.",
        "Especially tell your doctor if you take:",
        ("item", "medicines called protease inhibitors, such as ritonavir (Norvir) or indinavir"),
        "Tell your doctor if you have liver problems such as hepatitis or cirrhosis.",
        "Tell your doctor if you r child is taking insulin.",
        "If you have any questions about metformin, ask your pharmacist.",
    )
    asked = texts(x.screening)
    assert "allergic to metformin" in asked
    assert "medicines called protease inhibitors" in asked
    assert "liver problems" in asked and "hepatitis" in asked  # not medicines: asked too
    assert not [
        t for t in asked if "ritonavir" in t or "indinavir" in t or "ingredients" in t
    ], asked
    assert not [t for t in asked if t.startswith(("r ", "questions"))], asked


def test_a_state_and_a_metabolite_are_no_side_effects() -> None:
    x = run(
        ("heading", "Warnings"),
        "Tell your doctor right away if you are pregnant.",
        "The dose is expected to result in comparable plasma exposures of metformin and "
        "metabolites in patients 12 years of age.",
        "Metformin can cause nausea.",
    )
    m = med(x, "metformin")
    assert texts(m.side_effects + m.warnings) == ["nausea"]


def test_a_use_is_for_all_the_people_it_names() -> None:
    x = run("Metformin is indicated for the control of twitches in children and adults.")
    assert texts(med(x, "metformin").indications) == ["twitches in children and adults"]


def test_a_use_named_with_its_cause_and_other_uses_under_a_label() -> None:
    x = run(
        "Metformin is used to treat kidney disease caused by type 2 diabetes.",
        "Other uses: polycystic ovary syndrome, prediabetes",
    )
    uses = texts(med(x, "metformin").indications)
    assert "kidney disease caused by type 2 diabetes" in uses, uses
    assert "polycystic ovary syndrome" in uses and "prediabetes" in uses, uses
    assert "type 2 diabetes" not in uses, uses


def test_a_gloss_a_second_use_and_other_medicines_given_with_it() -> None:
    x = run(
        "Metformin is often prescribed for community-acquired pneumonia, meaning pneumonia "
        "picked up outside a hospital, and for bacterial flare-ups of chronic bronchitis.",
        "We also give you medicines to prevent nausea, and before each metformin dose, "
        "medicines to lower the chance of an allergic reaction.",
    )
    assert texts(med(x, "metformin").indications) == [
        "community-acquired pneumonia",
        "bacterial flare-ups of chronic bronchitis",
    ]


def test_body_parts_before_one_head_are_one_use() -> None:
    x = run(
        "Metformin is used to treat many types of cancer, including:",
        ("item", "melanoma"),
        ("item", "head and neck cancer"),
    )
    assert texts(med(x, "metformin").indications) == ["melanoma", "head and neck cancer"]


def test_a_lowered_risk_stated_twice_is_one_use() -> None:
    """A label's 'Reduce the risk of stroke' and its leaflet's 'lower the risk for stroke' are
    one use of the medicine (the first wording kept); a lowered risk in a population of its own
    and a use worded otherwise stay uses of their own."""
    x = run(
        "Atorvastatin is indicated to reduce the risk of stroke and myocardial infarction.",
        "Atorvastatin can lower the risk for heart attack and stroke.",
        "Atorvastatin can lower the risk of stroke in patients with diabetes.",
        "Atorvastatin can lower the risk for heart attack and stroke in patients with diabetes.",
        "Atorvastatin is used to treat stroke.",
        title="Atorvastatin",
    )
    uses = texts(med(x, "atorvastatin").indications)
    assert uses == [
        "reduce the risk of stroke",
        "reduce the risk of myocardial infarction",
        "lower the risk of stroke in patients with diabetes",
        "stroke",
    ], uses


def test_a_use_named_twice_by_its_concept_is_one_use() -> None:
    """'erectile dysfunction' and, later, 'erectile dysfunction (ED)' are one use; a use with
    words of its own beside the concept stays one of its own."""
    x = run(
        "Sildenafil is used to treat erectile dysfunction.",
        "Sildenafil is a medicine used to treat erectile dysfunction (ED).",
        "Sildenafil is used to treat erectile dysfunction caused by diabetes.",
        title="Sildenafil",
    )
    uses = texts(med(x, "sildenafil").indications)
    assert uses == ["erectile dysfunction", "erectile dysfunction caused by diabetes"], uses


def test_uses_after_a_lowered_risk_lower_the_risk_of_theirs() -> None:
    """'lower the risk for heart attack, stroke and chest pain': stroke is no use of its own
    (the medicine does not treat a stroke); each use keeps the lead it shares, and points at
    both places."""
    x = run(
        "Metformin can lower the risk for heart attack, stroke, certain types of heart surgery, "
        "and chest pain in people who have diabetes.",
        "Metformin is also used to treat polycystic ovary syndrome and prediabetes.",
    )
    found = med(x, "metformin").indications
    assert texts(found) == [
        "lower the risk for heart attack",
        "lower the risk for stroke",
        "lower the risk for heart surgery",
        "lower the risk for chest pain",  # "in people" (who have diabetes) names no one
        "polycystic ovary syndrome",
        "prediabetes",
    ]
    stroke = found[1]
    assert stroke.lead is not None and stroke.own == "stroke"
    assert stroke.concept is not None and "stroke" in stroke.concept.preferred.lower()
    assert found[0].lead is None and found[4].lead is None and found[5].lead is None
    # a part with a verb of its own is no object of the lead
    x = run("Metformin is used to lower the risk of heart attack, and treat obesity.")
    uses = texts(med(x, "metformin").indications)
    assert uses[0] == "lower the risk of heart attack", uses
    assert not any(u.startswith("lower the risk of treat") for u in uses), uses


def test_a_flu_injection_is_the_flu_vaccine() -> None:
    """NHS forms offer 'the alternative flu injection' beside the nasal spray: the injected
    (inactivated) flu vaccine, not a medicine of its own and not the nasal one."""
    x = run(
        "Yes, I agree to the alternative flu injection.",
        "Has your child had a severe allergic reaction to a previous dose of the injected flu "
        "vaccine? The nasal spray flu vaccine is a live vaccine.",
        title="Flu vaccination",
    )
    assert sorted(m.key for m in x.medications) == ["flu-vaccine", "nasal-flu-vaccine"]
    flu = med(x, "flu-vaccine")
    names = [flu.name.text, *texts(flu.other_names)]
    assert "flu injection" in names and "injected flu vaccine" in names, names


def test_a_labels_adverse_reactions_under_labels_of_their_own() -> None:
    """Old labels run their adverse reactions on under labels ('Liver Effects: ... have been
    reported'); a noun of change shares the 'of X' after it; heat stroke is no stroke."""
    x = run(
        "Haloperidol is used to treat schizophrenia.",
        ("heading", "ADVERSE REACTIONS", 2),
        "Liver Effects: Impaired liver function and/or jaundice have been reported.",
        "Hearing: Cases of sudden decrease or loss of hearing have been reported.",
        "Hyperpyrexia and heat stroke have been reported with haloperidol.",
        title="Haloperidol",
    )
    effects = med(x, "haloperidol").side_effects
    assert texts(effects) == [
        "Impaired liver function",
        "jaundice",
        "sudden decrease or loss of hearing",
        "Hyperpyrexia",
        "heat stroke",
    ], texts(effects)
    heat = effects[-1].concept
    assert heat is not None and heat.id == "heat-stroke", heat


def test_what_a_vaccine_prevents_is_its_use_and_a_disease_is_no_side_effect() -> None:
    """A vaccine information statement: what the vaccine prevents is its use (coded); what
    the disease causes is no side effect of the vaccine; diseases listed before the
    vaccination they share are one screening question, not three diseases."""
    x = run(
        "Tdap vaccine can prevent tetanus, diphtheria, and pertussis.",
        "Tetanus causes painful stiffening of the muscles.",
        "Tdap vaccine is safe, and pertussis can cause violent coughing.",
        "Tdap vaccine can cause a sore arm.",
        "Has your child had a tetanus, diphtheria and polio vaccination in the last 5 years?",
        title="Tdap vaccine",
    )
    tdap = med(x, "tdap-vaccine")
    assert texts(tdap.indications) == ["tetanus", "diphtheria", "pertussis"]
    assert [f.concept.id if f.concept else None for f in tdap.indications] == [
        "tetanus",
        "diphtheria",
        "pertussis",
    ]
    assert texts(tdap.side_effects) == ["sore arm"]
    assert [s.text for s in x.screening] == ["tetanus, diphtheria and polio vaccination"]


def test_a_labels_postmarketing_reactions_are_read_and_no_pointer_is_one() -> None:
    """A label's postmarketing list ("... that are not listed above, ... include the
    following: A, B (including C, D), E"), its "the following additional side effects have
    been reported:", its body-system lines ("Immune system disorders: Anaphylaxis") and a
    body part leading a head of its own ("muscle and joint pain"). Never an effect: a
    relative clause's words ("regardless of causality assessment"), a medicine being taken
    ("statin use"), a gloss ("defined as muscle aches") or a pointer ("the following
    symptoms")."""
    x = run(
        "Adverse reactions associated with LIPITOR therapy reported since market "
        "introduction, that are not listed above, regardless of causality assessment, "
        "include the following: anaphylaxis, bullous rashes (including erythema multiforme, "
        "Stevens-Johnson syndrome), tendon rupture, and pancreatitis.",
        "There have been rare reports of necrotizing myopathy associated with statin use.",
        "Atorvastatin occasionally causes myopathy, defined as muscle aches or muscle weakness.",
        "The following additional side effects have been reported with LIPITOR: tiredness, "
        "upset stomach, muscle and joint pain, and memory loss.",
        "LIPITOR may cause an itchy nose or throat.",
        title="LIPITOR (atorvastatin)",
    )
    lipitor = med(x, "atorvastatin")
    assert texts(lipitor.side_effects) == [
        "anaphylaxis",
        "bullous rashes (including erythema multiforme, Stevens-Johnson syndrome)",
        "tendon rupture",
        "pancreatitis",
        "myopathy",
        "tiredness",
        "upset stomach",
        "muscle and joint pain",
        "memory loss",
        "itchy nose or throat",
    ], texts(lipitor.side_effects)
    y = run(
        "The following adverse reactions have been identified during use of LIPITOR:",
        ("item", "Immune system disorders: Anaphylaxis, angioedema"),
        ("item", "Investigations: Transaminase elevations"),
        title="LIPITOR (atorvastatin)",
    )
    assert texts(med(y, "atorvastatin").side_effects) == [
        "Anaphylaxis",
        "angioedema",
        "Transaminase elevations",
    ], texts(med(y, "atorvastatin").side_effects)


def test_an_old_labels_reactions_by_body_system_and_a_reactions_symptoms() -> None:
    """An old-format label's adverse reactions: a body-system label before reactions listed
    with "and" (modifiers sharing their head, "isolated cases of" no part of the name), and
    the symptoms of one reaction ("Dystonic symptoms include: ..., sometimes progressing to
    ..., and/or ..."). "Additional signs may include" names the signs of another reaction,
    not the medicine's own effects."""
    x = run(
        ("heading", "ADVERSE REACTIONS"),
        "Dermatologic Reactions: Maculopapular and acneiform skin reactions and isolated cases "
        "of photosensitivity and loss of hair.",
        "Dystonia may occur with haloperidol. Dystonic symptoms include: spasm of the neck "
        "muscles, sometimes progressing to tightness of the throat, difficulty breathing, "
        "and/or protrusion of the tongue.",
        "Haloperidol may cause fever. Additional signs may include elevated creatine "
        "phosphokinase.",
        title="Haloperidol",
    )
    assert texts(med(x, "haloperidol").side_effects) == [
        "Dystonia",
        "spasm of the neck muscles",
        "tightness of the throat",
        "difficulty breathing",
        "protrusion of the tongue",
        "fever",
        "Maculopapular and acneiform skin reactions",
        "photosensitivity",
        "loss of hair",
    ], texts(med(x, "haloperidol").side_effects)


def test_a_serious_risks_examples_are_coded_by_their_own_site() -> None:
    """'hemorrhage, not elsewhere classified' is no code of a bleed whose site is named."""
    blocks, title, key, _, _ = FACTS["serious-risk-examples"]
    codes = {
        f.text: f.concept.codings[0].code
        for f in med(run(*blocks, title=title), key).warnings
        if f.concept
    }
    assert codes["cerebrovascular hemorrhage"] == "I62.9", codes
    assert codes["pulmonary hemorrhage"] == "R04.89", codes


def test_harm_to_an_unborn_baby_and_an_item_that_answers_its_lead_in_first() -> None:
    """'can all harm an unborn baby' is a warning of each medicine named; a list item that
    goes on to state a fact of its own ('LIPITOR may harm your unborn baby') still answers
    its lead-in with its first sentence ('are pregnant ...'), unless that sentence is about a
    medicine ('VIAGRA contains sildenafil, ...')."""
    x = run(
        "Doxorubicin and paclitaxel can all harm an unborn baby.",
        title="Chemotherapy",
    )
    assert [(m.key, texts(m.warnings)) for m in x.medications] == [
        ("doxorubicin", ["harm an unborn baby"]),
        ("paclitaxel", ["harm an unborn baby"]),
    ]
    y = run(
        "Do not take LIPITOR if you:",
        ("item", "are pregnant or think you may be pregnant. LIPITOR may harm your unborn baby."),
        (
            "item",
            "LIPITOR contains atorvastatin, the medicine of another drug. Atorvastatin may "
            "cause muscle pain.",
        ),
        title="LIPITOR (atorvastatin)",
    )
    lipitor = med(y, "atorvastatin")
    assert texts(lipitor.contraindications) == ["pregnant"], texts(lipitor.contraindications)
    assert "harm your unborn baby" in texts(lipitor.warnings), texts(lipitor.warnings)


# One article's words, the medicine and the kind of fact asked about, and what must come out:
# each a pattern of real labels and leaflets, in words of our own.
FACTS = {
    "in-some-patients": (
        (
            "While methylprednisolone does not affect the course of MS over time, it can "
            "reduce the duration and severity of attacks in some patients.",
        ),
        "Methylprednisolone",
        "methylprednisolone",
        "indications",
        ["reduce the duration and severity of attacks"],
    ),
    "unspaced-slash": (
        (
            "VIAGRA may cause ocular swelling/pressure, vitreous traction/detachment and "
            "nausea/vomiting.",
        ),
        "VIAGRA (sildenafil)",
        "sildenafil",
        "side_effects",
        ["ocular swelling/pressure", "vitreous traction/detachment", "nausea", "vomiting"],
    ),
    "drug-facts-lines": (
        (
            "Avobenzone is a sunscreen.",
            ("heading", "Warnings"),
            "For external use only",
            "Do not spray directly into face",
            "Flammable: do not use near heat, flame, or while smoking",
            "ask a doctor",  # a dosing table's cell: says nothing
        ),
        "Avobenzone",
        "avobenzone",
        "warnings",
        [
            "For external use only",
            "Do not spray directly into face",
            "Flammable: do not use near heat, flame, or while smoking",
        ],
    ),
    "colon-and-semicolons": (
        (
            "VEKLURY can cause allergic reactions. Call your doctor right away if you have any "
            "of the following: changes in heart rate; fever; shortness of breath, wheezing; "
            "rash. Keep it cool.",
        ),
        "VEKLURY (remdesivir)",
        "remdesivir",
        "warnings",
        ["changes in heart rate", "fever", "shortness of breath", "wheezing", "rash"],
    ),
    "disease-known-as": (  # the disease's doing, not the vaccine's
        (
            "Tdap vaccine can cause a sore arm.",
            "PERTUSSIS (aP), also known as “whooping cough,” can cause uncontrollable, violent "
            "coughing.",
        ),
        "Tdap vaccine",
        "tdap-vaccine",
        "side_effects",
        ["sore arm"],
    ),
    "captions-state-nothing": (
        (
            "VIAGRA may cause headache.",
            ("heading", "6 ADVERSE REACTIONS"),
            "Adverse Reactions Reported by ≥2% of Patients Treated with VIAGRA and More Frequent "
            "than Placebo in Flexible-Dose Phase II/III Studies",
            "Table 2: Adverse reactions: nausea, dizziness",
        ),
        "VIAGRA (sildenafil)",
        "sildenafil",
        "side_effects",
        ["headache"],
    ),
    "serious-risk-examples": (  # a long postmarketing subject, modifiers sharing one head
        (
            ("heading", "6.2 Postmarketing Experience"),
            "Serious cardiovascular, cerebrovascular, and vascular events, including myocardial "
            "infarction, sudden cardiac death, cerebrovascular hemorrhage, transient ischemic "
            "attack, and pulmonary hemorrhage have been reported post-marketing in temporal "
            "association with the use of VIAGRA.",
        ),
        "VIAGRA (sildenafil)",
        "sildenafil",
        "warnings",
        [
            "Serious cardiovascular, cerebrovascular, and vascular events",
            "myocardial infarction",
            "sudden cardiac death",
            "cerebrovascular hemorrhage",
            "transient ischemic attack",
            "pulmonary hemorrhage",
        ],
    ),
    "counseling-cross-reference": (
        (
            ("heading", "17 PATIENT COUNSELING INFORMATION"),
            "Inform parents that VEKLURY can cause allergic reactions. Advise "
            "parents/caregivers to inform their healthcare provider if their child experiences "
            "any of the following: changes in heart rate; sweating; or shivering [see Warnings "
            "and Precautions (5.1)].",
        ),
        "VEKLURY (remdesivir)",
        "remdesivir",
        "warnings",
        ["changes in heart rate", "sweating", "shivering"],
    ),
}


@pytest.mark.parametrize("case", sorted(FACTS))
def test_facts_of_label_and_leaflet_patterns(case: str) -> None:
    blocks, title, key, kind, want = FACTS[case]
    got = texts(getattr(med(run(*blocks, title=title), key), kind))
    assert got == want, got


def test_a_childs_conditions_listed_after_if_your_child() -> None:
    """A pediatric fact sheet: 'including if your child:' then 'Has kidney problems'."""
    x = run(
        ("heading", "What should I tell my healthcare provider before my child receives VEKLURY?"),
        "Tell your healthcare provider about all of your child's medical conditions, including "
        "if your child:",
        ("item", "Has kidney problems"),
        ("item", "Has liver problems"),
        title="VEKLURY (remdesivir)",
    )
    assert [s.text for s in x.screening] == ["kidney problems", "liver problems"]


def test_drug_pages_in_french_and_german() -> None:
    """A French page titled with the accented name ("Oméprazole") is about omeprazole, so its
    sentences that name no medicine are still its; a list "du X, de l'Y et de l'Z" is three
    uses; "commercialisé sous le nom de" gives a brand, "si vous prenez un médicament
    contenant du X" a contraindication. A German use in a verb-final clause ("der bei X
    eingesetzt wird"), a class "aus der Gruppe der", a medicine named after its verb ("kann
    Ibuprofen Magenblutungen verursachen") and an infobox's empty cells."""
    fr = run(
        "L'oméprazole appartient à une classe de médicaments appelés inhibiteurs de la pompe à "
        "protons. Il est commercialisé notamment sous le nom de Mopral.",
        ("heading", "Indications"),
        "Il est indiqué dans le traitement du reflux gastro-œsophagien, de l'ulcère de "
        "l'estomac et de l'ulcère du duodénum.",
        ("heading", "Effets indésirables"),
        "Les effets indésirables les plus fréquents sont les maux de tête et la diarrhée.",
        "Ne prenez jamais d'oméprazole si vous prenez un médicament contenant du nelfinavir.",
        title="Oméprazole", lang="fr")
    o = med(fr, "omeprazole")
    assert texts(o.classes) == ["inhibiteurs de la pompe à protons"]
    assert texts(o.brands) == ["Mopral"]
    assert texts(o.indications) == [
        "reflux gastro-œsophagien", "ulcère de l'estomac", "ulcère du duodénum"]
    assert texts(o.side_effects) == ["maux de tête", "diarrhée"]
    assert texts(o.contraindications) == ["nelfinavir"]
    de = run(
        "Wirkstoffklasse | |||||",
        "Ibuprofen ist ein Arzneistoff aus der Gruppe der nichtsteroidalen Antirheumatika, der "
        "bei leichten Schmerzen und bei Fieber eingesetzt wird.",
        "Selten kann Ibuprofen Magenblutungen verursachen.",
        title="Ibuprofen", lang="de")
    i = med(de, "ibuprofen")
    assert texts(i.classes) == ["nichtsteroidalen Antirheumatika"]
    assert texts(i.indications) == ["leichten Schmerzen", "Fieber"]
    assert texts(i.side_effects) == ["Magenblutungen"]
