"""What a patient may see: one publishing decision per handout, clinic and locale.

``decide`` is a pure function of the handout, its translation, the QA problems of its
catalog, the clinic and the locale. It says for every block what is shown, in which
language and why, and for every format whether it is published, held back or
withdrawn, and why. The page, the PDF, the notice, the index, ``stats`` and the build
summary read this one result; nothing recomputes it.

Percentages are whole numbers rounded down, wherever they are compared with a
threshold and wherever they are shown: 252 of 253 entries is 99 %, never 100 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from pipeline import qa
from pipeline.catalogs import catalog_path, read_catalog
from pipeline.files import display_path
from pipeline.formats import HELD, HTML, PDF, PRINT_FORMATS, PUBLISHED, WITHDRAWN, pair_of
from pipeline.model import Article, Block, Clinic, Config, Locale
from pipeline.review import ReviewStatus, article_review
from pipeline.translate import Translation, translate
from pipeline.variants import base_catalog as variant_base_catalog

# Why a block shows what it shows.
SOURCE = "source"  # the page is in the source language
TRANSLATED = "translated"
FUZZY = "fuzzy"  # the entry is marked fuzzy: its translation was made for other text
MISSING = "missing"  # no entry, or an empty translation
REJECTED = "rejected"  # translated, but QA found an error in the entry

DEFAULT_THRESHOLDS = {HTML: 0, PDF: 100}


def floor_percent(part: int, whole: int) -> int:
    """``part`` of ``whole`` as a whole percentage, rounded down (100 only when complete)."""
    return 100 if whole <= 0 else part * 100 // whole


@dataclass(frozen=True)
class ShownBlock:
    """One block as the reader gets it."""

    key: tuple
    text: str  # raw inline Markdown, clinic variables not yet filled in
    language: str
    status: str  # source | translated | fuzzy | missing | rejected
    line: int  # the block's line in the handout
    where: str = ""  # the catalog entry, path:line, when there is one
    message: str = ""  # why QA rejected the translation


@dataclass(frozen=True)
class FormatDecision:
    format: str
    status: str  # published | held | withdrawn
    reason: str = ""
    kept: bool = False  # held back, and the last good file stays online

    @property
    def available(self) -> bool:
        """Whether a file of this format is online after the build (new or last good)."""
        return self.status == PUBLISHED or self.kept


@dataclass(frozen=True)
class Publication:
    """The publishing decision for one handout, clinic and locale."""

    slug: str
    clinic: str
    locale: str
    source_language: str
    blocks: tuple[ShownBlock, ...]
    formats: tuple[FormatDecision, ...]
    translated: int  # blocks shown in the locale's language
    total: int
    percent: int  # translated ÷ total, rounded down
    qa_errors: tuple[str, ...] = ()  # "path:line: message" of each QA error in the catalog
    review: ReviewStatus | None = None  # the handout's clinical review for this clinic, today
    # bilingual format (en+mr) -> the decision for the handout in its other language
    partners: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_source(self) -> bool:
        return self.locale == self.source_language

    @property
    def partial(self) -> bool:
        """Some block is shown in the source language: the page says so."""
        return any(b.language != self.locale for b in self.blocks)

    def shown(self, block: Block) -> ShownBlock:
        return self._by_key[block.key]

    def text(self, block: Block) -> tuple[str, str]:
        """The text shown for ``block`` and the language it is in."""
        shown = self._by_key[block.key]
        return shown.text, shown.language

    def format(self, fmt: str) -> FormatDecision:
        return next(d for d in self.formats if d.format == fmt)

    @cached_property
    def _by_key(self) -> dict:
        return {b.key: b for b in self.blocks}

    def summary(self) -> dict:
        """Plain JSON-able figures (for ``stats`` and the manifest)."""
        return {"translated": self.translated, "total": self.total, "percent": self.percent,
                "formats": {d.format: {"status": d.status, "reason": d.reason} for d in self.formats},
                "qa_errors": list(self.qa_errors),
                **({"review": {"state": self.review.state, "reviewed": self.review.reviewed.isoformat(),
                               "due": self.review.due.isoformat()}} if self.review else {})}


def decide(article: Article, translation: Translation, qa_problems: Iterable, clinic: Clinic, locale: Locale, *,
           catalog: str = "", kept: Mapping[str, int] | None = None,
           review: ReviewStatus | None = None, partners: Mapping[str, Publication] | None = None) -> Publication:
    """The publishing decision.

    ``qa_problems``: the QA problems of the handout's catalog (``qa.Problem``; only
    errors count). ``catalog``: the catalog's path as shown to people. ``kept``: the
    formats whose last published file is still online, with the percentage it was
    published at; a held-back format keeps it only while that still meets the threshold.
    ``review``: the handout's clinical review for this clinic today; past its due date,
    where the clinic holds overdue handouts, nothing is printed and an earlier PDF is
    taken down (it is just as overdue). ``partners``: for each bilingual edition built
    with this handout (``en+mr``), the decision for the handout in its other language;
    the edition is printed only when both languages would be printed on their own.
    """
    errors = [p for p in qa_problems if p.severity == "error"]
    rejected = {}
    for problem in errors:
        rejected.setdefault((problem.context, problem.msgid), problem)
    blocks = tuple(_shown(block, translation, rejected, catalog) for block in article.blocks)
    translated = sum(1 for b in blocks if b.status in (SOURCE, TRANSLATED))
    percent = floor_percent(translated, len(blocks))
    qa_errors = tuple(p.format().replace(": error: ", ": ", 1) for p in errors)
    thresholds = {**DEFAULT_THRESHOLDS, **(clinic.publish_threshold or {})}
    formats = (_html_decision(percent, thresholds[HTML]),) + tuple(
        _print_decision(fmt, percent, thresholds["pdf"], qa_errors, (kept or {}).get(fmt), review)
        for fmt in PRINT_FORMATS)
    formats += tuple(_bilingual_decision(fmt, {locale.code: (percent, qa_errors), partner.locale: (
        partner.percent, partner.qa_errors)}, thresholds["pdf"], (kept or {}).get(fmt), review)
                     for fmt, partner in (partners or {}).items())
    return Publication(article.slug, clinic.id, locale.code, translation.source_language, blocks, formats,
                       translated, len(blocks), percent, qa_errors, review, dict(partners or {}))


def _shown(block: Block, translation: Translation, rejected: dict, catalog: str) -> ShownBlock:
    source = translation.source_language
    if translation.is_source:
        return ShownBlock(block.key, block.text, source, SOURCE, block.line)
    line = translation.lines.get(block.key)
    where = f"{catalog}:{line}" if catalog and line else catalog
    problem = rejected.get(block.key)
    if block.key in translation.messages:
        if problem is None:
            return ShownBlock(block.key, translation.messages[block.key], translation.locale, TRANSLATED, block.line,
                              where)
        return ShownBlock(block.key, block.text, source, REJECTED, block.line,
                          f"{problem.path}:{problem.line}" if problem.line else problem.path, problem.message)
    status = FUZZY if translation.reasons.get(block.key) == "fuzzy" else MISSING
    return ShownBlock(block.key, block.text, source, status, block.line, where)


def _needs(percent: int, threshold) -> str:
    return f"{percent}% translated (needs {threshold:g}%)"


def _html_decision(percent: int, threshold) -> FormatDecision:
    if percent >= threshold:
        return FormatDecision(HTML, PUBLISHED)
    return FormatDecision(HTML, WITHDRAWN, _needs(percent, threshold))


def _print_decision(fmt: str, percent: int, threshold, qa_errors: tuple[str, ...], kept: int | None,
                    review: ReviewStatus | None = None) -> FormatDecision:
    return _print_outcome(fmt, _print_reasons(percent, qa_errors, threshold), threshold, kept, review)


def _bilingual_decision(fmt: str, languages: dict, threshold, kept: int | None,
                        review: ReviewStatus | None) -> FormatDecision:
    """A bilingual edition: printed when each of its languages would be printed alone,
    held back (or taken down) as a PDF of either would be, with the language named.
    ``languages``: code -> (percent, QA errors)."""
    reasons = [f"{code}: {'; '.join(found)}" for code in pair_of(fmt)
               if (found := _print_reasons(*languages[code], threshold))]
    return _print_outcome(fmt, reasons, threshold, kept, review)


def _print_reasons(percent: int, qa_errors: tuple[str, ...], threshold) -> list[str]:
    """Why a handout may not be printed: too little translated, QA errors."""
    reasons = []
    if percent < threshold:
        reasons.append(_needs(percent, threshold))
    if qa_errors:
        reasons.append(f"{len(qa_errors)} QA error(s) in the catalog, first {qa_errors[0]}")
    return reasons


def _print_outcome(fmt: str, reasons: list[str], threshold, kept: int | None,
                   review: ReviewStatus | None) -> FormatDecision:
    """Published without reasons; otherwise held back, keeping the last good PDF while it
    still meets the threshold, or taken down. Past its review date it is taken down."""
    if review is not None and review.holds_print:
        reason = review.reason() + ", held until it is reviewed again"
        return FormatDecision(fmt, WITHDRAWN, reason + (", earlier PDF taken down" if kept is not None else ""))
    if not reasons:
        return FormatDecision(fmt, PUBLISHED)
    reason = "; ".join(reasons)
    if kept is not None and kept >= threshold:
        return FormatDecision(fmt, HELD, reason + ", last good PDF kept", kept=True)
    if kept is not None:
        return FormatDecision(fmt, WITHDRAWN, reason + f", earlier PDF ({kept}% translated) taken down")
    return FormatDecision(fmt, HELD, reason)


def load_publication(config: Config, article: Article, clinic: Clinic, locale: Locale, *,
                     kept: Mapping[str, int] | None = None, bilingual: Iterable[str] | None = None) -> Publication:
    """Read the handout's catalog for ``locale``, check it, and decide (the build and
    ``stats`` both come here). For each of the ``bilingual`` editions (by default every
    one the clinic builds with this handout) the handout's other language is read and
    decided too."""
    partners = {}
    for fmt in clinic.bilingual_formats(locale.code) if bilingual is None else bilingual:
        first = config.locales[pair_of(fmt)[0]]
        partners[fmt] = load_publication(config, article, clinic, first, bilingual=())
    catalog, problems, shown, base, base_catalog = None, [], "", "", None
    if locale.code != config.source_language:
        path = catalog_path(config.locales_dir, locale.code, article.slug)
        shown = display_path(path, config.root)
        catalog = read_catalog(path, locale.code)
        if catalog is not None:
            problems = qa.check_catalog(config, locale.code, article.slug, catalog)
        problems = [*problems, *qa.interface_errors(config, locale.code)]  # the page's own words
        base_catalog, base = variant_base_catalog(config, locale.code, article.slug)
        if base_catalog is not None:  # a variant of a translated language: the base's entries it uses
            own = {key for key in (((m.context, m.id) for m in catalog) if catalog is not None else ())}
            problems += [p for p in qa.check_catalog(config, base, article.slug, base_catalog)
                         if (p.context, p.msgid) not in own]
    translation = translate(article, catalog, locale.code, config.source_language, base=base,
                            base_catalog=base_catalog)
    review = article_review(article, clinic.review, where=f"{display_path(article.path, config.root)}:"
                                                          f"{article.reviewed_line}")
    return decide(article, translation, problems, clinic, locale, catalog=shown, kept=kept, review=review,
                  partners=partners)
