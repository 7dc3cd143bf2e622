"""The crisis box and the running footer: at the top of every handout, web and PDF,
in every clinic and locale, and out of reach of any catalog or configuration text
other than the numbers themselves.

The box is read back from each built page's HTML and from ``pdftotext`` of page 1
of each built PDF; the footer from each page's bottom margin. A PDF rendered with
hostile interface strings (carriage return, form feed, quotes, braces, semicolons,
``content:`` and fake phone numbers) and hostile clinic names still says the
clinic's own numbers, and no other.
"""

from __future__ import annotations

import re
from pathlib import Path

import html5lib
import pytest
from babel.messages.pofile import read_po, write_po

from conftest import copy_project, footers, pdftotext, render_handout_pdf
from pipeline.audit import audit_pdf
from pipeline.config import load_config
from pipeline.render_html import DEVANAGARI_DIGITS
from pipeline.sources import article_paths

SLUG = "what-a-course-of-tms-is-like"
NAMESPACE = {"h": "http://www.w3.org/1999/xhtml"}
# What the box says, in each locale's words (the Marathi from locales/mr/LC_MESSAGES/ui.po).
BOX_WORDS = {
    "en": ["Get help now", "If you have thoughts of ending your life or harming yourself:",
           "Call the crisis line,", "Call the emergency number:", "Go to the nearest hospital emergency department.",
           "Do not stay alone. Ask someone you trust to stay with you."],
    "mr": ["लगेच मदत घ्या", "स्वतःचा जीव संपवण्याचे किंवा स्वतःला इजा करण्याचे विचार येत असतील, तर:",
           "संकटकालीन हेल्पलाइनला", "आपत्कालीन नंबरवर फोन करा", "जवळच्या हॉस्पिटलच्या इमर्जन्सी विभागात जा.",
           "एकटे राहू नका."],
    "en_US": ["Get help now", "If you have thoughts of ending your life or harming yourself:",
              "Call the crisis line,", "Call the emergency number:", "Go to the nearest hospital emergency room (ER).",
              "Do not stay alone. Ask someone you trust to stay with you."],
    "hi": ["अभी मदद लें", "अगर आपके मन में अपनी जान लेने या खुद को नुकसान पहुँचाने के विचार आ रहे हैं, तो:",
           "संकट हेल्पलाइन को", "इमरजेंसी नंबर", "पास के अस्पताल के इमरजेंसी विभाग में जाएँ।", "अकेले न रहें।"],
    "es": ["Busque ayuda ahora", "Si tiene pensamientos de quitarse la vida o de hacerse daño:",
           "Llame a la línea de crisis,", "Llame al número de emergencias:",
           "Vaya a la sala de emergencias del hospital más cercano.", "No se quede solo."],
    "ur": ["ابھی مدد لیں", "اگر آپ کو اپنی جان لینے یا خود کو نقصان پہنچانے کے خیال آئیں",
           "ہیلپ لائن ٹیلی مانس کو فون کریں", "ایمرجنسی نمبر پر فون کریں", "سب سے قریبی ہسپتال کی ایمرجنسی میں جائیں۔",
           "اکیلے نہ رہیں۔"],
}
FOOTER_WORDS = {"en": "Crisis line:", "mr": "संकटकालीन हेल्पलाइन:", "hi": "संकट हेल्पलाइन:", "es": "Línea de crisis:",
                "ur": "ہیلپ لائن:"}
# pdftotext marks right-to-left lines and the left-to-right runs in them (Urdu): not text.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), " ")


def in_language(table: dict, code: str):
    """A locale's entry, or its base language's (en_US reads as en)."""
    return table[code] if code in table else table[code.split("_")[0]]


def digits(number: str, locale: str) -> str:
    return number.translate(DEVANAGARI_DIGITS) if locale == "mr" else number  # as Marathi pages print them


def flat(text: str) -> str:
    """Text with every run of white space (line breaks, no-break spaces, direction
    marks) as one space, and none before a colon (pdftotext sets a colon next to a
    number apart in a right-to-left line)."""
    return re.sub(r" (?=[:،])", "", " ".join(text.translate(BIDI_CONTROLS).split()))


