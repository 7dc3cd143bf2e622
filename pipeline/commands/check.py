"""``python -m pipeline check``: are the handouts and their translations easy enough
to read, and what should change? Exit 0 when every reading meets its target, 1 when
one misses it, 2 for bad input."""

from __future__ import annotations

import json
import sys

from rich import box
from rich.markup import escape as rich_escape
from rich.rule import Rule
from rich.table import Table

from pipeline.console import console as console_for_terminal
from pipeline.console import visible
from pipeline.errors import InputError
from pipeline.model import Config
from pipeline.readability.measure import check_handouts
from pipeline.readability.report import (GROUPS, LABELS, SHORT_LABELS, describe_miss, format_value, grouped_words,
                                         reading_page, results_json, score_measures, worst_first, write_reports)
from pipeline.readability.results import Report, Results
from pipeline.review import handout_clinics, review_warnings

HELP = "check reading levels of handouts and translations (exit 1 if one misses its target)"
DESCRIPTION = """Measure every handout (English: Flesch-Kincaid, SMOG and more, with textstat) and
every translation (Marathi and Hindi: words per sentence, aksharas per word, long words;
Spanish: Szigriszt-Pazos and Fernández-Huerta, with textstat; Urdu: words per sentence,
letters per word, long words) against
the reading targets in the configuration and the handout's front matter. Lists the
hardest sentences, hard words with plainer ones, passive voice and clear-communication
problems, each with file:line. Writes outputs/reports/readability.{html,json}."""
TERMINAL_LIMIT = 5  # items per group in the terminal


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


