"""Gettext catalogs: read, update, create and count ``locales/<lang>/LC_MESSAGES/<domain>.po``."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from pipeline.errors import InputError

UI_DOMAIN = "ui"


def catalog_path(locales_dir: Path, locale: str, domain: str) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{domain}.po"


def template_path(locales_dir: Path, domain: str) -> Path:
    return locales_dir / f"{domain}.pot"


def read_catalog(path: Path, locale: str | None = None) -> Catalog | None:
    """Read a .po file; None if it does not exist. Syntax errors name file and line."""
    if not path.exists():
        return None
    try:
        with open(path, "rb") as handle:
            return read_po(handle, locale=locale, abort_invalid=True)
    except Exception as err:  # babel raises PoFileError with the line in its message
        raise InputError(path, getattr(err, "lineno", None), f"cannot read catalog: {err}",
                         "fix the syntax (msgfmt --check shows it) or restore the file from version control") from None


def add_command(subparsers, common) -> None:
    """Commands update, init-locale and stats are registered here."""
