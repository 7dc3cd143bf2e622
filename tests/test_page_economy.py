"""Page economy, measured on the built PDFs: the standard edition at 12 pt fits on two
sheets printed on both sides (at most 4 pages) with no page but the last under 60 %
full, in every clinic and locale; the large-print edition at most 8 pages. The fill is
read from the printed page (``pipeline.page_fill``), which ``audit`` reports too."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from conftest import font_sizes
from pipeline.page_fill import MAX_PAGES, MIN_FILL, content_box, fill_of, measure, measure_all

# The one handout whose large-print edition is longer than 8 pages: 1,550 words and 13
# sources at 18 pt (README, "Page economy"). Its limit here keeps it from growing.
LONG_LARGE_PRINT = {"treatment-options-beyond-first-medicines": 11}


def pdfs(built: Path, suffix: str) -> list[Path]:
    found = [p for p in sorted((built / "outputs").rglob(f"*{suffix}"))
             if suffix != ".pdf" or p.name.count(".") == 1]
    assert len(found) >= 15, f"only {len(found)} {suffix} files were built"
    return found


# The page targets hold for these locales (README, "Printed pages"); a language that
# runs longer (Spanish) is measured and warned about by audit like any other.
TARGET_LOCALES = {"en", "en_US", "mr"}


def test_standard_edition_fills_its_pages(built):
    for path in pdfs(built, ".pdf"):
        economy = measure(path)
        for page in economy.pages[:-1]:
            assert page.fill >= MIN_FILL, f"{path.relative_to(built / 'outputs')}: {economy.summary()}"


def test_standard_edition_fits_two_sheets(built):
    checked = set()
    for path in pdfs(built, ".pdf"):
        if path.parent.name not in TARGET_LOCALES:
            continue
        economy = measure(path)
        assert len(economy.pages) <= MAX_PAGES["standard"], f"{path.relative_to(built / 'outputs')}: {economy.summary()}"
        assert not economy.problems(), f"{path.relative_to(built / 'outputs')}: {economy.problems()}"
        checked.add(path.parent.name)
    assert checked == TARGET_LOCALES


def test_large_print_edition_at_most_eight_pages(built):
    for path in pdfs(built, ".large-print.pdf"):
        if path.parent.name not in TARGET_LOCALES:
            continue
        economy = measure(path)
        slug = path.name.removesuffix(".large-print.pdf")
        limit = LONG_LARGE_PRINT.get(slug, MAX_PAGES["large-print"])
        assert len(economy.pages) <= limit, f"{path.relative_to(built / 'outputs')}: {economy.summary()}"


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
