"""Apply a locale's catalog to an article: which blocks are translated, which fall
back to the source language, and why. Plain data out; rendering uses it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from markupsafe import Markup, escape

from pipeline.catalogs import UI_DOMAIN, catalog_path, read_catalog
from pipeline.model import Article, Block, Config
from pipeline.qa import interface_errors
from pipeline.variants import base_catalog as variant_base_catalog


@dataclass(frozen=True)
class Translation:
    """An article's text in one locale.

    ``messages`` maps a block key (msgctxt, msgid) to the translation to show; only
    entries that are translated and not fuzzy are usable. Blocks missing from it are
    shown in the source language (``fallbacks``), with the reason in ``reasons``.
    """

    locale: str
    source_language: str
    messages: dict = field(hash=False)
    fallbacks: tuple[Block, ...] = ()
    reasons: dict = field(default_factory=dict, hash=False)  # block key -> "untranslated" | "fuzzy"
    total: int = 0
    lines: dict = field(default_factory=dict, hash=False)  # block key -> line of its entry in the catalog

    @property
    def is_source(self) -> bool:
        return self.locale == self.source_language

    @property
    def translated(self) -> int:
        return self.total - len(self.fallbacks)

    def text(self, block: Block) -> tuple[str, str]:
        """The text to show for ``block`` and the language it is in."""
        if self.is_source:
            return block.text, self.locale
        if block.key in self.messages:
            return self.messages[block.key], self.locale
        return block.text, self.source_language


def translate(article: Article, catalog, locale: str, source_language: str, *, base: str = "",
              base_catalog=None) -> Translation:
    """Match every block of ``article`` with a usable entry of ``catalog`` (a Babel
    Catalog, or None when the locale has no catalog for this article).

    ``base``: for a regional variant (``en_US``, ``mr_IN``), its base language. The
    variant's catalog holds only the blocks that differ; any other block is the
    base's: the source text itself when the base is the source language (so it is
    not a fallback), else the base's usable entry in ``base_catalog``."""
    if locale == source_language:
        return Translation(locale, source_language, {}, (), {}, len(article.blocks))
    messages, fallbacks, reasons, lines = {}, [], {}, {}
    for block in article.blocks:
        message = catalog.get(block.text, context=block.context) if catalog is not None else None
        if message is not None and message.lineno:
            lines[block.key] = message.lineno
        reason = _unusable(message)
        if reason is None:
            messages[block.key] = message.string
            continue
        if base and base == source_language:  # a variant of the source: the base text is its text
            messages[block.key] = block.text
            continue
        if base_catalog is not None:
            inherited = base_catalog.get(block.text, context=block.context)
            if _unusable(inherited) is None:
                messages[block.key] = inherited.string
                continue
            reason = _unusable(inherited) if message is None else reason
        reasons[block.key] = reason
        fallbacks.append(block)
    return Translation(locale, source_language, messages, tuple(fallbacks), reasons, len(article.blocks), lines)


def _unusable(message) -> str | None:
    """Why a catalog entry cannot be shown ("untranslated", "fuzzy"), or None."""
    if message is None or not message.string or not isinstance(message.string, str):
        return "untranslated"
    return "fuzzy" if message.fuzzy else None


def load_translation(config: Config, article: Article, locale: str) -> Translation:
    catalog, base_catalog, base = None, None, ""
    if locale != config.source_language:
        catalog = read_catalog(catalog_path(config.locales_dir, locale, article.slug), locale)
        base_catalog, base = variant_base_catalog(config, locale, article.slug)
    return translate(article, catalog, locale, config.source_language, base=base, base_catalog=base_catalog)


def localized_blocks(config: Config, article: Article, locale: str) -> list[Block]:
    """The blocks of ``article`` that have a usable translation in ``locale``, with the
    translated text (for measuring translations)."""
    translation = load_translation(config, article, locale)
    if translation.is_source:
        return list(article.blocks)
    return [replace(b, text=translation.messages[b.key]) for b in article.blocks if b.key in translation.messages]


class InterfaceText:
    """Interface strings ("Page", "Last reviewed") for one locale, from the ui catalog.
    Untranslated or fuzzy entries fall back to English; ``language_of`` tells which.
    So does an entry with a QA error (``rejected``: why, at its catalog line), as a
    handout's rejected block does: a stray % or {0} could not be filled in, a changed
    number would mislead."""

    def __init__(self, config: Config, locale: str):
        self.locale = locale
        self.source_language = config.source_language
        self._strings: dict = {}
        self.rejected: dict = {}  # (msgctxt, msgid) -> "path:line: why"
        # A regional variant (en_US) holds only the strings that differ from its base:
        # the base's strings come first, then the variant's own.
        _, base = variant_base_catalog(config, locale, UI_DOMAIN)
        self._source_variant = bool(base) and base == config.source_language  # its base text is its text
        for code in ([base] if base and not self._source_variant else []) + [locale]:
            if code == config.source_language:
                continue
            catalog = read_catalog(catalog_path(config.locales_dir, code, UI_DOMAIN), code)
            if catalog is None:
                continue
            errors = {(problem.context, problem.msgid): problem.format()
                      for problem in interface_errors(config, code)}
            for message in catalog:
                if message.id and message.string and not message.fuzzy and isinstance(message.string, str):
                    key = (message.context, message.id)
                    if key in errors:
                        self.rejected[key] = errors[key]
                    else:
                        self._strings[key] = message.string
                        self.rejected.pop(key, None)

    def gettext(self, text: str) -> str:
        """Plain text (for attributes and the PDF footer)."""
        return self._strings.get((None, text), text)

    def marked(self, text: str):
        """Escaped HTML for visible text: an untranslated string carries its own ``lang``."""
        if (None, text) in self._strings or self._in_locale():
            return escape(self.gettext(text))
        return Markup('<span lang="%s">%s</span>') % (self.source_language, text)

    def pgettext(self, context: str, text: str) -> str:
        return self._strings.get((context, text), text)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)

    def language_of(self, text: str) -> str:
        return self.locale if (None, text) in self._strings or self._in_locale() else self.source_language

    def _in_locale(self) -> bool:
        """Every string not in the catalog is in the page's language already: the
        source language, or a regional variant of it (en_US)."""
        return self.locale == self.source_language or self._source_variant
