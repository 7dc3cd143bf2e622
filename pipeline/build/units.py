"""One unit of work: one handout for one clinic and locale.

``render_unit`` runs in a worker process. It reads the handout, decides what may be
published (``pipeline.publish``), and renders what is published into bytes. It writes
nothing: the build writes every file, atomically, and keeps the record of what it owns.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputError, PipelineError
from pipeline.interface import CALL_NUMBER, EMAIL_ADDRESS
from pipeline.model import Config
from pipeline.publish import FORMATS as ALL_FORMATS
from pipeline.publish import HTML, PRINT_FORMATS, PUBLISHED, Publication, load_publication
from pipeline.render_html import STATIC_DIR, render_page
from pipeline.render_pdf import render_pdf
from pipeline.sources import load_article
from pipeline.translate import InterfaceText
from pipeline.variables import clinic_values, expand

PRINT_SHOP = "print-shop"  # built only when asked for (--print-shop): 3 mm bleed and crop marks
FORMATS = tuple(f for f in ALL_FORMATS if f != PRINT_SHOP)  # what a build makes unless told otherwise
OUTPUT_SUFFIX = {HTML: ".html", "pdf": ".pdf", "large-print": ".large-print.pdf", PRINT_SHOP: ".print-shop.pdf"}


@dataclass(frozen=True)
class Unit:
    """One handout for one clinic and locale: the outputs to build, the digest of what
    each is built from, and which of its files are online now."""

    clinic: str
    locale: str
    slug: str
    source: Path
    digests: dict = field(compare=False, hash=False)  # format -> input digest
    size: int = 0  # bytes of source and catalog, to schedule the largest first
    online: dict = field(default_factory=dict, compare=False, hash=False)  # format -> percent it was published at

    @property
    def name(self) -> str:
        return f"{self.clinic}/{self.locale}/{self.slug}"

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.digests)

    def output_path(self, fmt: str) -> str:
        """Where ``fmt`` is written, relative to the output folder."""
        return output_path(self.clinic, self.locale, self.slug, fmt)


def output_path(clinic: str, locale: str, slug: str, fmt: str) -> str:
    return f"{clinic}/{locale}/{slug}{OUTPUT_SUFFIX[fmt]}"


@dataclass
class UnitResult:
    """What a worker hands back: the bytes of each published output and the decision
    behind every format it was asked for."""

    unit: Unit
    files: dict = field(default_factory=dict)  # format -> bytes to publish
    decisions: dict = field(default_factory=dict)  # format -> (status, reason)
    percent: int = 0  # translated, rounded down
    entry: dict = field(default_factory=dict)  # what the index page shows
    error: str = ""
    exit_code: int = 0
    seconds: float = 0.0
    format_seconds: dict = field(default_factory=dict)  # format -> seconds spent on it
    worker: int = 0  # process id
    peak_memory: int = 0  # the worker's peak resident memory so far, in bytes

    @property
    def held(self) -> dict:
        """format -> reason, for the formats not published."""
        return {fmt: reason for fmt, (status, reason) in self.decisions.items() if status != PUBLISHED}


def render_unit(config: Config, unit: Unit) -> UnitResult:
    """Decide and render one unit's outputs. Never raises: a failure is in the result."""
    started = time.perf_counter()
    result = UnitResult(unit, worker=os.getpid())
    try:
        _render(config, unit, result)
    except PipelineError as err:
        result.error = err.format() if isinstance(err, InputError) else f"{unit.name}: {err}"
        result.exit_code = err.exit_code
    except Exception as err:  # an unexpected failure of one output must not stop the others
        result.error = f"{unit.name}: failed: {type(err).__name__}: {err}"
        result.exit_code = 1
    result.seconds = time.perf_counter() - started
    result.peak_memory = _peak_memory()
    return result


def _render(config: Config, unit: Unit, result: UnitResult) -> None:
    clinic, locale = config.clinics[unit.clinic], config.locales[unit.locale]
    article = load_article(unit.source)
    publication = load_publication(config, article, clinic, locale, kept=unit.online)
    result.percent = publication.percent
    result.decisions = {fmt: (publication.format(fmt).status, publication.format(fmt).reason)
                        for fmt in unit.formats}
    online = {fmt: publication.format(fmt).available if fmt in unit.formats else fmt in unit.online
              for fmt in OUTPUT_SUFFIX}
    result.entry = index_entry(publication, article, clinic_values(clinic, unit.locale), online)

    links = {fmt: os.path.basename(unit.output_path(fmt)) if online[fmt] else None for fmt in ("pdf", "large-print")}
    if publication.format(HTML).status == PUBLISHED and HTML in unit.formats:
        clock = time.perf_counter()
        html = render_page(config, article, publication, clinic, locale, pdf_href=links["pdf"],
                           large_print_href=links["large-print"])
        result.files[HTML] = html.encode("utf-8")
        result.format_seconds[HTML] = time.perf_counter() - clock

    printed = [fmt for fmt in unit.formats if fmt in PRINT_FORMATS and publication.format(fmt).status == PUBLISHED]
    if printed:
        clock = time.perf_counter()
        print_html = render_page(config, article, publication, clinic, locale, for_print=True)
        labels = interface_labels(config, unit.locale)
        shared = time.perf_counter() - clock
        for fmt in printed:
            clock = time.perf_counter()
            result.files[fmt] = render_pdf(print_html, base_dir=config.source_dir, clinic=clinic, locale=locale,
                                           allowed_roots=[config.source_dir, STATIC_DIR],
                                           large_print=(fmt == "large-print"), print_shop=(fmt == PRINT_SHOP),
                                           page_url=unit.output_path(HTML), label=str(unit.source), **labels)
            result.format_seconds[fmt] = time.perf_counter() - clock + shared / len(printed)


def index_entry(publication: Publication, article, values: dict, online: dict) -> dict:
    """What the clinic's index page shows for one handout in one language."""
    title, title_lang = publication.text(article.blocks[0])
    summary, summary_lang = publication.text(article.blocks[1])
    return {"title": expand(title, values), "title_lang": title_lang, "summary": expand(summary, values),
            "summary_lang": summary_lang, "percent": publication.percent,
            "html": online[HTML], "pdf": online["pdf"], "large_print": online["large-print"]}


def print_page(config: Config, unit: Unit) -> str:
    """The print form of a unit's page, as the build renders it for WeasyPrint (the
    benchmark's baseline renders the same HTML)."""
    clinic, locale = config.clinics[unit.clinic], config.locales[unit.locale]
    article = load_article(unit.source)
    publication = load_publication(config, article, clinic, locale)
    return render_page(config, article, publication, clinic, locale, for_print=True)


_interface_labels: dict = {}


def interface_labels(config: Config, locale: str) -> dict:
    """The PDF's own words in ``locale`` (footer, link descriptions), read once per worker."""
    if locale not in _interface_labels:
        ui = InterfaceText(config, locale)
        _interface_labels[locale] = {"call_label": ui.gettext(CALL_NUMBER),
                                     "email_label": ui.gettext(EMAIL_ADDRESS)}
    return _interface_labels[locale]


def _peak_memory() -> int:
    """This process's peak resident memory, in bytes."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
