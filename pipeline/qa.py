"""Translation checks: every translated entry against its source text.

Each check is a small function that takes one ``Entry`` and yields ``Problem``s
(Babel's ``checkers.py`` style); ``CHECKS`` lists them in the order they run.
Errors block publishing (the build refuses a PDF whose catalog has one); warnings
are reported for the translator to look at.

| check                | severity | what it catches                                            |
|----------------------|----------|------------------------------------------------------------|
| markdown_structure   | error    | bold, italic, code, link and image counts that differ      |
| link_targets         | error    | a link or image pointing somewhere else                    |
| numbers              | error    | numbers added, dropped or changed (० – ९ count as 0 – 9)   |
| placeholders         | error    | clinic variables such as {crisis_number}, %(name)s         |
| interface_fields     | error    | an interface string's fields: no {0}, width, !r or stray % |
| end_mark             | warning  | a missing, doubled or changed end mark (. ? ! । ۔ ؟)       |
| identical_to_source  | error*   | the source text copied as the translation                  |
| glossary_terms       | warning  | a glossary term translated another way                     |

(*) an error when the languages use different scripts; a warning otherwise.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

from pipeline import security
from pipeline.catalogs import UI_DOMAIN, catalog_path, read_catalog, without_link_targets
from pipeline.config import load_yaml_file
from pipeline.errors import InputError
from pipeline.files import display_path, file_stamp
from pipeline.interface import format_problems
from pipeline.markup import shared_markdown
from pipeline.model import Config
from pipeline.sources import article_paths
from pipeline.variables import PLACEHOLDER, VARIABLE, VARIABLES, placeholder_problems

log = logging.getLogger(__name__)

ERROR = "error"
WARNING = "warning"

# End marks per language; "…" stands for an ellipsis however it is typed.
END_MARKS = ".?!…"
EXTRA_END_MARKS = {"mr": "।", "hi": "।", "ne": "।", "sa": "।॥", "bn": "।",
                   # Arabic script: full stop ۔ (Urdu) and question mark ؟; the comma ، ends nothing
                   "ur": "۔؟", "ar": "؟", "fa": "؟", "ps": "۔؟", "sd": "۔؟"}
QUESTION_MARKS = "?؟"


@dataclass(frozen=True)
class Problem:
    """Something wrong with one translation, where it is and how bad."""

    path: str
    line: int | None
    severity: str  # error | warning
    message: str
    check: str = ""
    msgid: str = ""
    context: str | None = None

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"


# ------------------------------------------------------------------ glossary


@dataclass(frozen=True)
class GlossaryTerm:
    """A source-language term and the forms a translation may use for it (the
    first is the preferred one). A term that is a URL names a localized page a
    link may point to instead."""

    source: str
    targets: tuple[str, ...]
    note: str = ""
    line: int | None = None

    @property
    def is_link(self) -> bool:
        return self.source.startswith(("http://", "https://"))

    @property
    def kept(self) -> bool:
        """Kept as it is in the translation (an abbreviation such as TMS)."""
        return self.source in self.targets

    @property
    def pattern(self) -> re.Pattern:
        words = r"\s+".join(re.escape(word) for word in self.source.split())
        flags = re.IGNORECASE if self.source == self.source.lower() else 0
        return re.compile(rf"(?<![\w-]){words}(?:s|es)?(?![\w-])", flags)


def load_glossary(path: Path, source_language: str, locale: str) -> tuple[GlossaryTerm, ...]:
    """Read a glossary: a YAML list of entries, each with the term in the source
    language, its translation (one form or a list of accepted forms) and a note."""
    path = Path(path)
    data = load_yaml_file(path, "the glossary file does not exist",
                          "create it (see docs/translation.md) or remove 'glossary' from the locale")
    if data is None:
        return ()
    if not isinstance(data, list):
        raise InputError(path, 1, "a glossary is a list of entries",
                         f"write one '- {source_language}: term' entry per term, with '{locale}:' and 'note:'")
    terms = []
    allowed = {source_language, locale, "note"}
    for item in data:
        line = getattr(item, "line", None)
        if not isinstance(item, dict):
            raise InputError(path, line, "each glossary entry must be a mapping",
                             f"write '- {source_language}: term' then '{locale}: translation' and 'note: ...'")
        for key in item:
            if key not in allowed:
                raise InputError(path, item.lines.get(key, line), f"unknown key '{key}' in a glossary entry",
                                 "allowed keys: " + ", ".join(sorted(allowed)))
        source = item.get(source_language)
        target = item.get(locale)
        if not isinstance(source, str) or not source.strip():
            raise InputError(path, line, f"a glossary entry has no '{source_language}' term")
        targets = [target] if isinstance(target, str) else target
        if not isinstance(targets, list) or not targets or not all(isinstance(t, str) and t.strip() for t in targets):
            raise InputError(path, item.lines.get(locale, line), f"'{source.strip()}' has no '{locale}' translation",
                             "give one translation, or a list of accepted forms with the preferred one first")
        note = item.get("note") or ""
        if not isinstance(note, str):
            raise InputError(path, item.lines.get("note", line), "a glossary note must be text")
        terms.append(GlossaryTerm(source.strip(), tuple(t.strip() for t in targets), note.strip(), line))
    return tuple(terms)


def glossary_for(config: Config, locale: str) -> tuple[GlossaryTerm, ...]:
    language = config.locales.get(locale)
    if language is None or language.glossary is None:
        return ()
    stamp = file_stamp(language.glossary)  # None: load_glossary says the file is missing
    return _cached_glossary(language.glossary, stamp, config.source_language, locale)


@lru_cache(maxsize=16)
def _cached_glossary(path: Path, stamp, source_language: str, locale: str) -> tuple[GlossaryTerm, ...]:
    """A glossary read once per process while the file stays the same (a build checks
    every catalog of a locale against it)."""
    return load_glossary(path, source_language, locale)


# ------------------------------------------------------------------ what a check sees


@dataclass(frozen=True)
class Entry:
    """One translated text under check, with what the checks need to know."""

    source: str
    translation: str
    path: str
    line: int | None
    locale: str
    source_language: str
    glossary: tuple[GlossaryTerm, ...] = ()
    markdown: bool = True  # handout text; the interface strings are plain text
    other_script: bool = True  # the locale writes in another script than the source
    msgid: str = ""
    context: str | None = None

    def problem(self, severity: str, check: str, message: str) -> Problem:
        return Problem(self.path, self.line, severity, message, check, self.msgid, self.context)


# ------------------------------------------------------------------ Markdown structure


@dataclass(frozen=True)
class Structure:
    """What Python-Markdown makes of a text: how many of each inline element, and
    where its links and images point."""

    counts: tuple  # ((tag, count), ...)
    links: tuple[str, ...]
    images: tuple[str, ...]

    def count(self, tag: str) -> int:
        return dict(self.counts).get(tag, 0)


INLINE_ELEMENTS = {
    "strong": "bold text (**…**)",
    "em": "italic text (*…*)",
    "code": "code (`…`)",
    "a": "links",
    "img": "images",
}


class _InlineCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.counts = Counter()
        self.links = []
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag in INLINE_ELEMENTS:
            self.counts[tag] += 1
        values = dict(attrs)
        if tag == "a":
            self.links.append(values.get("href") or "")
        elif tag == "img":
            self.images.append(values.get("src") or "")


@lru_cache(maxsize=4096)
def structure(text: str) -> Structure:
    """Render ``text`` with the project's Markdown reading and collect its inline elements."""
    html = shared_markdown().convert(text)
    collector = _InlineCollector()
    collector.feed(html)
    collector.close()
    return Structure(tuple(sorted(collector.counts.items())), tuple(collector.links), tuple(collector.images))


