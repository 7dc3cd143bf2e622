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

from pipeline.config import load_yaml_with_lines
from pipeline.errors import InputError
from pipeline.files import read_project_file

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


_TOKEN = re.compile(r"[\w\u0900-\u097F\u200c\u200d'’]+(?:-[\w\u0900-\u097F\u200c\u200d'’]+)*")
_CACHE_SIZE = 200_000


class WordList:
    """All entries for one language, found word by word (phrases too)."""

    def __init__(self, language: str, entries: dict[str, Entry]):
        self.language = language
        self.entries = entries
        # An English entry matches its forms exactly; a Devanagari entry's last word
        # matches as the start of a word (case endings attach to it).
        self._prefix_match = language != "en"
        self._by_first_word: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        self._by_first_letter: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        for word, entry in entries.items():
            for form in _forms(word, language):
                words = tuple(_normal(form).split())
                if self._prefix_match and len(words) == 1:
                    self._by_first_letter.setdefault(words[0][:1], []).append((words, entry))
                else:
                    self._by_first_word.setdefault(words[0], []).append((words, entry))
        for table in (self._by_first_word, self._by_first_letter):
            for candidates in table.values():  # longest phrase, then longest word, first
                candidates.sort(key=lambda item: (-len(item[0]), -len(item[0][-1])))
        self._cache: dict[str, list[Match]] = {}

    def find(self, text: str) -> list[Match]:
        """Every listed word or phrase in ``text``, left to right."""
        found = self._cache.get(text)
        if found is not None:
            return found
        tokens = [(m.start(), m.end(), _normal(m.group())) for m in _TOKEN.finditer(text)]
        found = []
        index = 0
        while index < len(tokens):
            size = 0
            for words, entry in self._candidates(tokens[index][2]):
                if self._matches(tokens, index, words):
                    size = len(words)
                    start, end = tokens[index][0], tokens[index + size - 1][1]
                    found.append(Match(entry, start, end, text[start:end]))
                    break
            index += size or 1
        if len(self._cache) > _CACHE_SIZE:
            self._cache.clear()
        self._cache[text] = found
        return found

    def _candidates(self, token: str):
        yield from self._by_first_word.get(token, ())
        if self._prefix_match:
            for words, entry in self._by_first_letter.get(token[:1], ()):
                if token.startswith(words[0]):
                    yield words, entry

    def _matches(self, tokens, index: int, words: tuple[str, ...]) -> bool:
        if index + len(words) > len(tokens):
            return False
        for offset, word in enumerate(words):
            token = tokens[index + offset][2]
            last = offset == len(words) - 1
            if not (token == word or (last and self._prefix_match and token.startswith(word))):
                return False
        return True

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
    try:  # a regular file in its folder, not a link elsewhere or a pipe
        text = read_project_file(path, path.parent, 2_000_000, "word list").decode("utf-8")
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
