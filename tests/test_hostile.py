"""Hostile and broken input: every case in tests/hostile/cases.yaml, built the way a
clinic builds, with what must happen to it.

Handouts, translations and broken catalogs go into one project that is built once
(HTML and PDF for the Pune clinic, English and Marathi) while a web server on
127.0.0.1 counts requests: a page or PDF that loads anything from the network
shows up there. Configuration, command-line and interface-catalog cases each get a
build of their own. The pages are read back with an HTML parser, the PDFs with
pikepdf and pdftotext.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import html5lib
import pikepdf
import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from conftest import ROOT, SMALL_MARATHI, TMP, once_per_run

HERE = Path(__file__).resolve().parent / "hostile"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
BATCH_KINDS = ("source", "translation", "po")
BATCH = [c for c in CASES if c["kind"] in BATCH_KINDS]
SEPARATE = [c for c in CASES if c["kind"] not in BATCH_KINDS]
CONTROL = "control-handout"
BUILD_SECONDS = 240  # a hang fails the test instead of the suite
SECRET_MARK = "SECRET-OUTSIDE-THE-PROJECT"

FRONT_MATTER = "title: A handout\nsummary: What it is about.\nreviewed: 2026-01-05\nsources:\n  - A guideline\n"
HEAD = f"---\n{FRONT_MATTER}---\n\n## A section\n\n"  # the body's first line is line 11
STANDARD = (HERE / "handout.md").read_text(encoding="utf-8")
MARATHI = SMALL_MARATHI  # the Marathi of each block of the standard handout, by kind
PO_HEADER = (
    "# Marathi translation of a test handout.\n"
    'msgid ""\n'
    'msgstr ""\n'
    '"Project-Id-Version: hostile\\n"\n'
    '"Language: mr\\n"\n'
    '"MIME-Version: 1.0\\n"\n'
    '"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Content-Transfer-Encoding: 8bit\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n'
)
PLACEHOLDERS = {
    "{header}": PO_HEADER,
    "{header_bad_nplurals}": PO_HEADER.replace("nplurals=2", "nplurals=two"),
    "{header_bad_plural}": PO_HEADER.replace("plural=(n != 1)", "plural=(n !=! 1))"),
}
DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")


# ------------------------------------------------------------------ generators named in cases.yaml


def yaml_laughs() -> str:
    """A dozen lines of YAML aliases that expand to a billion values."""
    lines = [FRONT_MATTER.replace("  - A guideline\n", "  - &a0 lol\n")]
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]\n")
    return "---\n" + "".join(lines) + "---\n\n## A section\n\nText.\n"


def yaml_deep(depth: int) -> str:
    front = FRONT_MATTER.replace("  - A guideline\n", "  - " + "[" * depth + "]" * depth + "\n")
    return f"---\n{front}---\n\n## A section\n\nText.\n"


def huge_file(size: int) -> str:
    sentence = "A sentence that goes on and on.\n\n"
    return HEAD + sentence * (size // len(sentence) + 1)


def latin_1_file() -> bytes:
    return (HEAD + "Café au lait is fine.\n").encode("latin-1")


def binary_file() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def nested_list(depth: int) -> str:
    return HEAD + "".join("    " * level + "- item\n" for level in range(depth))


def one_line_list(depth: int) -> str:
    """A list ``depth`` levels deep written on one line: "- - - ... item"."""
    return HEAD + one_line_list_text(depth) + "\n"


def one_line_list_text(depth: int) -> str:
    return "- " * depth + "item"


def nested_quote(depth: int) -> str:
    return HEAD + "".join(">" * level + " quote\n" for level in range(1, depth + 1))


def nested_emphasis(depth: int) -> str:
    return HEAD + nested_emphasis_text(depth) + "\n"


def nested_emphasis_text(depth: int) -> str:
    return "*" * depth + "a" + "*" * depth


def repeat(text: str, times: int) -> str:
    return HEAD + repeat_text(text, times) + "\n"


def repeat_text(text: str, times: int) -> str:
    return text * times


def latin_1_po() -> bytes:
    return (PO_HEADER + '\nmsgid "A plain paragraph to translate."\nmsgstr "Café au lait."\n').encode("latin-1")


def binary_po() -> bytes:
    return bytes(range(32)) * 64


def huge_po(size: int) -> str:
    """A catalog made huge by a translator comment (cheap to read, so only a size
    limit notices it)."""
    return PO_HEADER + "\n# " + "x" * size + '\nmsgid "A plain paragraph to translate."\nmsgstr "भाषांतर."\n'



def config_laughs(config: str) -> str:
    lines = ["source_language: &a0 en\n"]
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]\n")
    return config.replace("source_language: en\n", "".join(lines), 1)


def config_clinic_locales(config: str, value: str) -> str:
    """The first clinic's list of languages replaced by ``value``."""
    changed, count = re.subn(r"(?m)^(    locales: ).*$", lambda m: m.group(1) + value, config, count=1)
    assert count == 1, "no clinic's 'locales:' line in clinics.yaml any more: update the case"
    return changed


def config_deep(config: str, depth: int) -> str:
    return config.replace("source_language: en\n", "source_language: en\nextra: " + "[" * depth + "]" * depth + "\n", 1)


GENERATORS = {f.__name__: f for f in (
    yaml_laughs, yaml_deep, huge_file, latin_1_file, binary_file, nested_list, one_line_list, one_line_list_text,
    nested_quote, nested_emphasis, nested_emphasis_text, repeat, repeat_text, latin_1_po, binary_po, huge_po,
    config_laughs, config_deep, config_clinic_locales)}


