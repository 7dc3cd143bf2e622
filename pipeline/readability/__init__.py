"""Readability: how hard each handout and translation is to read, whether it meets
its target, and which sentences and words to change.

    prose.py       blocks -> the visible text, split into sentences
    english.py     textstat measures with the CMU dictionary (offline)
    devanagari.py  aksharas and the Marathi (Devanagari) measures
    wordlist.py    hard words and plainer ones (pipeline/data/plain_words.yaml)
    measure.py     handouts and translations -> Report (figures, targets, sections)
    checks.py      flags: hard sentences and words, passive voice, clear communication
    report.py      terminal table, JSON and the HTML report
    command.py     ``python -m pipeline check``

Heavy imports (textstat, the CMU dictionary) happen on first use, not on import.
"""

from __future__ import annotations

# Blocks with fewer words than this get no grade in the catalogs: a grade of a
# heading or a two-word list item says nothing useful.
MIN_WORDS_TO_GRADE = 8


def block_grade(text: str, language: str, target: float | None = None) -> str | None:
    """A short comment on how hard one block is to read, for translators, such as
    "reading grade 7.2 (hard: long sentence)"; None for blocks too short to grade.

    ``text`` is the block's inline Markdown (the msgid). English is graded by
    Flesch-Kincaid against ``target`` (the default target, grade 6, if not given);
    Devanagari text is described by its words per sentence and aksharas per word.
    """
    from pipeline.readability import devanagari, english, prose
    from pipeline.readability.measure import DEFAULT_GRADE, LONG_SENTENCE_WORDS

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
    long_words = [w for c in counts for w in c.hard_word_list] or [w for c in counts for w in c.long_word_list]
    if long_words:
        reasons.append("long words: " + ", ".join(dict.fromkeys(w.lower() for w in long_words[:4])))
    if not reasons:
        reasons.append("many syllables per word")
    return f"{comment} (hard: {'; '.join(reasons)})"
