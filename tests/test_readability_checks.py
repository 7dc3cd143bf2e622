"""The flags editors act on: each check on a small real handout file."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import InputError
from pipeline.readability import checks
from pipeline.readability.measure import read_source, report_for
from pipeline.readability.wordlist import load_word_list
from pipeline.sources import load_article

ROOT = Path(__file__).resolve().parent.parent
FRONT = """---
title: {title}
summary: {summary}
reviewed: 2025-01-15
sources:
  - Written for the readability tests.
---

"""


def reading_of(tmp_path: Path, body: str, title: str = "Taking your medicine",
               summary: str = "How to take your medicine safely.", slug: str = "handout"):
    source = tmp_path / "source"
    source.mkdir(exist_ok=True)
    path = source / f"{slug}.md"
    path.write_text(FRONT.format(title=title, summary=summary) + textwrap.dedent(body), encoding="utf-8")
    config = dataclasses.replace(load_config(ROOT / "clinics.yaml"), root=tmp_path, source_dir=source)
    return read_source(config, load_article(path))


def kinds(flags) -> list[str]:
    return [f.kind for f in flags]


def test_hard_sentences_hardest_first_with_line_grade_and_reason(tmp_path):
    reading = reading_of(tmp_path, """\
        ## Taking your medicine

        Take your medicine every day. It helps you feel better.
        Antidepressants are frequently prescribed for individuals experiencing persistent depressive
        symptoms, and approximately half demonstrate substantial improvement.
        Consultation with your psychiatrist is recommended.
        """)
    flags = list(checks.hard_sentences(reading))
    assert [f.line for f in flags] == [12, 14]
    first = flags[0]
    assert first.file == "source/handout.md"
    assert first.grade > 15
    assert first.message.startswith("too long: 16 words (aim for 15 or fewer); too many long words: Antidepressants")
    assert first.suggestion.startswith("Split it into shorter sentences; say 'medicine for depression' for 'Antidepressants', 'often' for 'frequently'")
    assert first.section == "Taking your medicine"


def test_plainer_words_from_the_word_list(tmp_path):
    reading = reading_of(tmp_path, """\
        Take your medications prior to breakfast. Utilizing a pill box helps you remember.
        """)
    flags = list(checks.plain_words(reading))
    assert [(f.text, f.suggestion) for f in flags] == [
        ("medications", "Say 'medicine'"), ("prior to", "Say 'before'"), ("Utilizing", "Say 'use'")]
    assert {f.line for f in flags} == {9}


def test_medical_terms_explained_where_first_used_are_fine(tmp_path):
    reading = reading_of(tmp_path, """\
        You may have hypertension (high blood pressure). Hypertension can be treated.

        Insomnia means trouble sleeping. Insomnia is common.
        """)
    assert list(checks.medical_terms(reading)) == []


def test_medical_terms_not_explained_or_explained_late(tmp_path):
    reading = reading_of(tmp_path, """\
        Some people get nausea at first.

        Tinnitus can happen too.

        Go slowly. Nausea means feeling sick to your stomach.
        """)
    flags = {f.text.lower(): f for f in checks.medical_terms(reading)}
    assert flags["tinnitus"].kind == "medical_term"
    assert flags["tinnitus"].line == 11
    assert flags["tinnitus"].suggestion == "Say 'ringing in the ears', or explain 'Tinnitus' the first time it is used"
    assert flags["nausea"].kind == "term_before_explained"
    assert flags["nausea"].message == "'nausea' is used here but explained only on line 13"


def test_abbreviations(tmp_path):
    reading = reading_of(tmp_path, """\
        ## What is TMS?

        Transcranial magnetic stimulation (TMS) uses a magnet. Do NOT drive if you feel dizzy.

        Ask about ECT. Vitamin B12 and OK are fine.
        """)
    flags = list(checks.medical_terms(reading))
    assert [(f.kind, f.text, f.line) for f in flags] == [("abbreviation", "ECT", 13)]
    assert flags[0].suggestion == "Write it out the first time, with '(ECT)' after it"


def test_passive_voice(tmp_path):
    reading = reading_of(tmp_path, """\
        The dose is changed by your doctor. Your medicine was given at night.
        You may feel tired. You are not alone. Many people are worried at first.
        """)
    flags = list(checks.passive_voice(reading))
    assert [f.message for f in flags] == ["may be passive: 'is changed by'", "may be passive: 'was given'"]


@pytest.mark.parametrize("written, plain", [
    ("80%", "8 out of 10"), ("25%", "1 out of 4"), ("50 percent", "1 out of 2"), ("33%", "about 1 out of 3"),
    ("5%", "1 out of 20"), ("2.5%", "1 out of 40"), ("1%", "1 out of 100"), ("2/3", "2 out of 3"),
    ("67%", "about 2 out of 3"), ("12%", "12 out of 100"),
])
def test_percentages_and_fractions_become_whole_numbers(tmp_path, written, plain):
    reading = reading_of(tmp_path, f"It helps {written} of people who take it.\n")
    flags = list(checks.numbers(reading))
    assert [(f.text, f.suggestion) for f in flags] == [(written, f"Say '{plain}'")]


def test_whole_numbers_and_24_7_are_fine(tmp_path):
    reading = reading_of(tmp_path, "It helps 8 out of 10 people. Call us 24/7. Take 2.5 mg.\n")
    assert list(checks.numbers(reading)) == []


def test_call_to_action(tmp_path):
    missing = reading_of(tmp_path, "Depression is common. It affects many people.\n")
    assert kinds(checks.call_to_action(missing)) == ["no_call_to_action"]
    present = reading_of(tmp_path, "Depression is common. Talk to your doctor.\n")
    assert list(checks.call_to_action(present)) == []
    polite = reading_of(tmp_path, "Depression is common. You can ask us anything.\n")
    assert list(checks.call_to_action(polite)) == []


def test_main_message_first(tmp_path):
    background = reading_of(tmp_path, """\
        ## Background

        Doctors first used this medicine in 1958.
        """)
    flags = list(checks.main_message_first(background))
    assert kinds(flags) == ["main_message"] and flags[0].line == 9
    off_topic = reading_of(tmp_path, """\
        ## A short history

        Doctors first used this in 1958.

        ## Taking it

        Take your medicine every day.
        """)
    assert kinds(checks.main_message_first(off_topic)) == ["main_message"]
    on_topic = reading_of(tmp_path, "Take your medicine every day, even when you feel well.\n")
    assert list(checks.main_message_first(on_topic)) == []


def test_long_runs_of_text_without_a_heading_or_list(tmp_path):
    sentence = "You can take the tablet with food or without it, at the same time each day. "
    paragraph = sentence * 5  # 80 words
    reading = reading_of(tmp_path, f"{paragraph}\n\n{paragraph}\n\n- a list item\n\n{sentence * 6}\n")
    flags = list(checks.long_runs(reading))
    assert [(f.kind, f.line) for f in flags] == [("long_run", 9), ("long_paragraph", 15)]
    assert flags[0].message == "160 words of running text without a heading or a list"


def test_checks_are_registered_per_measure():
    assert checks.hard_sentences in checks.CHECKS["english"]
    assert checks.harder_than_source in checks.CHECKS["devanagari"]
    assert checks.passive_voice not in checks.CHECKS["devanagari"]


def test_report_misses_say_by_how_much(tmp_path):
    reading = reading_of(tmp_path, """\
        Antidepressants are frequently prescribed for individuals experiencing persistent depressive
        symptoms, and approximately half demonstrate substantial improvement.
        """)
    report = report_for(reading)
    assert not report.passed
    miss = next(m for m in report.misses if m.measure == "fk_grade")
    assert miss.limit == 6 and miss.by == pytest.approx(miss.value - 6)


def test_front_matter_overrides_the_target(tmp_path):
    path_body = "Antidepressants are frequently prescribed medicines.\n"
    reading = reading_of(tmp_path, path_body)
    assert reading.targets == {"fk_grade": 6, "smog": 8}
    source = tmp_path / "source" / "override.md"
    source.write_text(FRONT.format(title="Taking medicine", summary="How to take it.").replace(
        "sources:", "readability: {fk_grade: 9}\nsources:") + path_body, encoding="utf-8")
    config = dataclasses.replace(load_config(ROOT / "clinics.yaml"), root=tmp_path, source_dir=source.parent)
    assert read_source(config, load_article(source)).targets == {"fk_grade": 9, "smog": 8}


def test_unknown_target_in_front_matter_is_bad_input(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    path = source / "typo.md"
    path.write_text(FRONT.format(title="T", summary="S").replace("sources:", "readability: {fk_grad: 9}\nsources:")
                    + "Text.\n", encoding="utf-8")
    config = dataclasses.replace(load_config(ROOT / "clinics.yaml"), root=tmp_path, source_dir=source)
    with pytest.raises(InputError, match="unknown readability target 'fk_grad'") as raised:
        read_source(config, load_article(path))
    assert raised.value.line == 5


def test_project_word_list_extends_and_switches_off_entries(tmp_path):
    (tmp_path / "plain_words.yaml").write_text(
        "en:\n  everyday_words:\n    medication: []\n    commence: [begin, start]\n"
        "  medical_terms:\n    esketamine: [a nasal spray medicine for depression]\n", encoding="utf-8")
    words = load_word_list("en", tmp_path)
    assert "medication" not in words.entries
    assert words.entries["commence"].alternatives == ("begin", "start")
    assert words.entries["esketamine"].kind == "medical_terms"
    assert "utilize" in words.entries  # the shipped list is still there


def test_a_broken_project_word_list_names_file_and_line(tmp_path):
    (tmp_path / "plain_words.yaml").write_text("en:\n  everyday_words:\n    utilize: {use: 1}\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_word_list("en", tmp_path)
    assert raised.value.line == 3 and "utilize" in raised.value.message


def test_flags_show_clinic_variables_as_written(tmp_path):
    reading = reading_of(tmp_path, """\
        If you have thoughts of ending your life or harming yourself and cannot keep yourself safe, the
        crisis team at {crisis_line} will be contacted by your doctor on {crisis_number} straight away.
        """)
    (flag,) = checks.passive_voice(reading)
    assert "{crisis_line}" in flag.text and "{crisis_number}" in flag.text
    assert "the crisis line" in reading.sentences[-1].text  # measured with the stand-in


def test_marathi_sentences_are_hard_for_length_or_for_several_long_words(tmp_path):
    from pipeline.readability import prose
    from pipeline.readability.measure import score_sentence
    from pipeline.model import Block

    targets = {"words_per_sentence": 12, "aksharas_per_word": 3.2, "long_word_share": 0.2}

    def score(text):
        (sentence,) = prose.sentences_of([Block("paragraph", text, 1)], "Deva")
        return score_sentence(sentence, "devanagari", targets)

    assert not score("पहिल्या औषधासोबत दुसरे औषध देणे.").hard  # one long word of 6
    assert not score("सगळे डॉक्टर अगदी सारखेच नियम वापरत नाहीत.").hard  # no long word
    too_long = score("अशी दोन औषधे घेऊनही पुरेसा फायदा झाला नाही, तर डॉक्टर त्याला उपचारांना दाद न देणारे नैराश्य म्हणू शकतात.")
    assert too_long.hard and too_long.reasons == ("too long: 18 words (aim for 15 or fewer)",)
    long_words = score("नैराश्यावरील औषधाला अँटीडिप्रेसंट म्हणतात.")
    assert long_words.hard and long_words.reasons[0].startswith("long words: 5.0 aksharas a word (limit 3.2)")
    very_long = score("निवड करायला मानसोपचारतज्ज्ञ मदत करू शकतात.")  # one word of 8 aksharas
    assert very_long.hard
