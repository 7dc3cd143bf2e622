"""Print quality: large print, Marathi letter forms and digits, hyphenation, print-shop
marks, and every page read back from the PDF the way a printer or a reader gets it.

Marathi PDFs wait for a complete translation; until then a copy of the project
publishes one handout's Marathi PDFs anyway, so these checks run on real Marathi PDFs
now, and on every Marathi PDF of the real build once the translation is there.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import (MM, ROOT, copy_project, devanagari_glyph_ids, font_sizes, footers, letter_forms, page_size,
                      pdftotext, run_pipeline)
from pipeline.config import load_config
from pipeline.render_pdf import BLEED, BOTTOM_MARGIN_MM

SAMPLE = "what-a-course-of-tms-is-like"
A4 = (595.28, 841.89)
DEVANAGARI_DIGITS = "०१२३४५६७८९"


# ---------------------------------------------------------------- fixtures and readers


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> Path:
    """One handout for the Pune clinic in every locale and every edition, print shop
    included, with Marathi PDFs published whatever the translation's progress."""
    project = copy_project(tmp_path_factory.mktemp("editions") / "project")
    config = project / "clinics.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("pdf: 100", "pdf: 0"), encoding="utf-8")
    run_pipeline(project, "build", "-q", "--clinic", "pune", "--article", SAMPLE, "--print-shop", check=True)
    return project / "outputs"


