"""What the handouts share: the assets folder and one index page per clinic, written
from what the manifest says is online. Each is rendered only when what it shows changed."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import __version__
from pipeline.catalogs import UI_DOMAIN, catalog_path
from pipeline.files import write_atomic
from pipeline.model import Config
from pipeline.build.digests import Inputs
from pipeline.build.manifest import INDEX_NAME, Manifest, delete_owned, unit_parts

CODE_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR, TEMPLATE_DIR = CODE_DIR / "static", CODE_DIR / "templates"  # as render_html reads them


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless the file already holds exactly it."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomic(path, data)
    return True


def asset_paths(config: Config) -> list[str]:
    """The files ``copy_assets`` may write, relative to the output folder."""
    images = config.source_dir / "images"
    names = [f"assets/{p.name}" for p in STATIC_DIR.iterdir() if p.is_file()]
    if images.is_dir():
        names += [f"assets/images/{p.name}" for p in images.iterdir()]
    return names


def write_assets(config: Config, inputs: Inputs, manifest: Manifest, output_dir: Path) -> None:
    static = sorted(p for p in STATIC_DIR.iterdir() if p.is_file())
    images_dir = config.source_dir / "images"
    images = sorted(p for p in images_dir.iterdir() if p.is_file()) if images_dir.is_dir() else []
    # The code is part of it: what copy_assets publishes of an image (the checked SVG) is its work.
    digest = inputs.files(static + images, __version__ + inputs.page)
    if manifest.shared.get("assets") == digest and (output_dir / "assets").is_dir():
        return
    from pipeline.render_html import copy_assets  # the page renderer loads only when something changed

    published = copy_assets(config.source_dir, output_dir)
    for path, data in published.items():
        write_if_changed(path, data)
    outputs = output_dir.resolve()
    for relative in asset_paths(config):  # an image published before and refused now is taken down
        path = output_dir / relative
        if (relative.startswith("assets/images/") and path not in published
                and path.parent.resolve() == outputs / "assets" / "images"  # never through a planted link
                and (path.is_symlink() or path.is_file())):
            path.unlink()
    manifest.shared["assets"] = digest
    manifest.changed = True


def index_entries(config: Config, manifest: Manifest, cid: str) -> list[dict]:
    """The clinic's handouts that have something online, in every language it publishes."""
    clinic = config.clinics[cid]
    entries = []
    for name, record in sorted(manifest.units.items()):
        clinic_id, locale, slug = unit_parts(name)
        entry = record.get("entry")
        if clinic_id == cid and locale in clinic.locales and entry and (entry["html"] or entry["pdf"]
                                                                         or entry["large_print"]):
            wanted = clinic.bilingual_formats(locale)  # editions the clinic still prints
            entries.append({"locale": locale, "slug": slug, **entry,
                            "bilingual": [f for f in entry.get("bilingual", ()) if f in wanted]})
    return entries


def write_indexes(config: Config, inputs: Inputs, manifest: Manifest, output_dir: Path) -> int:
    """One index page per clinic; the page of a clinic with nothing online, or no
    longer configured, is taken down. Returns how many pages were taken down."""
    templates = sorted(p for p in TEMPLATE_DIR.iterdir() if p.is_file())
    removed = 0
    for cid, clinic in config.clinics.items():
        relative = f"{cid}/{INDEX_NAME}"
        entries = index_entries(config, manifest, cid)
        if not entries:
            removed += _take_down(manifest, output_dir, relative)
            manifest.shared.pop(f"index:{cid}", None)
            continue
        catalogs = [catalog_path(config.locales_dir, code, UI_DOMAIN) for code in clinic.locales]
        digest = inputs.files(templates + catalogs, inputs.page + inputs.clinic(cid) + json.dumps(entries, sort_keys=True))
        index = output_dir / relative
        if manifest.shared.get(f"index:{cid}") != digest or not index.exists():
            from pipeline.render_html import render_index  # loads only when an index changed

            write_if_changed(index, render_index(config, clinic, entries).encode("utf-8"))
            manifest.shared[f"index:{cid}"] = digest
            manifest.changed = True
        manifest.own(relative, {"index": cid})
    for relative, record in list(manifest.owned.items()):
        if "index" in record and record["index"] not in config.clinics:
            removed += _take_down(manifest, output_dir, relative)
            manifest.shared.pop(f"index:{record['index']}", None)
    return removed


def _take_down(manifest: Manifest, output_dir: Path, relative: str) -> int:
    if relative not in manifest.owned:
        return 0
    removed = delete_owned(output_dir, relative)
    manifest.disown(relative)
    return int(removed)
