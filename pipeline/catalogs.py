"""Gettext catalogs: read, update, create and count ``locales/<lang>/LC_MESSAGES/<domain>.po``.

Reading for the build goes through Babel (``read_catalog``). Writing goes through
polib, which keeps everything a translator's tool put in a file: every header field,
translator comments, previous msgids, obsolete entries. The merge (``merge_catalog``)
is our own, because Babel's ``Catalog.update`` fuzzy-matches across ``msgctxt``,
drops the previous msgid unless asked, and starts new catalogs with a fuzzy header.

File format, chosen so that a change to one block is a change to one entry:
entries in source order, obsolete entries last sorted by msgid, no line wrapping
(one line per msgid and msgstr), UTF-8, and a file is rewritten only when its
content changes. ``SOURCE_DATE_EPOCH`` fixes the dates written into headers.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import gettext
import io
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import polib
from babel import Locale
from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from pipeline.errors import BuildError, InputError
from pipeline.files import read_project_file, write_atomic
from pipeline.model import Article, Config

UI_DOMAIN = "ui"
WRAP_WIDTH = 0  # no wrapping (msgcat --no-wrap): a changed block shows as one changed line
FUZZY_CUTOFF = 0.6  # difflib ratio a changed msgid needs to inherit a translation, as msgmerge
DATE_FORMAT = "%Y-%m-%d %H:%M+0000"
CONTENT_TYPE = "text/plain; charset=UTF-8"
TEMPLATE_TITLE = "Translation template for "  # how a template's header comment starts


def catalog_path(locales_dir: Path, locale: str, domain: str) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{domain}.po"


def template_path(locales_dir: Path, domain: str) -> Path:
    return locales_dir / f"{domain}.pot"


def translated_locales(config: Config) -> list[str]:
    """The locales that have catalogs: every configured locale but the source language."""
    return sorted(code for code in config.locales if code != config.source_language)


# ------------------------------------------------------------------ reading for the build


def read_catalog(path: Path, locale: str | None = None) -> Catalog | None:
    """Read a .po file; None if it does not exist. Syntax errors name file and line."""
    path = Path(path)
    try:  # a regular file among the catalogs, not a link elsewhere or a pipe; never huge
        raw = read_project_file(path, catalogs_root(path), MAX_CATALOG_BYTES, "catalog")
    except FileNotFoundError:
        return None
    data = _prepared_for_babel(path, _checked_catalog_bytes(path, raw))
    try:
        return read_po(io.BytesIO(data), locale=locale, abort_invalid=True)
    except Exception as err:  # babel raises PoFileError with a 0-based line number
        line = getattr(err, "lineno", None)
        raise InputError(path, line + 1 if isinstance(line, int) else None, f"cannot read catalog: {err}",
                         "fix the syntax (msgfmt --check shows it) or restore the file from version control") from None


MAX_CATALOG_BYTES = 2_000_000  # a handout's catalog is a few kilobytes
_HEADER = re.compile(rb'^msgid[ \t]+""[ \t]*\r?\nmsgstr[ \t]+((?:"(?:[^"\\\n]|\\.)*"[ \t]*(?:\r?\n|$))+)', re.M)
_PLURAL_FORMS_VALUE = re.compile(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*")


def _checked_catalog_bytes(path: Path, data: bytes) -> bytes:
    """What Babel reports without a line, or not at all: an empty or huge file, text
    that is not in the header's character set, a Plural-Forms header msgfmt rejects.
    Returns the bytes without a UTF-8 byte-order mark."""
    if not data.strip():
        raise InputError(path, 1, "the catalog is empty",
                         "restore it from version control, or run `python -m pipeline update` to start it again")
    if len(data) > MAX_CATALOG_BYTES:
        raise InputError(path, None, f"the catalog is {len(data):,} bytes; catalogs are limited to {MAX_CATALOG_BYTES:,}",
                         "restore it from version control; a handout's catalog is a few kilobytes")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    fields = _header_fields(data)
    line, content_type = fields.get("content-type", (1, ""))
    found = re.search(r"charset=([A-Za-z0-9._-]+)", content_type)
    charset = found.group(1) if found else "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        raise InputError(path, line, f"unknown character set '{charset}' in the header",
                         "write charset=UTF-8 in the Content-Type header and save the file as UTF-8") from None
    try:
        data.decode(charset)
    except UnicodeDecodeError as err:
        raise InputError(path, data[:err.start].count(b"\n") + 1,
                         f"the file is not {charset} text as its header says (byte 0x{data[err.start]:02x})",
                         "save the file as UTF-8 (Poedit and Weblate do), with charset=UTF-8 in the header") from None
    if "plural-forms" in fields:
        line, value = fields["plural-forms"]
        match = _PLURAL_FORMS_VALUE.fullmatch(value)
        problem = None if match else "it must read 'nplurals=N; plural=EXPRESSION;'"
        if match:
            try:
                gettext.c2py(match.group(2))
            except (ValueError, RecursionError) as err:
                problem = f"the plural expression does not parse ({err})"
        if problem:
            raise InputError(path, line, f"the Plural-Forms header is not valid: {problem}",
                             "copy it from the template or a working catalog of the language, "
                             "e.g. nplurals=2; plural=(n != 1);")
    return data


def _header_fields(data: bytes) -> dict[str, tuple[int, str]]:
    """The header's fields (lowercase names) and the line each starts on, however a
    tool wrapped the header's strings."""
    match = _HEADER.search(data, 0, 20_000)
    if not match:
        return {}
    fields: dict[str, tuple[int, str]] = {}
    first = data[:match.start(1)].count(b"\n") + 1
    pending, pending_line = "", first
    for number, piece in enumerate(match.group(1).split(b"\n"), start=first):
        piece = piece.strip()
        if not piece:
            continue
        if not pending:
            pending_line = number
        pending += piece[1:-1].decode("latin-1").replace('\\"', '"')
        while "\\n" in pending:
            field, pending = pending.split("\\n", 1)
            name, _, value = field.partition(":")
            if name.strip():
                fields[name.strip().lower()] = (pending_line, value.strip())
            pending_line = number
    return fields