def generated(case: dict, *first):
    name, *args = case["generate"]
    return GENERATORS[name](*first, *args)


# ------------------------------------------------------------------ a server that must stay idle


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.server.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    do_POST = do_HEAD = do_GET

    def log_message(self, *args):
        pass


class IdleServer:
    """An HTTP server on 127.0.0.1 that records every request it gets."""

    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
        self.httpd.requests = []
        self.address = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def requests(self) -> list[str]:
        return list(self.httpd.requests)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# ------------------------------------------------------------------ building projects


def substitute(text: str, server: str, secret: Path) -> str:
    text = text.replace("{server}", server).replace("{secret}", str(secret))
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return text


def base_project(folder: Path) -> Path:
    """Configuration, images, the interface catalog and glossary; no handouts."""
    project = folder / "project"
    (project / "source").mkdir(parents=True)
    shutil.copy(ROOT / "clinics.yaml", project / "clinics.yaml")
    shutil.copytree(ROOT / "source" / "images", project / "source" / "images")
    messages = project / "locales" / "mr" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    for name in ("ui.po",):
        if (ROOT / "locales" / "mr" / "LC_MESSAGES" / name).exists():
            shutil.copy(ROOT / "locales" / "mr" / "LC_MESSAGES" / name, messages / name)
    if (ROOT / "locales" / "mr" / "glossary.yaml").exists():
        shutil.copy(ROOT / "locales" / "mr" / "glossary.yaml", project / "locales" / "mr" / "glossary.yaml")
    return project


def outside_folder(folder: Path) -> Path:
    """A folder next to the project with a file no output may contain, and a file
    the build must neither delete nor change."""
    outside = folder / "outside"
    outside.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "secret.svg", outside / "secret.svg")
    (outside / "keep.txt").write_text(f"{SECRET_MARK}: a file of another program; it must survive the build\n")
    return outside


def write_marathi_catalog(project: Path, slug: str, replace: dict | None = None) -> Path:
    """A complete Marathi catalog for the standard handout named ``slug``."""
    from pipeline.sources import load_article

    article = load_article(project / "source" / f"{slug}.md")
    catalog = Catalog(locale="mr", domain=slug, fuzzy=False, project=slug)
    for block in article.blocks:
        text = (replace or {}).get(block.kind, MARATHI[block.kind])
        catalog.add(block.text, text, context=block.context, auto_comments=[block.describe()])
    path = project / "locales" / "mr" / "LC_MESSAGES" / f"{slug}.po"
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=0)
    return path


def add_case(project: Path, case: dict, server: str, secret: Path) -> None:
    """Write one batch case's files into ``project``."""
    source_dir = project / "source"
    cid = case["id"]
    if case.get("setup"):
        SETUPS[case["setup"]](project, server, secret, case)
    if case.get("no_file"):  # the setup put the case's own file (a pipe, a link) in place
        if case["kind"] == "po":
            (source_dir / f"{cid}.md").write_text(STANDARD, encoding="utf-8")
        return
    if case["kind"] == "source":
        if "generate" in case:
            content = generated(case)
        elif "raw" in case:
            content = case["raw"]
        elif "front_matter" in case:
            content = f"---\n{case['front_matter']}---\n\n## A section\n\nText.\n"
        else:
            content = HEAD + case["body"]
        if isinstance(content, str):
            content = substitute(content, server, secret).encode("utf-8")
        (source_dir / case.get("file_name", f"{cid}.md")).write_bytes(content)
    elif case["kind"] == "translation":
        (source_dir / f"{cid}.md").write_text(STANDARD, encoding="utf-8")
        msgstr = generated(case) if "generate" in case else substitute(case["msgstr"], server, secret)
        write_marathi_catalog(project, cid, {case["block"]: msgstr})
    elif case["kind"] == "po":
        (source_dir / f"{cid}.md").write_text(STANDARD, encoding="utf-8")
        content = generated(case) if "generate" in case else case["po"]
        if isinstance(content, str):
            content = substitute(content, server, secret).encode("utf-8")
        (project / "locales" / "mr" / "LC_MESSAGES" / f"{cid}.po").write_bytes(content)


def symlink_secret_as_image(project: Path, server: str, secret: Path, case: dict) -> None:
    link = project / "source" / "images" / "leak.svg"
    if not link.is_symlink():
        link.symlink_to(secret)


def copy_hostile_svgs(project: Path, server: str, secret: Path, case: dict) -> None:
    for name in ("svg-script.svg", "svg-network.svg"):
        text = (HERE / name).read_text(encoding="utf-8")
        (project / "source" / "images" / name).write_text(substitute(text, server, secret), encoding="utf-8")


def svg_file(project: Path, server: str, secret: Path, case: dict) -> None:
    """The case's ``svg`` as source/images/<id>.svg."""
    (project / "source" / "images" / f"{case['id']}.svg").write_text(substitute(case["svg"], server, secret),
                                                                      encoding="utf-8")


