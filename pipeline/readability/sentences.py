"""Sentence splitting shared by the English and Devanagari measures."""

from __future__ import annotations

from typing import Callable, Pattern


def split_at(text: str, sentence_end: Pattern, continues: Callable[[str, int, object], bool]) -> list[str]:
    """Split ``text`` after each match of ``sentence_end``, except where
    ``continues(text, start_of_sentence, match)`` says the mark does not end the
    sentence (an abbreviation such as Dr. or डॉ.)."""
    sentences = []
    start = 0
    for match in sentence_end.finditer(text):
        if continues(text, start, match):
            continue
        piece = text[start:match.end()].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences
