"""Marathi (Devanagari) measures: aksharas, words, sentences, and the limits."""

from __future__ import annotations

import pytest
import textstat

from pipeline.readability import devanagari

# Plain Marathi of the kind a handout should use, and the same kind of message in
# formal, Sanskritized Marathi. Both written for these tests.
PLAIN = (
    "नैराश्य हा एक आजार आहे. तो कोणालाही होऊ शकतो. यात तुमची चूक नाही. उपचाराने बहुतेक लोक बरे होतात. "
    "तुम्हाला दोन आठवड्यांपेक्षा जास्त काळ उदास वाटत असेल, तर डॉक्टरांशी बोला. औषधे रोज एकाच वेळी घ्या. "
    "बरे वाटले तरी औषध स्वतःहून बंद करू नका. तुमच्या मनातले जवळच्या माणसाला सांगा."
)
FORMAL = (
    "मानसिक आरोग्याच्या समस्यांवर वेळेवर उपचार घेणे अत्यंत आवश्यक आहे। ट्रान्सक्रॅनियल मॅग्नेटिक स्टिम्युलेशन "
    "ही एक अशस्त्रक्रिया उपचारपद्धती असून, औषधोपचारांना प्रतिसाद न देणाऱ्या रुग्णांमध्ये तिची परिणामकारकता "
    "सिद्ध झालेली आहे। उपचारादरम्यान उद्भवणाऱ्या कोणत्याही दुष्परिणामांबाबत संबंधित वैद्यकीय अधिकाऱ्यांना "
    "तात्काळ कळवावे।"
)
LIMITS = {"words_per_sentence": 12, "aksharas_per_word": 3.2, "long_word_share": 0.2}


@pytest.mark.parametrize("word, expected", [
    ("संपर्क", ["सं", "प", "र्क"]),  # anusvara attaches; र्क is a conjunct
    ("गोळ्या", ["गो", "ळ्या"]),
    ("सांगितल्याशिवाय", ["सां", "गि", "त", "ल्या", "शि", "वा", "य"]),
    ("ज्ञान", ["ज्ञा", "न"]),
    ("डॉक्टरांशी", ["डॉ", "क्ट", "रां", "शी"]),  # candra o, a two-consonant cluster
    ("स्वतःला", ["स्व", "तः", "ला"]),  # visarga attaches
    ("दुसऱ्या", ["दु", "स", "ऱ्या"]),
    ("दुसर्\u200dया", ["दु", "स", "र्\u200dया"]),  # eyelash ra written with a joiner
    ("आई", ["आ", "ई"]),  # independent vowels are aksharas of their own
    ("क्षमता", ["क्ष", "म", "ता"]),
    ("श्वास", ["श्वा", "स"]),
    ("कृपया", ["कृ", "प", "या"]),
    ("हॉस्पिटलमध्ये", ["हॉ", "स्पि", "ट", "ल", "म", "ध्ये"]),
    ("चाँद", ["चाँ", "द"]),  # candrabindu attaches
    ("ट्रान्सक्रॅनियल", ["ट्रा", "न्स", "क्रॅ", "नि", "य", "ल"]),
])
def test_aksharas_of_real_words(word, expected):
    assert devanagari.aksharas(word) == expected
    assert devanagari.akshara_count(word) == len(expected)


def test_numbers_and_latin_words_in_marathi_text():
    assert devanagari.akshara_count("१४४१६") == 1
    assert devanagari.akshara_count("14416") == 1
    assert devanagari.akshara_count("TMS") == 1
    assert devanagari.akshara_count("Tele-MANAS") == 4


def test_conjuncts():
    assert devanagari.conjunct_count("संपर्क") == 1
    assert devanagari.conjunct_count("आरोग्याच्या") == 2
    assert devanagari.conjunct_count("उपचार") == 0


def test_words_leave_out_punctuation_and_keep_joined_forms():
    assert devanagari.words("तुम्हाला कसे वाटते, ते डॉक्टरांना सांगा। (लगेच!)") == [
        "तुम्हाला", "कसे", "वाटते", "ते", "डॉक्टरांना", "सांगा", "लगेच"]
    assert devanagari.words("दिवस-रात्र सुरू") == ["दिवस-रात्र", "सुरू"]


def test_sentences_end_at_danda_full_stop_question_and_exclamation():
    text = "औषधे रोज घ्या। बरे वाटते का? लगेच फोन करा! डॉ. शहा तुम्हाला 2.5 मिलिग्रॅम देतील. ठीक आहे॥"
    assert devanagari.split_sentences(text) == [
        "औषधे रोज घ्या।", "बरे वाटते का?", "लगेच फोन करा!", "डॉ. शहा तुम्हाला 2.5 मिलिग्रॅम देतील.", "ठीक आहे॥"]


def test_textstat_cannot_measure_marathi():
    """Why we count ourselves: textstat does not end a sentence at a danda, and its
    punctuation filter strips vowel signs, virama and anusvara."""
    text = "औषधे रोज घ्या। बरे वाटले तरी औषध बंद करू नका।"
    assert textstat.sentence_count(text) == 1
    assert len(devanagari.split_sentences(text)) == 2
    assert "्" not in textstat.remove_punctuation("संपर्क")


def measure(text: str) -> dict:
    counts = sum((devanagari.count_sentence(s) for s in devanagari.split_sentences(text)), devanagari.Counts())
    return devanagari.metrics(counts)


def test_plain_marathi_meets_the_limits():
    figures = measure(PLAIN)
    assert figures["sentences"] == 8
    assert figures["words_per_sentence"] <= LIMITS["words_per_sentence"]
    assert figures["aksharas_per_word"] <= LIMITS["aksharas_per_word"]
    assert figures["long_word_share"] <= LIMITS["long_word_share"]


def test_formal_marathi_misses_the_limits():
    figures = measure(FORMAL)
    assert figures["sentences"] == 3
    assert figures["aksharas_per_word"] > LIMITS["aksharas_per_word"]
    assert figures["long_word_share"] > LIMITS["long_word_share"]


def test_long_words_are_five_aksharas_or_more():
    counts = devanagari.count_sentence("उपचाराने बहुतेक लोक बरे होतात.")
    assert counts.words == 5
    assert counts.long_word_list == ["उपचाराने"]  # उ·प·चा·रा·ने; बहुतेक has 4
