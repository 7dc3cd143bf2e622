"""Build every output: plan → decide → render → write → report.

``build()`` reads top to bottom as the story of a build: plan the outputs and what
each is built from, keep those whose inputs did not change, let the workers decide
what may be published and render it (``units``), write what they return and take
down what is no longer published, then the index pages and the record. Every file is
written atomically by this process, so a build stopped at any point leaves the
previous good output or the new one, and the record of what is built stays true.

The modules: ``plan`` (what to build), ``digests`` (what an output is built from),
``units`` (one handout for one clinic and locale, in a worker), ``workers`` (the
executor), ``manifest`` (the record and the files the build owns), ``index`` (assets
and index pages).
"""

from __future__ import annotations

import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.model import Config
from pipeline.formats import BILINGUAL, DEFAULT_FORMATS, HELD, PUBLISHED, SUFFIX, WITHDRAWN, is_print, pair_of
from pipeline.review import review_warnings
from pipeline.build.digests import Inputs
from pipeline.build.index import asset_paths, write_assets, write_if_changed, write_indexes
from pipeline.build.manifest import (INDEX_NAME, MANIFEST_NAME, BuildLock, Manifest, check_output_folder,
                                     delete_owned, remove_stale_temporaries, unit_parts)
from pipeline.build.plan import gone, plan, stale_part
from pipeline.build.units import Unit, UnitResult
from pipeline.build.workers import Workers, cores

__all__ = ["Summary", "Timings", "build", "cores"]


@dataclass
class Timings:
    planning: float = 0.0
    building: float = 0.0
    finishing: float = 0.0  # withdrawals, index pages, assets, the manifest
    workers: int = 0
    outputs: dict = field(default_factory=dict)  # format -> (count, seconds)
    slowest: tuple[str, float] = ("", 0.0)
    peak_memory: dict = field(default_factory=dict)  # worker pid -> bytes


@dataclass
class Summary:
    built: int = 0
    skipped: int = 0
    failed: int = 0
    held: int = 0  # outputs not published now (held back, or under their threshold)
    withdrawn: int = 0  # files taken down: no longer published, or their handout, locale or clinic is gone
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # reviews due soon or overdue, at their line
    exit_code: int = 0
    timings: Timings = field(default_factory=Timings)


def build(config: Config, *, clinics=None, locales=None, slugs=None, formats=DEFAULT_FORMATS, force: bool = False,
          jobs: int | None = None, progress=None, executor: Executor | None = None) -> Summary:
    """Build the selected outputs whose inputs changed (all of them with ``force``).

    ``progress(done, total, result)`` is called as units finish; ``executor`` runs
    them (a local process pool by default)."""
    started = time.perf_counter()
    summary = Summary()
    check_output_folder(config)
    output_dir = config.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)

    with BuildLock(output_dir):
        manifest = Manifest.read(output_dir / MANIFEST_NAME)
        workers = Workers(config, jobs, any(is_print(f) or f == BILINGUAL for f in formats), executor)
        if (force or not manifest.units) and workers.jobs > 1:
            workers.start()  # everything will be built: the workers load while we plan
        stopped = True
        try:
            # plan
            inputs = Inputs(config, manifest.cache)
            units, source_problems = plan(config, inputs, manifest, clinics, locales, slugs, formats)
            for problem in source_problems:
                _fail(summary, problem.format(), problem.exit_code)
            summary.warnings = review_warnings(config, _clinics_by_source(units), inputs.today)
            remove_stale_temporaries(output_dir, _targets(config, manifest, units))
            stale = [u for u in (stale_part(unit, manifest, force) for unit in units) if u]
            summary.skipped = len(units) - len(stale)
            _claim(stale, manifest)
            summary.timings.planning = time.perf_counter() - started

            # decide and render (workers), write (here)
            building = time.perf_counter()
            try:
                for done, result in enumerate(workers.run(stale), start=1):
                    summary.timings.workers = workers.count
                    _write(result, manifest, output_dir, summary)
                    manifest.checkpoint()
                    if progress is not None:
                        progress(done, len(stale), result)
            finally:
                summary.timings.building = time.perf_counter() - building
                finishing = time.perf_counter()
                summary.withdrawn += _withdraw_gone(config, manifest, output_dir)
                write_assets(config, inputs, manifest, output_dir)
                summary.withdrawn += write_indexes(config, inputs, manifest, output_dir)
                manifest.changed |= inputs.changed
                manifest.save()
                summary.timings.finishing = time.perf_counter() - finishing
            stopped = False
        finally:
            workers.close(stop=stopped)

    # report
    for unit in units:
        outputs = manifest.units.get(unit.name, {}).get("outputs", {})
        for fmt in unit.formats:
            record = outputs.get(fmt)
            if record and record["status"] in (HELD, WITHDRAWN):
                summary.held += 1
                what = "held back" if record["status"] == HELD else "not published"
                summary.problems.append(f"{unit.name}: {fmt} {what}: {record['reason']}")
    summary.seconds = time.perf_counter() - started
    return summary


