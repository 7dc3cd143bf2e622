"""Rebuild on save: watch the inputs, call the same ``build()`` as ``python -m
pipeline build`` (web pages first, then the PDFs one handout at a time), and tell
the open pages.

One thread watches (``watchfiles``), one builds. Saves that arrive while a build runs
are gathered and answered by one more build, so the last save always wins; a PDF
build stops between handouts when a new save comes in, so a page waits for at most
one handout's PDFs."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import watchfiles

from pipeline.build import build
from pipeline.cli import INPUT_ERRORS, input_error
from pipeline.config import load_config
from pipeline.errors import InputError, PipelineError
from pipeline.formats import DEFAULT_FORMATS, HTML, PRINT_FORMATS
from pipeline.model import Config
from pipeline.render_html import STATIC_DIR as PAGE_STATIC_DIR
from pipeline.render_html import TEMPLATE_DIR
from pipeline.sources import article_paths

log = logging.getLogger(__name__)

# How long the watcher waits for a burst of saves to settle (an editor writes a file
# in several steps), and how often it looks: well inside the 1 s a page may take.
DEBOUNCE_MS = 50
STEP_MS = 20


@dataclass
class BuildState:
    """What the open pages are told after each build."""

    generation: int = 0  # one more after every build of web pages
    pdf_generation: int = 0  # one more after the PDFs of a handout are rebuilt
    building: str = ""  # "html", "pdf" or ""
    errors: list[str] = field(default_factory=list)  # "file:line: error: ..." of the last builds
    notes: list[str] = field(default_factory=list)  # outputs held back and why
    seconds: float = 0.0  # how long the last web-page build took
    changed: list[str] = field(default_factory=list)  # what was saved, relative to the project
    rebuilt: list[str] | None = None  # the web pages the last build may have changed (None: any)

    def as_json(self) -> dict:
        return {"generation": self.generation, "pdf_generation": self.pdf_generation, "building": self.building,
                "errors": list(self.errors), "notes": list(self.notes), "seconds": round(self.seconds, 3),
                "changed": list(self.changed), "rebuilt": self.rebuilt}


def describe_error(err: Exception) -> str:
    """An error as the command line prints it: ``file:line: error: message``."""
    if isinstance(err, PipelineError):
        return err.format() if hasattr(err, "format") else str(err)
    if isinstance(err, INPUT_ERRORS):
        return input_error(err).format()
    return f"error: {type(err).__name__}: {err}"


class Rebuilder:
    """Builds on every change and keeps ``state`` for the server to send."""

    def __init__(self, config_path: Path, *, formats=DEFAULT_FORMATS, clinics=None, locales=None, slugs=None,
                 on_change=None):
        self.config_path = Path(config_path).resolve()
        self.formats = tuple(formats)
        self.selection = {"clinics": clinics, "locales": locales, "slugs": slugs}
        self.on_change = on_change or (lambda state: None)
        self.state = BuildState()
        self.config: Config | None = None
        self._pending: set[str] = {"(start)"}
        self._viewed: dict[str, int] = {}  # page -> previews open on it
        self._awaited: set[tuple[str, str]] = set()  # ("page" | "data", page) the previews have yet to load
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self.first_build = threading.Event()  # the web pages were built once (or failed)
        self.idle = threading.Event()  # nothing to build: every change answered, PDFs too
        self._threads: list[threading.Thread] = []

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        for target, name in ((self._build_loop, "serve-build"), (self._watch_loop, "serve-watch-tree"),
                             (self._watch_config, "serve-watch-config")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def changed(self, paths) -> None:
        """Something was saved: build again (called by the watchers, and by tests)."""
        with self._wake:
            self._pending.update(paths)
            self.idle.clear()
            self._wake.notify_all()

    # --- watching --------------------------------------------------------------------

    def watched_folders(self) -> list[Path]:
        """source/, locales/ and the templates and stylesheets pages are made from."""
        root = self.config_path.parent
        folders = [root / "source", root / "locales"]
        if self.config is not None:
            folders = [self.config.source_dir, self.config.locales_dir]
        return [p for p in dict.fromkeys([*folders, TEMPLATE_DIR, PAGE_STATIC_DIR]) if p.is_dir()]

    def _watch_loop(self) -> None:
        while not self._stop.is_set():
            folders = self.watched_folders()
            if not folders:
                self._stop.wait(0.5)
                continue
            try:
                for changes in watchfiles.watch(*folders, stop_event=self._stop, debounce=DEBOUNCE_MS,
                                                step=STEP_MS, rust_timeout=500, yield_on_timeout=True,
                                                raise_interrupt=False):
                    if changes:
                        self.changed({path for _change, path in changes})
                    if set(self.watched_folders()) != set(folders):
                        break  # the configuration moved source/ or locales/: watch the new ones
            except (FileNotFoundError, OSError) as err:  # a folder removed while watched
                log.debug("watching again after %s", err)
                self._stop.wait(0.2)

    def _watch_config(self) -> None:
        """The configuration file, through its folder (not recursively: the project
        folder holds the outputs and the virtual environment)."""
        name = self.config_path.name
        for changes in watchfiles.watch(self.config_path.parent, stop_event=self._stop, recursive=False,
                                        debounce=DEBOUNCE_MS, step=STEP_MS, rust_timeout=500,
                                        watch_filter=lambda _change, path: Path(path).name == name,
                                        raise_interrupt=False):
            self.changed({path for _change, path in changes})

    # --- building --------------------------------------------------------------------

    def _take_pending(self, wait: bool) -> set[str]:
        with self._wake:
            while wait and not self._pending and not self._stop.is_set():
                self.idle.set()
                self._wake.wait()
            pending, self._pending = self._pending, set()
            return pending

    def _has_pending(self) -> bool:
        with self._wake:
            return bool(self._pending)

    def _build_loop(self) -> None:
        code = code_fingerprint()
        while not self._stop.is_set():
            changed = self._take_pending(wait=True)
            if self._stop.is_set():
                return
            changed_code = code_changed(code)
            if changed_code:  # the build's record would vouch for code this process does not run
                self._announce_pages([f"{changed_code}: error: the pipeline's code changed while serve runs; "
                                      "nothing is built with the old code\n  what to do: stop serve (Ctrl+C) "
                                      "and start it again"], None, time.perf_counter())
                self.first_build.set()
                continue
            self._build_pages(changed)
            self.first_build.set()
            if any(f in PRINT_FORMATS for f in self.formats) and self.config is not None:
                self._build_prints(changed)

    def _relative(self, paths) -> list[str]:
        root = self.config_path.parent
        shown = []
        for path in sorted(paths):
            try:
                shown.append(str(Path(path).resolve().relative_to(root)))
            except ValueError:
                shown.append(str(path))
        return shown

    def _build_pages(self, changed: set[str]) -> None:
        """The web pages of what changed: when only handouts or their catalogs were
        saved, first the pages open in a preview (one page each, announced at once),
        then the other pages of those handouts; otherwise every page."""
        state = self.state
        state.building, state.changed = "html", self._relative(p for p in changed if p != "(start)")
        self.on_change(state)
        started = time.perf_counter()
        errors, notes, rebuilt = [], [], None
        try:
            self.config = load_config(self.config_path)  # the configuration may have changed too
            if HTML in self.formats:
                selection = dict(self.selection)
                saved = self._handouts(changed)
                if saved:  # only handouts and their catalogs: plan only theirs
                    selection["slugs"] = [s for s in saved if not self.selection["slugs"] or s in self.selection["slugs"]]
                    first = [unit for unit in self._viewed_units() if unit[2] in selection["slugs"]]
                    for clinic, locale, slug in first:
                        summary = build(self.config, formats=(HTML,), jobs=1, clinics=[clinic], locales=[locale],
                                        slugs=[slug])
                        errors += _split(summary)[0]
                    if first:
                        shown = [f"{c}/{l}/{s}.html" for c, l, s in first]
                        with self._wake:
                            self._awaited = {(kind, page) for page in shown for kind in ("page", "data")}
                        self._announce_pages(errors, shown, started)
                        errors = []
                        self._let_previews_load()
                    shown = {f"{c}/{l}/{s}.html" for c, l, s in first}
                    rebuilt = [page for page in self._pages_of(selection) if page not in shown]
                if selection["slugs"] != []:
                    summary = build(self.config, formats=(HTML,), jobs=1, **selection)
                    more, notes = _split(summary)
                    errors = list(dict.fromkeys(errors + more))
        except Exception as err:  # bad input (or a bug) must not stop the server: show it
            errors = [describe_error(err)]
            rebuilt = None
            if not isinstance(err, (PipelineError, InputError)):
                log.exception("build failed")
        state.notes = notes
        self._announce_pages(errors, rebuilt, started)

    def _announce_pages(self, errors: list[str], rebuilt: list[str] | None, started: float) -> None:
        state = self.state
        state.errors = errors
        state.rebuilt = rebuilt
        state.seconds = time.perf_counter() - started
        state.generation += 1
        state.building = ""
        self.on_change(state)

    # --- the pages open in a preview, built first ----------------------------------------

    PREVIEW_WAIT = 1.0  # seconds the other pages wait for the open previews to load theirs

    def served(self, kind: str, page: str) -> None:
        """A preview loaded ``page`` ("page") or its overlays ("data")."""
        with self._wake:
            if (kind, page) in self._awaited:
                self._awaited.discard((kind, page))
                self._wake.notify_all()

    def _let_previews_load(self) -> None:
        """Wait (a second at most) until the open previews have loaded the pages just
        built, so that building the other pages does not slow them down."""
        deadline = time.monotonic() + self.PREVIEW_WAIT
        with self._wake:
            while self._awaited and not self._pending and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._wake.wait(left)
            self._awaited = set()

    def viewing(self, page: str, opened: bool) -> None:
        """A preview of ``page`` (a path in the output folder) opened or closed."""
        with self._wake:
            count = self._viewed.get(page, 0) + (1 if opened else -1)
            if count > 0:
                self._viewed[page] = count
            else:
                self._viewed.pop(page, None)

    def _viewed_units(self) -> list[tuple[str, str, str]]:
        """(clinic, locale, slug) of each handout page open in a preview, within the selection."""
        with self._wake:
            pages = list(self._viewed)
        units = []
        for page in pages:
            parts = page.split("/")
            if len(parts) != 3 or not parts[2].endswith(".html"):
                continue
            clinic, locale, slug = parts[0], parts[1], parts[2][:-len(".html")]
            known = self.config.clinics.get(clinic)
            if known is None or locale not in known.locales:
                continue
            if any(self.selection[key] and value not in self.selection[key]
                   for key, value in (("clinics", clinic), ("locales", locale), ("slugs", slug))):
                continue
            units.append((clinic, locale, slug))
        return units

    def _pages_of(self, selection: dict) -> list[str]:
        """The web pages a build of ``selection`` (some handouts) may change."""
        return [f"{cid}/{code}/{slug}.html" for slug in selection["slugs"]
                for cid, clinic in self.config.clinics.items() if not selection["clinics"] or cid in selection["clinics"]
                for code in clinic.locales if not selection["locales"] or code in selection["locales"]]

    def _handouts(self, changed: set[str]) -> list[str] | None:
        """The handouts saved, when every change is a handout or one of its catalogs
        (anything else, an image, a glossary, the configuration, may touch every page)."""
        config = self.config
        slugs = []
        for path in changed:
            path = Path(path)
            if path.suffix == ".md" and path.parent == config.source_dir and path.is_file():
                slugs.append(path.stem)
            elif (path.suffix == ".po" and path.parent.name == "LC_MESSAGES" and path.stem != "ui"
                  and path.parents[2] == config.locales_dir and (config.source_dir / f"{path.stem}.md").is_file()):
                slugs.append(path.stem)
            else:
                return None
        return sorted(set(slugs)) or None

    def _build_prints(self, changed: set[str]) -> None:
        """The PDFs, one handout in one clinic and language at a time (the handout
        just saved first), stopping when something else is saved: a save waits for
        at most one handout's PDFs in one language."""
        config = self.config
        forget_cached_inputs()
        slugs = [p.stem for p in article_paths(config.source_dir)]
        if self.selection["slugs"]:
            slugs = [s for s in slugs if s in self.selection["slugs"]]
        saved = {Path(p).stem for p in changed}
        slugs.sort(key=lambda slug: slug not in saved)
        formats = tuple(f for f in self.formats if f == HTML or f in PRINT_FORMATS)
        units = [(slug, cid, code) for slug in slugs for cid, clinic in config.clinics.items()
                 if not self.selection["clinics"] or cid in self.selection["clinics"]
                 for code in clinic.locales if not self.selection["locales"] or code in self.selection["locales"]]
        for slug, cid, code in units:
            if self._has_pending() or self._stop.is_set():
                return
            self.state.building = "pdf"
            built = False
            try:
                summary = build(config, formats=formats, jobs=1, slugs=[slug], clinics=[cid], locales=[code])
                errors, notes = _split(summary)
                built = bool(summary.built or summary.withdrawn)
            except Exception as err:
                errors, notes = [describe_error(err)], []
            self.state.errors = list(dict.fromkeys(self.state.errors + errors))
            self.state.notes = list(dict.fromkeys(self.state.notes + notes))
            self.state.building = ""
            if built:
                self.state.pdf_generation += 1
            if built or errors:
                self.on_change(self.state)


