"""Building with translations: only translated, non-fuzzy entries are shown; anything
else falls back to the source text, marked as English; PDFs wait for 100%."""

from __future__ import annotations

import json
import re
import subprocess

import html5lib
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from conftest import run_pipeline
from pipeline.build import build
from pipeline.config import load_config
from pipeline.sources import load_article

NS = {"h": "http://www.w3.org/1999/xhtml"}
SLUG = "what-a-course-of-tms-is-like"


def write_catalog(project, slug, fuzzy_index=None, skip_index=None, wrong_number_index=None):
    """A complete Marathi catalog for ``slug`` whose entries say which block they are;
    one entry may be fuzzy (a stale translation), one missing, and one may print a
    number its source does not have (a QA error)."""
    article = load_article(project / "source" / f"{slug}.md")
    catalog = Catalog(locale="mr", domain=slug, fuzzy=False)
    stale = None
    for index, block in enumerate(article.blocks):
        if index == skip_index:
            continue
        # A marker unique to the entry, then the source's own words, so that markup,
        # numbers and variables stay as QA requires.
        text = f"मराठी {marker(index)} {block.text}" + (" ९९" if index == wrong_number_index else "")
        catalog.add(block.text, text, context=block.context, flags=("fuzzy",) if index == fuzzy_index else ())
        if index == fuzzy_index:
            stale = text
    path = project / "locales" / "mr" / "LC_MESSAGES" / f"{slug}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        write_po(handle, catalog)
    return article, stale


def marker(index: int) -> str:
    return "मजकूर" + "".join("कखगघचछजझटठ"[int(d)] for d in str(index)) + "ं"


def allow_partial_pdfs(project):
    config = project / "clinics.yaml"
    text = config.read_text()
    config.write_text(text.replace("    publish_threshold:\n      pdf: 100", "    publish_threshold:\n      pdf: 0", 1))


def page(project, slug):
    return html5lib.parse((project / "outputs" / "pune" / "mr" / f"{slug}.html").read_bytes())


def paragraph_index(article):
    return next(i for i, b in enumerate(article.blocks) if b.kind == "paragraph" and "{" not in b.text)