def _targets(config: Config, manifest: Manifest, units: list[Unit]) -> set[str]:
    """Every file this build writes or owns, relative to the output folder."""
    targets = set(manifest.owned) | {MANIFEST_NAME} | set(asset_paths(config))
    targets |= {f"{cid}/{INDEX_NAME}" for cid in config.clinics}
    targets |= {unit.output_path(fmt) for unit in units for fmt in (*SUFFIX, *unit.formats)}
    return targets


def _clinics_by_source(units: list[Unit]) -> dict[Path, list[str]]:
    """Each handout planned, with the clinics it is built for."""
    clinics: dict[Path, list[str]] = {}
    for unit in units:
        clinics.setdefault(unit.source, []).append(unit.clinic)
    return clinics


def _claim(stale: list[Unit], manifest: Manifest) -> None:
    """Before anything is built: forget that the outputs about to be rebuilt are
    current, and record that the build owns the files it may write, then save. A build
    killed after writing a file but before recording it then neither vouches for the
    new file nor loses track of it."""
    for unit in stale:
        outputs = manifest.units.get(unit.name, {}).get("outputs", {})
        for fmt in unit.formats:
            if outputs.pop(fmt, None) is not None:
                manifest.changed = True
            relative = unit.output_path(fmt)
            if relative not in manifest.owned:
                manifest.own(relative, {"unit": unit.name, "format": fmt, "percent": 0})
    manifest.save()


def _write(result: UnitResult, manifest: Manifest, output_dir: Path, summary: Summary) -> None:
    """Write what a worker rendered, take down what is no longer published, record it."""
    _count_time(result, summary.timings)
    unit = result.unit
    record = manifest.units.setdefault(unit.name, {"outputs": {}})
    manifest.changed = True
    if result.error:  # tried again next time; the files it owns stay owned
        _fail(summary, result.error, result.exit_code)
        return
    summary.built += 1
    record["entry"] = result.entry
    for fmt in unit.formats:
        status, reason = result.decisions[fmt]
        relative = unit.output_path(fmt)
        if status == PUBLISHED:
            write_if_changed(output_dir / relative, result.files[fmt])
            manifest.own(relative, {"unit": unit.name, "format": fmt, "percent": result.percent})
        elif status == WITHDRAWN and relative in manifest.owned:
            summary.withdrawn += delete_owned(output_dir, relative)
            manifest.disown(relative)
        record["outputs"][fmt] = {"digest": unit.digests[fmt], "status": status, "reason": reason}


def _withdraw_gone(config: Config, manifest: Manifest, output_dir: Path) -> int:
    """Take down every file of the handouts, locales and clinics that no longer exist,
    and the bilingual editions a clinic no longer prints."""
    removed = 0
    names = set(gone(config, manifest))
    for relative, record in list(manifest.owned.items()):
        if record.get("unit") in names or _unwanted_bilingual(config, record):
            removed += delete_owned(output_dir, relative)
            manifest.disown(relative)
    for name in names:
        if manifest.units.pop(name, None) is not None:
            manifest.changed = True
    for name, record in manifest.units.items():
        for fmt in [f for f in record.get("outputs", {}) if _unwanted_bilingual(config, {"unit": name, "format": f})]:
            del record["outputs"][fmt]
            manifest.changed = True
    return removed


def _unwanted_bilingual(config: Config, record: dict) -> bool:
    """Whether ``record`` is a bilingual edition its clinic no longer sets."""
    if pair_of(record.get("format")) is None:
        return False
    parts = unit_parts(record.get("unit"))
    clinic = config.clinics.get(parts[0]) if parts else None
    return clinic is None or record["format"] not in clinic.bilingual_formats(parts[1])


def _fail(summary: Summary, message: str, exit_code: int) -> None:
    summary.failed += 1
    summary.problems.append(message)
    summary.exit_code = max(summary.exit_code, exit_code)


def _count_time(result: UnitResult, timings: Timings) -> None:
    if result.worker:
        timings.peak_memory[result.worker] = max(timings.peak_memory.get(result.worker, 0), result.peak_memory)
    for fmt, seconds in result.format_seconds.items():
        count, total = timings.outputs.get(fmt, (0, 0.0))
        timings.outputs[fmt] = (count + 1, total + seconds)
    if result.seconds > timings.slowest[1]:
        timings.slowest = (result.unit.name, result.seconds)