# ------------------------------------------------------------------ the checks


def safe_markup(entry: Entry) -> Iterator[Problem]:
    """Raw HTML, scripts, event handlers, links that run code and images from outside
    source/images never reach a page (the renderer strips them): say where they were."""
    for finding in security.find_unsafe_markup(entry.translation, markdown=entry.markdown):
        yield entry.problem(ERROR, "safe_markup", f"{finding.message}; {finding.hint}")


def _renderable(entry: Entry) -> bool:
    """Whether both texts are small enough to render (safe_markup reports the rest)."""
    return not (security.markup_limits(entry.source) or security.markup_limits(entry.translation))


def markdown_structure(entry: Entry) -> Iterator[Problem]:
    """Emphasis, code, links and images must survive translation, one for one."""
    if not entry.markdown or not _renderable(entry):
        return
    source, translation = structure(entry.source), structure(entry.translation)
    for tag, label in INLINE_ELEMENTS.items():
        want, got = source.count(tag), translation.count(tag)
        if want != got:
            yield entry.problem(ERROR, "markdown_structure",
                                f"{label}: the source has {want}, the translation {got}; "
                                "move the Markdown marks with the words they belong to")


def link_targets(entry: Entry) -> Iterator[Problem]:
    """Links and images point where the source's do, or to a localized version."""
    if not entry.markdown or not _renderable(entry):
        return
    source, translation = structure(entry.source), structure(entry.translation)
    for kind, wanted, found in (("link", source.links, translation.links),
                                ("image", source.images, translation.images)):
        if len(wanted) != len(found):
            continue  # markdown_structure reports the count
        remaining = list(found)
        missing = []
        for target in wanted:
            if target in remaining:
                remaining.remove(target)
                continue
            localized = next((t for t in remaining if _is_localized_target(target, t, entry)), None)
            if localized is not None:
                remaining.remove(localized)
            else:
                missing.append(target)
        for target, instead in zip(missing, remaining):
            yield entry.problem(ERROR, "link_targets",
                                f"{kind} target changed: the source has ({target}), the translation ({instead}); "
                                "keep the target, or list the localized page in the glossary")


