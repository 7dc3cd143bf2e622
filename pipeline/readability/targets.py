"""Which reading targets exist, and which measure reads a language.

Plain data with no imports, so that the configuration and the handout loader can
check a target's name where it is written (``clinics.yaml:line``,
``source/x.md:line``) before anything is measured.
"""

from __future__ import annotations

# Targets each measure understands, and whether the figure must be at most or at least the limit.
TARGETS = {
    "english": {
        "fk_grade": "max", "smog": "max", "gunning_fog": "max", "coleman_liau": "max",
        "dale_chall": "max", "flesch_reading_ease": "min", "words_per_sentence": "max",
    },
    "devanagari": {"words_per_sentence": "max", "aksharas_per_word": "max", "long_word_share": "max"},
    "spanish": {"szigriszt_pazos": "min", "fernandez_huerta": "min", "words_per_sentence": "max"},
    "urdu": {"words_per_sentence": "max", "letters_per_word": "max", "long_word_share": "max"},
}
ALL_TARGETS = frozenset().union(*TARGETS.values())
# Whether a target is a most (max) or a least (min), whichever measure has it.
DIRECTIONS = {key: direction for targets in TARGETS.values() for key, direction in targets.items()}


def measure_for(locale: str, script: str | None) -> str | None:
    """Which measure a locale is read with: english, devanagari, spanish, urdu, or None (none we have)."""
    if script == "Deva":
        return "devanagari"
    language = locale.split("_")[0]
    if language == "ur" and script in (None, "Arab"):
        return "urdu"
    if language == "en":
        return "english"
    if language == "es" and script in (None, "Latn"):
        return "spanish"
    return None
