"""Page economy, measured on the built PDFs: the standard edition at 12 pt fits on two
sheets printed on both sides (at most 4 pages) with no page but the last under 60 %
full, in every clinic and locale; the large-print edition at most 8 pages; the running
footer whole on the paper in both. The fill is read from the printed page
(``pipeline.page_fill``), which ``audit`` reports too."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from conftest import footers, font_sizes
from pipeline.page_fill import MAX_PAGES, MIN_FILL, content_box, fill_of, grey_pages, measure, measure_all

# The one large-print edition longer than 8 pages: the Spanish of the 1,550-word
# handout on Letter paper, at 18 pt with lines 1.25 apart and a three-line footer
# (README, "Printed pages"; shortening it is an editor's choice). Its limit here keeps
# it from growing.
LONG_LARGE_PRINT = {
    "springfield/es/treatment-options-beyond-first-medicines.large-print.pdf": 9,
}
# A help box is never split: when it does not fit at the foot of a large-print page it
# leaves that page part empty, but never more than half.
MIN_FILL_LARGE_PRINT = 0.5
# Office printers leave a band of 4 to 5 mm at the paper's edge blank.
PRINTABLE_EDGE_MM = 5
EVERY_LOCALE = {"en", "en_US", "mr", "hi", "es", "ur"}


def pdfs(built: Path, suffix: str) -> list[Path]:
    found = [p for p in sorted((built / "outputs").rglob(f"*{suffix}"))
             if suffix != ".pdf" or p.name.count(".") == 1]
    assert len(found) >= 15, f"only {len(found)} {suffix} files were built"
    return found


def name(built: Path, path: Path) -> str:
    return path.relative_to(built / "outputs").as_posix()


def test_standard_edition_fills_its_pages(built):
    for path in pdfs(built, ".pdf"):
        economy = measure(path)
        for page in economy.pages[:-1]:
            assert page.fill >= MIN_FILL, f"{name(built, path)}: {economy.summary()}"


def test_standard_edition_fits_two_sheets_in_every_locale(built):
    checked = set()
    for path in pdfs(built, ".pdf"):
        economy = measure(path)
        assert len(economy.pages) <= MAX_PAGES["standard"], f"{name(built, path)}: {economy.summary()}"
        assert not economy.problems(), f"{name(built, path)}: {economy.problems()}"
        checked.add(path.parent.name)
    assert checked == EVERY_LOCALE


def test_large_print_edition_at_most_eight_pages(built):
    checked, long = set(), set()
    for path in pdfs(built, ".large-print.pdf"):
        economy = measure(path)
        limit = LONG_LARGE_PRINT.get(name(built, path), MAX_PAGES["large-print"])
        assert len(economy.pages) <= limit, f"{name(built, path)}: {economy.summary()}"
        if len(economy.pages) > MAX_PAGES["large-print"]:
            long.add(name(built, path))
        for page in economy.pages[:-1]:
            assert page.fill >= MIN_FILL_LARGE_PRINT, f"{name(built, path)}: {economy.summary()}"
        checked.add(path.parent.name)
    assert checked == EVERY_LOCALE
    # An exception that no longer runs long leaves the list.
    assert long == set(LONG_LARGE_PRINT), f"over 8 pages: {sorted(long)}"


def footer_words(path: Path) -> Counter:
    """The words of the first page's footer, without the direction marks pdftotext
    writes around the left-to-right parts of a right-to-left line."""
    text = "".join(c for c in footers(path)[0] if unicodedata.category(c) != "Cf")
    return Counter(text.split())


def test_footer_is_whole_on_the_paper(built):
    """The running footer of the large-print edition (two or three lines of 18 pt) says
    all that the standard edition's says, but for the number of pages, and no ink of
    either edition comes nearer the paper's edge than a printer can print: a third line
    that ran off the page (Spanish, Letter) was gone from the PDF."""
    for large in pdfs(built, ".large-print.pdf"):
        standard = large.with_name(large.name.replace(".large-print.pdf", ".pdf"))
        words, large_words = footer_words(standard), footer_words(large)
        lost, added = words - large_words, large_words - words
        assert sum(lost.values()) <= 1 and all(w.isdigit() for w in lost), \
            f"{name(built, large)}: the footer lost {sorted(lost.elements())}: '{footers(large)[0]}'"
        assert sum(added.values()) <= 1 and all(w.isdigit() for w in added), f"{name(built, large)}: {added}"
        for path in (standard, large):
            page = grey_pages(path, dpi=100, first=1, last=1)[0]
            lowest_ink = page.point(lambda level: 255 if level < 160 else 0).getbbox()[3]
            above_edge = (page.height - lowest_ink) / 100 * 25.4
            assert above_edge >= PRINTABLE_EDGE_MM, f"{name(built, path)}: ink {above_edge:.1f} mm from the edge"


def test_standard_body_is_12pt(built):
    for path in pdfs(built, ".pdf")[:6]:
        sizes = [size for size, _ in font_sizes(path)]
        body = max(set(sizes), key=sizes.count)
        assert body == 12, f"{path.name}: body text is {body} pt"
        assert min(sizes) >= 9, f"{path.name}: text under 9 pt"


def test_fill_is_how_far_down_the_content_area_the_ink_reaches():
    page = Image.new("L", (210, 297), 255)  # A4 at 1 px a millimetre
    box = content_box(page, (210, 297), (20, 20, 20, 20))
    assert box == (20, 20, 190, 277)
    assert fill_of(page, box) == 0
    draw = ImageDraw.Draw(page)
    draw.rectangle((30, 25, 150, 30), fill=0)  # a line of text near the top
    draw.rectangle((30, 140, 150, 148), fill=0)  # one half-way down
    assert fill_of(page, box) == pytest.approx(128 / 257, abs=0.01)
    draw.rectangle((0, 285, 210, 290), fill=0)  # the running footer, in the margin
    assert fill_of(page, box) == pytest.approx(128 / 257, abs=0.01)
    draw.rectangle((30, 200, 150, 210), fill=245)  # a pale tint is not ink
    assert fill_of(page, box) == pytest.approx(128 / 257, abs=0.01)


def test_audit_reports_pages_and_warns_on_an_emptied_page(built, tmp_path):
    """A page break in the middle of the first page leaves it half empty: the measure
    (what audit prints) warns about that page."""
    import pikepdf

    source = pdfs(built, ".pdf")[0]
    economy = measure_all([source])[0]
    assert economy.summary().startswith(f"{len(economy.pages)} pages, filled ")
    # The first page's content drawn again on a blank page, scaled to half its height:
    # ink only on the upper half.
    with pikepdf.open(source) as pdf:
        first = pdf.pages[0]
        blank = pikepdf.Page(pdf.add_blank_page(page_size=(float(first.mediabox[2]), float(first.mediabox[3]))))
        blank.add_overlay(first, pikepdf.Rectangle(0, float(first.mediabox[3]) / 2,
                                                   float(first.mediabox[2]), float(first.mediabox[3])))
        pdf.pages.insert(0, pdf.pages[-1])
        del pdf.pages[-1]
        out = tmp_path / source.name
        pdf.save(out)
    warned = measure(out).problems()
    assert any(w.startswith("page 1 is ") and "under 60%" in w for w in warned), warned
