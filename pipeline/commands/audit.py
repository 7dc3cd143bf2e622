"""``python -m pipeline audit``: check every built PDF for accessibility (PDF/UA).
Exit 1 when a PDF fails."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from pipeline.audit import CHECKS, audit_folder, audit_pdf, expected_language
from pipeline.console import visible
from pipeline.errors import InputError
from pipeline.files import display_path
from pipeline.model import Config
from pipeline.page_fill import measure_all as page_economy


def add_command(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "audit", parents=[common], help="check every built PDF for accessibility (PDF/UA)",
        description="Check every PDF under the output folder (or the PDFs named): tagged structure, "
                    "language, title shown in the window, headings in order, alternative text, table "
                    "headers, link descriptions, embedded fonts with ToUnicode maps, page headers and "
                    "footers kept out of the reading order, no heading alone at a page bottom. "
                    "Also prints the pages of each PDF and how full each is, with a warning for a page "
                    "but the last under 60 % or an edition over its page limit (warnings do not fail). "
                    "Exit 1 when any PDF fails.")
    parser.add_argument("pdfs", nargs="*", type=Path, metavar="PDF",
                        help="PDFs to check (default: every PDF under the output folder)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    parser.set_defaults(func=run)


def run(config: Config, args) -> int:
    if args.pdfs:
        missing = [p for p in args.pdfs if not p.is_file()]
        if missing:
            raise InputError(missing[0], None, "no such PDF", "build first: python -m pipeline build")
        paths = list(args.pdfs)
        problems = [p for path in paths
                    for p in audit_pdf(path, expected_language(path, config.locales), name=display_path(path, Path.cwd()))]
    else:
        paths, problems = audit_folder(config.output_dir, config.locales)
        if not paths:
            raise InputError(config.output_dir, None, "no PDFs to check",
                             "build them first: python -m pipeline build")
    failed = sorted({p.path for p in problems})
    economy = page_economy(paths)
    if args.format == "json":
        report = {"checked": len(paths), "failed": len(failed), "checks": [c.__name__ for c in CHECKS],
                  "problems": [asdict(p) for p in problems],
                  "pages": {display_path(e.path, Path.cwd()): {"edition": e.edition,
                                                                "fill": [page.fill for page in e.pages],
                                                                "warnings": e.problems()} for e in economy}}
        json.dump(report, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for problem in problems:
            print(visible(problem.format()))
        for measured in economy:  # what each PDF costs to print; a warning does not fail the audit
            name = visible(display_path(measured.path, Path.cwd()))
            print(f"{name}: {measured.summary()}")
            for warning in measured.problems():
                print(f"{name}: warning: {warning}")
        print(f"{len(paths)} PDF(s) checked, {len(paths) - len(failed)} passed, {len(failed)} failed "
              f"({len(problems)} problem(s))")
    return 1 if problems else 0
