"""Reading files that anyone may have put in the project, and writing files so
that a crash never leaves a half-written one.

Every file the pipeline reads from the project (handouts, catalogs, glossaries,
images, the configuration) is untrusted: it may be a link to a file elsewhere, a
named pipe that blocks whoever opens it, a device, a folder, or a sparse file of
many gigabytes. ``read_project_file`` looks before it reads, and says what it
found at the file.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from pipeline.errors import InputError, PipelineError, shown

TEMPORARY_PREFIX = "."
TEMPORARY_SUFFIX = ".tmp"
# What write_atomic leaves behind if the process is killed between writing and
# renaming: ".<name>.<8 random characters>.tmp" (tempfile.mkstemp's pattern).
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")


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


def temporary_of(name: str) -> str | None:
    """The name of the file that ``name`` is a temporary copy of, when ``write_atomic``
    named it; None for any other name."""
    match = _TEMPORARY.match(name)
    return match["name"] if match else None


# ------------------------------------------------------------------ reading untrusted files


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is, or None for a regular file."""
    return next((name for test, name in _KINDS if test(mode)), None if stat.S_ISREG(mode) else "not a file")


def read_project_file(path: str | Path, root: str | Path, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of ``path``, a regular file of at most ``max_bytes`` inside ``root``
    once every link is followed: all of that is checked from the file's status before
    it is opened; it is opened without following a last link and without blocking,
    and checked again once open (it may have been swapped for a pipe or have grown).

    A missing file raises ``FileNotFoundError`` (callers decide what a missing file
    means); everything else is an ``InputError`` at the file. Inside ``reading_shipped``
    a project file is taken from what was shipped, never from the disk."""
    path = Path(path)
    if _SHIPPED.get() is not None:
        shipped = _shipped_record(path)
        if shipped is not _NOT_SHIPPED:
            return _shipped_bytes(path, shipped, max_bytes, what)
    resolved, _status = _checked(path, root, max_bytes, what)
    try:
        descriptor = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as err:  # swapped for a link meanwhile, or not readable
        raise _unreadable(path, what, err) from None
    with os.fdopen(descriptor, "rb") as handle:
        kind = _kind(os.fstat(descriptor).st_mode)
        if kind:
            raise _not_a_file(path, what, kind)
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(path, None, f"the {what} grew while it was read; {what}s are limited to {max_bytes:,}",
                         "restore the file from version control, or make it smaller")
    return data


def _checked(path: Path, root: str | Path, max_bytes: int, what: str) -> tuple[Path, os.stat_result]:
    """The real path of ``path`` and its status, or the reason it may not be read."""
    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError:
        raise
    except (OSError, RuntimeError):  # a loop of links, a name too long
        raise InputError(path, None, f"the {what} '{shown(path.name)}' cannot be opened (a loop of links?)",
                         "replace the link with the file itself") from None
    if not resolved.is_relative_to(Path(root).resolve()):
        raise InputError(path, None, f"the {what} '{shown(path.name)}' is a link to a file outside "
                                     f"{shown(Path(root).name)}/",
                         "copy the file into the project instead of linking to it")
    try:
        status = os.stat(resolved)
    except OSError as err:
        raise _unreadable(path, what, err) from None
    kind = _kind(status.st_mode)
    if kind:
        raise _not_a_file(path, what, kind)
    if status.st_size > max_bytes:
        raise _TooLarge(path, what, status.st_size, max_bytes)
    return resolved, status


class _TooLarge(InputError):
    """A file larger than its reader's limit; ``size`` is what it holds."""

    def __init__(self, path: Path, what: str, size: int, max_bytes: int):
        super().__init__(path, None, f"the {what} is {size:,} bytes; {what}s are limited to {max_bytes:,}",
                         "restore the file from version control, or make it smaller")
        self.size = size


def _not_a_file(path: Path, what: str, kind: str) -> InputError:
    return InputError(path, None, f"the {what} '{shown(path.name)}' is {kind}, not a regular file",
                      "replace it with an ordinary file, or remove it")


def _unreadable(path: Path, what: str, err: OSError) -> InputError:
    return InputError(path, None, f"the {what} '{shown(path.name)}' cannot be read ({shown(err.strerror)})",
                      "check the file's permissions, and that it is a file, not a link")


MAX_HASHED_BYTES = 50_000_000  # far above any input the stages accept


def file_digest(path: str | Path, max_bytes: int = MAX_HASHED_BYTES) -> str:
    """A digest that changes when the file at ``path`` changes, for deciding what to
    rebuild; it never blocks and never reads more than ``max_bytes``. A missing file
    is "-"; a pipe, device or folder, or a file larger than ``max_bytes``, is
    described by what it is and its status instead of read: the stage that reads it
    refuses it at the file, so planning only has to notice that it changed."""
    path = Path(path)
    try:
        status = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "-"
    except (OSError, RuntimeError) as err:
        return f"unreadable:{type(err).__name__}"
    kind = _kind(status.st_mode)
    if kind or status.st_size > max_bytes:
        return f"{kind or 'large'}:{status.st_size}:{status.st_mtime_ns}:{status.st_ino}"
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        return f"unreadable:{type(err).__name__}"
    with os.fdopen(descriptor, "rb") as handle:
        if _kind(os.fstat(descriptor).st_mode):  # swapped for a pipe since the stat
            return f"changed:{status.st_mtime_ns}"
        return hashlib.sha256(handle.read(max_bytes + 1)).hexdigest()


# ------------------------------------------------------------------ files shipped with a unit of work
#
# A unit of the build may run on another machine, where the project's files are not:
# the build reads what the unit needs (``read_shipped``) and ships it with the unit;
# there, every read of a project file is answered from what was shipped.

MAX_SHIPPED_BYTES = 20_000_000  # the largest file any stage reads; each reader checks its own limit again
_SHIPPED: ContextVar = ContextVar("shipped_files", default=None)  # (project root, {path: record})
_NOT_SHIPPED = object()


def read_shipped(path: str | Path, root: str | Path, what: str = "file") -> tuple:
    """What ``read_project_file`` finds at ``path``, as data to ship: ``("file", bytes)``,
    ``("missing",)``, ``("large", size)`` (refused where it is read, naming that
    reader's limit) or ``("refused", message, hint)`` (a link out, a pipe)."""
    try:
        return ("file", read_project_file(path, root, MAX_SHIPPED_BYTES, what))
    except FileNotFoundError:
        return ("missing",)
    except _TooLarge as err:
        return ("large", err.size)
    except InputError as err:
        return ("refused", err.message, err.hint)


@contextmanager
def reading_shipped(files: dict[str, tuple], root: str | Path):
    """Within this block, project files (under ``root``) are read from ``files``
    (``{path: read_shipped(path, ...)}``), never from the disk; a project file that
    was not shipped is an error (the build forgot an input), not a file read here."""
    token = _SHIPPED.set((os.path.normpath(root), files))
    try:
        yield
    finally:
        _SHIPPED.reset(token)


def _shipped_record(path: Path):
    root, files = _SHIPPED.get()
    key = os.path.normpath(path)
    if key in files:
        return files[key]
    if key == root or key.startswith(root.rstrip(os.sep) + os.sep):
        raise PipelineError(f"{shown(path)} was needed but not sent with the unit of work (a defect of the build)")
    return _NOT_SHIPPED


def _shipped_bytes(path: Path, record: tuple, max_bytes: int, what: str) -> bytes:
    if record[0] == "missing":
        raise FileNotFoundError(path)
    if record[0] == "refused":
        raise InputError(path, None, record[1], record[2])
    if record[0] == "large":  # above every reader's limit: never read
        raise _TooLarge(path, what, record[1], max_bytes)
    data = record[1]
    if len(data) > max_bytes:
        raise _TooLarge(path, what, len(data), max_bytes)
    return data


def file_stamp(path: str | Path) -> tuple | None:
    """What tells a cache that the regular file at ``path`` changed: its time and size,
    or the digest of the bytes shipped for it; None when it is not a regular file."""
    if _SHIPPED.get() is not None:
        record = _shipped_record(Path(path))
        if record is not _NOT_SHIPPED:
            if record[0] == "missing":
                return None
            return ("shipped", hashlib.sha256(record[1] if record[0] == "file" else repr(record).encode()).hexdigest())
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return (status.st_mtime_ns, status.st_size) if stat.S_ISREG(status.st_mode) else None


def project_file_exists(path: str | Path) -> bool:
    """``path`` exists (or is a link), on the disk or among the files shipped."""
    if _SHIPPED.get() is not None:
        record = _shipped_record(Path(path))
        if record is not _NOT_SHIPPED:
            return record[0] != "missing"
    path = Path(path)
    return path.exists() or path.is_symlink()