PACKAGE_DIR = Path(__file__).resolve().parent.parent


def forget_cached_inputs() -> None:
    """Empty what the PDF stages keep for the life of a process by name alone: the
    parsed stylesheets and the PDF's own words from ui.po. A build process ends after
    one build; this one lives on while the files change."""
    render_pdf = sys.modules.get("pipeline.render_pdf")
    if render_pdf is not None:
        render_pdf.clear_caches()
    unit_render = sys.modules.get("pipeline.build.render")
    if unit_render is not None:
        unit_render.clear_caches()


def code_fingerprint() -> dict[str, tuple[int, int]]:
    """The files of the pipeline's modules this process has loaded, with their time and
    size on disk now (a module not loaded yet will be read as it is when it is)."""
    found = {}
    for name, module in list(sys.modules.items()):
        if name != "pipeline" and not name.startswith("pipeline."):
            continue
        path = getattr(module, "__file__", None)
        if not path:
            continue
        try:
            info = os.stat(path)
        except OSError:
            continue
        found[os.path.relpath(path, PACKAGE_DIR.parent)] = (info.st_mtime_ns, info.st_size)
    return found


def code_changed(loaded: dict) -> str:
    """The first loaded module whose file changed since it was seen in ``loaded``, or
    "". Modules loaded since are added to ``loaded`` as they are now."""
    for name, stamp in sorted(code_fingerprint().items()):
        seen = loaded.setdefault(name, stamp)
        if seen != stamp:
            return name
    return ""


def _split(summary) -> tuple[list[str], list[str]]:
    """A build's problems as errors (outputs that failed, first in the list: the build
    records failures as it meets them and the held-back outputs at the end) and notes."""
    return summary.problems[:summary.failed], summary.problems[summary.failed:]
