"""Build every output: sources → translations → HTML → PDF → index pages.

Reads top to bottom as the story of a build: plan the outputs and what each one is
built from, keep those whose inputs did not change, build the rest on worker
processes, record what was built, write the index pages. Every file is written
atomically, so a build stopped at any point leaves the previous good output or the
new one, and the record of what is built stays true.

Incremental: each output records a digest of its inputs (the handout, its catalogs,
the clinic's configuration, the templates, and for PDFs the stylesheets, images and
fonts, plus the code that builds it and the installed packages). Planning only reads
and hashes files; it never parses Markdown or catalogs, so a build where nothing
changed costs little more than starting Python.

Parallel: worker processes keep WeasyPrint and its fonts loaded from one document to
the next; the largest handouts go first so that no worker idles at the end.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from pipeline.catalogs import UI_DOMAIN, catalog_path
from pipeline.errors import InputError, PipelineError
from pipeline.files import remove_stale_temporaries, write_atomic
from pipeline.interface import CALL_NUMBER, EMAIL_ADDRESS, PAGE_OF_PAGES
from pipeline.model import Config
from pipeline.sources import SLUG_PATTERN, article_paths

FORMATS = ("html", "pdf", "large-print")
PRINT_SHOP = "print-shop"  # built only when asked for (--print-shop): 3 mm bleed and crop marks
OUTPUT_SUFFIX = {"html": ".html", "pdf": ".pdf", "large-print": ".large-print.pdf", PRINT_SHOP: ".print-shop.pdf"}
PRINT_FORMATS = ("pdf", "large-print", PRINT_SHOP)  # rendered by WeasyPrint: they depend on styles, images and fonts
MANIFEST_NAME = ".build-manifest.json"
MANIFEST_VERSION = 2
CODE_DIR = Path(__file__).parent
# The modules that build a web page, and those that also build a PDF. The modules they
# import (followed through the source) count too; the rest of the package does not.
PAGE_CODE = ("build", "sources", "translate", "render_html", "qa", "variables", "config", "catalogs")
PRINT_CODE = ("render_pdf", "pdf_text")
IMAGE_REFERENCE = re.compile(rb"images/[A-Za-z0-9._/-]+")
CHECKPOINT_SECONDS = 30.0  # how often a long build saves its record of what is built
# A worker that renders PDFs is replaced by a fresh one after this many units: WeasyPrint
# keeps some memory from every document it renders, and a long build must not grow
# without bound. Replacing one costs about half a second, in parallel with the others.
UNITS_PER_WORKER = 250


# ---------------------------------------------------------------- plain data


@dataclass(frozen=True)
class Unit:
    """One handout for one clinic and locale: the outputs to build and the digest of
    what each is built from."""

    clinic: str
    locale: str
    slug: str
    source: Path
    digests: dict = field(compare=False, hash=False)  # format -> input digest
    size: int = 0  # bytes of source and catalog, to schedule the largest first

    @property
    def name(self) -> str:
        return f"{self.clinic}/{self.locale}/{self.slug}"

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.digests)

    def output_path(self, fmt: str) -> str:
        """Where ``fmt`` is written, relative to the output folder."""
        return f"{self.clinic}/{self.locale}/{self.slug}{OUTPUT_SUFFIX[fmt]}"


@dataclass
class UnitResult:
    unit: Unit
    written: dict = field(default_factory=dict)  # format -> path relative to the output folder
    held: dict = field(default_factory=dict)  # format -> reason it was not published
    error: str = ""
    exit_code: int = 0
    entry: dict = field(default_factory=dict)  # what the index page shows
    seconds: float = 0.0
    format_seconds: dict = field(default_factory=dict)  # format -> seconds spent on it
    worker: int = 0  # process id
    peak_memory: int = 0  # the worker's peak resident memory so far, in bytes


@dataclass
class Timings:
    planning: float = 0.0
    building: float = 0.0
    finishing: float = 0.0  # index pages, assets, the manifest
    workers: int = 0
    outputs: dict = field(default_factory=dict)  # format -> [count, seconds]
    slowest: tuple[str, float] = ("", 0.0)
    peak_memory: dict = field(default_factory=dict)  # worker pid -> bytes


@dataclass
class Summary:
    built: int = 0
    skipped: int = 0
    failed: int = 0
    held: int = 0
    removed: int = 0  # outputs of handouts, locales or clinics that no longer exist
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    exit_code: int = 0
    timings: Timings = field(default_factory=Timings)


# ---------------------------------------------------------------- the build


def build(config: Config, *, clinics=None, locales=None, slugs=None, formats=FORMATS,
          force: bool = False, jobs: int | None = None, report=print) -> Summary:
    """Build the selected outputs whose inputs changed (all of them with ``force``)."""
    started = time.perf_counter()
    summary = Summary()
    output_dir = config.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)

    with _build_lock(output_dir):
        remove_stale_temporaries(output_dir)  # what a killed build left half-written
        manifest = _Manifest.read(output_dir / MANIFEST_NAME)
        workers = _Workers(config, jobs, with_print=any(f in PRINT_FORMATS for f in formats))
        if force or not manifest.units:
            workers.start()  # everything will be built: the workers load WeasyPrint while we plan
        failed = True
        try:
            inputs = _Inputs(config, manifest)
            units, source_problems = _plan(config, inputs, clinics, locales, slugs, formats)
            for problem in source_problems:
                summary.problems.append(problem.format())
                summary.failed += 1
                summary.exit_code = max(summary.exit_code, problem.exit_code)
            stale = [u for u in (_stale_part(unit, manifest, output_dir, force) for unit in units) if u]
            summary.skipped = len(units) - len(stale)
            _forget(stale, manifest)
            summary.timings.planning = time.perf_counter() - started

            building = time.perf_counter()
            try:
                for result in _run(config, stale, workers, report, summary.timings):
                    _record(result, manifest, summary)
                    manifest.checkpoint()
            finally:
                summary.timings.building = time.perf_counter() - building
                finishing = time.perf_counter()
                summary.removed = _remove_orphans(config, manifest, output_dir)
                _write_shared_outputs(config, inputs, manifest, output_dir)
                manifest.save()
                summary.timings.finishing = time.perf_counter() - finishing
            failed = False
        finally:
            workers.close(stop=failed)  # interrupted: stop the units in flight

    for unit in units:
        outputs = manifest.units.get(unit.name, {}).get("outputs", {})
        for fmt in unit.formats:
            if outputs.get(fmt, {}).get("held"):
                summary.held += 1
                summary.problems.append(f"{unit.name}: {fmt} held back: {outputs[fmt]['held']}")
    summary.seconds = time.perf_counter() - started
    return summary


def _plan(config: Config, inputs: _Inputs, clinics, locales, slugs, formats):
    """Every unit the selection asks for, with its input digests, and the source files
    that cannot be handouts."""
    paths = article_paths(config.source_dir)
    if slugs:
        known = {p.stem for p in paths}
        for slug in slugs:
            if slug not in known:
                raise InputError(config.source_dir / f"{slug}.md", None, f"no handout named '{slug}'",
                                 "available: " + ", ".join(sorted(known)))
        paths = [p for p in paths if p.stem in slugs]
    for cid in clinics or ():
        if cid not in config.clinics:
            raise InputError(config.path, None, f"no clinic '{cid}'", "configured: " + ", ".join(config.clinics))
    for code in locales or ():
        if code not in config.locales:
            raise InputError(config.path, None, f"no locale '{code}'", "configured: " + ", ".join(config.locales))

    units, problems = [], []
    for path in paths:
        if not SLUG_PATTERN.match(path.stem):
            problems.append(InputError(path, None, f"'{path.name}' is not a usable handout file name",
                                       "use lowercase letters, digits and hyphens"))
            continue
        source = path.read_bytes()
        for cid, clinic in config.clinics.items():
            if clinics and cid not in clinics:
                continue
            for code in clinic.locales:
                if locales and code not in locales:
                    continue
                digests, size = inputs.output_digests(cid, code, path.stem, source, formats)
                units.append(Unit(cid, code, path.stem, path, digests, size))
    return units, problems


def _stale_part(unit: Unit, manifest: _Manifest, output_dir: Path, force: bool) -> Unit | None:
    """``unit`` cut down to the outputs that must be built; None when all are current."""
    recorded = manifest.units.get(unit.name, {}).get("outputs", {})

    def current(fmt: str) -> bool:
        record = recorded.get(fmt)
        if not record or record.get("digest") != unit.digests[fmt]:
            return False
        return bool(record.get("held")) or (output_dir / record["path"]).exists()

    stale = {fmt: digest for fmt, digest in unit.digests.items() if force or not current(fmt)}
    if not stale:
        return None
    if "pdf" in stale and "html" in unit.digests and not (output_dir / unit.output_path("pdf")).exists():
        stale["html"] = unit.digests["html"]  # the page will link to its first PDF
    return Unit(unit.clinic, unit.locale, unit.slug, unit.source, stale, unit.size)


def _run(config: Config, units: list[Unit], workers: _Workers, report, timings: Timings):
    """Build ``units``, on the worker processes when more than one can run at once."""
    if not units:
        return
    # Largest first: PDFs before web pages, long handouts before short ones, so the
    # last few units to finish are small ones and no worker waits long for another.
    units = sorted(units, key=lambda u: (sum(f in PRINT_FORMATS for f in u.formats), u.size), reverse=True)
    with_print = any(f in PRINT_FORMATS for u in units for f in u.formats)
    progress = _Progress(len(units), report)
    try:
        if workers.pool is None and min(workers.jobs, len(units)) == 1:
            timings.workers = 1
            _init_worker(config, with_print, in_process=True)
            for done, unit in enumerate(units, start=1):
                result = _build_unit(unit)
                progress.update(done, result)
                yield result
            return
        pool = workers.start(min(workers.jobs, len(units)), with_print)
        timings.workers = workers.count
        results = pool.imap_unordered(_build_unit, units)  # one at a time, to whichever worker is free
        import pipeline.render_html  # noqa: F401  (for the index pages, while the workers work)

        progress.start()
        for done, result in enumerate(results, start=1):
            progress.update(done, result)
            yield result
    finally:
        progress.close()


class _Workers:
    """The worker processes. Started early when a build will surely need them, else
    only when there is more than one unit to build."""

    def __init__(self, config: Config, jobs: int | None, with_print: bool):
        self.config = config
        self.jobs = jobs or _cores()
        self.with_print = with_print
        self.pool = None
        self.count = 0

    def start(self, count: int | None = None, with_print: bool | None = None):
        """The pool, its workers started now (they load the stages as they start)."""
        if self.pool is None:
            import multiprocessing

            self.count = count or self.jobs
            with_print = self.with_print if with_print is None else with_print
            self.pool = multiprocessing.Pool(self.count, initializer=_init_worker, initargs=(self.config, with_print),
                                             maxtasksperchild=UNITS_PER_WORKER if with_print else None)
        return self.pool

    def close(self, stop: bool = False) -> None:
        if self.pool is not None:
            if stop:
                self.pool.terminate()  # every write is atomic: nothing half-written stays
            else:
                self.pool.close()
            self.pool.join()
            self.pool = None


def _record(result: UnitResult, manifest: _Manifest, summary: Summary) -> None:
    """Note in the manifest what ``result`` built, and count it."""
    timings = summary.timings
    if result.worker:
        timings.peak_memory[result.worker] = max(timings.peak_memory.get(result.worker, 0), result.peak_memory)
    for fmt, seconds in result.format_seconds.items():
        count, total = timings.outputs.get(fmt, (0, 0.0))
        timings.outputs[fmt] = (count + 1, total + seconds)
    if result.seconds > timings.slowest[1]:
        timings.slowest = (result.unit.name, result.seconds)

    unit = result.unit
    record = manifest.units.setdefault(unit.name, {"outputs": {}})
    if result.error:
        summary.failed += 1
        summary.problems.append(result.error)
        summary.exit_code = max(summary.exit_code, result.exit_code)
        for fmt in unit.formats:  # try them again next time
            record["outputs"].pop(fmt, None)
        manifest.changed = True
        return
    summary.built += 1
    record["entry"] = result.entry
    for fmt in unit.formats:
        out = {"digest": unit.digests[fmt], "path": unit.output_path(fmt)}
        if fmt in result.held:
            out["held"] = result.held[fmt]
        record["outputs"][fmt] = out
    manifest.changed = True


def _forget(stale: list[Unit], manifest: _Manifest) -> None:
    """Drop the records of the outputs about to be rebuilt, and save that first: a
    build killed after writing a new output but before recording it must not leave
    the old record vouching for the new file (the next build would skip it)."""
    for unit in stale:
        outputs = manifest.units.get(unit.name, {}).get("outputs", {})
        for fmt in unit.formats:
            if outputs.pop(fmt, None) is not None:
                manifest.changed = True
    manifest.save()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------- what an output is built from


class _Inputs:
    """Digests of everything outputs are built from, each file read and hashed once."""

    def __init__(self, config: Config, manifest: _Manifest):
        self.config = config
        self.manifest = manifest
        self._files: dict[Path, str] = {}
        self._clinics: dict[str, str] = {}
        self.page = _digest("\n".join([
            __version__, _packages_digest(), self._code_digest(PAGE_CODE),
            self._folder_digest(CODE_DIR / "templates", exclude={"index.html"})]))
        self.print = _digest("\n".join([
            self._code_digest(PRINT_CODE), self._folder_digest(CODE_DIR / "static"), self._fonts_digest()]))

    def file(self, path: Path) -> str:
        if path not in self._files:
            try:
                self._files[path] = _digest(path.read_bytes())
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                self._files[path] = "-"
        return self._files[path]

    def output_digests(self, cid: str, locale: str, slug: str, source: bytes, formats) -> tuple[dict, int]:
        """The input digest of each of ``formats`` for one handout, clinic and locale,
        and the size of its text (to schedule the largest first)."""
        config = self.config
        parts = [self.page, self.clinic(cid), _digest(source)]
        size = len(source)
        if locale != config.source_language:
            catalog = catalog_path(config.locales_dir, locale, slug)
            parts += [self.file(catalog), self.file(catalog_path(config.locales_dir, locale, UI_DOMAIN))]
            glossary = config.locales[locale].glossary
            if glossary:
                parts.append(self.file(Path(glossary)))
            try:
                size += catalog.stat().st_size
            except OSError:
                pass
        page = _digest("\n".join(parts))
        digests = {fmt: _digest(f"{page}\n{fmt}") for fmt in formats if fmt not in PRINT_FORMATS}
        if any(fmt in PRINT_FORMATS for fmt in formats):  # PDFs embed the images the handout shows
            images = [f"{name}:{self.file(config.source_dir / name)}"
                      for name in sorted({m.decode() for m in IMAGE_REFERENCE.findall(source)})]
            printed = _digest("\n".join([page, self.print] + images))
            digests.update({fmt: _digest(f"{printed}\n{fmt}") for fmt in formats if fmt in PRINT_FORMATS})
        return {fmt: digests[fmt] for fmt in formats}, size

    def clinic(self, cid: str) -> str:
        """The clinic's configuration as its outputs show it: its entry and its languages."""
        if cid not in self._clinics:
            clinic = self.config.clinics[cid]
            languages = [self.config.locales[code] for code in clinic.locales]
            self._clinics[cid] = _digest(repr((self.config.source_language, clinic, clinic.publish_threshold,
                                               languages)))
        return self._clinics[cid]

    def files(self, paths: list[Path], extra: str = "") -> str:
        """One digest for a list of files (the inputs of an index page, of the assets)."""
        return _digest("\n".join([extra] + [f"{p}:{self.file(p)}" for p in paths]))

    def _folder_digest(self, folder: Path, exclude=frozenset()) -> str:
        if not folder.is_dir():
            return "-"
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in exclude
                       and "__pycache__" not in p.parts)
        return _digest("\n".join(f"{p.relative_to(folder)}:{self.file(p)}" for p in files))

    def _code_digest(self, roots: tuple[str, ...]) -> str:
        """The code of ``roots`` and every pipeline module they import, by content, with
        the package's data files that code names.

        Which modules a file imports, and which data files it names, is read from its
        source once and remembered in the manifest against the file's digest, so
        unchanged code is not parsed again."""
        known = self.manifest.data.setdefault("code", {})
        data_files = sorted(p for p in (CODE_DIR / "data").glob("*") if p.is_file())
        seen: dict[str, str] = {}
        used_data: set[str] = set()
        todo = list(roots)
        while todo:
            name = todo.pop()
            path = _module_path(name) if name not in seen else None
            if path is None:
                continue
            digest = self.file(path)
            seen[name] = digest
            cached = known.get(name)
            if not cached or len(cached) != 4 or cached[0] != digest or cached[2] != [p.name for p in data_files]:
                text = path.read_bytes()
                cached = [digest, sorted(_imported_modules(text, path, name)), [p.name for p in data_files],
                          sorted(p.name for p in data_files if p.stem.encode() in text)]
                known[name] = cached
                self.manifest.changed = True
            todo.extend(cached[1])
            used_data.update(cached[3])
            if "." in name:  # a package's __init__ runs before its modules
                todo.append(name.rsplit(".", 1)[0])
        lines = [f"{name}:{digest}" for name, digest in sorted(seen.items())]
        lines += [f"data/{name}:{self.file(CODE_DIR / 'data' / name)}" for name in sorted(used_data)]
        return _digest("\n".join(lines))

    def _fonts_digest(self) -> str:
        """The fonts fontconfig offers, by file, family and version. Listing them costs
        a subprocess; the answer is kept until a font folder or fontconfig's own
        configuration changes (the rule fontconfig itself uses for its cache)."""
        stamp = _fonts_stamp()
        cached = self.manifest.data.get("fonts", {})
        if cached.get("stamp") == stamp:
            return cached["digest"]
        try:
            listing = subprocess.run(["fc-list", "--format", "%{file}:%{family}:%{fontversion}\n"],
                                     capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        digest = _digest("\n".join(sorted(listing.splitlines())))
        self.manifest.data["fonts"] = {"stamp": stamp, "digest": digest}
        self.manifest.changed = True
        return digest


def _digest(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _module_path(name: str) -> Path | None:
    """``render_html`` → pipeline/render_html.py; ``readability`` → pipeline/readability/__init__.py."""
    base = CODE_DIR.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imported_modules(text: bytes, path: Path, name: str) -> set[str]:
    """The pipeline modules that module ``name`` imports, anywhere in its source."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError:
        return set()
    package = name.rsplit(".", 1)[0] if "." in name else ""
    if path.name == "__init__.py":
        package = name
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("pipeline."):
                    found.add(alias.name.removeprefix("pipeline."))
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from .x import y
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(parts + ([node.module] if node.module else []))
            elif node.module == "pipeline" or (node.module or "").startswith("pipeline."):
                base = node.module.removeprefix("pipeline").lstrip(".")
            else:
                continue
            if base:
                found.add(base)
            for alias in node.names:  # from pipeline import qa: qa may be a module
                candidate = f"{base}.{alias.name}" if base else alias.name
                if _module_path(candidate) is not None:
                    found.add(candidate)
    found.discard("")
    return found


def _packages_digest() -> str:
    """The installed Python packages and their versions (WeasyPrint, Markdown, Babel, …)."""
    import importlib.util

    spec = importlib.util.find_spec("jinja2")
    folders = {Path(p) for p in sys.path if p and Path(p).is_dir()}
    if spec and spec.origin:
        folders = {Path(spec.origin).parent.parent}
    names = []
    for folder in sorted(folders):
        try:
            names += [entry.name for entry in os.scandir(folder) if entry.name.endswith(".dist-info")]
        except OSError:
            continue
    return _digest("\n".join(sorted(names)))


def _fonts_stamp() -> str:
    """Modification times of the font folders and fontconfig's configuration."""
    home = Path.home()
    data_home = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    roots = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".fonts", data_home / "fonts",
             Path("/etc/fonts")]
    stamps = []
    for root in roots:
        for folder, dirs, _files in os.walk(root):
            dirs.sort()
            try:
                stamps.append(f"{folder}:{os.stat(folder).st_mtime_ns}")
            except OSError:
                continue
    stamps.append(os.environ.get("FONTCONFIG_FILE", "") + os.environ.get("FONTCONFIG_PATH", ""))
    return _digest("\n".join(stamps))


# ---------------------------------------------------------------- one unit (runs in a worker)

_worker_config: Config | None = None


def _init_worker(config: Config, with_print: bool, in_process: bool = False) -> None:
    """Load the stages once per worker process, and WeasyPrint with its fonts when
    PDFs are to be built, so no document pays the start-up."""
    global _worker_config
    _worker_config = config
    if not in_process:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process stops the build
    import pipeline.render_html  # noqa: F401
    import pipeline.sources  # noqa: F401
    import pipeline.translate  # noqa: F401

    if with_print:
        from pipeline.render_pdf import _install

        _install()
        import weasyprint  # noqa: F401


def _build_unit(unit: Unit) -> UnitResult:
    """Build one unit's outputs. Never raises: a failure is reported in the result."""
    from pipeline.catalogs import read_catalog
    from pipeline.render_html import render_page
    from pipeline.sources import load_article
    from pipeline.translate import translate
    from pipeline.variables import clinic_values, expand

    started = time.perf_counter()
    config = _worker_config
    result = UnitResult(unit, worker=os.getpid())
    try:
        clinic = config.clinics[unit.clinic]
        locale = config.locales[unit.locale]
        article = load_article(unit.source)
        catalog = None
        if unit.locale != config.source_language:
            catalog = read_catalog(catalog_path(config.locales_dir, unit.locale, unit.slug), unit.locale)
        translation = translate(article, catalog, unit.locale, config.source_language)
        qa_errors = _qa_errors(config, unit.locale, unit.slug, catalog)
        if qa_errors:
            translation = _without(translation, qa_errors)
        values = clinic_values(clinic, unit.locale)
        title, title_lang = translation.text(article.blocks[0])
        summary_text, summary_lang = translation.text(article.blocks[1])
        result.entry = {"title": expand(title, values), "title_lang": title_lang,
                        "summary": expand(summary_text, values), "summary_lang": summary_lang,
                        "percent": round(translation.percent, 1)}
        output_dir = config.output_dir
        threshold = clinic.publish_threshold
        pdf_path = output_dir / unit.output_path("pdf")

        print_formats = [f for f in unit.formats if f in PRINT_FORMATS]
        publish_pdf = translation.percent >= threshold.get("pdf", 100) and not qa_errors
        if print_formats and not publish_pdf:
            reason = (f"{translation.percent:.0f}% translated (needs {threshold.get('pdf', 100)}%)"
                      if translation.percent < threshold.get("pdf", 100) else "")
            if qa_errors:
                reason = (reason + "; " if reason else "") + f"{len(qa_errors)} QA error(s) in the catalog"
            for fmt in print_formats:
                kept = (output_dir / unit.output_path(fmt)).exists()
                result.held[fmt] = reason + (", last good PDF kept" if kept else "")
        large_print_path = output_dir / unit.output_path("large-print")
        pdf_href, large_print_href = (
            path.name if (publish_pdf and fmt in unit.formats) or path.exists() else None
            for fmt, path in (("pdf", pdf_path), ("large-print", large_print_path)))

        if "html" in unit.formats:
            clock = time.perf_counter()
            if translation.percent >= threshold.get("html", 0):
                html = render_page(config, article, translation, clinic, locale, pdf_href=pdf_href,
                                   large_print_href=large_print_href)
                result.written["html"] = _write(output_dir, unit.output_path("html"), html.encode("utf-8"))
            else:
                result.held["html"] = f"{translation.percent:.0f}% translated (needs {threshold['html']}%)"
            result.format_seconds["html"] = time.perf_counter() - clock

        if publish_pdf and print_formats:
            from pipeline.render_pdf import render_pdf

            clock = time.perf_counter()
            print_html = render_page(config, article, translation, clinic, locale, for_print=True)
            ui = _interface_text(config, unit.locale)
            labels = {"page_label": ui.gettext(PAGE_OF_PAGES), "call_label": ui.gettext(CALL_NUMBER),
                      "email_label": ui.gettext(EMAIL_ADDRESS)}
            allowed = [config.source_dir, CODE_DIR / "static"]
            shared = time.perf_counter() - clock
            for fmt in print_formats:
                clock = time.perf_counter()
                pdf = render_pdf(print_html, base_dir=config.source_dir, clinic=clinic, locale=locale,
                                 allowed_roots=allowed,
                                 large_print=(fmt == "large-print"), print_shop=(fmt == PRINT_SHOP),
                                 label=f"{unit.source}", **labels)
                result.written[fmt] = _write(output_dir, unit.output_path(fmt), pdf)
                result.format_seconds[fmt] = time.perf_counter() - clock + shared / len(print_formats)
        result.entry["html"] = (output_dir / unit.output_path("html")).exists()
        result.entry["pdf"] = pdf_path.exists()
        result.entry["large_print"] = large_print_path.exists()
    except PipelineError as err:
        result.error = err.format() if isinstance(err, InputError) else f"{unit.name}: {err}"
        result.exit_code = err.exit_code
    except Exception as err:  # an unexpected failure of one output must not stop the others
        result.error = f"{unit.name}: failed: {type(err).__name__}: {err}"
        result.exit_code = 1
    result.seconds = time.perf_counter() - started
    result.peak_memory = _peak_memory()
    return result


def _write(output_dir: Path, relative: str, data: bytes) -> str:
    write_atomic(output_dir / relative, data)
    return relative


_interface_texts: dict = {}


def _interface_text(config: Config, locale: str):
    """The interface strings of ``locale``, read once per worker."""
    from pipeline.translate import InterfaceText

    if locale not in _interface_texts:
        _interface_texts[locale] = InterfaceText(config, locale)
    return _interface_texts[locale]


def _qa_errors(config: Config, locale: str, slug: str, catalog) -> list:
    """QA errors in the handout's catalog for ``locale`` (they block publishing)."""
    if locale == config.source_language or catalog is None:
        return []
    try:
        from pipeline import qa
    except ImportError:
        return []
    if not hasattr(qa, "check_catalog"):
        return []
    return [p for p in qa.check_catalog(config, locale, slug, catalog) if p.severity == "error"]


def _without(translation, problems):
    """The translation with entries that have QA errors treated as untranslated."""
    from dataclasses import replace

    bad_ids = {getattr(p, "msgid", None) for p in problems}
    messages = {k: v for k, v in translation.messages.items() if k[1] not in bad_ids}
    return replace(translation, messages=messages)


def _peak_memory() -> int:
    """This process's peak resident memory, in bytes."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    except (ImportError, OSError):
        return 0


# ---------------------------------------------------------------- shared outputs


def _remove_orphans(config: Config, manifest: _Manifest, output_dir: Path) -> int:
    """Delete the outputs of handouts, locales and clinics that are gone, so a
    withdrawn handout is not left published. Only files the manifest lists are touched."""
    removed = 0
    for name in list(manifest.units):
        cid, code, slug = name.split("/")
        clinic = config.clinics.get(cid)
        if clinic and code in clinic.locales and (config.source_dir / f"{slug}.md").exists():
            continue
        for out in manifest.units[name].get("outputs", {}).values():
            path = output_dir / out.get("path", "")
            if out.get("path") and path.is_file():
                path.unlink()
                removed += 1
        del manifest.units[name]
        manifest.changed = True
    return removed


def _write_shared_outputs(config: Config, inputs: _Inputs, manifest: _Manifest, output_dir: Path) -> None:
    """Assets and one index page per clinic, from what the manifest says was built.
    Each is rendered only when what it shows changed."""
    shared = manifest.data.setdefault("shared", {})
    static = sorted(p for p in (CODE_DIR / "static").iterdir() if p.is_file())
    images_dir = config.source_dir / "images"
    images = sorted(p for p in images_dir.iterdir() if p.is_file()) if images_dir.is_dir() else []
    assets_digest = inputs.files(static + images, __version__)
    if shared.get("assets") != assets_digest or not (output_dir / "assets").is_dir():
        from pipeline.render_html import copy_assets

        for path, data in copy_assets(config.source_dir, output_dir).items():
            if not path.exists() or path.read_bytes() != data:
                write_atomic(path, data)
        shared["assets"] = assets_digest
        manifest.changed = True

    templates = sorted(p for p in (CODE_DIR / "templates").iterdir() if p.is_file())
    for cid, clinic in config.clinics.items():
        entries = []
        for name, record in sorted(manifest.units.items()):
            clinic_id, locale, slug = name.split("/")
            if clinic_id == cid and locale in clinic.locales and "entry" in record:
                entries.append({"locale": locale, "slug": slug, **record["entry"]})
        index = output_dir / cid / "index.html"
        if not entries:
            continue
        catalogs = [catalog_path(config.locales_dir, code, UI_DOMAIN) for code in clinic.locales]
        digest = inputs.files(templates + catalogs,
                               inputs.page + inputs.clinic(cid) + json.dumps(entries, sort_keys=True))
        if shared.get(f"index:{cid}") == digest and index.exists():
            continue
        from pipeline.render_html import render_index

        html = render_index(config, clinic, entries).encode("utf-8")
        if not index.exists() or index.read_bytes() != html:
            write_atomic(index, html)
        shared[f"index:{cid}"] = digest
        manifest.changed = True


# ---------------------------------------------------------------- manifest and lock


class _Manifest:
    """What was built, from what: ``outputs/.build-manifest.json``.

    ``units`` maps ``clinic/locale/slug`` to the index entry and, per format, the
    input digest, the output's path and why it is held back, if it is."""

    def __init__(self, path: Path, data: dict):
        self.path = path
        self.data = data
        self.units: dict = data.setdefault("units", {})
        self.changed = False
        self._saved = time.monotonic()

    @classmethod
    def read(cls, path: Path) -> _Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if not isinstance(data, dict) or data.get("manifest") != MANIFEST_VERSION:
            data = {"manifest": MANIFEST_VERSION}  # unknown or older: build everything again
        return cls(path, data)

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


class _build_lock:
    """One build at a time per output folder; a second one says so and stops."""

    def __init__(self, output_dir: Path):
        from filelock import FileLock

        self.lock = FileLock(str(output_dir / ".build.lock"))

    def __enter__(self):
        from filelock import Timeout

        try:
            self.lock.acquire(timeout=0.5)
        except Timeout:
            raise InputError(self.lock.lock_file, None, "another build is running in this output folder",
                             "wait for it to finish, then build again") from None
        return self

    def __exit__(self, *exc):
        self.lock.release()


# ---------------------------------------------------------------- progress and CLI


class _Progress:
    """A progress bar on an interactive terminal; a plain line per unit elsewhere (CI)."""

    def __init__(self, total: int, report):
        self.total = total
        self.report = report
        self.bar = None
        if report is print and sys.stdout.isatty():
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            from rich.table import Column

            self.bar = Progress(TextColumn("building"), BarColumn(bar_width=20), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                                TextColumn("{task.description}",
                                           table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
                                transient=True, expand=True)
            self.task = self.bar.add_task("", total=total)

    def start(self) -> None:
        if self.bar is not None and not self.bar.live.is_started:
            self.bar.start()

    def update(self, done: int, result: UnitResult) -> None:
        if self.bar is not None:
            self.start()
            self.bar.update(self.task, completed=done, description=result.unit.name)
            if result.error:
                self.bar.console.print(f"failed: {result.unit.name}")
        elif self.report is not None:
            status = "failed" if result.error else "built " + ", ".join(result.unit.formats)
            if result.held:
                status += " (held: " + ", ".join(result.held) + ")"
            self.report(f"[{done}/{self.total}] {result.unit.name} {status} {result.seconds:.1f}s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def describe_timings(summary: Summary) -> str:
    """Where the time went, in one line: planning, building (per output), finishing."""
    t = summary.timings
    parts = [f"planning {t.planning:.2f}s"]
    if t.outputs:
        each = ", ".join(f"{fmt} {seconds / count:.2f}s" for fmt, (count, seconds) in sorted(t.outputs.items()))
        parts.append(f"building {t.building:.1f}s on {t.workers} worker{'s' if t.workers != 1 else ''} "
                     f"({each} each)")
        if t.slowest[0]:
            parts.append(f"slowest {t.slowest[0]} {t.slowest[1]:.1f}s")
    parts.append(f"index and manifest {t.finishing:.2f}s")
    if t.peak_memory:
        parts.append(f"peak memory per worker {max(t.peak_memory.values()) / 2**20:.0f} MB")
    if summary.removed:
        parts.append(f"{summary.removed} output(s) of removed handouts deleted")
    return "timings: " + "; ".join(parts)


def add_command(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "build", parents=[common], help="build web pages and PDFs for every clinic and locale",
        description="Build outputs/<clinic>/<locale>/<slug>.html and .pdf (and a large-print PDF) "
                    "for every handout, plus an index page per clinic. Outputs whose inputs did not "
                    "change since they were built are skipped.")
    parser.add_argument("--clinic", action="append", metavar="ID", help="only this clinic (repeatable)")
    parser.add_argument("--locale", action="append", metavar="CODE", help="only this locale (repeatable)")
    parser.add_argument("--article", action="append", metavar="SLUG", help="only this handout (repeatable)")
    parser.add_argument("--format", action="append", choices=FORMATS + (PRINT_SHOP,), dest="formats",
                        help="only this format (repeatable; default: html, pdf, large-print)")
    parser.add_argument("--print-shop", action="store_true",
                        help="also build <slug>.print-shop.pdf: 3 mm bleed and crop marks for a print shop")
    parser.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help=f"worker processes (default: the number of cores, {_cores()} here)")
    parser.set_defaults(func=run)


def run(config: Config, args) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise InputError(None, None, "--jobs must be 1 or more")
    report = None if args.quiet else print
    formats = tuple(dict.fromkeys(args.formats)) if args.formats else FORMATS
    if args.print_shop and PRINT_SHOP not in formats:
        formats += (PRINT_SHOP,)
    summary = build(config, clinics=args.clinic, locales=args.locale, slugs=args.article,
                    formats=formats, force=args.force, jobs=args.jobs, report=report)
    for problem in dict.fromkeys(summary.problems):  # one message per problem, not per output
        print(problem, file=sys.stderr)
    if report is not None:
        report(describe_timings(summary))
    where = os.path.relpath(config.output_dir)
    print(f"{summary.built} built, {summary.skipped} up to date, {summary.failed} failed, "
          f"{summary.held} held back in {summary.seconds:.1f}s → {where}/")
    return summary.exit_code
