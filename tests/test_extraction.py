"""Extraction on small articles written for each behaviour."""

from __future__ import annotations

from fhir_export.extraction import extract
from fhir_export.model import BlockKind, Extraction, Medication, RawBlock, RawDocument, SourceHints
from fhir_export.segmentation import segment
from fhir_export.terminology import default_lexicon


def run(*blocks: str | tuple[str, str], title: str = "A Guide To Treatment") -> Extraction:
    raw: list[RawBlock] = [RawBlock(kind=BlockKind.HEADING, text=title, level=1)]
    for block in blocks:
        if isinstance(block, tuple):
            kind, text = block
            raw.append(RawBlock(kind=BlockKind(kind), text=text, level=1 if kind == "item" else 2,
                                cells=tuple(text.split(" | ")) if kind == "row" else (),
                                header=kind == "row" and text.startswith("Generic")))
        else:
            raw.append(RawBlock(kind=BlockKind.PARAGRAPH, text=block))
    doc = RawDocument(path="t.html", name="t.html", media_type="text/html", charset="utf-8",
                      raw=b"", blocks=tuple(raw))
    return extract(segment(doc), default_lexicon())


def med(x: Extraction, key: str) -> Medication:
    (found,) = [m for m in x.medications if m.key == key]
    return found


def texts(findings: tuple) -> list[str]:  # type: ignore[type-arg]
    return [f.text for f in findings]


def test_generic_brand_pairs_and_unknown_medicine() -> None:
    # a made-up name with a real INN stem (-zumab): no lexicon knows it
    x = run("Velmarizumab (Velmara) is used to treat mantle cell lymphoma.",
            "Rituximab (Rituxan) is a monoclonal antibody.")
    velma = med(x, "velmarizumab")
    assert velma.concept is None and texts(velma.brands) == ["Velmara"]
    assert texts(velma.indications) == ["mantle cell lymphoma"]
    assert texts(med(x, "rituximab").classes) == ["monoclonal antibody"]
    assert {f.text for f in x.unmapped} >= {"Velmarizumab"}


def test_brand_names_list() -> None:
    x = run("Adalimumab is sold under the brand names: Humira, Hadlima.")
    assert texts(med(x, "adalimumab").brands) == ["Humira", "Hadlima"]


def test_negation_and_hedging_are_not_facts() -> None:
    x = run("Trastuzumab is not used to treat HER2-negative breast cancer.",
            "Hair loss is rarely caused by trastuzumab.",
            "Trastuzumab has not been shown to cause hair loss.",
            "Trastuzumab may cause nausea and possibly dizziness.")
    t = med(x, "trastuzumab")
    assert texts(t.indications) == []
    assert texts(t.side_effects) == ["nausea"]


def test_anaphora_carries_the_subject() -> None:
    x = run("Rituximab (Rituxan) is a monoclonal antibody. It is used to treat "
            "non-Hodgkin's lymphoma. This treatment is also used for autoimmune conditions, "
            "such as rheumatoid arthritis, that are not responding.")
    assert texts(med(x, "rituximab").indications) == ["non-Hodgkin's lymphoma",
                                                      "rheumatoid arthritis"]


def test_stripped_list_stays_empty() -> None:
    x = run("Interferons have been used to treat:", "Examples of anti-TNF medications include:")
    assert all(not m.indications for m in x.medications)
    assert x.screening == ()


def test_list_lead_in_gives_items_their_kind() -> None:
    x = run("Adalimumab is used to treat:", ("item", "moderate to severe rheumatoid arthritis"),
            ("item", "Crohn's disease"), "Common side effects of adalimumab include:",
            ("item", "headache"), ("item", "rash"))
    a = med(x, "adalimumab")
    assert texts(a.indications) == ["moderate to severe rheumatoid arthritis", "Crohn's disease"]
    assert [f.concept.id for f in a.indications if f.concept] == ["rheumatoid-arthritis",
                                                                  "crohns-disease"]
    assert texts(a.side_effects) == ["headache", "rash"]


def test_serious_side_effects_are_warnings() -> None:
    x = run("Some people using adalimumab have developed serious infections, including "
            "tuberculosis (TB).")
    a = med(x, "adalimumab")
    assert texts(a.warnings) == ["serious infections", "tuberculosis (TB)"]
    assert a.side_effects == ()


