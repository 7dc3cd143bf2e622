"""Plain data passed between the stages. Every stage takes and returns these."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.formats import bilingual_format


@dataclass(frozen=True)
class Block:
    """One translatable unit of an article: a heading, paragraph, list item, table
    cell, image alt text, or the front-matter title and summary.

    ``text`` is the block's raw inline Markdown with line breaks folded to spaces,
    exactly the msgid a translator sees.
    """

    kind: str  # title | summary | heading | paragraph | list_item | table_header | table_cell | image_alt
    text: str
    line: int  # 1-based line in the source file
    level: int = 0  # heading level (2-6) or list nesting depth (1-based)
    context: str | None = None  # msgctxt set by the editor with <!-- context: ... -->
    note: str | None = None  # note for translators set with <!-- note: ... -->
    section: str = ""  # text of the nearest heading above (empty before the first)

    @property
    def key(self) -> tuple[str | None, str]:
        """Catalog key: (msgctxt, msgid)."""
        return (self.context, self.text)

    def describe(self) -> str:
        """Human description used as the extracted #. comment."""
        if self.kind == "heading":
            return f"heading level {self.level}"
        if self.kind == "list_item":
            return "list item" if self.level <= 1 else f"list item, nested level {self.level}"
        return {
            "title": "handout title (front matter)",
            "summary": "one-line summary (front matter)",
            "paragraph": "paragraph",
            "table_header": "table header cell",
            "table_cell": "table cell",
            "image_alt": "image alternative text (read aloud to people who cannot see the image)",
        }.get(self.kind, self.kind)


@dataclass(frozen=True)
class Article:
    """A handout as read from ``source/<slug>.md``."""

    slug: str
    path: Path
    title: str
    summary: str
    reviewed: _dt.date
    sources: tuple[str, ...]
    body: str  # Markdown body, front matter replaced by blank lines so line numbers hold
    blocks: tuple[Block, ...]  # title, summary, then body blocks in document order
    targets: dict = field(default_factory=dict, hash=False, compare=False)  # readability overrides
    reviewed_by: "Reviewer | None" = None  # who did the last clinical review
    reviewed_line: int = 0  # the line of 'reviewed:' in the front matter

    @property
    def body_blocks(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.kind not in ("title", "summary"))


def localized(mapping: dict, locale: str) -> tuple[str, str]:
    """Pick ``locale``'s text from a per-locale mapping, falling back to its base
    language (``en`` for ``en_US``), "default", then "en"; return the text and the
    language it is in."""
    base = locale.partition("_")[0]
    for code in (locale, base, "default", "en"):
        if mapping.get(code):
            return mapping[code], (locale if code in ("default", base) else code)
    code, text = next(iter(mapping.items()), ("en", ""))
    return text, code


@dataclass(frozen=True)
class Reviewer:
    """Who signed off a handout's last clinical review: a role (consultant
    psychiatrist), and a name where the clinic records one."""

    role: str
    name: str = ""


@dataclass(frozen=True)
class ReviewPolicy:
    """How long a clinic trusts a clinical review (``review:`` in clinics.yaml): a
    review lasts ``valid_months``; builds and checks warn ``warn_days`` before it runs
    out; past it, ``when_overdue`` either warns or holds the printed handout back."""

    valid_months: int = 12
    warn_days: int = 60
    when_overdue: str = "hold"  # hold | warn


@dataclass(frozen=True)
class CrisisLine:
    """A crisis line; ``name`` and ``description`` map locale code (or "default") to text."""

    name: dict
    number: str
    description: dict = field(default_factory=dict, hash=False, compare=False)
    # how to reach the line in a language (988: "press 2" for Spanish), said in the crisis
    # box at the top of that language's handouts; only a language's own entry is shown
    language_option: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Locale:
    """A language the pipeline publishes in, and how it writes things."""

    code: str  # BCP 47 / gettext code: en, mr
    name: str  # the language's name in itself: English, मराठी
    english_name: str
    direction: str = "ltr"  # ltr | rtl (by default from the script: Arab is rtl)
    digits: str = "latin"  # latin | devanagari | extended-arabic-indic
    script: str = "Latn"  # ISO 15924: Latn | Deva | Arab
    glossary: Path | None = None


@dataclass(frozen=True)
class Clinic:
    """A clinic that publishes handouts: its contact details, paper and languages."""

    id: str
    name: dict  # locale code -> name; "default" for the fallback
    address: dict
    phone: str
    email: str
    website: str
    locales: tuple[str, ...]
    paper: str  # A4 | Letter
    crisis_line: CrisisLine
    emergency_number: str
    publish_threshold: dict = field(default_factory=dict, hash=False, compare=False)  # format -> percent
    review: ReviewPolicy = field(default_factory=ReviewPolicy)
    public_url: str = ""  # where the clinic publishes its handouts (https, ends in /); "" for no QR code
    bilingual: tuple = ()  # (first, second) locale codes of each bilingual edition it prints

    def bilingual_formats(self, locale: str) -> tuple[str, ...]:
        """The bilingual editions built with the handout in ``locale`` (its second language)."""
        return tuple(bilingual_format(first, second) for first, second in self.bilingual if second == locale)


@dataclass(frozen=True)
class Config:
    """The whole configuration file, validated."""

    path: Path
    root: Path
    source_language: str
    source_dir: Path
    locales_dir: Path
    output_dir: Path
    locales: dict  # code -> Locale
    clinics: dict  # id -> Clinic
    readability: dict  # locale code -> {measure: limit}
