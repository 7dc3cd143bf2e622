"""``python -m pipeline extract``: write the translation templates (``locales/*.pot``)."""

from __future__ import annotations

import logging

from pipeline.catalogs import UI_DOMAIN, template_path, write_template
from pipeline.console import print_table, visible
from pipeline.extract import extract_article, extract_ui
from pipeline.model import Config
from pipeline.sources import article_paths, load_articles

log = logging.getLogger(__name__)


def add_command(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "extract", parents=[common], help="write the translation templates (locales/*.pot)",
        description="Extract every block of every handout, and the interface strings of the page "
                    "templates, into gettext templates under locales/. A template whose entries did "
                    "not change is left as it is.")
    parser.add_argument("slugs", nargs="*", metavar="slug", help="only these handouts (default: all, and ui)")
    parser.set_defaults(func=run)


def run(config: Config, args) -> int:
    """Write ``locales/<slug>.pot`` for each handout and ``locales/ui.pot``."""
    articles = load_articles(config.source_dir, args.slugs or None)
    results = []
    for article in articles:
        template = extract_article(article, config.root)
        path = template_path(config.locales_dir, article.slug)
        results.append((article.slug, len(template), write_template(template, path)))
    if not args.slugs:
        template = extract_ui(config)
        path = template_path(config.locales_dir, UI_DOMAIN)
        results.append((UI_DOMAIN, len(template), write_template(template, path)))
        known = {p.stem for p in article_paths(config.source_dir)} | {UI_DOMAIN}
        for stale in sorted(config.locales_dir.glob("*.pot")):
            if stale.stem not in known:
                log.warning("%s has no handout source/%s.md any more; delete it if the handout is gone "
                            "(the translations stay in the .po files)", visible(stale), visible(stale.stem))
    if not args.quiet:
        rows = [[domain, str(entries), "written" if written else "unchanged"] for domain, entries, written in results]
        print_table(f"Translation templates in {config.locales_dir.name}/",
                    [("domain", "left"), ("entries", "right"), ("template", "left")], rows)
    return 0
