"""Command line: ``python -m pipeline <command>``. Thin: each command is a module of
``pipeline.commands`` with ``add_command(subparsers, common)`` and ``run(config, args)``.

Exit codes: 0 all well, 1 a check or output failed, 2 bad usage or bad input. This is
the one place errors become messages: a ``PipelineError`` prints its message, and a
YAML, catalog or text-encoding error that escaped a stage prints its file and line;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

import yaml
from babel.messages.catalog import TranslationError
from babel.messages.pofile import PoFileError

from pipeline import __version__
from pipeline.config import load_config
from pipeline.console import visible
from pipeline.errors import InputError, PipelineError

# Command name → the module that defines it, in the order --help lists them.
COMMAND_MODULES = {
    "build": "pipeline.commands.build",
    "check": "pipeline.commands.check",
    "extract": "pipeline.commands.extract",
    "update": "pipeline.commands.update",
    "init-locale": "pipeline.commands.init_locale",
    "stats": "pipeline.commands.stats",
    "qa": "pipeline.commands.qa",
    "audit": "pipeline.commands.audit",
    "serve": "pipeline.commands.serve",
}
# Errors of the libraries that read our input; they become "file:line: error: ..." and exit 2.
INPUT_ERRORS = (yaml.YAMLError, PoFileError, TranslationError, UnicodeError)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 on bad usage too; keep its message short
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def make_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or only the one ``argv`` names: each command
    module imports its stage, and loading every stage (textstat and nltk among them)
    to run one would cost each run 0.4 s of CPU (measured for `build`: 0.27 s to
    read its own command, 0.65 s to read all)."""
    parser = _Parser(prog="python -m pipeline",
                     description="Publish plain-language health handouts in every clinic's languages.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default="clinics.yaml", help="configuration file (default: clinics.yaml)")
    common.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    common.add_argument("-q", "--quiet", action="store_true", help="print only errors and the summary")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)
    subparsers.required = True
    named = next((word for word in argv or () if not word.startswith("-")), None)
    for name, module in COMMAND_MODULES.items():
        if named in COMMAND_MODULES and name != named:
            continue
        importlib.import_module(module).add_command(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s: %(name)s: %(message)s")
    try:
        args = make_parser(argv).parse_args(argv)  # a command's module may stop on import (no CMU dictionary)
        config = load_config(args.config)
        return int(args.func(config, args) or 0)
    except PipelineError as err:
        if debug:
            raise
        print(visible(err.format() if hasattr(err, "format") else str(err)), file=sys.stderr)
        return err.exit_code
    except INPUT_ERRORS as err:
        if debug:
            raise
        print(visible(input_error(err).format()), file=sys.stderr)
        return InputError.exit_code
    except ModuleNotFoundError as err:
        if debug or (err.name or "pipeline").split(".")[0] == "pipeline":
            raise  # one of our own modules missing is a bug: show where
        print(f"error: the Python package '{err.name}' is not installed\n"
              "  what to do: run `make` (it installs what pyproject.toml lists)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def input_error(err: Exception) -> InputError:
    """A library's error about its input, as our own: the file and line when it knows them."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    if mark is not None:  # YAML: 0-based line
        path, line = getattr(mark, "name", None), mark.line + 1
        message = " ".join(str(part) for part in (getattr(err, "context", None), err.problem) if part)
        if path in (None, "<unicode string>", "<byte string>", "<file>"):
            return InputError(None, None, f"cannot read YAML at line {line}: {message}",
                              "fix the YAML syntax at that line")
        return InputError(path, line, f"cannot read YAML: {message}", "fix the YAML syntax at that line")
    if isinstance(err, UnicodeError):
        before = getattr(err, "object", b"")[:getattr(err, "start", 0)]
        newline = b"\n" if isinstance(before, bytes) else "\n"
        where = f" at line {before.count(newline) + 1}" if before else ""
        return InputError(None, None, f"a file is not UTF-8 text{where} ({err})", "save it as UTF-8")
    line = getattr(err, "lineno", None)  # Babel's: 0-based, and no file name
    where = f" at line {line + 1}" if isinstance(line, int) else ""
    return InputError(None, None, f"cannot read a catalog{where}: {err}",
                      "fix the syntax (msgfmt --check shows it) or restore the file from version control")
