"""The inputs of a unit, as data: the handout, its catalogs and the interface
catalogs of its locale (and of the locales it falls back to), their glossaries and
the images the handout shows, each read here, where the project is, and sent with
the unit. Where the unit runs (a process of this machine or a worker of a cluster),
``render_unit`` reads them from what was sent (``files.reading_shipped``), never from
a path: a worker needs the package, not the project.

Each file is read as its stage reads it (the same folder it must stay in), so a file
that is refused (a link out of the project, a pipe, a huge file) is refused there
with the same message, at the same file."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.files import read_shipped
from pipeline.formats import pair_of
from pipeline.model import Config
from pipeline.build.digests import unit_files
from pipeline.build.units import Unit


def unit_inputs(config: Config, unit: Unit) -> dict[str, tuple]:
    """Every project file ``unit`` reads: path -> ``files.read_shipped`` record. The
    files are those its digests are made of (``digests.unit_files``)."""
    files: dict[str, tuple] = {}

    def ship(path: Path, root: Path, what: str) -> tuple:
        record = read_shipped(path, root, what)
        for key in {os.path.normpath(path), os.path.normpath(Path(path).absolute())}:
            files[key] = record
        return record

    source = ship(unit.source, Path(unit.source).parent, "handout")
    text = source[1] if source[0] == "file" else b""
    # a bilingual edition shows the handout in its other language too
    locales = dict.fromkeys([unit.locale, *(pair_of(fmt)[0] for fmt in unit.formats if pair_of(fmt))])
    for locale in locales:
        for path, root, what in unit_files(config, locale, unit.slug, text):
            ship(path, root, what)
    return files
