"""Shared fixtures: a copy of the real project in a temporary folder, and one real
build of it that every test reading outputs shares (built once per test run, even
with several xdist workers)."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import html5lib
import pikepdf
import pypdfium2
import pytest
from filelock import FileLock
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from pipeline.config import load_config
from pipeline.interface import CALL_NUMBER, EMAIL_ADDRESS
from pipeline.publish import load_publication
from pipeline.render_html import STATIC_DIR, render_page
from pipeline.render_pdf import BOTTOM_MARGIN_MM, render_pdf
from pipeline.sources import load_article
from pipeline.translate import InterfaceText

ROOT = Path(__file__).resolve().parent.parent
# A handout's clinical review runs out (pipeline/review.py): the suite runs on a fixed
# day, 2026-11-02, when every handout it builds is current, so no test that expects a
# PDF finds it held back the day a review date passes. Tests of review dates set their own.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1793577600")
TMP = ROOT / "tests" / ".tmp"


def copy_project(target: Path) -> Path:
    """A working copy of the project's inputs (configuration, handouts, catalogs)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "clinics.yaml", target / "clinics.yaml")
    shutil.copytree(ROOT / "source", target / "source")
    if (ROOT / "locales").exists():
        shutil.copytree(ROOT / "locales", target / "locales")
    return target