def test_screening_items_grouped_under_their_therapy() -> None:
    x = run("Before treatment with interferon, your doctor will check a few things.",
            "Your doctor also will ask about any history of depression or other psychiatric "
            "problems.",
            "Tell your doctor if you have ever had:", ("item", "hepatitis B"),
            ("item", "heart failure or an irregular heartbeat"))
    assert [(f.text, f.group) for f in x.screening] == [
        ("history of depression or other psychiatric problems", "interferons"),
        ("hepatitis B", "interferons"), ("heart failure", "interferons"),
        ("irregular heartbeat", "interferons")]


def test_routes_only_when_tied_to_a_medicine() -> None:
    x = run("Some immunotherapies are given as intravenous (IV) infusions.",
            "Adalimumab is given as an injection under the skin.")
    assert texts(med(x, "adalimumab").routes) == ["injection under the skin"]
    assert med(x, "adalimumab").routes[0].concept.id == "subcutaneous"  # type: ignore[union-attr]


def test_class_named_as_a_class_is_not_a_medicine() -> None:
    x = run("Adalimumab is a tumor necrosis factor (TNF) blocker.",
            "Lymphoma has been reported in children treated with TNF blockers.")
    assert [m.key for m in x.medications] == ["adalimumab"]


def test_class_word_said_to_work_is_a_medicine_the_article_discusses() -> None:
    # a class word with no fact of its own stands when its sentence says it works for patients
    # or names it as a kind of medicine; named in passing, it does not
    x = run("Itching is common in kidney failure. Phosphate binders seem to help some people.",
            "The strongest pain relievers are opioids.",
            "While steroids do not change the disease, they can reduce the length of attacks.")
    assert {"phosphate-binders", "opioids", "corticosteroids"} <= {m.key for m in x.medications}
    x = run("Phosphate binders and steroids are discussed in another leaflet.")
    assert x.medications == ()


def test_medicine_said_to_help_helps_with_its_heading_condition() -> None:
    # "Itching (Pruritus)" is a line that reads as a heading; "seem to help" has no object
    x = run("Itching (Pruritus)", "Many people on dialysis have itchy skin.",
            "Hydroxyzine seems to help some people; it works like a sponge.",
            title="Living With Kidney Failure")
    assert texts(med(x, "hydroxyzine").indications) == ["Itching (Pruritus)"]
    x = run("Sleep Problems", "Hydroxyzine may help you sleep.", title="Living With Kidney Failure")
    assert not any(m.indications for m in x.medications)


def test_medicines_listed_after_a_condition_word_are_for_it() -> None:
    x = run("There are two main kinds of pain medicines: acetaminophen (Tylenol) and ibuprofen.")
    assert texts(med(x, "acetaminophen").indications) == ["pain"]
    assert texts(med(x, "ibuprofen").indications) == ["pain"]


def test_a_long_use_names_the_condition_of_the_people_it_is_for() -> None:
    x = run("Natalizumab was shown to reduce the frequency of attacks in people with relapsing "
            "forms of MS and was approved in 2004.")
    assert texts(med(x, "natalizumab").indications) == ["relapsing forms of MS"]


def test_a_sentence_ending_in_an_upper_case_abbreviation_ends() -> None:
    # "MS." is no "Ms.": the next sentence speaks of its own medicine
    x = run("Mitoxantrone is approved for the treatment of advanced MS. The FDA has also "
            "approved dalfampridine to improve walking in people with MS.")
    assert texts(med(x, "dalfampridine").indications) == ["improve walking in people with MS"]
    assert texts(med(x, "mitoxantrone").indications) == ["advanced MS"]


def test_amounts_pointers_and_dosing_sections_state_no_use() -> None:
    x = run("Allopurinol is used to treat gout. Allopurinol can cause a fever of 100.4°F (38°C) or "
            "higher.", ("heading", "Dosing"),
            "Allopurinol is used for infusion volumes less than 50 mL and for 100 mg doses.",
            "Allopurinol can cause rash [see Warnings and Precautions (5.1)].")
    allopurinol = med(x, "allopurinol")
    assert texts(allopurinol.indications) == ["gout"]
    assert "fever of 100.4°F (38°C)" in texts(allopurinol.side_effects + allopurinol.warnings)
    assert not any(f.text in ("higher", "100 mg") or "(5.1)" in f.text
                   for f in allopurinol.side_effects + allopurinol.warnings)


