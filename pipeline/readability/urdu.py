"""Reading measures for Urdu (Arabic script, right to left).

No readability formula has been validated for Urdu: textstat has none, and its
syllable counting cannot read Arabic script, which leaves most short vowels
unwritten. So Urdu is read with the two surface measures every readability formula
is built from, counted ourselves: words per sentence and letters per word (Arabic-
script letters; the short-vowel marks zer, zabar, pesh and the like are not letters,
and everyday Urdu leaves them out), with the share of long words. Urdu grammar is
Hindi's: postpositions and auxiliaries are written as words of their own (کی، سے،
میں، ہے), so sentences have as many words as Hindi's and words are short. What
is known and not known is in docs/readability.md.

Sentences end at the Urdu full stop ۔, the Arabic question mark ؟, and . ? ! (the
Urdu comma ، does not end a sentence).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

from pipeline.readability.sentences import split_at
from pipeline.readability.tally import Tally

# A word of this many letters or more is a long word (see docs/readability.md).
LONG_WORD_LETTERS = 7

# Words: letters, marks, digits and the zero-width non-joiner that Urdu writes inside
# compound words, with inner hyphens and apostrophes. Spaces, ۔ ؟ ، and other
# punctuation separate words.
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}\u200C\u200D]+(?:[-'’][\p{L}\p{M}\p{N}\u200C\u200D]+)*")
_LETTER = regex.compile(r"\p{L}")
# Sentences end at ۔ ؟ . ? or ! followed by a space or the end of the text (so 2.5
# stays one number).
_SENTENCE_END = regex.compile(r"[۔؟.?!]+[\"'”’)\]]*(?=\s|$)")


def letter_count(word: str) -> int:
    """Letters in a word (any script: "TMS" has 3); a number counts as one."""
    return len(_LETTER.findall(word)) or 1


def words(text: str) -> list[str]:
    """The words of ``text``: numbers count as words, punctuation does not."""
    return _WORD.findall(text)


def split_sentences(text: str) -> list[str]:
    """Split at ۔ ؟ . ? and !, but not inside a number such as 2.5."""
    return [s for s in split_at(text, _SENTENCE_END, lambda *_: False) if words(s)]


@dataclass
class Counts(Tally):
    """What the Urdu measures are computed from; adds up over sentences."""

    sentences: int = 0
    words: int = 0
    letters: int = 0
    long_words: int = 0
    long_word_list: list = field(default_factory=list)


def count_sentence(sentence: str) -> Counts:
    """Counts for one sentence."""
    counts = Counts(sentences=1)
    for word in words(sentence):
        size = letter_count(word)
        counts.words += 1
        counts.letters += size
        if size >= LONG_WORD_LETTERS:
            counts.long_words += 1
            counts.long_word_list.append(word)
    return counts


def metrics(counts: Counts) -> dict:
    """The Urdu measures from counts (0.0 for empty text)."""
    words_ = counts.words
    return {
        "sentences": counts.sentences,
        "words": words_,
        "letters": counts.letters,
        "words_per_sentence": words_ / counts.sentences if counts.sentences else 0.0,
        "letters_per_word": counts.letters / words_ if words_ else 0.0,
        "long_word_share": counts.long_words / words_ if words_ else 0.0,
        "long_words": counts.long_words,
    }
