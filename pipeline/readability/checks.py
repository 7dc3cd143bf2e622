"""What to change: each check is a small function that looks at one handout's
reading and yields flags with file and line. Checks are registered per measure in
``CHECKS``; ``run_checks`` runs the ones that apply, in order.

Besides hard sentences and words, these are the clear-communication checks a
program can make from the CDC Clear Communication Index and AHRQ PEMAT: the main
message first, a call to action, whole numbers instead of percentages, text chunked
under headings and in lists, and medical terms explained when first used.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Callable, Iterator

from pipeline.readability import devanagari, english
from pipeline.readability.results import Flag, Reading, ScoredSentence
from pipeline.readability.scoring import VERY_LONG_WORD_AKSHARAS

# Words of running text without a heading or a list that make a long run, and the
# words that make one paragraph long (see docs/readability.md).
LONG_RUN_WORDS = 150
LONG_PARAGRAPH_WORDS = 80
HEADING_KINDS = ("title", "heading")


def _flag(reading: Reading, kind: str, line: int, text: str, message: str, suggestion: str | None = None,
          section: str = "", grade: float | None = None) -> Flag:
    if suggestion:
        suggestion = suggestion[0].upper() + suggestion[1:]
    return Flag(kind, reading.file, line, text, message, suggestion, section, grade)


def _display_section(reading: Reading, section: str) -> str:
    if reading.source is None:
        return section
    for block in reading.blocks:
        if block.kind == "heading" and reading.source_block[block].text == section:
            return block.text
    return section


# --- sentences and words -----------------------------------------------------------------

def hard_sentences(reading: Reading) -> Iterator[Flag]:
    """Sentences above the grade (English) or the limits (Devanagari), hardest first."""
    for sentence in sorted((s for s in reading.sentences if s.hard), key=lambda s: -s.grade):
        yield _flag(reading, "hard_sentence", sentence.line, sentence.shown, "; ".join(sentence.reasons),
                    _sentence_suggestion(reading, sentence), _display_section(reading, sentence.section),
                    round(sentence.grade, 2))


def _sentence_suggestion(reading: Reading, sentence: ScoredSentence) -> str:
    parts = []
    if any(r.startswith("too long") for r in sentence.reasons):
        parts.append("split it into shorter sentences")
    plainer = [f"'{m.entry.alternatives[0]}' for '{m.text}'" for m in reading.words.find(sentence.text)
               if not (m.entry.kind == "medical_terms" and _explained(m.text, sentence.text))]
    if plainer:
        parts.append("say " + ", ".join(dict.fromkeys(plainer)))
    elif any("long word" in r for r in sentence.reasons):
        parts.append("use shorter, everyday words")
    elif not parts:
        parts.append("use shorter words")
    return "; ".join(parts)


def plain_words(reading: Reading) -> Iterator[Flag]:
    """Formal words from the word list that have a plainer everyday equivalent."""
    for sentence in reading.sentences:
        for match in reading.words.find(sentence.text):
            if match.entry.kind != "everyday_words":
                continue
            alternatives = " or ".join(f"'{a}'" for a in match.entry.alternatives)
            yield _flag(reading, "hard_word", sentence.line, match.text,
                        "formal word", f"say {alternatives}",
                        _display_section(reading, sentence.section))


_ACRONYM = re.compile(r"\b[A-Z]{2,6}s?\b")
# Short forms readers know, or that are not terms at all.
KNOWN_ACRONYMS = {"OK", "TV", "AM", "PM", "US", "USA", "UK", "ID", "PIN", "SMS", "PDF", "FAQ", "COVID"}


def _explained(term: str, sentence: str) -> bool:
    """Whether ``sentence`` explains ``term`` where it uses it: "term (plain words)",
    "plain words (term)", "term is/means ...", "term, or ...", "called term"."""
    t = re.escape(term)
    patterns = (
        rf"{t}\s*\(",
        rf"\(\s*{t}\s*\)",
        rf"{t}\s*(?:[—–:]|,\s*(?:or|which|that|also called|meaning)\b|\s-\s)",
        rf"{t}\s+(?:is|are|was)\s+(?:an?|the|when|what|how|one|another|something|also called|called|short for)\b",
        rf"{t}\s+(?:means|mean|refers to|stands for|is called|are called|happens when)\b",
        rf"\b(?:called|known as|named|short for|stands for)\s+(?:an?\s+|the\s+)?{t}\b",
    )
    return any(re.search(p, sentence, re.I) for p in patterns)


def medical_terms(reading: Reading) -> Iterator[Flag]:
    """Medical terms and abbreviations: explained where first used, or flagged."""
    uses: dict[str, list[tuple[ScoredSentence, str, object]]] = {}
    for sentence in reading.sentences:
        if sentence.block.kind in HEADING_KINDS:
            continue  # a heading names what the text below it explains
        for match in reading.words.find(sentence.text):
            if match.entry.kind == "medical_terms":
                uses.setdefault(match.entry.word, []).append((sentence, match.text, match.entry))
        if reading.measure == "english":
            for found in _ACRONYM.finditer(sentence.text):
                word = found.group()
                bare = word[:-1] if word.endswith("s") and word[:-1].isupper() else word
                if bare in KNOWN_ACRONYMS or _is_plain_capitals(bare):
                    continue
                uses.setdefault(bare, []).append((sentence, bare, None))
    for key, found in uses.items():
        first_sentence, first_text, entry = found[0]
        explained_at = next((s for s, text, _ in found if _explained(text, s.text)), None)
        if explained_at is not None and explained_at.block_index == first_sentence.block_index:
            continue  # explained where it is first used, or later in the same paragraph
        other_lines = sorted({s.line for s, _, _ in found[1:]} - {first_sentence.line})
        also = f" (also on line{'s' if len(other_lines) > 1 else ''} {', '.join(map(str, other_lines))})" if other_lines else ""
        section = _display_section(reading, first_sentence.section)
        if explained_at is not None:
            yield _flag(reading, "term_before_explained", first_sentence.line, first_text,
                        f"'{first_text}' is used here but explained only on line {explained_at.line}",
                        "explain it here, the first time it is used", section)
        elif entry is not None:
            plain = " or ".join(f"'{a}'" for a in entry.alternatives)
            yield _flag(reading, "medical_term", first_sentence.line, first_text,
                        f"medical term not explained{also}",
                        f"say {plain}, or explain '{first_text}' the first time it is used", section)
        else:
            yield _flag(reading, "abbreviation", first_sentence.line, first_text,
                        f"abbreviation not explained{also}",
                        f"write it out the first time, with '({first_text})' after it", section)


def _is_plain_capitals(word: str) -> bool:
    """Capitals used for emphasis ("do NOT stop") rather than an abbreviation."""
    return english.word_figures(word).easy


_BE = r"(?:am|is|are|was|were|be|been|being|get|gets|got|gotten|getting)"
_IRREGULAR_PARTICIPLES = (
    "given taken done made seen known shown written told found kept held brought bought paid sent put set left "
    "lost meant begun chosen driven eaten fallen forgotten hidden hurt led spoken stolen worn understood thrown "
    "caught taught built heard fed fought sold shaken split spread struck sung swept torn woken won withdrawn"
).split()
# Past participles that usually describe a state ("you may feel tired"), not an action.
_STATE_WORDS = {
    "tired", "worried", "scared", "frightened", "interested", "married", "bored", "confused", "depressed",
    "stressed", "excited", "ashamed", "embarrassed", "concerned", "pleased", "supposed", "used", "called",
    "named", "known", "located", "related", "based", "involved", "prepared", "allowed", "done", "finished",
    "gone", "upset", "overwhelmed", "isolated", "relaxed", "surprised", "disappointed", "annoyed", "satisfied",
    "qualified", "trained", "licensed", "covered", "closed", "open", "dressed", "lost", "hurt", "set", "left",
    "needed", "advised", "recommended",
}
_PASSIVE = re.compile(
    rf"\b{_BE}\s+(?:(?:not|never|often|usually|also|only|then|always|sometimes|\w+ly)\s+)?"
    rf"(?P<verb>\w+ed|{'|'.join(_IRREGULAR_PARTICIPLES)})\b(?P<by>\s+by\b)?", re.I)


def passive_voice(reading: Reading) -> Iterator[Flag]:
    """Sentences that may be in the passive voice ("the dose is changed by your doctor")."""
    for sentence in reading.sentences:
        if sentence.block.kind in HEADING_KINDS:
            continue
        for match in _PASSIVE.finditer(sentence.text):
            verb = match.group("verb").lower()
            if verb in _STATE_WORDS and not match.group("by"):
                continue
            yield _flag(reading, "passive_voice", sentence.line, sentence.shown,
                        f"may be passive: '{match.group().strip()}'",
                        "say who does it, for example 'your doctor will ...' or 'you can ...'",
                        _display_section(reading, sentence.section))
            break


# --- clear communication ----------------------------------------------------------------

_STOPWORDS = set("""a an and are as at be but by can do does for from has have how i if in is it its of on or
our so that the their them then there these they this to us was we what when where which who why will with
you your about after before into more most not other out over than up need know""".split())
_BACKGROUND_HEADINGS = re.compile(r"^(background|history|introduction|intro|overview|about( this)?)\b", re.I)


def _content_words(text: str) -> set[str]:
    return {w.lower()[:5] for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text) if w.lower() not in _STOPWORDS}


def main_message_first(reading: Reading) -> Iterator[Flag]:
    """The first section should carry the main message, not background."""
    body = [s for s in reading.sentences if s.block.kind not in ("title", "summary")]
    if not body:
        return
    headings = [s for s in body if s.block.kind == "heading"]
    first_heading = headings[0] if headings else None
    if first_heading is not None and _BACKGROUND_HEADINGS.match(first_heading.text):
        yield _flag(reading, "main_message", first_heading.line, first_heading.shown,
                    "the handout opens with background; readers look for the main message first",
                    "start with what the reader needs to know or do, and move the background later")
        return
    # The first section: text before the first heading, or else under the first heading.
    if body[0].block.kind == "heading":
        second = headings[1].block_index if len(headings) > 1 else None
        first_section = [s for s in body[1:] if second is None or s.block_index < second]
    else:
        first_section = [s for s in body if first_heading is None or s.block_index < first_heading.block_index]
    key_words = _content_words(reading.article.title)
    if not key_words or not first_section:
        return
    if not key_words & _content_words(" ".join(s.text for s in first_section)):
        start = first_section[0]
        yield _flag(reading, "main_message", start.line, start.shown,
                    "the first section does not mention what the title promises",
                    "say the main message of the handout in its first paragraph")


_ACTION_VERBS = set("""ask avoid bring call come check choose contact do don't drink eat find follow get give go keep
know learn let limit make plan put read remember rest see seek share show sleep start stay stop take talk tell text
think try use visit wait walk watch write book breathe""".split())
_ACTION_PHRASES = re.compile(r"\b(you should|you can|you need to|you may want to|please|it is important to|make sure)\b", re.I)


def call_to_action(reading: Reading) -> Iterator[Flag]:
    """A handout should tell the reader what to do."""
    for sentence in reading.sentences:
        if sentence.block.kind in HEADING_KINDS:
            continue
        first = re.match(r"[\W\d]*([A-Za-z']+)", sentence.text)
        if first and first.group(1).lower() in _ACTION_VERBS or _ACTION_PHRASES.search(sentence.text):
            return
    article = reading.article
    yield _flag(reading, "no_call_to_action", article.blocks[0].line if article.blocks else 1, article.title,
                "no call to action: nothing tells the reader what to do",
                "add clear steps, for example 'Call us if ...' or 'Take your medicine every day'")


_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(%|percent\b|per cent\b)", re.I)
_FRACTION = re.compile(r"(?<![\d/.])(\d{1,3})\s*/\s*(\d{1,4})(?![\d/])")
_ANY_DIGIT = re.compile(r"\d")
_DEVANAGARI_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")
_ASCII_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")


def _out_of(share: Fraction) -> tuple[int, int, bool]:
    """A share as whole numbers "n out of d", and whether it is exact. Halves, thirds
    and quarters as such; else out of 10, 100 or 1,000; a small share as "1 out of N"."""
    tolerance = Fraction(1, 200)
    if 0 < share < Fraction(1, 10):
        denominator = round(1 / share)
        if abs(Fraction(1, denominator) - share) <= share / 50:
            return 1, denominator, Fraction(1, denominator) == share
    for denominator in (2, 3, 4, 10, 100, 1000):
        numerator = round(share * denominator)
        if numerator >= 1 and abs(Fraction(numerator, denominator) - share) <= tolerance:
            return numerator, denominator, Fraction(numerator, denominator) == share
    if 0 < share < Fraction(1, 10):
        return 1, round(1 / share), False
    return max(1, round(share * 10)), 10, False


# "3 out of 10" and "about" in the languages written in Devanagari.
_OUT_OF_DEVANAGARI = {"mr": ("{denominator} पैकी {numerator}", "सुमारे"),
                      "hi": ("{denominator} में से {numerator}", "लगभग")}


def numbers(reading: Reading) -> Iterator[Flag]:
    """Percentages and fractions where whole numbers ("8 out of 10") would do."""
    for sentence in reading.sentences:
        if not _ANY_DIGIT.search(sentence.text):
            continue
        text = sentence.text.translate(_ASCII_DIGITS)
        found = []
        for match in _PERCENT.finditer(text):
            value = Fraction(match.group(1))
            if 0 < value <= 100:
                found.append((match.group(), value / 100))
        for match in _FRACTION.finditer(text):
            top, bottom = int(match.group(1)), int(match.group(2))
            if 0 < top < bottom and (top, bottom) != (24, 7):
                found.append((match.group(), Fraction(top, bottom)))
        for written, share in found:
            numerator, denominator, exact = _out_of(share)
            if reading.measure == "devanagari":
                out_of, about = _OUT_OF_DEVANAGARI.get(reading.locale.split("_")[0], _OUT_OF_DEVANAGARI["mr"])
                plain = out_of.format(numerator=numerator, denominator=denominator)
                if reading.digits == "devanagari":
                    plain = plain.translate(_DEVANAGARI_DIGITS)
                plain = plain if exact else f"{about} {plain}"
            elif reading.measure == "spanish":
                plain = f"{numerator} de cada {denominator}" if exact else f"unos {numerator} de cada {denominator}"
            elif reading.measure == "urdu":
                plain = f"{denominator} میں سے {numerator}" if exact else f"تقریباً {denominator} میں سے {numerator}"
            else:
                plain = f"{numerator} out of {denominator}" if exact else f"about {numerator} out of {denominator}"
            yield _flag(reading, "percentage", sentence.line, written,
                        "percentages and fractions are harder to picture than whole numbers",
                        f"say '{plain}'", _display_section(reading, sentence.section))


def long_runs(reading: Reading) -> Iterator[Flag]:
    """Long stretches of running text with no heading or list to break them up."""
    words_in_block: dict[int, tuple[object, int, int, str]] = {}
    for sentence in reading.sentences:
        block, line, words, section = words_in_block.get(sentence.block_index, (sentence.block, sentence.line, 0, sentence.section))
        words_in_block[sentence.block_index] = (block, line, words + sentence.counts.words, section)
    run: list[tuple[object, int, int, str]] = []

    def close_run():
        total = sum(words for _, _, words, _ in run)
        if len(run) > 1 and total > LONG_RUN_WORDS:
            _, line, _, section = run[0]
            yield _flag(reading, "long_run", line, f"{len(run)} paragraphs",
                        f"{total} words of running text without a heading or a list",
                        "break it up: add a heading, or turn steps and examples into a list",
                        _display_section(reading, section))

    for index in sorted(words_in_block):
        block, line, words, section = words_in_block[index]
        if block.kind == "paragraph":
            if words > LONG_PARAGRAPH_WORDS:
                yield _flag(reading, "long_paragraph", line, block.text[:60] + ("…" if len(block.text) > 60 else ""),
                            f"a paragraph of {words} words", "split it into shorter paragraphs, or use a list",
                            _display_section(reading, section))
            run.append((block, line, words, section))
        elif block.kind in ("title", "summary"):
            continue
        else:
            yield from close_run()
            run = []
    yield from close_run()


# --- Devanagari --------------------------------------------------------------------------

def long_words(reading: Reading) -> Iterator[Flag]:
    """Each distinct very long word (7+ aksharas), once, where it is first used."""
    seen: dict[str, list[ScoredSentence]] = {}
    for sentence in reading.sentences:
        for word in sentence.counts.long_word_list:
            if devanagari.akshara_count(word) >= VERY_LONG_WORD_AKSHARAS:  # 5 and 6 are common
                seen.setdefault(word, []).append(sentence)
    for word, sentences in seen.items():
        first = sentences[0]
        size = devanagari.akshara_count(word)
        uses = f", used {len(sentences)} times" if len(sentences) > 1 else ""
        yield _flag(reading, "long_word", first.line, word,
                    f"long word: {size} aksharas ({'·'.join(devanagari.aksharas(word))}){uses}",
                    "use a shorter or more everyday word, or split it (for example a noun and a postposition)",
                    _display_section(reading, first.section))


def plain_words_devanagari(reading: Reading) -> Iterator[Flag]:
    """Formal words of the language's plain-words list (Marathi, Hindi, Spanish), with the
    everyday words to say instead; endings attached to a listed word still match."""
    for sentence in reading.sentences:
        for match in reading.words.find(sentence.text):
            alternatives = " or ".join(f"'{a}'" for a in match.entry.alternatives)
            yield _flag(reading, "hard_word", sentence.line, match.text, "formal word",
                        f"say {alternatives}", _display_section(reading, sentence.section))


# A translated block whose words outnumber the English words by more than this is
# unusually wordy: Marathi usually needs fewer words than English (in the shipped
# handouts a block's Marathi has 0.9 times the English words, rarely over 1.2).
WORDY_TRANSLATION_RATIO = 1.3


def harder_than_source(reading: Reading) -> Iterator[Flag]:
    """Translated blocks that turned plain English into hard sentences: the English
    block has no hard sentence, the translation has one, and it merged sentences, or
    its longest sentence or its words are more than 1.3 times the English ones."""
    if reading.source is None:
        return
    source_by_block: dict[object, list[ScoredSentence]] = {}
    for sentence in reading.source.sentences:
        source_by_block.setdefault(sentence.block, []).append(sentence)
    own_by_block: dict[object, list[ScoredSentence]] = {}
    for sentence in reading.sentences:
        own_by_block.setdefault(sentence.block, []).append(sentence)
    for block, own in own_by_block.items():
        original = source_by_block.get(reading.source_block.get(block), [])
        if not original or any(s.hard for s in original) or not any(s.hard for s in own):
            continue
        longest = max(s.counts.words for s in original)
        own_longest = max(s.counts.words for s in own)
        words = sum(s.counts.words for s in original)
        own_words = sum(s.counts.words for s in own)
        merged = len(own) < len(original)
        longer = own_longest > WORDY_TRANSLATION_RATIO * longest
        if not (merged or longer or own_words > WORDY_TRANSLATION_RATIO * words):
            continue
        plural = "s" if len(original) > 1 else ""
        message = (f"the English says this in {len(original)} sentence{plural} of at most {longest} words "
                   f"({words} in all); the translation uses {len(own)} of up to {own_longest} ({own_words} in all)")
        suggestion = "split it as the English does" if merged or longer else "say it in fewer words"
        yield _flag(reading, "harder_than_source", own[0].line, block.text, message,
                    suggestion, _display_section(reading, own[0].section))


Check = Callable[[Reading], Iterator[Flag]]

CHECKS: dict[str, list[Check]] = {
    "english": [hard_sentences, plain_words, medical_terms, passive_voice, main_message_first,
                call_to_action, numbers, long_runs],
    "devanagari": [hard_sentences, long_words, plain_words_devanagari, numbers, harder_than_source],
    "spanish": [hard_sentences, plain_words_devanagari, numbers, harder_than_source],
    "urdu": [hard_sentences, numbers, harder_than_source],
}


def run_checks(reading: Reading) -> list[Flag]:
    flags = []
    for check in CHECKS.get(reading.measure, []):
        flags.extend(check(reading))
    return flags
