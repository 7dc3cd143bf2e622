"""``python -m pipeline stats``: how much of each handout is translated, per locale."""

from __future__ import annotations

import json

from babel.messages.catalog import Catalog

from pipeline.catalogs import UI_DOMAIN, catalog_path, catalog_stats, read_catalog, template_path
from pipeline.commands.common import add_locale_option, selected_locales
from pipeline.console import console, print_table
from pipeline.extract import extract_ui
from pipeline.model import Config
from pipeline.publish import HELD, PUBLISHED, WITHDRAWN, load_publication
from pipeline.sources import load_articles
from pipeline.variants import is_variant

COLUMNS = [("domain", "left"), ("translated", "right"), ("fuzzy", "right"), ("untranslated", "right"),
           ("entries %", "right"), ("words", "right"), ("words %", "right"), ("shown %", "right"),
           ("PDF", "left")]


def add_command(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "stats", parents=[common], help="translation progress per locale and handout",
        description="Translated, fuzzy and untranslated entries per locale and handout, by entries and by "
                    "source words. Percentages are rounded down: 100 means complete.")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    add_locale_option(parser)
    parser.set_defaults(func=run)


def run(config: Config, args) -> int:
    """Translation progress per locale and handout."""
    stats = {locale: locale_stats(config, locale) for locale in selected_locales(config, args)}
    if args.format == "json":
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return 0
    out = console()
    for locale, domains in stats.items():
        clinics = [cid for cid, clinic in config.clinics.items() if locale in clinic.locales]
        language = config.locales[locale]
        rows = [[domain, str(counts["translated"]), str(counts["fuzzy"]), str(counts["untranslated"]),
                 f"{counts['percent']:.1f}", f"{counts['words_translated']}/{counts['words_total']}",
                 f"{counts['words_percent']:.1f}", *_publishing(counts)] for domain, counts in domains.items()]
        print_table(f"{locale} ({language.english_name}) — clinics: {', '.join(clinics) or 'none'}",
                    COLUMNS, rows, out)
    return 0


def locale_stats(config: Config, locale: str) -> dict[str, dict]:
    """domain → stats for one locale: every handout, then the interface."""
    result = {}
    variant = is_variant(config, locale)
    for article in load_articles(config.source_dir):
        catalog = read_catalog(catalog_path(config.locales_dir, locale, article.slug), locale)
        # a regional variant (en_US) is measured against its own entries: the rest is its base's
        result[article.slug] = catalog_stats(catalog, _own(catalog) if variant else article)
        # what patients get, as the build decides it (QA-rejected entries show in English)
        result[article.slug]["publishing"] = {
            clinic.id: load_publication(config, article, clinic, config.locales[locale]).summary()
            for clinic in config.clinics.values() if locale in clinic.locales}
    ui = read_catalog(catalog_path(config.locales_dir, locale, UI_DOMAIN), locale)
    result[UI_DOMAIN] = catalog_stats(ui, _own(ui) if variant else _ui_template(config))
    return result


def _own(catalog: Catalog | None) -> Catalog:
    """A regional variant's own entries, as the template its statistics count."""
    return catalog if catalog is not None else Catalog()


def _publishing(counts: dict) -> list[str]:
    """The "shown %" and "PDF" cells: the percent shown in the language (rounded down)
    and, per clinic, whether the PDF is published or why not."""
    decisions = counts.get("publishing")
    if not decisions:
        return ["", ""]
    percent = min(d["percent"] for d in decisions.values())
    words = {PUBLISHED: "published", HELD: "held back", WITHDRAWN: "not published"}
    pdf = "; ".join(f"{cid}: {words[d['formats']['pdf']['status']]}"
                    + (f": {d['formats']['pdf']['reason']}" if d["formats"]["pdf"]["reason"] else "")
                    for cid, d in decisions.items())
    return [str(percent), pdf]


def _ui_template(config: Config) -> Catalog:
    """The interface template on disk, or as extraction would write it."""
    template = read_catalog(template_path(config.locales_dir, UI_DOMAIN))
    return template if template is not None else extract_ui(config)
