"""The booklet edition: A5 pages (half-letter in Springfield) in a multiple of 4 with
the help box on the back, and the imposed sheets a printer folds into a booklet, read
back as a printer and a screen reader get them: page sizes and footers (pdftotext),
each half of each sheet against the booklet page it should carry (pdftoppm), and the
structure tree, links and bookmarks of the imposed file (pikepdf), which ``audit``
passes like every other PDF."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops, ImageFilter

from conftest import MM, copy_project, pdftotext, run_pipeline, small_project
from pipeline import booklet
from pipeline.audit import audit_pdf
from pipeline.page_fill import Economy, PageFill
from pipeline.render_pdf import BOTTOM_MARGIN_MM

CLEAR = "what-is-treatment-resistant-depression"  # complete in every language, Urdu too
PARTIAL = "what-a-course-of-tms-is-like"  # Urdu 28 % translated: its PDFs are held back
A5 = (148 * MM, 210 * MM)
HALF_LETTER = (5.5 * 72, 8.5 * 72)
SHEET = {"pune": booklet.SHEET_POINTS["A4"], "springfield": booklet.SHEET_POINTS["Letter"]}
PAGE = {"pune": A5, "springfield": HALF_LETTER}
HELP_HEADING = {"en": "Where to get help", "en_US": "Where to get help"}


@pytest.fixture(scope="module")
def booklets(tmp_path_factory) -> tuple[Path, str]:
    """Two handouts for both clinics in every language, booklet editions only."""
    project = copy_project(tmp_path_factory.mktemp("booklet") / "project")
    result = run_pipeline(project, "build", "-q", "--booklet", "--format", "booklet", "--article", CLEAR,
                          "--article", PARTIAL, check=True)
    return project / "outputs", result.stdout + result.stderr


def editions(outputs: Path):
    """(clinic, locale, booklet, imposed) for every booklet built."""
    for path in sorted(outputs.rglob("*.booklet.pdf")):
        yield path.parent.parent.name, path.parent.name, path, path.with_name(
            path.name.replace(".booklet.pdf", ".booklet-imposed.pdf"))


def size_of(page: pikepdf.Page) -> tuple[float, float]:
    box = [float(v) for v in page.mediabox]
    return box[2] - box[0], box[3] - box[1]


def page_number(path: Path, page: int, count: int, x: float, width: float, height: float) -> int:
    """The page number in the running footer drawn from ``x`` across ``width`` at the
    bottom of ``page``, whose page count is ``count`` ("Page 3 of 8" in any of the
    languages and digits; the crisis line's number is longer than any count)."""
    footer = pdftotext(path, "-f", str(page), "-l", str(page), "-r", "72", "-x", str(int(x)), "-y",
                       str(int(height - BOTTOM_MARGIN_MM[False] * MM)), "-W", str(int(width)),
                       "-H", str(int(BOTTOM_MARGIN_MM[False] * MM)))
    latin = footer.translate(str.maketrans("०१२३४५६७८९", "0123456789"))
    numbers = {int(n) for n in re.findall(r"\d+", latin)}
    small = {n for n in numbers if n <= count}
    assert count in small and len(small) <= 2, f"{path} page {page}: footer {footer!r}"
    return min(small)


def body_text(path: Path, page: int) -> str:
    """The text of a page above its running footer."""
    with pikepdf.open(path) as pdf:
        width, height = size_of(pdf.pages[page - 1])
    return pdftotext(path, "-f", str(page), "-l", str(page), "-r", "72", "-x", "0", "-y", "0",
                     "-W", str(int(width)), "-H", str(int(height - BOTTOM_MARGIN_MM[False] * MM)))


# ---------------------------------------------------------------- the order of pages


def test_sheet_order_puts_the_first_and_last_pages_on_the_outer_sheet():
    assert booklet.sheet_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert booklet.sheet_order(4) == [(4, 1), (2, 3)]
    assert booklet.sheet_order(8, right_to_left=True) == [(1, 8), (7, 2), (3, 6), (5, 4)]
    for pages in (4, 8, 12, 16):
        sides = booklet.sheet_order(pages)
        assert sorted(n for side in sides for n in side) == list(range(1, pages + 1))
        # Folded, each spread faces its pair: the two pages of a side add up to pages + 1.
        assert all(left + right == pages + 1 for left, right in sides)
    with pytest.raises(ValueError, match="multiple of 4"):
        booklet.sheet_order(6)


def test_padding_fills_whole_sheets():
    assert [booklet.padding(n) for n in range(1, 10)] == [3, 2, 1, 0, 3, 2, 1, 0, 3]


# ---------------------------------------------------------------- the reading edition


def test_booklet_pages_are_half_the_clinic_paper_in_a_multiple_of_four(booklets):
    outputs, _ = booklets
    found = list(editions(outputs))
    assert {(clinic, locale) for clinic, locale, *_ in found} == {
        ("pune", "en"), ("pune", "mr"), ("pune", "hi"), ("pune", "ur"), ("springfield", "en_US"),
        ("springfield", "es")}
    for clinic, _, path, _ in found:
        with pikepdf.open(path) as pdf:
            assert len(pdf.pages) % 4 == 0, path
            for page in pdf.pages:
                assert size_of(page) == pytest.approx(PAGE[clinic], abs=0.5), path


def test_every_page_says_its_number_of_the_padded_count(booklets):
    outputs, _ = booklets
    for _, _, path, _ in editions(outputs):
        with pikepdf.open(path) as pdf:
            count = len(pdf.pages)
            width, height = size_of(pdf.pages[0])
        assert [page_number(path, n, count, 0, width, height) for n in range(1, count + 1)] == \
            list(range(1, count + 1)), path


def test_help_box_is_alone_on_the_back_page_and_the_crisis_box_on_the_first(booklets):
    outputs, _ = booklets
    checked = 0
    for clinic, locale, path, _ in editions(outputs):
        with pikepdf.open(path) as pdf:
            count = len(pdf.pages)
        pages = [" ".join(body_text(path, n).split()) for n in range(1, count + 1)]
        # Pages added to reach a multiple of 4 hold nothing above the footer, and come
        # just before the back page.
        empty = [n for n, text in enumerate(pages, start=1) if not text]
        assert empty == list(range(count - len(empty), count)), f"{path}: empty pages {empty}"
        if locale in HELP_HEADING:
            assert "Get help now" in pages[0]
            assert pages[-1].startswith(HELP_HEADING[locale]), f"{path}: the back page is {pages[-1][:60]!r}"
            assert not any(HELP_HEADING[locale] in text for text in pages[:-1])
            checked += 1
    assert checked == 4  # two handouts in two English editions


# ---------------------------------------------------------------- the imposed sheets


def test_imposed_sheets_carry_the_pages_in_folding_order(booklets):
    outputs, _ = booklets
    for clinic, locale, path, imposed in editions(outputs):
        with pikepdf.open(path) as pdf:
            count = len(pdf.pages)
        with pikepdf.open(imposed) as sheets:
            assert len(sheets.pages) == count // 2
            for page in sheets.pages:
                assert size_of(page) == pytest.approx(SHEET[clinic], abs=0.5)
        width, height = SHEET[clinic]
        found = [(page_number(imposed, side, count, 0, width / 2, height),
                  page_number(imposed, side, count, width / 2, width / 2, height))
                 for side in range(1, count // 2 + 1)]
        expected = booklet.sheet_order(count, right_to_left=(locale == "ur"))
        assert found == expected, f"{imposed}: sides {found}, expected {expected}"


def grey_page(path: Path, page: int, dpi: int = 36) -> Image.Image:
    data = subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page), str(path)],
                          capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(data)).convert("L")


