"""Build every output: sources → translations → HTML → PDF → index pages.

Reads top to bottom as the story of a build. Each output records a digest of what it
was built from; an output whose inputs did not change is skipped. Work is spread over
worker processes that keep WeasyPrint and its fonts loaded between documents. Every
file is written atomically, so a build killed at any point leaves the previous good
output or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from pipeline.catalogs import UI_DOMAIN, catalog_path
from pipeline.errors import InputError, PipelineError
from pipeline.files import write_atomic
from pipeline.model import Config, localized
from pipeline.sources import SLUG_PATTERN, article_paths

FORMATS = ("html", "pdf", "large-print")
MANIFEST_NAME = ".build-manifest.json"
CODE_DIR = Path(__file__).parent


# ---------------------------------------------------------------- plain data


@dataclass(frozen=True)
class Unit:
    """One handout for one clinic and locale: the outputs it yields, and the digest
    of everything they are built from."""

    clinic: str
    locale: str
    slug: str
    source: Path
    formats: tuple[str, ...]
    digest: str

    @property
    def name(self) -> str:
        return f"{self.clinic}/{self.locale}/{self.slug}"


@dataclass
class UnitResult:
    unit: Unit
    written: list[str] = field(default_factory=list)  # paths relative to the output folder
    held: dict = field(default_factory=dict)  # format -> reason it was not published
    error: str = ""
    exit_code: int = 0
    entry: dict = field(default_factory=dict)  # what the index page shows
    seconds: float = 0.0


@dataclass
class Summary:
    built: int = 0
    skipped: int = 0
    failed: int = 0
    held: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    exit_code: int = 0


# ---------------------------------------------------------------- the build


def build(config: Config, *, clinics=None, locales=None, slugs=None, formats=FORMATS,
          force: bool = False, jobs: int | None = None, report=print) -> Summary:
    """Build the selected outputs; return what happened."""
    started = time.perf_counter()
    summary = Summary()
    output_dir = config.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = output_dir / MANIFEST_NAME
    manifest = _read_manifest(manifest_path)

    with _build_lock(output_dir):
        units, source_problems = _plan(config, clinics, locales, slugs, formats)
        for problem in source_problems:
            summary.problems.append(problem.format())
            summary.failed += 1
            summary.exit_code = max(summary.exit_code, problem.exit_code)
        stale = [u for u in units if force or not _is_current(u, manifest, output_dir)]
        summary.skipped = len(units) - len(stale)

        for result in _run(config, stale, jobs, report):
            record = {"digest": result.unit.digest, "entry": result.entry, "held": result.held,
                      "outputs": result.written}
            if result.error:
                summary.failed += 1
                summary.problems.append(result.error)
                summary.exit_code = max(summary.exit_code, result.exit_code)
                manifest.pop(result.unit.name, None)
                continue
            summary.built += 1
            manifest[result.unit.name] = record
        for unit in units:
            for fmt, reason in sorted(manifest.get(unit.name, {}).get("held", {}).items()):
                summary.held += 1
                summary.problems.append(f"{unit.name}: {fmt} held back: {reason}")

        _write_shared_outputs(config, manifest, output_dir)
        write_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False).encode())
    summary.seconds = time.perf_counter() - started
    return summary


def _plan(config: Config, clinics, locales, slugs, formats):
    """Every unit to consider, with its input digest, and sources that cannot be read."""
    problems: list[InputError] = []
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

    shared = _shared_digest(config)
    catalog_digests: dict[Path, str] = {}

    def file_digest(path: Path) -> str:
        if path not in catalog_digests:
            catalog_digests[path] = _digest_bytes(path.read_bytes()) if path.exists() else "-"
        return catalog_digests[path]

    units = []
    for path in paths:
        if not SLUG_PATTERN.match(path.stem):
            problems.append(InputError(path, None, f"'{path.name}' is not a usable handout file name",
                                       "use lowercase letters, digits and hyphens"))
            continue
        source_digest = file_digest(path)
        for cid, clinic in config.clinics.items():
            if clinics and cid not in clinics:
                continue
            clinic_digest = _digest_bytes(repr((clinic, clinic.publish_threshold)).encode())
            for code in clinic.locales:
                if locales and code not in locales:
                    continue
                locale = config.locales[code]
                parts = [shared, clinic_digest, repr(locale), source_digest, ",".join(formats)]
                if code != config.source_language:
                    parts.append(file_digest(catalog_path(config.locales_dir, code, path.stem)))
                    parts.append(file_digest(catalog_path(config.locales_dir, code, UI_DOMAIN)))
                units.append(Unit(cid, code, path.stem, path, tuple(formats), _digest_bytes("\n".join(parts).encode())))
    return units, problems


def _is_current(unit: Unit, manifest: dict, output_dir: Path) -> bool:
    record = manifest.get(unit.name)
    if not record or record.get("digest") != unit.digest:
        return False
    return all((output_dir / rel).exists() for rel in record.get("outputs", ()))


def _output_paths(unit: Unit) -> dict[str, str]:
    base = f"{unit.clinic}/{unit.locale}/{unit.slug}"
    names = {"html": f"{base}.html", "pdf": f"{base}.pdf", "large-print": f"{base}.large-print.pdf"}
    return {fmt: names[fmt] for fmt in unit.formats}


def _run(config: Config, units: list[Unit], jobs: int | None, report):
    """Build ``units``, in worker processes when there is more than one to do."""
    if not units:
        return
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(units)))
    done = 0
    progress = _Progress(len(units), report)
    if jobs == 1:
        _init_worker(str(config.path))
        for unit in units:
            result = _build_unit(unit)
            done += 1
            progress.update(done, result)
            yield result
        progress.close()
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(str(config.path),)) as pool:
        futures = [pool.submit(_build_unit, unit) for unit in units]
        for future in as_completed(futures):
            result = future.result()
            done += 1
            progress.update(done, result)
            yield result
    progress.close()


# ---------------------------------------------------------------- one unit (runs in a worker)

_worker_config: Config | None = None


def _init_worker(config_path: str) -> None:
    """Load the configuration and WeasyPrint once per worker process."""
    global _worker_config
    from pipeline.config import load_config
    from pipeline.render_pdf import _install

    _worker_config = load_config(config_path)
    _install()


def _build_unit(unit: Unit) -> UnitResult:
    from pipeline.render_html import render_page
    from pipeline.render_pdf import render_pdf
    from pipeline.sources import load_article
    from pipeline.translate import InterfaceText, load_translation

    started = time.perf_counter()
    config = _worker_config
    result = UnitResult(unit)
    try:
        clinic = config.clinics[unit.clinic]
        locale = config.locales[unit.locale]
        article = load_article(unit.source)
        translation = load_translation(config, article, unit.locale)
        qa_errors = _qa_errors(config, unit.locale, unit.slug)
        if qa_errors:
            translation = _without(translation, qa_errors)
        title, title_lang = translation.text(article.blocks[0])
        summary_text, summary_lang = translation.text(article.blocks[1])
        from pipeline.variables import clinic_values, expand

        values = clinic_values(clinic, unit.locale)
        result.entry = {"title": expand(title, values), "title_lang": title_lang,
                        "summary": expand(summary_text, values), "summary_lang": summary_lang,
                        "percent": round(translation.percent, 1)}
        outputs = _output_paths(unit)
        output_dir = config.output_dir
        threshold = clinic.publish_threshold

        pdf_href = None
        pdf_formats = [f for f in ("pdf", "large-print") if f in outputs]
        publish_pdf = translation.percent >= threshold.get("pdf", 100) and not qa_errors
        if pdf_formats and not publish_pdf:
            reason = (f"{translation.percent:.0f}% translated (needs {threshold.get('pdf', 100)}%)"
                      if translation.percent < threshold.get("pdf", 100) else "")
            if qa_errors:
                reason = (reason + "; " if reason else "") + f"{len(qa_errors)} QA error(s) in the catalog"
            for fmt in pdf_formats:
                result.held[fmt] = reason + (", last good PDF kept" if (output_dir / outputs[fmt]).exists() else "")
        if "pdf" in outputs and (publish_pdf or (output_dir / outputs["pdf"]).exists()):
            pdf_href = Path(outputs["pdf"]).name

        if "html" in outputs:
            if translation.percent >= threshold.get("html", 0):
                html = render_page(config, article, translation, clinic, locale, pdf_href=pdf_href)
                write_atomic(output_dir / outputs["html"], html.encode("utf-8"))
                result.written.append(outputs["html"])
            else:
                result.held["html"] = f"{translation.percent:.0f}% translated (needs {threshold['html']}%)"

        if publish_pdf and pdf_formats:
            print_html = render_page(config, article, translation, clinic, locale, for_print=True)
            page_label = InterfaceText(config, unit.locale).gettext("Page {page} of {pages}")
            allowed = [config.source_dir, CODE_DIR / "static"]
            for fmt in pdf_formats:
                pdf = render_pdf(print_html, base_dir=config.source_dir, clinic=clinic, locale=locale,
                                 page_label=page_label, allowed_roots=allowed,
                                 large_print=(fmt == "large-print"), label=f"{unit.source}")
                write_atomic(output_dir / outputs[fmt], pdf)
                result.written.append(outputs[fmt])
        result.entry["html"] = (output_dir / outputs.get("html", "-")).exists()
        result.entry["pdf"] = bool(pdf_href)
    except PipelineError as err:
        result.error = err.format() if isinstance(err, InputError) else f"{unit.name}: {err}"
        result.exit_code = err.exit_code
    except Exception as err:  # an unexpected failure of one output must not stop the others
        result.error = f"{unit.name}: failed: {type(err).__name__}: {err}"
        result.exit_code = 1
    result.seconds = time.perf_counter() - started
    return result


def _qa_errors(config: Config, locale: str, slug: str) -> list:
    """QA errors in the handout's catalog for ``locale`` (they block publishing)."""
    if locale == config.source_language:
        return []
    try:
        from pipeline import qa
    except ImportError:
        return []
    from pipeline.catalogs import read_catalog

    path = catalog_path(config.locales_dir, locale, slug)
    catalog = read_catalog(path, locale)
    if catalog is None or not hasattr(qa, "check_catalog"):
        return []
    return [p for p in qa.check_catalog(config, locale, slug, catalog) if p.severity == "error"]


