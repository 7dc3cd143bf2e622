"""``python -m pipeline init-locale <lang>``: start the catalogs of a new language."""

from __future__ import annotations

import sys

from pipeline.catalogs import plural_forms
from pipeline.commands.common import MERGE_COLUMNS, merge_rows, require_templates
from pipeline.config import LOCALE_PATTERN
from pipeline.console import print_table, visible
from pipeline.errors import InputError
from pipeline.merge import merge_locale
from pipeline.model import Config
from pipeline.variants import base_of, is_variant


def add_command(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "init-locale", parents=[common], help="create the catalogs of a new language",
        description="Create locales/<lang>/LC_MESSAGES/<domain>.po for every template, with the language's "
                    "header and plural forms. Catalogs that exist already are left as they are.")
    parser.add_argument("lang", help="gettext language code, e.g. mr, hi, pt_BR")
    parser.set_defaults(func=run)


def run(config: Config, args) -> int:
    """Create the catalogs of a new language; catalogs that exist are left as they are."""
    locale = args.lang
    if not LOCALE_PATTERN.match(locale):
        raise InputError(None, None, f"'{locale}' is not a locale code", "use a gettext code such as mr, hi or pt_BR")
    if locale == config.source_language:
        raise InputError(config.path, None, f"'{locale}' is the source language; it has no catalogs")
    plural_forms(locale)  # an unknown language stops here, before any file is written
    if is_variant(config, locale):
        raise InputError(config.path, None, f"'{locale}' is a regional variant of '{base_of(locale)}': its catalogs "
                         "hold only the blocks that differ, so none are started for it",
                         f"create locales/{locale}/LC_MESSAGES/<slug>.po with the entries that differ "
                         "(docs/translation.md, 'Regional variants')")
    require_templates(config)
    rows = merge_locale(config, locale, only_new=True)
    if not args.quiet:
        print_table(f"Catalogs for {locale}", MERGE_COLUMNS, merge_rows(rows))
    if locale not in config.locales:
        print(visible(f"note: add '{locale}' under 'locales' in {config.path.name} (and to a clinic's locales) "
                      "so that update, stats, qa and the build include it"), file=sys.stderr)
    return 0