def test_table_columns() -> None:
    x = run(("row", "Generic name | Brand name | Given by | Used for"),
            ("row", "rituximab | Rituxan | intravenous (IV) infusion | non-Hodgkin lymphoma; "
                    "chronic lymphocytic leukemia"))
    r = med(x, "rituximab")
    assert texts(r.brands) == ["Rituxan"]
    assert [f.concept.id for f in r.routes if f.concept] == ["intravenous"]
    assert texts(r.indications) == ["non-Hodgkin lymphoma", "chronic lymphocytic leukemia"]


def test_article_naming_no_medicine() -> None:
    x = run("Knee arthroscopy is a type of surgery. Your surgeon will tell you which of your "
            "usual medicines to take. You may have general anesthesia.", title="Knee Surgery")
    assert x.medications == () and x.screening == ()


def test_every_fact_points_at_its_own_words() -> None:
    text = "Rituximab (Rituxan) is used to treat chronic lymphocytic leukemia."
    x = run(text)
    r = med(x, "rituximab")
    for f in (r.name, *r.brands, *r.indications):
        assert f.span.end > f.span.start and f.sentence.start <= f.span.start


def test_brand_first_then_unknown_generic_in_brackets() -> None:
    x = run("Ocrevus (ocrelizumab) is used to treat multiple sclerosis.")
    assert texts(med(x, "ocrelizumab").brands) == ["Ocrevus"]


def test_also_known_as_and_key_value_lines() -> None:
    x = run("Velmarizumab is also known as Velmara.", "Route: Oral",
            "Common uses: mantle cell lymphoma, marginal zone lymphoma")
    z = med(x, "velmarizumab")
    assert texts(z.brands) == ["Velmara"]
    assert [f.concept.id for f in z.routes if f.concept] == ["oral"]
    assert texts(z.indications) == ["mantle cell lymphoma", "marginal zone lymphoma"]


def test_monitoring_during_treatment_but_not_screening_before_it() -> None:
    x = run("Before you start adalimumab, you will have a blood test for hepatitis B.",
            "During treatment you will need regular blood tests to check your liver.")
    assert texts(med(x, "adalimumab").monitoring) == [
        "regular blood tests to check your liver"]


def test_other_languages_get_their_own_patterns_not_englishs() -> None:
    doc = RawDocument(path="t.html", name="t.html", media_type="text/html", charset="utf-8",
                      raw=b"", blocks=(
                          RawBlock(kind=BlockKind.HEADING, text="Grippe", level=1),
                          RawBlock(kind=BlockKind.PARAGRAPH, text=(
                              "Oseltamivir (Tamiflu) wird zur Behandlung der Grippe eingesetzt "
                              "und kann Übelkeit und Kopfschmerzen verursachen. Sie ist mit "
                              "der Einnahme nicht einfach, aber die meisten Patienten sind bei "
                              "der Behandlung mit dem Medikament zufrieden.")),
                      ))
    x = extract(segment(doc), default_lexicon())
    (o,) = x.medications
    assert o.key == "oseltamivir" and texts(o.brands) == ["Tamiflu"]
    # rules/de/prose.toml reads "zur Behandlung der Grippe" and "kann X und Y verursachen"
    # (the verb at the end is a break); no English pattern runs on the rest
    assert texts(o.indications) == ["Grippe"]
    assert texts(o.side_effects) == ["Übelkeit", "Kopfschmerzen"]
    assert o.warnings == ()


def test_warning_lead_ins_real_leaflets_use() -> None:
    x = run(
        "Methotrexate is used to treat rheumatoid arthritis.",
        "Contact the rheumatology team right away if you have:",
        ("item", "yellowing of your skin or eyes"),
        ("item", "a new rash on your cheeks or arms"),
        "Call the 24-hour line right away if you have a fever or shaking chills.",
        "Stop use and ask a doctor if",
        ("item", "slurred speech"),
        "Visit your doctor immediately if you experience any of the following very rare,"
        " severe side effects:",
        ("item", "diabetic ketoacidosis (high levels of ketones in your blood or urine)"),
        "People should get medical help right away for fainting.",
        "Stop taking methotrexate and get help right away if you:",
        ("item", "are vomiting blood"),
        "Call the 24-hour oncology line right away, even at night, if you have:",
        ("item", "a new or worse cough"),
    )
    warnings = texts(med(x, "methotrexate").warnings)
    # "your" is not a clause; a long gloss in brackets is left out of the name; "very rare"
    # and "severe side effects" are no findings
    assert warnings == [
        "yellowing of your skin or eyes",
        "rash",
        "fever",
        "shaking chills",
        "slurred speech",
        "diabetic ketoacidosis",
        "fainting",
        "vomiting blood",
        "new or worse cough",
    ]


