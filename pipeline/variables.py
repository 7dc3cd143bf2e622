"""Clinic variables that handouts and translations may use, such as ``{crisis_number}``.

Handouts are shared by clinics; what differs (phone, crisis line) is written as a
variable and filled in for each clinic when a page is rendered.
"""

from __future__ import annotations

import re

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


def variables_in(text: str) -> list[str]:
    return VARIABLE.findall(text)


def unknown_variables(text: str) -> list[str]:
    return [name for name in VARIABLE.findall(text) if name not in VARIABLES]


def clinic_values(clinic: Clinic, locale: str) -> dict[str, str]:
    return {
        "clinic_name": localized(clinic.name, locale)[0],
        "clinic_phone": clinic.phone,
        "crisis_line": localized(clinic.crisis_line.name, locale)[0],
        "crisis_number": clinic.crisis_line.number,
        "emergency_number": clinic.emergency_number,
    }


def expand(text: str, values: dict[str, str]) -> str:
    """Fill in known variables; leave anything else untouched."""
    return VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text)