def _without(translation, problems):
    """The translation with entries that have QA errors treated as untranslated."""
    from dataclasses import replace

    bad_ids = {getattr(p, "msgid", None) for p in problems}
    messages = {k: v for k, v in translation.messages.items() if k[1] not in bad_ids}
    return replace(translation, messages=messages)


# ---------------------------------------------------------------- shared outputs


def _write_shared_outputs(config: Config, manifest: dict, output_dir: Path) -> None:
    """Assets and one index page per clinic, from what the manifest says was built."""
    from pipeline.render_html import copy_assets, render_index

    for path, data in copy_assets(config.source_dir, output_dir).items():
        if not path.exists() or path.read_bytes() != data:
            write_atomic(path, data)
    for cid, clinic in config.clinics.items():
        entries = []
        for name, record in sorted(manifest.items()):
            clinic_id, locale, slug = name.split("/")
            if clinic_id == cid and locale in clinic.locales and (config.source_dir / f"{slug}.md").exists():
                entries.append({"locale": locale, "slug": slug, **record.get("entry", {})})
        if not entries:
            continue
        html = render_index(config, clinic, entries).encode("utf-8")
        index = output_dir / cid / "index.html"
        if not index.exists() or index.read_bytes() != html:
            write_atomic(index, html)


# ---------------------------------------------------------------- digests, manifest, lock


