"""Make the text behind WeasyPrint's PDFs read the way the page does.

WeasyPrint shapes Devanagari correctly on paper, but its text layer is wrong. It
writes one ToUnicode entry per glyph, chosen the first time the glyph is drawn:
the last glyph of a shaped cluster gets the whole cluster's text and the others
get nothing. Indic clusters are drawn out of logical order (the short-i sign ि
before its consonant, the reph of र् after the consonant it sits on), and one
glyph (व) means "व" in one word and nothing in the next. So ``pdftotext`` reads
"सर्व" as "सवर्व" and "वाचा" as "ाचा".

``install()`` adjusts WeasyPrint, once per process, in three places:

1. ``weasyprint.draw.text.draw_first_line``: after WeasyPrint has written a line,
   the line's glyph codes are rewritten so that, read in content-stream order,
   their ToUnicode texts add up to exactly the source text. A glyph keeps its own
   code while it means one thing; where the same glyph must read differently (a
   share of a reordered cluster), it is drawn through an *alias* code for the
   same glyph. Every word holding a multi-glyph cluster or a glyph without
   advance (a vowel sign placed on its consonant) is wrapped in ``/Span
   <</ActualText (...)>> BDC ... EMC`` with the word's exact text, which
   pdftotext, Acrobat and screen readers use; inside such a word, the rightward
   jump that brings the pen back after a shifted vowel sign is drawn as
   character spacing (``Tc``) on that sign, so that extractors that ignore
   ActualText and measure gaps (pypdf) do not see a word break there. In a
   right-to-left line, the font is set again (the same ``Tf``) after a word that
   a left-to-right run may follow, so that pypdf keeps the space between them;
   and a left-to-right box of its own in a right-to-left line (TRD in ``<bdi>``)
   that a space follows ends with a word gap after its last glyph.
2. ``weasyprint.pdf.fonts._build_vector_font_dictionary``: alias codes go into
   the font's ToUnicode map, its widths and a ``CIDToGIDMap`` that sends each
   alias to its real glyph. Only TrueType-flavoured fonts (CIDFontType2) can
   carry aliases; for CFF fonts the ActualText spans alone carry the text.
3. ``weasyprint.pdf.tags``: a structure element whose HTML element has a ``lang``
   other than its parent's gets its own ``/Lang``; an element of right-to-left text
   (a paragraph, heading, link, span...) gets ``/ActualText`` with its text in
   reading order, for readers of the structure tree (screen readers, pdf.js), while
   the page content keeps each word as drawn for extractors.

What is painted does not change: the same glyphs at the same places. A TJ array
may be cut where a span starts or ends, a TJ number may become the same
displacement as ``Tc``, and a text object may end with a TJ number after its last
glyph; none of these moves a glyph. Lines in which every cluster is
one glyph with an advance (English, most Latin text) are left byte for byte as
WeasyPrint wrote them.
"""

from __future__ import annotations

import logging
import re
import struct
import threading
import unicodedata
from decimal import Decimal
from dataclasses import dataclass, field

import pydyf
from weasyprint import pdf as pdf_package
from weasyprint.draw import text as draw_text
from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder
from weasyprint.pdf import fonts as pdf_fonts
from weasyprint.pdf import tags as pdf_tags
from weasyprint.text.ffi import ffi, pango

__all__ = ["install", "is_installed"]

LOGGER = logging.getLogger(__name__)

_install_lock = threading.Lock()
_originals: dict[str, object] = {}

# Alias codes are handed out from the top of the two-byte code space downwards;
# WeasyPrint hands out codes for missing glyphs upwards from the font's glyph
# count. Stop aliasing well before the two could meet.
_TOP_CODE = 0xFFFF
_ALIAS_FLOOR_MARGIN = 0x100

# Attribute names used to keep per-document state on WeasyPrint's own objects
# (fonts and structure elements live exactly as long as one write_pdf call).
_FONT_STATE = "_handout_text_layer"
_ELEMENT_LANG = "_handout_lang"
_ELEMENT_HOLDS_TEXT = "_handout_holds_text"
_DOCUMENT_PIECES = "_handout_text_pieces"
_DOCUMENT_GAPS = "_handout_word_gaps"


# --------------------------------------------------------------------------
# Installation


def install() -> None:
    """Adjust WeasyPrint in this process. Safe to call any number of times."""
    with _install_lock:
        if _originals:
            return
        _originals["draw_first_line"] = draw_text.draw_first_line
        _originals["build_vector_font"] = pdf_fonts._build_vector_font_dictionary
        _originals["build_box_tree"] = pdf_tags._build_box_tree
        _originals["add_tags"] = pdf_tags.add_tags

        draw_text.draw_first_line = _draw_first_line
        pdf_fonts._build_vector_font_dictionary = _build_vector_font_dictionary
        pdf_tags._build_box_tree = _build_box_tree
        pdf_tags.add_tags = _add_tags
        # weasyprint.pdf imported add_tags by name.
        pdf_package.add_tags = _add_tags


def is_installed() -> bool:
    """Whether ``install()`` has run in this process."""
    return bool(_originals)


# --------------------------------------------------------------------------
# Part 1: the text layer of each drawn line


@dataclass
class _FontTextLayer:
    """What this font's codes mean, for one document.

    ``meaning`` holds the text of every glyph code already drawn as itself; such a
    glyph keeps that text for the rest of the document. ``aliases`` maps
    ``(glyph, text)`` to an extra code that draws ``glyph`` but reads ``text``.
    Fonts sharing a PDF font name share one layer.
    """

    meaning: dict[int, str] = field(default_factory=dict)
    aliases: dict[tuple[int, str], int] = field(default_factory=dict)

    def alias(self, font, glyph: int, text: str) -> int | None:
        key = (glyph, text)
        if key not in self.aliases:
            code = _TOP_CODE - len(self.aliases)
            if code <= font.glyph_count + len(font.missing) + _ALIAS_FLOOR_MARGIN:
                return None
            self.aliases[key] = code
        return self.aliases[key]


@dataclass
class _Glyph:
    """One glyph code of a drawn line, in content-stream order."""

    font: object
    code: int  # the code WeasyPrint wrote
    text: str | None  # what it should read as; None: as WeasyPrint wrote it
    simple: bool = True  # alone in its cluster, carrying all of the cluster's text
    rtl: bool = False  # in a right-to-left run


@dataclass
class _Word:
    """A run of non-space clusters, and whether its text needs our help.

    A word needs help (an ActualText span, and character spacing in place of
    rightward jumps inside it) when one of its clusters is drawn with several
    glyphs, when a glyph has no advance or is raised (a vowel sign or nukta
    placed on its consonant), or when a cluster draws no glyph at all.
    """

    start: int  # byte offsets into the layout's UTF-8 text
    end: int
    first: int = -1  # indexes into the line's glyphs
    last: int = -1
    needs_help: bool = False
    rtl: bool = False  # in a right-to-left run: its glyphs are drawn last letter first


def _span_text(word: _Word, utf8: bytes) -> str:
    """The text of a word's ActualText span, in the order its glyphs are drawn.

    Poppler spreads a span's text over the span from left to right, and PDFium
    appends it to the line as it is; both then reverse every right-to-left run of
    the line. So a right-to-left word, drawn from its last letter to its first, is
    given last letter first, and comes back in logical order (given in logical
    order, it comes back backwards: docs/pdf-text-layer.md)."""
    text = utf8[word.start:word.end].decode()
    return text[::-1] if word.rtl else text


def _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    start = len(stream.stream)
    font_before = getattr(stream, "_current_font", None)
    result = _originals["draw_first_line"](
        stream, textbox, text_overflow, block_ellipsis, matrix)
    if textbox.pango_layout.text.isascii():
        return result  # one glyph per character, in order: WeasyPrint's text layer is right
    try:
        _fix_line(stream, textbox, start, font_before)
    except _CannotFix as reason:
        LOGGER.warning(
            "Text layer left as WeasyPrint wrote it for %r: %s",
            textbox.pango_layout.text[:40], reason)
    return result


class _CannotFix(Exception):
    """The drawn line did not look as expected; leave it untouched."""


def _fix_line(stream, textbox, start, font_before):
    """Rewrite the content WeasyPrint just wrote for this line (stream[start:])."""
    items = stream.stream[start:]
    if not any(isinstance(item, bytes) and item.endswith(b"] TJ") for item in items):
        return  # WeasyPrint drew nothing (blank line, zero font size).
    glyphs, words, utf8 = _read_line(stream, textbox)
    try:
        events = _events(items, glyphs)
    except _CannotFix:
        # These codes stay as WeasyPrint wrote them: so must their meanings.
        for glyph in glyphs:
            glyph.text = None
        _choose_codes(stream, glyphs)
        raise

    codes = _choose_codes(stream, glyphs)
    helped = [word for word in words if word.needs_help and word.first >= 0]
    if not helped and all(code == glyph.code for code, glyph in zip(codes, glyphs)):
        return  # Plain text: leave WeasyPrint's bytes alone.
    spans = {word.first: _span_text(word, utf8) for word in helped}
    ends = {word.last for word in helped}
    inside = {
        index for word in helped for index in range(word.first, word.last + 1)}
    font_size = font_before[1] if font_before else None
    stream.stream[start:] = _rewrite(
        events, glyphs, codes, spans, ends, inside, font_size,
        _left_to_right_after(words, glyphs, utf8), font_before)


def _is_space(glyph):
    """Whether a glyph is a space (or no-break space) alone in its cluster."""
    return glyph.simple and bool(glyph.text) and glyph.text.isspace()


def _read_line(stream, textbox):
    """List the line's glyph codes as WeasyPrint wrote them, and its words.

    This walks Pango's glyph strings exactly as ``draw_first_line`` does, so the
    n-th glyph here is the n-th code in the content stream.
    """
    layout = textbox.pango_layout
    line, _ = layout.get_first_line()
    utf8 = layout.text.encode()
    glyphs: list[_Glyph] = []
    words: list[_Word] = []
    word: _Word | None = None
    pending = ""  # text of clusters that drew no glyph, for the next glyph

    run = line.runs[0] if line.runs != ffi.NULL else ffi.NULL
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        glyph_string = glyph_item.glyphs
        count = glyph_string.num_glyphs
        item_offset = glyph_item.item.offset
        item_end = item_offset + glyph_item.item.length
        font, _ = stream.add_font(glyph_item.item.analysis.font)
        rtl = glyph_item.item.analysis.level % 2
        clusters = ffi.unpack(glyph_string.log_clusters, count)
        infos = _glyph_infos(ffi, glyph_string.glyphs, count)  # (glyph, width, y_offset)

        # A right-to-left run (Urdu, Arabic) is drawn in visual order: its clusters
        # come last to first. Each cluster's glyphs then read its text backwards,
        # so that the whole run, read in content-stream order, is the text
        # reversed, which extractors that read codes (pypdf) turn round again;
        # every word gets an ActualText span with its text in logical order.
        # Clusters out of their run's order and bitmap fonts keep WeasyPrint's own
        # text; their codes are only counted.
        untouched = font.bitmap or any(
            (a < b) if rtl else (a > b) for a, b in zip(clusters, clusters[1:]))

        i = 0
        while i < count:
            j = i
            while j < count and clusters[j] == clusters[i]:
                j += 1
            cluster_start = item_offset + clusters[i]
            cluster_end = item_offset + clusters[j] if j < count else item_end
            if rtl:  # the cluster after this one in the text is drawn before it
                cluster_end = item_offset + clusters[i - 1] if i > 0 else item_end
            text = utf8[cluster_start:cluster_end].decode()
            drawn = [info for info in infos[i:j] if info[0] != pango.PANGO_GLYPH_EMPTY]
            codes = [_written_code(font, info[0], pango) for info in drawn]
            # A glyph with no advance (a vowel sign, a nukta) is drawn over the
            # one before it, and raised glyphs are drawn apart: both confuse
            # extractors that measure gaps. (Letter-spacing shifts every glyph
            # sideways, which is harmless.)
            placed = any(width <= 0 or y_offset for _, width, y_offset in drawn)
            i = j

            if untouched:
                word, pending = None, ""
                glyphs.extend(_Glyph(font, code, None, False) for code in codes)
                continue
            if not text or text.isspace():
                word, pending = None, ""
                simple = len(codes) == 1 and bool(text)
                glyphs.extend(
                    _Glyph(font, code, share, simple, bool(rtl))
                    for code, share in zip(codes, _shares(text[::-1] if rtl else text, codes)))
                continue

            if word is None:
                word = _Word(start=cluster_start, end=cluster_end)
                words.append(word)
            if rtl:
                word.start = cluster_start
                word.rtl = word.needs_help = True  # Nastaliq draws a word as a cascade of joined glyphs
            else:
                word.end = cluster_end
            if rtl:
                text = text[::-1]

            if not codes:
                # A cluster that draws nothing (a joiner, a soft hyphen): its
                # text goes with the glyph before it (or after it).
                if not _is_invisible(text):
                    word.needs_help = True
                    if word.last >= 0:
                        glyphs[word.last].text += text
                        glyphs[word.last].simple = False
                    else:
                        pending += text
                continue

            shares = _shares(text, codes)
            shares[0] = pending + shares[0]
            simple = len(codes) == 1 and not pending
            pending = ""
            if placed or not simple:
                word.needs_help = True
            for code, share in zip(codes, shares):
                glyphs.append(_Glyph(font, code, share, simple, bool(rtl)))
                if word.first < 0:
                    word.first = len(glyphs) - 1
                word.last = len(glyphs) - 1
    return glyphs, words, utf8


def _glyph_infos(ffi, glyphs, count: int) -> list[tuple[int, int, int]]:
    """``(glyph, width, y_offset)`` of each of ``count`` PangoGlyphInfo, read in one
    go: a field read through cffi costs more than the rest of the line's work."""
    size = ffi.sizeof("PangoGlyphInfo")
    if (size, ffi.offsetof("PangoGlyphInfo", "geometry")) != (20, 4):  # guint32 glyph, 3 × gint32, attr
        return [(info.glyph, info.geometry.width, info.geometry.y_offset) for info in glyphs[0:count]]
    return list(_GLYPH_INFO.iter_unpack(ffi.buffer(glyphs, size * count)))


_GLYPH_INFO = struct.Struct("=Ii4xi4x")  # glyph, geometry.width, (x_offset), geometry.y_offset, (attr)


def _written_code(font, glyph_id, pango):
    """The code WeasyPrint writes for a Pango glyph (see draw_first_line)."""
    if glyph_id & pango.PANGO_GLYPH_UNKNOWN_FLAG:
        return font.get_unused_glyph_id(glyph_id - pango.PANGO_GLYPH_UNKNOWN_FLAG)
    return glyph_id


def _shares(text, codes):
    """Split a cluster's text over its glyphs, in order, one character each and
    the rest to the last glyph; concatenated they give back the text."""
    count = len(codes)
    if count <= 1:
        return [text]
    chars = list(text)
    shares = chars[:count - 1] + ["".join(chars[count - 1:])]
    return shares + [""] * (count - len(shares))


def _is_invisible(text):
    """Soft hyphens: hints for line breaking, not text to read back."""
    return not text.strip("\u00ad")


def _font_layer(stream, font):
    """This font's text layer, shared by fonts written under the same PDF name."""
    layer = getattr(font, _FONT_STATE, None)
    if layer is not None:
        return layer
    if font.bitmap or font.type != "ttf":
        layer = False  # Only TrueType CIDFonts have a CIDToGIDMap for aliases.
    else:
        for other in getattr(stream, "_fonts", {}).values():
            if other.hash == font.hash and getattr(other, _FONT_STATE, None):
                layer = getattr(other, _FONT_STATE)
                break
        else:
            layer = _FontTextLayer()
    setattr(font, _FONT_STATE, layer)
    return layer


def _choose_codes(stream, glyphs):
    """Pick, for every glyph, a code whose ToUnicode text is the glyph's share.

    Updates the fonts' ToUnicode tables and alias lists. A glyph that is drawn
    alone for its whole cluster fixes the meaning of its own code; any other use
    that reads differently goes through an alias.
    """
    codes = []
    for glyph in glyphs:
        font, code, text = glyph.font, glyph.code, glyph.text
        layer = _font_layer(stream, font)
        if not layer:
            codes.append(code)
            continue
        if text is None:
            # Drawn with WeasyPrint's meaning: that is now this code's meaning.
            layer.meaning.setdefault(code, font.to_unicode.get(code, ""))
            codes.append(code)
            continue
        meaning = layer.meaning.get(code)
        if meaning == text:
            codes.append(code)
        elif meaning is None and glyph.simple:
            layer.meaning[code] = font.to_unicode[code] = text
            codes.append(code)
        else:
            alias = layer.alias(font, code, text)
            if alias is None:
                # Out of codes: keep the glyph's own code (ActualText still holds).
                codes.append(code)
                continue
            if meaning is None and text:
                # Not drawn as itself yet; keep a sensible placeholder text.
                font.to_unicode[code] = text
            codes.append(alias)
    return codes


_TJ_TOKEN = re.compile(rb"<([0-9a-fA-F]*)>|([^<>]+)")
_TJ_OPERAND = re.compile(rb"\[(?:<[0-9a-fA-F]*>|[^<>\]]+)*\] TJ")


def _tj_tokens(item):
    """Split a ``[...] TJ`` item into hex strings and numbers; None if not TJ."""
    if not isinstance(item, bytes) or not item.endswith(b"] TJ"):
        return None
    if not _TJ_OPERAND.fullmatch(item):
        raise _CannotFix(f"unexpected TJ operand {item[:60]!r}")
    return _TJ_TOKEN.findall(item, 1, len(item) - 4)


# Events of a line's content: ("glyph", index), ("number", b"-12"),
# ("string", b"<>"), ("end",) at the end of each TJ, ("operator", item).
def _events(items, glyphs):
    """Read the line's content into events, checking its codes are ``glyphs``."""
    events = []
    index = 0
    for item in items:
        tokens = _tj_tokens(item)
        if tokens is None:
            events.append(("operator", item))
            continue
        for hex_string, number in tokens:
            if number:
                if number.strip():
                    events.append(("number", number.strip()))
                continue
            if not hex_string:
                events.append(("string", b"<>"))
            position = 0
            while hex_string and position < len(hex_string):
                if index >= len(glyphs):
                    raise _CannotFix("more glyph codes than Pango glyphs")
                width = 2 if glyphs[index].font.bitmap else 4
                code = int(hex_string[position:position + width], 16)
                if code != glyphs[index].code:
                    raise _CannotFix(
                        f"glyph code {code:04x} where {glyphs[index].code:04x} "
                        "was expected")
                events.append(("glyph", index))
                position += width
                index += 1
        events.append(("end",))
    if index != len(glyphs):
        raise _CannotFix("fewer glyph codes than Pango glyphs")
    return events


def _left_to_right_after(words, glyphs, utf8):
    """The last glyph of every right-to-left word that a left-to-right run may follow.

    In a right-to-left line, a left-to-right run (25, ECT) comes after the Urdu
    word to its left in the content stream, with a space between them (in the
    same line box, or the run in a box of its own drawn next). pypdf
    turns right-to-left text round as it reads it, taking the neutral space
    along into the right-to-left text, so "یا ECT" came out "یاECT". Setting the
    same font again after such a word makes pypdf put out the word before it
    reads the space (a Tf ends its text run); it changes nothing on the page.
    """
    texts = [glyph.text or "" for glyph in glyphs]
    continues = utf8[-1:].isspace()
    found = set()
    for word in words:
        if not word.rtl or word.last < 0 or word.last + 1 == len(glyphs):
            continue
        following = "".join(texts[word.last + 1:])
        strong = next((_direction(c) for c in following if _direction(c)), None)
        # Nothing strong after the word in this box, which goes on after a
        # space in the next box of the line: that may be a left-to-right run
        # in an element of its own (an abbreviation).
        if strong == "ltr" or (strong is None and continues):
            found.add(word.last)
    return found


def _direction(character):
    """"ltr" or "rtl" for a character of strong direction (digits count as
    left to right, as extractors treat them), None for neutral ones."""
    kind = unicodedata.bidirectional(character)
    if kind in ("L", "EN"):
        return "ltr"
    if kind in ("R", "AL"):
        return "rtl"
    return None


def _rewrite(events, glyphs, codes, spans, ends, inside, font_size,
             font_again_after=frozenset(), font_before=None):
    """Write the line's content again with new codes and ActualText spans.

    ``spans`` maps a glyph index to the text of the word it starts, ``ends``
    holds the last glyph of each such word and ``inside`` every glyph of those
    words. The jumps after glyphs inside those words are rewritten as explained
    in ``_fold_rightward_jumps``.

    A TJ array may be cut in two where a span begins or ends; the text position
    carries over from one TJ to the next, so nothing moves on the page.

    A left-to-right space alone in its TJ (between two spans, or after a comma in
    another font) is drawn in text rendering mode 1, stroke: a space has no
    outline, so nothing is painted either way, but PDFium, which leaves out a text
    object whose glyphs have no extent, counts the width of the stroke and so
    reads the space; without it PDFium joined the two words (हैकि) or read them out
    of order. Poppler and pypdf read the space as before. WeasyPrint never sets a
    rendering mode, so the mode goes back to 0, fill, right after the space. (In a
    right-to-left line PDFium read fewer words so: 83.5 % of the Urdu fixture's
    instead of 87.8 %.)
    """
    spacing, removed = _fold_rightward_jumps(events, glyphs, inside, font_size)
    output, operands, hex_run = [], [], []
    shown = []  # the glyphs of the TJ being written
    current_spacing = 0

    def flush():
        if hex_run:
            operands.append(b"<" + "".join(hex_run).encode() + b">")
            hex_run.clear()
        if operands:
            lone_space = len(shown) == 1 and _is_space(shown[0]) and not shown[0].rtl
            output.extend([b"1 Tr"] if lone_space else [])
            output.append(b"[" + b" ".join(operands) + b"] TJ")
            output.extend([b"0 Tr"] if lone_space else [])
            operands.clear()
        shown.clear()

    def set_spacing(value):
        nonlocal current_spacing
        if value != current_spacing:
            flush()
            output.append(_number(value) + b" Tc")
            current_spacing = value

    current_font = _font_operator(*font_before) if font_before else None
    for position, event in enumerate(events):
        kind = event[0]
        if kind == "operator":
            flush()
            output.append(event[1])
            if isinstance(event[1], bytes) and event[1].endswith(b" Tf"):
                current_font = event[1]
        elif kind == "end":
            flush()
        elif kind in ("number", "string"):
            if position in removed:
                continue
            if hex_run:
                operands.append(b"<" + "".join(hex_run).encode() + b">")
                hex_run.clear()
            operands.append(event[1])
        else:
            index = event[1]
            if index in spans:
                flush()
                output.append(
                    b"/Span <</ActualText " + pydyf.String(spans[index]).data
                    + b">> BDC")
            set_spacing(spacing.get(index, 0))
            width = 2 if glyphs[index].font.bitmap else 4
            hex_run.append(f"{codes[index]:0{width}x}")
            shown.append(glyphs[index])
            if index in ends:
                # Poppler measures an ActualText span with the character
                # spacing in force at its end: leave none.
                set_spacing(0)
                flush()
                output.append(b"EMC")
            if index in font_again_after and current_font is not None:
                flush()
                output.append(current_font)
    set_spacing(0)
    flush()
    return output


def _font_operator(font, size):
    """The ``Tf`` operator exactly as WeasyPrint writes it."""
    stream = pydyf.Stream()
    stream.set_font_size(font, size)
    return stream.stream[0]


