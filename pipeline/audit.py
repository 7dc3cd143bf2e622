"""Check every built PDF against what PDF/UA-1 asks of it (``audit``).

WeasyPrint writes tagged PDF, but some of what a screen reader or a magnifier relies
on can still go missing (a missing ``lang`` or ``alt`` is only logged; a font can lose
its ToUnicode map; a page footer can land in the reading order). Each check below is
a small function with one job: it reads one PDF and yields a ``Problem`` naming the
file, the page and the element. ``CHECKS`` lists them in the order a report shows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterator

import pikepdf

from pipeline.files import display_path
from pipeline.pdf_structure import AuditedPdf, Problem, text_of
from pipeline.variants import language_tag

HEADING = re.compile(r"^/H([1-6])$")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
# Structure types that hold a block of the page: what reading order and page breaks are about.
BLOCKS = {"/P", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/L", "/LI", "/Figure", "/Table",
          "/BlockQuote", "/Caption"}
TEXT_OPERATORS = {"Tj", "TJ", "'", '"'}
PAINT_OPERATORS = TEXT_OPERATORS | {"Do", "sh", "BI"}


# ---------------------------------------------------------------- the checks


def check_structure_tree(doc: AuditedPdf) -> Iterator[Problem]:
    """Tagged: a structure tree with content, marked as such, every page tied to it."""
    check = "structure-tree"
    root = doc.pdf.Root
    if not isinstance(root.get("/StructTreeRoot"), pikepdf.Dictionary):
        yield doc.problem(check, 0, "Catalog", "no structure tree (StructTreeRoot): the PDF is not tagged")
        return
    if not doc.structure:
        yield doc.problem(check, 0, "StructTreeRoot", "the structure tree is empty")
    if "/ParentTree" not in root.StructTreeRoot:
        yield doc.problem(check, 0, "StructTreeRoot", "no ParentTree: marked content cannot be found in the tree")
    mark_info = root.get("/MarkInfo")
    if not isinstance(mark_info, pikepdf.Dictionary) or not bool(mark_info.get("/Marked", False)):
        yield doc.problem(check, 0, "Catalog MarkInfo", "Marked is not true")
    for number, page in enumerate(doc.pdf.pages, start=1):
        if "/StructParents" not in page.obj:
            yield doc.problem(check, number, "Page", "no StructParents: its content is not tied to the structure tree")
        if page.obj.get("/Annots") and page.obj.get("/Tabs") != pikepdf.Name.S:
            yield doc.problem(check, number, "Page", "Tabs is not /S: keyboard order does not follow the structure")


def check_language(doc: AuditedPdf) -> Iterator[Problem]:
    """The document's natural language is set, well formed, and the one it is written in."""
    check = "language"
    lang = text_of(doc.pdf.Root.get("/Lang"))
    if not lang:
        yield doc.problem(check, 0, "Catalog Lang", "no document language: a screen reader cannot pick a voice")
    elif not LANGUAGE_TAG.match(lang):
        yield doc.problem(check, 0, "Catalog Lang", f"'{lang}' is not a language tag (BCP 47)")
    elif doc.expected_lang and lang.lower().split("-")[0] != doc.expected_lang.lower().split("-")[0]:
        yield doc.problem(check, 0, "Catalog Lang", f"is '{lang}', but this PDF is in '{doc.expected_lang}'")
    for node in doc.structure:
        inner = node.obj.get("/Lang")
        if inner is not None and not LANGUAGE_TAG.match(text_of(inner)):
            yield doc.problem(check, node.page, node.label, f"Lang '{text_of(inner)}' is not a language tag")


def check_title(doc: AuditedPdf) -> Iterator[Problem]:
    """A title in the metadata, shown in the window's title bar instead of the file name."""
    check = "title"
    title = text_of(doc.pdf.docinfo.get("/Title")) if doc.pdf.trailer.get("/Info") is not None else ""
    with doc.pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        xmp_title = text_of(meta.get("dc:title"))
        ua_part = text_of(meta.get("pdfuaid:part"))
    if not title and not xmp_title:
        yield doc.problem(check, 0, "Metadata", "no document title (Info Title or XMP dc:title)")
    elif not xmp_title:
        yield doc.problem(check, 0, "XMP metadata", "no dc:title")
    prefs = doc.pdf.Root.get("/ViewerPreferences")
    if not isinstance(prefs, pikepdf.Dictionary) or not bool(prefs.get("/DisplayDocTitle", False)):
        yield doc.problem(check, 0, "Catalog ViewerPreferences", "DisplayDocTitle is not true: "
                          "the window shows the file name instead of the title")
    if ua_part != "1":
        yield doc.problem(check, 0, "XMP metadata", "no PDF/UA identification (pdfuaid:part 1)")


