"""Clinic variables that handouts and translations may use, such as ``{crisis_number}``.

Handouts are shared by clinics; what differs (phone, crisis line) is written as a
variable and filled in for each clinic when a page is rendered.
"""

from __future__ import annotations

import difflib
import re

from pipeline.errors import InputError
from pipeline.model import Clinic, localized

VARIABLE = re.compile(r"\{([a-z_]+)\}")

# name -> what it is, for translators and the README
VARIABLES = {
    "clinic_name": "the clinic's name",
    "clinic_phone": "the clinic's phone number",
    "crisis_line": "the name of the crisis line for the clinic's region",
    "crisis_number": "the crisis line's phone number",
    "emergency_number": "the emergency services number (ambulance, police)",
}

# Neutral stand-ins used when text is measured rather than shown.
SAMPLE_VALUES = {
    "clinic_name": "the clinic",
    "clinic_phone": "the clinic",
    "crisis_line": "the crisis line",
    "crisis_number": "the number",
    "emergency_number": "the number",
}


# Anything in braces on one line, as a reader would see it printed: a variable, a
# misspelt one ({clinic_phon}, {Clinic_Phone}, {0}) or a stray brace pair. A brace
# escaped for Markdown (\{) is text, not a placeholder.
PLACEHOLDER = re.compile(r"(?<!\\)\{([^{}\n]{0,80})(?<!\\)\}")
_LONE_BRACE = re.compile(r"(?<!\\)[{}]")
# The variables that are phone numbers: printed with non-breaking spaces, and linked.
PHONE_VARIABLES = ("clinic_phone", "crisis_number", "emergency_number")
NO_BREAK_SPACE = "\u00a0"


class UnknownVariable(InputError):
    """A placeholder that is not a clinic variable (``where`` is unknown here: the
    loader and QA, which know the file and line, check before anything expands)."""


def variables_in(text: str) -> list[str]:
    return VARIABLE.findall(text)


def placeholder_problems(text: str, known=VARIABLES) -> list[tuple[str, str, str]]:
    """What in Markdown ``text`` would print braces instead of a value, as (what is
    written, message, hint): a placeholder whose name is not in ``known`` (with the
    closest known name), or a brace without its partner."""
    escape = r"; to print a brace, write \{ or \}"
    problems = []
    names = ", ".join("{" + name + "}" for name in known) or "none"
    for match in PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name in known:
            continue
        close = difflib.get_close_matches(name.strip().lower(), list(known), n=1, cutoff=0.6)
        problems.append((match.group(), f"unknown variable {match.group()}",
                         (f"did you mean {{{close[0]}}}? " if close else "") + f"the variables are {names}"
                         + ("" if close else escape)))
    lone = _LONE_BRACE.search(PLACEHOLDER.sub("", text))
    if lone:
        problems.append((lone.group(), "a '{' or '}' without its partner",
                         f"the variables are {names}{escape}"))
    return problems


def clinic_values(clinic: Clinic, locale: str) -> dict[str, str]:
    """The text each variable stands for; phone numbers with non-breaking spaces,
    so that a number never breaks across lines."""
    return {
        "clinic_name": localized(clinic.name, locale)[0],
        "clinic_phone": unbroken(clinic.phone),
        "crisis_line": localized(clinic.crisis_line.name, locale)[0],
        "crisis_number": unbroken(clinic.crisis_line.number),
        "emergency_number": unbroken(clinic.emergency_number),
    }


def unbroken(number: str) -> str:
    """A phone number with non-breaking spaces between its groups."""
    return number.replace(" ", NO_BREAK_SPACE)


def expand(text: str, values: dict[str, str]) -> str:
    """Fill in the variables. Anything else in braces raises ``UnknownVariable``:
    no page may print an unresolved ``{…}``."""
    problems = placeholder_problems(text, values)
    if problems:
        _written, message, hint = problems[0]
        raise UnknownVariable(None, None, f"{message} in: {text[:80]}", hint)
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