def svg_use_lattice(project: Path, server: str, secret: Path, case: dict) -> None:
    """Nine levels of groups, each drawing the level below ten times: a 2 kB file
    that is a billion paths once every <use> is expanded."""
    levels = ['<path id="l0" d="M0 0h1v1z"/>']
    for level in range(1, 10):
        uses = "".join(f'<use href="#l{level - 1}" x="{step}"/>' for step in range(10))
        levels.append(f'<g id="l{level}">{uses}</g>')
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">\n<defs>\n' + "\n".join(levels)
           + '\n</defs>\n<use href="#l9"/>\n</svg>\n')
    (project / "source" / "images" / f"{case['id']}.svg").write_text(svg, encoding="utf-8")


def fifo(project: Path, server: str, secret: Path, case: dict) -> None:
    os.mkfifo(project / "source" / f"{case['id']}.md")


def folder(project: Path, server: str, secret: Path, case: dict) -> None:
    (project / "source" / f"{case['id']}.md").mkdir()
    (project / "source" / f"{case['id']}.md" / "note.txt").write_text("a folder, not a handout")


def fifo_image(project: Path, server: str, secret: Path, case: dict) -> None:
    os.mkfifo(project / "source" / "images" / f"{case['id']}.png")


def fifo_catalog(project: Path, server: str, secret: Path, case: dict) -> None:
    os.mkfifo(project / "locales" / "mr" / "LC_MESSAGES" / f"{case['id']}.po")


def catalog_link_outside(project: Path, server: str, secret: Path, case: dict) -> None:
    """A catalog that is a link to a well-formed catalog outside the project, whose
    translation is the secret."""
    outside = secret.parent / f"{case['id']}.po"
    outside.write_text(PO_HEADER + f'\nmsgid "A handout about chairs"\nmsgstr "{SECRET_MARK}"\n', encoding="utf-8")
    (project / "locales" / "mr" / "LC_MESSAGES" / f"{case['id']}.po").symlink_to(outside)


def handout_link_outside(project: Path, server: str, secret: Path, case: dict) -> None:
    outside = secret.parent / f"{case['id']}.md"
    outside.write_text(HEAD + SECRET_MARK + "\n", encoding="utf-8")
    (project / "source" / f"{case['id']}.md").symlink_to(outside)


def image_link_chain(project: Path, server: str, secret: Path, case: dict) -> None:
    """An image that links to a link inside the project that links outside."""
    images = project / "source" / "images"
    (images / f"{case['id']}-hop.svg").symlink_to(secret)
    (images / f"{case['id']}.svg").symlink_to(f"{case['id']}-hop.svg")


def png_bomb(project: Path, server: str, secret: Path, case: dict) -> None:
    (project / "source" / "images" / f"{case['id']}.png").write_bytes(bomb_png(13_000, 13_000))


def svg_as_png(project: Path, server: str, secret: Path, case: dict) -> None:
    svg = (HERE / "svg-script.svg").read_text(encoding="utf-8")
    (project / "source" / "images" / f"{case['id']}.png").write_text(svg, encoding="utf-8")


def sparse_handout(project: Path, server: str, secret: Path, case: dict) -> None:
    sparse_file(project / "source" / f"{case['id']}.md", HEAD.encode(), 4_000_000_000)


def sparse_catalog(project: Path, server: str, secret: Path, case: dict) -> None:
    sparse_file(project / "locales" / "mr" / "LC_MESSAGES" / f"{case['id']}.po", PO_HEADER.encode(), 3_000_000_000)


def sparse_file(path: Path, start: bytes, size: int) -> None:
    """A file of ``size`` bytes that takes no room on disk: ``start``, then a hole."""
    with open(path, "wb") as handle:
        handle.write(start)
        handle.truncate(size)


def bomb_png(width: int, height: int) -> bytes:
    """A valid greyscale PNG of ``width`` x ``height`` black pixels: a few hundred
    kilobytes that decode to ``width * height`` bytes (RGBA: four times that)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"\0" * ((width + 1) * 100)  # a hundred rows: a filter byte and one byte per pixel each
    compressor = zlib.compressobj(6)
    data = b"".join(compressor.compress(rows) for _ in range(height // 100))
    data += compressor.compress(b"\0" * ((width + 1) * (height % 100))) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


# Whole-project layouts (kind "tree"), each on a project of its own.


def images_folder_outside(project: Path, outside: Path) -> None:
    """source/images is a link to a folder outside the project holding the secret
    next to a harmless drawing."""
    folder = outside / "images"
    shutil.copytree(project / "source" / "images", folder)
    shutil.copy(HERE / "secret.svg", folder / "secret.svg")
    shutil.rmtree(project / "source" / "images")
    (project / "source" / "images").symlink_to(folder)


def glossary_outside(project: Path, outside: Path) -> None:
    glossary = project / "locales" / "mr" / "glossary.yaml"
    target = outside / "glossary.yaml"
    shutil.copy(glossary, target)
    glossary.unlink()
    glossary.symlink_to(target)


def locales_folder_outside(project: Path, outside: Path) -> None:
    """locales/ is a link to a folder outside the project (a copy of it)."""
    shutil.copytree(project / "locales", outside / "locales")
    shutil.rmtree(project / "locales")
    (project / "locales").symlink_to(outside / "locales")


def configuration_fifo(project: Path, outside: Path) -> None:
    (project / "clinics.yaml").unlink()
    os.mkfifo(project / "clinics.yaml")


SETUPS = {f.__name__: f for f in (
    symlink_secret_as_image, copy_hostile_svgs, svg_file, svg_use_lattice, fifo, folder, fifo_image, fifo_catalog,
    catalog_link_outside, handout_link_outside, image_link_chain, png_bomb, svg_as_png, sparse_handout,
    sparse_catalog)}
TREE_SETUPS = {f.__name__: f for f in (images_folder_outside, glossary_outside, locales_folder_outside,
                                        configuration_fifo)}


# Every run is held to a memory ceiling (address space, set for the run and inherited
# by its workers: a decompression bomb fails fast instead of swapping) and reports
# the peak resident memory of its largest process (each process's high-water mark,
# read from /proc while it runs), which must stay under the budget.
MEMORY_CEILING = 3 * 1024 ** 3  # address space, not memory: Python and WeasyPrint reserve more than they touch
MEMORY_BUDGET_MB = 500  # resident memory a worker may use


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))


class PeakMemory(threading.Thread):
    """The largest high-water mark of resident memory (VmHWM) among the processes of
    one session (a run and its workers), read every 50 ms until ``stop``."""

    def __init__(self, session: int):
        super().__init__(daemon=True)
        self.session, self.peak_kb, self.done = session, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak_kb = max([self.peak_kb, *self._marks()])

    def stop(self) -> int:
        self.done.set()
        self.join()
        return round(self.peak_kb / 1024)

    def _marks(self):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                if int(fields[3]) != self.session:  # the session id, after state, ppid and pgrp
                    continue
                with open(f"/proc/{entry.name}/status", "rb") as handle:
                    found = re.search(rb"VmHWM:\s+(\d+) kB", handle.read())
            except (OSError, IndexError, ValueError):
                continue  # the process ended meanwhile
            if found:
                yield int(found.group(1))


def run(project: Path, *args: str, timeout: float = BUILD_SECONDS) -> dict:
    """``python -m pipeline`` in ``project`` under the memory ceiling; a run that
    outlives ``timeout`` is stopped with its workers and reported as such."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=project, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=_limit_memory)
    memory = PeakMemory(process.pid)
    memory.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        code = None
    return {"args": list(args), "code": code, "stdout": stdout, "stderr": stderr,
            "seconds": round(time.monotonic() - started, 1), "peak_mb": memory.stop()}