def test_or_inside_the_object_of_a_preposition_does_not_split() -> None:
    from fhir_export.extraction.phrases import parts

    def split(text: str) -> list[str]:
        return [text[s:e] for s, e in parts(text, 0, len(text), split_or=True)]

    assert split("a new rash on your cheeks or arms") == ["new rash on your cheeks or arms"]
    assert split("pain or swelling in one leg") == ["pain", "swelling in one leg"]
    assert split("fever or chills") == ["fever", "chills"]


def test_health_questions_of_a_consent_form() -> None:
    """A form's health questions, set as headings or as sentences, are screening questions;
    "Do you have any questions?" is not one."""
    x = run(("heading", "Health questions"),
            ("heading", "Does your child have a bleeding disorder?"),
            "Yes No",
            "Has your child ever had a severe allergic reaction to gelatine? It is in some foods.",
            ("heading", "Do you have asthma?"),
            ("heading", "Do you have any questions?"),
            title="Zentrex vaccination consent form")
    assert [f.text for f in x.screening] == [
        "bleeding disorder", "severe allergic reaction to gelatine", "asthma"]


def test_the_condition_comes_first() -> None:
    x = run("People with type 1 diabetes need to take a medicine called insulin.",
            "If you have gout, you may need to take allopurinol.",
            "People with asthma should take care in cold weather.")
    assert texts(med(x, "insulins").indications) == ["type 1 diabetes"]
    assert texts(med(x, "allopurinol").indications) == ["gout"]
    doc = RawDocument(path="t.txt", name="t.txt", media_type="text/plain", charset="utf-8",
                      raw=b"", blocks=(
                          RawBlock(kind=BlockKind.HEADING, text="La diabetes", level=1),
                          RawBlock(kind=BlockKind.PARAGRAPH, text=(
                              "Si tiene diabetes tipo 1, tendrá que tomar insulina. Si tiene "
                              "preguntas, hable con su médico.")),
                      ), hints=SourceHints(language="es"))
    es = extract(segment(doc), default_lexicon())
    assert texts(med(es, "insulins").indications) == ["diabetes tipo 1"]


def test_a_lone_noun_shares_the_modifier_before_it() -> None:
    x = run("Metoclopramide tablets can cause involuntary muscle spasms or movements.",
            "Metoclopramide tablets can also cause a slow heartbeat or seizures.",
            title="Metoclopramide")
    # "movements" names nothing alone; "seizures" does
    assert texts(med(x, "metoclopramide").side_effects) == [
        "involuntary muscle spasms or movements", "slow heartbeat", "seizures"]


def test_vaccines_route_adjectives_and_citations() -> None:
    x = run("Live vaccines must not be given with infliximab. Examples include the MMR vaccine "
            "and the oral typhoid vaccine. We advise the yearly flu jab.",
            "Moro PL, Perez-Vilar S, Lewis P. Safety of hepatitis B vaccine. Pediatrics. 2018.")
    assert {"mmr-vaccine", "typhoid-vaccine", "flu-vaccine"} <= {m.key for m in x.medications}
    # "oral" is the typhoid vaccine's own adjective, not the clause subject's
    assert texts(med(x, "typhoid-vaccine").routes) == ["oral"]
    assert med(x, "mmr-vaccine").routes == ()
    # a cited study's medicine is not the article's
    assert "hepatitis-b-vaccine" not in {m.key for m in x.medications}


def test_what_a_treatment_reduces_and_the_risk_factors_it_is_given_for() -> None:
    x = run("Atorvastatin can reduce the risk of fatal and non-fatal stroke.",
            "Atorvastatin is given to adults who have several risk factors such as:",
            ("item", "smoking"), ("item", "high blood pressure"), title="Atorvastatin")
    # the verb stays in the fact; "fatal and non-fatal" share their head; risk factors are
    # not what the medicine treats
    assert texts(med(x, "atorvastatin").indications) == [
        "reduce the risk of fatal and non-fatal stroke"]


