"""``python -m pipeline check`` on real files: exit codes, the JSON and HTML reports,
translations compared with their source, and the shipped handouts against their targets."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.errors import InputError
from pipeline.readability.measure import check_articles
from pipeline.sources import load_articles

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "readability"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The fixture handouts and catalog with the real configuration."""
    shutil.copy(ROOT / "clinics.yaml", tmp_path / "clinics.yaml")
    shutil.copytree(FIXTURES / "source", tmp_path / "source")
    shutil.copytree(FIXTURES / "locales", tmp_path / "locales")
    return tmp_path


def check(project: Path, *args: str, capsys) -> tuple[int, str, str]:
    code = main(["check", "--config", str(project / "clinics.yaml"), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_exit_1_when_a_handout_misses_its_target_and_by_how_much(project, capsys):
    code, out, _ = check(project, "--no-report", "-q", capsys=capsys)
    assert code == 1
    assert "source/hard-words.md (en): Flesch-Kincaid grade 17.0, target ≤ 6.0: 11.0 over" in out
    assert "skipped hard-words (mr): no catalog locales/mr/LC_MESSAGES/hard-words.po yet" in out.replace("\n", " ")


def test_exit_0_when_every_reading_meets_its_target(project, capsys):
    code, out, _ = check(project, "--article", "tms-treatment", "--no-report", capsys=capsys)
    assert code == 0
    assert "All 2 handout readings meet their targets." in out
    assert not (project / "outputs" / "reports").exists()


def test_bad_input_exits_2(project, capsys):
    assert check(project, "--article", "no-such-handout", capsys=capsys)[0] == 2
    code, _, err = check(project, "--locale", "xx", capsys=capsys)
    assert code == 2 and "unknown locale 'xx'" in err


def test_json_for_tools(project, capsys):
    code, out, _ = check(project, "--format", "json", "--no-report", capsys=capsys)
    data = json.loads(out)
    assert code == 1 and data["passed"] is False
    reports = {(r["source"], r["locale"]): r for r in data["reports"]}
    assert set(reports) == {("source/hard-words.md", "en"), ("source/tms-treatment.md", "en"),
                            ("source/tms-treatment.md", "mr")}
    hard = reports[("source/hard-words.md", "en")]
    assert hard["passed"] is False
    assert hard["target"] == {"fk_grade": 6, "smog": 9}  # smog overridden in the front matter
    assert set(hard["metrics"]) >= {"fk_grade", "smog", "flesch_reading_ease", "gunning_fog", "coleman_liau",
                                    "dale_chall", "words_per_sentence", "reading_time_seconds"}
    assert {m["measure"] for m in hard["misses"]} == {"fk_grade", "smog"}
    for flag in hard["flags"]:
        assert {"line", "kind", "text"} <= set(flag)
    percent = next(f for f in hard["flags"] if f["kind"] == "percentage")
    assert percent == {**percent, "line": 13, "text": "60%", "suggestion": "Say '6 out of 10'"}
    assert data["reports"][0]["source"] == "source/hard-words.md"  # worst first
    assert {"slug": "hard-words", "source": "source/hard-words.md", "locale": "mr",
            "reason": "no catalog locales/mr/LC_MESSAGES/hard-words.po yet"} in data["skipped"]
    # the other translated locales (hi, es, ...) have no catalog in the fixture either
    assert {"mr", "hi", "es"} <= {s["locale"] for s in data["skipped"]} <= set(
        load_config(project / "clinics.yaml").locales) - {"en"}
    assert all(s["reason"].startswith(("no catalog", "no readability measure")) for s in data["skipped"])


def test_translation_measured_and_compared_with_its_source(project, capsys):
    code, out, _ = check(project, "--format", "json", "--no-report", "--locale", "mr", capsys=capsys)
    data = json.loads(out)
    (report,) = data["reports"]
    assert report["locale"] == "mr" and report["file"] == "locales/mr/LC_MESSAGES/tms-treatment.po"
    assert set(report["metrics"]) >= {"words_per_sentence", "aksharas_per_word", "long_word_share"}
    comparison = report["comparison"]
    assert comparison["source_sentences"] == 19 and comparison["sentences"] == 17
    assert report["notes"] == ["measured the 9 of 12 blocks that are translated"]
    flag = next(f for f in report["flags"] if f["kind"] == "harder_than_source")
    assert flag["message"] == ("the English says this in 4 sentences of at most 9 words (29 in all); "
                               "the translation uses 1 of up to 32 (32 in all)")
    assert flag["suggestion"] == "Split it as the English does"
    po_lines = (project / report["file"]).read_text(encoding="utf-8").splitlines()
    assert po_lines[flag["line"] - 1].startswith("msgid")
    assert po_lines[flag["line"]].startswith('"You sit in a soft chair.')
    sections = [s["title"] for s in report["sections"]]
    assert sections == ["", "भेट कशी असते", "दुष्परिणाम"]  # the translated headings


def test_html_and_json_reports(project, capsys):
    check(project, "-q", capsys=capsys)
    folder = project / "outputs" / "reports"
    overview = (folder / "readability.html").read_text(encoding="utf-8")
    data = json.loads((folder / "readability.json").read_text(encoding="utf-8"))
    assert len(data["reports"]) == 3
    # the overview links one page per handout reading, each with its chart and flags
    links = re.findall(r'<a href="(readability/[^"]+\.html)">', overview)
    assert sorted(links) == sorted(f"readability/{r['slug']}.{r['locale']}.html" for r in data["reports"])
    assert "<svg" not in overview
    pages = {link: (folder / link).read_text(encoding="utf-8") for link in links}
    for page in pages.values():
        assert page.count("<svg") == 1
        assert '<a href="../readability.html">' in page
    assert not any("<script" in page for page in [overview, *pages.values()])
    hard = pages["readability/hard-words.en.html"]
    assert "source/hard-words.md:13" in hard
    assert "Say &#39;6 out of 10&#39;" in hard
    # the Marathi reading marks its Marathi text as Marathi on an English page
    marathi = next(page for link, page in pages.items() if link.endswith(".mr.html"))
    # quoted sentences and section titles, in their language and its own direction
    assert '<q lang="mr" dir="auto">' in marathi and '<div lang="mr" dir="auto">' in marathi


def test_report_pages_of_readings_no_longer_checked_are_removed(project, capsys):
    check(project, "-q", capsys=capsys)
    readings = project / "outputs" / "reports" / "readability"
    assert len(list(readings.glob("*.html"))) == 3
    check(project, "-q", "--article", "hard-words", "--locale", "en", capsys=capsys)
    assert [p.name for p in readings.glob("*.html")] == ["hard-words.en.html"]


def test_text_output_lists_what_to_change(project, capsys):
    code, out, _ = check(project, "--no-report", "--article", "hard-words", "--locale", "en", capsys=capsys)
    assert code == 1
    assert "Hardest sentences" in out and "Passive voice" in out and "Clear communication" in out
    flat = " ".join(out.split())
    assert "source/hard-words.md:2 medication: formal word (also lines 3, 14, 16) → Say 'medicine'" in flat


def test_every_shipped_handout_meets_its_targets():
    """Grade 6 or below by Flesch-Kincaid, 8 or below by SMOG; translations within
    the Marathi limits."""
    config = load_config(ROOT / "clinics.yaml")
    articles = load_articles(config.source_dir)
    if not articles:
        pytest.skip("no handouts in source/ yet")
    results = check_articles(config, articles, list(config.locales))
    english = [r for r in results.reports if r.locale == "en"]
    assert len(english) == len(articles)
    for report in english:
        assert round(report.metrics["fk_grade"], 1) <= 6, report.source
        assert round(report.metrics["smog"], 1) <= 8, report.source
    failing = [(r.source, r.locale, [m.measure for m in r.misses]) for r in results.reports if not r.passed]
    assert failing == []


def test_the_check_runs_without_a_catalog_folder(tmp_path, capsys):
    shutil.copy(ROOT / "clinics.yaml", tmp_path / "clinics.yaml")
    shutil.copytree(FIXTURES / "source", tmp_path / "source")
    code, out, _ = check(tmp_path, "--no-report", "-q", "--article", "tms-treatment", capsys=capsys)
    assert code == 0 and "no catalog" in out


def test_catalog_lines_are_the_msgid_lines(tmp_path):
    from pipeline.readability.measure import catalog_entry_lines

    po = tmp_path / "x.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: mr\\n"\n\n#. paragraph\nmsgctxt "button"\nmsgid "Call"\n'
                  'msgstr "फोन करा"\n\nmsgid ""\n"Say \\"stop\\" "\n"now."\nmsgstr "थांबा"\n\n'
                  '#~ msgid "Old"\n#~ msgstr "जुने"\n', encoding="utf-8")
    assert catalog_entry_lines(po) == {(None, ""): 1, ("button", "Call"): 7, (None, 'Say "stop" now.'): 10}


def test_many_handouts_in_several_processes_give_the_same_results(tmp_path):
    from pipeline.readability.measure import PARALLEL_FROM, check_handouts

    shutil.copy(ROOT / "clinics.yaml", tmp_path / "clinics.yaml")
    (tmp_path / "source").mkdir()
    text = (FIXTURES / "source" / "tms-treatment.md").read_text(encoding="utf-8")
    for index in range(PARALLEL_FROM):
        (tmp_path / "source" / f"handout-{index:02d}.md").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "clinics.yaml")
    one = check_handouts(config, None, ["en"], jobs=1)
    two = check_handouts(config, None, ["en"], jobs=2)
    assert [r.slug for r in two.reports] == [r.slug for r in one.reports]
    assert [r.metrics["fk_grade"] for r in two.reports] == [r.metrics["fk_grade"] for r in one.reports]
    assert [len(r.flags) for r in two.reports] == [len(r.flags) for r in one.reports]
    # Bad input in a worker is reported like bad input anywhere.
    (tmp_path / "source" / "handout-07.md").write_text("no front matter\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        check_handouts(config, None, ["en"], jobs=2)
    assert raised.value.path.endswith("handout-07.md") and raised.value.line == 1