def _plain_files_only(folder: str, names: list[str]) -> list[str]:
    """For copytree: leave out pipes, devices and sparse giants (copying would block
    or write gigabytes); links are copied as links."""
    skipped = []
    for name in names:
        status = os.lstat(os.path.join(folder, name))
        if stat.S_ISLNK(status.st_mode) or stat.S_ISDIR(status.st_mode):
            continue
        if not stat.S_ISREG(status.st_mode) or status.st_size > 10_000_000:
            skipped.append(name)
    return skipped


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every regular file under ``folder`` (links not followed) and its content."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


# ------------------------------------------------------------------ the shared hostile build


@dataclass
class HostileBuild:
    folder: Path
    record: dict

    @property
    def project(self) -> Path:
        return self.folder / "project"

    @property
    def outputs(self) -> Path:
        return self.project / "outputs"

    @property
    def build(self) -> dict:
        return self.record["build"]


def _build_hostile(folder: Path) -> dict:
    project = base_project(folder)
    secret = outside_folder(folder) / "secret.svg"
    with IdleServer() as server:
        for case in BATCH:
            add_case(project, case, server.address, secret)
        (project / "source" / f"{CONTROL}.md").write_text(STANDARD, encoding="utf-8")
        write_marathi_catalog(project, CONTROL)
        outside = snapshot(secret.parent)
        build = run(project, "build", "--clinic", "pune", "--format", "html", "--format", "pdf")
        outside_after = snapshot(secret.parent)
        # QA reads every catalog of a locale, so it gets the readable ones only.
        qa_project = folder / "qa"
        shutil.copytree(project, qa_project, symlinks=True,
                        ignore=lambda where, names: _plain_files_only(where, names) + (
                            ["outputs"] if "outputs" in names else []))
        for case in BATCH:
            if case["kind"] == "po":
                (qa_project / "locales" / "mr" / "LC_MESSAGES" / f"{case['id']}.po").unlink(missing_ok=True)
        qa = run(qa_project, "qa", "--locale", "mr", timeout=120)
        requests = server.requests
    lines = {}
    for case in BATCH:
        if case["kind"] == "translation":
            path = project / "locales" / "mr" / "LC_MESSAGES" / f"{case['id']}.po"
            with open(path, "rb") as handle:
                catalog = read_po(handle)
            source_text = next(b.text for b in _standard_blocks() if b.kind == case["block"])
            lines[case["id"]] = catalog.get(source_text).lineno
    return {"build": build, "qa": qa, "requests": requests, "entry_lines": lines, "server": server.address,
            "outside_changed": sorted(name for name in {*outside, *outside_after}
                                      if outside.get(name) != outside_after.get(name))}


def _english_text(kind: str) -> str:
    return next(b.text for b in _standard_blocks() if b.kind == kind)


def _standard_blocks():
    from pipeline.sources import load_article

    path = TMP / "hostile-standard" / "standard.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not (path.parent / "images").exists():
        shutil.copytree(ROOT / "source" / "images", path.parent / "images")
    path.write_text(STANDARD, encoding="utf-8")
    return load_article(path).blocks


@pytest.fixture(scope="session")
def hostile() -> HostileBuild:
    """The hostile project, built once per test run (shared by xdist workers)."""

    def make(folder: Path) -> None:
        (folder / "record.json").write_text(json.dumps(_build_hostile(folder), ensure_ascii=False))

    folder = once_per_run("hostile", make)
    return HostileBuild(folder, json.loads((folder / "record.json").read_text()))


