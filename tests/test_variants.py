"""Regional variants: en_US holds only the blocks where US English differs and falls
back to English block by block (as gettext goes from en_US to en); mr_IN would go
mr_IN → mr → English. Pages and PDFs carry the BCP 47 tag (en-US)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pikepdf
import polib
import pytest
from babel.messages.catalog import Catalog

from conftest import ROOT, copy_project, msgfmt_check, pdftotext, run_cli
from pipeline.audit import expected_language
from pipeline.commands.stats import locale_stats
from pipeline.config import load_config
from pipeline.errors import InputError
from pipeline.model import Article, Block
from pipeline.publish import MISSING, decide
from pipeline.translate import InterfaceText, translate
from pipeline.variants import base_of, chain, html_language_tags, is_variant, language_tag

CONFIG = load_config(ROOT / "clinics.yaml")
SPRINGFIELD = CONFIG.clinics["springfield"]
US = CONFIG.locales["en_US"]
BRITISH = ("feel sick", "a fit", "drip", "emergency department", "talking therapy", "straight away",
           "call 988 Suicide & Crisis Lifeline on")


def test_codes_tags_and_the_chain():
    assert (base_of("en_US"), base_of("en"), language_tag("en_US"), language_tag("mr")) == ("en", None, "en-US", "mr")
    assert is_variant(CONFIG, "en_US") and not is_variant(CONFIG, "mr") and not is_variant(CONFIG, "pt_BR")
    assert chain(CONFIG, "en_US") == ["en_US", "en"] and chain(CONFIG, "mr") == ["mr", "en"]
    html = '<html lang="en_US"><link hreflang="mr_IN" href="../mr_IN/x.html"><p lang="mr">en_US</p>'
    assert html_language_tags(html) == '<html lang="en-US"><link hreflang="mr-IN" href="../mr_IN/x.html"><p lang="mr">en_US</p>'


def test_the_pdf_audit_expects_the_tag_of_the_folder_s_locale():
    assert expected_language(Path("outputs/springfield/en_US/x.pdf"), {"en", "en_US"}) == "en-US"
    assert expected_language(Path("outputs/pune/mr/x.pdf"), {"en", "mr"}) == "mr"


def article() -> Article:
    blocks = (Block("title", "A title", 2), Block("summary", "A summary.", 3),
              Block("paragraph", "Go to the emergency department.", 10), Block("paragraph", "Plain words.", 12))
    return Article("sample", Path("source/sample.md"), "A title", "A summary.", dt.date(2026, 1, 5), (), "", blocks)


def catalog(locale: str, entries: dict, fuzzy=()) -> Catalog:
    found = Catalog(locale=locale, fuzzy=False)
    for msgid, msgstr in entries.items():
        found.add(msgid, msgstr, flags=("fuzzy",) if msgid in fuzzy else ())
    return found


def test_a_variant_of_the_source_shows_its_own_blocks_and_the_base_text_for_the_rest():
    art = article()
    us = catalog("en_US", {"Go to the emergency department.": "Go to the emergency room (ER)."})
    publication = decide(art, translate(art, us, "en_US", "en", base="en"), [], SPRINGFIELD, US)
    assert [publication.text(b) for b in art.blocks] == [
        ("A title", "en_US"), ("A summary.", "en_US"), ("Go to the emergency room (ER).", "en_US"),
        ("Plain words.", "en_US")]  # the base text is en-US text: no lang="en", no notice
    assert (publication.percent, publication.partial, publication.format("pdf").status) == (100, False, "published")
    nothing = decide(art, translate(art, None, "en_US", "en", base="en"), [], SPRINGFIELD, US)
    assert nothing.percent == 100 and [nothing.text(b)[0] for b in art.blocks] == [b.text for b in art.blocks]


def test_a_variant_of_a_translation_goes_variant_then_base_then_source():
    art = article()
    marathi = catalog("mr", {"A title": "शीर्षक", "A summary.": "सारांश.", "Plain words.": "साधे शब्द."},
                      fuzzy=("Plain words.",))
    regional = catalog("mr_IN", {"A summary.": "थोडक्यात."})
    translation = translate(art, regional, "mr_IN", "en", base="mr", base_catalog=marathi)
    assert [translation.text(b) for b in art.blocks] == [
        ("शीर्षक", "mr_IN"), ("थोडक्यात.", "mr_IN"), ("Go to the emergency department.", "en"), ("Plain words.", "en")]
    assert translation.reasons == {art.blocks[2].key: "untranslated", art.blocks[3].key: "fuzzy"}
    publication = decide(art, translation, [], SPRINGFIELD, US)
    assert [b.status for b in publication.blocks][2] == MISSING and publication.percent == 50


def test_the_interface_falls_back_to_english_without_marking_it():
    ui = InterfaceText(CONFIG, "en_US")
    assert ui.gettext("In a crisis, call %(name)s on %(number)s.") == "In a crisis, call %(name)s at %(number)s."
    assert ui.gettext("Get help now") == "Get help now" and ui.language_of("Get help now") == "en_US"
    assert str(ui.marked("Get help now")) == "Get help now"


def test_a_variant_needs_its_base_language(tmp_path):
    text = (ROOT / "clinics.yaml").read_text(encoding="utf-8").replace("  en_US:", "  pt_BR:", 1)
    text = text.replace("locales: [en_US]", "locales: [pt_BR]")
    (tmp_path / "clinics.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_config(tmp_path / "clinics.yaml")
    line = text.splitlines().index("  pt_BR:                 # US English: only the blocks that differ, in "
                                   "locales/en_US/; the rest is en") + 1
    assert caught.value.line == line and "regional variant of 'pt'" in caught.value.message


def test_the_shipped_us_catalogs_hold_only_what_differs_and_are_complete_and_clean():
    folder = ROOT / "locales" / "en_US" / "LC_MESSAGES"
    catalogs = sorted(folder.glob("*.po"))
    assert {p.stem for p in catalogs} == {p.stem for p in (ROOT / "source").glob("*.md")} | {"ui"}
    for path in catalogs:
        msgfmt_check(path)
        entries = [e for e in polib.pofile(str(path)) if not e.obsolete]
        assert entries and all(e.translated() and e.msgstr != e.msgid for e in entries), path
        for entry in entries:
            assert not any(word in entry.msgstr.lower() for word in BRITISH), entry.msgstr
    stats = locale_stats(CONFIG, "en_US")  # its own blocks: all there, and QA-clean, so PDFs are printed
    for domain, counts in stats.items():
        assert counts["percent"] == 100.0 and counts["fuzzy"] == counts["untranslated"] == 0, domain
        for decision in counts.get("publishing", {}).values():
            assert decision["percent"] == 100 and decision["formats"]["pdf"]["status"] == "published"
            assert decision["qa_errors"] == []


def test_update_keeps_a_variant_to_its_own_blocks(tmp_path):
    """A changed block the variant holds becomes fuzzy with the old text (#|); a block
    it does not hold is not added; a block it held that is gone becomes obsolete."""
    project = copy_project(tmp_path / "project")
    source = project / "source" / "what-a-course-of-tms-is-like.md"
    text = source.read_text(encoding="utf-8")
    changed = text.replace("You can go back to your normal day straight away.", "You can go back to your day straight away.")
    source.write_text(changed.replace("Fillings and braces on your teeth are usually fine.",
                                      "Fillings and braces are usually fine."), encoding="utf-8")
    assert run_cli(project, "extract") == 0
    assert run_cli(project, "update", "--locale", "en_US") == 0
    path = project / "locales" / "en_US" / "LC_MESSAGES" / "what-a-course-of-tms-is-like.po"
    msgfmt_check(path)
    po = polib.pofile(str(path))
    active = [e for e in po if not e.obsolete]
    assert len(active) == 2 and not any("Fillings" in e.msgid for e in active)
    fuzzy = next(e for e in active if "fuzzy" in e.flags)
    assert fuzzy.msgid.startswith("You can go back to your day straight away.")
    assert fuzzy.previous_msgid.startswith("You can go back to your normal day straight away.")
    assert fuzzy.msgstr.startswith("You can go back to your normal day right away.")
    assert not (project / "locales" / "en_US" / "LC_MESSAGES" / "brand-new.po").exists()
    stats = locale_stats(load_config(project / "clinics.yaml"), "en_US")["what-a-course-of-tms-is-like"]
    assert (stats["translated"], stats["fuzzy"], stats["percent"]) == (1, 1, 50.0)


def test_init_locale_starts_no_catalogs_for_a_variant(project, capsys):
    assert run_cli(project, "init-locale", "en_US") == 2
    assert "regional variant of 'en'" in capsys.readouterr().err


def test_springfield_pages_and_pdfs_are_in_us_english(built):
    folder = built / "outputs" / "springfield" / "en_US"
    pages = sorted(folder.glob("*.html"))
    assert len(pages) == 5
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert re.search(r'<html lang="en-US"', html) and 'lang="en_US"' not in html
        assert "emergency room (ER)" in html and "emergency department" not in html  # a block the catalog holds
        assert "In a crisis, call" in html and " at <a" in html  # the interface's own variant
        assert 'lang="en"' not in re.sub(r'<ul lang="en">.*?</ul>', "", html, flags=re.S)  # nothing marked foreign
        assert "not translated" not in html
    tms = (folder / "what-a-course-of-tms-is-like.html").read_text(encoding="utf-8")
    assert "You can go back to your normal day right away." in tms  # a block present in en_US
    assert "Fillings and braces on your teeth are usually fine." in tms  # a block absent: the English as it is
    pdfs = sorted(folder.glob("*.pdf"))
    assert len(pdfs) == 10  # standard and large print, all published
    for pdf in pdfs:
        text = " ".join(pdftotext(pdf).split())
        for british in ("feel sick", "a fit", "drip", "emergency department"):
            assert british not in text, (pdf.name, british)
        with pikepdf.open(pdf) as document:
            assert str(document.Root.Lang) == "en-US", pdf.name
    pune = (built / "outputs" / "pune" / "en" / "what-a-course-of-tms-is-like.html").read_text(encoding="utf-8")
    assert "normal day straight away" in pune and 'lang="en"' in pune  # Pune keeps the English as written
