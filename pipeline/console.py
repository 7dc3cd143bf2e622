"""The terminal: one rich console for every command's tables, and text made safe to
show there (a file name or a translation may hold control characters)."""

from __future__ import annotations

import re
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

# C0 and C1 control characters but newline and tab: shown as \x1b, never sent to the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def console() -> Console:
    """A rich console; full-width lines when the output goes to a file or a pipe."""
    plain = Console()
    return plain if plain.is_terminal else Console(width=160)


def visible(text: str) -> str:
    """``text`` with its control characters written as escapes (``\\x1b``), so that
    nothing read from a file can move the cursor, recolour or clear the terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def print_table(title: str, columns: list[tuple[str, str]], rows, out: Console | None = None) -> None:
    """One table: ``columns`` as (name, "left" | "right"), ``rows`` as lists of text
    (shown as written: no rich markup is read in them)."""
    table = Table(title=escape(visible(title)), title_justify="left")
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for row in rows:
        table.add_row(*(escape(visible(cell)) for cell in row))
    (out or console()).print(table)


def error(message: str) -> None:
    """A message for the person at the terminal, on standard error."""
    print(visible(message), file=sys.stderr)
