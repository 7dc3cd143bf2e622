"""The booklet edition, for clinics that fold a sheet of their paper in half.

Two files come from one layout. ``<slug>.booklet.pdf`` is the reading edition:
WeasyPrint lays the handout out on pages half the clinic's paper (A5 from A4,
5.5 by 8.5 inches from Letter), tagged and PDF/UA like every other PDF, with the help
box alone on the back page and empty pages before it so that the count is a multiple
of 4 (a folded sheet carries 4 pages). ``<slug>.booklet-imposed.pdf`` is the same
pages put two by two on the clinic's paper, landscape, in the order a folded stack of
sheets reads (for 8 pages: sheet 1 front 8|1, back 2|7; sheet 2 front 6|3, back 4|5),
for a printer set to print on both sides, flipping on the short edge.

The imposed file keeps the tags. Each booklet page becomes a form XObject drawn on
its sheet (qpdf's page helper, through pikepdf); the structure tree stays the
booklet's, in reading order, and each element's marked content now points into the
XObject that holds it (``/Stm``, PDF 1.7 section 14.7.4.3), on the sheet it is
printed on. Links, bookmarks and named destinations move with their page. So a
screen reader reads the imposed file in the order of the booklet, and ``audit`` checks
it like any other PDF.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf

# The booklet's page is half the clinic's paper, and the sheet it is printed on is that
# paper turned landscape (CSS page sizes, and sheet sizes in points).
PAGE_SIZE = {"A4": "A5", "Letter": "5.5in 8.5in"}
SHEET_POINTS = {"A4": (841.889764, 595.275591), "Letter": (792.0, 612.0)}
PAGES_PER_SHEET = 4  # two on each side of a folded sheet

# Marks the booklet's own elements in the page handed to WeasyPrint.
BLANK_CLASS = "booklet-blank"
HELP_BOX_CLASS = "get-help"


def padding(pages: int) -> int:
    """How many empty pages make ``pages`` fill whole folded sheets."""
    return -pages % PAGES_PER_SHEET


def sheet_order(pages: int, right_to_left: bool = False) -> list[tuple[int, int]]:
    """The booklet pages (1-based; left, right) on each side of each sheet, in the
    order they are printed: sheet 1 front, sheet 1 back, sheet 2 front, ...

    The outermost sheet carries the first and last pages; each sheet inside it the
    next two from each end. A booklet in a right-to-left script is bound on the right,
    so every side is the mirror of a left-to-right one (front 1|8, back 7|2).
    ``pages`` must be a multiple of 4."""
    if pages <= 0 or pages % PAGES_PER_SHEET:
        raise ValueError(f"a booklet has a multiple of {PAGES_PER_SHEET} pages, not {pages}")
    sides = []
    for sheet in range(pages // PAGES_PER_SHEET):
        low, high = 2 * sheet + 1, pages - 2 * sheet
        sides.append((high, low))  # front: the last page (or the one facing it) beside the first
        sides.append((low + 1, high - 1))  # back
    return [(right, left) for left, right in sides] if right_to_left else sides


# ---------------------------------------------------------------- the reading edition


def move_help_box_to_back(root) -> None:
    """Put the help box last in the handout, where the booklet's stylesheet starts it on
    a page of its own: the back page, which a patient sees without opening the booklet.
    ``root``: the page's element tree, as WeasyPrint parsed it."""
    for parent in root.iter():
        for child in list(parent):
            if child.tag == "section" and HELP_BOX_CLASS in (child.get("class") or "").split():
                parent.remove(child)
                parent.append(child)
                return
    raise ValueError("the page has no help box (section.get-help) to put on the booklet's back page")


def add_empty_pages(root, count: int) -> None:
    """Insert ``count`` empty pages before the help box (moved last by
    ``move_help_box_to_back``). Each is an empty block that starts a page and holds no
    content, so nothing of it is tagged."""
    for parent in root.iter():
        children = list(parent)
        for index, child in enumerate(children):
            if child.tag == "section" and HELP_BOX_CLASS in (child.get("class") or "").split():
                for offset in range(count):
                    blank = child.makeelement("div", {"class": BLANK_CLASS, "aria-hidden": "true"})
                    parent.insert(index + offset, blank)
                return
    raise ValueError("the page has no help box (section.get-help)")


