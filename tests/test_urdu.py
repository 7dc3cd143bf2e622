"""Urdu (Pune), right to left: the interface and two handouts complete, three partial
(on the web with the notice, held back as PDFs), pages that mirror and isolate their
Latin parts, PDFs in Nastaliq whose words come out in logical order, and Urdu's own
reading measure."""

from __future__ import annotations

import math
import re
import subprocess
from collections import Counter

import pikepdf
import polib
import pytest

from conftest import (
    EXTRACTORS, ROOT, html_text_blocks, msgfmt_check, structure_actual_texts, unmatched_blocks, with_pdfium)
from pipeline.audit import audit_pdf
from pipeline.catalogs import catalog_path, catalog_stats, read_catalog, template_path
from pipeline.commands.stats import locale_stats
from pipeline.config import load_config
from pipeline.model import Locale
from pipeline.publish import load_publication
from pipeline.qa import Entry, check_catalog, end_mark
from pipeline.readability import prose, urdu
from pipeline.readability.measure import check_articles
from pipeline.render_html import localize_digits, mark_directions, render_page
from pipeline.render_pdf import page_css
from pipeline.sources import load_article

CONFIG = load_config(ROOT / "clinics.yaml")
COMPLETE = ("ui", "what-is-treatment-resistant-depression", "why-antidepressants-may-not-work")
PARTIAL = ("everyday-steps-that-support-treatment", "treatment-options-beyond-first-medicines",
           "what-a-course-of-tms-is-like")
PDF_SLUGS = COMPLETE[1:]
# pdftotext marks right-to-left lines and the left-to-right runs in them: not letters.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), " ")
PUNCTUATION = ".,;:!?۔؟،()[]\"'“”‘’—–-"


def _words(text: str) -> list[str]:
    return [w for w in (t.strip(PUNCTUATION) for t in text.translate(BIDI_CONTROLS).split()) if w]


# --------------------------------------------------------------------------
# Configuration and catalogs


def test_urdu_is_a_right_to_left_locale_of_pune():
    urdu_ = CONFIG.locales["ur"]
    assert (urdu_.name, urdu_.script, urdu_.direction, urdu_.digits) == ("اردو", "Arab", "rtl", "latin")
    assert "ur" in CONFIG.clinics["pune"].locales
    assert CONFIG.clinics["pune"].crisis_line.name["ur"] == "ٹیلی مانس"


def test_direction_follows_the_script_when_not_written(project):
    """A locale in Arabic script is right to left without saying so; Latin is not."""
    config = project / "clinics.yaml"
    text = config.read_text(encoding="utf-8")
    assert "    direction: rtl\n" in text
    config.write_text(text.replace("    direction: rtl\n", "", 1), encoding="utf-8")
    reloaded = load_config(config)
    assert reloaded.locales["ur"].direction == "rtl" and reloaded.locales["es"].direction == "ltr"


@pytest.mark.parametrize("domain", COMPLETE)
def test_complete_catalogs_are_complete_and_clean(domain):
    path = catalog_path(CONFIG.locales_dir, "ur", domain)
    catalog = read_catalog(path, "ur")
    stats = catalog_stats(catalog, read_catalog(template_path(CONFIG.locales_dir, domain)))
    assert stats["total"] > 30
    assert (stats["translated"], stats["fuzzy"], stats["untranslated"], stats["percent"]) == (
        stats["total"], 0, 0, 100.0)
    msgfmt_check(path)
    problems = check_catalog(CONFIG, "ur", domain, catalog)
    assert not problems, "\n".join(p.format() for p in problems)


@pytest.mark.parametrize("domain", PARTIAL)
def test_partial_catalogs_are_partial_and_clean(domain):
    path = catalog_path(CONFIG.locales_dir, "ur", domain)
    catalog = read_catalog(path, "ur")
    stats = catalog_stats(catalog, read_catalog(template_path(CONFIG.locales_dir, domain)))
    assert 0 < stats["translated"] < stats["total"] and stats["fuzzy"] == 0
    msgfmt_check(path)
    assert not check_catalog(CONFIG, "ur", domain, catalog)


def _entry(source: str, translation: str) -> Entry:
    return Entry(source=source, translation=translation, path="ur.po", line=1, locale="ur", source_language="en")


def test_end_marks_know_urdu_punctuation():
    """۔ ends a sentence and ؟ asks a question; a comma ، ends nothing."""
    assert not list(end_mark(_entry("Ask your team.", "اپنی ٹیم سے پوچھیں۔")))
    assert not list(end_mark(_entry("Is it common?", "کیا یہ عام ہے؟")))
    assert [p.check for p in end_mark(_entry("Ask your team.", "اپنی ٹیم سے پوچھیں،"))] == ["end_mark"]
    assert "asks a question" in next(end_mark(_entry("Is it common?", "کیا یہ عام ہے۔"))).message


