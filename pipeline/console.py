"""The terminal: one rich console for every command's tables, and text made safe to
show there (a file name or a translation may hold control characters)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.errors import shown


def console() -> Console:
    """A rich console; full-width lines when the output goes to a file or a pipe."""
    plain = Console()
    return plain if plain.is_terminal else Console(width=160)


def visible(text: str) -> str:
    """``text`` with each line made safe to show (``errors.shown``: control
    characters and invisible or direction-changing characters written as escapes),
    so that nothing read from a file can move the cursor, recolour or clear the
    terminal, or pass for other text. Line breaks stay."""
    return "\n".join(shown(line) for line in str(text).split("\n"))


def print_table(title: str, columns: list[tuple[str, str]], rows, out: Console | None = None) -> None:
    """One table: ``columns`` as (name, "left" | "right"), ``rows`` as lists of text
    (shown as written: no rich markup is read in them)."""
    table = Table(title=escape(visible(title)), title_justify="left")
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for row in rows:
        table.add_row(*(escape(visible(cell)) for cell in row))
    (out or console()).print(table)

