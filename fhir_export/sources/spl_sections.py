"""SPL section codes (LOINC) -> the section kinds of the `sections` rule packs.

Every code below was checked against the FDA's SPL section list (the LOINC section codes of the
SPL Implementation Guide, as the HL7 FHIR SPL guide's `SPLSectionCodes` value set lists them)
and against the displayName that real DailyMed labels write beside it. A code that is not here
(42229-5 "SPL unclassified section", 34076-0 "Information for patients", 42231-1 "Medication
guide", 55106-9 "OTC - Active ingredient", ...) states no kind: its title decides, as an
article's heading does.

The kinds are those of fhir_export/extraction/rules/<lang>/sections.toml: a title such as
"DOSAGE AND ADMINISTRATION" is a `route` section there, so its code is one here too.
"""

from __future__ import annotations

# code: (kind, the LOINC name of the section)
SECTION_KINDS: dict[str, tuple[str, str]] = {
    "34066-1": ("warning", "Boxed warning section"),
    "34067-9": ("indication", "Indications and usage section"),
    "34068-7": ("route", "Dosage and administration section"),
    "34069-5": ("storage", "How supplied section"),
    "34070-3": ("contraindication", "Contraindications section"),
    "34071-1": ("warning", "Warnings section"),
    "34072-9": ("warning", "General precautions section"),
    "34073-7": ("interactions", "Drug interactions section"),
    "34074-5": ("interactions", "Drug/laboratory test interactions section"),
    "34084-4": ("side-effect", "Adverse reactions section"),
    "34088-5": ("dosage", "Overdosage section"),
    "42232-9": ("warning", "Precautions section"),
    "43678-2": ("dosage", "Dosage forms and strengths section"),
    "43685-7": ("warning", "Warnings and precautions section"),
    "44425-7": ("storage", "Storage and handling section"),
    "88437-9": ("storage", "How supplied and storage and handling section"),
    "90374-0": ("side-effect", "Clinical trials experience section"),
    "90375-7": ("side-effect", "Postmarketing experience section"),
    # what the medicine does in the body (no patient's side effect or warning)
    "34090-1": ("pharmacology", "Clinical pharmacology section"),
    "43679-0": ("pharmacology", "Mechanism of action section"),
    "43681-6": ("pharmacology", "Pharmacodynamics section"),
    "43682-4": ("pharmacology", "Pharmacokinetics section"),
    "43680-8": ("pharmacology", "Nonclinical toxicology section"),
    "34083-6": ("pharmacology", "Carcinogenesis & mutagenesis & impairment of fertility section"),
    "34091-9": ("pharmacology", "Animal pharmacology & or toxicology section"),
    "49489-8": ("pharmacology", "Microbiology section"),
    # OTC Drug Facts
    "50565-1": ("warning", "OTC - Keep out of reach of children section"),
    "50566-9": ("warning", "OTC - Stop use section"),
    "50567-7": ("warning", "OTC - When using section"),
    "50568-5": ("screening", "OTC - Ask doctor or pharmacist section"),
    "50569-3": ("screening", "OTC - Ask doctor section"),
    "50570-1": ("contraindication", "OTC - Do not use section"),
    "51727-6": ("ingredients", "Inactive ingredient section"),
    "55105-1": ("class", "OTC - Purpose section"),
    # Patient medication information (PMI)
    "71681-1": ("side-effect", "PMI - Common side effects section"),
    "71682-9": ("warning", "PMI - Get emergency medical help section"),
    "71683-7": ("warning", "PMI - Stop taking and call your doctor section"),
    "71685-2": ("screening", "PMI - Tell your doctor before taking section"),
    "71686-0": ("contraindication", "PMI - Do not take section"),
    "71688-6": ("indication", "PMI - Uses section"),
}

LISTING = "48780-1"  # SPL product data elements section: products, no narrative
INDEXING = "48779-3"  # SPL indexing data elements section: substances, no narrative


def kind_of(code: str | None) -> str | None:
    entry = SECTION_KINDS.get(code or "")
    return entry[0] if entry else None


def name_of(code: str | None) -> str | None:
    entry = SECTION_KINDS.get(code or "")
    return entry[1] if entry else None
