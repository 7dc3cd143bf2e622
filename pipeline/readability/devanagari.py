"""Reading measures for Marathi, Hindi and other text in Devanagari script.

textstat has no Devanagari language, and its punctuation filter strips vowel signs,
virama and anusvara, so we count ourselves, in aksharas (orthographic syllables).
An akshara is one extended grapheme cluster that holds a Devanagari letter: the
``regex`` package's ``\\X`` follows Unicode's conjunct rule (a consonant, virama,
consonant sequence stays one cluster), and vowel signs, anusvara, visarga, candrabindu
and nukta attach to the letter before them. So संपर्क is सं·प·र्क (3) and
सांगितल्याशिवाय is सां·गि·त·ल्या·शि·वा·य (7).

The measures and their limits are explained in docs/readability.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

from pipeline.readability.sentences import split_at
from pipeline.readability.tally import Tally

# A word of this many aksharas or more is a long word (see docs/readability.md).
LONG_WORD_AKSHARAS = 5

_CLUSTER = regex.compile(r"\X")
# A cluster is an akshara when it holds a Devanagari letter (a consonant or an
# independent vowel); a lone digit, danda or stray sign is not.
_DEVANAGARI_LETTER = regex.compile(r"[\p{Script=Devanagari}&&\p{L}]", regex.V1)
# A conjunct (jukta-akshar): a virama followed, through optional joiners, by a consonant.
_CONJUNCT = regex.compile(r"\u094D[\u200C\u200D]?[\p{Script=Devanagari}&&\p{Lo}]", regex.V1)
_LATIN_VOWEL_GROUP = regex.compile(r"[aeiouy]+", regex.I)
# Words: letters, marks, digits and the joiners that belong inside Devanagari words,
# with inner hyphens and apostrophes. Everything else (spaces, danda, commas,
# brackets, dashes, quotes) separates words.
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}\u200C\u200D]+(?:[-'’][\p{L}\p{M}\p{N}\u200C\u200D]+)*")
_HAS_LETTER = regex.compile(r"\p{L}")
# Sentences end at a danda, double danda, full stop, question or exclamation mark that
# is followed by a space or the end of the text (so 2.5 and a.m. inside a word stay).
_SENTENCE_END = regex.compile(r"[।॥.?!]+[\"'”’)\]]*(?=\s|$)")
# Abbreviations that end in a full stop without ending a sentence.
ABBREVIATIONS = {"डॉ", "श्री", "सौ", "कु", "प्रा", "उदा", "इ", "क्र", "मि", "सं", "dr", "mr", "mrs", "ms", "e.g", "i.e"}


def aksharas(word: str) -> list[str]:
    """The aksharas of ``word``, in order (Devanagari letters only)."""
    return [c for c in _CLUSTER.findall(word) if _DEVANAGARI_LETTER.search(c)]


def akshara_count(word: str) -> int:
    """Aksharas in a word. A word in another script counts its vowel groups (an
    English loan word such as 'TMS' counts as at least one); a number counts as one,
    as textstat counts numbers in English."""
    count = len(aksharas(word))
    if count:
        return count
    if _HAS_LETTER.search(word):
        return max(1, len(_LATIN_VOWEL_GROUP.findall(word)))
    return 1


def conjunct_count(word: str) -> int:
    """Conjunct consonants (jukta-akshar) in a word: क्ष, र्क, ल्या each count once."""
    return len(_CONJUNCT.findall(word))


def words(text: str) -> list[str]:
    """The words of ``text``: numbers count as words, punctuation does not."""
    return [w for w in _WORD.findall(text)]


def split_sentences(text: str) -> list[str]:
    """Split at ``।``, ``॥``, ``.``, ``?`` and ``!``, but not after an abbreviation
    such as डॉ. or inside a number such as 2.5."""
    return [s for s in split_at(text, _SENTENCE_END, _after_abbreviation) if words(s)]


def _after_abbreviation(text: str, start: int, match) -> bool:
    before = text[start:match.start()].rsplit(None, 1)
    last_word = before[-1].lower() if before else ""
    return match.group().startswith(".") and len(match.group()) == 1 and last_word in ABBREVIATIONS


@dataclass
class Counts(Tally):
    """What the Devanagari measures are computed from; adds up over sentences."""

    sentences: int = 0
    words: int = 0
    aksharas: int = 0
    long_words: int = 0
    conjuncts: int = 0
    long_word_list: list = field(default_factory=list)


_word_cache: dict[str, tuple[int, int]] = {}


def _word_figures(word: str) -> tuple[int, int]:
    figures = _word_cache.get(word)
    if figures is None:
        figures = _word_cache[word] = (akshara_count(word), conjunct_count(word))
    return figures


def count_sentence(sentence: str) -> Counts:
    """Counts for one sentence."""
    counts = Counts(sentences=1)
    for word in words(sentence):
        size, conjuncts = _word_figures(word)
        counts.words += 1
        counts.aksharas += size
        counts.conjuncts += conjuncts
        if size >= LONG_WORD_AKSHARAS:
            counts.long_words += 1
            counts.long_word_list.append(word)
    return counts


def metrics(counts: Counts) -> dict:
    """The Devanagari measures from counts (0.0 for empty text)."""
    words_ = counts.words
    return {
        "sentences": counts.sentences,
        "words": words_,
        "aksharas": counts.aksharas,
        "words_per_sentence": words_ / counts.sentences if counts.sentences else 0.0,
        "aksharas_per_word": counts.aksharas / words_ if words_ else 0.0,
        "long_word_share": counts.long_words / words_ if words_ else 0.0,
        "long_words": counts.long_words,
        "conjuncts_per_word": counts.conjuncts / words_ if words_ else 0.0,
    }
