"""End to end: the real handouts built into web pages, PDFs and index pages, read back."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import html5lib
import pikepdf
import pytest

from conftest import ROOT, local_digits, run_pipeline, ui_string
from pipeline.config import load_config
from pipeline.sources import load_articles
from pipeline.variants import language_tag

CONFIG = load_config(ROOT / "clinics.yaml")
ARTICLES = load_articles(CONFIG.source_dir)
UNITS = [(cid, code, a.slug) for cid, clinic in CONFIG.clinics.items() for code in clinic.locales for a in ARTICLES]
NS = {"h": "http://www.w3.org/1999/xhtml"}
POINTS = {"A4": (595.28, 841.89), "Letter": (612, 792)}


def parse(path: Path):
    return html5lib.parse(path.read_bytes(), namespaceHTMLElements=True)


def texts(element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_there_are_at_least_five_handouts():
    assert len(ARTICLES) >= 5


@pytest.mark.parametrize("clinic,locale,slug", UNITS)
def test_web_page_structure(built, clinic, locale, slug):
    page = parse(built / "outputs" / clinic / locale / f"{slug}.html")
    html = page
    assert html.get("lang") == language_tag(locale)  # en_US is en-US
    assert html.get("dir") == CONFIG.locales[locale].direction
    for landmark in ("header", "main", "footer"):
        assert len(html.findall(f".//h:{landmark}", NS)) == 1, landmark
    h1 = html.findall(".//h:h1", NS)
    assert len(h1) == 1
    levels = [int(e.tag[-1]) for e in html.iter() if re.fullmatch(r"\{.*\}h[1-6]", str(e.tag))]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), f"heading levels skip: {levels}"
    skip = html.find(".//h:body/h:a", NS)
    assert skip is not None and skip.get("href") == "#main"
    assert html.find(".//h:main", NS).get("id") == "main"
    # links to the same handout in the clinic's other languages, each in its own language
    others = [c for c in CONFIG.clinics[clinic].locales if c != locale]
    nav_links = {a.get("hreflang"): a for a in html.findall(".//h:nav//h:a[@hreflang]", NS)}
    assert set(nav_links) == {language_tag(code) for code in others}
    for code in others:
        assert nav_links[language_tag(code)].get("lang") == language_tag(code)
        assert nav_links[language_tag(code)].get("href") == f"../{code}/{slug}.html"
        assert texts(nav_links[language_tag(code)]) == CONFIG.locales[code].name
    body = texts(html.find(".//h:body", NS))
    crisis = CONFIG.clinics[clinic].crisis_line.number
    digits = str.maketrans("0123456789", "०१२३४५६७८९") if CONFIG.locales[locale].digits == "devanagari" else {}
    assert crisis.translate(digits) in body
    assert html.find(".//h:time", NS).get("datetime")
    assert "{" not in body, "a clinic variable was not filled in"


def test_web_page_has_no_script(built):
    for path in (built / "outputs").rglob("*.html"):
        text = path.read_text()
        assert "<script" not in text.lower(), path


@pytest.mark.parametrize("clinic,locale,slug", UNITS)
def test_pdf_reads_back(built, clinic, locale, slug):
    path = built / "outputs" / clinic / locale / f"{slug}.pdf"
    if not path.exists():
        pytest.skip(f"{path.name} is held back until its translation is complete")
    paper = POINTS[CONFIG.clinics[clinic].paper]
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            box = [float(v) for v in page.mediabox]
            assert box[2] == pytest.approx(paper[0], abs=1) and box[3] == pytest.approx(paper[1], abs=1)
        root = pdf.Root
        assert "/StructTreeRoot" in root
        assert root.MarkInfo.Marked
        assert str(root.Lang) == language_tag(locale)
        assert str(pdf.docinfo.get("/Title", "")) or pdf.open_metadata().get("dc:title")
        assert root.ViewerPreferences.DisplayDocTitle
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                descendants = font.get("/DescendantFonts", [font])
                for f in descendants:
                    descriptor = f.FontDescriptor
                    assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), "font not embedded"
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    article = next(a for a in ARTICLES if a.slug == slug)
    if locale == CONFIG.source_language:
        for block in article.blocks:
            if block.kind == "heading":
                plain = re.sub(r"[*_`]|\[([^\]]*)\]\([^)]*\)", r"\1", block.text)
                assert " ".join(plain.split()) in flat, f"heading missing from PDF text: {plain}"


def test_large_print_edition(built):
    for path in (built / "outputs").rglob("*.large-print.pdf"):
        regular = path.with_name(path.name.replace(".large-print", ""))
        with pikepdf.open(path) as large, pikepdf.open(regular) as normal:
            assert len(large.pages) > len(normal.pages)


@pytest.mark.parametrize("clinic,locale,slug", UNITS)
def test_web_page_links_both_print_editions(built, clinic, locale, slug):
    """The page links exactly the PDFs that are published: both editions, or none
    while the translation is held back."""
    folder = built / "outputs" / clinic / locale
    page = parse(folder / f"{slug}.html")
    links = {a.get("href"): a for a in page.findall(".//h:nav//h:a[@type='application/pdf']", NS)}
    published = {p.name for p in folder.glob(f"{slug}.*pdf")}
    assert set(links) == published
    if not published:
        pytest.skip(f"{slug}: the {locale} PDFs are held back until the translation is complete")
    bilingual = {f"{slug}.{fmt}.pdf" for fmt in CONFIG.clinics[clinic].bilingual_formats(locale)}
    assert published == {f"{slug}.pdf", f"{slug}.large-print.pdf"} | bilingual
    assert texts(links[f"{slug}.large-print.pdf"]) == ui_string(locale, "Large print (PDF)")
    if locale == "mr":  # one language spelled out, so the test cannot pass on the catalog's say alone
        assert texts(links[f"{slug}.large-print.pdf"]) == "मोठ्या अक्षरांतील प्रत (PDF)"


@pytest.mark.parametrize("clinic,locale", sorted({(c, code) for c, code, _ in UNITS}))
def test_pdf_phone_and_email_links_are_described_in_words(built, clinic, locale):
    """A screen reader gives a link's description: "Call 14416", not "tel:14416"."""
    crisis = CONFIG.clinics[clinic].crisis_line.number
    email = CONFIG.clinics[clinic].email
    digits = CONFIG.locales[locale].digits
    expected = {f"tel:{crisis}": ui_string(locale, "Call {number}").format(number=local_digits(crisis, digits)),
                f"mailto:{email}": ui_string(locale, "Email {address}").format(address=email)}
    if locale == "mr":
        assert expected[f"tel:{crisis}"] == "१४४१६ वर फोन करा"
    published = [path for a in ARTICLES if (path := built / "outputs" / clinic / locale / f"{a.slug}.pdf").exists()]
    assert published, f"no {clinic}/{locale} PDF was published"
    with pikepdf.open(published[0]) as pdf:
        described = {str(a.A.URI): str(a.Contents) for page in pdf.pages for a in page.obj.get("/Annots", ())
                     if a.get("/Subtype") == "/Link" and "/URI" in a.get("/A", {})}
    assert set(expected) <= set(described), described
    for target, description in expected.items():
        assert described[target] == description
    assert not [d for d in described.values() if d.startswith(("tel:", "mailto:"))], described


