"""How long the readability check takes on many handouts.

Makes N handouts in a temporary folder from the shipped ones (sections shuffled so no
two are the same text; each with its Marathi catalog when one ships), then times the
stages of ``python -m pipeline check``: loading and measuring with all checks, and
writing the JSON and HTML reports.

    .venv/bin/python bench/bench_readability.py          # N = 1000
    .venv/bin/python bench/bench_readability.py 200
    .venv/bin/python bench/bench_readability.py 1000 0   # one process per core (check --jobs 0)
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.catalogs import catalog_path  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.readability.measure import check_handouts  # noqa: E402
from pipeline.readability.report import write_reports  # noqa: E402
from pipeline.sources import article_paths  # noqa: E402

SECTION = re.compile(r"(?m)^(?=## )")


def make_corpus(config, folder: Path, count: int) -> None:
    """``count`` handouts from the shipped ones; sections after the first are shuffled."""
    sources = article_paths(config.source_dir)
    if not sources:
        raise SystemExit(f"no handouts in {config.source_dir} to copy")
    (folder / "source").mkdir(parents=True)
    for child in config.source_dir.iterdir():  # images and anything else handouts refer to
        if child.is_dir():
            shutil.copytree(child, folder / "source" / child.name)
    for index in range(count):
        original = sources[index % len(sources)]
        text = original.read_text(encoding="utf-8")
        _, front, body = text.split("---", 2)
        parts = SECTION.split(body)
        head, sections = parts[0], parts[1:]
        first, rest = sections[:1], sections[1:]
        random.Random(index).shuffle(rest)
        slug = f"{original.stem}-{index:04d}"
        (folder / "source" / f"{slug}.md").write_text(f"---{front}---{head}{''.join(first + rest)}", encoding="utf-8")
        for locale in config.locales:
            catalog = catalog_path(config.locales_dir, locale, original.stem)
            if locale != config.source_language and catalog.exists():
                target = catalog_path(folder / "locales", locale, slug)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(catalog, target)


def _cpu() -> float:
    """Processor time of this process and of finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def main(count: int = 1000, jobs: int = 1) -> None:
    load = os.getloadavg()
    config = load_config(ROOT / "clinics.yaml")
    with tempfile.TemporaryDirectory(prefix="readability-bench-") as temp:
        folder = Path(temp)
        make_corpus(config, folder, count)
        config = dataclasses.replace(config, root=folder, source_dir=folder / "source",
                                     locales_dir=folder / "locales", output_dir=folder / "outputs")
        clock = [(time.perf_counter(), _cpu())]
        results = check_handouts(config, None, list(config.locales), jobs)
        clock.append((time.perf_counter(), _cpu()))
        write_reports(results, config.output_dir / "reports")
        clock.append((time.perf_counter(), _cpu()))
        reports = config.output_dir / "reports"
        sizes = {p.name: p.stat().st_size for p in reports.iterdir() if p.is_file()}
        pages = [p.stat().st_size for p in (reports / "readability").glob("*.html")]
    words = sum(r.metrics.get("words", 0) for r in results.reports)
    flags = sum(len(r.flags) for r in results.reports)
    handouts = len({r.slug for r in results.reports} | {s.slug for s in results.skipped})
    print(f"cores: {os.cpu_count()}, jobs: {jobs}; handouts: {handouts}, readings measured: {len(results.reports)}, "
          f"skipped: {len(results.skipped)}, words: {words:,}, flags: {flags:,}")
    print(f"load average before: {load[0]:.1f} (other work on the machine slows the wall-clock figures)")
    print("                                wall      CPU (all processes)")
    for name, (start, end) in zip(("load, measure and check", "JSON and HTML reports"),
                                  zip(clock, clock[1:])):
        print(f"{name:<29} {end[0] - start[0]:7.2f} s {end[1] - start[1]:7.2f} s")
    wall = clock[-1][0] - clock[0][0]
    print(f"{'total':<29} {wall:7.2f} s             ({1000 * wall / max(1, handouts):.1f} ms a handout)")
    print("report sizes: " + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sorted(sizes.items()))
          + f"; {len(pages)} reading pages, {sum(pages) / 1e6:.1f} MB in all, the largest "
          f"{max(pages, default=0) / 1e3:.0f} kB")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="How long the readability check takes on many handouts.")
    parser.add_argument("count", nargs="?", type=int, default=1000, help="handouts to make (default 1000)")
    parser.add_argument("jobs", nargs="?", type=int, default=1, help="check --jobs (0: one process per core)")
    arguments = parser.parse_args()
    main(arguments.count, arguments.jobs)