def every_output(built: Path, suffix: str) -> list[tuple[str, str, Path]]:
    """(clinic, locale, path) of every handout's output with ``suffix`` in every clinic
    and locale of the configuration; each must exist, but a PDF its page does not link
    (held back: a partial translation) must not."""
    config = load_config(built / "clinics.yaml")
    found = []
    for clinic_id, clinic in config.clinics.items():
        for code in clinic.locales:
            for source in article_paths(built / "source"):
                path = built / "outputs" / clinic_id / code / f"{source.stem}{suffix}"
                page = path.with_name(f"{source.stem}.html").read_text(encoding="utf-8")
                if suffix != ".html" and f'href="{path.name}"' not in page:
                    assert not path.exists(), f"{path.relative_to(built)} is not linked but was built"
                    continue
                assert path.exists(), f"{path.relative_to(built)} was not built"
                found.append((clinic_id, code, path))
    return found


def crisis_section(html: str):
    document = html5lib.parse(html)
    article = document.find(".//h:main//h:article", NAMESPACE)
    sections = article.findall("h:section", NAMESPACE)
    return article, next(s for s in sections if "crisis-box" in s.get("class", "").split())


# ---------------------------------------------------------------- every built page and PDF


def test_every_page_starts_with_the_crisis_box(built):
    config = load_config(built / "clinics.yaml")
    for clinic_id, code, path in every_output(built, ".html"):
        clinic = config.clinics[clinic_id]
        article, box = crisis_section(path.read_text(encoding="utf-8"))
        children = list(article)
        body_headings = [c for c in children if c.tag.endswith("h2")]
        assert children.index(box) < children.index(body_headings[0]), f"{path}: the box is not before the handout's text"
        heading = box.find("h:h2", NAMESPACE)
        assert box.get("aria-labelledby") == heading.get("id"), f"{path}: the region is not labelled by its heading"
        text = flat("".join(box.itertext()))
        for words in in_language(BOX_WORDS, code):
            assert words in text, f"{path}: '{words}' not in the crisis box: {text}"
        option = clinic.crisis_line.language_option.get(code)  # 988: "marque 2", in Spanish only
        if option:
            assert flat(option) in text, f"{path}: how to ask for {code} is not in the crisis box: {text}"
        else:
            assert "marque 2" not in text, f"{path}: another language's option in the crisis box"
        links = {a.get("href"): flat("".join(a.itertext())) for a in box.iter("{%s}a" % NAMESPACE["h"])}
        for number in (clinic.crisis_line.number, clinic.emergency_number):
            target = "tel:" + re.sub(r"[^0-9+]", "", number)
            assert flat(links.get(target, "")) == flat(digits(number, code)), f"{path}: no link {target} in {links}"


def test_every_pdf_has_the_crisis_box_on_page_one(built):
    config = load_config(built / "clinics.yaml")
    pdfs = every_output(built, ".pdf") + every_output(built, ".large-print.pdf")
    for clinic_id, code, path in pdfs:
        clinic = config.clinics[clinic_id]
        first_page = flat(pdftotext(path, "-f", "1", "-l", "1"))
        for words in in_language(BOX_WORDS, code):
            assert words in first_page, f"{path}: '{words}' is not on page 1"
        if clinic.crisis_line.language_option.get(code):
            assert flat(clinic.crisis_line.language_option[code]) in first_page, f"{path}: how to ask for {code}"
        for number in (clinic.crisis_line.number, clinic.emergency_number):
            assert digits(number, code) in first_page, f"{path}: {number} is not on page 1"


def test_every_pdf_footer_says_what_the_number_is(built):
    config = load_config(built / "clinics.yaml")
    for clinic_id, code, path in every_output(built, ".pdf"):
        clinic = config.clinics[clinic_id]
        name = clinic.crisis_line.name.get(code) or clinic.crisis_line.name.get("en") \
            or next(iter(clinic.crisis_line.name.values()))
        label = f"{in_language(FOOTER_WORDS, code)} {name} {digits(clinic.crisis_line.number, code)}"
        for number, footer in enumerate(footers(path), start=1):
            assert label in flat(footer), f"{path} page {number}: '{label}' not in the footer '{footer}'"
    english = built / "outputs" / "pune" / "en" / f"{SLUG}.pdf"
    assert "Crisis line: Tele-MANAS 14416" in footers(english)[0]


