"""Turn an article's blocks into the prose a reader reads, split into sentences.

Each block (title, summary, heading, paragraph, list item, table cell, image
description) is a unit of its own, so a heading or a list item never runs into the
next sentence. Inline Markdown is rendered by the project's own Python-Markdown
reading and only the visible text is kept: link targets, image paths, HTML tags
and Markdown syntax are not counted. Clinic variables such as ``{crisis_number}``
are filled with neutral stand-ins.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

from pipeline.markup import shared_markdown
from pipeline.model import Block
from pipeline.readability import devanagari, urdu
from pipeline.readability.sentences import split_at
from pipeline.variables import SAMPLE_VALUES, VARIABLE

# Stand-ins for clinic variables in Devanagari text, so a Marathi sentence is not
# measured with English words in it: short, neutral words (a long stand-in would
# count as a long word the translator did not write).
SAMPLE_VALUES_DEVANAGARI = {
    "clinic_name": "क्लिनिक",
    "clinic_phone": "नंबर",
    "crisis_line": "मदत",
    "crisis_number": "नंबर",
    "emergency_number": "नंबर",
}

# Stand-ins in Spanish text: one everyday Spanish word each, so Spanish syllables are
# not counted on English words.
SAMPLE_VALUES_SPANISH = {
    "clinic_name": "clínica",
    "clinic_phone": "número",
    "crisis_line": "línea",
    "crisis_number": "número",
    "emergency_number": "número",
}
# Stand-ins in Urdu text: one everyday Urdu word each.
SAMPLE_VALUES_URDU = {
    "clinic_name": "کلینک",
    "clinic_phone": "نمبر",
    "crisis_line": "ہیلپ",
    "crisis_number": "نمبر",
    "emergency_number": "نمبر",
}
_SAMPLE_VALUES_BY_LANGUAGE = {"es": SAMPLE_VALUES_SPANISH, "ur": SAMPLE_VALUES_URDU}

# What may start inline Markdown or HTML; text without any of it is already plain.
# (An underscore inside a word, an ampersand on its own and "!" are plain text.)
_MARKUP_CHARACTERS = re.compile(r"[\\`*\[\]<>]|&#?\w+;|(?<!\w)_|_(?!\w)")
_STASHED = re.compile(r"\x02wzxhzdk:(\d+)\x03")
_TAG = re.compile(r"<[^>]*>")
_WEB_ADDRESS = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", re.I)
_SPACES = re.compile(r"\s+")
_TYPOGRAPHIC_APOSTROPHE = re.compile(r"(?<=\w)[’‘](?=\w)")

# Units: which block kinds are measured. Image descriptions are read aloud to people
# who cannot see the image, so they count too.
MEASURED_KINDS = ("title", "summary", "heading", "paragraph", "list_item", "table_header", "table_cell", "image_alt")


def _visible_text(text: str) -> str:
    """The visible text of inline Markdown, read the project's way (inline part only)."""
    md = shared_markdown()
    root = etree.Element("div")
    paragraph = etree.SubElement(root, "p")
    paragraph.text = text
    md.treeprocessors["inline"].run(root)
    md.treeprocessors["unescape"].run(root)
    for link in paragraph.iter("a"):
        if link.text and _WEB_ADDRESS.fullmatch(link.text.strip()):
            link.text = "link"  # an address shown as the link text (an autolink)
    visible = "".join(paragraph.itertext())
    stash = md.htmlStash.rawHtmlBlocks

    def unstash(match: re.Match) -> str:
        raw = str(stash[int(match.group(1))])
        if raw.lower().startswith("<br"):
            return " "
        return html.unescape(_TAG.sub("", raw))

    return _STASHED.sub(unstash, visible)


# A clinic variable while the text is read: one word, no punctuation, never in prose.
_MARKED_VARIABLE = re.compile("\ue000([a-z_]+)\ue001")


def _marked_text(markdown_text: str) -> str:
    """The visible text of inline Markdown, with each {variable} as a marker."""
    text = VARIABLE.sub(lambda m: f"\ue000{m.group(1)}\ue001", markdown_text)
    if _MARKUP_CHARACTERS.search(text):
        text = _visible_text(text)
    text = _WEB_ADDRESS.sub("link", text)
    text = _TYPOGRAPHIC_APOSTROPHE.sub("'", text)
    return _SPACES.sub(" ", text).strip()


def _filled(marked: str, script: str, language: str = "") -> str:
    """Markers replaced by neutral stand-ins in the text's script (and language, where
    it has its own), for measuring."""
    if script == "Arab":
        language = language or "ur"
    values = SAMPLE_VALUES_DEVANAGARI if script == "Deva" else _SAMPLE_VALUES_BY_LANGUAGE.get(
        language.split("_")[0], SAMPLE_VALUES)
    return _MARKED_VARIABLE.sub(lambda m: values.get(m.group(1)) or SAMPLE_VALUES.get(m.group(1), m.group(1)), marked)