def check_headings(doc: AuditedPdf) -> Iterator[Problem]:
    """Headings are tagged, start at H1 and never skip a level on the way down."""
    check = "headings"
    previous = 0
    found = False
    for node in doc.structure:
        match = HEADING.match(node.tag)
        if not match:
            continue
        level = int(match.group(1))
        if not found and level != 1:
            yield doc.problem(check, node.page, node.label, "the first heading is not H1")
        elif level > previous + 1:
            yield doc.problem(check, node.page, node.label, f"skips a level: H{level} after H{previous}")
        found = True
        previous = level
    if not found:
        yield doc.problem(check, 0, "StructTreeRoot", "no headings are tagged (H1-H6)")


def check_figures(doc: AuditedPdf) -> Iterator[Problem]:
    """Every figure has alternative text."""
    for node in doc.structure:
        if node.tag == "/Figure" and not (text_of(node.obj.get("/Alt")) or text_of(node.obj.get("/ActualText"))):
            yield doc.problem("figures", node.page, node.label, "no alternative text (Alt)")


def check_tables(doc: AuditedPdf) -> Iterator[Problem]:
    """Every table has header cells, and its data cells say which headers are theirs."""
    nodes = doc.structure
    for index, node in enumerate(nodes):
        if node.tag != "/Table":
            continue
        inside = []
        for later in nodes[index + 1:]:
            if later.depth <= node.depth:
                break
            inside.append(later)
        if not any(n.tag == "/TH" for n in inside):
            yield doc.problem("tables", node.page, node.label, "no header cells (TH)")
            continue
        for cell in inside:
            if cell.tag != "/TD":
                continue
            attributes = cell.obj.get("/A")
            headers = attributes.get("/Headers") if isinstance(attributes, pikepdf.Dictionary) else None
            if not headers:
                yield doc.problem("tables", cell.page, cell.label, "a data cell with no Headers")


def check_links(doc: AuditedPdf) -> Iterator[Problem]:
    """Every link annotation has a description and a Link element in the structure tree."""
    check = "links"
    for number, page in enumerate(doc.pdf.pages, start=1):
        for annotation in page.obj.get("/Annots", ()):
            if annotation.get("/Subtype") != pikepdf.Name.Link:
                continue
            action = annotation.get("/A")
            target = text_of(action.get("/URI")) if isinstance(action, pikepdf.Dictionary) else text_of(annotation.get("/Dest"))
            element = f"Link annotation to {target or 'an unnamed destination'}"
            if not text_of(annotation.get("/Contents")):
                yield doc.problem(check, number, element, "no description (Contents)")
            if "/StructParent" not in annotation:
                yield doc.problem(check, number, element, "not in the structure tree (no StructParent)")
                continue
            parent = doc.parent_tree.get(int(annotation.StructParent))
            if not isinstance(parent, pikepdf.Dictionary) or parent.get("/S") != pikepdf.Name.Link:
                yield doc.problem(check, number, element, "its structure element is not a Link")
            elif parent.is_indirect and parent.objgen not in doc.reachable:
                yield doc.problem(check, number, element, "its Link element is not in the structure tree")


def _fonts(resources, seen: set) -> Iterator[tuple[str, pikepdf.Dictionary]]:
    """Every font a page's resources use, including inside form XObjects."""
    if not isinstance(resources, pikepdf.Dictionary):
        return
    for name, font in resources.get("/Font", {}).items():
        if font.objgen not in seen or font.objgen == (0, 0):
            seen.add(font.objgen)
            yield name, font
    for xobject in resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == pikepdf.Name.Form and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            yield from _fonts(xobject.get("/Resources"), seen)
    for pattern in resources.get("/Pattern", {}).values():
        if isinstance(pattern, pikepdf.Dictionary) and pattern.objgen not in seen:
            seen.add(pattern.objgen)
            yield from _fonts(pattern.get("/Resources"), seen)


def check_fonts(doc: AuditedPdf) -> Iterator[Problem]:
    """Every font is embedded and maps its glyphs to Unicode (ToUnicode)."""
    seen: set = set()
    for number, page in enumerate(doc.pdf.pages, start=1):
        for name, font in _fonts(page.obj.get("/Resources"), seen):
            element = f"font {text_of(font.get('/BaseFont')) or name}"
            subtype = font.get("/Subtype")
            if subtype == pikepdf.Name.Type3:
                descriptor = None  # glyphs drawn by content streams inside the PDF
            elif subtype == pikepdf.Name.Type0:
                descendants = font.get("/DescendantFonts")
                descriptor = descendants[0].get("/FontDescriptor") if descendants else None
            else:
                descriptor = font.get("/FontDescriptor")
            if subtype != pikepdf.Name.Type3 and not (
                    isinstance(descriptor, pikepdf.Dictionary)
                    and any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))):
                yield doc.problem("fonts", number, element, "not embedded")
            if "/ToUnicode" not in font:
                yield doc.problem("fonts", number, element, "no ToUnicode map: its text cannot be read aloud or copied")


