"""Interface strings that code, not a template, puts on a page, marked for extraction.

A comment on the line above a string is its note to translators. Every translation
of an interface string is checked with ``format_problems`` before it is shown (QA
reports it at its catalog line; the page shows the English string instead)."""

from __future__ import annotations

import re
from collections import Counter
from string import Formatter


def N_(text: str) -> str:
    """Mark ``text`` for the ui catalog; it is translated where it is used."""
    return text


# index page: a link to a handout's PDF
PRINT_VERSION = N_("Print version (PDF)")
# index page: how much of a handout is translated, when not all of it is; {percent} is a whole number
TRANSLATED_PERCENT = N_("{percent}% translated")
# a link to the same handout printed in large type (18 pt and more), for readers with low vision
LARGE_PRINT_VERSION = N_("Large print (PDF)")
# PDF: what a screen reader says for a phone link; {number} is the phone number
CALL_NUMBER = N_("Call {number}")
# PDF: what a screen reader says for an email link; {address} is the email address
EMAIL_ADDRESS = N_("Email {address}")


# ------------------------------------------------------------------ checking a translation

# An interface string is filled in with str.format ({number}) or, in a template, with
# Jinja's % formatting (%(name)s): the translation may hold only the source's own fields.
_PERCENT_FIELD = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<rest>[^a-zA-Z%]*[a-zA-Z%]?)")


def format_problems(source: str, translation: str) -> list[str]:
    """Why ``translation`` cannot stand in for the interface string ``source``: its
    fields differ from the source's, or carry a width, a conversion or a position.
    ``[]`` when it may be shown. Read with ``string.Formatter().parse``, as ``format``
    reads it, and with the rules of ``%`` formatting, which templates apply to every string."""
    problems = _brace_problems(source, translation)
    if _percent_fields(source) is not None:  # a source that % formatting reads: every template string
        problems += _percent_problems(source, translation)
    return problems


def _brace_fields(text: str) -> list[tuple[str, str, str | None]] | None:
    """(field, format spec, conversion) of every {field} in ``text``; None if ``format`` cannot read it."""
    try:
        return [(name, spec or "", conversion) for _literal, name, spec, conversion in Formatter().parse(text)
                if name is not None]
    except ValueError:
        return None


def _brace_problems(source: str, translation: str) -> list[str]:
    fields = _brace_fields(translation)
    if fields is None:
        return ["a single '{' or '}': braces mark a field such as {number}; copy the source's fields exactly"]
    problems = []
    for name, spec, conversion in fields:
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if not name or name.isdigit():
            problems.append(f"{shown}: a field by position; use the source's named fields")
        elif not name.isidentifier():
            problems.append(f"{shown}: a field may not reach into a value ('.' or '['); use the source's fields")
        elif spec or conversion:
            problems.append(f"{shown}: a field with a width, format or conversion; write {{{name}}} alone")
    wanted = Counter(name for name, _, _ in _brace_fields(source) or [])
    found = Counter(name for name, _, _ in fields)
    for name in sorted(set(wanted) | set(found)):
        if wanted[name] != found[name] and (not name or name.isidentifier()):
            problems.append(f"{{{name}}} appears {wanted[name]} time(s) in the source and {found[name]} in the "
                            "translation; copy the source's fields exactly, braces included")
    return problems


def _percent_fields(text: str) -> Counter | None:
    """The %(name)s fields of ``text`` (%% is a percent sign); None if any other %
    is in it, which % formatting would refuse or read as a field."""
    found: Counter = Counter()
    for match in _PERCENT_FIELD.finditer(text):
        if match.group() == "%%":
            continue
        if not _is_named_field(match):
            return None
        found[match.group()] += 1
    return found


def _is_named_field(match: re.Match) -> bool:
    return bool(match.group("name") and match.group("name").isidentifier() and match.group("rest") == "s")


def _percent_problems(source: str, translation: str) -> list[str]:
    found = _percent_fields(translation)
    if found is None:
        stray = next(m for m in _PERCENT_FIELD.finditer(translation) if m.group() != "%%" and not _is_named_field(m))
        shown = translation[stray.start():stray.start() + 12]
        return [f"a '%' that is not one of the source's fields, at '{shown}'; write %% for a percent sign"]
    wanted = _percent_fields(source)
    return [f"{token} appears {wanted[token]} time(s) in the source and {found[token]} in the translation; "
            "copy the source's fields exactly" for token in sorted(set(wanted) | set(found))
            if wanted[token] != found[token]]
