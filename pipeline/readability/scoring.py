"""How hard one sentence is to read, and why: the figures behind every flag in the
readability report, and the short grade a translator sees next to each block in the
catalogs (``block_grade``)."""

from __future__ import annotations

from pipeline.readability import devanagari, english, prose, spanish, urdu
from pipeline.readability.results import ScoredSentence

# Used for sentence flags when no Flesch-Kincaid target is set.
DEFAULT_GRADE = 6
# A sentence shorter than this is not called hard for its grade alone: one long word
# in a three-word heading gives a high grade that says nothing about the sentence.
MIN_WORDS_FOR_SENTENCE_GRADE = 4
# Below this many words, an English sentence over its grade is called hard only if it
# has a long word that is not on the Dale-Chall list of familiar words: "Take your
# medicine every day." is grade 7.6 by its formula, but every word in it is familiar.
MIN_WORDS_FOR_GRADE_ALONE = 8
# An English sentence longer than this is called long.
LONG_SENTENCE_WORDS = 15
# A Devanagari sentence is called long when it has this many times the words-per-sentence
# limit (12 words a sentence on average: a sentence of more than 15 is long).
LONG_SENTENCE_FACTOR = 1.25
# A Devanagari word this long counts on its own towards a hard sentence, and is flagged.
VERY_LONG_WORD_AKSHARAS = 7
# A Spanish sentence is hard below this Szigriszt-Pazos score when no target is set:
# the lower edge of INFLESZ's "bastante fácil" (fairly easy).
DEFAULT_SZIGRISZT_PAZOS = 65
# A Spanish sentence longer than this is called long when no words-per-sentence target
# is set (Spanish needs about 1.2 times the words of the same English).
LONG_SENTENCE_WORDS_SPANISH = 20
# Blocks with fewer words than this get no grade in the catalogs: a grade of a
# heading or a two-word list item says nothing useful.
MIN_WORDS_TO_GRADE = 8


def score_sentence(sentence: prose.Sentence, measure: str, targets: dict) -> ScoredSentence:
    """A sentence's own figures; hard or not, and why."""
    if measure == "english":
        counts = english.count_sentence(sentence.text)
        figures = english.metrics(counts)
        grade = figures["fk_grade"]
        limit = targets.get("fk_grade", DEFAULT_GRADE)
        hard = (counts.words >= MIN_WORDS_FOR_SENTENCE_GRADE and round(grade, 1) > limit
                and (counts.words >= MIN_WORDS_FOR_GRADE_ALONE or counts.hard_words > 0))
        reasons = _english_reasons(counts, figures) if hard else ()
        shown = {k: figures[k] for k in ("words", "fk_grade", "syllables_per_word", "long_words")}
    else:
        module, load, keys = _LOADS[measure]
        counts = module.count_sentence(sentence.text)
        figures = module.metrics(counts)
        grade, reasons = load(counts, figures, targets)
        if grade > 1.0 and not reasons:
            grade = 1.0  # over only before rounding, or for too few words to tell
        hard = grade > 1.0
        shown = {k: figures[k] for k in keys}
    return ScoredSentence(sentence.text, sentence.line, sentence.block, sentence.index, sentence.section,
                          counts, shown, grade, hard, tuple(reasons), sentence.shown or sentence.text)


def _length(words: int, longest: float) -> tuple[float, list[str]]:
    """A sentence's load from its length, against the most words it should have, and
    the reason when it has more."""
    return words / longest, ([f"too long: {words} words (aim for {longest:g} or fewer)"] if words > longest else [])


def _english_reasons(counts: english.Counts, figures: dict) -> list[str]:
    reasons = _length(counts.words, LONG_SENTENCE_WORDS)[1]
    if counts.long_word_list:
        listed = named_long_words(counts)
        words = ", ".join(dict.fromkeys(listed))
        many = "too many long words" if len(listed) > 1 else "a long word"
        reasons.append(f"{many}: {words}")
    if not reasons:
        per_word = f"{figures['syllables_per_word']:.1f} syllables a word"
        reasons.append(f"fairly long ({counts.words} words, {per_word})" if counts.words > 10
                       else f"many syllables per word ({per_word})")
    return reasons


def _devanagari_load(counts: devanagari.Counts, figures: dict, targets: dict) -> tuple[float, list[str]]:
    """How far a sentence goes over the Devanagari limits (above 1.0: hard), and why.

    A sentence is hard when it is a quarter longer than the words-per-sentence limit
    (a limit on the average: a sentence just over it hardly moves the average), or
    when its words are long: more aksharas a word (or a larger share of long words)
    than the limits, with at least two long words or one very long word in it. (One
    long word in a short sentence is common Marathi: औषधासोबत, "with the medicine".)
    """
    ratios, reasons = [0.0], []
    limit = targets.get("words_per_sentence")
    if limit:
        ratio, reasons = _length(counts.words, limit * LONG_SENTENCE_FACTOR)
        ratios.append(ratio)
    very_long = [w for w in counts.long_word_list if devanagari.akshara_count(w) >= VERY_LONG_WORD_AKSHARAS]
    if counts.words >= MIN_WORDS_FOR_SENTENCE_GRADE and (counts.long_words >= 2 or very_long):
        word_reasons, word_ratios = [], []
        limit = targets.get("aksharas_per_word")
        per_word = figures["aksharas_per_word"]
        if limit:
            word_ratios.append(per_word / limit)
            if round(per_word, 1) > limit:
                word_reasons.append(f"{per_word:.1f} aksharas a word (limit {limit:g})")
        limit = targets.get("long_word_share")
        if limit and counts.long_words >= 2:
            word_ratios.append(figures["long_word_share"] / limit)
            if round(figures["long_word_share"], 2) > limit:
                word_reasons.append(f"{counts.long_words} of {counts.words} words have "
                                    f"{devanagari.LONG_WORD_AKSHARAS}+ aksharas")
        if word_reasons:
            ratios.extend(word_ratios)
            long_words = ", ".join(dict.fromkeys(counts.long_word_list))
            reasons.append("long words: " + "; ".join(word_reasons) + f": {long_words}")
    return max(ratios), reasons


