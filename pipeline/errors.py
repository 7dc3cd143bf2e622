"""Errors the command line turns into messages and exit codes.

Exit codes: 0 all well, 1 a check or an output failed, 2 bad usage or bad input.
"""

from __future__ import annotations

import re
from pathlib import Path

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def shown(text: object) -> str:
    """Untrusted text (a file name, a value from a file) as a message may print it:
    control characters, bidirectional overrides and invisible characters escaped, so
    a name can neither move the terminal's cursor nor pass for another name."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", str(text))


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
            where = f"{shown(self.path)}:{self.line}: " if self.line else f"{shown(self.path)}: "
        text = f"{where}error: {shown(self.message)}"
        if self.hint:
            text += f"\n  what to do: {shown(self.hint)}"
        return text


class BuildError(PipelineError):
    """An output could not be built (exit code 1)."""
