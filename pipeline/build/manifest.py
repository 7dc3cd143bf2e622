"""The build's record, ``outputs/.build-manifest.json``, and the files it owns.

Two things are kept apart: which files the build published and still owns
(``owned``), and whether each output is current (``units``: per format, the digest
of what it was built from and what the publishing decision was). A failed build
forgets that an output is current, never that it owns the file, so a handout removed
later still has its files taken down.

Neither the manifest nor the output folder is trusted: every entry is checked
against the schema, a malformed one is dropped (its output is built again), and
every path must be one the build itself writes, inside the output folder. Nothing
else is ever deleted.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path, PurePosixPath

from filelock import FileLock, Timeout

from pipeline.config import ID_PATTERN, LOCALE_PATTERN
from pipeline.errors import InputError
from pipeline.files import temporary_of, write_atomic
from pipeline.model import Config
from pipeline.formats import STATUSES, SUFFIX, is_known, pair_of
from pipeline.sources import SLUG_PATTERN
from pipeline.build.units import output_path

MANIFEST_NAME = ".build-manifest.json"
LOCK_NAME = ".build.lock"
MANIFEST_VERSION = 3
INDEX_NAME = "index.html"
CHECKPOINT_SECONDS = 30.0  # how often a long build saves its record
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_MODULE = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")


def unit_parts(name) -> tuple[str, str, str] | None:
    """``clinic/locale/slug`` split, or None when it is not a unit name."""
    parts = name.split("/") if isinstance(name, str) else []
    if len(parts) == 3 and ID_PATTERN.match(parts[0]) and LOCALE_PATTERN.match(parts[1]) \
            and SLUG_PATTERN.match(parts[2]):
        return parts[0], parts[1], parts[2]
    return None


def _valid_owned(path, record) -> bool:
    """An owned file is an output of a unit or a clinic's index page, at the exact
    path the build gives it."""
    if not isinstance(path, str) or not isinstance(record, dict):
        return False
    if "index" in record:
        return isinstance(record["index"], str) and ID_PATTERN.match(record["index"]) is not None \
            and path == f"{record['index']}/{INDEX_NAME}" and len(record) == 1
    parts = unit_parts(record.get("unit"))
    fmt, percent = record.get("format"), record.get("percent")
    return (parts is not None and is_known(fmt) and path == output_path(*parts, fmt)
            and isinstance(percent, int) and not isinstance(percent, bool) and 0 <= percent <= 100)


def _valid_output(record) -> bool:
    return (isinstance(record, dict) and isinstance(record.get("digest"), str) and _DIGEST.match(record["digest"])
            is not None and record.get("status") in STATUSES and isinstance(record.get("reason", ""), str))


def _valid_entry(entry) -> bool:
    return (isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in
                                            ("title", "title_lang", "summary", "summary_lang"))
            and all(isinstance(entry.get(k), bool) for k in ("html", "pdf", "large_print"))
            and isinstance(entry.get("percent"), int) and not isinstance(entry.get("percent"), bool)
            and isinstance(entry.get("bilingual", []), list) and all(pair_of(f) for f in entry.get("bilingual", [])))


def _valid_code(name, record) -> bool:
    return (isinstance(name, str) and _MODULE.match(name) is not None and isinstance(record, list)
            and len(record) == 5 and isinstance(record[0], str)
            and all(isinstance(part, list) and all(isinstance(x, str) for x in part) for part in record[1:])
            and all(_MODULE.match(x) for x in record[1]))


class Manifest:
    """The record of a build, read from a file nobody vouches for."""

    def __init__(self, path: Path, data: dict):
        self.path = path
        self.data = data
        self.owned: dict = data["owned"]
        self.units: dict = data["units"]
        self.cache: dict = data["cache"]  # what digests.Inputs keeps between builds
        self.shared: dict = data["shared"]
        self.changed = False
        self._saved = time.monotonic()

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = None
        raw = raw if isinstance(raw, dict) else {}
        if raw.get("manifest") == 2:  # the record of an older build: keep what it says it owns
            raw = _from_version_2(raw)
        elif raw.get("manifest") != MANIFEST_VERSION:
            raw = {}
        data = {"manifest": MANIFEST_VERSION,
                "owned": {p: r for p, r in _mapping(raw, "owned").items() if _valid_owned(p, r)},
                "units": {}, "shared": {}, "cache": {}}
        for name, record in _mapping(raw, "units").items():
            if unit_parts(name) is None or not isinstance(record, dict):
                continue
            outputs = record.get("outputs") if isinstance(record.get("outputs"), dict) else {}
            clean = {"outputs": {fmt: out for fmt, out in outputs.items() if is_known(fmt)
                                 and _valid_output(out)}}
            if _valid_entry(record.get("entry")):
                clean["entry"] = record["entry"]
            data["units"][name] = clean
        data["shared"] = {k: v for k, v in _mapping(raw, "shared").items()
                          if isinstance(k, str) and isinstance(v, str)}
        cache = _mapping(raw, "cache")
        data["cache"] = {key: value for key, value in cache.items() if key in ("fonts", "distributions", "installed")
                         and isinstance(value, dict)}
        data["cache"]["code"] = {n: r for n, r in _mapping(cache, "code").items() if _valid_code(n, r)}
        return cls(path, data)

    def own(self, relative: str, record: dict) -> None:
        if self.owned.get(relative) != record:
            self.owned[relative] = record
            self.changed = True

    def disown(self, relative: str) -> None:
        if self.owned.pop(relative, None) is not None:
            self.changed = True

    def online(self, name: str, bilingual: tuple[str, ...] = ()) -> dict:
        """format -> percent, for the files of unit ``name`` the build owns and that exist
        (of its ``bilingual`` editions too)."""
        parts = unit_parts(name)
        found = {}
        for fmt in (*SUFFIX, *bilingual):
            relative = output_path(*parts, fmt)
            record = self.owned.get(relative)
            if record and (self.path.parent / relative).is_file():
                found[fmt] = record["percent"]
        return found

    def save(self) -> None:
        if not self.changed:
            return
        text = json.dumps(self.data, separators=(",", ":"), sort_keys=True, ensure_ascii=False)  # C encoder
        write_atomic(self.path, text.encode())
        self.changed = False
        self._saved = time.monotonic()

    def checkpoint(self) -> None:
        """Save now and then during a long build, so a crash loses little work."""
        if self.changed and time.monotonic() - self._saved > CHECKPOINT_SECONDS:
            self.save()


def _mapping(data: dict, key: str) -> dict:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _from_version_2(raw: dict) -> dict:
    """Ownership from the older record (it kept paths with the digests): every output
    it lists is owned; nothing is current, so everything is built again."""
    owned = {}
    for name, record in _mapping(raw, "units").items():
        parts = unit_parts(name)
        if parts is None or not isinstance(record, dict):
            continue
        percent = _mapping(record, "entry").get("percent", 0)
        percent = int(percent) if isinstance(percent, (int, float)) and 0 <= percent <= 100 else 0
        for fmt in _mapping(record, "outputs"):
            if is_known(fmt):
                owned[output_path(*parts, fmt)] = {"unit": name, "format": fmt, "percent": percent}
    return {"owned": owned}


def delete_owned(output_dir: Path, relative: str) -> bool:
    """Delete one file the build published. Refuses anything but a relative path with
    the build's own suffixes whose folder is inside ``output_dir``."""
    pure = PurePosixPath(relative)
    if (pure.is_absolute() or ".." in pure.parts or "\\" in relative or not pure.parts
            or not relative.endswith(tuple(SUFFIX.values()))):
        return False
    path = output_dir / relative
    root = output_dir.resolve()
    try:
        if not path.parent.resolve().is_relative_to(root) or path.parent.resolve() == root:
            return False
        if path.is_symlink() or not path.is_file():
            if path.is_symlink():
                path.unlink()
                return True
            return False
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def remove_stale_temporaries(output_dir: Path, targets) -> list[Path]:
    """Delete the temporary files a killed build left: only files named as
    ``write_atomic`` names the temporary copy of a file this build writes (``targets``,
    relative paths), in that file's folder."""
    wanted: dict[str, set[str]] = {}
    for relative in targets:
        folder, _, name = relative.rpartition("/")
        wanted.setdefault(folder, set()).add(name)
    removed = []
    for folder, names in wanted.items():
        directory = output_dir / folder if folder else output_dir
        if directory.is_symlink() or not directory.resolve().is_relative_to(output_dir.resolve()):
            continue
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if temporary_of(entry.name) in names and entry.is_file(follow_symlinks=False):
                try:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
                except FileNotFoundError:
                    pass
    return sorted(removed)