def _is_localized_target(source_url: str, translated_url: str, entry: Entry) -> bool:
    """The same page in the locale's language: listed in the glossary, or the same
    address with the language code changed (/en/ → /mr/, en. → mr., lang=en → lang=mr)."""
    for term in entry.glossary:
        if term.is_link and term.source == source_url and translated_url in term.targets:
            return True
    split = re.compile(r"([/.?&=#])")
    a, b = split.split(source_url), split.split(translated_url)
    if len(a) != len(b):
        return False
    changed = False
    for x, y in zip(a, b):
        if x == y:
            continue
        if _language_of(x) == entry.source_language.lower() and _language_of(y) == entry.locale.lower():
            changed = True
            continue
        return False
    return changed


def _language_of(token: str) -> str:
    return re.split(r"[-_]", token.lower(), maxsplit=1)[0]


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_in(text: str) -> Counter:
    """The numbers in a text, written in ASCII digits: "४–८" and "4-8" agree, and so
    do "1,00,000" and "100,000"."""
    text = PLACEHOLDER.sub(" ", without_link_targets(text))  # {0} is the placeholder check's
    found = Counter()
    for match in _NUMBER.finditer(text):
        digits = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in match.group())
        found[re.sub(r"(?<=\d),(?=\d)", "", digits)] += 1
    return found


def numbers(entry: Entry) -> Iterator[Problem]:
    """Doses, weeks, phone numbers: a number must not change in translation."""
    want, got = numbers_in(entry.source), numbers_in(entry.translation)
    if want == got:
        return
    missing = sorted((want - got).elements())
    extra = sorted((got - want).elements())
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("not in the source: " + ", ".join(extra))
    yield entry.problem(ERROR, "numbers", "numbers differ from the source (" + "; ".join(parts) + ")")