def standard_and_large(*folders: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for folder in folders:
        for large in sorted(folder.rglob("*.large-print.pdf")):
            pairs.append((large.with_name(large.name.replace(".large-print.pdf", ".pdf")), large))
    return pairs


def marathi_pdfs(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in sorted(folder.rglob("*.pdf")) if p.parent.name == "mr"]


def body_text(path: Path, large_print: bool) -> str:
    """The text on the pages above the running footer, in the order it is drawn, with
    list bullets and all white space left out (line breaks differ between editions)."""
    width, height = page_size(path)
    body = height - BOTTOM_MARGIN_MM[large_print] * MM
    text = pdftotext(path, "-raw", "-r", "72", "-x", "0", "-y", "0", "-W", str(int(width)), "-H", str(int(body)))
    return re.sub(r"[\s•◦▪]+", "", text)


def table_header_rows(html_path: Path) -> list[str]:
    """A table's header row is repeated on each page the table spans: these may repeat."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser")
    return sorted({re.sub(r"\s+", "", row.get_text()) for row in soup.select("thead tr")}, key=len, reverse=True)


def render_html_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML

    from pipeline.render_html import STATIC_DIR
    from pipeline.render_pdf import _install

    _install()
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(STATIC_DIR / "handout.css"))],
                                       pdf_variant="pdf/ua-1")


# ---------------------------------------------------------------- large print


def test_large_print_is_18pt_or_more(built, editions):
    pairs = standard_and_large(built / "outputs", editions)
    assert len(pairs) >= 2 * 5 + 1  # both clinics' English handouts, and Marathi
    for standard, large in pairs:
        sizes = font_sizes(large)
        small = [(size, text) for size, text in sizes if size < 18]
        assert not small, f"{large.name}: text under 18 pt: {small[:5]}"
        body = max({s for s, _ in sizes}, key=lambda s: sum(1 for size, _ in sizes if size == s))
        assert body == 18, f"{large.name}: body text is {body} pt"
        standard_body = [s for s, _ in font_sizes(standard)]
        assert max(set(standard_body), key=standard_body.count) == 12, f"{standard.name}: body is not 12 pt"


def test_large_print_has_the_same_content(built, editions):
    for standard, large in standard_and_large(built / "outputs", editions):
        text, large_text = body_text(standard, large_print=False), body_text(large, large_print=True)
        assert len(text) > 2000
        for header in table_header_rows(standard.with_name(standard.name.replace(".pdf", ".html"))):
            assert header in text, f"{standard.name}: table header '{header}' not found in the PDF's text"
            text, large_text = text.replace(header, ""), large_text.replace(header, "")
        if re.search(r"[\u0600-\u06ff]", text):
            # Right to left: where a line breaks decides the drawing order of its
            # left-to-right runs (numbers, TMS), so compare what is printed, not its order.
            assert sorted(large_text) == sorted(text), f"{large} differs from {standard}"
        else:
            assert large_text == text, f"{large} differs from {standard}"
        assert len(PdfReader(large).pages) > len(PdfReader(standard).pages)


def test_large_print_has_its_own_file_name(built):
    for standard, large in standard_and_large(built / "outputs"):
        assert standard.exists() and large.name == standard.name[:-4] + ".large-print.pdf"


# ---------------------------------------------------------------- Marathi


def test_lang_mr_selects_marathi_letter_forms(tmp_path):
    """The same letters, tagged Marathi and Hindi, print with different glyphs: the
    Marathi ones only with lang="mr"."""
    forms = letter_forms()
    used = {}
    for lang in ("mr", "hi"):
        path = tmp_path / f"{lang}.pdf"
        path.write_bytes(render_html_pdf(f'<html lang="{lang}"><title>t</title><body><p>ल श लाल शाळा</p></body></html>'))
        used[lang] = devanagari_glyph_ids(path)
    assert used["mr"] != used["hi"]
    for letter, (hindi_glyph, marathi_glyph) in forms.items():
        assert marathi_glyph in used["mr"] and hindi_glyph not in used["mr"], letter
        assert hindi_glyph in used["hi"] and marathi_glyph not in used["hi"], letter


def test_marathi_pdfs_print_marathi_letter_forms(built, editions):
    forms = letter_forms()
    hindi = {hindi_glyph for hindi_glyph, _ in forms.values()}
    pdfs = marathi_pdfs(built / "outputs", editions)
    assert len(pdfs) >= 3
    for path in pdfs:
        used = devanagari_glyph_ids(path)
        assert used, f"{path.name}: no Devanagari text at all"
        assert not used & hindi, f"{path}: Hindi letter forms of ल or श"


def test_page_numbers_use_the_locales_digits(built, editions):
    pdfs = marathi_pdfs(built / "outputs", editions)
    assert pdfs
    for path in pdfs:
        if ".print-shop." in path.name:
            continue
        pages = footers(path)
        total = "".join(DEVANAGARI_DIGITS[int(d)] for d in str(len(pages)))
        for number, footer in enumerate(pages, start=1):
            local = "".join(DEVANAGARI_DIGITS[int(d)] for d in str(number))
            assert not re.search(r"[0-9]", footer), f"{path.name} page {number}: ASCII digits in '{footer}'"
            assert re.search(rf"(^|\D){local}(\D+){total}(\D|$)", footer), f"{path.name} page {number}: '{footer}'"
    english = sorted((built / "outputs" / "pune" / "en").glob("*.pdf"))[0]
    assert "Page 1 of" in footers(english)[0]


def test_marathi_is_not_hyphenated(tmp_path):
    """Pyphen ships a Marathi dictionary, so hyphens: auto would break Marathi words
    where it guesses; the stylesheet keeps hyphenation manual."""
    words = "आरोग्यसेवेच्या डॉक्टरांशी सांगितल्याशिवाय मानसिकआरोग्याविषयी " * 12
    page = ('<html lang="mr"><title>t</title><body><p style="width: 9em; text-align: justify">'
            f"{words}</p></body></html>")
    ours = tmp_path / "ours.pdf"
    ours.write_bytes(render_html_pdf(page))
    guessed = tmp_path / "guessed.pdf"
    guessed.write_bytes(render_html_pdf(page.replace('text-align: justify"', 'text-align: justify; hyphens: auto"')))
    hyphen_at_end = re.compile(r"[\u0900-\u097F][-\u2010]\s*$", re.MULTILINE)
    assert hyphen_at_end.search(pdftotext(guessed)), "the control should hyphenate"
    assert not hyphen_at_end.search(pdftotext(ours))


def test_marathi_pdfs_have_no_hyphenated_words(built, editions):
    hyphen_at_end = re.compile(r"[\u0900-\u097F][-\u2010]\s*$", re.MULTILINE)
    for path in marathi_pdfs(built / "outputs", editions):
        assert not hyphen_at_end.search(pdftotext(path)), path


# ---------------------------------------------------------------- print shop


def test_print_shop_edition_has_bleed_and_crop_marks(editions, tmp_path):
    bleed = float(BLEED.removesuffix("mm")) * MM
    for path in sorted(editions.rglob("*.print-shop.pdf")):
        with pikepdf.open(path) as pdf:
            page = pdf.pages[0]
            media = [float(v) for v in page.MediaBox]
            trim = [float(v) for v in page.TrimBox]
        assert trim[2] - trim[0] == pytest.approx(A4[0], abs=0.1) and trim[3] - trim[1] == pytest.approx(A4[1], abs=0.1)
        assert media[0] == pytest.approx(trim[0] - bleed, abs=0.1) and media[3] == pytest.approx(trim[3] + bleed, abs=0.1)
        # Crop marks: ink in the bleed at the corner, where the standard edition has none.
        subprocess.run(["pdftoppm", "-r", "300", "-f", "1", "-l", "1", "-x", "0", "-y", "0", "-W", "36", "-H", "36",
                        "-png", "-singlefile", str(path), str(tmp_path / "corner")], check=True)
        corner = Image.open(tmp_path / "corner.png").convert("L")
        assert min(corner.get_flattened_data()) < 100, f"{path.name}: no crop marks at the top-left corner"
        standard = path.with_name(path.name.replace(".print-shop.pdf", ".pdf"))
        assert page_size(standard) == pytest.approx(A4, abs=0.1)
    pune = load_config(ROOT / "clinics.yaml").clinics["pune"]
    assert len(list(editions.rglob("*.print-shop.pdf"))) == len(pune.locales)  # one per Pune language


def test_print_shop_is_not_built_unless_asked(built):
    assert not list((built / "outputs").rglob("*.print-shop.pdf"))


# ---------------------------------------------------------------- every page, as an image


def test_every_page_renders_with_ink(built, editions, tmp_path):
    """pdftoppm turns every page of every PDF into an image; no page comes out blank
    above its running footer (small grey text needs 36 dpi to leave a dark pixel: a
    last page holding only a few source citations, as Spanish handouts on Letter paper
    have, stays lighter than 128 at 24 dpi)."""
    pdfs = sorted((built / "outputs").rglob("*.pdf")) + sorted(editions.rglob("*.pdf"))
    for index, path in enumerate(pdfs):
        prefix = tmp_path / f"p{index}"
        width, height = page_size(path)
        body = height - BOTTOM_MARGIN_MM[".large-print." in path.name] * MM
        subprocess.run(["pdftoppm", "-r", "36", "-gray", "-x", "0", "-y", "0", "-W", str(int(width / 2)),
                        "-H", str(int(body / 2)), str(path), str(prefix)], check=True)
        images = sorted(tmp_path.glob(f"p{index}-*.pgm"))
        assert len(images) == len(PdfReader(path).pages)
        for number, image in enumerate(images, start=1):
            assert min(Image.open(image).get_flattened_data()) < 128, f"{path.name} page {number} is blank"
