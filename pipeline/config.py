"""Read and validate the configuration file (clinics, locales, reading targets).

Every problem is reported with the file and line it comes from, never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pipeline.errors import InputError
from pipeline.model import Clinic, Config, CrisisLine, Locale

DEFAULT_CONFIG = "clinics.yaml"
PAPER_SIZES = ("A4", "Letter")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


class _Map(dict):
    """A YAML mapping that remembers the line of each key."""

    line: int = 0
    lines: dict


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise InputError(loader.name, key_node.start_mark.line + 1, f"duplicate key '{key}'",
                             "keep one of the two entries")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml_with_lines(text: str, path: Path, line_offset: int = 0):
    """Parse YAML so that every mapping knows the line of each key.

    ``line_offset`` shifts line numbers, for YAML embedded in another file.
    """
    from pipeline.security import yaml_problems

    for problem in yaml_problems(text, allow_aliases=True):
        raise InputError(path, problem.line + line_offset, problem.message, problem.hint)
    loader = _LineLoader(text)
    loader.name = str(path)
    try:
        data = loader.get_single_data()
    except InputError:
        raise
    except yaml.MarkedYAMLError as err:
        mark = err.context_mark or err.problem_mark  # where the broken construct starts
        line = mark.line + 1 + line_offset if mark else None
        raise InputError(path, line, f"not valid YAML: {err.problem or err}",
                         "check the indentation and quoting on this line") from None
    finally:
        loader.dispose()
    if line_offset:
        _shift_lines(data, line_offset)
    return data


def _shift_lines(data, offset: int) -> None:
    if isinstance(data, _Map):
        data.line += offset
        data.lines = {k: v + offset for k, v in data.lines.items()}
        for value in data.values():
            _shift_lines(value, offset)
    elif isinstance(data, list):
        for value in data:
            _shift_lines(value, offset)


class _Reader:
    """Typed access to one YAML mapping, with errors that name file and line."""

    def __init__(self, data, path: Path, where: str, line: int = 1):
        if not isinstance(data, dict):
            raise InputError(path, line, f"{where} must be a mapping of keys to values")
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
                raise InputError(self.path, self.line(key), f"unknown key '{key}' in {self.where}",
                                 "remove it or fix its spelling; allowed keys: " + ", ".join(sorted(allowed)))

    def require(self, key: str):
        if key not in self.data or self.data[key] in (None, ""):
            raise InputError(self.path, self.line(), f"{self.where} is missing '{key}'",
                             f"add a '{key}:' line to {self.where}")
        return self.data[key]

    def string(self, key: str, default: str | None = None, required: bool = True) -> str:
        if key not in self.data and not required:
            return default or ""
        value = self.require(key)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise InputError(self.path, self.line(key), f"'{key}' in {self.where} must be text")
        return str(value)

    def text_by_locale(self, key: str, required: bool = True) -> dict:
        """A string, or a mapping locale -> string; returned as a mapping."""
        if key not in self.data and not required:
            return {}
        value = self.require(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return {"default": str(value)}
        if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
            return dict(value)
        raise InputError(self.path, self.line(key),
                         f"'{key}' in {self.where} must be text or a mapping of locale codes to text",
                         f"write '{key}: some text' or '{key}: {{en: ..., mr: ...}}'")

    def child(self, key: str, required: bool = True) -> "_Reader":
        if key not in self.data and not required:
            return _Reader(_Map(), self.path, f"{self.where}.{key}", self.line())
        value = self.require(key)
        return _Reader(value, self.path, f"{self.where}.{key}", self.line(key))


def load_config(path: str | Path = DEFAULT_CONFIG) -> Config:
    """Load and validate the configuration file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, None, "configuration file not found",
                         "run from the project folder or pass --config PATH") from None
    except UnicodeDecodeError as err:
        raise InputError(path, None, f"not UTF-8 text ({err.reason})", "save the file as UTF-8") from None
    data = load_yaml_with_lines(text, path)
    if data is None:
        raise InputError(path, 1, "configuration file is empty", "see README 'Configuration' for an example")
    top = _Reader(data, path, "the configuration")
    top.check_keys({"source_language", "readability", "locales", "clinics", "paths"})
    root = path.resolve().parent
    paths = top.child("paths", required=False)
    paths.check_keys({"source", "locales", "outputs"})

    locales_reader = top.child("locales")
    locales = {code: _load_locale(code, locales_reader, root) for code in locales_reader.data}
    source_language = top.string("source_language", "en", required=False) or "en"
    if source_language not in locales:
        raise InputError(path, top.line("source_language"), f"source language '{source_language}' is not under 'locales'",
                         "add it under 'locales'")

    readability_reader = top.child("readability", required=False)
    readability = {}
    for code, limits in readability_reader.data.items():
        if code not in locales:
            raise InputError(path, readability_reader.line(code), f"readability targets for unknown locale '{code}'",
                             "use a locale code listed under 'locales'")
        limits_reader = readability_reader.child(code)
        for measure, limit in limits_reader.data.items():
            if not isinstance(limit, (int, float)) or isinstance(limit, bool):
                raise InputError(path, limits_reader.line(measure), f"target '{measure}' must be a number")
        readability[code] = dict(limits_reader.data)

    clinics_reader = top.child("clinics")
    clinics = {cid: _load_clinic(cid, clinics_reader, locales) for cid in clinics_reader.data}
    if not clinics:
        raise InputError(path, clinics_reader.line(), "no clinics configured", "add at least one clinic under 'clinics'")

    return Config(
        path=path,
        root=root,
        source_language=source_language,
        source_dir=root / paths.string("source", "source", required=False),
        locales_dir=root / paths.string("locales", "locales", required=False),
        output_dir=root / paths.string("outputs", "outputs", required=False),
        locales=locales,
        clinics=clinics,
        readability=readability,
    )