# ------------------------------------------------------------------ reading outputs back


FORBIDDEN_ELEMENTS = {
    "script", "style", "iframe", "object", "embed", "form", "frame", "frameset", "applet", "base", "svg",
    "math", "input", "button", "textarea", "select", "noscript", "template", "audio", "video", "source",
    "portal", "param", "track", "canvas",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "data", "poster", "background",
                  "xlink:href", "cite", "longdesc", "ping", "manifest"}
PAGE_SCHEMES = {"http", "https", "mailto", "tel"}


def scheme_of(url: str) -> str | None:
    """The scheme a browser would see (control characters and spaces ignored)."""
    cleaned = re.sub(r"[\x00-\x20]", "", url).lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", cleaned)
    return match.group(1) if match else None


def page_problems(path: Path, outputs: Path) -> list[str]:
    """Everything on a built page that could run script or load from elsewhere."""
    data = path.read_bytes()
    problems = []
    if not data.rstrip().endswith(b"</html>"):
        problems.append("does not end with </html>")
    document = html5lib.parse(data, namespaceHTMLElements=False)
    ids = [element.get("id") for element in document.iter() if isinstance(element.tag, str) and element.get("id")]
    problems += [f"id {name!r} used twice" for name in sorted({i for i in ids if ids.count(i) > 1})]
    for element in document.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue  # comments
        tag = tag.lower()
        if tag in FORBIDDEN_ELEMENTS:
            problems.append(f"<{tag}> element")
        if tag == "meta" and any(name.lower() == "http-equiv" for name in element.attrib):
            problems.append("<meta http-equiv>")
        if tag == "link" and not (element.get("rel") in ("stylesheet", "alternate")
                                  and scheme_of(element.get("href", "")) is None
                                  and not element.get("href", "").startswith("//")):
            problems.append(f"<link> to {element.get('href')}")
        for name, value in element.attrib.items():
            name = name.lower()
            if name.startswith("on"):
                problems.append(f"{name}= on <{tag}>")
            if name == "style":
                problems.append(f"style= on <{tag}>")
            if name in URL_ATTRIBUTES:
                scheme = scheme_of(value)
                if scheme is not None and scheme not in PAGE_SCHEMES:
                    problems.append(f"{name}={value!r} on <{tag}>")
            if tag == "img" and name == "src":
                target = (path.parent / value).resolve()
                if (scheme_of(value) is not None or value.startswith(("/", "//")) or ".." in value.split("/")[2:]
                        or not target.is_relative_to((outputs / "assets" / "images").resolve())):
                    problems.append(f"image from {value!r}")
    return problems


def visible_text(path: Path) -> str:
    document = html5lib.parse(path.read_bytes(), namespaceHTMLElements=False)
    main = document.find(".//main")
    return " ".join("".join(main.itertext()).split()).translate(DEVANAGARI_DIGITS)


def pdf_problems(path: Path) -> list[str]:
    """Anything in a PDF that runs, launches, embeds or links to a code address."""
    problems = []
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary):
                continue
            for key in ("/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia",
                        "/SubmitForm", "/ImportData", "/GoToR"):
                if key in obj:
                    problems.append(f"{key} in object")
            if obj.get("/S") in (pikepdf.Name("/JavaScript"), pikepdf.Name("/Launch"), pikepdf.Name("/SubmitForm")):
                problems.append(f"action {obj.get('/S')}")
            uri = obj.get("/URI")
            if uri is not None and scheme_of(str(uri)) not in PAGE_SCHEMES:
                problems.append(f"link to {str(uri)!r}")
        if "/OpenAction" in pdf.Root or "/AA" in pdf.Root:
            problems.append("the document runs an action when opened")
    return problems


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def error_lines(stderr: str, file: str, line: int | None) -> list[str]:
    """The error lines on stderr that name ``file`` (relative to the project) and ``line``."""
    where = f"{file}:{line}: error:" if line else f"{file}: error:"
    return [text for text in stderr.splitlines() if where in text and
            (text.startswith(where) or f"/{where}" in text)]


def case_file(case: dict) -> str:
    if "file" in case:
        return case["file"]
    if case["kind"] == "po":
        return f"locales/mr/LC_MESSAGES/{case['id']}.po"
    if case["kind"] == "translation":
        return f"locales/mr/LC_MESSAGES/{case['id']}.po"
    return f"source/{case.get('file_name', case['id'] + '.md')}"


def case_slug(case: dict) -> str:
    return Path(case.get("file_name", f"{case['id']}.md")).stem


# ------------------------------------------------------------------ one test per case


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 30
    assert len({c["id"] for c in CASES}) == len(CASES), "case ids must be unique"
    for case in CASES:
        assert case["expect"] in ("refused", "stripped", "contained"), case["id"]