def check_output_folder(config: Config) -> None:
    """Refuse an output folder that is the project, holds or is inside the handouts or
    catalogs, or lies outside the project: the build deletes files there."""
    outputs = config.output_dir.resolve()
    root = config.root.resolve()
    problem = None
    if outputs == root:
        problem = "is the project folder itself"
    elif not outputs.is_relative_to(root):
        problem = "is outside the project"
    else:
        for folder, what in ((config.source_dir, "handouts"), (config.locales_dir, "catalogs")):
            folder = folder.resolve()
            if outputs == folder or outputs.is_relative_to(folder) or folder.is_relative_to(outputs):
                problem = f"overlaps the {what} folder {folder.relative_to(root) if folder.is_relative_to(root) else folder}"
    if problem:
        raise InputError(config.path, _line_of(config.path, "outputs"), f"the output folder {config.output_dir} {problem}",
                         "set paths.outputs to a folder of its own inside the project, such as outputs")


def _line_of(path: Path, key: str) -> int | None:
    """The line of ``key:`` in a YAML file (for the message only)."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.match(rf"^\s*{re.escape(key)}\s*:", line):
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return None


class BuildLock:
    """One build at a time per output folder; a second one says so and stops."""

    def __init__(self, output_dir: Path):
        self.lock = FileLock(str(output_dir / LOCK_NAME))

    def __enter__(self):
        try:
            self.lock.acquire(timeout=0.5)
        except Timeout:
            raise InputError(self.lock.lock_file, None, "another build is running in this output folder",
                             "wait for it to finish, then build again") from None
        return self

    def __exit__(self, *exc):
        self.lock.release()