def test_other_names_the_article_uses() -> None:
    x = run("Dalfampridine (Ampyra) improves walking. Aminopyridine may also reduce fatigue.",
            "Dalfampridine tablets are taken twice a day.")
    # another wording of one medicine is kept (as MedicationKnowledge.synonym); the same
    # wording in another case is not, and a brand is a brand
    assert texts(med(x, "dalfampridine").other_names) == ["Aminopyridine"]
    assert texts(med(x, "dalfampridine").brands) == ["Ampyra"]


def test_a_vaccine_is_named_by_the_product_not_the_act() -> None:
    # the first mention names the act ("the flu vaccination"); the medicine is the vaccine
    x = run("Do you agree to your child having the flu vaccination?",
            "Yes, I agree to the alternative flu injection.")
    flu = med(x, "flu-vaccine")
    assert flu.name.text == "flu injection"
    assert "flu vaccination" in texts(flu.other_names)
    # only ever named by the act: that stays its name
    y = run("Do you agree to your child having the flu vaccination?")
    assert med(y, "flu-vaccine").name.text == "flu vaccination"


def test_a_forms_catch_all_question_is_asked_but_is_no_fact() -> None:
    x = run(("heading", "Health questions"),
            "Does your child have any other medical conditions the immunisation team should be "
            "aware of?",
            "Aspirin is used to treat other medical conditions.")
    assert [f.text for f in x.screening] == ["other medical conditions"]
    assert all(not m.indications for m in x.medications)


def test_a_term_before_a_head_of_another_kind_gives_no_code() -> None:
    # a test, a medicine or a disorder named after a condition is not that condition
    x = run("Especially tell your doctor if you take any of the following:",
            ("item", "medicines called HIV protease inhibitors"),
            "Tell your doctor if you have a bleeding disorder.",
            "Tell your doctor if you have had a tuberculosis skin test.")
    asked = {f.text: f.concept for f in x.screening}
    assert asked == {"medicines called HIV protease inhibitors": None,
                     "bleeding disorder": None, "tuberculosis skin test": None}
    # in a clause too long to be one part, only what the lexicon knows is read: not the HIV of
    # "HIV protease inhibitors"
    y = run("Tell your doctor if you take medicines called HIV protease inhibitors, if you have "
            "a bleeding disorder, or if you have had a tuberculosis skin test.")
    assert "HIV" not in [f.text for f in y.screening]


def test_a_medicine_taken_for_a_condition_is_not_the_condition() -> None:
    x = run("Tell your doctor if you are taking any other medicines, including medicines for "
            "fungal infections or HIV infection.")
    ((text, concept),) = [(f.text, f.concept) for f in x.screening]
    assert (text, concept) == ("medicines for fungal infections or HIV infection", None)


def test_what_a_lead_in_rules_out_is_its_medicines_and_not_the_taking() -> None:
    x = run(("heading", "Who should not take Viagra?"), "Do not take Viagra if you:",
            ("item", "take medicines called nitrates (such as nitroglycerin)"),
            ("item", 'use street drugs called "poppers" such as amyl nitrite'),
            title="Viagra (sildenafil)")
    assert texts(med(x, "sildenafil").contraindications) == [
        "medicines called nitrates (such as nitroglycerin)", 'street drugs called "poppers"']
    assert all(not m.contraindications for m in x.medications if m.key != "sildenafil")


def test_an_effect_that_persists_keeps_the_clause_that_says_so() -> None:
    x = run("Apixaban can cause bleeding that will not stop.",
            "Apixaban can cause severe stomach pain that will not go away, with or without "
            "vomiting.", title="Apixaban")
    apixaban = med(x, "apixaban")
    assert texts(apixaban.side_effects) + texts(apixaban.warnings) == [
        "bleeding that will not stop", "severe stomach pain that will not go away"]


def test_an_or_inside_a_name_does_not_part_the_list() -> None:
    x = run("Azithromycin can cause a fast or irregular heartbeat or fainting.",
            title="Azithromycin")
    found = med(x, "azithromycin")
    assert sorted(texts(found.side_effects) + texts(found.warnings)) == [
        "fainting", "fast or irregular heartbeat"]


