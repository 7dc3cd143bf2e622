"""The publishing decision as plain data: what each block shows and why, whether each
format is published, held back or withdrawn, and percentages rounded down."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import ROOT
from pipeline.build.digests import PAGE_CODE, PRINT_CODE, Inputs
from pipeline.config import load_config
from pipeline.model import Article, Block
from pipeline.publish import (FUZZY, HELD, MISSING, PUBLISHED, REJECTED, TRANSLATED, WITHDRAWN, decide,
                              floor_percent)
from pipeline.qa import Problem
from pipeline.translate import Translation

CONFIG = load_config(ROOT / "clinics.yaml")
PUNE, MARATHI = CONFIG.clinics["pune"], CONFIG.locales["mr"]


def article(blocks: int) -> Article:
    found = [Block("title", "A title", 2), Block("summary", "A summary.", 3)]
    found += [Block("paragraph", f"Paragraph {n}.", 10 + n) for n in range(blocks - 2)]
    return Article("sample", Path("source/sample.md"), "A title", "A summary.", dt.date(2026, 1, 5), (), "",
                   tuple(found))


def translation(art: Article, missing=(), fuzzy=()) -> Translation:
    keys = [b.key for b in art.blocks]
    messages = {key: f"मराठी {index}" for index, key in enumerate(keys) if index not in missing and index not in fuzzy}
    reasons = {keys[i]: "fuzzy" for i in fuzzy} | {keys[i]: "untranslated" for i in missing}
    lines = {key: 20 + 4 * index for index, key in enumerate(keys) if index not in missing}
    fallbacks = tuple(b for i, b in enumerate(art.blocks) if i in missing or i in fuzzy)
    return Translation("mr", "en", messages, fallbacks, reasons, len(keys), lines)


def test_percent_rounds_down_in_the_decision_and_the_hold_back_message():
    art = article(253)
    publication = decide(art, translation(art, missing=[100]), [], PUNE, MARATHI)
    assert (publication.translated, publication.total, publication.percent) == (252, 253, 99)
    pdf = publication.format("pdf")
    assert pdf.status == HELD
    assert pdf.reason == "99% translated (needs 100%)"
    assert floor_percent(1, 3) == 33 and floor_percent(2, 3) == 66 and floor_percent(0, 0) == 100


def test_each_block_says_what_it_shows_and_why():
    art = article(6)
    problem = Problem("locales/mr/LC_MESSAGES/sample.po", 36, "error", "the number 3 is missing", "numbers",
                      art.blocks[4].text, None)
    publication = decide(art, translation(art, missing=[2], fuzzy=[3]), [problem], PUNE, MARATHI,
                         catalog="locales/mr/LC_MESSAGES/sample.po")
    statuses = [b.status for b in publication.blocks]
    assert statuses == [TRANSLATED, TRANSLATED, MISSING, FUZZY, REJECTED, TRANSLATED]
    assert publication.text(art.blocks[0]) == ("मराठी 0", "mr")
    for index in (2, 3, 4):  # fallbacks show the source, marked as English
        assert publication.text(art.blocks[index]) == (art.blocks[index].text, "en")
    rejected = publication.shown(art.blocks[4])
    assert rejected.where == "locales/mr/LC_MESSAGES/sample.po:36"
    assert rejected.message == "the number 3 is missing"
    assert publication.shown(art.blocks[3]).where == "locales/mr/LC_MESSAGES/sample.po:32"
    assert publication.partial  # the page shows the "not translated yet" notice
    assert publication.percent == 50  # 3 of 6: the QA-rejected block does not count as translated


def test_a_qa_error_holds_every_print_format_back_but_not_the_page():
    art = article(4)
    problem = Problem("locales/mr/LC_MESSAGES/sample.po", 12, "error", "a changed number", "numbers",
                      art.blocks[2].text, None)
    warning = Problem("locales/mr/LC_MESSAGES/sample.po", 16, "warning", "a glossary term", "glossary",
                      art.blocks[3].text, None)
    publication = decide(art, translation(art), [problem, warning], PUNE, MARATHI)
    assert publication.format("html").status == PUBLISHED
    for fmt in ("pdf", "large-print", "print-shop"):
        decision = publication.format(fmt)
        assert decision.status == HELD and not decision.available
        assert decision.reason == ("75% translated (needs 100%); 1 QA error(s) in the catalog, first "
                                   "locales/mr/LC_MESSAGES/sample.po:12: a changed number")
    assert publication.shown(art.blocks[3]).status == TRANSLATED  # a warning does not reject


def test_the_last_good_pdf_stays_only_while_it_meets_the_threshold():
    art = article(4)
    held = decide(art, translation(art, missing=[3]), [], PUNE, MARATHI, kept={"pdf": 100})
    assert held.format("pdf").status == HELD and held.format("pdf").available
    assert held.format("pdf").reason.endswith(", last good PDF kept")
    assert not held.format("large-print").available  # none was published

    stricter = PUNE.__class__(**{**PUNE.__dict__, "publish_threshold": {"pdf": 100, "html": 80}})
    raised = decide(art, translation(art, missing=[3]), [], stricter, MARATHI, kept={"pdf": 90, "html": 90})
    assert raised.format("pdf").status == WITHDRAWN and not raised.format("pdf").available
    assert raised.format("html").status == WITHDRAWN
    assert raised.format("html").reason == "75% translated (needs 80%)"


def test_the_source_language_is_always_complete():
    art = article(3)
    english = Translation("en", "en", {}, (), {}, 3)
    publication = decide(art, english, [], PUNE, CONFIG.locales["en"])
    assert publication.percent == 100 and not publication.partial
    assert all(d.status == PUBLISHED for d in publication.formats)


def test_the_build_digest_names_only_the_distributions_the_pipeline_imports():
    """Installing pytest (or anything else the build does not import) changes nothing."""
    inputs = Inputs(CONFIG, {})
    page_code, page_imports = inputs._code_digest(PAGE_CODE)
    _print_code, print_imports = inputs._code_digest(PRINT_CODE)
    names = {name for name, _version in inputs._installed(page_imports | print_imports)}
    assert {"weasyprint", "markdown", "jinja2", "babel", "fonttools", "pydyf"} <= names
    assert not names & {"pytest", "pytest-xdist", "hypothesis", "playwright", "pypdf", "six", "pip", "setuptools"}
    assert inputs.distributions(page_imports) == Inputs(CONFIG, {}).distributions(page_imports)


def test_the_build_digest_does_not_depend_on_where_the_project_is(tmp_path):
    from conftest import copy_project

    here = Inputs(load_config(copy_project(tmp_path / "a" / "project") / "clinics.yaml"), {})
    there = Inputs(load_config(copy_project(tmp_path / "b" / "elsewhere") / "clinics.yaml"), {})
    assert here.page == there.page and here.print == there.print
    assert here.clinic("pune") == there.clinic("pune")
    source = (ROOT / "source").glob("*.md").__next__()
    assert here.output_digests("pune", "mr", source.stem, source.read_bytes(), ("html", "pdf")) == \
        there.output_digests("pune", "mr", source.stem, source.read_bytes(), ("html", "pdf"))
