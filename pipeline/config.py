"""Read and validate the configuration file (clinics, locales, reading targets).

Every problem is reported with the file and line it comes from, never a traceback.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import yaml

from pipeline.errors import InputError, shown
from pipeline.files import read_project_file
from pipeline.formats import pair_of
from pipeline.model import Clinic, Config, CrisisLine, Locale, ReviewPolicy
from pipeline.qr import check_public_url
from pipeline.readability.targets import TARGETS, measure_for
from pipeline.security import yaml_problems

DEFAULT_CONFIG = "clinics.yaml"
PAPER_SIZES = ("A4", "Letter")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


class _Map(dict):
    """A YAML mapping that remembers the line of each key."""

    line: int = 0
    lines: dict


class TextLoader(yaml.BaseLoader):
    """YAML with every scalar kept as the text written (``07120000000``, ``000``,
    ``no`` and ``1e3`` stay strings; YAML 1.1 would read an octal number, 0, False
    and a float), mappings that know their lines, and only ``~``/``null``/an empty
    value read as nothing. Numbers are parsed where a number is wanted, with the line."""


TextLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"),
                                 ["~", "n", "N", ""])
TextLoader.add_constructor("tag:yaml.org,2002:null", lambda loader, node: None)


def _construct_mapping(loader: TextLoader, node: yaml.MappingNode) -> _Map:
    result = _Map()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise InputError(loader.name, line, "a key must be plain text, not a list or a mapping",
                             "write 'key: value', with the key as a word")
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str) or not key:
            raise InputError(loader.name, line, "a key is empty", "write 'key: value', with the key as a word")
        if key in result:
            raise InputError(loader.name, line, f"duplicate key '{key}'", "keep one of the two entries")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _refuse_tag(loader: TextLoader, node: yaml.Node):
    raise InputError(loader.name, node.start_mark.line + 1, f"a YAML tag ({node.tag}) is not used here",
                     "remove the '!…' before the value; write the value as plain text")


TextLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
TextLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG, yaml.BaseLoader.construct_scalar)
TextLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
                           lambda loader, node: loader.construct_sequence(node, deep=True))
TextLoader.add_constructor(None, _refuse_tag)


def load_yaml_with_lines(text: str, path: Path, line_offset: int = 0, allow_aliases: bool = True):
    """Parse YAML (``TextLoader``: scalars as text) so that every mapping knows the
    line of each key. ``line_offset`` shifts line numbers, for YAML embedded in
    another file; ``allow_aliases=False`` refuses anchors and aliases (front matter).
    Any problem is an ``InputError`` at the line that is wrong."""
    for problem in yaml_problems(text, allow_aliases=allow_aliases):
        raise InputError(path, problem.line + line_offset, problem.message, problem.hint)
    loader = None
    try:
        loader = TextLoader(text)  # checks every character first
        loader.name = str(path)
        data = loader.get_single_data()
    except InputError as err:
        if line_offset and err.line:
            err = InputError(path, err.line + line_offset, err.message, err.hint)
        raise err from None
    except yaml.YAMLError as err:
        line, message, hint = yaml_error_place(err, text)
        raise InputError(path, line + line_offset, message, hint) from None
    except RecursionError:
        raise InputError(path, 1 + line_offset, "the YAML is nested too deeply to read",
                         "write plain 'key: value' lines and short lists") from None
    finally:
        if loader is not None:
            loader.dispose()
    if line_offset:
        _shift_lines(data, line_offset)
    return data


def yaml_error_place(err: yaml.YAMLError, text: str) -> tuple[int, str, str]:
    """(line, message, hint) for a YAML error, at the line that is actually wrong.

    PyYAML names where the enclosing construct starts ("while parsing a block
    mapping": the first key) and where it gave up. The line to fix is where it gave
    up, except inside a quoted text, flow list or flow mapping opened on an earlier
    line and never closed: then it is where that was opened."""
    if isinstance(err, yaml.reader.ReaderError):
        line = text.count("\n", 0, err.position) + 1
        shown = f"U+{err.character:04X}" if isinstance(err.character, int) else repr(err.character)
        return line, f"a control character ({shown}) that YAML does not allow", \
            "delete it (a form feed or other invisible character pasted in)"
    if not isinstance(err, yaml.MarkedYAMLError):
        return 1, f"not valid YAML: {err}", "check the indentation and quoting"
    problem = err.problem or str(err)
    context = err.context or ""
    context_line = err.context_mark.line + 1 if err.context_mark else None
    problem_line = err.problem_mark.line + 1 if err.problem_mark else (context_line or 1)
    opened = _unclosed_quote(text, problem_line)
    if opened or (context_line and context.startswith("while scanning a quoted")):
        return opened or context_line, "a quoted text that starts on this line is not closed on it", \
            "end the text with the same quote it starts with; write an apostrophe inside '…' as ''"
    if context_line and context.startswith("while parsing a flow"):
        return context_line, f"a list [ ] or mapping {{ }} that starts on this line is not closed ({problem})", \
            "close the bracket on this line, or quote text that contains ':', ',' or brackets"
    if context_line and "end of stream" in problem:
        return context_line, f"not valid YAML: {context} on this line, the file ends first", \
            "close what is opened on this line"
    if problem.startswith("but ") and context:
        problem = f"{context}, {problem}"
    return problem_line, f"not valid YAML: {problem}", "check the indentation and quoting on this line"


def _unclosed_quote(text: str, problem_line: int) -> int | None:
    """The line of a quoted text that runs over several lines and ends on
    ``problem_line``, where the parser then failed: a quote that was not closed."""
    try:
        for token in yaml.scan(text, Loader=yaml.BaseLoader):
            if token.start_mark.line + 1 > problem_line:
                break
            if (isinstance(token, yaml.ScalarToken) and token.style in ("'", '"')
                    and token.start_mark.line + 1 < problem_line == token.end_mark.line + 1):
                return token.start_mark.line + 1
    except yaml.YAMLError:
        pass
    return None


def _shift_lines(data, offset: int) -> None:
    if isinstance(data, _Map):
        data.line += offset
        data.lines = {k: v + offset for k, v in data.lines.items()}
        for value in data.values():
            _shift_lines(value, offset)
    elif isinstance(data, list):
        for value in data:
            _shift_lines(value, offset)


def utf8_text(path: Path, data: bytes) -> str:
    """``data`` decoded as UTF-8 (a byte-order mark is dropped); bytes that are not
    UTF-8 are an ``InputError`` at their line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:  # err.start counts from after the byte-order mark: read err.object
        line = err.object[:err.start].count(b"\n") + 1
        raise InputError(path, line, f"not UTF-8 text (byte 0x{err.object[err.start]:02x})",
                         "save the file as UTF-8") from None


def load_yaml_file(path: Path, missing: str, hint: str):
    """A YAML file read with ``load_yaml_with_lines``; ``missing`` and ``hint`` say
    what to do when it does not exist."""
    path = Path(path)
    try:  # a regular file in its own folder (not a link elsewhere, a pipe or a folder), of a sane size
        data = read_project_file(path, path.parent, MAX_YAML_BYTES)
    except FileNotFoundError:
        raise InputError(path, None, missing, hint) from None
    return load_yaml_with_lines(utf8_text(path, data), path)


MAX_YAML_BYTES = 2_000_000  # the configuration and a glossary are a few kilobytes


# A number as a person writes a limit: 6, 8.5, 0.2 (no signs, exponents or thousands).
NUMBER = re.compile(r"^\d{1,6}(?:\.\d{1,6})?$")


def parse_number(path: Path, line: int | None, value, what: str) -> float | int:
    """``value`` (YAML text) as a number, or an ``InputError`` at ``line``."""
    text = value.strip() if isinstance(value, str) else None
    if text is None or not NUMBER.match(text):
        shown = value if isinstance(value, str) else "a list or mapping"
        raise InputError(path, line, f"{what} must be a number, not '{shown}'",
                         "write a plain number such as 6 or 0.2")
    return float(text) if "." in text else int(text)


def check_targets(path: Path, targets: dict, known, where: str) -> dict:
    """Reading targets (a YAML mapping ``{measure: limit}``) with known names and
    numbers as limits; an ``InputError`` at the line of the first that is not."""
    result = {}
    for name, value in targets.items():
        line = targets.lines.get(name)
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + "known targets: " + ", ".join(sorted(known))
            raise InputError(path, line, f"unknown readability target '{name}' {where}", hint)
        result[name] = parse_number(path, line, value, f"the target '{name}'")
    return result


TOP = "the configuration"


class _Reader:
    """Typed access to one YAML mapping, with errors that name file and line."""

    def __init__(self, data, path: Path, where: str, line: int = 1):
        if not isinstance(data, dict):
            raise InputError(path, line, f"{where} must be a mapping of keys to values",
                             "write 'key: value' lines, indented under it")
        self.data = data
        self.path = path
        self.where = where

    def line(self, key: str | None = None) -> int:
        if key is not None and key in getattr(self.data, "lines", {}):
            return self.data.lines[key]
        return getattr(self.data, "line", 1)

    def check_keys(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                raise InputError(self.path, self.line(key), f"unknown key '{key}' in {self.where}",
                                 (f"did you mean '{close[0]}'? " if close else "remove it or fix its spelling; ")
                                 + "allowed keys: " + ", ".join(sorted(allowed)))

    def require(self, key: str):
        if key not in self.data or self.data[key] in (None, ""):
            raise InputError(self.path, self.line(key), f"{self.where} is missing '{key}'",
                             f"add a '{key}:' line to {self.where}")
        return self.data[key]

    def string(self, key: str, default: str = "", required: bool = True) -> str:
        """Text exactly as written (``TextLoader`` reads every scalar as text)."""
        if not required and self.data.get(key) in (None, ""):
            return default
        value = self.require(key)
        if not isinstance(value, str):
            raise InputError(self.path, self.line(key), f"'{key}' in {self.where} must be text, not a list or mapping",
                             f"write '{key}: text' on one line")
        return value

    def project_path(self, key: str, root: Path, default: str = "", required: bool = True) -> Path | None:
        """A folder or file the pipeline reads, as ``root / value``: refused unless it
        stays in the project once ``..`` and links are followed (a configuration may
        not point the pipeline at files elsewhere). None when optional and absent."""
        value = self.string(key, default, required)
        if not value:
            return None
        target = root / value
        if Path(value).is_absolute() or not Path(os.path.normpath(target)).is_relative_to(root):
            raise InputError(self.path, self.line(key), f"'{key}: {shown(value)}' in {self.where} leads outside "
                                                        "the project folder",
                             f"give a path inside the project (relative to {self.path.name})")
        if not target.resolve().is_relative_to(root.resolve()):  # written inside, but a link leads out
            raise InputError(target, None, "this is a link (or in a linked folder) to a place outside the project",
                             "copy the files into the project instead of linking to them")
        return target

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.string(key, default or "", required=default is None)
        if value not in choices:
            raise InputError(self.path, self.line(key), f"{key} '{value}' in {self.where} is not one of: "
                             + ", ".join(choices), f"write one of: {', '.join(choices)}")
        return value

    def text_by_locale(self, key: str, locales, required: bool = True) -> dict:
        """A string, or a mapping of locale codes (of ``locales``, or "default") to
        strings; returned as a mapping."""
        if not required and self.data.get(key) in (None, ""):
            return {}
        value = self.require(key)
        if isinstance(value, str):
            return {"default": value}
        if isinstance(value, dict) and value:
            for code, text in value.items():
                line = value.lines.get(code, self.line(key))
                if code != "default" and code not in locales:
                    raise InputError(self.path, line, f"'{code}' under '{key}' in {self.where} is not a locale "
                                     "listed under 'locales'", "use a locale code such as "
                                     + ", ".join(sorted(locales)) + ", or 'default'")
                if not isinstance(text, str) or not text:
                    raise InputError(self.path, line, f"'{key}.{code}' in {self.where} must be text",
                                     f"write '{code}: text' on one line")
            return dict(value)
        raise InputError(self.path, self.line(key),
                         f"'{key}' in {self.where} must be text or a mapping of locale codes to text",
                         f"write '{key}: some text' or '{key}: {{en: ..., mr: ...}}'")

    def child(self, key: str, required: bool = True) -> "_Reader":
        where = key if self.where == TOP else f"{self.where}.{key}"  # clinics.pune.crisis_line
        if not required and self.data.get(key) is None:
            return _Reader(_Map(), self.path, where, self.line())
        value = self.require(key)
        return _Reader(value, self.path, where, self.line(key))


def load_config(path: str | Path = DEFAULT_CONFIG) -> Config:
    """Load and validate the configuration file."""
    path = Path(path)
    data = load_yaml_file(path, "configuration file not found", "run from the project folder or pass --config PATH")
    if data is None:
        raise InputError(path, 1, "configuration file is empty", "see README 'Configuration' for an example")
    top = _Reader(data, path, TOP)
    top.check_keys({"source_language", "readability", "locales", "clinics", "paths"})
    root = path.resolve().parent
    paths = top.child("paths", required=False)
    paths.check_keys({"source", "locales", "outputs"})

    locales_reader = top.child("locales")
    locales = {code: _load_locale(code, locales_reader, root) for code in locales_reader.data}
    source_language = top.string("source_language", "en", required=False)
    if source_language not in locales:
        raise InputError(path, top.line("source_language"), f"source language '{source_language}' is not under 'locales'",
                         "add it under 'locales'")
    for code in locales:  # a regional variant (en_US) falls back to its base language (en) block by block
        base = code.partition("_")[0]
        if base != code and base not in locales:
            raise InputError(path, locales_reader.line(code), f"'{code}' is a regional variant of '{base}', "
                             f"which is not under 'locales'", f"add '{base}' under 'locales': the blocks "
                             f"'{code}' does not change are shown from it")

    readability_reader = top.child("readability", required=False)
    readability = {}
    for code in readability_reader.data:
        if code not in locales:
            raise InputError(path, readability_reader.line(code), f"readability targets for unknown locale '{code}'",
                             "use a locale code listed under 'locales'")
        measure = measure_for(code, locales[code].script)
        if measure is None:
            raise InputError(path, readability_reader.line(code), f"there is no readability measure for '{code}'",
                             "remove its targets; only English, Devanagari, Spanish and Urdu text can be measured")
        limits = readability_reader.child(code)
        readability[code] = check_targets(path, limits.data, TARGETS[measure],
                                          f"for '{code}' ({measure} text)")

    for code in locales:  # a regional variant is read with its base language's targets unless it has its own
        base = code.partition("_")[0]
        if code not in readability and base in readability:
            readability[code] = dict(readability[base])

    clinics_reader = top.child("clinics")
    clinics = {cid: _load_clinic(cid, clinics_reader, locales) for cid in clinics_reader.data}
    if not clinics:
        raise InputError(path, clinics_reader.line(), "no clinics configured", "add at least one clinic under 'clinics'")

    return Config(
        path=path,
        root=root,
        source_language=source_language,
        source_dir=paths.project_path("source", root, "source", required=False),
        locales_dir=paths.project_path("locales", root, "locales", required=False),
        output_dir=root / paths.string("outputs", "outputs", required=False),
        locales=locales,
        clinics=clinics,
        readability=readability,
    )


# A locale's writing direction follows its script (ISO 15924) unless it says otherwise.
RTL_SCRIPTS = {"Arab": "rtl", "Hebr": "rtl", "Syrc": "rtl", "Thaa": "rtl", "Nkoo": "rtl", "Adlm": "rtl", "Rohg": "rtl"}
DIGIT_POLICIES = ("latin", "devanagari", "extended-arabic-indic")


def _load_locale(code, parent: _Reader, root: Path) -> Locale:
    if not LOCALE_PATTERN.match(code):
        raise InputError(parent.path, parent.line(code), f"'{code}' is not a locale code",
                         "use a gettext language code such as en, mr or pt_BR (quotes are not needed: no stays no)")
    reader = parent.child(code)
    reader.check_keys({"name", "english_name", "direction", "digits", "script", "glossary"})
    glossary = reader.project_path("glossary", root, required=False)
    script = reader.string("script", "Latn", required=False)
    return Locale(
        code=code,
        name=reader.string("name"),
        english_name=reader.string("english_name", code, required=False),
        direction=reader.choice("direction", ("ltr", "rtl"), RTL_SCRIPTS.get(script, "ltr")),
        digits=reader.choice("digits", DIGIT_POLICIES, "latin"),
        script=script,
        glossary=glossary,
    )


def _load_clinic(cid, parent: _Reader, locales: dict) -> Clinic:
    if not ID_PATTERN.match(cid):
        raise InputError(parent.path, parent.line(cid), f"clinic id '{cid}' is not allowed",
                         "use lowercase letters, digits, '-' and '_' (it becomes a folder name)")
    reader = parent.child(cid)
    where = reader.where
    reader.check_keys({"name", "address", "phone", "email", "website", "paper", "locales",
                       "crisis_line", "emergency_number", "publish_threshold", "review", "public_url",
                       "bilingual"})
    paper = reader.choice("paper", PAPER_SIZES)
    clinic_locales = reader.require("locales")
    if not isinstance(clinic_locales, list) or not clinic_locales:
        raise InputError(reader.path, reader.line("locales"), f"'locales' in {where} must be a list such as [en, mr]")
    for code in clinic_locales:
        if not isinstance(code, str):
            raise InputError(reader.path, reader.line("locales"), f"'locales' in {where} must list locale codes",
                             "write them as a plain list such as [en, mr]")
        if code not in locales:
            raise InputError(reader.path, reader.line("locales"), f"locale '{code}' is not defined under 'locales'",
                             "add it under 'locales' or remove it from this clinic")
    crisis = reader.child("crisis_line")
    crisis.check_keys({"name", "number", "description", "language_option"})
    thresholds = reader.child("publish_threshold", required=False)
    thresholds.check_keys({"pdf", "html"})
    publish = {"pdf": 100, "html": 0}
    for fmt, value in thresholds.data.items():
        publish[fmt] = parse_number(reader.path, thresholds.line(fmt), value, f"publish_threshold.{fmt}")
        if publish[fmt] > 100:
            raise InputError(reader.path, thresholds.line(fmt), f"publish_threshold.{fmt} is {value}; "
                             "it is a percentage from 0 to 100", "write a number from 0 to 100")
    return Clinic(
        id=cid,
        name=reader.text_by_locale("name", locales),
        address=reader.text_by_locale("address", locales),
        phone=_phone(reader, "phone"),
        email=reader.string("email", required=False),
        website=reader.string("website", required=False),
        locales=tuple(clinic_locales),
        paper=paper,
        crisis_line=CrisisLine(
            name=crisis.text_by_locale("name", locales),
            number=_phone(crisis, "number"),
            description=crisis.text_by_locale("description", locales, required=False),
            language_option=crisis.text_by_locale("language_option", locales, required=False),
        ),
        emergency_number=_phone(reader, "emergency_number"),
        publish_threshold=publish,
        review=_review_policy(reader.child("review", required=False)),
        # the QR code on every PDF leads there (pipeline.qr): https, checked at its line
        public_url=check_public_url(reader.path, reader.line("public_url"),
                                    reader.string("public_url", required=False)),
        bilingual=_bilingual_pairs(reader, tuple(clinic_locales)),
    )


def _bilingual_pairs(reader: _Reader, clinic_locales: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``bilingual: [en+mr, en+hi]``: the bilingual editions the clinic prints, each of
    two different languages of the clinic; a language is the second of one pair at most
    (the edition is written beside that language's handout)."""
    value = reader.data.get("bilingual")
    if value in (None, "", []):
        return ()
    line = reader.line("bilingual")
    if not isinstance(value, list):
        raise InputError(reader.path, line, f"'bilingual' in {reader.where} must be a list such as [en+mr]",
                         "write the pairs as a list: bilingual: [en+mr, en+hi]")
    pairs, seconds = [], set()
    for item in value:
        pair = pair_of(item) if isinstance(item, str) else None
        if pair is None:
            raise InputError(reader.path, line, f"'{shown(str(item))}' in {reader.where}.bilingual is not a pair "
                             "of locale codes", "write two of the clinic's locales joined by '+', such as en+mr")
        for code in pair:
            if code not in clinic_locales:
                raise InputError(reader.path, line, f"'{item}' in {reader.where}.bilingual names '{code}', "
                                 "which is not one of the clinic's locales",
                                 "use the clinic's locales: " + ", ".join(clinic_locales))
        if pair[0] == pair[1]:
            raise InputError(reader.path, line, f"'{item}' in {reader.where}.bilingual pairs a language with itself",
                             "name two different languages, such as en+mr")
        if pair[1] in seconds:
            raise InputError(reader.path, line, f"'{pair[1]}' is the second language of two pairs in "
                             f"{reader.where}.bilingual", "each language may come second in one pair only")
        seconds.add(pair[1])
        pairs.append(pair)
    return tuple(pairs)


REVIEW_CHOICES = ("hold", "warn")


def _review_policy(reader: _Reader) -> ReviewPolicy:
    """How long a clinical review lasts for this clinic (``review:``; every key
    optional, defaults in ``ReviewPolicy``): whole months and days, at their line."""
    reader.check_keys({"valid_months", "warn_days", "when_overdue"})
    default = ReviewPolicy()
    values = {}
    for key, low, high in (("valid_months", 1, 120), ("warn_days", 0, 365)):
        if reader.data.get(key) in (None, ""):
            continue
        value = parse_number(reader.path, reader.line(key), reader.data[key], f"{reader.where}.{key}")
        if not isinstance(value, int) or not low <= value <= high:
            raise InputError(reader.path, reader.line(key), f"{reader.where}.{key} is {reader.data[key]}; "
                             f"it is a whole number from {low} to {high}",
                             "for example valid_months: 12 (a review lasts a year), warn_days: 60")
        values[key] = value
    return ReviewPolicy(valid_months=values.get("valid_months", default.valid_months),
                        warn_days=values.get("warn_days", default.warn_days),
                        when_overdue=reader.choice("when_overdue", REVIEW_CHOICES, default.when_overdue))


PHONE = re.compile(r"^\+?\(?[0-9][0-9 ()./-]{0,30}$")


def _phone(reader: _Reader, key: str) -> str:
    """A phone number as written: digits, spaces, ( ) . / - and a leading +."""
    number = reader.string(key).strip()
    if not PHONE.match(number) or sum(c.isdigit() for c in number) > 20:
        raise InputError(reader.path, reader.line(key), f"'{key}' in {reader.where} is not a phone number: '{number}'",
                         f"write it as dialled, for example {key}: \"+44 7120 000000\" (digits, spaces, +, -, ( ) only)")
    return number