def test_each_half_sheet_shows_its_booklet_page(booklets):
    """As a printer prints it: each half of each sheet, rendered, is the booklet page
    that belongs there (pixels against the booklet's own page, rendered alike)."""
    outputs, _ = booklets
    for clinic, locale, path, imposed in editions(outputs):
        if (clinic, locale) not in (("pune", "en"), ("pune", "ur"), ("springfield", "es")):
            continue
        with pikepdf.open(path) as pdf:
            count = len(pdf.pages)
        pages = {n: grey_page(path, n) for n in range(1, count + 1)}
        empty = {n for n in pages if not body_text(path, n).strip()}
        for side, (left, right) in enumerate(booklet.sheet_order(count, locale == "ur"), start=1):
            sheet = grey_page(imposed, side)
            width = pages[left].width
            halves = {left: sheet.crop((sheet.width // 2 - width, 0, sheet.width // 2, sheet.height)),
                      right: sheet.crop((sheet.width // 2, 0, sheet.width // 2 + width, sheet.height))}
            for number, half in halves.items():
                same = difference(half, pages[number])
                assert same < 2.0, f"{imposed} side {side}: page {number} differs by {same:.1f}"
                blank = Image.new(half.mode, half.size, 255)
                if number in empty or difference(pages[number], blank) < 10:
                    continue  # empty pages, or a few lines, differ from each other by little more than their number
                closest = min(difference(half, pages[n]) for n in pages if n != number)
                assert closest > same + 5, f"{imposed} side {side}: page {number} looks like another page too"


def difference(a: Image.Image, b: Image.Image) -> float:
    """The mean grey difference (0-255) of two page images of one size, both softened
    first so that a shift of less than a pixel (A5 is 0.5 mm narrower than half of A4)
    does not count: about 1 for the same page, 10 and more for another."""
    a, b = a.filter(ImageFilter.GaussianBlur(2)), b.filter(ImageFilter.GaussianBlur(2))
    histogram = ImageChops.difference(a, b).histogram()
    return sum(level * count for level, count in enumerate(histogram)) / (a.width * a.height)


def structure(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element, in reading order."""
    found = []

    def visit(kid) -> None:
        if isinstance(kid, pikepdf.Array):
            for item in kid:
                visit(item)
            return
        if not isinstance(kid, pikepdf.Dictionary) or "/S" not in kid:
            return
        found.append(kid)
        if "/K" in kid:
            visit(kid.K)

    visit(pdf.Root.StructTreeRoot.K)
    return found


def marked_content(element: pikepdf.Dictionary) -> list:
    kids = element.get("/K")
    items = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
    return [item for item in items if isinstance(item, int)
            or (isinstance(item, pikepdf.Dictionary) and item.get("/Type") == pikepdf.Name.MCR)]


def mcids_in(stream) -> list[int]:
    return [int(operands[1].MCID) for operands, operator in pikepdf.parse_content_stream(stream)
            if str(operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]]


def test_imposed_file_keeps_the_booklet_structure_tree(booklets):
    """A screen reader reads the imposed file in the booklet's order: the same elements,
    languages and alternative texts; each element's content is the same marked content
    of the same booklet page, now inside the form drawn on the sheet the element names."""
    outputs, _ = booklets
    for _, locale, path, imposed in editions(outputs):
        with pikepdf.open(path) as original, pikepdf.open(imposed) as sheets:
            assert str(sheets.Root.Lang) == str(original.Root.Lang)
            before, after = structure(original), structure(sheets)
            assert [(str(e.S), str(e.get("/Lang", "")), str(e.get("/Alt", ""))) for e in before] == \
                [(str(e.S), str(e.get("/Lang", "")), str(e.get("/Alt", ""))) for e in after]
            assert any("/Lang" in e for e in after) or locale in ("en", "en_US")
            assert any(str(e.S) == "/Figure" and str(e.get("/Alt", "")) for e in after)
            page_of = {page.obj.objgen: n for n, page in enumerate(original.pages, start=1)}
            # Which booklet page each form draws: its name on the sheet is /Page<n>.
            form_page, form_sheet = {}, {}
            for sheet in sheets.pages:
                for name, form in sheet.Resources.XObject.items():
                    form_page[form.objgen] = int(name.removeprefix("/Page"))
                    form_sheet[form.objgen] = sheet.obj.objgen
            referenced = set()
            for old, new in zip(before, after):
                old_content = [(page_of[old.Pg.objgen], int(m)) for m in marked_content(old)]
                new_content = [(form_page[m.Stm.objgen], int(m.MCID)) for m in marked_content(new)]
                assert old_content == new_content, f"{imposed}: {new.S} holds other content than in the booklet"
                for m in marked_content(new):
                    assert form_sheet[m.Stm.objgen] == new.Pg.objgen, f"{imposed}: {new.S} names another sheet"
                    referenced.add((m.Stm.objgen, int(m.MCID)))
            # Every tagged piece of every form is in the tree once, and the forms are tied to it.
            tagged = set()
            for sheet in sheets.pages:
                for form in sheet.Resources.XObject.values():
                    assert "/StructParents" in form
                    tagged |= {(form.objgen, mcid) for mcid in mcids_in(form)}
            pagination = {key for key in tagged if key not in referenced}
            assert referenced <= tagged
            assert not pagination, f"{imposed}: marked content in no element: {sorted(pagination)[:5]}"


def test_imposed_links_and_bookmarks_move_with_their_page(booklets):
    outputs, _ = booklets
    for clinic, locale, path, imposed in editions(outputs):
        width = SHEET[clinic][0]
        with pikepdf.open(path) as original:
            links = [str(a.A.URI) for page in original.pages for a in page.obj.get("/Annots", ()) if "/A" in a]
            sides = booklet.sheet_order(len(original.pages), locale == "ur")
        with pikepdf.open(imposed) as sheets:
            moved = [str(a.A.URI) for page in sheets.pages for a in page.obj.get("/Annots", ()) if "/A" in a]
            assert sorted(moved) == sorted(links) and links
            for page in sheets.pages:
                for annotation in page.obj.get("/Annots", ()):
                    assert annotation.P.objgen == page.obj.objgen
                    left, right = float(annotation.Rect[0]), float(annotation.Rect[2])
                    assert (right <= width / 2) or (left >= width / 2), f"{imposed}: a link across the fold"
            # The first bookmark (the title) opens page 1, on the half of the sheet where it is printed.
            first = sheets.Root.Outlines.First.Dest
            assert first[0].objgen == sheets.pages[0].obj.objgen
            page_one_is_left = sides[0][0] == 1
            assert (float(first[2]) < width / 2) == page_one_is_left
            pages = {o.objgen for o in sheets.objects
                     if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == pikepdf.Name.Page}
            assert pages == {page.obj.objgen for page in sheets.pages}, "a booklet page is left in the file"


def test_audit_passes_every_booklet_and_imposed_file(booklets):
    outputs, _ = booklets
    project = outputs.parent
    result = run_pipeline(project, "audit")
    assert result.returncode == 0, result.stdout
    assert re.search(r"(\d+) PDF\(s\) checked, \1 passed", result.stdout)
    booklets_built = len(list(outputs.rglob("*.booklet.pdf")))
    assert len(list(outputs.rglob("*.booklet-imposed.pdf"))) == booklets_built == 11  # 12, Urdu's PARTIAL held


def test_audit_fails_sheets_whose_tags_were_not_carried_over(booklets, tmp_path):
    """Pages put on sheets as forms without moving the tree (pikepdf's add_overlay):
    the content reaches no element and the elements name pages no longer in the file."""
    outputs, _ = booklets
    path = outputs / "pune" / "en" / f"{CLEAR}.booklet.pdf"
    with pikepdf.open(path) as pdf:
        count = len(pdf.pages)
        width, height = booklet.SHEET_POINTS["A4"]
        for left, right in booklet.sheet_order(count):
            sheet = pdf.add_blank_page(page_size=(width, height))
            sheet.add_overlay(pdf.pages[left - 1], pikepdf.Rectangle(0, 0, width / 2, height))
            sheet.add_overlay(pdf.pages[right - 1], pikepdf.Rectangle(width / 2, 0, width, height))
        for _ in range(count):
            del pdf.pages[0]
        naive = tmp_path / "naive.booklet-imposed.pdf"
        pdf.save(naive)
    problems = audit_pdf(naive, "en")
    assert {p.check for p in problems} >= {"structure-tree", "artifacts"}


def test_audit_reads_inside_the_forms(booklets, tmp_path):
    """Text added to a booklet page's form outside any tag is found, on its sheet."""
    outputs, _ = booklets
    imposed = outputs / "pune" / "en" / f"{CLEAR}.booklet-imposed.pdf"
    with pikepdf.open(imposed) as pdf:
        form = pdf.pages[1].Resources.XObject["/Page2"]
        form.write(form.read_bytes() + b"\nBT /F1 12 Tf (untagged) Tj ET\n")
        broken = tmp_path / "broken.booklet-imposed.pdf"
        pdf.save(broken)
    problems = audit_pdf(broken, "en")
    assert [(p.check, p.page) for p in problems] == [("artifacts", 2)]
    assert audit_pdf(imposed, "en") == []


# ---------------------------------------------------------------- publishing


def test_booklets_are_held_with_the_pdf(booklets):
    outputs, log = booklets
    held = outputs / "pune" / "ur"
    assert not list(held.glob(f"{PARTIAL}.booklet*.pdf"))
    assert (held / f"{CLEAR}.booklet.pdf").is_file()
    assert f"pune/ur/{PARTIAL}: booklet held back: 28% translated (needs 100%)" in log
    assert f"pune/ur/{PARTIAL}: booklet-imposed held back: 28% translated (needs 100%)" in log


def test_booklet_is_not_built_unless_asked(built):
    assert not list((built / "outputs").rglob("*.booklet*.pdf"))


def test_page_economy_leaves_out_the_back_page_and_the_empty_pages_before_it():
    fills = [0.9, 0.55, 0.9, 0.3, 0.0, 0.0, 0.0, 0.5]
    economy = Economy("x.booklet.pdf", "booklet", tuple(PageFill(n, f) for n, f in enumerate(fills, start=1)))
    assert economy.problems() == ["page 2 is 55% filled (under 60%)"]
    longer = Economy("x.booklet.pdf", "booklet", tuple(PageFill(n, 0.9) for n in range(1, 13)))
    assert longer.problems() == ["12 pages (at most 8 for the booklet edition)"]


def test_a_booklet_once_made_is_kept_current_by_every_build(tmp_path):
    """A print shop picks up what is in outputs/: a booklet or print-shop edition made
    on request is rebuilt when its handout changes, by builds that do not ask for it."""
    project = small_project(tmp_path, {"chairs": "Chairs"})
    run_pipeline(project, "build", "-q", "--booklet", "--print-shop", "--clinic", "pune", check=True)
    folder = project / "outputs" / "pune" / "en"
    editions = [folder / f"chairs.{kind}.pdf" for kind in ("booklet", "booklet-imposed", "print-shop")]
    assert all(path.is_file() for path in editions)
    again = run_pipeline(project, "build", "--clinic", "pune", check=True)
    assert "0 built" in again.stdout + again.stderr  # current: nothing to do
    source = project / "source" / "chairs.md"
    source.write_text(source.read_text(encoding="utf-8").replace("A plain paragraph", "A changed paragraph"),
                      encoding="utf-8")
    run_pipeline(project, "build", "-q", "--clinic", "pune", check=True)
    for path in editions:
        text = " ".join(pdftotext(path).split())
        assert "A changed paragraph" in text and "A plain paragraph" not in text, path.name
