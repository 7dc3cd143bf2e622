"""Writing files so that a crash never leaves a half-written one."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

TEMPORARY_PREFIX = "."
TEMPORARY_SUFFIX = ".tmp"
# What write_atomic leaves behind if the process is killed between writing and
# renaming: ".<name>.<8 random characters>.tmp" (tempfile.mkstemp's pattern).
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


def _default_mode() -> int:
    """The permissions a new file gets from the umask (mkstemp makes them 0600,
    which a web server running as another user could not read)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_NEW_FILE_MODE = _default_mode()


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a
    rename: a reader sees the old file or the new one, never a truncated one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = _NEW_FILE_MODE
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMPORARY_PREFIX}{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def display_path(path: str | Path, root: str | Path) -> str:
    """A path as people type it in this project: relative to ``root`` (with /) when
    inside it, else as given. Messages, catalogs and reports name files this way."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete the temporary files a killed process left in ``folder`` and below;
    return them. Call it only while no other process writes there (under the build
    lock): a running writer's temporary file looks the same."""
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for directory, _subdirs, names in os.walk(folder):
        for name in names:
            if _TEMPORARY.match(name):
                path = Path(directory) / name
                try:
                    path.unlink()
                    removed.append(path)
                except FileNotFoundError:
                    pass
    return sorted(removed)