def lay_out(document, **options):
    """Lay out ``document`` (a WeasyPrint ``HTML`` whose stylesheets include
    ``booklet.css``) as a booklet: help box on the back page, empty pages before it up
    to a multiple of 4. Returns the rendered WeasyPrint document. A second layout is
    needed only when pages are added (the footer counts them)."""
    root = document.etree_element
    move_help_box_to_back(root)
    rendered = document.render(**options)
    missing = padding(len(rendered.pages))
    if missing:
        add_empty_pages(root, missing)
        rendered = document.render(**options)
        if padding(len(rendered.pages)):
            raise RuntimeError(f"the booklet has {len(rendered.pages)} pages after adding {missing} empty ones")
    return rendered


# ---------------------------------------------------------------- the imposed sheets


@dataclass(frozen=True)
class Placement:
    """Where a booklet page is printed: on which side of which sheet (a page of the
    imposed PDF), moved how far right (points), drawn by which form XObject."""

    sheet: pikepdf.Dictionary
    shift: float
    form: pikepdf.Stream


def impose(booklet_pdf: bytes, paper: str, right_to_left: bool = False) -> bytes:
    """The booklet's pages two-up on ``paper`` (``A4`` or ``Letter``) turned landscape,
    in folding order (``sheet_order``), with the structure tree, links and bookmarks kept."""
    sheet_width, sheet_height = SHEET_POINTS[paper]
    with pikepdf.open(io.BytesIO(booklet_pdf)) as pdf:
        pages = list(pdf.pages)
        order = sheet_order(len(pages), right_to_left)
        structure = pdf.Root.get("/StructTreeRoot")
        next_key = _next_parent_tree_key(structure) if structure is not None else 0
        sheets, placements_by_page = [], {}
        for left, right in order:
            sheet = pdf.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.Page, MediaBox=pikepdf.Array([0, 0, sheet_width, sheet_height]),
                Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary()), Tabs=pikepdf.Name.S))
            drawing, annotations = [], pikepdf.Array()
            for number, is_left in ((left, True), (right, False)):
                page = pages[number - 1]
                # The two pages meet at the fold; a page narrower than half the sheet
                # (A5 is 148 mm, half of A4 148.5 mm) leaves the difference at the edge.
                shift = sheet_width / 2 - _width(page) if is_left else sheet_width / 2
                form = page.as_form_xobject()
                if "/StructParents" in page.obj:
                    # The ParentTree entry that mapped the page's MCIDs to their
                    # elements now maps the same MCIDs in the form.
                    form.StructParents = page.obj.StructParents
                name = f"/Page{number}"
                sheet.Resources.XObject[name] = form
                drawing.append(f"q 1 0 0 1 {shift:.6f} 0 cm {name} Do Q\n")
                for annotation in page.obj.get("/Annots", ()):
                    _move_annotation(annotation, sheet, shift)
                    annotations.append(annotation)
                placements_by_page[page.obj.objgen] = Placement(sheet, shift, form)
            sheet.Contents = pdf.make_stream("".join(drawing).encode("ascii"))
            if annotations:
                sheet.Annots = annotations
            if structure is not None:
                # The sheet draws no marked content of its own: its tagged content is
                # in the forms. It still gets an (empty) entry, as every tagged page does.
                sheet.StructParents = next_key
                _parent_tree_nums(structure).extend([next_key, pdf.make_indirect(pikepdf.Array())])
                next_key += 1
            sheets.append(sheet)

        if structure is not None:
            structure.ParentTreeNextKey = next_key
            _point_structure_at_forms(structure, placements_by_page)
        roots = [pdf.Root[key] for key in ("/Outlines", "/Names", "/Dests", "/OpenAction") if key in pdf.Root]
        roots += [annotation for sheet in sheets for annotation in sheet.get("/Annots", ())]
        _move_destinations(pdf, roots, placements_by_page)

        for page in pages:
            pdf.pages.remove(page)
        for sheet in sheets:
            pdf.pages.append(pikepdf.Page(sheet))
        out = io.BytesIO()
        pdf.save(out, compress_streams=True, deterministic_id=True)
        return out.getvalue()


def _width(page: pikepdf.Page) -> float:
    box = page.obj.get("/TrimBox", page.mediabox)
    return float(box[2]) - float(box[0])


def _move_annotation(annotation: pikepdf.Dictionary, sheet: pikepdf.Dictionary, shift: float) -> None:
    rect = [float(value) for value in annotation.Rect]
    annotation.Rect = pikepdf.Array([rect[0] + shift, rect[1], rect[2] + shift, rect[3]])
    if "/QuadPoints" in annotation:
        points = [float(value) for value in annotation.QuadPoints]
        annotation.QuadPoints = pikepdf.Array([v + shift if i % 2 == 0 else v for i, v in enumerate(points)])
    annotation.P = sheet