# ---------------------------------------------------------------- hostile catalog and configuration text

FAKE = ["555", "0199", "५५५", "०१९९"]
# Interface strings a translator could write. Those with a fake number, a brace or a
# stray % are QA errors and fall back to English; the rest reach the page as text.
HOSTILE_UI = {
    "Crisis line: %(name)s %(number)s":
        'संकटकालीन हेल्पलाइन: %(name)s %(number)s"\r\f; content: ""; display: none; x: "',
    "Page %(page)s of %(pages)s": 'पान %(page)s / %(pages)s\f\r"; } @page { @bottom-left { content: "555-0199" } }',
    "Get help now": 'लगेच मदत घ्या"\r} .crisis-box { display: none } @page { @bottom-right { content: "Call 555 0199" } }',
    "Call the crisis line, %(name)s: %(number)s.": "%(name)s या हेल्पलाइनला ५५५-०१९९ वर फोन करा. %(number)s",
    "Call the emergency number: %(number)s.": '%(number)s या नंबरवर फोन करा.\r\f"; content: "x"; display: none;',
    "Do not stay alone. Ask someone you trust to stay with you.": "{0} {number:>30000000} %s",
    "Call {number}": "{number!r} 555-0199",
    "Skip to content": "मुख्य मजकुराकडे जा 100% %(x)",
}
# A CSS string's escapes: as CSS they print 555-0199; as text, backslashes and other digits.
CSS_NUMBER = r"\35\35\35-\30\31\39\39"
HOSTILE_NAME = f'X" }} .crisis-box {{ display: none }} @page {{ @bottom-left {{ content: "{CSS_NUMBER}" }} }} "'
HOSTILE_LINE = f'Tele-MANAS"; content: "{CSS_NUMBER}"; }} .crisis-box{{display:none}} x{{ "'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("hostile") / "project")
    path = project / "locales" / "mr" / "LC_MESSAGES" / "ui.po"
    with path.open("rb") as file:
        catalog = read_po(file, locale="mr")
    for msgid, text in HOSTILE_UI.items():
        assert catalog.get(msgid) is not None, msgid
        catalog.get(msgid).string = text
    with path.open("wb") as file:
        write_po(file, catalog, width=0)
    config = project / "clinics.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace('      en: "[Clinic name], Pune"', "      en: " + _yaml_string(HOSTILE_NAME), 1)
    text = text.replace('      mr: "[क्लिनिकचे नाव], पुणे"', "      mr: " + _yaml_string(HOSTILE_NAME), 1)
    text = text.replace("        en: Tele-MANAS\n", "        en: " + _yaml_string(HOSTILE_LINE) + "\n", 1)
    config.write_text(text, encoding="utf-8")
    assert HOSTILE_NAME in load_config(config).clinics["pune"].name.values()
    return project


def _yaml_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.mark.parametrize("code", ["mr", "en"])
def test_hostile_text_cannot_change_the_crisis_section(hostile, code):
    config = load_config(hostile / "clinics.yaml")
    clinic = config.clinics["pune"]
    html, path = render_handout_pdf(hostile, "pune", code)
    crisis, emergency = digits(clinic.crisis_line.number, code), digits(clinic.emergency_number, code)

    first_page = flat(pdftotext(path, "-f", "1", "-l", "1"))
    box = first_page[first_page.index("Get help now"):]
    box = box[:box.index("Do not stay alone")]
    # A string with a QA error falls back to English (digits and all); the others are
    # text on the page, whatever they hold.
    if code == "en":
        expected = ["Get help now", BOX_WORDS["en"][1], f"Call the crisis line, {HOSTILE_LINE}: {crisis}.",
                    f"Call the emergency number: {emergency}."]
    else:
        expected = ["Get help now", BOX_WORDS["mr"][1], f"Call the crisis line, टेली-मानस: {clinic.crisis_line.number}.",
                    f'{emergency} या नंबरवर फोन करा. "; content: "x"; display: none;']
    for words in expected:  # pdftotext drops a hyphen that ends a line
        assert flat(words).replace("-", "") in box.replace("-", ""), f"'{words}' not in the crisis section: {box}"
    whole = pdftotext(path)
    for fake in FAKE:
        assert fake not in whole, f"a fake number {fake} in the PDF"
    for number, footer in enumerate(footers(path), start=1):
        assert crisis in footer, f"page {number}: the crisis number is not in the footer '{footer}'"
        assert digits(CSS_NUMBER, code) in footer  # the clinic's name, as text
    assert audit_pdf(path, code) == []
    _, box_html = crisis_section(html)
    assert "tel:" + clinic.crisis_line.number in {a.get("href") for a in box_html.iter("{%s}a" % NAMESPACE["h"])}


