"""Write the test PDFs (tests/data/pdf/*.pdf and the golden article tests/data/articles/*.pdf).

    .venv/bin/python scripts/make_test_pdfs.py

Every text in them is written for this project (no publisher's PDF is copied). The generated
files are committed, so the tests never need this script; run it again only to change them, and
review what the tests then say. Needs fpdf2 (the test extra) and the DejaVu fonts of Debian's
fonts-dejavu-core (embedded, so the PDFs carry real Unicode text: bullets, dashes). Output is
byte-for-byte repeatable: fixed creation date and file id, no randomness.

The hand-written ones are PDF syntax made here, not by fpdf2: a truncated file, a page-count bomb
(a page tree that claims more pages than the reader takes), a deeply nested object.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
PDF_DIR = ROOT / "tests" / "data" / "pdf"
ARTICLES = ROOT / "tests" / "data" / "articles"
FONTS = Path("/usr/share/fonts/truetype/dejavu")
WHEN = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
LEFT = 56.0
BODY = 10.0


class Page:
    """Lines placed by hand: a test must know where each line is, and fpdf2 would wrap them."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.y = 0.0

    def line(self, text: str, *, x: float = LEFT, size: float = BODY, bold: bool = False,
             gap: float = 0.0) -> None:
        self.y += gap + size * 1.35
        self.pdf.set_font("DejaVu", "B" if bold else "", size)
        self.pdf.text(x, self.y, text)

    def bullet(self, text: str, *, x: float = LEFT, more: tuple[str, ...] = ()) -> None:
        self.line("•", x=x + 4)
        self.pdf.text(x + 16, self.y, text)
        for rest in more:
            self.line(rest, x=x + 16)


def new_pdf(title: str) -> FPDF:
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_creation_date(WHEN)
    pdf.set_title(title)
    pdf.set_producer("fhir-export test data")
    pdf.file_id = lambda: "<00112233445566778899AABBCCDDEEFF><00112233445566778899AABBCCDDEEFF>"
    return pdf


def titled_page(title: str, heading: str) -> tuple[FPDF, Page]:
    """A one-page PDF whose page starts with a 16-point bold heading."""
    pdf = new_pdf(title)
    pdf.add_page()
    page = Page(pdf)
    page.y = 60
    page.line(heading, size=16, bold=True)
    return pdf, page


def furniture(pdf: FPDF, page: Page, number: int, pages: int, header: str) -> None:
    pdf.set_font("DejaVu", "", 8)
    pdf.text(LEFT, 34, header)
    pdf.text(LEFT, 812, f"Page {number} of {pages}")
    page.y = 60


