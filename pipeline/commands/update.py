"""``python -m pipeline update``: merge the templates into every locale's catalogs."""

from __future__ import annotations

from pipeline.commands.common import (MERGE_COLUMNS, add_locale_option, merge_rows, require_templates,
                                      selected_locales)
from pipeline.console import print_table
from pipeline.merge import merge_locale
from pipeline.model import Config
from pipeline.variants import is_variant, merge_variant


def add_command(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "update", parents=[common], help="merge the templates into every locale's catalogs",
        description="Bring locales/<lang>/LC_MESSAGES/*.po in line with the templates (run extract first). "
                    "Unchanged entries keep their translation; changed ones become fuzzy with the old text "
                    "shown; removed ones are kept as obsolete and come back if the text returns.")
    add_locale_option(parser)
    parser.set_defaults(func=run)


def run(config: Config, args) -> int:
    """Merge every template into every translated locale's catalogs."""
    require_templates(config)
    rows = []
    for locale in selected_locales(config, args):  # a regional variant keeps only the blocks that differ
        rows += merge_variant(config, locale) if is_variant(config, locale) else merge_locale(config, locale)
    if not args.quiet:
        print_table("Catalogs updated", MERGE_COLUMNS, merge_rows(rows))
    return 0