_STRING_LINE = re.compile(rb'^(?:#~\s*)?(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"$')
_STRING_START = re.compile(rb'^(?:#~\s*)?(?:msgctxt|msgid|msgstr|")')


def _prepared_for_babel(path: Path, data: bytes) -> bytes:
    """The file as Babel's reader can take it, line numbers unchanged.

    Babel reads ``#|`` (previous msgid, written by msgmerge and Weblate) as a
    translator comment and rejects ``#~|``: those lines are blanked. It also reads an
    unterminated string without a word, dropping its last character: that is an
    error here, with its line.
    """
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith((b"#|", b"#~|")):
            lines[number - 1] = b""
        elif _STRING_START.match(stripped) and not _STRING_LINE.match(stripped):
            raise InputError(path, number, "cannot read catalog: a string is not closed with a double quote",
                             'end the line with " (and write a quote inside the text as \\")')
    return b"\n".join(lines)


# ------------------------------------------------------------------ files, losslessly


def read_po_file(path: Path) -> polib.POFile | None:
    """Read a .po or .pot file with everything in it; None if it does not exist."""
    path = Path(path)
    try:
        data = read_project_file(path, catalogs_root(path), MAX_CATALOG_BYTES, "catalog")
    except FileNotFoundError:
        return None
    try:
        return polib.pofile(_po_text(path, data), wrapwidth=WRAP_WIDTH)
    except (OSError, ValueError, UnicodeError) as err:
        match = re.search(r"line (\d+)", str(err))
        raise InputError(path, int(match.group(1)) if match else None, f"cannot read catalog: {err}",
                         "fix the syntax (msgfmt --check shows it) or restore the file from version control") from None


def catalogs_root(path: Path) -> Path:
    """The folder a catalog must stay in: ``locales/`` for
    ``locales/<lang>/LC_MESSAGES/<domain>.po``, the folder itself for a template."""
    path = Path(path)
    return path.parents[2] if path.parent.name == "LC_MESSAGES" and len(path.parents) > 2 else path.parent


def _po_text(path: Path, data: bytes) -> str:
    """The catalog's text for polib (which takes text or a file name, never bytes),
    after the same checks as for the build: what one reader accepts, the other does."""
    return _checked_catalog_bytes(path, data).decode("utf-8")


def po_bytes(po: polib.POFile) -> bytes:
    """The file as we write it: UTF-8, no wrapping, entries as they are ordered."""
    po.wrapwidth = WRAP_WIDTH
    text = str(po)
    if not po.header and text.startswith("#\n"):  # polib writes a lone "#" for no header comment
        text = text[2:]
    return text.rstrip("\n").encode("utf-8") + b"\n"


