"""One unit in a worker: read the handout, decide what may be published
(``pipeline.publish``) and render what is published into bytes. It writes nothing:
the build writes every file, atomically, and keeps the record of what it owns."""

from __future__ import annotations

import os
import resource
import time
from contextlib import nullcontext

from pipeline.booklet import impose
from pipeline.catalogs import UI_DOMAIN, catalog_path
from pipeline.errors import InputError, PipelineError
from pipeline.files import file_stamp, reading_shipped
from pipeline.bilingual import compose
from pipeline.formats import (BOOKLET, BOOKLET_IMPOSED, HTML, LARGE_PRINT, PDF, PRINT_SHOP, PUBLISHED, SUFFIX,
                              is_print, pair_of)
from pipeline.interface import CALL_NUMBER, EMAIL_ADDRESS
from pipeline.model import Config
from pipeline.publish import Publication, load_publication
from pipeline.render_html import STATIC_DIR, render_page
from pipeline.render_pdf import render_pdf
from pipeline.sources import load_article
from pipeline.translate import InterfaceText
from pipeline.variables import clinic_values, expand
from pipeline.variants import chain
from pipeline.build.units import Unit, UnitResult, output_path


def render_unit(config: Config, unit: Unit, inputs: dict | None = None) -> UnitResult:
    """Decide and render one unit's outputs. Never raises: a failure is in the result.
    ``inputs`` (``shipping.unit_inputs``): the project files it reads, as data; without
    them they are read from the project."""
    started = time.perf_counter()
    result = UnitResult(unit, worker=os.getpid())
    try:
        with reading_shipped(inputs, config.root) if inputs is not None else nullcontext():
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
    publication = load_publication(config, article, clinic, locale, kept=unit.online,
                                   bilingual=[fmt for fmt in unit.formats if pair_of(fmt)])
    result.percent = publication.percent
    result.decisions = {fmt: (publication.format(fmt).status, publication.format(fmt).reason)
                        for fmt in unit.formats}
    bilingual = clinic.bilingual_formats(unit.locale)
    online = {fmt: publication.format(fmt).available if fmt in unit.formats else fmt in unit.online
              for fmt in (*SUFFIX, *bilingual)}
    result.entry = index_entry(publication, article, clinic_values(clinic, unit.locale), online)

    links = {fmt: os.path.basename(unit.output_path(fmt)) if online[fmt] else None
             for fmt in (PDF, LARGE_PRINT, *bilingual)}
    if publication.format(HTML).status == PUBLISHED and HTML in unit.formats:
        clock = time.perf_counter()
        html = render_page(config, article, publication, clinic, locale, pdf_href=links[PDF],
                           large_print_href=links[LARGE_PRINT],
                           bilingual_hrefs={fmt: links[fmt] for fmt in bilingual if links[fmt]})
        result.files[HTML] = html.encode("utf-8")
        result.format_seconds[HTML] = time.perf_counter() - clock

    printed = [fmt for fmt in unit.formats if is_print(fmt) and publication.format(fmt).status == PUBLISHED]
    if printed:
        clock = time.perf_counter()
        print_html = render_page(config, article, publication, clinic, locale, for_print=True)
        labels = interface_labels(config, unit.locale)
        shared = time.perf_counter() - clock
        booklet = None  # laid out once for both booklet files
        for fmt in printed:
            clock = time.perf_counter()
            in_booklet = fmt in (BOOKLET, BOOKLET_IMPOSED)
            if in_booklet and booklet is not None:
                pdf = booklet
            else:
                page, other_pages = print_html, ()
                if pair_of(fmt):  # the handout in the pair's first language beside this one
                    first = config.locales[pair_of(fmt)[0]]
                    page = compose(render_page(config, article, publication.partners[fmt], clinic, first,
                                               for_print=True), print_html, first, locale)
                    other_pages = (output_path(unit.clinic, first.code, unit.slug, HTML),)
                pdf = render_pdf(page, base_dir=config.source_dir, clinic=clinic, locale=locale,
                                 allowed_roots=[config.source_dir, STATIC_DIR], large_print=(fmt == LARGE_PRINT),
                                 print_shop=(fmt == PRINT_SHOP), booklet=in_booklet, bilingual=bool(pair_of(fmt)),
                                 other_pages=other_pages, page_url=unit.output_path(HTML), label=str(unit.source),
                                 **labels)
                if in_booklet:
                    booklet = pdf
            if fmt == BOOKLET_IMPOSED:
                pdf = impose(pdf, clinic.paper, right_to_left=locale.direction == "rtl")
            result.files[fmt] = pdf
            result.format_seconds[fmt] = time.perf_counter() - clock + shared / len(printed)


def index_entry(publication: Publication, article, values: dict, online: dict) -> dict:
    """What the clinic's index page shows for one handout in one language."""
    title, title_lang = publication.text(article.blocks[0])
    summary, summary_lang = publication.text(article.blocks[1])
    return {"title": expand(title, values), "title_lang": title_lang, "summary": expand(summary, values),
            "summary_lang": summary_lang, "percent": publication.percent,
            "html": online[HTML], "pdf": online[PDF], "large_print": online[LARGE_PRINT],
            "bilingual": [fmt for fmt in online if pair_of(fmt) and online[fmt]]}


def print_page(config: Config, unit: Unit) -> str:
    """The print form of a unit's page, as the build renders it for WeasyPrint (the
    benchmark's baseline renders the same HTML)."""
    clinic, locale = config.clinics[unit.clinic], config.locales[unit.locale]
    article = load_article(unit.source)
    publication = load_publication(config, article, clinic, locale, bilingual=())
    return render_page(config, article, publication, clinic, locale, for_print=True)


_interface_labels: dict = {}


def interface_labels(config: Config, locale: str) -> dict:
    """The PDF's own words in ``locale`` (footer, link descriptions), read once per
    worker while its interface catalogs stay the same (a cluster's worker serves build
    after build)."""
    key = (locale, config.source_language,
           tuple(file_stamp(catalog_path(config.locales_dir, code, UI_DOMAIN)) for code in chain(config, locale)
                 if code != config.source_language))
    if key not in _interface_labels:
        ui = InterfaceText(config, locale)
        _interface_labels[key] = {"call_label": ui.gettext(CALL_NUMBER),
                                  "email_label": ui.gettext(EMAIL_ADDRESS)}
    return _interface_labels[key]


def clear_caches() -> None:
    """Forget the PDF's own words read so far, for a process that lives on while ui.po changes."""
    _interface_labels.clear()


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
