"""Clinic variables on the page: every one filled in, phone numbers as tel: links that
do not break across lines (web and PDF), nothing left in braces."""

from __future__ import annotations

import dataclasses
import re

import pikepdf
import pytest

from conftest import ROOT
from pipeline.config import load_config
from pipeline.errors import InputError
from pipeline.publish import load_publication
from pipeline.render_html import render_body, render_page, sanitize, tel_target
from pipeline.sources import load_article
from pipeline.variables import clinic_values, expand

SLUG = "what-is-treatment-resistant-depression"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "clinics.yaml")


def test_expand_fills_in_variables_and_refuses_anything_else(config):
    values = clinic_values(config.clinics["pune"], "en")
    assert expand("Call {clinic_phone} or {crisis_number}.", values) == f"Call +91{NBSP}20{NBSP}0000{NBSP}0000 or 14416."
    for text in ("Call {clinic_phon}.", "Call {0}.", "Call {clinic_phone.", "Call {Clinic_Phone}."):
        with pytest.raises(InputError):
            expand(text, values)
    assert expand(r"A brace: \{ and \}", values) == r"A brace: \{ and \}"  # Markdown prints { and }


@pytest.mark.parametrize("clinic, locale", [("pune", "en"), ("pune", "mr"), ("springfield", "en_US")])
def test_phone_numbers_in_the_body_are_tel_links_that_do_not_break(config, clinic, locale):
    article = load_article(config.source_dir / f"{SLUG}.md")
    publication = load_publication(config, article, config.clinics[clinic], config.locales[locale])
    values = clinic_values(config.clinics[clinic], locale)
    body = sanitize(render_body(article, publication, values))
    found = re.findall(r'<a href="(tel:[^"]*)">([^<]*)</a>', body)
    wanted = {tel_target(n): n for n in (config.clinics[clinic].phone, config.clinics[clinic].crisis_line.number,
                                         config.clinics[clinic].emergency_number)}
    # The handout calls for each of the three: {clinic_phone}, {crisis_number}, {emergency_number}.
    assert {target for target, _ in found} == set(wanted), body
    for target, text in found:
        shown = text.replace("&nbsp;", NBSP)
        assert " " not in shown, text  # a number never wraps
        if locale.startswith("en"):
            assert shown == wanted[target].replace(" ", NBSP)
    html = render_page(config, article, publication, config.clinics[clinic], config.locales[locale])
    assert not re.search(r"\{[^{}]*\}", re.sub(r"<[^>]+>", "", html)), "an unresolved {…} on the page"


def test_a_number_inside_a_link_or_code_stays_text():
    from pipeline.render_html import NUMBER_END, NUMBER_START, link_phone_numbers

    number = f"{NUMBER_START}+91{NBSP}20{NUMBER_END}"
    html = f'<p>Call {number}, <a href="https://x.example">or {number}</a> <code>{number}</code>' \
           f'<img alt="{number}" src="images/a.png"></p>'
    assert link_phone_numbers(html) == (f'<p>Call <a href="tel:+9120">+91{NBSP}20</a>, <a href="https://x.example">'
                                        f'or +91{NBSP}20</a> <code>+91{NBSP}20</code><img alt="+91{NBSP}20" '
                                        'src="images/a.png"></p>')


def test_phone_links_reach_the_pdf_described_in_words(project):
    from conftest import run_cli

    assert run_cli(project, "build", "--clinic", "pune", "--locale", "en", "--article", SLUG,
                   "--format", "pdf", "--jobs", "1") == 0
    links = []
    with pikepdf.open(project / "outputs" / "pune" / "en" / f"{SLUG}.pdf") as pdf:
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", ()):
                uri = str(annotation.get("/A", {}).get("/URI", ""))
                if uri.startswith("tel:"):
                    links.append((uri, str(annotation.get("/Contents", ""))))
    # Every tel: link of the printed page, the body's included, is a link in the PDF.
    config = load_config(project / "clinics.yaml")
    article = load_article(config.source_dir / f"{SLUG}.md")
    clinic, locale = config.clinics["pune"], config.locales["en"]
    publication = load_publication(config, article, clinic, locale)
    printed = render_page(config, article, publication, clinic, locale, for_print=True)
    body = render_body(article, publication, clinic_values(clinic, "en"))
    # The site footer is not printed (its address and phone are in the help box on paper).
    footer = re.search(r'<footer class="site-footer">.*?</footer>', printed, re.S)
    assert footer
    on_paper = printed.replace(footer.group(0), "")
    for uri in ("tel:+912000000000", "tel:14416", "tel:112"):
        assert f'href="{uri}"' in body
        assert sum(1 for u, _ in links if u == uri) == on_paper.count(f'href="{uri}"'), (uri, links)
    described = {"tel:+912000000000": "Call +91 20 0000 0000", "tel:14416": "Call 14416", "tel:112": "Call 112"}
    assert all(text == described[uri] for uri, text in links), links


def test_unquoted_numbers_print_exactly_as_written(tmp_path):
    text = (ROOT / "clinics.yaml").read_text(encoding="utf-8")
    for old, new in (('phone: "+1 555 0100"', "phone: 07120000000"), ('emergency_number: "911"', "emergency_number: 000"),
                     ('number: "988"', "number: 0123")):
        assert old in text
        text = text.replace(old, new, 1)
    (tmp_path / "clinics.yaml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "clinics.yaml")
    config = dataclasses.replace(config, source_dir=ROOT / "source", locales_dir=ROOT / "locales")
    clinic, locale = config.clinics["springfield"], config.locales["en"]
    article = load_article(config.source_dir / f"{SLUG}.md")
    html = render_page(config, article, load_publication(config, article, clinic, locale), clinic, locale)
    for number in ("07120000000", "000", "0123"):  # YAML 1.1 would print 960495616, 0 and 83
        assert f'<a href="tel:{number}">{number}</a>' in html
    assert "960495616" not in html and ">83<" not in html