def run_pipeline(project: Path, *args: str, check: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m pipeline`` in ``project`` as a user would."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=project, env=full_env,
                            capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"pipeline {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


CATALOG_FIXTURE = ROOT / "tests" / "fixtures" / "catalogs"

# The smallest valid handout: front matter on lines 1-7, "Some text." on line 11.
MINIMAL_HANDOUT = """---
title: A handout
summary: What it is about.
reviewed: 2026-01-05
sources:
  - A guideline
---

## A section

Some text.
"""


def catalog_project(tmp_path: Path) -> Path:
    """A copy of the small project the catalog tests edit (two handouts, one locale)."""
    return shutil.copytree(CATALOG_FIXTURE / "project", tmp_path / "project")


def run_cli(project: Path, *args: str, env: dict | None = None) -> int:
    """Run a command in this process (faster than a subprocess) with extra environment."""
    from pipeline import cli

    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        return cli.main([*args, "--config", str(project / "clinics.yaml"), "-q"])
    finally:
        os.environ.clear()
        os.environ.update(old)


def msgfmt_check(path: Path) -> None:
    """GNU msgfmt accepts the file, without a warning."""
    result = subprocess.run(["msgfmt", "--check", "-o", os.devnull, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def once_per_run(name: str, make) -> Path:
    """The folder tests/.tmp/<name>, filled by ``make(folder)`` once per test run and
    shared by the xdist workers of that run (a later run makes it afresh)."""
    TMP.mkdir(parents=True, exist_ok=True)
    folder = TMP / name
    marker = folder / ".run"
    with FileLock(str(TMP / f"{name}.lock")):
        run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"
        if not (marker.exists() and marker.read_text() == run_id):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            make(folder)
            marker.write_text(run_id)
    return folder


@pytest.fixture(scope="session")
def built() -> Path:
    """The real project built once into tests/.tmp/built, as ``make`` builds it: every
    output, then the readability report."""

    def make(folder: Path) -> None:
        copy_project(folder)
        run_pipeline(folder, "build", "-q", check=True)
        run_pipeline(folder, "check", "-q", check=True)

    return once_per_run("built", make)


SMALL_HANDOUT = (ROOT / "tests" / "hostile" / "handout.md").read_text(encoding="utf-8")
SMALL_MARATHI = {  # the Marathi of each block of SMALL_HANDOUT, by kind
    "title": "खुर्च्यांबद्दल एक पत्रक",
    "summary": "हे पत्रक कशाबद्दल आहे ते.",
    "heading": "एक विभाग",
    "paragraph": "भाषांतर करण्यासाठी एक साधा परिच्छेद.",
    "list_item": "एक मुद्दा.",
    "image_alt": "गादीच्या खुर्चीत एक व्यक्ती बसली आहे.",
}


def small_project(folder: Path, titles: dict[str, str]) -> Path:
    """A project with the real configuration, images, interface catalog and glossary,
    and one short handout per slug in ``titles`` (SMALL_HANDOUT under that title) with
    a complete Marathi catalog: quick to build, every format published."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    from pipeline.sources import load_article

    project = folder / "project"
    messages = project / "locales" / "mr" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    shutil.copy(ROOT / "clinics.yaml", project / "clinics.yaml")
    shutil.copytree(ROOT / "source" / "images", project / "source" / "images")
    shutil.copy(ROOT / "locales" / "mr" / "LC_MESSAGES" / "ui.po", messages / "ui.po")
    shutil.copy(ROOT / "locales" / "mr" / "glossary.yaml", project / "locales" / "mr" / "glossary.yaml")
    for slug, title in titles.items():
        source = project / "source" / f"{slug}.md"
        source.write_text(SMALL_HANDOUT.replace("title: A handout about chairs", f"title: {title}"), encoding="utf-8")
        catalog = Catalog(locale="mr", domain=slug, fuzzy=False, project=slug)
        for block in load_article(source).blocks:
            catalog.add(block.text, SMALL_MARATHI[block.kind], context=block.context, auto_comments=[block.describe()])
        with open(messages / f"{slug}.po", "wb") as handle:
            write_po(handle, catalog, width=0)
    return project


def snapshot(outputs: Path) -> dict[str, bytes]:
    """Every output's bytes (not the manifest, the lock or temporary files)."""
    if not outputs.exists():
        return {}
    return {str(p.relative_to(outputs)): p.read_bytes() for p in sorted(outputs.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


LOCAL_DIGITS = {"devanagari": "०१२३४५६७८९", "extended-arabic-indic": "۰۱۲۳۴۵۶۷۸۹"}


def ui_string(locale: str, msgid: str) -> str:
    """What a translator wrote for the interface string ``msgid`` in ``locale``, read
    straight from the committed catalogs: the locale's own, then its base language's
    (en_US -> en), else the English string itself."""
    import polib

    for code in dict.fromkeys([locale, locale.split("_")[0]]):
        path = ROOT / "locales" / code / "LC_MESSAGES" / "ui.po"
        if path.is_file():
            entry = polib.pofile(str(path)).find(msgid)
            if entry is not None and entry.msgstr and "fuzzy" not in entry.flags:
                return entry.msgstr
    return msgid


def local_digits(text: str, digits: str) -> str:
    """``text`` with its ASCII digits written in a locale's own digits (``Locale.digits``)."""
    if digits not in LOCAL_DIGITS:
        return text
    return text.translate(str.maketrans("0123456789", LOCAL_DIGITS[digits]))


# ---------------------------------------------------------------- reading PDFs back

MM = 72 / 25.4


def font_sizes(path: Path) -> list[tuple[float, str]]:
    """(size in points as printed, text) for every run of text in the PDF."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            # The text matrix times the current transformation: its vertical scale.
            c = tm[0] * cm[2] + tm[1] * cm[3]
            d = tm[2] * cm[2] + tm[3] * cm[3]
            runs.append((round(size * math.hypot(c, d), 2), text.strip()))

    for page in PdfReader(path).pages:
        page.extract_text(visitor_text=visit)
    return runs


def pdftotext(path: Path, *options: str) -> str:
    """A PDF's text as poppler's pdftotext reads it, with its ``options`` (pages, area, layout)."""
    return subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", *options, str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def page_size(path: Path) -> tuple[float, float]:
    with pikepdf.open(path) as pdf:
        box = [float(v) for v in pdf.pages[0].MediaBox]
    return box[2] - box[0], box[3] - box[1]


def footers(path: Path) -> list[str]:
    """The text of each page's running footer."""
    width, height = page_size(path)
    margin = BOTTOM_MARGIN_MM[".large-print." in path.name] * MM
    pages = len(pikepdf.open(path).pages)
    return [" ".join(pdftotext(path, "-f", str(n), "-l", str(n), "-r", "72", "-x", "0",
                               "-y", str(int(height - margin)), "-W", str(int(width)), "-H", str(int(margin))).split())
            for n in range(1, pages + 1)]


def devanagari_font() -> TTFont:
    path = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans Devanagari"],
                          capture_output=True, text=True, check=True).stdout
    return TTFont(path)


def letter_forms() -> dict[str, tuple[int, int]]:
    """For ल and श: (the default glyph id, the Marathi glyph id) in Noto Sans Devanagari,
    read from the font's own locl feature for Marathi."""
    font = devanagari_font()
    cmap = font.getBestCmap()
    marathi = {}
    for record in font["GSUB"].table.FeatureList.FeatureRecord:
        if record.FeatureTag != "locl":
            continue
        for index in record.Feature.LookupListIndex:
            for table in font["GSUB"].table.LookupList.Lookup[index].SubTable:
                table = getattr(table, "ExtSubTable", table)
                marathi.update(getattr(table, "mapping", {}) or {})
    forms = {}
    for letter in "लश":
        name = cmap[ord(letter)]
        assert name in marathi, f"the font has no Marathi form of {letter}"
        forms[letter] = (font.getGlyphID(name), font.getGlyphID(marathi[name]))
    return forms


def devanagari_glyph_ids(path: Path) -> set[int]:
    """The glyph ids drawn with Noto Sans Devanagari anywhere in the PDF (WeasyPrint
    keeps the font's own glyph ids when it subsets)."""
    used: set[int] = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            fonts = page.Resources.get("/Font", {})
            current = None
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op == "Tf":
                    font = fonts.get(str(operands[0]))
                    current = font if font is not None and "Devanagari" in str(font.get("/BaseFont", "")) else None
                elif op in ("Tj", "TJ") and current is not None:
                    strings = operands[0] if op == "TJ" else [operands[0]]
                    mapping = current.DescendantFonts[0].get("/CIDToGIDMap")
                    table = mapping.read_bytes() if isinstance(mapping, pikepdf.Stream) else None
                    for item in strings:
                        if isinstance(item, pikepdf.String):
                            data = bytes(item)
                            for i in range(0, len(data) - 1, 2):
                                cid = int.from_bytes(data[i:i + 2], "big")
                                used.add(int.from_bytes(table[2 * cid:2 * cid + 2], "big") if table else cid)
    return used


def render_handout_pdf(project: Path, clinic_id: str, code: str, slug: str = "what-a-course-of-tms-is-like",
                       out: Path | None = None) -> tuple[str, Path]:
    """The print HTML and the PDF of one handout, rendered as the build renders them."""
    config = load_config(project / "clinics.yaml")
    clinic, locale = config.clinics[clinic_id], config.locales[code]
    article = load_article(config.source_dir / f"{slug}.md")
    html = render_page(config, article, load_publication(config, article, clinic, locale), clinic, locale,
                       for_print=True)
    ui = InterfaceText(config, code)
    pdf = render_pdf(html, base_dir=config.source_dir, clinic=clinic, locale=locale,
                     page_url=f"{clinic_id}/{code}/{slug}.html", allowed_roots=[config.source_dir, STATIC_DIR],
                     label=slug, call_label=ui.gettext(CALL_NUMBER), email_label=ui.gettext(EMAIL_ADDRESS))
    path = (out or project) / f"{clinic_id}-{code}-{slug}.pdf"
    path.write_bytes(pdf)
    return html, path


# ---------------------------------------------------------------- the browser audit tools

WEB_AUDIT = ROOT / "tests" / "web_audit" / "node_modules"
AXE_JS = WEB_AUDIT / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]


def web_audit_tool(path: Path) -> Path:
    """``path`` of a tool from tests/web_audit, failing with what to do when it is missing."""
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing; what to do: make setup-test")
    return path


def describe_violation(page: str, viewport: str, violation: dict) -> str:
    nodes = "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:5])
    return f"{page} ({viewport}): {violation['id']} [{violation['impact']}] {violation['help']} — {nodes}"


def with_pypdf(pdf: Path) -> str:
    """A PDF's text as pypdf reads it."""
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


# The two text extractors a PDF's words must come out of (screen readers and copy-paste differ).
EXTRACTORS = {"pdftotext": pdftotext, "pypdf": with_pypdf}


def with_pdfium(pdf: Path) -> str:
    """A PDF's text as PDFium (Chromium's PDF engine) reads it."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()



# ---------------------------------------------------------------- text in the structure tree

# Structure elements of blocks of lines, and the HTML elements they come from: each one
# of right-to-left text carries its text in reading order as /ActualText (pipeline/pdf_text.py).
TEXT_BLOCK_ROLES = ("P", "H1", "H2", "H3", "H4", "H5", "H6", "LBody", "TD", "TH", "Caption")
HTML_TEXT_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "caption"}
HTML_INLINE = {"a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "em", "i", "img", "mark", "q", "s",
               "small", "span", "strong", "sub", "sup", "time", "u", "wbr"}


def right_to_left(text: str) -> bool:
    """Whether ``text`` holds a letter written right to left (Arabic script, Hebrew)."""
    return any(unicodedata.bidirectional(character) in ("R", "AL") for character in text)


def html_text_blocks(html: str, leave_out: tuple[str, ...] = ()) -> list[str]:
    """The text of every block of lines of a page (p, h1–h6, li, td, th, caption holding
    no other block) that holds right-to-left text and neither a link nor an image, white
    space collapsed and ``<br>`` read as a space, in document order. Elements with a class
    in ``leave_out``, and what they hold, are left out."""
    found = []

    def tag(element) -> str | None:
        return element.tag.rpartition("}")[2] if isinstance(element.tag, str) else None

    def text(element) -> str:
        parts = [element.text or ""]
        for child in element:
            parts += [" " if tag(child) == "br" else text(child) if tag(child) else "", child.tail or ""]
        return "".join(parts)

    def visit(element) -> None:
        if set(element.get("class", "").split()) & set(leave_out):
            return
        children = [child for child in element if tag(child)]
        if tag(element) in HTML_TEXT_BLOCKS and all(tag(child) in HTML_INLINE for child in children):
            words = " ".join(re.split(r"[ \t\n\r\f]+", text(element))).strip()
            holds = {tag(inner) for inner in element.iter()} & {"a", "img"}
            if right_to_left(words) and not holds:
                found.append(words)
            return
        for child in children:
            visit(child)

    visit(html5lib.parse(html))
    return found


def structure_actual_texts(pdf: pikepdf.Pdf, roles: tuple[str, ...] = TEXT_BLOCK_ROLES) -> list[str]:
    """The /ActualText of every structure element of one of ``roles`` that has one, in
    reading order."""
    found = []

    def visit(kid) -> None:
        if isinstance(kid, pikepdf.Array):
            for item in kid:
                visit(item)
        elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            if str(kid.S)[1:] in roles and "/ActualText" in kid:
                found.append(str(kid.ActualText))
            visit(kid.get("/K"))

    visit(pdf.Root.StructTreeRoot.get("/K"))
    return found


def unmatched_blocks(html_blocks: list[str], pdf_blocks: list[str]) -> list[str]:
    """What differs between a page's blocks of text and the ActualTexts of its PDF's
    blocks, in order; a block broken across pages is two in the PDF, joined by a space."""
    problems, position = [], 0
    for block in html_blocks:
        joined, end = None, position
        while end < len(pdf_blocks):
            joined = pdf_blocks[end] if joined is None else f"{joined} {pdf_blocks[end]}"
            end += 1
            if joined == block or not block.startswith(joined + " "):
                break
        if joined == block:
            position = end
        else:
            problems.append(f"HTML {block!r}: PDF {pdf_blocks[position] if position < len(pdf_blocks) else None!r}")
    problems += [f"PDF {block!r}: no such HTML block here" for block in pdf_blocks[position:]]
    return problems
