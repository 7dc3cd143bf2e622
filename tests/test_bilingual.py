"""The bilingual edition, <slug>.en+mr.pdf: both languages side by side, each block
tagged with its own /Lang, published by the same rules as each language alone."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import polib
import pytest

from conftest import ROOT, pdftotext, run_pipeline, small_project, ui_string
from pipeline.build import build
from pipeline.config import load_config
from pipeline.errors import InputError

SLUGS = sorted(p.stem for p in (ROOT / "source").glob("*.md"))
PAIRS = {"pune": ("en", ("mr", "hi", "ur")), "springfield": ("en_US", ("es",))}
COMPLETE_URDU = ("what-is-treatment-resistant-depression", "why-antidepressants-may-not-work")


def structure_languages(path: Path) -> dict[str, list[str]]:
    """Structure type (H1, P, LI…) → the /Lang each element of it is in (inherited)."""
    found: dict[str, list[str]] = {}
    with pikepdf.open(path) as pdf:
        def walk(element, language):
            if isinstance(element, pikepdf.Array):
                for kid in element:
                    walk(kid, language)
                return
            if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
                return
            language = str(element.get("/Lang", language))
            found.setdefault(str(element.S)[1:], []).append(language)
            walk(element.get("/K"), language)

        walk(pdf.Root.StructTreeRoot.get("/K"), str(pdf.Root.get("/Lang")))
        found["document"] = [str(pdf.Root.get("/Lang"))]
        found["title"] = [str(pdf.docinfo.get("/Title"))]
    return found


def heading(page: Path) -> str:
    return re.sub(r"<[^>]+>", "", re.search(r"<h1[^>]*>(.*?)</h1>", page.read_text(encoding="utf-8"), re.S).group(1))


def test_every_pair_is_printed_for_every_complete_handout(built):
    outputs = built / "outputs"
    for clinic, (first, seconds) in PAIRS.items():
        for second in seconds:
            for slug in SLUGS:
                path = outputs / clinic / second / f"{slug}.{first}+{second}.pdf"
                complete = second != "ur" or slug in COMPLETE_URDU
                assert path.is_file() == complete, path
    # and nothing beside the languages that are first of a pair
    assert not list((outputs / "pune" / "en").glob("*+*.pdf"))


@pytest.mark.parametrize("clinic,first,second", [("pune", "en", "mr"), ("pune", "en", "ur"),
                                                  ("springfield", "en_US", "es")])
def test_each_block_carries_its_own_language_and_the_title_both(built, clinic, first, second):
    slug = "why-antidepressants-may-not-work"
    folder = built / "outputs" / clinic
    path = folder / second / f"{slug}.{first}+{second}.pdf"
    tags = {code: code.replace("_", "-") for code in (first, second)}
    found = structure_languages(path)
    assert found["document"] == [tags[second]]  # the edition sits beside the second language's handout
    assert sorted(found["H1"]) == sorted(tags.values())  # the title in both
    for kind in ("H2", "P"):
        assert found[kind].count(tags[first]) >= 5 and found[kind].count(tags[second]) >= 5, (kind, found[kind])
        # headings aligned: a heading in one language has its twin in the other
    assert found["H2"].count(tags[first]) == found["H2"].count(tags[second])
    titles = [heading(folder / code / f"{slug}.html") for code in (first, second)]
    assert found["title"] == [f"{titles[0]} / {titles[1]}"]


@pytest.mark.parametrize("clinic,first,second", [("pune", "en", "mr"), ("pune", "en", "hi"),
                                                  ("springfield", "en_US", "es")])
def test_the_crisis_box_is_on_page_one_in_both_languages(built, clinic, first, second):
    path = built / "outputs" / clinic / second / f"what-a-course-of-tms-is-like.{first}+{second}.pdf"
    page_one = " ".join(pdftotext(path, "-f", "1", "-l", "1").split())
    for code in (first, second):
        assert " ".join(ui_string(code, "Get help now").split()) in page_one, code
        assert " ".join(ui_string(code, "Go to the nearest hospital emergency department.").split()) in page_one


def test_what_reads_the_same_in_both_is_printed_once(built):
    path = built / "outputs" / "pune" / "mr" / "treatment-options-beyond-first-medicines.en+mr.pdf"
    text = " ".join(pdftotext(path).split())
    source = (ROOT / "source" / "treatment-options-beyond-first-medicines.md").read_text(encoding="utf-8")
    first_source = re.search(r"sources:\n\s+- (.+)", source).group(1).strip().strip('"')
    assert text.count(first_source[:40]) == 1  # the sources, in English on both pages, once


def test_every_bilingual_pdf_passes_audit(built):
    pdfs = sorted(str(p) for p in (built / "outputs").rglob("*+*.pdf"))
    assert len(pdfs) == 5 + 5 + 2 + 5
    result = run_pipeline(built, "audit", *pdfs)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout


def test_the_pages_and_the_index_link_to_it(built):
    outputs = built / "outputs" / "pune"
    page = (outputs / "mr" / "what-a-course-of-tms-is-like.html").read_text(encoding="utf-8")
    assert 'href="what-a-course-of-tms-is-like.en+mr.pdf"' in page
    assert '<span lang="en">English</span> + मराठी (PDF)</a>' in page
    index = (outputs / "index.html").read_text(encoding="utf-8")
    assert 'href="mr/what-a-course-of-tms-is-like.en+mr.pdf"' in index
    assert 'href="ur/what-a-course-of-tms-is-like.en+ur.pdf"' not in index  # held back: partial Urdu


# --------------------------------------------------------------------------
# Publishing rules, on a small project


def run(project: Path, formats=("html", "pdf", "bilingual")):
    return build(load_config(project / "clinics.yaml"), formats=formats, jobs=1)


def set_pairs(project: Path, pairs: str, threshold: int | None = None) -> None:
    path = project / "clinics.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^    bilingual: .*\n", "", text)
    text = text.replace("    locales: [en, mr, hi, ur]\n", f"    locales: [en, mr, hi, ur]\n{pairs}", 1)
    if threshold is not None:
        text = text.replace("      pdf: 100\n", f"      pdf: {threshold}\n", 1)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def small(tmp_path: Path) -> Path:
    project = small_project(tmp_path, {"chairs": "Chairs"})
    set_pairs(project, "    bilingual: [en+mr]\n")
    return project


def untranslate(project: Path, msgid: str) -> None:
    path = project / "locales" / "mr" / "LC_MESSAGES" / "chairs.po"
    catalog = polib.pofile(str(path))
    catalog.find(msgid).msgstr = ""
    catalog.save(str(path))


def test_a_partial_translation_holds_the_edition_back_with_the_language_named(small):
    untranslate(small, "A plain paragraph to translate.")
    summary = run(small)
    edition = small / "outputs" / "pune" / "mr" / "chairs.en+mr.pdf"
    assert not edition.exists()
    assert any(re.search(r"pune/mr/chairs: en\+mr held back: mr: \d+% translated \(needs 100%\)", p)
               for p in summary.problems), summary.problems
    assert "chairs.en+mr.pdf" not in (small / "outputs" / "pune" / "mr" / "chairs.html").read_text(encoding="utf-8")


def test_an_untranslated_block_is_not_shown_twice_in_english(small):
    set_pairs(small, "    bilingual: [en+mr]\n", threshold=50)
    untranslate(small, "A plain paragraph to translate.")
    run(small)
    edition = small / "outputs" / "pune" / "mr" / "chairs.en+mr.pdf"
    text = " ".join(pdftotext(edition).split())
    assert text.count("A plain paragraph to translate.") == 1
    assert text.count("A list item.") == 1 and "एक मुद्दा." in text  # translated blocks: both


def test_a_pair_taken_out_of_the_configuration_is_taken_down(small):
    run(small)
    edition = small / "outputs" / "pune" / "mr" / "chairs.en+mr.pdf"
    assert edition.is_file()
    assert "mr/chairs.en+mr.pdf" in (small / "outputs" / "pune" / "index.html").read_text(encoding="utf-8")
    set_pairs(small, "")
    summary = run(small)
    assert not edition.exists() and summary.withdrawn >= 1
    assert "en+mr" not in (small / "outputs" / "pune" / "index.html").read_text(encoding="utf-8")
    assert "en+mr" not in (small / "outputs" / "pune" / "mr" / "chairs.html").read_text(encoding="utf-8")


def test_the_edition_is_rebuilt_when_either_language_changes(small):
    set_pairs(small, "    bilingual: [hi+mr]\n")
    shutil_copy_hindi(small)
    assert run(small).exit_code == 0
    edition = small / "outputs" / "pune" / "mr" / "chairs.hi+mr.pdf"
    assert edition.is_file()
    assert run(small).built == 0
    path = small / "locales" / "hi" / "LC_MESSAGES" / "chairs.po"
    catalog = polib.pofile(str(path))
    catalog.find("A list item.").msgstr = "एक और बिंदु।"
    catalog.save(str(path))
    again = run(small)
    assert again.built >= 1
    assert "एक और बिंदु।" in " ".join(pdftotext(edition).split())


def shutil_copy_hindi(project: Path) -> None:
    """A complete Hindi catalog of the small handout (the Marathi one, in Hindi)."""
    hindi = {"खुर्च्यांबद्दल एक पत्रक": "कुर्सियों के बारे में एक पर्चा", "हे पत्रक कशाबद्दल आहे ते.":
             "यह पर्चा किस बारे में है।", "एक विभाग": "एक भाग", "भाषांतर करण्यासाठी एक साधा परिच्छेद.":
             "अनुवाद के लिए एक सादा अनुच्छेद।", "एक मुद्दा.": "एक बिंदु।",
             "गादीच्या खुर्चीत एक व्यक्ती बसली आहे.": "एक व्यक्ति गद्दीदार कुर्सी पर बैठा है।"}
    folder = project / "locales" / "hi" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = polib.pofile(str(project / "locales" / "mr" / "LC_MESSAGES" / "chairs.po"))
    catalog.metadata["Language"] = "hi"
    for entry in catalog:
        entry.msgstr = hindi[entry.msgstr]
    catalog.save(str(folder / "chairs.po"))
    (folder / "ui.po").write_bytes((ROOT / "locales" / "hi" / "LC_MESSAGES" / "ui.po").read_bytes())
    (project / "locales" / "hi" / "glossary.yaml").write_bytes((ROOT / "locales" / "hi" / "glossary.yaml").read_bytes())
    subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(folder / "chairs.po")], check=True)


@pytest.mark.parametrize("pairs,message", [
    ("[en+es]", "'en+es' in clinics.pune.bilingual names 'es', which is not one of the clinic's locales"),
    ("[mr+mr]", "pairs a language with itself"),
    ("[en+mr, hi+mr]", "'mr' is the second language of two pairs"),
    ("[en-mr]", "'en-mr' in clinics.pune.bilingual is not a pair of locale codes"),
    ("en+mr", "must be a list such as [en+mr]"),
])
def test_a_wrong_pair_is_refused_at_its_line(small, pairs, message):
    set_pairs(small, f"    bilingual: {pairs}\n")
    line = next(number for number, text in enumerate((small / "clinics.yaml").read_text().splitlines(), start=1)
                if text.startswith("    bilingual:"))
    with pytest.raises(InputError) as caught:
        load_config(small / "clinics.yaml")
    assert message in caught.value.message and caught.value.line == line


def test_the_title_is_each_heading_whole(tmp_path):
    project = small_project(tmp_path, {"chairs": "Chairs – what to know"})  # a dash, as <title> joins the clinic's name
    set_pairs(project, "    bilingual: [en+mr]\n")
    run(project)
    with pikepdf.open(project / "outputs" / "pune" / "mr" / "chairs.en+mr.pdf") as pdf:
        assert str(pdf.docinfo.Title) == "Chairs – what to know / खुर्च्यांबद्दल एक पत्रक"