def placeholders(entry: Entry) -> Iterator[Problem]:
    """Clinic variables ({crisis_number}) are filled in when the page is made: each
    must stay exactly as written. Anything else in braces (a misspelt {clinic_phon},
    a positional {0}) or a lone brace would print as it is, so the block is held back.
    (Interface strings have their own fields: ``interface_fields``.)"""
    if not entry.markdown:
        return
    for _written, message, hint in placeholder_problems(entry.translation):
        yield entry.problem(ERROR, "placeholders", f"{message}; {hint}")
    want = Counter(PLACEHOLDER.findall(entry.source))
    got = Counter(name for name in PLACEHOLDER.findall(entry.translation) if name in VARIABLES)
    for name in sorted(set(want) | set(got)):
        if want[name] != got[name]:
            yield entry.problem(ERROR, "placeholders",
                                f"{{{name}}} appears {want[name]} time(s) in the source and {got[name]} in the "
                                "translation; copy it exactly, braces included")


_TRAILING_MARKUP = "*_`]\"'”’»)"


def _final_mark(text: str, marks: str) -> str:
    """The end mark a text finishes with ("" if none); "..." counts as "…"."""
    text = without_link_targets(text).rstrip().replace("...", "…")
    text = text.rstrip(_TRAILING_MARKUP + " ")
    match = re.search(f"[{re.escape(marks)}]+$", text)
    return match.group() if match else ""


def end_mark(entry: Entry) -> Iterator[Problem]:
    """A sentence that ends with . ? ! ends with one end mark in translation too
    (। counts for Marathi and other languages that use it)."""
    marks = END_MARKS + EXTRA_END_MARKS.get(entry.locale.split("_")[0], "")
    source_mark = _final_mark(entry.source, marks)
    mark = _final_mark(entry.translation, marks)
    if source_mark and not mark:
        yield entry.problem(WARNING, "end_mark",
                            f"the translation has no end mark; the source ends with '{source_mark}'")
    elif len(mark) > 1 and mark != source_mark:
        yield entry.problem(WARNING, "end_mark", f"doubled end mark '{mark}' at the end of the translation")
    elif "?" in source_mark and mark and not any(q in mark for q in QUESTION_MARKS):
        yield entry.problem(WARNING, "end_mark", f"the source asks a question; the translation ends with '{mark}'")


def identical_to_source(entry: Entry) -> Iterator[Problem]:
    """The source copied into the translation: fine for "TMS" or a phone number,
    not for words a reader of the locale needs in their language."""
    if entry.translation.strip() != entry.source.strip():
        return
    rest = VARIABLE.sub(" ", without_link_targets(entry.source))
    for term in entry.glossary:
        if term.kept and not term.is_link:
            rest = term.pattern.sub(" ", rest)
    rest = re.sub(r"https?://\S+", " ", rest)
    if not re.search(r"[^\W\d_]{2,}", rest):
        return
    severity = ERROR if entry.other_script else WARNING
    yield entry.problem(severity, "identical_to_source",
                        "the translation is the source text unchanged; translate it (a name or abbreviation "
                        "that stays as it is belongs in the glossary with the same form)")


def glossary_terms(entry: Entry) -> Iterator[Problem]:
    """Terms the glossary fixes for this language are used."""
    if not entry.glossary:
        return
    source = without_link_targets(entry.source)
    translation = entry.translation.casefold()
    for term in entry.glossary:
        if term.is_link or not term.pattern.search(source):
            continue
        if not any(target.casefold() in translation for target in term.targets):
            note = f" ({term.note})" if term.note else ""
            accepted = " or ".join(f'"{t}"' for t in term.targets)
            yield entry.problem(WARNING, "glossary_terms",
                                f'glossary: "{term.source}" is {accepted} in this language{note}')