# --------------------------------------------------------------------------
# Right to left on the web


def test_latin_runs_and_phone_numbers_are_isolated_in_right_to_left_text():
    page = ('<html lang="ur" dir="rtl"><body><p>ٹیلی مانس <a href="tel:+912000000000">+91 20 0000 0000</a>'
            ' یا +91 20 0000 0000 پر فون کریں، TMS کے بارے میں 25 سال۔</p>'
            '<p lang="en">An English block.</p><a href="../mr/x.html" lang="mr">मराठी</a></body></html>')
    marked = mark_directions(page, CONFIG.locales)
    assert '<a href="tel:+912000000000" dir="ltr">+91 20 0000 0000</a>' in marked
    assert '<bdi dir="ltr">+91 20 0000 0000</bdi>' in marked and '<bdi dir="ltr">TMS</bdi>' in marked
    assert "<bdi dir=\"ltr\">25</bdi>" not in marked  # a lone number reads the same either way
    assert '<p lang="en" dir="ltr">' in marked and '<a href="../mr/x.html" lang="mr" dir="ltr">' in marked
    only_ltr = {code: locale for code, locale in CONFIG.locales.items() if locale.direction == "ltr"}
    assert mark_directions(page, only_ltr) == page  # no right-to-left language: pages untouched


def test_extended_arabic_indic_digits_are_a_locale_setting():
    urdu_digits = Locale("ur", "اردو", "Urdu", direction="rtl", digits="extended-arabic-indic", script="Arab")
    assert localize_digits("14416", urdu_digits) == "۱۴۴۱۶"
    assert "counter(page, persian)" in page_css(CONFIG.clinics["pune"], urdu_digits)
    assert "@bottom-right { content: element(footer-start)" in page_css(CONFIG.clinics["pune"], urdu_digits)


@pytest.fixture(scope="module")
def outputs(built):
    return built / "outputs"


@pytest.mark.parametrize("slug", COMPLETE[1:] + PARTIAL)
def test_every_urdu_page_is_right_to_left_with_its_latin_parts_isolated(outputs, slug):
    page = (outputs / "pune" / "ur" / f"{slug}.html").read_text(encoding="utf-8")
    assert '<html lang="ur" dir="rtl">' in page
    assert '<a class="phone" href="tel:14416" dir="ltr">14416</a>' in page
    assert re.search(r'<a class="phone" href="tel:\+912000000000" dir="ltr">\+91 20 0000 0000</a>', page)
    assert '<ul lang="en" dir="ltr">' in page  # the sources, in English


@pytest.mark.parametrize("slug", PARTIAL)
def test_partial_handouts_show_the_notice_and_their_pdfs_are_held_back(outputs, slug):
    page = (outputs / "pune" / "ur" / f"{slug}.html").read_text(encoding="utf-8")
    assert "اس پرچے کے کچھ حصوں کا ترجمہ ابھی نہیں ہوا۔" in page
    assert re.search(r'<(p|li|h2|h3)[^>]* lang="en" dir="ltr"', page)  # English blocks read left to right
    assert not (outputs / "pune" / "ur" / f"{slug}.pdf").exists()
    assert not (outputs / "pune" / "ur" / f"{slug}.large-print.pdf").exists()
    # The index gives the share stats gives (blocks shown in Urdu, rounded down).
    decision = locale_stats(CONFIG, "ur")[slug]["publishing"]["pune"]
    assert decision["percent"] == math.floor(100 * decision["translated"] / decision["total"]) < 100
    assert decision["formats"]["pdf"]["status"] == "held" and decision["formats"]["html"]["status"] == "published"
    index = (outputs / "pune" / "index.html").read_text(encoding="utf-8")
    assert f"{decision['percent']}% ترجمہ ہوا" in index


# --------------------------------------------------------------------------
# PDFs


def _printed_words(slug: str) -> Counter:
    found = Counter()
    for entry in polib.pofile(str(catalog_path(CONFIG.locales_dir, "ur", slug))):
        if entry.msgstr and "{" not in entry.msgstr and "image alternative text" not in entry.comment:
            found.update(_words(prose.plain_text(entry.msgstr, "Arab")))
    return found


# What the text layer reaches (pipeline/pdf_text.py, docs/pdf-text-layer.md): every word
# through pdftotext and pypdf, TRD in its own element at the start of a line included
# (pypdf joined it to the line's last word, 99.77 %, until a word gap ended its box);
# through PDFium 89.2-90.4 % (a word whose first drawn glyph is a raised mark is taken
# for a line of its own).
READERS = {**EXTRACTORS, "pdfium": with_pdfium}
FIDELITY = {"pdftotext": 1.0, "pypdf": 1.0, "pdfium": 0.88}