def leaflet() -> FPDF:
    """The golden article: a two-page leaflet with a running header and footer, headings by size
    and weight, bullet lists, a word hyphenated at a line end and a two-column part."""
    header = "Lisinopril 10 mg tablets – patient information leaflet"
    pdf = new_pdf("Lisinopril 10 mg Tablets")
    pdf.add_page()
    p = Page(pdf)
    furniture(pdf, p, 1, 2, header)
    p.line("Lisinopril 10 mg Tablets", size=18, bold=True)
    p.line("Package leaflet: Information for the patient", gap=4)
    p.line("Read all of this leaflet carefully before you start taking this medicine. Keep this",
           gap=8)
    p.line("leaflet. You may need to read it again. If you have any further questions, ask your")
    p.line("doctor or pharmacist.")
    p.line("1. What lisinopril is and what it is used for", size=13, bold=True, gap=14)
    p.line("Lisinopril belongs to a group of medicines called ACE inhibitors. It is also sold",
           gap=4)
    p.line("under the brand name Zestril. ACE inhibitors widen the blood vessels, which lowers")
    p.line("your blood pressure and makes it easier for your heart to pump blood to all parts of")
    p.line("your body. Lisinopril is one of several medi-")
    p.line("cines that work in this way.")
    p.line("Lisinopril is used to treat:", gap=8)
    p.bullet("high blood pressure (hypertension)")
    p.bullet("heart failure")
    p.line("2. What you need to know before you take lisinopril", size=13, bold=True, gap=14)
    p.line("Do not take lisinopril:", bold=True, gap=4)
    p.bullet("if you are allergic to lisinopril or to any other ACE inhibitor")
    p.bullet("if you have ever had swelling of the face, lips, tongue or throat (angioedema)",
             more=("after taking an ACE inhibitor",))
    p.bullet("if you are more than 3 months pregnant")
    p.line("Warnings and precautions", bold=True, gap=10)
    p.line("Talk to your doctor or pharmacist before taking lisinopril if you have:", gap=2)
    p.bullet("kidney problems")
    p.bullet("dialysis treatment")
    p.bullet("low blood pressure")
    p.bullet("diabetes")
    p.line("Pregnancy and breast-feeding", bold=True, gap=10)
    p.line("Tell your doctor if you are pregnant, think you may be pregnant or are planning to",
           gap=2)
    p.line("have a baby. Tell your doctor if you are breast-feeding.")
    pdf.add_page()
    p = Page(pdf)
    furniture(pdf, p, 2, 2, header)
    p.line("3. How to take lisinopril", size=13, bold=True)
    p.line("Always take this medicine exactly as your doctor has told you. Swallow the tablet",
           gap=4)
    p.line("by mouth with a glass of water, at the same time each day.")
    p.line("4. Possible side effects", size=13, bold=True, gap=14)
    p.line("Like all medicines, lisinopril can cause side effects, although not everybody gets",
           gap=4)
    p.line("them.")
    top = p.y
    left = Page(pdf)
    left.y = top
    left.line("Common side effects", bold=True, gap=10)
    for effect in ("dizziness", "headache", "a dry cough", "feeling tired", "feeling sick"):
        left.bullet(effect)
    right = Page(pdf)
    right.y = top
    x = 310.0
    right.line("Stop taking lisinopril and see", x=x, bold=True, gap=10)
    right.line("a doctor at once if you have", x=x, bold=True)
    right.bullet("swelling of the face, lips, tongue", x=x, more=("or throat",))
    right.bullet("yellow skin or eyes (jaundice)", x=x)
    right.bullet("a severe skin rash with", x=x, more=("blisters",))
    p.y = max(left.y, right.y)
    p.line("5. How to store lisinopril", size=13, bold=True, gap=18)
    p.line("Keep this medicine out of the sight and reach of children. Store below 25 °C.", gap=4)
    p.line("6. Contents of the pack and other information", size=13, bold=True, gap=14)
    p.line("Marketing Authorisation Holder and Manufacturer", bold=True, gap=6)
    p.line("Northwind Generics Ltd, Leeds, LS99 9ZZ, United Kingdom", gap=2)
    p.line("This leaflet was last revised on 3 March 2025.", gap=8)
    return pdf


LOREM_LEFT = (
    "The left column starts here and it", "goes on for several lines of text",
    "before it ends at the foot of the", "column, where a reader moves on.",
)
LOREM_RIGHT = (
    "The right column is read after the", "whole left column, although each of",
    "its lines sits on the same baseline", "as a line of the left column.",
)


def notice_fr() -> FPDF:
    """A French leaflet in the EU template (QRD): its numbered section headings, the list under
    "Ne prenez jamais X :", frequency classes with their list on the same line, a running
    footer. Written for this project."""
    pdf = new_pdf("Ibuprofène 400 mg, comprimé pelliculé")
    pdf.add_page()
    p = Page(pdf)
    furniture(pdf, p, 1, 1, "Ibuprofène 400 mg – notice")
    p.line("Ibuprofène 400 mg, comprimé pelliculé", size=16, bold=True)
    p.line("Notice : information de l'utilisateur", gap=4)
    p.line("Veuillez lire attentivement cette notice avant de prendre ce médicament. Gardez cette",
           gap=6)
    p.line("notice, vous pourriez avoir besoin de la relire.")
    p.line("1. Qu'est-ce que Ibuprofène 400 mg et dans quels cas est-il utilisé ?", size=12,
           bold=True, gap=12)
    p.line("L'ibuprofène appartient à la famille des anti-inflammatoires non stéroïdiens. Il est",
           gap=4)
    p.line("indiqué chez l'adulte dans le traitement de courte durée de la fièvre et des douleurs")
    p.line("telles que les maux de tête et les douleurs dentaires.")
    p.line("2. Quelles sont les informations à connaître avant de prendre Ibuprofène 400 mg ?",
           size=12, bold=True, gap=12)
    p.line("Ne prenez jamais Ibuprofène 400 mg :", gap=4)
    p.bullet("si vous êtes allergique à l'ibuprofène ou à l'un des autres composants de ce "
             "médicament,")
    p.bullet("si vous avez un ulcère de l'estomac ou du duodénum,")
    p.bullet("si vous souffrez d'une insuffisance hépatique sévère.")
    p.line("Avertissements et précautions", bold=True, gap=6)
    p.line("Adressez-vous à votre médecin ou pharmacien avant de prendre ce médicament si vous",
           gap=2)
    p.line("avez de l'asthme.")
    p.line("3. Comment prendre Ibuprofène 400 mg ?", size=12, bold=True, gap=12)
    p.line("Voie orale. Avalez le comprimé avec un grand verre d'eau, de préférence pendant un",
           gap=4)
    p.line("repas.")
    p.line("4. Quels sont les effets indésirables éventuels ?", size=12, bold=True, gap=12)
    p.line("Comme tous les médicaments, ce médicament peut provoquer des effets indésirables,",
           gap=4)
    p.line("mais ils ne surviennent pas systématiquement chez tout le monde.")
    p.line("Fréquent (peut toucher jusqu'à 1 personne sur 10) : brûlures d'estomac, nausées,",
           gap=4)
    p.line("diarrhée.")
    p.line("Rare (peut toucher jusqu'à 1 personne sur 1 000) : éruption cutanée, vertiges.",
           gap=4)
    return pdf