@pytest.mark.parametrize("case", BATCH, ids=[c["id"] for c in BATCH])
def test_hostile_input(hostile, case):
    build = hostile.build
    assert build["code"] is not None, f"the build did not finish in {BUILD_SECONDS}s"
    slug = case_slug(case)
    stderr = build["stderr"]
    pages = {code: hostile.outputs / "pune" / code / f"{slug}.html" for code in ("en", "mr")}
    if case["expect"] == "refused":
        found = error_lines(stderr, case_file(case), case.get("line"))
        assert found, f"no '{case_file(case)}:{case.get('line')}: error:' on stderr:\n{stderr[-3000:]}"
        assert any(case["words"] in text for text in found), f"{case['words']!r} not in {found}"
        assert build["code"] == 2
        if case["kind"] == "po":
            assert pages["en"].exists(), "the English page must still be built"
            assert not pages["mr"].exists()
        else:
            assert not any(p.exists() for p in pages.values()), "a refused handout was published"
    elif case["expect"] == "stripped":
        page = pages["mr" if case["kind"] == "translation" else "en"]
        assert page.exists(), f"{page} was not built:\n{stderr[-3000:]}"
        assert page_problems(page, hostile.outputs) == []
        shown = visible_text(page)
        for text in case.get("shows", ()):
            # A translation QA rejects is shown in English instead: harmless too.
            fallback = case["kind"] == "translation" and _english_text(case["block"]) in shown
            assert text in shown or fallback, shown
    else:  # contained: refused at the catalog entry, or built without harm
        mine = "\n".join(text for text in stderr.splitlines() if f"/{slug}" in text or f"/{slug}." in text)
        assert "Traceback" not in mine and "RecursionError" not in mine and "failed:" not in mine, mine
        if not pages["mr"].exists():
            assert re.search(rf"{re.escape(case_file(case))}:\d+: error:", stderr), stderr[-3000:]
        else:
            assert page_problems(pages["mr"], hostile.outputs) == []


def test_hostile_build_reports_without_traceback(hostile):
    build = hostile.build
    assert build["code"] == 2, build["stderr"][-3000:]
    assert "Traceback" not in build["stderr"]
    assert "RecursionError" not in build["stderr"]
    assert "failed:" not in build["stderr"], build["stderr"][-3000:]
    assert "\x1b" not in build["stderr"] + build["stdout"], "a file name's control characters reached the terminal"


def test_hostile_build_stays_within_time_and_memory(hostile):
    """No input may hang the build (a pipe, nested <use>) or blow up a worker's
    memory (a picture that decodes to gigabytes, a sparse file read whole)."""
    build = hostile.build
    assert build["seconds"] < BUILD_SECONDS / 2, build["seconds"]
    assert build["peak_mb"] is not None and build["peak_mb"] < MEMORY_BUDGET_MB, build["peak_mb"]


def test_nothing_outside_the_project_was_changed_or_deleted(hostile):
    assert hostile.record["outside_changed"] == []
    assert (hostile.folder / "outside" / "keep.txt").exists()
    for run_ in (hostile.build, hostile.record["qa"]):  # nor quoted in a message
        assert SECRET_MARK not in run_["stdout"] + run_["stderr"]


def test_published_svg_is_the_checked_one(hostile):
    """An SVG that passes is published as serialised from its checked tree: no
    comment, no editor attribute, nothing the original had besides the drawing."""
    published = (hostile.outputs / "assets" / "images" / "svg-harmless-drawing.svg").read_text(encoding="utf-8")
    assert "<!--" not in published and "inkscape" not in published
    assert 'href="#dot"' in published and "url(#fade)" in published
    assert (hostile.outputs / "pune" / "en" / "svg-harmless-drawing.pdf").exists()


def test_every_other_output_is_still_built(hostile):
    for code in ("en", "mr"):
        assert not page_problems(hostile.outputs / "pune" / code / f"{CONTROL}.html", hostile.outputs)
        assert (hostile.outputs / "pune" / code / f"{CONTROL}.pdf").exists(), hostile.build["stderr"][-3000:]
    assert (hostile.outputs / "pune" / "index.html").exists()


def test_no_page_can_run_script_or_load_from_elsewhere(hostile):
    pages = sorted(hostile.outputs.rglob("*.html"))
    assert len(pages) > 20
    problems = {str(p.relative_to(hostile.outputs)): page_problems(p, hostile.outputs) for p in pages}
    assert {name: found for name, found in problems.items() if found} == {}


def test_no_pdf_runs_launches_or_embeds(hostile):
    pdfs = sorted(hostile.outputs.rglob("*.pdf"))
    assert pdfs
    problems = {str(p.relative_to(hostile.outputs)): pdf_problems(p) for p in pdfs}
    assert {name: found for name, found in problems.items() if found} == {}


def test_nothing_was_fetched_from_the_network(hostile):
    assert hostile.record["requests"] == [], "the build or its PDFs requested " + ", ".join(hostile.record["requests"])


def test_nothing_from_outside_the_project_reached_an_output(hostile):
    for path in hostile.outputs.rglob("*"):
        if path.is_file():
            assert SECRET_MARK.encode() not in path.read_bytes(), path
            if path.suffix == ".pdf":
                assert SECRET_MARK not in pdf_text(path), path
    published = {p.name for p in (hostile.outputs / "assets" / "images").iterdir()}
    assert "tms-session.svg" in published
    refused_images = {Path(c["file"]).name for c in BATCH if c["expect"] == "refused"
                      and c.get("file", "").startswith("source/images/")}
    assert "leak.svg" in refused_images and len(refused_images) > 10
    assert not refused_images & published


def test_each_problem_is_reported_once(hostile):
    """One clear message per broken input, not one per clinic and language."""
    stderr = hostile.build["stderr"]
    repeated = {}
    for case in BATCH:
        if case["expect"] != "refused":
            continue
        count = len(error_lines(stderr, case_file(case), case.get("line")))
        if count != 1:
            repeated[case["id"]] = count
    assert repeated == {}


