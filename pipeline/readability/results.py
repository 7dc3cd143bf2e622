"""Plain data of the readability stage: what was measured, what misses its target,
and what an editor or translator should change (flags with file and line)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.model import Article, Block


@dataclass(frozen=True)
class Flag:
    """One thing to change, and where."""

    kind: str  # hard_sentence, hard_word, medical_term, passive_voice, percentage, ... (see checks.py)
    file: str  # path shown to the editor: the handout, or the catalog for a translation
    line: int
    text: str  # the sentence or the word(s) found
    message: str  # why it is flagged
    suggestion: str | None = None
    section: str = ""
    grade: float | None = None  # a sentence's own grade (English: Flesch-Kincaid)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence with its own figures and, if it is hard, why."""

    text: str
    line: int
    block: Block
    block_index: int
    section: str
    counts: object  # english.Counts or devanagari.Counts
    figures: dict  # the sentence's own measures
    grade: float  # English: Flesch-Kincaid grade; Devanagari: how far over its limits (1.0 = at a limit)
    hard: bool
    reasons: tuple[str, ...] = ()
    shown: str = ""  # as shown to an editor, with clinic variables as {name}


@dataclass(frozen=True)
class SectionScore:
    title: str  # the heading as written ("" for the top of the handout)
    line: int
    metrics: dict
    passed: bool
    misses: tuple = ()


@dataclass(frozen=True)
class Miss:
    """A measure that misses its target, and by how much."""

    measure: str
    value: float
    limit: float
    direction: str  # "max" (at most) or "min" (at least)

    @property
    def by(self) -> float:
        return abs(self.value - self.limit)


@dataclass
class Reading:
    """Everything the checks look at for one handout in one locale."""

    article: Article
    locale: str
    measure: str  # english | devanagari
    file: str
    sentences: list[ScoredSentence]
    blocks: list[Block]
    targets: dict
    words: object  # wordlist.WordList
    digits: str = "latin"
    source: "Reading | None" = None  # the English reading, for a translation
    source_block: dict = field(default_factory=dict)  # translated block -> source block


@dataclass(frozen=True)
class Report:
    """The result for one handout in one locale."""

    slug: str
    title: str
    source: str  # the handout's path, relative to the project
    file: str  # where flags point (the handout, or a translation's catalog)
    locale: str
    measure: str
    metrics: dict
    target: dict
    misses: tuple[Miss, ...]
    sections: tuple[SectionScore, ...]
    sentences: tuple[ScoredSentence, ...]
    flags: tuple[Flag, ...]
    comparison: dict | None = None
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.misses

    @property
    def hardest(self) -> list[ScoredSentence]:
        """Hard sentences, hardest first."""
        return sorted((s for s in self.sentences if s.hard), key=lambda s: -s.grade)


@dataclass(frozen=True)
class Skipped:
    """A handout and locale that could not be measured, and why."""

    slug: str
    source: str
    locale: str
    reason: str


@dataclass(frozen=True)
class Results:
    reports: tuple[Report, ...]
    skipped: tuple[Skipped, ...] = ()

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.reports)