def test_index_lists_handouts_per_language(built):
    for cid, clinic in CONFIG.clinics.items():
        page = parse(built / "outputs" / cid / "index.html")
        assert len(page.findall(".//h:h1", NS)) == 1
        sections = page.findall(".//h:main/h:section", NS)
        assert [s.get("lang") for s in sections] == [language_tag(code) for code in clinic.locales]
        for section, code in zip(sections, clinic.locales):
            hrefs = {a.get("href") for a in section.findall(".//h:a", NS)}
            for article in ARTICLES:
                assert f"{code}/{article.slug}.html" in hrefs
                for suffix in (".pdf", ".large-print.pdf"):  # linked exactly when published
                    published = (built / "outputs" / cid / code / f"{article.slug}{suffix}").exists()
                    assert (f"{code}/{article.slug}{suffix}" in hrefs) == published, (code, article.slug, suffix)


def test_second_build_rebuilds_nothing(built):
    result = run_pipeline(built, "build", check=True)
    assert result.stdout.strip().splitlines()[-1].startswith("0 built"), result.stdout


def test_summary_line_and_exit_code(project):
    result = run_pipeline(project, "build", "--clinic", "springfield", "--format", "html", "-q")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\d+ built, 0 up to date, 0 failed, 0 held back in [\d.]+s → outputs/$", result.stdout, re.M)
    outputs = project / "outputs" / "springfield" / "en_US"
    assert sorted(p.suffix for p in outputs.iterdir()) == [".html"] * len(ARTICLES)


def test_edit_rebuilds_only_that_handout(project):
    run_pipeline(project, "build", "--clinic", "springfield", "--format", "html", check=True)
    source = project / "source" / f"{ARTICLES[0].slug}.md"
    source.write_text(source.read_text() + "\nOne more plain sentence.\n")
    result = run_pipeline(project, "build", "--clinic", "springfield", "--format", "html", check=True)
    languages = len(CONFIG.clinics["springfield"].locales)
    assert f"{languages} built, {(len(ARTICLES) - 1) * languages} up to date" in result.stdout


def test_digits_follow_the_language_of_each_part():
    from pipeline.render_html import localize_digits_in_html

    html = ('<!DOCTYPE html><html lang="mr"><body><p>फोन 14416 &#8212; <a href="tel:14416">14416</a></p>'
            '<ul lang="en"><li>NG222 (2022)</li></ul><img src="a1.png" alt="2"><p>2<br>3</p></body></html>')
    out = localize_digits_in_html(html, CONFIG.locales)
    assert '<p>फोन १४४१६ &#8212; <a href="tel:14416">१४४१६</a></p>' in out
    assert '<ul lang="en"><li>NG222 (2022)</li></ul>' in out
    assert '<img src="a1.png" alt="2"><p>२<br>३</p>' in out
    english = html.replace('lang="mr"', 'lang="en"')
    assert localize_digits_in_html(english, CONFIG.locales) == english