def test_hostile_interface_strings_are_qa_errors_at_their_line(hostile):
    from pipeline import qa
    from pipeline.translate import InterfaceText

    config = load_config(hostile / "clinics.yaml")
    errors = qa.interface_errors(config, "mr")
    lines = (hostile / "locales" / "mr" / "LC_MESSAGES" / "ui.po").read_text(encoding="utf-8").splitlines()
    rejected = {"Page %(page)s of %(pages)s", "Get help now", "Call the crisis line, %(name)s: %(number)s.",
                "Do not stay alone. Ask someone you trust to stay with you.", "Call {number}", "Skip to content"}
    assert {p.msgid for p in errors} == rejected
    for problem in errors:
        assert problem.path == "locales/mr/LC_MESSAGES/ui.po"
        entry = "\n".join(lines[problem.line - 1:problem.line + 3])  # the entry starts at its line
        assert f'msgid "{problem.msgid}"' in entry, problem
    by_id = {}
    for problem in errors:
        by_id.setdefault(problem.msgid, []).append(problem.check)
    assert "interface_fields" in by_id["Do not stay alone. Ask someone you trust to stay with you."]
    assert "interface_fields" in by_id["Call {number}"]
    ui = InterfaceText(config, "mr")
    assert set(key[1] for key in ui.rejected) == rejected
    assert ui.gettext("Call {number}") == "Call {number}" and ui.language_of("Call {number}") == "en"


def test_an_interface_error_holds_the_locales_pdfs_back(hostile):
    from pipeline.publish import load_publication
    from pipeline.sources import load_article

    config = load_config(hostile / "clinics.yaml")
    article = load_article(config.source_dir / f"{SLUG}.md")
    publication = load_publication(config, article, config.clinics["pune"], config.locales["mr"])
    assert publication.format("html").status == "published"
    pdf = publication.format("pdf")
    assert pdf.status != "published" and "locales/mr/LC_MESSAGES/ui.po:" in pdf.reason


@pytest.mark.parametrize("translation, problem", [
    ("{number} वर फोन करा", None),
    ("{0} वर फोन करा", "position"),
    ("{} वर फोन करा", "position"),
    ("{number:>30000000} वर फोन करा", "width"),
    ("{number!r} वर फोन करा", "conversion"),
    ("{number.real} वर फोन करा", "reach"),
    ("{number} वर फोन करा {", "single"),
    ("{number} वर 100% फोन करा", "%"),
    ("{number} {number} वर फोन करा", "2 in the translation"),
    ("{address} वर फोन करा", "{address} appears 0"),
])
def test_format_problems_read_fields_as_format_does(translation, problem):
    from pipeline.interface import format_problems

    found = format_problems("Call {number}", translation)
    assert (found == []) if problem is None else any(problem in p for p in found), found
    if not found:
        assert translation.format(number="14416")


@pytest.mark.parametrize("translation, ok", [
    ("संकटाच्या वेळी %(name)s या हेल्पलाइनला %(number)s वर फोन करा.", True),
    ("५०%% %(name)s %(number)s", True),
    ("%(name)s %(number)d", False),
    ("%(name)s %s %(number)s", False),
    ("%(name)s 50% %(number)s", False),
    ("%(name)s", False),
    ("%(name)s %(number)s %(other)s", False),
])
def test_template_strings_keep_their_percent_fields(translation, ok):
    from pipeline.interface import format_problems

    source = "In a crisis, call %(name)s on %(number)s."
    assert (format_problems(source, translation) == []) is ok
    if ok:
        assert translation % {"name": "x", "number": "1"}
