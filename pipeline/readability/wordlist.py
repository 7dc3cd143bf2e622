"""The plain-words list: hard words and the plainer words to use instead.

The list ships in ``pipeline/data/plain_words.yaml``; a project extends or overrides
it with ``plain_words.yaml`` next to its configuration file (same shape; an entry
with an empty list switches a word off).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.errors import InputError

SHIPPED_LIST = Path(__file__).resolve().parent.parent / "data" / "plain_words.yaml"
PROJECT_LIST_NAME = "plain_words.yaml"
KINDS = ("medical_terms", "everyday_words")


@dataclass(frozen=True)
class Entry:
    word: str  # as listed (base form)
    alternatives: tuple[str, ...]
    kind: str  # medical_terms | everyday_words
    source: str  # file:line it was defined on


@dataclass(frozen=True)
class Match:
    entry: Entry
    start: int
    end: int
    text: str  # as written in the sentence


class WordList:
    """All entries for one language, matched in one pass with one regular expression."""

    def __init__(self, language: str, entries: dict[str, Entry]):
        self.language = language
        self.entries = entries
        self._lookup: dict[str, Entry] = {}
        self._longest_first = sorted(entries.items(), key=lambda item: len(item[0]), reverse=True)
        patterns = []
        # Longer entries first, so "adverse event" wins over "adverse".
        for word in sorted(entries, key=len, reverse=True):
            entry = entries[word]
            for form in _forms(word, language):
                self._lookup.setdefault(_normal(form), entry)
            patterns.append(_pattern(word, language))
        if patterns:
            self._regex = re.compile(r"(?<![\w\u0900-\u097F-])(?:" + "|".join(patterns) + r")(?![\w-])", re.I)
        else:
            self._regex = None

    def find(self, text: str) -> list[Match]:
        """Every listed word in ``text``, left to right."""
        if self._regex is None:
            return []
        found = []
        for match in self._regex.finditer(text):
            entry = self._lookup.get(_normal(match.group()))
            if entry is None and self.language != "en":
                found_text = _normal(match.group())
                entry = next((e for w, e in self._longest_first if found_text.startswith(w)), None)
            if entry is not None:
                found.append(Match(entry, match.start(), match.end(), match.group()))
        return found

    def __len__(self) -> int:
        return len(self.entries)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("’", "'"))


def _forms(word: str, language: str) -> list[str]:
    """The forms an English entry also matches: plural, past, -ing (of its last word)."""
    if language != "en":
        return [word]
    head, _, last = word.rpartition(" ")
    head = head + " " if head else ""
    forms = [last, last + "s", last + "es", last + "d", last + "ed", last + "ing"]
    if last.endswith("e"):
        forms.append(last[:-1] + "ing")
    if last.endswith("y") and len(last) > 2 and last[-2] not in "aeiou":
        forms += [last[:-1] + "ies", last[:-1] + "ied"]
    return [head + form for form in forms]


def _pattern(word: str, language: str) -> str:
    if language == "en":
        return "|".join(r"\s+".join(map(re.escape, form.split())) for form in _forms(word, language))
    # Marathi and other Devanagari: case endings attach to the word.
    return r"\s+".join(map(re.escape, word.split())) + r"[\w\u0900-\u097F\u200c\u200d]*"


def load_word_list(language: str, project_root: Path | None = None) -> WordList:
    """The shipped list for ``language`` merged with the project's list, if there is one."""
    project = (Path(project_root) / PROJECT_LIST_NAME) if project_root else None
    stamp = project.stat().st_mtime_ns if project is not None and project.exists() else None
    return _load(language, str(project) if stamp is not None else None, stamp)


@lru_cache(maxsize=16)
def _load(language: str, project: str | None, _stamp) -> WordList:
    entries = _read(SHIPPED_LIST).get(language, {})
    if project:
        for word, entry in _read(Path(project)).get(language, {}).items():
            if entry.alternatives:
                entries[word] = entry
            else:
                entries.pop(word, None)
    return WordList(language, {w: e for w, e in entries.items() if e.alternatives})


def _read(path: Path) -> dict[str, dict[str, Entry]]:
    from pipeline.config import load_yaml_with_lines

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(path, None, "not UTF-8 text", "save the file as UTF-8") from None
    data = load_yaml_with_lines(text, path) or {}
    if not isinstance(data, dict):
        raise InputError(path, 1, "the word list must map a language code to its lists",
                         "start with a line 'en:' and indent 'everyday_words:' under it")
    result: dict[str, dict[str, Entry]] = {}
    for language, lists in data.items():
        line_of = getattr(data, "lines", {})
        if not isinstance(lists, dict):
            raise InputError(path, line_of.get(language), f"'{language}' must hold medical_terms and/or everyday_words")
        entries = result.setdefault(str(language), {})
        for kind, words in lists.items():
            kind_line = getattr(lists, "lines", {}).get(kind)
            if kind not in KINDS:
                raise InputError(path, kind_line, f"unknown list '{kind}' under '{language}'",
                                 "use medical_terms or everyday_words")
            if words is None:
                continue
            if not isinstance(words, dict):
                raise InputError(path, kind_line, f"'{kind}' must map each hard word to its plainer words",
                                 "write lines like 'utilize: [use]'")
            word_lines = getattr(words, "lines", {})
            for word, alternatives in words.items():
                line = word_lines.get(word)
                if isinstance(alternatives, str):
                    alternatives = [alternatives]
                if alternatives is None:
                    alternatives = []
                if not isinstance(word, str) or not word.strip() or not isinstance(alternatives, list) or not all(
                        isinstance(a, str) and a.strip() for a in alternatives):
                    raise InputError(path, line, f"entry '{word}' must be a word with a list of plainer words",
                                     "write it as 'word: [plainer, other plainer]' (or [] to switch it off)")
                key = _normal(word.strip())
                entries[key] = Entry(key, tuple(a.strip() for a in alternatives), kind, f"{path.name}:{line}")
    return result
