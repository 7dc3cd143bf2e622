"""What a build must do: the units the selection asks for, which of their outputs are
stale, and which recorded units no longer exist (their files are withdrawn)."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import InputError
from pipeline.model import Config
from pipeline.formats import BILINGUAL, HTML, ON_REQUEST, PUBLISHED, is_print
from pipeline.sources import article_paths, read_handout_bytes
from pipeline.build.digests import Inputs
from pipeline.build.manifest import Manifest, unit_parts
from pipeline.build.units import Unit


def check_selection(config: Config, paths: list[Path], clinics, locales, slugs) -> None:
    """Every clinic, locale and handout asked for exists."""
    known = {p.stem for p in paths}
    for slug in slugs or ():
        if slug not in known:
            raise InputError(config.source_dir / f"{slug}.md", None, f"no handout named '{slug}'",
                             "available: " + ", ".join(sorted(known)))
    for cid in clinics or ():
        if cid not in config.clinics:
            raise InputError(config.path, None, f"no clinic '{cid}'", "configured: " + ", ".join(config.clinics))
    for code in locales or ():
        if code not in config.locales:
            raise InputError(config.path, None, f"no locale '{code}'", "configured: " + ", ".join(config.locales))


def plan(config: Config, inputs: Inputs, manifest: Manifest, clinics, locales, slugs, formats):
    """Every unit the selection asks for, with its input digests and which of its files
    are online, and the source files that cannot be handouts."""
    paths = article_paths(config.source_dir)
    check_selection(config, paths, clinics, locales, slugs)
    units, problems = [], []
    for path in paths:
        if slugs and path.stem not in slugs:
            continue
        try:  # a folder, a pipe or a link elsewhere named like a handout: refused, never opened
            source = read_handout_bytes(path)
        except InputError as err:
            problems.append(err)
            continue
        for cid, clinic in config.clinics.items():
            if clinics and cid not in clinics:
                continue
            for code in clinic.locales:
                if locales and code not in locales:
                    continue
                name = f"{cid}/{code}/{path.stem}"
                online = manifest.online(name, clinic.bilingual_formats(code))
                # an edition made on request and still online is kept current
                wanted = unit_formats(clinic, code, formats) + tuple(f for f in ON_REQUEST if f in online
                                                                      and f not in formats)
                digests, size = inputs.output_digests(cid, code, path.stem, source, wanted)
                units.append(Unit(cid, code, path.stem, path, digests, size, online))
    return units, problems


def unit_formats(clinic, locale: str, formats) -> tuple[str, ...]:
    """The formats asked for, with ``bilingual`` standing for the bilingual editions the
    clinic builds with the handout in ``locale`` (none, for most languages)."""
    wanted = []
    for fmt in formats:
        wanted += clinic.bilingual_formats(locale) if fmt == BILINGUAL else [fmt]
    return tuple(dict.fromkeys(wanted))


def stale_part(unit: Unit, manifest: Manifest, force: bool) -> Unit | None:
    """``unit`` cut down to the outputs that must be built; None when all are current.

    An output is current when its recorded digest matches and its decision still
    stands on disk: a published file is there, a held or withdrawn one needs nothing."""
    recorded = manifest.units.get(unit.name, {}).get("outputs", {})

    def current(fmt: str) -> bool:
        record = recorded.get(fmt)
        if not record or record["digest"] != unit.digests[fmt]:
            return False
        return record["status"] != PUBLISHED or fmt in unit.online

    stale = {fmt: value for fmt, value in unit.digests.items() if force or not current(fmt)}
    if not stale:
        return None
    if HTML in unit.digests and any(f in stale and f not in unit.online for f in filter(is_print, unit.digests)):
        stale[HTML] = unit.digests[HTML]  # the page may link to a first PDF
    return Unit(unit.clinic, unit.locale, unit.slug, unit.source, stale, unit.size, unit.online)


def gone(config: Config, manifest: Manifest) -> list[str]:
    """Recorded units whose handout, locale or clinic no longer exists."""
    names = set(manifest.units) | {r["unit"] for r in manifest.owned.values() if "unit" in r}
    return sorted(name for name in names if not _exists(config, *unit_parts(name)))


def _exists(config: Config, cid: str, locale: str, slug: str) -> bool:
    clinic = config.clinics.get(cid)
    return bool(clinic and locale in clinic.locales and (config.source_dir / f"{slug}.md").is_file())