def interface_fields(entry: Entry) -> Iterator[Problem]:
    """An interface string ("Call {number}", "Page %(page)s of %(pages)s") is filled
    in by ``format`` or a template's ``%``: its translation holds the source's fields
    and nothing else (no position, width, conversion or stray %), or every page that
    shows it would fail. The page shows the English string instead until it is fixed."""
    if entry.markdown:
        return
    for message in format_problems(entry.source, entry.translation):
        yield entry.problem(ERROR, "interface_fields", message)


CHECKS = [safe_markup, markdown_structure, link_targets, numbers, placeholders, interface_fields, end_mark,
          identical_to_source, glossary_terms]


# ------------------------------------------------------------------ catalogs


def check_catalog(config: Config, locale: str, domain: str, catalog,
                  glossary: tuple[GlossaryTerm, ...] | None = None) -> list[Problem]:
    """Every translated, non-fuzzy entry of ``catalog`` (a Babel Catalog) through CHECKS.

    ``glossary``: the locale's terms; by default read here, and a glossary that
    cannot be read is left out (the build goes on: the glossary only feeds QA, and
    ``qa`` reports the broken file with its line)."""
    path = catalog_path(config.locales_dir, locale, domain)
    shown = display_path(path, config.root)
    if glossary is None:
        try:
            glossary = glossary_for(config, locale)
        except InputError as err:
            log.warning("%s (checked without the glossary)", err.format())
            glossary = ()
    source_locale = config.locales.get(config.source_language)
    target_locale = config.locales.get(locale)
    other_script = (source_locale is None or target_locale is None or source_locale.script != target_locale.script)
    problems = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        for source, translation in _pairs(message):
            if not translation:
                continue
            entry = Entry(source=source, translation=translation, path=shown, line=message.lineno, locale=locale,
                          source_language=config.source_language, glossary=glossary,
                          markdown=(domain != UI_DOMAIN), other_script=other_script,
                          msgid=_msgid(message), context=message.context)
            for check in CHECKS:
                problems.extend(check(entry))
    return problems


def _msgid(message) -> str:
    return message.id[0] if isinstance(message.id, (list, tuple)) else message.id


def _pairs(message) -> list[tuple[str, str]]:
    """(source, translation) pairs: the singular, then each plural form."""
    if isinstance(message.id, (list, tuple)):
        strings = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
        return [(message.id[0], strings[0] if strings else "")] + [(message.id[1], s) for s in strings[1:]]
    return [(message.id, message.string if isinstance(message.string, str) else "")]


_interface_errors: dict = {}


def interface_errors(config: Config, locale: str) -> list[Problem]:
    """The errors in ``locale``'s interface catalog (ui.po), read once per process
    while the file stays the same. The build treats them as errors of every handout's
    catalog in that language: its PDFs wait until they are fixed."""
    path = catalog_path(config.locales_dir, locale, UI_DOMAIN)
    stamp = file_stamp(path)
    if locale == config.source_language or stamp is None:
        return []
    glossary = config.locales[locale].glossary if locale in config.locales else None
    key = (str(path), locale, stamp, file_stamp(glossary) if glossary else None)
    if key not in _interface_errors:
        catalog = read_catalog(path, locale)
        found = check_catalog(config, locale, UI_DOMAIN, catalog) if catalog is not None else []
        _interface_errors[key] = [p for p in found if p.severity == ERROR]
    return _interface_errors[key]


def check_locale(config: Config, locale: str) -> tuple[list[Problem], int]:
    """Problems in every catalog of ``locale``, and how many catalogs were read."""
    problems, read = [], 0
    glossary = glossary_for(config, locale)  # a broken glossary stops qa here, at its line
    for domain in [p.stem for p in article_paths(config.source_dir)] + [UI_DOMAIN]:
        catalog = read_catalog(catalog_path(config.locales_dir, locale, domain), locale)
        if catalog is None:
            continue
        read += 1
        problems += check_catalog(config, locale, domain, catalog, glossary)
    return problems, read