def two_column() -> FPDF:
    """One page: a full-width heading over two columns whose lines share baselines."""
    pdf, p = titled_page("Two columns", "Two-column page")
    p.line("A full-width line under the heading introduces the two columns below it.", gap=4)
    top = p.y + 12
    for x, lines in ((LEFT, LOREM_LEFT), (310.0, LOREM_RIGHT)):
        column = Page(pdf)
        column.y = top
        for text in lines:
            column.line(text, x=x)
    return pdf


QUESTIONS = (
    ("Does your child have a bleeding disorder?", "If you answered yes, give details"),
    ("Does your child take blood-thinning medicine?", "For example, warfarin"),
    ("Has your child had a severe allergic reaction to a vaccine?", ""),
)


def form() -> FPDF:
    """A consent form: numbered fields, the number in its own box, set apart from the question."""
    pdf, p = titled_page("Consent form", "Give or refuse consent for the vaccination")
    p.line("Health questions", size=13, bold=True, gap=14)
    for number, (question, hint) in enumerate(QUESTIONS, 13):
        p.line(str(number), bold=True, gap=14)
        pdf.rect(LEFT - 4, p.y - 11, 18, 15)
        pdf.text(LEFT + 24, p.y, question)
        if hint:
            p.line(hint, x=LEFT + 24, size=8)
    return pdf


def scanned() -> FPDF:
    """An image and nothing else: what a scanner makes."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (400, 200), 255)
    draw = ImageDraw.Draw(image)
    for y in range(20, 180, 16):
        draw.line((20, y, 380, y), fill=0, width=3)  # lines where text would be
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = new_pdf("Scanned leaflet")
    pdf.add_page()
    pdf.image(io.BytesIO(buffer.getvalue()), x=56, y=56, w=400)
    return pdf


def encrypted() -> FPDF:
    pdf = two_column()
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")  # noqa: S106
    return pdf


def hand_made(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def bomb(pages: int = 0, depth: int = 0) -> bytes:
    content = b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"
    kids = b"3 0 R " * max(pages, 1)
    deep = b"[" * depth + b"]" * depth
    return hand_made([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, max(pages, 1)),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> %s>> >>" % (b"/Deep %s " % deep if depth else b""),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def main() -> None:
    PDF_DIR.mkdir(parents=True, exist_ok=True)
    article = bytes(leaflet().output())
    (ARTICLES / "lisinopril-leaflet.pdf").write_bytes(article)
    (ARTICLES / "ibuprofen-notice-fr.pdf").write_bytes(bytes(notice_fr().output()))
    files = {
        "two-column.pdf": bytes(two_column().output()),
        "form.pdf": bytes(form().output()),
        "scanned.pdf": bytes(scanned().output()),
        "encrypted.pdf": bytes(encrypted().output()),
        "truncated.pdf": article[: len(article) // 2],
        "bomb-pages.pdf": bomb(pages=2000),
        "bomb-nested.pdf": bomb(depth=50_000),
    }
    for name, data in files.items():
        (PDF_DIR / name).write_bytes(data)
    for path in [ARTICLES / "lisinopril-leaflet.pdf", ARTICLES / "ibuprofen-notice-fr.pdf",
                 *(PDF_DIR / n for n in files)]:
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes")  # noqa: T201


if __name__ == "__main__":
    main()