@pytest.mark.parametrize("case", [c for c in BATCH if c.get("qa")], ids=[c["id"] for c in BATCH if c.get("qa")])
def test_qa_reports_the_attempt_at_the_entry(hostile, case):
    qa = hostile.record["qa"]
    assert qa["code"] in (0, 1), qa["stderr"][-3000:]
    line = hostile.record["entry_lines"][case["id"]]
    where = f"locales/mr/LC_MESSAGES/{case['id']}.po:{line}: error:"
    reported = [text for text in qa["stdout"].splitlines() if where in text]
    assert any(case["qa"] in text for text in reported), \
        f"qa does not report {case['qa']!r} at {where}; it says:\n" + "\n".join(reported or qa["stdout"].splitlines()[-20:])


# ------------------------------------------------------------------ cases with a build of their own


def small_project(folder: Path) -> Path:
    """One standard handout with a complete Marathi catalog."""
    project = base_project(folder)
    (project / "source" / "standard-handout.md").write_text(STANDARD, encoding="utf-8")
    write_marathi_catalog(project, "standard-handout")
    return project


@pytest.mark.parametrize("case", SEPARATE, ids=[c["id"] for c in SEPARATE])
def test_hostile_project_input(tmp_path, case):
    project = small_project(tmp_path)
    args = ["build", "--format", "html"]
    if case["kind"] == "config":
        config = project / "clinics.yaml"
        text = config.read_text(encoding="utf-8")
        if "replace" in case:
            old, new = case["replace"]
            assert old in text, f"{old!r} is not in clinics.yaml any more: update the case"
            text = text.replace(old, new, 1)
        elif "generate" in case:
            text = generated(case, text)
        else:
            text = case["raw"]
        config.write_text(text, encoding="utf-8")
    elif case["kind"] == "cli":
        args += case["args"]
    elif case["kind"] == "ui-po":
        (project / "locales" / "mr" / "LC_MESSAGES" / "ui.po").write_text(substitute(case["po"], "", Path()),
                                                                         encoding="utf-8")
    elif case["kind"] == "tree":
        args += ["--format", "pdf"]
        TREE_SETUPS[case["setup"]](project, outside_folder(tmp_path))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if "outputs" not in p.parts)
    result = run(project, *args, timeout=120)
    assert result["code"] is not None, "the build did not finish"
    assert result["code"] in case.get("code", [2]), result["stderr"]
    assert "Traceback" not in result["stderr"]
    assert case["words"] in result["stderr"]
    assert result["peak_mb"] < MEMORY_BUDGET_MB
    if case["kind"] in ("config", "ui-po", "tree"):
        line = rf":{case['line']}" if case.get("line") else r"(:\d+)?"
        assert re.search(rf"{re.escape(case_file(case))}{line}: error:", result["stderr"]), result["stderr"]
    if case["kind"] == "tree":
        for path in (project / "outputs").rglob("*"):
            assert not path.is_file() or SECRET_MARK.encode() not in path.read_bytes(), path
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if "outputs" not in p.parts)
    assert after == before, "the build wrote outside outputs/"
    if case["kind"] == "ui-po":  # the pages that do not need it are still built
        outputs = project / "outputs"
        assert (outputs / "pune" / "en" / "standard-handout.html").exists()
        assert (outputs / "springfield" / "en_US" / "standard-handout.html").exists()
        assert not (outputs / "pune" / "mr" / "standard-handout.html").exists()