def _fold_rightward_jumps(events, glyphs, inside, font_size):
    """Turn the jump back after each vowel sign inside a helped word into spacing.

    WeasyPrint draws a mark shifted left by a TJ number before it and brings the
    pen back with a negative TJ number right after it. pypdf reads a negative
    number that large as a word gap. On a glyph without advance, character
    spacing (Tc) of the same length moves the pen identically: renderers add
    Tc to the glyph's zero advance instead of adding the jump after it.

    Returns the spacing per glyph index (in text space units: a TJ number n
    moves the pen by -n/1000 of the font size) and the TJ number positions it
    replaces.
    """
    spacing, removed = {}, set()
    glyph = None
    for position, event in enumerate(events):
        kind = event[0]
        if kind == "glyph":
            index = event[1]
            glyph = glyphs[index]
            zero_advance = glyph.font.widths.get(glyph.code) == 0
            glyph = index if index in inside and zero_advance and font_size else None
        elif kind == "number" and glyph is not None:
            jump = float(event[1])
            if jump < 0:
                spacing[glyph] = -jump * 0.001 * font_size
                removed.add(position)
            glyph = None
        elif kind == "operator":
            item = event[1] if isinstance(event[1], bytes) else b""
            if item.endswith(b" Tf"):
                font_size = float(item.split()[-2])
            if not item.endswith(b" Ts"):
                glyph = None  # A raised mark's jump comes after its rise ends.
        # An empty string or the end of a TJ array moves nothing: keep looking.
    return spacing, removed


