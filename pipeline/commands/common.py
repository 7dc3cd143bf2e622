"""What several commands share: which locales to work on, and the templates they need."""

from __future__ import annotations

import sys

from pipeline.catalogs import template_domains, template_path, translated_locales
from pipeline.console import visible
from pipeline.errors import InputError
from pipeline.model import Config
from pipeline.sources import article_paths


def add_locale_option(parser) -> None:
    parser.add_argument("--locale", action="append", metavar="LANG", help="only this locale (repeatable)")


def selected_locales(config: Config, args) -> list[str]:
    """The translated locales, or those named with --locale (which must be among them)."""
    locales = translated_locales(config)
    if getattr(args, "locale", None):
        unknown = [code for code in args.locale if code not in locales]
        if unknown:
            raise InputError(config.path, None, f"locale '{unknown[0]}' has no catalogs in this configuration",
                             "translated locales: " + (", ".join(locales) or "none"))
        return list(args.locale)
    return locales


def require_templates(config: Config) -> None:
    """Stop when there is no template to merge; warn about handouts without one."""
    if not template_domains(config.locales_dir):
        raise InputError(config.locales_dir, None, "there are no translation templates (*.pot)",
                         "run `python -m pipeline extract` first")
    missing = [p.stem for p in article_paths(config.source_dir)
               if not template_path(config.locales_dir, p.stem).exists()]
    if missing:
        print(visible(f"warning: no template yet for {', '.join(missing)}; run `python -m pipeline extract`"),
              file=sys.stderr)


MERGE_COLUMNS = [("locale", "left"), ("domain", "left"), ("file", "left"), ("kept", "right"),
                 ("revived", "right"), ("fuzzy", "right"), ("new", "right"), ("obsoleted", "right")]


def merge_rows(rows) -> list[list[str]]:
    """Rows of ``merge.merge_locale`` as table cells."""
    cells = []
    for locale, domain, status, report in rows:
        numbers = ([str(report.kept), str(report.revived), str(report.fuzzy), str(report.new), str(report.obsoleted)]
                   if report else [""] * 5)
        cells.append([locale, domain, status, *numbers])
    return cells