def test_fuzzy_entry_shows_source_text_in_html_and_pdf(project):
    article = load_article(project / "source" / f"{SLUG}.md")
    index = paragraph_index(article)
    article, stale = write_catalog(project, SLUG, fuzzy_index=index)
    allow_partial_pdfs(project)
    result = run_pipeline(project, "build", "--clinic", "pune", "--locale", "mr", "--article", SLUG,
                          "--format", "html", "--format", "pdf")
    assert result.returncode == 0, result.stderr
    source_text = article.blocks[index].text
    html = page(project, SLUG)
    fallback = [p for p in html.iter("{http://www.w3.org/1999/xhtml}p") if p.get("lang") == "en"]
    assert [" ".join("".join(p.itertext()).split()) for p in fallback] == [re.sub(r"\*\*|\*", "", source_text)]
    body = "".join(html.find(".//h:main", NS).itertext())
    assert marker(index) not in body
    assert "मराठी मजकूर" in body
    notice = html.find(".//h:p[@class='notice']", NS)
    assert notice is not None
    pdf_text = subprocess.run(["pdftotext", str(project / "outputs" / "pune" / "mr" / f"{SLUG}.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
    flat = " ".join(pdf_text.split())
    assert " ".join(source_text.split()[:6]) in flat
    assert marker(index) not in flat
    assert marker(index + 1) in flat


def test_pdf_held_back_until_complete_and_last_good_kept(project):
    article = load_article(project / "source" / f"{SLUG}.md")
    write_catalog(project, SLUG)
    result = run_pipeline(project, "build", "--clinic", "pune", "--locale", "mr", "--article", SLUG, "--format", "pdf")
    assert result.returncode == 0, result.stderr
    pdf = project / "outputs" / "pune" / "mr" / f"{SLUG}.pdf"
    good = pdf.read_bytes()
    assert good.startswith(b"%PDF")
    # a new untranslated block: the PDF is held back and the last good one kept
    write_catalog(project, SLUG, skip_index=paragraph_index(article))
    result = run_pipeline(project, "build", "--clinic", "pune", "--locale", "mr", "--article", SLUG, "--format", "pdf")
    assert result.returncode == 0, result.stderr
    assert f"pune/mr/{SLUG}: pdf held back" in result.stderr
    assert "last good PDF kept" in result.stderr
    assert "1 held back" in result.stdout
    assert pdf.read_bytes() == good


def test_complete_translation_has_no_english_blocks(project):
    write_catalog(project, SLUG)
    result = run_pipeline(project, "build", "--clinic", "pune", "--locale", "mr", "--article", SLUG, "--format", "html")
    assert result.returncode == 0, result.stderr
    html = page(project, SLUG)
    main = html.find(".//h:main", NS)
    assert not [e for e in main.iter() if e.get("lang") == "en" and e.tag.endswith(("}p", "}li", "}h2", "}h1"))
                and not e.findall(".//h:li", NS)]
    assert html.find(".//h:p[@class='notice']", NS) is None


def test_a_qa_error_holds_the_pdf_back_and_the_page_and_index_say_so(project):
    """The rejected entry shows in English with the notice; the index gives the true
    percent; the PDF is held back with the entry's catalog line."""
    article = load_article(project / "source" / f"{SLUG}.md")
    index = paragraph_index(article)
    write_catalog(project, SLUG, wrong_number_index=index)
    summary = build(load_config(project / "clinics.yaml"), clinics=["pune"], locales=["mr"], slugs=[SLUG],
                    formats=("html", "pdf"), jobs=1)
    assert summary.exit_code == 0 and summary.built == 1
    assert not (project / "outputs" / "pune" / "mr" / f"{SLUG}.pdf").exists()
    total = len(article.blocks)
    percent = (total - 1) * 100 // total
    catalog = f"locales/mr/LC_MESSAGES/{SLUG}.po"
    held = [p for p in summary.problems if p.startswith(f"pune/mr/{SLUG}: pdf held back: ")]
    assert len(held) == 1 and summary.held == 1
    assert f"{percent}% translated (needs 100%); 1 QA error(s) in the catalog, first {catalog}:" in held[0]

    html = page(project, SLUG)
    assert html.find(".//h:p[@class='notice']", NS) is not None
    fallback = [p for p in html.iter("{http://www.w3.org/1999/xhtml}p") if p.get("lang") == "en"]
    assert [" ".join("".join(p.itertext()).split()) for p in fallback] == \
        [re.sub(r"\*\*|\*", "", article.blocks[index].text)]
    assert marker(index) not in "".join(html.find(".//h:main", NS).itertext())
    listing = (project / "outputs" / "pune" / "index.html").read_text(encoding="utf-8")
    shown = str(percent).translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    assert re.search(rf'<p class="translated"[^>]*>[^<]*{shown}%', listing), listing
    assert f"mr/{SLUG}.pdf" not in listing


def test_stats_reports_the_builds_own_decision(project, capsys):
    from pipeline import cli

    article = load_article(project / "source" / f"{SLUG}.md")
    write_catalog(project, SLUG, wrong_number_index=paragraph_index(article))
    summary = build(load_config(project / "clinics.yaml"), clinics=["pune"], locales=["mr"], slugs=[SLUG],
                    formats=("pdf",), jobs=1)
    assert cli.main(["stats", "--format", "json", "--config", str(project / "clinics.yaml")]) == 0
    decision = json.loads(capsys.readouterr().out)["mr"][SLUG]["publishing"]["pune"]
    assert decision["percent"] == (len(article.blocks) - 1) * 100 // len(article.blocks)
    assert decision["formats"]["pdf"]["status"] == "held"
    assert f"pune/mr/{SLUG}: pdf held back: {decision['formats']['pdf']['reason']}" in summary.problems
    assert len(decision["qa_errors"]) == 1
