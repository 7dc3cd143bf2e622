"""Gettext catalogs: read, update, create and count ``locales/<lang>/LC_MESSAGES/<domain>.po``.

Reading for the build goes through Babel (``read_catalog``). Writing goes through
polib, which keeps everything a translator's tool put in a file: every header field,
translator comments, previous msgids, obsolete entries. Merging templates into
catalogs is ``pipeline.merge``.

File format, chosen so that a change to one block is a change to one entry:
entries in source order, obsolete entries last sorted by msgid, no line wrapping
(one line per msgid and msgstr), UTF-8, and a file is rewritten only when its
content changes. ``SOURCE_DATE_EPOCH`` fixes the dates written into headers.
"""

from __future__ import annotations

import codecs
import datetime as dt
import gettext
import io
import math
import os
import re
from pathlib import Path

import polib
from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from pipeline.errors import InputError
from pipeline.files import read_project_file, write_atomic
from pipeline.model import Article, Config

UI_DOMAIN = "ui"
WRAP_WIDTH = 0  # no wrapping (msgcat --no-wrap): a changed block shows as one changed line
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
    """What Babel reports without a line, or not at all (``read_project_file`` has
    refused a huge file already): an empty file, text
    that is not UTF-8 or a header that names another character set, a byte-order mark
    and a Plural-Forms header, which msgfmt rejects. Returns the bytes."""
    if not data.strip():
        raise InputError(path, 1, "the catalog is empty",
                         "restore it from version control, or run `python -m pipeline update` to start it again")
    if data.startswith(codecs.BOM_UTF8):  # msgfmt: "syntax error" at 1:2
        raise InputError(path, 1, "the file starts with a byte-order mark (BOM), which gettext tools reject",
                         "save it as UTF-8 without BOM (Poedit and Weblate do; in Notepad choose 'UTF-8', "
                         "not 'UTF-8 with BOM')")
    fields = _header_fields(data)
    line, content_type = fields.get("content-type", (1, ""))
    found = re.search(r"charset=([A-Za-z0-9._-]+)", content_type)
    charset = found.group(1) if found else "UTF-8"
    try:
        known = codecs.lookup(charset).name
    except LookupError:
        raise InputError(path, line, f"unknown character set '{charset}' in the header",
                         "write charset=UTF-8 in the Content-Type header and save the file as UTF-8") from None
    if known != "utf-8":
        raise InputError(path, line, f"the header says charset={charset}; catalogs here are UTF-8 "
                                     "(the only one that writes every language, and what the pipeline writes back)",
                         "convert the file (msgconv --to-code=UTF-8 file.po) or save it as UTF-8 in Poedit, "
                         "with charset=UTF-8 in the header")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(path, data[:err.start].count(b"\n") + 1,
                         f"the file is not UTF-8 text as its header says (byte 0x{data[err.start]:02x})",
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


def fingerprint(po: polib.POFile, ignore_headers=()) -> tuple:
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


def ordered_flags(flags) -> list[str]:
    flags = set(flags)
    return (["fuzzy"] if "fuzzy" in flags else []) + sorted(flags - {"fuzzy"})


def plural_forms(locale: str) -> str:
    """The Plural-Forms header of a language; an unknown language is an input error."""
    try:
        return get_plural(locale).plural_forms
    except (UnknownLocaleError, ValueError):
        raise InputError(None, None, f"'{locale}' is not a language Babel knows",
                         "use a gettext language code such as mr, hi or pt_BR") from None


def plural_count(plural_forms: str) -> int:
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
            flags=ordered_flags(message.flags - {"fuzzy"}),
        )
        if plural:
            entry.msgstr_plural = {index: "" for index in range(plural_count(forms))}
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
    if old is not None and fingerprint(old, dates) == fingerprint(po, dates):
        return False
    now = source_date()
    for name in dates:
        po.metadata[name] = now
    write_atomic(path, po_bytes(po))
    return True


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
