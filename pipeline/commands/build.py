"""``python -m pipeline build``: build every web page, PDF and index page. Prints a
progress bar (one line per handout when not on a terminal), a line of timings and
the summary; exit 1 when an output failed, 2 for bad input."""

from __future__ import annotations

import os
import sys

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column

from pipeline.build import Summary, build, cores
from pipeline.build.executors import executor_spec, make_executor
from pipeline.commands.common import add_locale_option
from pipeline.console import visible
from pipeline.errors import InputError
from pipeline.formats import BOOKLET, BOOKLET_IMPOSED, DEFAULT_FORMATS, FORMATS, PRINT_SHOP
from pipeline.model import Config


def add_command(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "build", parents=[common], help="build web pages and PDFs for every clinic and locale",
        description="Build outputs/<clinic>/<locale>/<slug>.html and .pdf (and a large-print PDF) "
                    "for every handout, plus an index page per clinic. Outputs whose inputs did not "
                    "change since they were built are skipped; what is no longer published is taken down.")
    parser.add_argument("--clinic", action="append", metavar="ID", help="only this clinic (repeatable)")
    add_locale_option(parser)
    parser.add_argument("--article", action="append", metavar="SLUG", help="only this handout (repeatable)")
    parser.add_argument("--format", action="append", choices=FORMATS, dest="formats",
                        help="only this format (repeatable; default: html, pdf, large-print)")
    parser.add_argument("--print-shop", action="store_true",
                        help="also build <slug>.print-shop.pdf: 3 mm bleed and crop marks for a print shop")
    parser.add_argument("--booklet", action="store_true",
                        help="also build <slug>.booklet.pdf (pages half the clinic's paper, A5 from A4, a "
                             "multiple of 4, the help box on the back) and <slug>.booklet-imposed.pdf (those "
                             "pages two to a side of the clinic's paper, in folding order, to print on both sides)")
    parser.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help=f"worker processes (default: the number of cores, {cores()} here)")
    parser.add_argument("--executor", default=None, metavar="WHERE",
                        help="where units run: local (default: this machine's process pool), dask-local "
                             "(a Dask cluster on this machine) or dask://HOST:PORT (a Dask scheduler); "
                             "default: $HANDOUTS_EXECUTOR, else local")
    parser.set_defaults(func=run)


def run(config: Config, args) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise InputError(None, None, "--jobs must be 1 or more")
    formats = tuple(dict.fromkeys(args.formats)) if args.formats else DEFAULT_FORMATS
    if args.print_shop and PRINT_SHOP not in formats:
        formats += (PRINT_SHOP,)
    if args.booklet:
        formats += tuple(fmt for fmt in (BOOKLET, BOOKLET_IMPOSED) if fmt not in formats)
    progress = None if args.quiet else ProgressBar() if sys.stdout.isatty() else progress_lines
    spec = executor_spec(args.executor)
    try:
        with make_executor(spec, args.jobs) as executor:
            summary = build(config, clinics=args.clinic, locales=args.locale, slugs=args.article, formats=formats,
                            force=args.force, jobs=args.jobs, progress=progress, executor=executor)
    finally:
        if isinstance(progress, ProgressBar):
            progress.close()
    for warning in summary.warnings:  # reviews due soon or overdue
        print(visible(warning), file=sys.stderr)
    for problem in dict.fromkeys(summary.problems):  # one message per problem, not per output
        print(visible(problem), file=sys.stderr)
    if not args.quiet:
        print(describe_timings(summary))
    print(summary_line(summary, os.path.relpath(config.output_dir)))
    return summary.exit_code


def summary_line(summary: Summary, where: str) -> str:
    line = (f"{summary.built} built, {summary.skipped} up to date, {summary.failed} failed, "
            f"{summary.held} held back")
    if summary.withdrawn:
        line += f", {summary.withdrawn} withdrawn"
    return line + f" in {summary.seconds:.1f}s → {where}/"


def progress_lines(done: int, total: int, result) -> None:
    """One line per unit, for logs and CI."""
    status = "failed" if result.error else "built " + ", ".join(result.unit.formats)
    if result.held and not result.error:
        status += " (not published: " + ", ".join(result.held) + ")"
    print(f"[{done}/{total}] {visible(result.unit.name)} {status} {result.seconds:.1f}s", flush=True)


class ProgressBar:
    """A progress bar on an interactive terminal."""

    def __init__(self):
        self.bar = Progress(TextColumn("building"), BarColumn(bar_width=20), MofNCompleteColumn(),
                            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                            TextColumn("{task.description}",
                                       table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
                            transient=True, expand=True)
        self.task = None

    def __call__(self, done: int, total: int, result) -> None:
        if self.task is None:
            self.task = self.bar.add_task("", total=total)
            self.bar.start()
        self.bar.update(self.task, completed=done, description=visible(result.unit.name))
        if result.error:
            self.bar.console.print(f"failed: {visible(result.unit.name)}")

    def close(self) -> None:
        if self.task is not None:
            self.bar.stop()


def describe_timings(summary: Summary) -> str:
    """Where the time went, in one line: planning, building (per output), finishing."""
    t = summary.timings
    parts = [f"planning {t.planning:.2f}s"]
    if t.outputs:
        each = ", ".join(f"{fmt} {seconds / count:.2f}s" for fmt, (count, seconds) in sorted(t.outputs.items()))
        parts.append(f"building {t.building:.1f}s on {t.workers} worker{'s' if t.workers != 1 else ''} "
                     f"({each} each)")
        if t.slowest[0]:
            parts.append(f"slowest {t.slowest[0]} {t.slowest[1]:.1f}s")
    parts.append(f"index and manifest {t.finishing:.2f}s")
    if t.peak_memory:
        parts.append(f"peak memory per worker {max(t.peak_memory.values()) / 2**20:.0f} MB")
    return "timings: " + "; ".join(parts)
