"""Command line: ``python -m pipeline <command>``. Thin: each command lives in its
stage's module, which registers itself with ``add_command(subparsers)``.

Exit codes: 0 all well, 1 a check or output failed, 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from pipeline import __version__
from pipeline.errors import PipelineError

# Modules that register a command, in the order --help lists them.
COMMAND_MODULES = [
    "pipeline.build",
    "pipeline.readability.command",
    "pipeline.extract",
    "pipeline.catalogs",
    "pipeline.qa",
    "pipeline.audit",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 on bad usage too; keep its message short
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m pipeline",
                     description="Publish plain-language health handouts in every clinic's languages.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default="clinics.yaml", help="configuration file (default: clinics.yaml)")
    common.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    common.add_argument("-q", "--quiet", action="store_true", help="print only errors and the summary")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_command(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s: %(name)s: %(message)s")
    try:
        from pipeline.config import load_config

        config = load_config(args.config)
        return int(args.func(config, args) or 0)
    except PipelineError as err:
        if args.debug:
            raise
        print(err.format() if hasattr(err, "format") else str(err), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