def test_a_topic_is_asked_once_per_question_and_carries_its_question() -> None:
    """A form that asks about asthma in two questions gives two items, each carrying the
    question it was read from (Finding.question, what the Questionnaire item reads); a
    statement said twice is one item, with no question."""
    x = run(
        ("heading", "Health questions"),
        "Does your child have asthma?",
        "Has your child ever been admitted to intensive care because of their asthma?",
        "Tell the nurse if your child has epilepsy. Tell the nurse if your child has epilepsy.",
        title="Flu vaccination consent form",
    )
    asthma = [f for f in x.screening if "asthma" in f.text]
    assert len(asthma) == 2
    first, second = (f.question for f in asthma)
    assert first is not None and second is not None and first.start < second.start
    assert all(q.start <= f.span.start < f.span.end <= q.end
               for f, q in zip(asthma, (first, second), strict=True))
    (epilepsy,) = [f for f in x.screening if "epilepsy" in f.text]
    assert epilepsy.question is None


def test_what_a_clause_after_the_subject_says_is_not_the_medicines_effect() -> None:
    """A trigger's verb must be its fact's own: "is" of a clause after "side effects" ("go
    away if your dose is lowered"), "can occur" of a relative clause ("Spasticity, which can
    occur as stiffness, is treated with baclofen"), and a bare "the syndrome" give no fact."""
    x = run("Atorvastatin can cause muscle pain. These side effects usually go away if your "
            "dose is lowered or atorvastatin is stopped.",
            "Spasticity, which can occur as a sustained stiffness, is usually treated with "
            "baclofen.",
            "Haloperidol can cause tardive dyskinesia. However, the syndrome can develop after "
            "brief treatment periods.",
            "The most common adverse reactions (incidence of 5%, all grades) observed with "
            "remdesivir are nausea and rash.")
    assert texts(med(x, "atorvastatin").side_effects) == ["muscle pain"]
    baclofen = med(x, "baclofen")
    assert texts(baclofen.indications) == ["Spasticity"] and not baclofen.side_effects
    assert texts(med(x, "haloperidol").side_effects) == ["tardive dyskinesia"]
    assert texts(med(x, "remdesivir").side_effects) == ["nausea", "rash"]


def test_a_drug_information_pages_template() -> None:
    """The template of a US drug information page (our own wording in its shape): the class
    "is in a class of medications called", a use "with other medications", the common side
    effects under "Tell your doctor if any of these symptoms are severe or do not go away:",
    the serious ones under "If you experience any of these symptoms, call your doctor
    immediately:", a coordination that shares its head kept whole, and "may make you drowsy"."""
    x = run(
        ("heading", "Why is this medication prescribed?"),
        "Gabapentin is used with other medications to help control seizures. Gabapentin is in "
        "a class of medications called anticonvulsants.",
        ("heading", "What side effects can this medication cause?"),
        "Gabapentin may cause side effects. Tell your doctor if any of these symptoms are "
        "severe or do not go away:",
        ("item", "drowsiness"),
        ("item", "swelling of the hands, feet, ankles, or lower legs"),
        "Some side effects can be serious. If you experience any of these symptoms, call your "
        "doctor immediately:",
        ("item", "difficulty swallowing or breathing"),
        ("heading", "Warnings"),
        "You should know that gabapentin may make you drowsy or dizzy.",
        title="Gabapentin",
    )
    g = med(x, "gabapentin")
    assert texts(g.classes) == ["anticonvulsants"]
    assert texts(g.indications) == ["seizures"]
    assert texts(g.side_effects) == [
        "drowsiness", "swelling of the hands, feet, ankles, or lower legs"]
    assert texts(g.warnings) == ["difficulty swallowing or breathing", "drowsy", "dizzy"]


def test_the_nhs_lead_in_of_common_side_effects_is_no_question() -> None:
    x = run("Metformin is used to treat type 2 diabetes.", ("heading", "Side effects"),
            "Talk to a doctor or pharmacist if these side effects bother you or do not go away:",
            ("item", "headaches"), ("item", "feeling sick"), title="Metformin")
    assert texts(med(x, "metformin").side_effects) == ["headaches", "feeling sick"]
    assert not x.screening