def run(config: Config, args) -> int:
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
    for warning in review_warnings(config, handout_clinics(config, slugs)):  # reviews due soon or overdue
        print(visible(warning), file=sys.stderr)
    if args.format == "json":
        json.dump(results_json(results, filters), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print_results(results, console_for_terminal(), quiet=getattr(args, "quiet", False))
    return 0 if results.passed else 1


def escape(text: str) -> str:
    """Text from a handout or catalog as the terminal shows it: no rich markup read in
    it, no control characters sent."""
    return rich_escape(visible(text))


# One summary table per measure: its title, its columns and what they stand for.
TABLES = {
    "english": ("English", ["fk_grade", "smog", "flesch_reading_ease", "words_per_sentence"],
                "FK Flesch-Kincaid grade, SMOG grade, Ease Flesch reading ease, W/S words per sentence"),
    "devanagari": ("Devanagari (Marathi, Hindi)", ["words_per_sentence", "aksharas_per_word", "long_word_share"],
                   "W/S words per sentence, Ak/W aksharas per word, Long share of words with 5+ aksharas, "
                   "Sent (en) sentences (in the English)"),
    "spanish": ("Spanish", ["szigriszt_pazos", "fernandez_huerta", "words_per_sentence"],
                "SzP Szigriszt-Pazos perspicuity (INFLESZ: 65-80 bastante fácil), FH Fernández-Huerta ease, "
                "W/S words per sentence, Sent (en) sentences (in the English)"),
    "urdu": ("Urdu", ["words_per_sentence", "letters_per_word", "long_word_share"],
             "W/S words per sentence, L/W letters per word, Long share of words with 7+ letters, "
             "Sent (en) sentences (in the English); no validated Urdu formula exists (docs/readability.md)"),
}


def print_results(results: Results, console=None, quiet: bool = False) -> None:
    """The summary table (worst first), then what to change in each handout."""
    console = console or console_for_terminal()
    reports = worst_first(results.reports)
    for measure, (title, columns, caption) in TABLES.items():
        group = [r for r in reports if r.measure == measure]
        if not group:
            continue
        table = Table(title=f"Readability: {title}", title_justify="left", header_style="bold",
                      box=box.SIMPLE_HEAD, pad_edge=False, caption_justify="left", caption=caption)
        table.add_column("Handout", overflow="fold", min_width=12)
        table.add_column("Loc")
        for column in columns:
            table.add_column(SHORT_LABELS[column], justify="right")
        if measure == "english":
            table.add_column("Read", justify="right", no_wrap=True)
        else:
            table.add_column("Sent (en)", justify="right")
        table.add_column("Flags", justify="right")
        table.add_column("Result", no_wrap=True)
        for report in group:
            missed = {m.measure for m in report.misses}
            cells = []
            for column in columns:
                text = format_value(column, report.metrics.get(column))
                cells.append(f"[bold red]{text}[/]" if column in missed else text)
            if measure == "english":
                cells.append(format_value("reading_time_seconds", report.metrics.get("reading_time_seconds")))
            else:
                c = report.comparison or {}
                cells.append(f"{c['sentences']} ({c['source_sentences']})" if c else "–")
            result = "[green]pass[/]" if report.passed else "[bold red]FAIL[/]"
            table.add_row(escape(report.slug), report.locale, *cells, str(len(report.flags)), result)
        console.print(table)
    for report in reports:
        for miss in report.misses:
            console.print(f"[red]✗[/] {escape(report.file)} ({report.locale}): {escape(describe_miss(miss))}")
    for skipped in results.skipped:
        console.print(f"[yellow]skipped[/] {escape(skipped.slug)} ({skipped.locale}): {escape(skipped.reason)}")
    if not quiet:
        for report in reports:
            _print_details(console, report)
    failed = [r for r in reports if not r.passed]
    console.print()
    if failed:
        console.print(f"[bold red]{len(failed)} of {len(reports)} handout readings miss their targets.[/]")
    else:
        console.print(f"[green]All {len(reports)} handout readings meet their targets.[/]")


def _bar(value: float, limit: float, width: int = 20, scale: float | None = None) -> str:
    scale = scale or max(limit * 2, value, 1e-9)
    filled = max(0, min(width, round(width * value / scale)))
    colour = "red" if value > limit else "green"
    return f"[{colour}]{'█' * filled}[/][dim]{'·' * (width - filled)}[/]"


def _print_details(console, report: Report) -> None:
    status = "[green]pass[/]" if report.passed else "[bold red]FAIL[/]"
    console.print()
    console.print(Rule(f"[bold]{escape(report.slug)}[/] ({report.locale}) {status}", align="left"))
    scores = ", ".join(f"{LABELS[m]} {format_value(m, report.metrics.get(m))}" for m in score_measures(report))
    console.print(f"  {escape(report.file)}: {scores}")
    for note in report.notes:
        console.print(f"  [dim]{escape(note)}[/]")
    if report.comparison:
        c = report.comparison
        console.print(f"  compared with the English: {c['sentences']} sentences of {c['words_per_sentence']:.1f} words "
                      f"(English: {c['source_sentences']} of {c['source_words_per_sentence']:.1f})")
    main = score_measures(report)[0]
    limit = report.target.get(main)
    if len(report.sections) > 1 and limit:
        console.print("  [bold]Sections[/]")
        scale = max([limit * 1.5] + [s.metrics.get(main, 0) for s in report.sections])
        for section in report.sections:
            value = section.metrics.get(main, 0.0)
            name = section.title or "(top of the handout)"
            console.print(f"    {_bar(value, limit, scale=scale)} {format_value(main, value):>5}  "
                          f"{escape(name[:50])} [dim]line {section.line}[/]")
    more_in = escape(f"outputs/reports/{reading_page(report)}")
    for title, kinds in GROUPS:
        flags = [f for f in report.flags if f.kind in kinds]
        if not flags:
            continue
        console.print(f"  [bold]{title}[/] ({len(flags)})")
        if title == "Words":
            merged = grouped_words(flags)
            for flag, lines in merged[:TERMINAL_LIMIT * 2]:
                more = f" [dim](also line{'s' if len(lines) > 2 else ''} {', '.join(map(str, lines[1:]))})[/]" if len(lines) > 1 else ""
                fix = f" [green]→ {escape(flag.suggestion)}[/]" if flag.suggestion else ""
                console.print(f"    [cyan]{escape(flag.where)}[/]  [bold]{escape(flag.text)}[/]: {escape(flag.message)}{more}{fix}")
            if len(merged) > TERMINAL_LIMIT * 2:
                console.print(f"    [dim]… and {len(merged) - TERMINAL_LIMIT * 2} more in {more_in}[/]")
            continue
        for flag in flags[:TERMINAL_LIMIT]:
            grade = f" grade {flag.grade:.1f}" if flag.grade is not None and report.measure == "english" else ""
            console.print(f"    [cyan]{escape(flag.where)}[/]{grade}  {escape(flag.message)}")
            text = flag.text if len(flag.text) <= 120 else flag.text[:117] + "…"
            console.print(f"      [dim]“{escape(text)}”[/]")
            if flag.suggestion:
                console.print(f"      [green]→ {escape(flag.suggestion)}[/]")
        if len(flags) > TERMINAL_LIMIT:
            console.print(f"    [dim]… and {len(flags) - TERMINAL_LIMIT} more in {more_in}[/]")
