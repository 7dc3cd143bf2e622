"""Errors the command line turns into messages and exit codes.

Exit codes: 0 all well, 1 a check or an output failed, 2 bad usage or bad input.
"""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """Base class: anything the CLI reports without a traceback."""

    exit_code = 1


class InputError(PipelineError):
    """Bad input: names the file, the line and what to do (exit code 2)."""

    exit_code = 2

    def __init__(self, path: str | Path | None, line: int | None, message: str, hint: str = ""):
        self.path = str(path) if path is not None else None
        self.line = line
        self.message = message
        self.hint = hint
        super().__init__(self.format())

    def format(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = f"{where}error: {self.message}"
        if self.hint:
            text += f"\n  what to do: {self.hint}"
        return text


class BuildError(PipelineError):
    """An output could not be built (exit code 1)."""