def test_a_planted_link_in_outputs_is_replaced_not_followed(tmp_path):
    """An output that is a symbolic link to a file elsewhere: the build replaces the
    link and leaves the file it pointed to alone."""
    project = small_project(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("do not overwrite")
    page = project / "outputs" / "springfield" / "en_US" / "standard-handout.html"
    page.parent.mkdir(parents=True)
    page.symlink_to(victim)
    result = run(project, "build", "--clinic", "springfield", "--format", "html", "--force", timeout=120)
    assert result["code"] == 0, result["stderr"]
    assert victim.read_text() == "do not overwrite"
    assert not page.is_symlink() and page.read_bytes().rstrip().endswith(b"</html>")


# ------------------------------------------------------------------ the checks themselves, in process


def test_the_shipped_drawing_is_published_as_it_looks(tmp_path):
    """source/images/tms-session.svg passes the SVG check, and the serialised tree
    that is published draws the same pixels as the original (both rendered by
    WeasyPrint, rasterised by pdftoppm)."""
    from weasyprint import HTML

    from pipeline.security import sanitized_svg

    original = ROOT / "source" / "images" / "tms-session.svg"
    (tmp_path / "original.svg").write_bytes(original.read_bytes())
    (tmp_path / "published.svg").write_bytes(sanitized_svg(original.read_bytes(), original))
    pixels = {}
    for name in ("original", "published"):
        HTML(string=f'<img src="{name}.svg" alt="x" style="width: 400px">',
             base_url=str(tmp_path) + "/").write_pdf(tmp_path / f"{name}.pdf")
        subprocess.run(["pdftoppm", "-r", "72", "-gray", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
                       check=True)
        pixels[name] = next(tmp_path.glob(f"{name}-*.pgm")).read_bytes()
    assert len(set(pixels["original"])) > 5  # a drawing, not a blank page
    assert pixels["published"] == pixels["original"]


def test_project_files_are_looked_at_before_they_are_read(tmp_path):
    """A pipe, a folder, a loop of links, a link out of the project and a sparse
    file of 8 GB are each refused at the file within a second, without being opened
    or read."""
    from pipeline.errors import InputError
    from pipeline.files import file_digest, read_project_file

    project = tmp_path / "project"
    project.mkdir()
    os.mkfifo(project / "pipe.po")
    (project / "folder.po").mkdir()
    (project / "loop.po").symlink_to("loop.po")
    (tmp_path / "elsewhere.po").write_text(SECRET_MARK)
    (project / "away.po").symlink_to(tmp_path / "elsewhere.po")
    sparse_file(project / "sparse.po", b"msgid", 8_000_000_000)
    (project / "fine.po").write_text("msgid")
    expected = {"pipe.po": "named pipe (FIFO)", "folder.po": "is a folder", "loop.po": "loop of links",
                "away.po": "is a link to a file outside project/", "sparse.po": "files are limited to 1,000,000"}
    started = time.monotonic()
    for name, words in expected.items():
        with pytest.raises(InputError) as refused:
            read_project_file(project / name, project, 1_000_000)
        assert refused.value.path == str(project / name)
        assert words in refused.value.message, refused.value.message
        assert SECRET_MARK not in refused.value.format()
    assert read_project_file(project / "fine.po", project, 1_000_000) == b"msgid"
    digests = {name: file_digest(project / name) for name in [*expected, "fine.po", "missing.po"]}
    assert time.monotonic() - started < 1
    assert digests["pipe.po"].startswith("a named pipe") and digests["missing.po"] == "-"
    assert len(set(digests.values())) == len(digests)


def test_messages_show_control_characters_escaped():
    from pipeline.errors import InputError

    text = InputError("source/a\x1b[2Jb\u202e.md", 3, "'\x07' is not allowed", "rename\rit").format()
    assert text == ("source/a\\x1b[2Jb\\u202e.md:3: error: '\\x07' is not allowed\n"
                    "  what to do: rename\\x0dit")


@pytest.mark.parametrize("size", [(13_000, 13_000), (6_001, 4_000)])
def test_a_picture_is_measured_before_it_is_decoded(tmp_path, size):
    """A PNG whose header promises more pixels than the budget is refused at the
    file from its header, in well under a second and without decoding it."""
    from pipeline.errors import InputError
    from pipeline.security import MAX_IMAGE_PIXELS, checked_image

    (tmp_path / "images").mkdir()
    image = tmp_path / "images" / "big.png"
    image.write_bytes(bomb_png(*size))
    started = time.monotonic()
    with pytest.raises(InputError) as refused:
        checked_image(image, tmp_path)
    assert time.monotonic() - started < 0.5
    assert f"{size[0]:,} x {size[1]:,} pixels" in refused.value.message
    assert size[0] * size[1] > MAX_IMAGE_PIXELS


def test_the_pdf_reads_images_as_the_web_page_publishes_them(tmp_path):
    """WeasyPrint's fetcher serves an SVG as its checked tree (what outputs/assets
    gets), and refuses a pipe, a file outside its roots and any other scheme; a
    refused image carries the InputError at the image."""
    from pipeline.errors import InputError
    from pipeline.render_pdf import make_url_fetcher
    from pipeline.security import sanitized_svg

    images = tmp_path / "source" / "images"
    images.mkdir(parents=True)
    drawing = images / "drawing.svg"
    drawing.write_text('<!-- a comment -->\n<svg xmlns="http://www.w3.org/2000/svg" '
                       'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" inkscape:version="1">'
                       '<rect width="4" height="4"/></svg>\n')
    os.mkfifo(images / "pipe.png")
    (tmp_path / "outside.svg").write_text(SECRET_MARK)
    fetch = make_url_fetcher([tmp_path / "source"])
    served = fetch(drawing.resolve().as_uri())
    assert served.read() == sanitized_svg(drawing.read_bytes(), drawing)
    assert served.content_type == "image/svg+xml"
    started = time.monotonic()
    for url, error in ((f"{(images / 'pipe.png').resolve().as_uri()}", True),
                       (f"{(tmp_path / 'outside.svg').resolve().as_uri()}", False),
                       (f"{images.resolve().as_uri()}/../../outside.svg", False),
                       ("http://127.0.0.1:9/x.png", False), ("data:image/svg+xml,<svg/>", False)):
        with pytest.raises(BaseException) as refused:
            fetch(url)
        assert type(refused.value).__name__ == "RefusedFile", refused.value
        assert isinstance(refused.value.error, InputError) == error, url
        assert SECRET_MARK not in str(refused.value)
    assert time.monotonic() - started < 1


def test_an_image_refused_after_it_was_published_is_taken_down(tmp_path):
    """A drawing published by one build and made unsafe before the next: the next
    build refuses it at its line and takes the published copy down."""
    project = small_project(tmp_path)
    published = project / "outputs" / "assets" / "images" / "tms-session.svg"
    first = run(project, "build", "--clinic", "springfield", "--format", "html", timeout=120)
    assert first["code"] == 0, first["stderr"]
    assert published.exists()
    (project / "source" / "images" / "tms-session.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">\n<rect width="4"\n height="4"\n'
        '  onclick="alert(1)"/>\n</svg>\n', encoding="utf-8")
    second = run(project, "build", "--clinic", "springfield", "--format", "html", timeout=120)
    assert second["code"] == 2
    assert "source/images/tms-session.svg:2: error: the SVG has an event handler onclick= on <rect>" in second["stderr"]
    assert not published.exists()