def _load_locale(code, parent: _Reader, root: Path) -> Locale:
    if not isinstance(code, str) or not LOCALE_PATTERN.match(code):
        raise InputError(parent.path, parent.line(code), f"'{code}' is not a locale code",
                         "use a gettext language code such as en, mr or pt_BR")
    reader = parent.child(code)
    reader.check_keys({"name", "english_name", "direction", "digits", "script", "glossary"})
    direction = reader.string("direction", "ltr", required=False) or "ltr"
    if direction not in ("ltr", "rtl"):
        raise InputError(reader.path, reader.line("direction"), "direction must be ltr or rtl")
    digits = reader.string("digits", "latin", required=False) or "latin"
    if digits not in ("latin", "devanagari"):
        raise InputError(reader.path, reader.line("digits"), "digits must be latin or devanagari")
    glossary = reader.string("glossary", required=False)
    return Locale(
        code=code,
        name=reader.string("name"),
        english_name=reader.string("english_name", code, required=False) or code,
        direction=direction,
        digits=digits,
        script=reader.string("script", "Latn", required=False) or "Latn",
        glossary=(root / glossary) if glossary else None,
    )


def _load_clinic(cid, parent: _Reader, locales: dict) -> Clinic:
    if not isinstance(cid, str) or not ID_PATTERN.match(cid):
        raise InputError(parent.path, parent.line(cid), f"clinic id '{cid}' is not allowed",
                         "use lowercase letters, digits, '-' and '_' (it becomes a folder name)")
    reader = parent.child(cid)
    where = reader.where
    reader.check_keys({"name", "address", "phone", "email", "website", "paper", "locales",
                       "crisis_line", "emergency_number", "publish_threshold"})
    paper = reader.string("paper")
    if paper not in PAPER_SIZES:
        raise InputError(reader.path, reader.line("paper"), f"paper '{paper}' is not supported",
                         "use one of: " + ", ".join(PAPER_SIZES))
    clinic_locales = reader.require("locales")
    if not isinstance(clinic_locales, list) or not clinic_locales:
        raise InputError(reader.path, reader.line("locales"), f"'locales' in {where} must be a list such as [en, mr]")
    for code in clinic_locales:
        if code not in locales:
            raise InputError(reader.path, reader.line("locales"), f"locale '{code}' is not defined under 'locales'",
                             "add it under 'locales' or remove it from this clinic")
    crisis = reader.child("crisis_line")
    crisis.check_keys({"name", "number", "description"})
    thresholds = reader.child("publish_threshold", required=False)
    thresholds.check_keys({"pdf", "html"})
    publish = {"pdf": 100, "html": 0}
    for fmt, value in thresholds.data.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 100:
            raise InputError(reader.path, thresholds.line(fmt), f"publish_threshold.{fmt} must be a percentage from 0 to 100")
        publish[fmt] = value
    return Clinic(
        id=cid,
        name=reader.text_by_locale("name"),
        address=reader.text_by_locale("address"),
        phone=reader.string("phone"),
        email=reader.string("email", required=False),
        website=reader.string("website", required=False),
        locales=tuple(clinic_locales),
        paper=paper,
        crisis_line=CrisisLine(
            name=crisis.text_by_locale("name"),
            number=crisis.string("number"),
            description=crisis.text_by_locale("description", required=False),
        ),
        emergency_number=reader.string("emergency_number"),
        publish_threshold=publish,
    )