@pytest.mark.parametrize("tool", READERS)
@pytest.mark.parametrize("edition", ["pdf", "large-print.pdf", "en+ur.pdf"])
@pytest.mark.parametrize("slug", PDF_SLUGS)
def test_urdu_pdf_words_come_out_as_printed(outputs, slug, edition, tool):
    pdf = outputs / "pune" / "ur" / f"{slug}.{edition}"
    text = READERS[tool](pdf)
    wanted = _printed_words(slug)
    missing = wanted - Counter(_words(text))
    assert sum(wanted.values()) > 800
    assert 1 - sum(missing.values()) / sum(wanted.values()) >= FIDELITY[tool], sorted(missing)[:10]


@pytest.mark.parametrize("slug", PDF_SLUGS)
def test_urdu_pdf_is_tagged_urdu_in_nastaliq_and_passes_the_audit(outputs, slug):
    pdf_path = outputs / "pune" / "ur" / f"{slug}.pdf"
    with pikepdf.open(pdf_path) as pdf:
        assert str(pdf.Root.Lang) == "ur"
        fonts = {str(font.BaseFont) for page in pdf.pages for font in page.Resources.Font.values()}
    assert any("Noto-Nastaliq-Urdu" in name for name in fonts), fonts
    assert audit_pdf(pdf_path, "ur") == []


@pytest.mark.parametrize("edition", ["pdf", "large-print.pdf", "en+ur.pdf"])
@pytest.mark.parametrize("slug", PDF_SLUGS)
def test_urdu_pdf_blocks_carry_their_text_in_reading_order(outputs, slug, edition):
    """For readers of the structure tree (screen readers, pdf.js): every printed block of
    Urdu without a link in it (paragraph, heading, list item, table cell) has its text,
    as the print page's HTML says it, in reading order, as /ActualText (the page content
    keeps each word as drawn, for the extractors above), in every edition, the bilingual
    one's Urdu column too. Left out: the running footers, drawn as page furniture, and
    the site footer, not printed."""
    clinic, locale = CONFIG.clinics["pune"], CONFIG.locales["ur"]
    article = load_article(CONFIG.source_dir / f"{slug}.md")
    html = render_page(CONFIG, article, load_publication(CONFIG, article, clinic, locale), clinic, locale,
                       for_print=True)
    # where the sources are is said in large print only, which leaves their list out
    hidden = () if edition == "large-print.pdf" else ("sources-elsewhere",)
    blocks = html_text_blocks(html, leave_out=("page-footer-start", "page-footer-end", "site-footer", *hidden))
    assert len(blocks) > 40
    with pikepdf.open(outputs / "pune" / "ur" / f"{slug}.{edition}") as pdf:
        assert unmatched_blocks(blocks, structure_actual_texts(pdf)) == []


def test_urdu_pdf_footer_is_mirrored(outputs):
    """The clinic and crisis line at the right of the footer, the page number at the left."""
    pdf = outputs / "pune" / "ur" / f"{PDF_SLUGS[0]}.pdf"
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
                           check=True, capture_output=True, text=True).stdout
    found = {word.strip(): float(x) for x, word in re.findall(r'xMin="([\d.]+)"[^>]*>([^<]+)</word>', boxes)}
    page = found.get("صفحہ", found.get("صفحہ"[::-1]))  # -bbox lists words as drawn, last letter first
    assert page is not None and page < found["14416"]  # "page 1 of 4" left of "Tele-MANAS 14416"


# --------------------------------------------------------------------------
# Reading


def test_urdu_sentences_end_at_urdu_marks():
    text = "دوا لیں۔ کیا یہ عام ہے؟ ہاں، یہ عام ہے۔ 2.5 ملی گرام"
    assert urdu.split_sentences(text) == ["دوا لیں۔", "کیا یہ عام ہے؟", "ہاں، یہ عام ہے۔", "2.5 ملی گرام"]
    assert urdu.letter_count("ڈپریشن") == 6 and urdu.letter_count("TMS") == 3


def test_urdu_readings_use_their_measure_and_meet_their_targets():
    articles = [load_article(CONFIG.source_dir / f"{slug}.md") for slug in COMPLETE[1:] + PARTIAL]
    results = check_articles(CONFIG, articles, ["ur"])
    assert not results.skipped and len(results.reports) == 5
    for report in results.reports:
        assert report.measure == "urdu"
        assert report.target == {"words_per_sentence": 14, "letters_per_word": 3.8, "long_word_share": 0.05}
        assert report.passed, report.misses
    full = next(r for r in results.reports if r.slug == COMPLETE[1])
    assert 9 < full.metrics["words_per_sentence"] <= 14 and 2.5 < full.metrics["letters_per_word"] <= 3.8