def _digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _shared_digest(config: Config) -> str:
    """What every output depends on: the pipeline's code, templates and styles, the
    configuration's locales, the images and the fonts installed."""
    parts = [__version__, repr(sorted(config.locales.items())), config.source_language]
    for path in sorted(CODE_DIR.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".html", ".css", ".yaml") and "__pycache__" not in path.parts:
            parts.append(f"{path.relative_to(CODE_DIR)}:{_digest_bytes(path.read_bytes())}")
    images = config.source_dir / "images"
    if images.is_dir():
        for path in sorted(images.iterdir()):
            if path.is_file():
                parts.append(f"{path.name}:{_digest_bytes(path.read_bytes())}")
    parts.append(_fonts_digest())
    return _digest_bytes("\n".join(parts).encode())


def _fonts_digest() -> str:
    try:
        listing = subprocess.run(["fc-list", "--format", "%{file}:%{fontversion}\n"],
                                 capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    return _digest_bytes("\n".join(sorted(line for line in listing.splitlines() if "Noto" in line)).encode())


def _read_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


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
    """A progress bar on an interactive terminal; a plain line per output elsewhere."""

    def __init__(self, total: int, report):
        self.total = total
        self.report = report
        self.bar = None
        if sys.stderr.isatty() and report is print:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("{task.description}"), transient=True)
            self.task = self.bar.add_task("", total=total)
            self.bar.start()

    def update(self, done: int, result: UnitResult) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, description=result.unit.name)
        elif self.report is not None:
            status = "failed" if result.error else ("built" + (" (held: " + ", ".join(result.held) + ")" if result.held else ""))
            self.report(f"[{done}/{self.total}] {result.unit.name} {status} {result.seconds:.1f}s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def add_command(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "build", parents=[common], help="build web pages and PDFs for every clinic and locale",
        description="Build outputs/<clinic>/<locale>/<slug>.html and .pdf (and a large-print PDF) "
                    "for every handout, plus an index page per clinic. Unchanged outputs are skipped.")
    parser.add_argument("--clinic", action="append", metavar="ID", help="only this clinic (repeatable)")
    parser.add_argument("--locale", action="append", metavar="CODE", help="only this locale (repeatable)")
    parser.add_argument("--article", action="append", metavar="SLUG", help="only this handout (repeatable)")
    parser.add_argument("--format", action="append", choices=FORMATS, dest="formats",
                        help="only this format (repeatable; default: all)")
    parser.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help="worker processes (default: the number of cores)")
    parser.set_defaults(func=run)


def run(config: Config, args) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise InputError(None, None, "--jobs must be 1 or more")
    report = None if args.quiet else print
    summary = build(config, clinics=args.clinic, locales=args.locale, slugs=args.article,
                    formats=tuple(args.formats or FORMATS), force=args.force, jobs=args.jobs, report=report)
    for problem in summary.problems:
        print(problem, file=sys.stderr)
    where = os.path.relpath(config.output_dir)
    print(f"{summary.built} built, {summary.skipped} up to date, {summary.failed} failed, "
          f"{summary.held} held back in {summary.seconds:.1f}s → {where}/")
    return summary.exit_code
