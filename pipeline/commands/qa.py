"""``python -m pipeline qa``: check every translation against its source. Exit 1
when there is an error (errors hold a PDF back)."""

from __future__ import annotations

import json
from dataclasses import asdict

from pipeline.commands.common import add_locale_option, selected_locales
from pipeline.console import visible
from pipeline.model import Config
from pipeline.qa import ERROR, WARNING, check_locale


def add_command(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "qa", parents=[common], help="check translations against their source",
        description="Check every translated entry: Markdown, link targets, numbers, clinic variables, end "
                    "marks, copies of the source, glossary terms. Prints file:line: severity: message; "
                    "exits 1 when there is an error (errors block publishing).")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    add_locale_option(parser)
    parser.set_defaults(func=run)


def run(config: Config, args) -> int:
    problems, catalogs = [], 0
    for locale in selected_locales(config, args):
        found, read = check_locale(config, locale)
        problems += found
        catalogs += read
    errors = sum(1 for p in problems if p.severity == ERROR)
    warnings = len(problems) - errors
    if args.format == "json":
        print(json.dumps({"errors": errors, "warnings": warnings, "catalogs": catalogs,
                          "problems": [asdict(p) for p in problems]}, indent=2, ensure_ascii=False))
    else:
        for problem in problems:
            if not (args.quiet and problem.severity == WARNING):
                print(visible(problem.format()))
        print(f"qa: {errors} error(s), {warnings} warning(s) in {catalogs} catalog(s)")
    return 1 if errors else 0