def _number(value):
    """A PDF number (no exponent) with every digit of ``value``: renderers snap
    glyphs to sub-pixel steps, and a rounded position could cross one."""
    text = format(Decimal(repr(float(value))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode()


# --------------------------------------------------------------------------
# Part 2: alias codes in the font dictionary


def _build_vector_font_dictionary(font_dictionary, pdf, font, widths, compress,
                                  reference, pdf_version):
    layer = getattr(font, _FONT_STATE, None)
    if not layer or not layer.aliases:
        return _originals["build_vector_font"](
            font_dictionary, pdf, font, widths, compress, reference, pdf_version)

    aliases = sorted((code, glyph, text) for (glyph, text), code in layer.aliases.items())
    missing = set(font.missing.values())
    alias_widths = {
        code: widths.get(glyph, font.widths.get(glyph, 0)) for code, glyph, _ in aliases}
    # font.widths also lists the CIDs in use for PDF/A-1's CIDSet.
    font_widths = font.widths
    font.widths = {**font_widths, **alias_widths}
    try:
        _originals["build_vector_font"](
            font_dictionary, pdf, font, {**widths, **alias_widths}, compress,
            reference, pdf_version)
    finally:
        font.widths = font_widths

    # ToUnicode: what each alias reads as.
    _insert_before_endcmap(
        _resolve(pdf, font_dictionary["ToUnicode"]), "bfchar",
        [f"<{code:04x}> <{text.encode('utf-16-be').hex()}>" for code, _, text in aliases])

    # Encoding: WeasyPrint writes its own CMap when glyphs are missing; aliases
    # are then listed there too, as themselves.
    if font.missing:
        _insert_before_endcmap(
            _resolve(pdf, font_dictionary["Encoding"]), "cidchar",
            [f"<{code:04x}> {code}" for code, _, _ in aliases])

    # CIDToGIDMap: aliases draw their real glyph, every other CID itself.
    subfont = _resolve(pdf, font_dictionary["DescendantFonts"][0])
    gids = bytearray(2 * (aliases[-1][0] + 1))
    for cid in range(min(font.glyph_count, aliases[0][0])):
        gids[2 * cid:2 * cid + 2] = cid.to_bytes(2, "big")
    for code, glyph, _ in aliases:
        gid = 0 if glyph in missing else glyph
        gids[2 * code:2 * code + 2] = gid.to_bytes(2, "big")
    cid_to_gid = pydyf.Stream([bytes(gids)], compress=compress)
    pdf.add_object(cid_to_gid)
    subfont["CIDToGIDMap"] = cid_to_gid.reference


def _resolve(pdf, reference):
    """The pydyf object behind a ``b'12 0 R'`` reference."""
    return pdf.objects[int(reference.split()[0])]


def _insert_before_endcmap(cmap_stream, operator, entries):
    """Add ``entries`` to a CMap stream, in blocks of 100 as CMaps require."""
    lines = []
    for first in range(0, len(entries), 100):
        block = entries[first:first + 100]
        lines.append(f"{len(block)} begin{operator}".encode())
        lines.extend(entry.encode() for entry in block)
        lines.append(f"end{operator}".encode())
    position = cmap_stream.stream.index(b"endcmap")
    cmap_stream.stream[position:position] = lines


# --------------------------------------------------------------------------
# Part 3: language and logical text of parts in the structure tree


def _build_box_tree(box, parent, pdf, page_number, nums, annotations, tags):
    styled = box._box if isinstance(box, AbsolutePlaceholder) else box
    lang = styled.style["lang"] if styled.style is not None else None
    holds_text = _holds_inline_content(styled)
    if holds_text and not isinstance(styled, boxes.InlineBox):
        _note_pieces(pdf, page_number, styled, tags)
    for element in _originals["build_box_tree"](
            box, parent, pdf, page_number, nums, annotations, tags):
        # Elements built for descendants were labelled by their own call.
        if not hasattr(element, _ELEMENT_LANG):
            setattr(element, _ELEMENT_LANG, lang)
            setattr(element, _ELEMENT_HOLDS_TEXT, holds_text)
        yield element


def _holds_inline_content(box) -> bool:
    """Whether the element of ``box`` is text: an inline element (a link, a span,
    emphasis) or a block of lines (a paragraph, a heading, a list item's body, a
    table cell), not a box of blocks (a section, a list)."""
    if isinstance(box, boxes.InlineBox):
        return True
    children = getattr(box, "children", None)
    return bool(children) and all(isinstance(child, boxes.LineBox) for child in children)


def _note_pieces(pdf, page_number, block, tags):
    """Note the text of every text box of a block of lines, under its MCID.

    Each piece is ``(text, separator)``: the separator goes between it and the
    block's piece before it. WeasyPrint drops the space at which a line breaks from
    both lines' text, so the separator is read from the block's HTML text: a space
    where the HTML has white space between the two pieces. Where a piece is not
    found there (generated content, text-transform), a piece that starts a line is
    taken to follow a space.

    In a right-to-left block, a piece of left-to-right text alone (an abbreviation
    or a number in an element of its own) that a space follows is noted for
    ``_end_with_word_gap``."""
    pieces = []  # (text box, starts a line)
    for line in block.children:
        first = True
        for text_box in _text_boxes(line):
            pieces.append((text_box, first))
            first = False
    if not pieces:
        return
    element = block.element
    source = _COLLAPSIBLE_SPACE.sub(" ", _html_text(element)) if element is not None else ""
    noted = getattr(pdf, _DOCUMENT_PIECES)
    numbered = []  # (MCID, text, separator) of the pieces drawn in marked content
    searched = 0  # where the last piece found in ``source`` ended
    previous = None  # where the previous piece ended in ``source``; None: not found
    for text_box, starts_line in pieces:
        text = text_box.text
        found = source.find(text, searched) if text else -1
        gap = source[previous:found] if previous is not None and found >= 0 else None
        if gap and not gap.isspace():
            found, gap = -1, None  # more than white space between the two: not this one
        if gap is None:  # not found right after the piece before
            separator = " " if starts_line else ""
        else:
            separator = " " if gap else ""
        if found >= 0:
            searched = previous = found + len(text)
        else:
            previous = None
        tag = tags.get(text_box)
        if tag is not None:
            noted[page_number, tag["mcid"]] = (text, separator)
            numbered.append((tag["mcid"], text, separator))
    if block.style["direction"] == "rtl":
        gaps = getattr(pdf, _DOCUMENT_GAPS)
        for (mcid, text, _), following in zip(numbered, numbered[1:]):
            _, next_text, next_separator = following
            spaced = text[-1:].isspace() or next_separator or next_text[:1].isspace()
            if spaced and _only_left_to_right(text):
                gaps.add((page_number, mcid))


def _html_text(element) -> str:
    """The text of an HTML element and its descendants, a ``<br>`` read as a line break."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):  # not a comment
            parts.append("\n" if child.tag.rpartition("}")[2] == "br" else _html_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _text_boxes(box):
    """The text boxes of a line, in order, through its inline elements (not into
    inline blocks, which are blocks of lines of their own)."""
    for child in box.children:
        if isinstance(child, boxes.TextBox):
            yield child
        elif isinstance(child, boxes.InlineBox):
            yield from _text_boxes(child)


_COLLAPSIBLE_SPACE = re.compile(r"[ \t\n\r\f]+")


def _add_tags(pdf, document, pdf_version, page_streams):
    setattr(pdf, _DOCUMENT_PIECES, {})
    setattr(pdf, _DOCUMENT_GAPS, set())
    _originals["add_tags"](pdf, document, pdf_version, page_streams)
    gaps = {}
    for page_number, mcid in getattr(pdf, _DOCUMENT_GAPS):
        gaps.setdefault(page_number, set()).add(mcid)
    for page_number, mcids in gaps.items():
        items = page_streams[page_number].stream
        for start, item in enumerate(items):
            if isinstance(item, pydyf.Dictionary) and item.get("MCID") in mcids:
                _end_with_word_gap(items, start)
    document_lang = pdf.catalog.get("Lang")
    document_lang = document_lang.string if isinstance(document_lang, pydyf.String) else ""
    root = _resolve(pdf, pdf.catalog["StructTreeRoot"])
    pending = [(_resolve(pdf, kid), document_lang or "") for kid in root["K"]]
    while pending:
        element, inherited = pending.pop()
        lang = getattr(element, _ELEMENT_LANG, None) or inherited
        if lang.casefold() != inherited.casefold():
            element["Lang"] = pydyf.String(lang)
        pending.extend((child, lang) for child in _child_elements(pdf, element))
    pages = {reference: number for number, reference in enumerate(pdf.page_references)}
    for kid in root["K"]:
        _write_logical_text(pdf, _resolve(pdf, kid), pages, getattr(pdf, _DOCUMENT_PIECES))


def _child_elements(pdf, element):
    """The structure elements among an element's kids (not its MCIDs or annotations)."""
    for kid in element.get("K", ()):
        if isinstance(kid, bytes):
            child = _resolve(pdf, kid)
            if isinstance(child, dict) and child.get("Type") == "/StructElem":
                yield child


def _write_logical_text(pdf, element, pages, pieces):
    """Give every element of right-to-left text an ``/ActualText`` in logical order.

    The page content holds an Urdu word's ActualText as drawn (``_span_text``), for
    the extractors that read the page; readers of the structure tree (screen readers
    through Acrobat, pdf.js) take an element's ActualText as it is, in the order the
    words are read. So each element that is text (``_holds_inline_content``: a
    paragraph, a heading, a list item's body, a link, a span, one text box) and holds
    a right-to-left letter gets its text, exactly as the HTML says it, in reading
    order. An element's ActualText stands for its children too (ISO 32000-1, 14.9.4),
    so an element holding a link or a figure gets none: the link would no longer be
    one, the figure would lose its Alt; its parts carry their own.

    Returns the element's pieces (see ``_note_pieces``) and whether it holds a link
    or a figure. (The recursion goes as deep as WeasyPrint's own building the tree.)
    """
    page = pages.get(element.get("Pg"))
    found, holds_kept_apart = [], False
    for kid in element.get("K", ()):
        if isinstance(kid, int):
            piece = pieces.get((page, kid))
            if piece is not None:
                found.append(piece)
            continue
        child = _resolve(pdf, kid) if isinstance(kid, bytes) else None
        if not isinstance(child, dict) or child.get("Type") != "/StructElem":
            continue
        child_pieces, child_holds_kept_apart = _write_logical_text(pdf, child, pages, pieces)
        found.extend(child_pieces)
        holds_kept_apart = (holds_kept_apart or child_holds_kept_apart
                            or child.get("S") in _KEPT_APART or "Alt" in child)
    holds_text = getattr(element, _ELEMENT_HOLDS_TEXT, None)
    if holds_text is None:  # not built for a box: a text box's own element, or the Document
        holds_text = all(isinstance(kid, int) for kid in element.get("K", ()))
    if found and not holds_kept_apart and holds_text and "Alt" not in element:
        text = found[0][0] + "".join(separator + text for text, separator in found[1:])
        if any(_direction(character) == "rtl" for character in text):
            element["ActualText"] = pydyf.String(text)
    return found, holds_kept_apart


# Elements that an ActualText on an element holding them would hide.
_KEPT_APART = ("/Link", "/Figure", "/Form")


def _only_left_to_right(text):
    """Whether ``text`` has letters or digits, all of them left to right."""
    directions = {_direction(character) for character in text} - {None}
    return directions == {"ltr"}


def _end_with_word_gap(items, start):
    """Move the pen on by a space after the last glyph of the text box whose marked
    content starts at ``items[start]`` (its MCID), where its text object ends.

    In a right-to-left line, WeasyPrint draws a left-to-right box of its own (TRD in
    ``<bdi>`` at the start of a line) before the line's Urdu text box, which starts
    at the far left. pypdf reads a word break only from a pen moved to the right, so
    it joined the two: "TRDشخص". A negative TJ number after the box's last glyph,
    with nothing drawn after it in the text object, moves the pen where nothing is
    painted; pypdf reads it as a space. Poppler and PDFium place a text object's
    characters by their glyphs and read no character from it.
    """
    depth, last_show = 0, None
    for index in range(start + 1, len(items)):
        item = items[index]
        if item in (b"BDC", b"BMC"):
            depth += 1
        elif item == b"EMC":
            if depth == 1:
                break
            depth -= 1
        elif isinstance(item, bytes) and item.endswith(b"] TJ"):
            last_show = index
    else:
        return
    following = [item for item in items[last_show + 1:index] if item != b"EMC"] if last_show else None
    if following and following[0] == b"ET":
        items[last_show] = items[last_show][:-4] + b" " + _number(-_WORD_GAP) + b"] TJ"


# The word gap after a left-to-right box, in thousandths of the font size: about a
# space in Noto Sans (260); pypdf takes half its font's space width for a break.
_WORD_GAP = 250