def test_a_syndicated_drug_leaflets_wording() -> None:
    """The wording of a syndicated drug leaflet (our own text in its shape): what the medicine
    is, "that is used to treat"; the use for people with a condition, not that condition;
    "little or no urination" and an effect before its signs ("high blood potassium--nausea,
    weakness") as one effect each; "Get emergency medical help if"; "allergic to it" and "Do
    not breastfeed" asked; a quoted name ("water pill") is no route."""
    x = run("Losartan is an angiotensin II receptor blocker (ARB) that is used to treat high "
            "blood pressure. Losartan is used to slow long-term kidney damage in people with "
            "type 2 diabetes who also have high blood pressure.",
            "You should not use losartan if you are allergic to it. Do not breastfeed while "
            "using this medicine.",
            "Get emergency medical help if you have signs of an allergic reaction: hives.",
            "Call your doctor at once if you have:",
            ("item", "little or no urination;"),
            ("item", "high blood potassium--nausea, weakness, tingly feeling."),
            "Tell your doctor about a diuretic or \"water pill\".",
            title="Losartan")
    los = med(x, "losartan")
    assert texts(los.indications) == ["high blood pressure", "kidney damage"]
    assert texts(los.contraindications) == ["allergic to it", "breastfeed"]
    assert texts(los.warnings) == [
        "allergic reaction", "little or no urination", "high blood potassium"]
    assert all(not m.routes for m in x.medications)


def test_the_nhs_medicine_templates_wording() -> None:
    """"pain and inflammation in conditions like gout" names the pain, the inflammation and
    gout; "a type of medicine called a non-steroidal anti-inflammatory drug (NSAID)" the class;
    "Call 999 ... if you get" a warning; "yellowing of the skin or the whites of the eyes" is
    one effect."""
    x = run("Naproxen is a type of medicine called a non-steroidal anti-inflammatory drug "
            "(NSAID). It's used to treat pain and inflammation in conditions like rheumatoid "
            "arthritis and gout.",
            "Call 999 or go to A&E now if you get a skin rash.",
            "Call your doctor straight away if you get yellowing of the skin or the whites of "
            "the eyes.",
            title="Naproxen")
    n = med(x, "naproxen")
    assert texts(n.classes) == ["non-steroidal anti-inflammatory drug (NSAID)"]
    assert texts(n.indications) == ["pain", "inflammation", "rheumatoid arthritis", "gout"]
    assert texts(n.warnings) == [
        "skin rash", "yellowing of the skin or the whites of the eyes"]


def test_a_medicine_an_item_asks_about_does_not_regroup_the_form() -> None:
    """'Tell your doctor if you have ever had: - an electrolyte imbalance (such as high levels
    of potassium in your blood)': asked before losartan, not before potassium."""
    x = run("Losartan is used to treat high blood pressure.",
            "Tell your doctor if you have ever had:",
            ("item", "kidney disease;"),
            ("item", "an electrolyte imbalance (such as high levels of potassium in your blood)."),
            title="Losartan")
    assert [(f.text, f.group) for f in x.screening] == [
        ("kidney disease", "losartan"), ("electrolyte imbalance", "losartan")]


def test_the_people_a_form_of_a_disease_is_of_share_its_name() -> None:
    x = run("Zentrinib is approved to treat some forms of adult and childhood chronic "
            "myelogenous leukemia.", title="Zentrinib")
    (m,) = x.medications
    assert texts(m.indications) == ["forms of adult and childhood chronic myelogenous leukemia"]


def test_what_a_disease_that_causes_does_is_not_the_medicines() -> None:
    """'X is a ... that is used to treat' is the medicine's when X is the medicine; when X is a
    disease ("Lupus is an autoimmune disease that causes joint pain; hydroxychloroquine ...")
    the relative clause is the disease's doing. An emergency number asks about effects, not
    about advice ("Call 111 if you need advice")."""
    x = run("Lupus is an autoimmune disease that causes joint pain; hydroxychloroquine is used "
            "to treat it.",
            "Gout is a type of arthritis that causes severe pain, and allopurinol is used to "
            "prevent it.",
            "Call 111 if you need advice.",
            title="Medicines for joint diseases")
    for m in x.medications:
        assert not m.side_effects and not m.warnings, m.key