def source_date() -> str:
    """Now, or ``SOURCE_DATE_EPOCH`` when set, as a PO header date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            moment = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        except ValueError:
            raise InputError(None, None, f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds") from None
    else:
        moment = dt.datetime.now(dt.timezone.utc)
    return moment.strftime(DATE_FORMAT)


def entry_key(entry) -> tuple[str | None, str]:
    """(msgctxt, msgid), the identity of an entry in gettext."""
    return (entry.msgctxt, entry.msgid)


def _fingerprint(po: polib.POFile, ignore_headers=()) -> tuple:
    """What a file says, independent of wrapping, entry order and flag order: two
    files with the same fingerprint need no rewrite."""
    metadata = tuple(sorted((k, v) for k, v in po.metadata.items() if k not in ignore_headers))
    entries = sorted(
        (e.obsolete, e.msgctxt or "", e.msgctxt is None, e.msgid, e.msgid_plural, e.msgstr,
         tuple(sorted(e.msgstr_plural.items())), e.tcomment, "" if e.obsolete else e.comment,
         () if e.obsolete else tuple(e.occurrences), tuple(sorted(e.flags)), e.previous_msgctxt or "",
         e.previous_msgid or "", e.previous_msgid_plural or "")
        for e in po)
    return (po.header, bool(po.metadata_is_fuzzy), metadata, tuple(entries))


def _ordered_flags(flags) -> list[str]:
    flags = set(flags)
    return (["fuzzy"] if "fuzzy" in flags else []) + sorted(flags - {"fuzzy"})


def plural_forms(locale: str) -> str:
    """The Plural-Forms header of a language; an unknown language is an input error."""
    try:
        return get_plural(locale).plural_forms
    except (UnknownLocaleError, ValueError):
        raise InputError(None, None, f"'{locale}' is not a language Babel knows",
                         "use a gettext language code such as mr, hi or pt_BR") from None


def _nplurals(plural_forms: str) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", plural_forms or "")
    return int(match.group(1)) if match else 2


# ------------------------------------------------------------------ templates


def template_po(catalog: Catalog, language: str) -> polib.POFile:
    """A Babel template catalog as the file we write (dates still to fill in)."""
    po = polib.POFile(wrapwidth=WRAP_WIDTH)
    po.header = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#")
                          for line in catalog.header_comment.splitlines())
    forms = plural_forms(language)
    po.metadata = {
        "Project-Id-Version": catalog.domain,
        "Report-Msgid-Bugs-To": "",
        "POT-Creation-Date": "",
        "PO-Revision-Date": "",
        "Last-Translator": "",
        "Language-Team": "",
        "Language": language,  # the language of the msgids; a translation sets its own
        "MIME-Version": "1.0",
        "Content-Type": CONTENT_TYPE,
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": forms,
    }
    for message in catalog:
        if not message.id:
            continue
        plural = isinstance(message.id, (list, tuple))
        entry = polib.POEntry(
            msgctxt=message.context,
            msgid=message.id[0] if plural else message.id,
            msgid_plural=message.id[1] if plural else "",
            comment="\n".join(message.auto_comments),
            occurrences=[(path, str(line) if line else "") for path, line in message.locations],
            flags=_ordered_flags(message.flags - {"fuzzy"}),
        )
        if plural:
            entry.msgstr_plural = {index: "" for index in range(_nplurals(forms))}
        po.append(entry)
    return po


def write_template(catalog: Catalog, path: Path, language: str = "en") -> bool:
    """Write ``catalog`` as a .pot file unless its entries are unchanged (then the
    file and its creation date stay as they are). Returns whether it wrote."""
    po = template_po(catalog, language)
    old = None
    if path.exists():
        try:
            old = read_po_file(path)
        except InputError:
            old = None  # a template is generated; a broken one is simply replaced
    dates = ("POT-Creation-Date", "PO-Revision-Date")
    if old is not None and _fingerprint(old, dates) == _fingerprint(po, dates):
        return False
    now = source_date()
    for name in dates:
        po.metadata[name] = now
    write_atomic(path, po_bytes(po))
    return True


# ------------------------------------------------------------------ merging


@dataclass
class MergeReport:
    """What a merge did to one catalog."""

    kept: int = 0  # entries matched exactly
    revived: int = 0  # translations brought back from obsolete entries or previous msgids
    fuzzy: int = 0  # changed blocks given the translation of their old text, marked fuzzy
    new: int = 0  # entries with no translation yet
    obsoleted: int = 0  # entries whose block is gone, kept as #~ (untranslated ones are dropped)


def merge_catalog(template: polib.POFile, old: polib.POFile | None, locale: str,
                  language_name: str = "") -> tuple[polib.POFile, MergeReport]:
    """Bring a locale's catalog in line with a template without losing a translation.

    In order: an entry whose (msgctxt, msgid) is in the template keeps its
    translation, its comments and its state; an obsolete one comes back; a fuzzy
    entry whose previous msgid is the template's text lends the translation made for
    that text (still fuzzy); otherwise the closest old text with the same msgctxt
    lends its translation, marked fuzzy with ``#| msgid`` showing the text it was
    made for. Old entries left over become obsolete (``#~``) when they hold a
    translation or a translator's comment.
    """
    report = MergeReport()
    new = _merged_header(template, old, locale, language_name)
    nplurals = _nplurals(new.metadata.get("Plural-Forms", ""))
    old_entries = list(old) if old is not None else []
    active, obsolete, by_previous = {}, {}, {}
    for entry in old_entries:
        (obsolete if entry.obsolete else active).setdefault(entry_key(entry), entry)
        if "fuzzy" in entry.flags and entry.previous_msgid is not None and _has_translation(entry):
            by_previous.setdefault((entry.previous_msgctxt, entry.previous_msgid), entry)
    template_entries = [e for e in template if not e.obsolete and e.msgid]
    template_keys = {entry_key(e) for e in template_entries}
    candidates = [e for e in old_entries if entry_key(e) not in template_keys and _has_translation(e)]
    used = set()  # ids of old entries whose translation lives on in an active entry

    for wanted in template_entries:
        key = entry_key(wanted)
        if key in active or key in obsolete:
            source = active.get(key) or obsolete[key]
            entry = _carry(wanted, source, nplurals)
            if source.obsolete and _has_translation(source):
                report.revived += 1
            else:
                report.kept += 1
        elif key in by_previous:
            # The text came back. Its old translation is in an entry marked fuzzy since;
            # it may have been edited since, so it comes back fuzzy, for a quick check.
            source = by_previous[key]
            entry = _carry(wanted, source, nplurals, fuzzy=True)
            report.revived += 1
        else:
            source = _closest(wanted, candidates)
            if source is not None:
                entry = _carry(wanted, source, nplurals, fuzzy=True)
                report.fuzzy += 1
            else:
                entry = _fresh(wanted, nplurals)
                report.new += 1
        if source is not None:
            used.add(id(source))
        new.append(entry)

    # Old entries whose translation did not carry over are kept as obsolete.
    carried = _translations(new)
    left_over = {}
    for entry in old_entries:
        key = entry_key(entry)
        if key in left_over:
            continue
        if (id(entry) in used or key in template_keys) and _translations([entry]) <= carried:
            continue  # it lives on in an active entry
        if not _has_translation(entry) and not entry.tcomment:
            continue  # nothing to keep
        if not entry.obsolete:
            report.obsoleted += 1
        left_over[key] = _as_obsolete(entry)
    for key in sorted(left_over, key=lambda k: (k[1], k[0] or "")):
        new.append(left_over[key])

    lost = _translations(old_entries) - _translations(new)
    if lost:  # the merge above must never do this; refuse to write rather than lose work
        raise BuildError(f"merging would lose {len(lost)} translation(s), e.g. {sorted(lost)[0][:60]!r}")
    return new, report


def _merged_header(template: polib.POFile, old: polib.POFile | None, locale: str, language_name: str):
    new = polib.POFile(wrapwidth=WRAP_WIDTH)
    created = template.metadata.get("POT-Creation-Date", "")
    if old is None:
        what = template.header.split("\n", 1)[0]
        what = what[len(TEMPLATE_TITLE):] if what.startswith(TEMPLATE_TITLE) else f"{template.metadata.get('Project-Id-Version', '')}."
        new.header = (f"{language_name or locale} translation of {what}\n"
                      "How to translate and check this file: docs/translation.md")
        new.metadata = {
            "Project-Id-Version": template.metadata.get("Project-Id-Version", ""),
            "Report-Msgid-Bugs-To": template.metadata.get("Report-Msgid-Bugs-To", ""),
            "POT-Creation-Date": created,
            "PO-Revision-Date": source_date(),
            "Last-Translator": "",
            "Language-Team": language_name or locale,
            "Language": locale,
            "MIME-Version": "1.0",
            "Content-Type": CONTENT_TYPE,
            "Content-Transfer-Encoding": "8bit",
            "Plural-Forms": plural_forms(locale),
        }
        return new
    new.header = old.header
    new.metadata = dict(old.metadata)
    if created:
        new.metadata["POT-Creation-Date"] = created
    if not new.metadata.get("Language"):
        new.metadata["Language"] = locale
    if not new.metadata.get("Plural-Forms"):
        new.metadata["Plural-Forms"] = plural_forms(locale)
    new.metadata.setdefault("MIME-Version", "1.0")
    if "charset=utf-8" not in new.metadata.get("Content-Type", "").lower().replace(" ", ""):
        new.metadata["Content-Type"] = CONTENT_TYPE  # we write UTF-8, whatever the file was in
    new.metadata.setdefault("Content-Transfer-Encoding", "8bit")
    # A fuzzy header makes `pybabel compile` skip the whole catalog.
    new.metadata_is_fuzzy = False
    return new


def _has_translation(entry) -> bool:
    return bool(entry.msgstr) or any(entry.msgstr_plural.values())


def _translations(entries) -> set[str]:
    found = set()
    for entry in entries:
        if entry.msgstr:
            found.add(entry.msgstr)
        found.update(text for text in entry.msgstr_plural.values() if text)
    return found


def _closest(wanted, candidates):
    """The old entry with the same msgctxt whose msgid is most like ``wanted``'s."""
    best, best_ratio = None, FUZZY_CUTOFF
    for candidate in candidates:
        if candidate.msgctxt != wanted.msgctxt:
            continue
        matcher = difflib.SequenceMatcher(None, wanted.msgid, candidate.msgid, autojunk=False)
        if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio or (ratio == best_ratio and best is None):
            best, best_ratio = candidate, ratio
    return best


def _is_format_flag(flag: str) -> bool:
    return flag.endswith("-format")


def _carry(wanted, source, nplurals: int, fuzzy: bool = False):
    """``wanted`` (a template entry) with the translation, translator's comment and
    state of ``source``; with ``fuzzy``, marked fuzzy with ``#| msgid`` showing the
    text the translation was made for."""
    entry = _entry_for(wanted, tcomment=source.tcomment)
    # Format flags describe the source text (the template's); the rest is the translator's.
    flags = {f for f in wanted.flags if _is_format_flag(f)} | {f for f in source.flags if not _is_format_flag(f)}
    if wanted.msgid_plural:
        entry.msgstr_plural = {index: "" for index in range(nplurals)}
        entry.msgstr_plural.update(source.msgstr_plural or {0: source.msgstr})
    else:
        entry.msgstr = source.msgstr_plural.get(0, "") if source.msgstr_plural else source.msgstr
    if (wanted.msgid_plural or "") != (source.msgid_plural or ""):
        fuzzy = True  # singular became plural or the other way round
    if "fuzzy" in source.flags and source.previous_msgid is not None:
        previous = (source.previous_msgctxt, source.previous_msgid, source.previous_msgid_plural)
    else:
        previous = (source.msgctxt, source.msgid, source.msgid_plural or None)
    if fuzzy:
        flags.add("fuzzy")
    if "fuzzy" in flags and _has_translation(entry) and (fuzzy or source.previous_msgid is not None):
        entry.previous_msgctxt, entry.previous_msgid, entry.previous_msgid_plural = previous
    if not _has_translation(entry):
        flags.discard("fuzzy")  # nothing to review
    entry.flags = _ordered_flags(flags)
    return entry


def _entry_for(wanted, **fields):
    """A catalog entry for template entry ``wanted``: its text, comments and places."""
    return polib.POEntry(msgctxt=wanted.msgctxt, msgid=wanted.msgid, msgid_plural=wanted.msgid_plural,
                         comment=wanted.comment, occurrences=list(wanted.occurrences), **fields)


def _fresh(wanted, nplurals: int):
    entry = _entry_for(wanted, flags=_ordered_flags(f for f in wanted.flags if f != "fuzzy"))
    if wanted.msgid_plural:
        entry.msgstr_plural = {index: "" for index in range(nplurals)}
    return entry


def _as_obsolete(entry):
    """An entry kept as ``#~``: its text, translation, translator's comment and state."""
    kept = polib.POEntry(
        msgctxt=entry.msgctxt,
        msgid=entry.msgid,
        msgid_plural=entry.msgid_plural,
        msgstr=entry.msgstr,
        msgstr_plural=dict(entry.msgstr_plural),
        tcomment=entry.tcomment,
        flags=_ordered_flags(f for f in entry.flags if f == "fuzzy" or not _is_format_flag(f)),
        obsolete=True,
    )
    if "fuzzy" in kept.flags:
        kept.previous_msgctxt = entry.previous_msgctxt
        kept.previous_msgid = entry.previous_msgid
        kept.previous_msgid_plural = entry.previous_msgid_plural
    return kept


def update_catalog(template_file: Path, catalog_file: Path, locale: str,
                   language_name: str = "") -> tuple[str, MergeReport]:
    """Merge one template into one catalog file, creating it if need be. Returns
    ("created" | "updated" | "unchanged", report); writes only when the content changes."""
    template = read_po_file(template_file)
    if template is None:
        raise InputError(template_file, None, "no template", "run `python -m pipeline extract` first")
    old = read_po_file(catalog_file)
    merged, report = merge_catalog(template, old, locale, language_name)
    if old is not None and _fingerprint(old) == _fingerprint(merged):
        return "unchanged", report
    write_atomic(catalog_file, po_bytes(merged))
    return ("created" if old is None else "updated"), report


# ------------------------------------------------------------------ statistics


_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def without_link_targets(text: str) -> str:
    """Inline Markdown without the addresses of its links and images: ``[a](b)`` → ``[a]``."""
    return _LINK_TARGET.sub("]", text)


def source_words(text: str) -> int:
    """Words a reader sees in a msgid: link targets and Markdown marks do not count."""
    return len(_WORD.findall(without_link_targets(text)))


def catalog_stats(catalog: Catalog | None, template_or_article) -> dict:
    """Translated / fuzzy / untranslated entries of ``catalog`` against what the
    source has now (a template Catalog or an Article), by entries and by source words.

    ``percent`` is rounded down, so 100.0 means every entry is translated.
    """
    counts = {"total": 0, "translated": 0, "fuzzy": 0, "untranslated": 0, "words_total": 0,
              "words_translated": 0}
    for context, msgid in _units(template_or_article):
        words = source_words(msgid)
        counts["total"] += 1
        counts["words_total"] += words
        message = catalog.get(msgid, context=context) if catalog is not None else None
        strings = message.string if message is not None else ""
        strings = list(strings) if isinstance(strings, (list, tuple)) else [strings]
        if message is None or not all(strings):
            counts["untranslated"] += 1
        elif message.fuzzy:
            counts["fuzzy"] += 1
        else:
            counts["translated"] += 1
            counts["words_translated"] += words
    counts["percent"] = _percent(counts["translated"], counts["total"])
    counts["words_percent"] = _percent(counts["words_translated"], counts["words_total"])
    return counts


def _units(template_or_article) -> list[tuple[str | None, str]]:
    if isinstance(template_or_article, Article):
        keys = [block.key for block in template_or_article.blocks]
    else:
        keys = [(m.context, m.id[0] if isinstance(m.id, (list, tuple)) else m.id)
                for m in template_or_article if m.id]
    return list(dict.fromkeys(keys))


def _percent(part: int, whole: int) -> float:
    return 100.0 if not whole else math.floor(part * 1000 / whole) / 10


# ------------------------------------------------------------------ every catalog of a locale


def template_domains(locales_dir: Path) -> list[str]:
    """Every template on disk: the handouts', then ui."""
    domains = sorted(p.stem for p in locales_dir.glob("*.pot") if p.stem != UI_DOMAIN)
    if template_path(locales_dir, UI_DOMAIN).exists():
        domains.append(UI_DOMAIN)
    return domains


def merge_locale(config: Config, locale: str, only_new: bool = False) -> list[tuple]:
    """Merge every template into ``locale``'s catalogs (with ``only_new``, create the
    missing ones and leave the others alone): (locale, domain, status, MergeReport | None)."""
    language = config.locales.get(locale)
    name = language.english_name if language else _english_name(locale)
    rows = []
    for domain in template_domains(config.locales_dir):
        target = catalog_path(config.locales_dir, locale, domain)
        if only_new and target.exists():
            rows.append((locale, domain, "exists", None))
            continue
        status, report = update_catalog(template_path(config.locales_dir, domain), target, locale, name)
        rows.append((locale, domain, status, report))
    return rows


def _english_name(locale: str) -> str:
    try:
        return Locale.parse(locale).english_name
    except (ValueError, UnknownLocaleError):
        return locale
