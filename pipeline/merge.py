"""Merging: bring each locale's catalogs in line with the templates (``update``,
``init-locale``) without losing a translation.

The merge is our own, because Babel's ``Catalog.update`` fuzzy-matches across
``msgctxt``, drops the previous msgid unless asked, and starts new catalogs with a
fuzzy header. Files are read and written as ``pipeline.catalogs`` does: losslessly,
one line per string, rewritten only when their content changes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import polib
from babel import Locale
from babel.core import UnknownLocaleError

from pipeline.catalogs import (CONTENT_TYPE, TEMPLATE_TITLE, WRAP_WIDTH, catalog_path, entry_key, fingerprint, ordered_flags,
                               plural_count, plural_forms, po_bytes, read_po_file, source_date, template_domains,
                               template_path)
from pipeline.errors import BuildError, InputError
from pipeline.files import write_atomic
from pipeline.model import Config

FUZZY_CUTOFF = 0.6  # difflib ratio a changed msgid needs to inherit a translation, as msgmerge


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
    nplurals = plural_count(new.metadata.get("Plural-Forms", ""))
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
    entry.flags = ordered_flags(flags)
    return entry


def _entry_for(wanted, **fields):
    """A catalog entry for template entry ``wanted``: its text, comments and places."""
    return polib.POEntry(msgctxt=wanted.msgctxt, msgid=wanted.msgid, msgid_plural=wanted.msgid_plural,
                         comment=wanted.comment, occurrences=list(wanted.occurrences), **fields)


def _fresh(wanted, nplurals: int):
    entry = _entry_for(wanted, flags=ordered_flags(f for f in wanted.flags if f != "fuzzy"))
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
        flags=ordered_flags(f for f in entry.flags if f == "fuzzy" or not _is_format_flag(f)),
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
    if old is not None and fingerprint(old) == fingerprint(merged):
        return "unchanged", report
    write_atomic(catalog_file, po_bytes(merged))
    return ("created" if old is None else "updated"), report


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
