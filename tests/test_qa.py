"""Translation checks: each check with a good and a bad translation, then the command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polib
import pytest

from pipeline import cli
from pipeline.catalogs import catalog_path, po_bytes, read_catalog
from pipeline.config import load_config
from pipeline.errors import InputError
from pipeline.files import write_atomic
from pipeline.qa import (CHECKS, Entry, GlossaryTerm, check_catalog, end_mark, glossary_terms,
                         identical_to_source, link_targets, load_glossary, markdown_structure, numbers,
                         numbers_in, placeholders)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "catalogs"

GLOSSARY = (
    GlossaryTerm("side effect", ("दुष्परिणाम",)),
    GlossaryTerm("antidepressant", ("नैराश्यविरोधी औषध", "अँटीडिप्रेसंट")),
    GlossaryTerm("TMS", ("TMS",)),
    GlossaryTerm("https://clinic.example/tms-info", ("https://clinic.example/marathi/tms",)),
)


def problems(check, source: str, translation: str, locale: str = "mr", markdown: bool = True,
             other_script: bool = True) -> list[tuple[str, str]]:
    entry = Entry(source, translation, "locales/mr/LC_MESSAGES/x.po", 7, locale, "en", GLOSSARY, markdown,
                  other_script, msgid=source)
    return [(p.severity, p.message) for p in check(entry)]


# ------------------------------------------------------------------ one check at a time


def test_markdown_that_moved_with_its_words_passes():
    assert problems(markdown_structure, "Talk to your doctor about **TMS** and `ECT`.",
                    "**TMS** आणि `ECT` बद्दल तुमच्या डॉक्टरांशी बोला.") == []


@pytest.mark.parametrize("translation, label", [
    ("TMS बद्दल तुमच्या डॉक्टरांशी बोला.", "bold text"),
    ("**TMS बद्दल तुमच्या डॉक्टरांशी बोला.", "bold text"),
    ("*TMS* बद्दल तुमच्या डॉक्टरांशी बोला. [पान](https://a.example)", "links"),
])
def test_lost_or_broken_markdown_is_an_error(translation, label):
    found = problems(markdown_structure, "Talk to your doctor about **TMS**.", translation)
    assert any(severity == "error" and message.startswith(label) for severity, message in found), found


def test_link_and_image_targets_must_not_change():
    source = "Read [our page](https://clinic.example/en/tms) and see ![a coil](images/coil.svg)"
    assert problems(link_targets, source, "[आमचे पान](https://clinic.example/en/tms) वाचा ![कॉइल](images/coil.svg)") == []
    found = problems(link_targets, source, "[आमचे पान](https://clinic.example/en/tmss) वाचा ![कॉइल](images/coil.svg)")
    assert found == [("error", "link target changed: the source has (https://clinic.example/en/tms), the "
                      "translation (https://clinic.example/en/tmss); keep the target, or list the localized "
                      "page in the glossary")]
    found = problems(link_targets, source, "[आमचे पान](https://clinic.example/en/tms) ![कॉइल](images/other.svg)")
    assert found and found[0][1].startswith("image target changed")


def test_a_link_may_point_to_the_localized_page():
    assert problems(link_targets, "Read [this](https://clinic.example/en/tms).",
                    "[हे](https://clinic.example/mr/tms) वाचा.") == []
    assert problems(link_targets, "Read [this](https://en.example.org/wiki/TMS?lang=en).",
                    "[हे](https://mr.example.org/wiki/TMS?lang=mr) वाचा.") == []
    assert problems(link_targets, "Read [this](https://clinic.example/tms-info).",
                    "[हे](https://clinic.example/marathi/tms) वाचा.") == []  # listed in the glossary
    assert problems(link_targets, "Read [this](https://clinic.example/en/tms).",
                    "[हे](https://clinic.example/hi/tms) वाचा.") != []  # another language is not this one's page


def test_numbers_match_in_devanagari_or_ascii_digits():
    source = "TMS takes about 20 minutes a day, 5 days a week, for 4 to 6 weeks."
    assert problems(numbers, source, "TMS ला दिवसाला सुमारे २० मिनिटे लागतात, आठवड्यातून ५ दिवस, ४ ते ६ आठवडे.") == []
    assert problems(numbers, source, "TMS ला दिवसाला सुमारे 20 मिनिटे लागतात, आठवड्यातून 5 दिवस, 4 ते 6 आठवडे.") == []
    assert problems(numbers, source, "TMS ला दिवसाला सुमारे २० मिनिटे लागतात, आठवड्यातून ५ दिवस, ४ ते ८ आठवडे.") == [
        ("error", "numbers differ from the source (missing 6; not in the source: 8)")]
    assert numbers_in("1,00,000 लोक, २.५ मिग्रॅ") == numbers_in("100,000 people, 2.5 mg")
    assert numbers_in("[a](https://x.example/2024/5) {crisis_number}") == numbers_in("")


def test_clinic_variables_are_kept_and_nothing_else_in_braces_passes():
    source = "Call {crisis_line} on {crisis_number} if you are in danger."
    assert problems(placeholders, source, "तुम्ही धोक्यात असाल तर {crisis_line} ला {crisis_number} वर फोन करा.") == []
    found = problems(placeholders, source, "तुम्ही धोक्यात असाल तर {crisis_line} ला फोन करा.")
    assert found == [("error", "{crisis_number} appears 1 time(s) in the source and 0 in the translation; "
                      "copy it exactly, braces included")]
    found = problems(placeholders, source, "तुम्ही धोक्यात असाल तर {crisis_line} ला {crisis_number} {clinic_phone} वर.")
    assert found == [("error", "{clinic_phone} appears 0 time(s) in the source and 1 in the translation; "
                      "copy it exactly, braces included")]
    found = problems(placeholders, source, "तुम्ही धोक्यात असाल तर {crisis_line} ला {crisis_numbr} वर फोन करा.")
    assert found[0] == ("error", "unknown variable {crisis_numbr}; did you mean {crisis_number}? the variables are "
                                 "{clinic_name}, {clinic_phone}, {crisis_line}, {crisis_number}, {emergency_number}")
    for broken in ("{Crisis_Number}", "{0}", "{crisis_number:>30}", "{crisis_number", "crisis_number}"):
        found = problems(placeholders, source, f"तुम्ही धोक्यात असाल तर {{crisis_line}} ला {broken} वर फोन करा.")
        assert found and all(severity == "error" for severity, _ in found), broken
    # Interface strings have fields of their own, checked by interface_fields.
    assert problems(placeholders, "Page {page} of {pages}", "पान {page} / {pages}", markdown=False) == []


def test_end_marks_missing_doubled_or_changed():
    assert problems(end_mark, "You stay awake.", "तुम्ही जागे राहता.") == []
    assert problems(end_mark, "You stay awake.", "तुम्ही जागे राहता।") == []  # the Marathi full stop
    assert problems(end_mark, "Read [this](https://a.example).", "[हे](https://a.example) वाचा.") == []
    assert problems(end_mark, "Side effects", "दुष्परिणाम") == []
    assert problems(end_mark, "You stay awake.", "तुम्ही जागे राहता") == [
        ("warning", "the translation has no end mark; the source ends with '.'")]
    assert problems(end_mark, "You stay awake.", "तुम्ही जागे राहता।.") == [
        ("warning", "doubled end mark '।.' at the end of the translation")]
    assert problems(end_mark, "Is it safe?", "हे सुरक्षित आहे.") == [
        ("warning", "the source asks a question; the translation ends with '.'")]
    assert problems(end_mark, "You stay awake.", "You stay awake।", locale="de") != []  # । is not German


def test_a_copy_of_the_source_is_caught_unless_nothing_needs_translating():
    assert problems(identical_to_source, "You stay awake.", "You stay awake.") == [
        ("error", "the translation is the source text unchanged; translate it (a name or abbreviation that stays "
                  "as it is belongs in the glossary with the same form)")]
    assert problems(identical_to_source, "You stay awake.", "You stay awake.", other_script=False)[0][0] == "warning"
    assert problems(identical_to_source, "TMS", "TMS") == []
    assert problems(identical_to_source, "{crisis_number}", "{crisis_number}") == []
    assert problems(identical_to_source, "14416", "14416") == []
    assert problems(identical_to_source, "You stay awake.", "तुम्ही जागे राहता.") == []


def test_glossary_terms_are_used_in_any_inflection():
    assert problems(glossary_terms, "Side effects of antidepressants are common.",
                    "नैराश्यविरोधी औषधांचे दुष्परिणाम सामान्य आहेत.") == []
    assert problems(glossary_terms, "Side effects of antidepressants are common.",
                    "अँटीडिप्रेसंटचे दुष्परिणाम सामान्य आहेत.") == []
    assert problems(glossary_terms, "A side effect is rare.", "वाईट परिणाम क्वचित होतो.") == [
        ("warning", 'glossary: "side effect" is "दुष्परिणाम" in this language')]
    # Acronyms match by case only; "tms" inside a web address is not the term.
    assert problems(glossary_terms, "See [page](https://x.example/tms).", "[पान](https://x.example/tms) पाहा.") == []


def test_every_check_is_registered_once():
    assert len(CHECKS) == len(set(CHECKS)) == 9


# ------------------------------------------------------------------ the glossary file


def test_the_marathi_glossary_loads():
    terms = load_glossary(ROOT / "locales" / "mr" / "glossary.yaml", "en", "mr")
    by_term = {t.source: t for t in terms}
    assert by_term["depression"].targets == ("नैराश्य",)
    assert by_term["side effect"].targets[0] == "दुष्परिणाम"
    assert by_term["TMS"].kept and all(t.line for t in terms)


def test_a_glossary_mistake_names_file_and_line(tmp_path):
    path = tmp_path / "glossary.yaml"
    path.write_text("- en: dose\n  mr: डोस\n- en: coil\n  hi: कॉइल\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_glossary(path, "en", "mr")
    assert caught.value.line == 4 and "unknown key 'hi'" in caught.value.message
    path.write_text("- en: dose\n  note: no translation\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_glossary(path, "en", "mr")
    assert "'dose' has no 'mr' translation" in caught.value.message


# ------------------------------------------------------------------ catalogs and the command


GOOD = {
    "Living with TMS": "TMS सोबत जगताना",
    "Before you start": "सुरुवात करण्यापूर्वी",
    "A psychiatrist will meet you first. They ask about your **medicines** and your health.":
        "आधी एक मानसोपचारतज्ज्ञ तुम्हाला भेटतील. ते तुमची **औषधे** आणि तुमचे आरोग्य याबद्दल विचारतील.",
    "TMS takes about 20 minutes a day, 5 days a week, for 4 to 6 weeks.":
        "TMS ला दिवसाला सुमारे २० मिनिटे लागतात, आठवड्यातून ५ दिवस, ४ ते ६ आठवडे.",
    "About 50% of people feel better after a course.": "सुमारे ५०% लोकांना एका कोर्सनंतर बरे वाटते.",
    "Read [our TMS page](https://clinic.example/en/tms) for more.":
        "अधिक माहितीसाठी [आमचे TMS पान](https://clinic.example/mr/tms) वाचा.",
    "Side effect": "दुष्परिणाम",
    "Headache": "डोकेदुखी",
    "A TMS coil rests on the head.": "TMS कॉइल डोक्यावर ठेवलेली असते.",
    "Call {crisis_line} on {crisis_number} if you are in danger.":
        "तुम्ही धोक्यात असाल तर {crisis_line} ला {crisis_number} वर फोन करा.",
    "Is it safe? Yes, for most people.": "हे सुरक्षित आहे का? हो, बहुतेक लोकांसाठी.",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = shutil.copytree(FIXTURE / "project", tmp_path / "project")
    config = ["--config", str(project / "clinics.yaml"), "-q"]
    assert cli.main(["extract", *config]) == 0 and cli.main(["update", *config]) == 0
    return project


def fill(project: Path, translations: dict[str, str], fuzzy: tuple = ()) -> Path:
    path = catalog_path(project / "locales", "mr", "sample")
    po = polib.pofile(str(path))
    for item in po:
        if item.msgid in translations:
            item.msgstr = translations[item.msgid]
            item.flags = ["fuzzy"] if item.msgid in fuzzy else []
    write_atomic(path, po_bytes(po))
    return path


def qa(project: Path, capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(["qa", *args, "--config", str(project / "clinics.yaml")])
    return code, capsys.readouterr().out


def test_good_translations_pass(project, capsys):
    fill(project, GOOD)
    code, out = qa(project, capsys)
    assert code == 0, out
    assert out.strip().endswith("qa: 0 error(s), 0 warning(s) in 2 catalog(s)")


def test_errors_are_reported_as_file_line_and_fail_the_command(project, capsys):
    bad = dict(GOOD)
    bad["TMS takes about 20 minutes a day, 5 days a week, for 4 to 6 weeks."] = \
        "TMS ला दिवसाला सुमारे २० मिनिटे लागतात, आठवड्यातून ५ दिवस, ४ ते ८ आठवडे."
    bad["A TMS coil rests on the head."] = "TMS कॉइल डोक्यावर ठेवलेली असते"
    path = fill(project, bad)
    code, out = qa(project, capsys)
    assert code == 1
    line = next(e.linenum for e in polib.pofile(str(path)) if e.msgid.startswith("TMS takes"))
    catalog = read_catalog(path, "mr")
    msgid_line = catalog.get("TMS takes about 20 minutes a day, 5 days a week, for 4 to 6 weeks.").lineno
    assert msgid_line >= line
    assert (f"locales/mr/LC_MESSAGES/sample.po:{msgid_line}: error: numbers differ from the source "
            "(missing 6; not in the source: 8)") in out
    assert "warning: the translation has no end mark; the source ends with '.'" in out
    assert "qa: 1 error(s), 1 warning(s)" in out

    code, out = qa(project, capsys, "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["errors"] == 1 and report["warnings"] == 1
    problem = next(p for p in report["problems"] if p["severity"] == "error")
    assert problem["check"] == "numbers" and problem["path"] == "locales/mr/LC_MESSAGES/sample.po"
    assert problem["msgid"].startswith("TMS takes about 20 minutes")


def test_fuzzy_and_untranslated_entries_are_not_checked(project):
    path = fill(project, {"Is it safe? Yes, for most people.": "Is it safe? Yes, for most people."},
                fuzzy=("Is it safe? Yes, for most people.",))
    config = load_config(project / "clinics.yaml")
    assert check_catalog(config, "mr", "sample", read_catalog(path, "mr")) == []


def test_check_catalog_gives_the_build_what_it_needs(project):
    bad = {"Call {crisis_line} on {crisis_number} if you are in danger.": "धोक्यात असाल तर {crisis_line} ला फोन करा."}
    path = fill(project, bad)
    config = load_config(project / "clinics.yaml")
    found = check_catalog(config, "mr", "sample", read_catalog(path, "mr"))
    assert [(p.severity, p.check, p.msgid) for p in found] == [
        ("error", "placeholders", "Call {crisis_line} on {crisis_number} if you are in danger.")]
    assert found[0].path == "locales/mr/LC_MESSAGES/sample.po" and found[0].line > 1


def test_an_unknown_locale_is_bad_input(project, capsys):
    code, _ = qa(project, capsys, "--locale", "xx")
    assert code == 2


def test_a_misspelt_variable_in_a_translation_is_a_qa_error_at_its_entry(project, capsys):
    bad = dict(GOOD)
    source = "Call {crisis_line} on {crisis_number} if you are in danger."
    bad[source] = "तुम्ही धोक्यात असाल तर {crisis_line} ला {crisis_numbr} वर फोन करा."
    path = fill(project, bad)
    line = read_catalog(path, "mr").get(source).lineno
    code, out = qa(project, capsys)
    assert code == 1
    assert (f"locales/mr/LC_MESSAGES/sample.po:{line}: error: unknown variable {{crisis_numbr}}; "
            "did you mean {crisis_number}?") in out
    found = check_catalog(load_config(project / "clinics.yaml"), "mr", "sample", read_catalog(path, "mr"))
    assert {(p.check, p.msgid, p.line) for p in found if p.severity == "error"} == {("placeholders", source, line)}


@pytest.mark.parametrize("text, line, words", [
    ("- en: dose\n  mr: [डोस\n- en: coil\n  mr: कॉइल\n".encode(), 2, "is not closed"),
    ("- en: dose\n  mr: डोस\n- en: coil\n  mr: \"कॉइल\n".encode(), 4, "not closed"),
    ("- en: dose\n  mr: डोस\n- en: coil\n".encode() + "  mr: café\n".encode("latin-1"), 4, "not UTF-8"),
])
def test_a_broken_glossary_fails_qa_at_its_line_but_not_the_build(project, capsys, text, line, words):
    glossary = project / "locales" / "mr" / "glossary.yaml"
    glossary.write_bytes(text)
    path = fill(project, GOOD)
    capsys.readouterr()
    assert cli.main(["qa", "--config", str(project / "clinics.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"glossary.yaml:{line}: error:" in err and words in err, err
    # What the build asks: the catalog's problems, checked without the glossary.
    found = check_catalog(load_config(project / "clinics.yaml"), "mr", "sample", read_catalog(path, "mr"))
    assert [p for p in found if p.severity == "error"] == []
