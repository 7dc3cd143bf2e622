"""Spanish reading measures: the Szigriszt-Pazos perspicuity (read on the INFLESZ
scale) and the Fernández-Huerta ease, textstat's formulas on textstat's counts.

textstat counts Spanish syllables with pyphen's Spanish hyphenation dictionary: a word
has one syllable more than it has hyphenation points (me·di·ca·men·to: 5). Every call
here names the language (``es``) to textstat's functions; textstat's own language
setting (``textstat.set_lang``) is process-wide state that the English measures rely
on, so it is never touched.

As in English, words and syllables are counted one sentence at a time and add up to
textstat's counts for the whole text; sentences are split by ``prose.split_sentences``
and every sentence counts, also those of one or two words that textstat leaves out.
The measures, their limits and what they miss are in docs/readability.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textstat.backend import metrics as textstat_metrics
from textstat.backend.counts import count_chars, count_letters, count_syllables
from textstat.backend.selections import list_words
from textstat.backend.utils import get_lang_cfg

from pipeline.readability.tally import Tally

LANG = "es"
# Syllables at which a Spanish word counts as long. Spanish words are longer than
# English ones (about 2 syllables a word in plain text, 1.4 in English): a word of 4 or
# more (me·di·ca·men·to, an·ti·de·pre·si·vo) is long, as in the INFLESZ studies.
LONG_WORD_SYLLABLES = 4
# textstat's reading speed (Demberg & Keller 2008), in milliseconds per character.
MS_PER_CHARACTER = 14.69

# INFLESZ scale (Barrio-Cantalejo et al. 2008) for the Szigriszt-Pazos perspicuity.
INFLESZ_GRADES = ((80, "muy fácil"), (65, "bastante fácil"), (55, "normal"), (40, "algo difícil"),
                  (float("-inf"), "muy difícil"))


def inflesz_grade(score: float) -> str:
    """The INFLESZ band of a Szigriszt-Pazos score: 65 to 80 is "bastante fácil"."""
    return next(label for floor, label in INFLESZ_GRADES if score >= floor)


_syllable_cache: dict[str, int] = {}


def syllables(word: str) -> int:
    """textstat's Spanish syllable count for one word (pyphen's hyphenation + 1)."""
    key = word.lower()
    count = _syllable_cache.get(key)
    if count is None:
        count = _syllable_cache[key] = count_syllables(key, LANG)
    return count


@dataclass
class Counts(Tally):
    """What the Spanish measures are computed from; adds up over sentences."""

    sentences: int = 0
    words: int = 0
    syllables: int = 0
    long_words: int = 0
    letters: int = 0
    characters: int = 0
    long_word_list: list = field(default_factory=list)  # as written


def count_sentence(sentence: str) -> Counts:
    """textstat's counts for one sentence (its sentence count is 1: ours, not textstat's)."""
    counts = Counts(sentences=1, letters=count_letters(sentence), characters=count_chars(sentence, True))
    for word in list_words(sentence):
        size = syllables(word)
        counts.words += 1
        counts.syllables += size
        if size >= LONG_WORD_SYLLABLES:
            counts.long_words += 1
            counts.long_word_list.append(word)
    return counts


def metrics(counts: Counts) -> dict:
    """textstat's Spanish formulas on our counts (0.0 for empty text, as textstat)."""
    words, sentences = counts.words, counts.sentences
    words_per_sentence = words / sentences if sentences else 0.0
    syllables_per_word = counts.syllables / words if words else 0.0
    if words_per_sentence and syllables_per_word:
        # Szigriszt-Pazos (1993): 206.835 - 62.3 S/P - P/F; textstat's base for es is 206.84.
        szigriszt_pazos = get_lang_cfg(LANG, "fre_base") - 62.3 * syllables_per_word - words_per_sentence
        # Fernández-Huerta (1959), as textstat computes it.
        fernandez_huerta = 206.84 - 60 * syllables_per_word - 1.02 * words_per_sentence
    else:
        szigriszt_pazos = fernandez_huerta = 0.0
    return {
        "szigriszt_pazos": szigriszt_pazos,
        "fernandez_huerta": fernandez_huerta,
        "words_per_sentence": words_per_sentence,
        "syllables_per_word": syllables_per_word,
        "long_word_share": counts.long_words / words if words else 0.0,
        "reading_time_seconds": MS_PER_CHARACTER * counts.characters / 1000,
        "sentences": sentences,
        "words": words,
        "long_words": counts.long_words,
    }


def textstat_figures(text: str) -> dict:
    """textstat's own Spanish results for ``text``, for comparison (its sentence count
    leaves out sentences of two words or fewer)."""
    return {
        "szigriszt_pazos": textstat_metrics.szigriszt_pazos(text, LANG),
        "fernandez_huerta": textstat_metrics.fernandez_huerta(text, LANG),
        "syllables": count_syllables(text, LANG),
        "words": len(list_words(text)),
    }
