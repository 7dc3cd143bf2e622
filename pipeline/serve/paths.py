"""Which file a URL may name: only a regular file inside the output folder (or one
of the server's own assets), reached without leaving it by ``..``, an encoded
``%2e%2e``, an absolute path, a backslash or a symbolic link."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import unquote

STATIC_DIR = Path(__file__).parent / "static"


class Refused(Exception):
    """A path the server will not serve (answered with 404, never with the file)."""


def path_parts(url_path: str) -> list[str]:
    """The parts of a URL path, decoded once, or ``Refused`` when one of them could
    lead anywhere but down into the folder."""
    try:
        decoded = unquote(url_path, errors="strict")
    except UnicodeDecodeError:
        raise Refused("not UTF-8") from None
    if "\x00" in decoded or "\\" in decoded or unquote(decoded) != decoded:
        raise Refused("encoded twice, or a backslash or NUL in the path")
    parts = decoded.lstrip("/").split("/")
    if decoded.startswith("//") or any(p in ("", ".", "..") or ":" in p for p in parts):
        raise Refused("not a plain relative path")
    return parts


def safe_file(root: Path, url_path: str) -> Path:
    """The file under ``root`` that ``url_path`` (still percent-encoded, without the
    query) names, or ``Refused``.

    Every part is checked after decoding: no empty, ``.`` or ``..`` part, no
    backslash, NUL or drive letter; and every folder and the file itself is opened
    without following links, so a link inside the folder that points out of it
    (or anywhere) is refused too."""
    parts = path_parts(url_path)
    root = Path(os.path.realpath(root))
    current = root
    for index, part in enumerate(parts):
        current = current / part
        try:
            info = os.lstat(current)
        except OSError:
            raise Refused("no such file") from None
        last = index == len(parts) - 1
        if stat.S_ISLNK(info.st_mode):
            raise Refused("a symbolic link")
        if last and not stat.S_ISREG(info.st_mode):
            raise Refused("not a regular file")
        if not last and not stat.S_ISDIR(info.st_mode):
            raise Refused("not a folder")
    if os.path.commonpath([root, os.path.realpath(current)]) != str(root):
        raise Refused("outside the folder")
    return current


def read_safe(path: Path) -> bytes:
    """The bytes of a file ``safe_file`` returned, opened without following a link
    that replaced it in between."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        return handle.read()