def _spanish_load(counts: spanish.Counts, figures: dict, targets: dict) -> tuple[float, list[str]]:
    """How far a Spanish sentence goes over its limits (above 1.0: hard), and why.

    A sentence is hard when it is long (a quarter over the words-per-sentence target,
    or over 20 words without one), or when its own Szigriszt-Pazos score is under the
    target, with at least 8 words and two long words in it: a short sentence
    ("No necesita medicamentos.") scores low on the formula but reads easily. The load on
    the score is (100 - score) / (100 - target): 1.0 at the target.
    """
    limit = targets.get("words_per_sentence")
    ratio, reasons = _length(counts.words, limit * LONG_SENTENCE_FACTOR if limit else LONG_SENTENCE_WORDS_SPANISH)
    ratios = [0.0, ratio]
    target = targets.get("szigriszt_pazos", DEFAULT_SZIGRISZT_PAZOS)
    score = figures["szigriszt_pazos"]
    if counts.words >= MIN_WORDS_FOR_GRADE_ALONE and counts.long_words >= 2 and target < 100:
        ratios.append((100 - score) / (100 - target))
        if round(score, 1) < target:
            words = ", ".join(dict.fromkeys(counts.long_word_list))
            reasons.append(f"long words: Szigriszt-Pazos {score:.0f} (target {target:g}): {words}")
    return max(ratios), reasons


def _urdu_load(counts: urdu.Counts, figures: dict, targets: dict) -> tuple[float, list[str]]:
    """How far an Urdu sentence goes over its limits (above 1.0: hard), and why: a
    quarter over the words-per-sentence limit, or more letters a word than the limit
    with at least two long words in it (one long word, ایمرجنسی, is common)."""
    ratios, reasons = [0.0], []
    limit = targets.get("words_per_sentence")
    if limit:
        ratio, reasons = _length(counts.words, limit * LONG_SENTENCE_FACTOR)
        ratios.append(ratio)
    limit = targets.get("letters_per_word")
    per_word = figures["letters_per_word"]
    if limit and counts.words >= MIN_WORDS_FOR_SENTENCE_GRADE and counts.long_words >= 2:
        ratios.append(per_word / limit)
        if round(per_word, 1) > limit:
            words = ", ".join(dict.fromkeys(counts.long_word_list))
            reasons.append(f"long words: {per_word:.1f} letters a word (limit {limit:g}): {words}")
    return max(ratios), reasons


# The measures scored by their load (above 1.0: hard): module, load, figures shown.
_LOADS = {
    "spanish": (spanish, _spanish_load, ("words", "szigriszt_pazos", "syllables_per_word", "long_words")),
    "urdu": (urdu, _urdu_load, ("words", "letters_per_word", "long_word_share", "long_words")),
    "devanagari": (devanagari, _devanagari_load, ("words", "aksharas_per_word", "long_word_share", "long_words")),
}


def named_long_words(counts: english.Counts) -> list[str]:
    """The long words to name: the unfamiliar ones; familiar ones (family, remember)
    only if there are no others."""
    return counts.hard_word_list or counts.long_word_list


def block_grade(text: str, language: str, target: float | None = None) -> str | None:
    """A short comment on how hard one block is to read, for translators, such as
    "reading grade 7.2 (hard: long sentence)"; None for blocks too short to grade.

    ``text`` is the block's inline Markdown (the msgid). English is graded by
    Flesch-Kincaid against ``target`` (the default target, grade 6, if not given);
    Devanagari text is described by its words per sentence and aksharas per word.
    """
    script = "Deva" if devanagari.aksharas(text) else "Latn"
    plain = prose.plain_text(text, script)
    if script == "Deva":
        pieces = devanagari.split_sentences(plain)
        counts = [devanagari.count_sentence(p) for p in pieces]
        total = sum(counts, devanagari.Counts())
        if total.words < MIN_WORDS_TO_GRADE:
            return None
        figures = devanagari.metrics(total)
        return (f"{figures['words_per_sentence']:.0f} words a sentence, "
                f"{figures['aksharas_per_word']:.1f} aksharas a word")
    if not language.lower().startswith("en"):
        return None
    pieces = prose.split_sentences(plain)
    counts = [english.count_sentence(p) for p in pieces]
    total = sum(counts, english.Counts())
    if total.words < MIN_WORDS_TO_GRADE:
        return None
    grade = english.metrics(total)["fk_grade"]
    limit = DEFAULT_GRADE if target is None else target
    comment = f"reading grade {grade:.1f}"
    if round(grade, 1) <= limit:
        return comment
    reasons = []
    if any(c.words > LONG_SENTENCE_WORDS for c in counts):
        reasons.append("long sentence")
    long_words = named_long_words(total)
    if long_words:
        reasons.append("long words: " + ", ".join(dict.fromkeys(w.lower() for w in long_words[:4])))
    if not reasons:
        reasons.append("many syllables per word")
    return f"{comment} (hard: {'; '.join(reasons)})"