def check_page_furniture(doc: AuditedPdf) -> Iterator[Problem]:
    """All content is either an artifact or real content in the structure tree: running
    headers and footers, borders and backgrounds stay out of the reading order. A form
    XObject with its own StructParents (a booklet page drawn on its printed sheet) holds
    tagged content of its own, checked the same way."""
    check = "artifacts"
    for number, page in enumerate(doc.pdf.pages, start=1):
        mapping = doc.parent_tree.get(int(page.obj.StructParents)) if "/StructParents" in page.obj else None
        try:
            untagged, orphan_ids = _marked_content(doc, page.obj, mapping, set())
        except pikepdf.PdfError as err:
            yield doc.problem(check, number, "content stream", f"cannot be read: {err}")
            continue
        if untagged:
            yield doc.problem(check, number, "content", f"{untagged} text or image operation(s) neither tagged "
                              "nor marked as an artifact")
        if orphan_ids:
            ids = ", ".join(str(i) for i in orphan_ids[:8]) + (" …" if len(orphan_ids) > 8 else "")
            yield doc.problem(check, number, f"marked content {ids}",
                              "tagged but in no structure element of the tree (page header or footer?): "
                              "mark it as an artifact")


def _marked_content(doc: AuditedPdf, owner, mapping, visited: set) -> tuple[int, list[int]]:
    """In the content of ``owner`` (a page or a tagged form XObject), how many text or
    image operations are neither tagged nor artifacts, and which MCIDs name no element
    of the tree (``mapping``: the owner's ParentTree entry)."""
    resources = owner.get("/Resources")
    forms = resources.get("/XObject", {}) if isinstance(resources, pikepdf.Dictionary) else {}
    stack: list[tuple[str, int | None]] = []  # (tag, MCID) of open marked content
    untagged = 0
    orphan_ids: list[int] = []
    for operands, operator in pikepdf.parse_content_stream(owner):
        op = str(operator)
        if op in ("BDC", "BMC"):
            tag = str(operands[0])
            mcid = None
            if op == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
                mcid = int(operands[1].MCID)
            stack.append((tag, mcid))
        elif op == "EMC":
            if stack:
                stack.pop()
        elif op in PAINT_OPERATORS:
            if any(tag == "/Artifact" for tag, _ in stack):
                continue
            mcid = next((m for _, m in reversed(stack) if m is not None), None)
            if mcid is None:
                form = forms.get(str(operands[0])) if op == "Do" and operands else None
                if (isinstance(form, pikepdf.Stream) and "/StructParents" in form and not stack
                        and form.objgen not in visited):
                    visited.add(form.objgen)
                    inner = doc.parent_tree.get(int(form.StructParents))
                    more, orphans = _marked_content(doc, form, inner, visited)
                    untagged += more
                    orphan_ids += [i for i in orphans if i not in orphan_ids]
                    continue
                untagged += op in TEXT_OPERATORS or op == "Do"
                continue
            element = mapping[mcid] if isinstance(mapping, pikepdf.Array) and mcid < len(mapping) else None
            if not isinstance(element, pikepdf.Dictionary) or element.objgen not in doc.reachable:
                if mcid not in orphan_ids:
                    orphan_ids.append(mcid)
    return untagged, orphan_ids


def check_headings_kept_with_text(doc: AuditedPdf) -> Iterator[Problem]:
    """No heading stands alone at the bottom of a page, away from the text it introduces."""
    blocks = [node for node in doc.structure if node.tag in BLOCKS]
    for index, node in enumerate(blocks):
        if not HEADING.match(node.tag) or not node.page:
            continue
        following = next((b for b in blocks[index + 1:] if not HEADING.match(b.tag) and b.page), None)
        if following is not None and following.page > node.page:
            yield doc.problem("page-breaks", node.page, node.label,
                              f"alone at the bottom of the page: its text starts on page {following.page}")


CHECKS: list[Callable[[AuditedPdf], Iterator[Problem]]] = [
    check_structure_tree,
    check_language,
    check_title,
    check_headings,
    check_figures,
    check_tables,
    check_links,
    check_fonts,
    check_page_furniture,
    check_headings_kept_with_text,
]


# ---------------------------------------------------------------- running the checks


def audit_pdf(path: Path | str, expected_lang: str | None = None, *, name: str | None = None,
              checks=None) -> list[Problem]:
    """Every problem the checks find in one PDF (an unreadable file is one problem)."""
    path = Path(path)
    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PdfError, OSError) as err:
        return [Problem(name or str(path), 0, "file", f"cannot be opened as a PDF: {err}", "file")]
    with pdf:
        doc = AuditedPdf(path, pdf, expected_lang, name or str(path))
        problems: list[Problem] = []
        for check in checks or CHECKS:
            problems.extend(check(doc))
        return problems


def pdfs_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.pdf") if p.is_file())


def expected_language(path: Path, locales) -> str | None:
    """The language a built PDF should declare, as a BCP 47 tag: its folder is
    outputs/<clinic>/<locale>/ (a gettext code: en_US declares en-US)."""
    return language_tag(path.parent.name) if path.parent.name in locales else None


def audit_folder(folder: Path, locales=()) -> tuple[list[Path], list[Problem]]:
    paths = pdfs_under(folder)
    problems: list[Problem] = []
    for path in paths:
        problems.extend(audit_pdf(path, expected_language(path, locales), name=display_path(path, Path.cwd())))
    return paths, problems
