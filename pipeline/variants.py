"""Regional variants of a language: ``en_US`` is English with US words where they
differ, ``mr_IN`` would be Marathi as written in India.

A variant's catalogs hold only the blocks that differ; every other block comes from
its base language, block by block, the way gettext's language fallback goes from
``en_US`` to ``en``. For a variant of the source language the base text is the
source itself, so a block the variant does not hold is not "untranslated": the page
shows it as it is, with no notice, and the variant is 100 % of itself. For a variant
of a translated language the chain is variant → base catalog → source.

Codes are written the gettext way in the configuration and in folder names
(``locales/en_US/LC_MESSAGES/<slug>.po``, ``outputs/<clinic>/en_US/``); pages, links
and PDFs carry the BCP 47 tag (``lang="en-US"``, ``hreflang``, the PDF's ``/Lang``).
"""

from __future__ import annotations

import re

from pipeline.catalogs import (catalog_path, fingerprint, po_bytes, read_catalog, read_po_file, template_domains,
                               template_path)
from pipeline.files import write_atomic
from pipeline.merge import merge_catalog
from pipeline.model import Config


def base_of(code: str) -> str | None:
    """The base language of a regional code (``en_US`` → ``en``), or None."""
    language, _, region = code.partition("_")
    return language if region else None


def is_variant(config: Config, code: str) -> bool:
    """``code`` is a regional variant of a language the configuration also has."""
    base = base_of(code)
    return base is not None and base in config.locales


def chain(config: Config, code: str) -> list[str]:
    """Where a block's text is looked for, in order: ``en_US`` → [en_US, en];
    ``mr_IN`` → [mr_IN, mr, en]; ``mr`` → [mr, en]."""
    found = [code]
    while is_variant(config, found[-1]):
        found.append(base_of(found[-1]))
    if found[-1] != config.source_language:
        found.append(config.source_language)
    return found


def language_tag(code: str) -> str:
    """The BCP 47 tag of a gettext code: ``en_US`` → ``en-US``; ``mr`` stays ``mr``."""
    return code.replace("_", "-")


_GETTEXT_CODE_IN_ATTRIBUTE = re.compile(r'(\s(?:lang|hreflang|xml:lang)=")([a-z]{2,3})_([A-Z]{2})(")')


def html_language_tags(html: str) -> str:
    """``lang``/``hreflang`` attributes written with a gettext code (``en_US``) as
    BCP 47 tags (``en-US``), which browsers, screen readers and WeasyPrint's PDF
    ``/Lang`` understand. The templates write locale codes; this is the one place
    they become tags."""
    return _GETTEXT_CODE_IN_ATTRIBUTE.sub(r"\1\2-\3\4", html)


def base_catalog(config: Config, code: str, slug: str):
    """For a variant of a translated language, the base language's catalog of
    ``slug`` (Babel Catalog or None) and the base's code; (None, "") otherwise. For a
    variant of the source language the base text is the handout itself."""
    if not is_variant(config, code):
        return None, ""
    base = base_of(code)
    if base == config.source_language:
        return None, base
    return read_catalog(catalog_path(config.locales_dir, base, slug), base), base


def merge_variant(config: Config, locale: str) -> list[tuple]:
    """``update`` for a regional variant: each catalog it has is brought in line with
    its template as any catalog is (kept, fuzzy with ``#|`` where the source changed,
    obsolete where it is gone), but the blocks it does not hold are not added, and no
    catalog is started: a variant holds only what differs from its base. Rows as
    ``merge.merge_locale`` gives them."""
    name = config.locales[locale].english_name
    rows = []
    for domain in template_domains(config.locales_dir):
        target = catalog_path(config.locales_dir, locale, domain)
        old = read_po_file(target)
        if old is None:
            rows.append((locale, domain, "none (variant)", None))
            continue
        merged, report = merge_catalog(read_po_file(template_path(config.locales_dir, domain)), old, locale, name)
        for entry in [e for e in merged if not e.obsolete and not e.translated() and "fuzzy" not in e.flags]:
            merged.remove(entry)  # a block the variant leaves to its base
        report.new = 0
        if fingerprint(old) == fingerprint(merged):
            rows.append((locale, domain, "unchanged", report))
            continue
        write_atomic(target, po_bytes(merged))
        rows.append((locale, domain, "updated", report))
    return rows