def _shown(marked: str) -> str:
    """Markers written back as {variable}, for showing a sentence to an editor."""
    return _MARKED_VARIABLE.sub(lambda m: "{" + m.group(1) + "}", marked)


def plain_text(markdown_text: str, script: str = "Latn") -> str:
    """The words a reader sees in a block of inline Markdown, on one line, with clinic
    variables filled with neutral stand-ins."""
    return _filled(_marked_text(markdown_text), script)


# --- sentences -------------------------------------------------------------------------

# A sentence ends at . ! ? (and any closing quotes or brackets) followed by a space.
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)")
# Words before a full stop that does not end the sentence.
ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "prof", "st", "sr", "jr", "vs", "approx", "fig", "e.g", "i.e",
    "a.m", "p.m", "incl", "dept", "tel",
}
_WORD_CHARACTER = re.compile(r"\w")


def split_sentences(text: str) -> list[str]:
    """Split English prose into sentences at . ! ? followed by a space, except after
    a known abbreviation (Dr., e.g.); a number such as 2.5 never splits. Pieces
    without a word character are dropped."""
    return [s for s in split_at(text, _SENTENCE_END, _after_abbreviation) if _WORD_CHARACTER.search(s)]


def _after_abbreviation(text: str, start: int, match) -> bool:
    mark = match.group()
    if not (mark.startswith(".") and mark.rstrip("\"'”’)]") == "."):
        return False
    before = text[start:match.start()].rsplit(None, 1)
    last_word = before[-1].lower().lstrip("(\"'“‘") if before else ""
    if last_word not in ABBREVIATIONS:
        return False
    following = text[match.end():].lstrip()[:1]
    return not (last_word in ("a.m", "p.m") and following[:1].isupper())  # "at 9 a.m. Then" ends


@dataclass(frozen=True)
class Sentence:
    """One sentence as a reader meets it, with where to find it."""

    text: str  # plain text as measured (clinic variables filled with stand-ins)
    line: int  # line in the file named by the report (source or catalog)
    block: Block  # the block it comes from (its ``line`` is the source line)
    index: int  # position of its block among the measured blocks
    section: str  # heading text of the section it is in ("" before the first heading)
    shown: str = ""  # as shown to an editor: clinic variables written as {name}


def sentences_of(blocks, script: str = "Latn", source_lines: list[str] | None = None,
                 block_lines: dict | None = None, section_of=None, language: str = "") -> list[Sentence]:
    """Every sentence of ``blocks`` in reading order.

    ``source_lines`` (the article body) lets a sentence in the middle of a paragraph
    point at its own line; ``block_lines`` maps a block to another line to report
    (a translation's catalog entry); ``section_of`` names a block's section (by
    default a heading's own text, else the block's section).
    """
    split = {"Deva": devanagari.split_sentences, "Arab": urdu.split_sentences}.get(script, split_sentences)
    blocks = [b for b in blocks if b.kind in MEASURED_KINDS]
    result = []
    for index, block in enumerate(blocks):
        marked = _marked_text(block.text)
        if not marked:
            continue
        marked_pieces = split(marked)
        pieces = [_filled(piece, script, language) for piece in marked_pieces]
        if block_lines is not None:
            lines = [block_lines.get(block, block.line)] * len(pieces)
        elif source_lines is not None and len(pieces) > 1:
            end = blocks[index + 1].line if index + 1 < len(blocks) else len(source_lines) + 1
            lines = _locate(pieces, block.line, max(end, block.line + 1), source_lines)
        else:
            lines = [block.line] * len(pieces)
        section = section_of(block) if section_of else (block.text if block.kind == "heading" else block.section)
        for piece, marked_piece, line in zip(pieces, marked_pieces, lines):
            result.append(Sentence(piece, line, block, index, section, _shown(marked_piece)))
    return result


def _locate(pieces: list[str], first: int, end: int, source_lines: list[str]) -> list[int]:
    """The source line each sentence of a multi-line block starts on (best effort)."""
    lines = [first]
    cursor = first
    for piece in pieces[1:]:
        words = re.findall(r"[^\W\d_]{2,}", piece)[:2]
        found = cursor
        if words:
            probe = re.compile(r"\b" + r"\W+(?:\S*\W+)?".join(map(re.escape, words)) + r"\b")
            for number in range(cursor, min(end, len(source_lines) + 1)):
                line_text = source_lines[number - 1]
                if probe.search(line_text) or (number + 1 < end and number < len(source_lines)
                                               and probe.search(line_text + " " + source_lines[number])
                                               and not probe.search(source_lines[number])):
                    found = number
                    break
        lines.append(found)
        cursor = found
    return lines