def _parent_tree_nums(structure: pikepdf.Dictionary) -> pikepdf.Array:
    """The ParentTree's top-level ``/Nums`` (WeasyPrint writes a flat tree)."""
    tree = structure.ParentTree
    if "/Nums" not in tree:
        raise ValueError("the structure tree's ParentTree has no /Nums at its root")
    return tree.Nums


def _next_parent_tree_key(structure: pikepdf.Dictionary) -> int:
    if "/ParentTreeNextKey" in structure:
        return int(structure.ParentTreeNextKey)
    nums = _parent_tree_nums(structure)
    return max((int(nums[i]) for i in range(0, len(nums), 2)), default=-1) + 1


def _point_structure_at_forms(structure: pikepdf.Dictionary, page_to_sheet: dict) -> None:
    """Every element on a booklet page now names the sheet it is printed on, and its
    marked content the form that holds it (an MCR with /Stm)."""
    seen = set()
    pending = [structure.get("/K")]
    while pending:
        kid = pending.pop()
        if isinstance(kid, pikepdf.Array):
            pending.extend(kid)
            continue
        if not isinstance(kid, pikepdf.Dictionary) or "/S" not in kid:
            continue  # a marked-content id or reference, handled with its element
        if kid.is_indirect:
            if kid.objgen in seen:
                continue
            seen.add(kid.objgen)
        page = kid.get("/Pg")
        target = page_to_sheet.get(page.objgen) if isinstance(page, pikepdf.Dictionary) else None
        if target is not None:
            kid.Pg = target.sheet
        if "/K" in kid:
            kid.K = _content_references(kid.K, target, page_to_sheet)
            pending.append(kid.K)


def _content_references(kids, target, page_to_sheet):
    """An element's kids with each marked-content id turned into a reference to the
    form that now holds it (``target``: where the element's own page went), and
    references to content or annotations on other pages moved to their sheet."""
    items = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    moved = pikepdf.Array()
    for item in items:
        if isinstance(item, int):
            if target is None:
                raise ValueError(f"marked content {item} of an element that names no page")
            item = pikepdf.Dictionary(Type=pikepdf.Name.MCR, MCID=item, Stm=target.form)
        elif isinstance(item, pikepdf.Dictionary) and item.get("/Type") in (pikepdf.Name.MCR, pikepdf.Name.OBJR):
            own = page_to_sheet.get(item.Pg.objgen) if isinstance(item.get("/Pg"), pikepdf.Dictionary) else target
            if own is not None:
                item.Pg = own.sheet
                if item.Type == pikepdf.Name.MCR and "/Stm" not in item:
                    item.Stm = own.form
        moved.append(item)
    return moved


# Which operands of each kind of destination are horizontal positions on the page.
_DESTINATION_X = {"/XYZ": (2,), "/FitV": (2,), "/FitBV": (2,), "/FitR": (2, 4),
                  "/Fit": (), "/FitB": (), "/FitH": (), "/FitBH": ()}


def _move_destinations(pdf: pikepdf.Pdf, roots, page_to_sheet: dict) -> None:
    """Bookmarks, named destinations and internal links name a page and a point on
    it: they now name the sheet and the point where that page is printed."""
    seen = set()

    def visit(obj) -> None:
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)) and obj.is_indirect:
            if obj.objgen in seen:
                return
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Array):
            if (len(obj) >= 2 and isinstance(obj[0], pikepdf.Dictionary) and obj[0].objgen in page_to_sheet
                    and isinstance(obj[1], pikepdf.Name) and str(obj[1]) in _DESTINATION_X):
                target = page_to_sheet[obj[0].objgen]
                obj[0] = target.sheet
                for index in _DESTINATION_X[str(obj[1])]:
                    if index < len(obj) and obj[index] is not None:  # null: keep the viewer's position
                        obj[index] = float(obj[index]) + target.shift
                return
            for item in obj:
                visit(item)
        elif isinstance(obj, pikepdf.Dictionary):
            for key in obj.keys():
                if key not in ("/Parent", "/P", "/Pg", "/StructTreeRoot", "/Pages", "/Contents", "/Resources"):
                    visit(obj[key])

    for root in roots:
        visit(root)

