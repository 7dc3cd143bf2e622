"""``python -m pipeline check``: are the handouts and their translations easy enough
to read, and what should change? Exit 0 when every reading meets its target, 1 when
one misses it, 2 for bad input."""

from __future__ import annotations

import json
import sys

from pipeline.errors import InputError

HELP = "check reading levels of handouts and translations (exit 1 if one misses its target)"
DESCRIPTION = """Measure every handout (English: Flesch-Kincaid, SMOG and more, with textstat) and
every translation (Marathi: words per sentence, aksharas per word, long words) against
the reading targets in the configuration and the handout's front matter. Lists the
hardest sentences, hard words with plainer ones, passive voice and clear-communication
problems, each with file:line. Writes outputs/reports/readability.{html,json}."""


def add_command(subparsers, common) -> None:
    parser = subparsers.add_parser("check", parents=[common], help=HELP, description=DESCRIPTION)
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people (default), json for tools")
    parser.add_argument("--locale", action="append", metavar="CODE",
                        help="only this locale (repeatable; default: every configured locale)")
    parser.add_argument("--article", action="append", metavar="SLUG",
                        help="only this handout, by file name without .md (repeatable)")
    parser.add_argument("--no-report", action="store_true",
                        help="do not write outputs/reports/readability.html and .json")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="check in N processes (0: one per core); helps with hundreds of handouts")
    parser.set_defaults(func=run)


def run(config, args) -> int:
    from pipeline.readability.measure import check_handouts
    from pipeline.readability.report import print_results, results_json, write_reports

    locales = list(dict.fromkeys(getattr(args, "locale", None) or config.locales))
    for code in locales:
        if code not in config.locales:
            raise InputError(config.path, None, f"unknown locale '{code}'",
                             "use one of: " + ", ".join(config.locales))
    if not config.source_dir.is_dir():
        raise InputError(config.source_dir, None, "the handout folder does not exist",
                         "create it, or set paths.source in the configuration")
    slugs = list(dict.fromkeys(args.article)) if getattr(args, "article", None) else None
    if args.jobs < 0:
        raise InputError(None, None, "--jobs must be 0 (one per core) or more")
    results = check_handouts(config, slugs, locales, args.jobs)
    filters = {key: value for key, value in (("locale", args.locale), ("article", args.article)) if value}
    if not getattr(args, "no_report", False):
        write_reports(results, config.output_dir / "reports", filters)
    if args.format == "json":
        json.dump(results_json(results, filters), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        from rich.console import Console

        print_results(results, Console(), quiet=getattr(args, "quiet", False))
    return 0 if results.passed else 1
