"""One unit of work: one handout for one clinic and locale, and what a worker hands
back for it. Plain data, light to import (``render.py`` does the work)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.formats import PUBLISHED, suffix


@dataclass(frozen=True)
class Unit:
    """One handout for one clinic and locale: the outputs to build, the digest of what
    each is built from, and which of its files are online now."""

    clinic: str
    locale: str
    slug: str
    source: Path
    digests: dict = field(compare=False, hash=False)  # format -> input digest
    size: int = 0  # bytes of source and catalog, to schedule the largest first
    online: dict = field(default_factory=dict, compare=False, hash=False)  # format -> percent it was published at

    @property
    def name(self) -> str:
        return f"{self.clinic}/{self.locale}/{self.slug}"

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.digests)

    def output_path(self, fmt: str) -> str:
        """Where ``fmt`` is written, relative to the output folder."""
        return output_path(self.clinic, self.locale, self.slug, fmt)


def output_path(clinic: str, locale: str, slug: str, fmt: str) -> str:
    return f"{clinic}/{locale}/{slug}{suffix(fmt)}"


@dataclass
class UnitResult:
    """What a worker hands back: the bytes of each published output and the decision
    behind every format it was asked for."""

    unit: Unit
    files: dict = field(default_factory=dict)  # format -> bytes to publish
    decisions: dict = field(default_factory=dict)  # format -> (status, reason)
    percent: int = 0  # translated, rounded down
    entry: dict = field(default_factory=dict)  # what the index page shows
    error: str = ""
    exit_code: int = 0
    seconds: float = 0.0
    format_seconds: dict = field(default_factory=dict)  # format -> seconds spent on it
    worker: int = 0  # process id
    peak_memory: int = 0  # the worker's peak resident memory so far, in bytes

    @property
    def held(self) -> dict:
        """format -> reason, for the formats not published."""
        return {fmt: reason for fmt, (status, reason) in self.decisions.items() if status != PUBLISHED}
