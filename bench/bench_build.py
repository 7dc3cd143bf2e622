"""How fast the pipeline builds, measured against WeasyPrint itself.

For each corpus size N, a synthetic project is made from the shipped handouts (N
handouts, each in English and Marathi, for the Pune clinic), and one run measures:

- the full build (``python -m pipeline build --force``, wall time from the command
  line, interpreter start-up included);
- the baseline: the same PDFs rendered by plain ``weasyprint.HTML(...).write_pdf()``
  calls one after another in one process: the renderer's own cost, the floor a
  single core cannot go below (the print HTML is made first, untimed);
- a rebuild where nothing changed;
- a rebuild after one handout was edited, and that handout's own render time;
- ``extract``, ``update`` and ``check`` over the whole corpus;
- peak memory of the largest build process (a worker) and of the baseline;
- the same full build on a Dask cluster on this machine (``--executor dask-local``,
  as many workers as the local pool, cluster start-up included), alternating with the
  local build, and whether its outputs are byte-identical to the local build's.

    make bench                              # N = 10, 100, 1000
    .venv/bin/python bench/bench_build.py --quick
    .venv/bin/python bench/bench_build.py --sizes 10,100 --full-up-to 100

See docs/benchmark.md for the method and the measured table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLINIC = "pune"
LOCALES = ("en", "mr")
EDIT_LINE = "\nOne more short sentence for the benchmark.\n"

# What the issue asks of the build (see docs/benchmark.md).
TARGET_RATIO = 0.65  # full build ÷ baseline, on 2 cores
TARGET_NOOP = 2.0  # seconds, 1,000 handouts × 2 locales
TARGET_EDIT_OVERHEAD = 3.0  # seconds beyond the edited handout's own render time
TARGET_GROWTH = 1.10  # T(1000) ÷ (10 × T(100))
TARGET_MEMORY = 500 * 2**20  # bytes per worker
TARGET_CLUSTER_OVERHEAD = 0.15  # dask-local ÷ local - 1, at N = 100

# Runs a command and reports its wall time, CPU time and the peak memory of its largest
# process (ru_maxrss of the children). It adopts the command's orphaned descendants
# (a forkserver and the workers it forked) and waits for them, so that their CPU time
# and memory count too.
MEASURE = """
import ctypes, json, os, resource, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
start = time.perf_counter()
with open(sys.argv[2], "wb") as out:
    code = subprocess.call(sys.argv[3:], stdout=out, stderr=subprocess.STDOUT)
seconds = time.perf_counter() - start
while True:
    try:
        os.waitpid(-1, 0)
    except ChildProcessError:
        break
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as handle:
    json.dump({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak": usage.ru_maxrss * 1024,
               "code": code}, handle)
"""

# Stand-in Marathi words for catalog entries that have no translation yet, so that
# Marathi pages are shaped and drawn as Devanagari (conjuncts, vowel signs, reph).
MARATHI_WORDS = (
    "उपचार नैराश्य डॉक्टरांशी औषध गोळ्या संपर्क सांगितल्याशिवाय ज्ञान स्वतःला मदत रुग्णालय आठवडा "
    "दिवस झोप व्यायाम कुटुंब मित्र प्रश्न उत्तर काळजी त्रास लक्षणे परिणाम सुरक्षित चुंबकीय मेंदू "
    "उपचारपद्धती सत्र वेळ बरे वाटणे आणि किंवा तुम्ही तुमच्या आम्ही हे ते एक खूप कमी जास्त सर्व वाचा "
    "विचारा करा होते आहे नाही पुढील पहिल्या शकता महत्त्वाचे प्रयत्न सामान्य दुष्परिणाम डोकेदुखी "
    "क्लिनिक फोन संध्याकाळी श्वास शांत आरोग्य मानसिक कार्यक्रम निर्णय स्पष्ट क्षण दृष्टी"
).split()
# Left as they are: placeholders, link targets, web and mail addresses, HTML, entities.
_KEEP = r"\{[a-z_]+\}|%\([a-z_]+\)s|\]\([^)]*\)|<[^>]*>|https?://\S+|\S+@\S+|&#?\w+;"
_WORD_OR_KEPT = re.compile(rf"(?P<keep>{_KEEP})|(?P<word>[A-Za-z]+(?:['’][A-Za-z]+)*)")


# ---------------------------------------------------------------- results


@dataclass
class Row:
    """Everything measured for one corpus size."""

    n: int
    units: int = 0  # handouts × locales
    pdfs: int = 0  # PDFs the full build wrote
    held: int = 0  # PDFs it held back
    full_scope: str = "all"  # "all" or "html" (the full build without PDFs)
    full: float | None = None
    baseline: float | None = None
    full_cpu: float | None = None  # CPU seconds of the build's processes, all cores together
    baseline_cpu: float | None = None  # CPU seconds of the timed WeasyPrint calls
    noop: float | None = None
    edit: float | None = None
    edit_render: float | None = None  # the edited handout's PDFs by plain WeasyPrint
    extract: float | None = None
    update: float | None = None
    check: float | None = None
    worker_peak: int | None = None  # bytes, as the build reports it
    process_peak: int | None = None  # bytes, largest process of the full build (getrusage)
    baseline_peak: int | None = None
    build_timings: str = ""
    cluster: float | None = None  # the full build on dask-local
    cluster_cpu: float | None = None
    cluster_identical: bool | None = None  # its outputs are the local build's, byte for byte
    cluster_timings: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def cluster_ratio(self) -> float | None:
        if self.cluster is None or self.full is None:
            return None
        return self.cluster / self.full

    @property
    def ratio(self) -> float | None:
        if self.full is None or self.baseline is None or self.full_scope != "all":
            return None
        return self.full / self.baseline

    @property
    def cpu_ratio(self) -> float | None:
        if self.full_cpu is None or self.baseline_cpu is None or self.full_scope != "all":
            return None
        return self.full_cpu / self.baseline_cpu


# ---------------------------------------------------------------- the synthetic corpus


def make_project(folder: Path, n: int) -> dict:
    """``n`` handouts copied round-robin from the shipped ones under new names, with
    their Marathi catalogs, for one clinic in English and Marathi. Returns facts
    about the corpus (how much of the Marathi text is a real translation)."""
    import polib
    import yaml

    shipped = sorted(p for p in (ROOT / "source").glob("*.md") if p.stem.lower() != "readme")
    folder.mkdir(parents=True)
    config = yaml.safe_load((ROOT / "clinics.yaml").read_text(encoding="utf-8"))
    clinic = config["clinics"][CLINIC]
    clinic["locales"] = list(LOCALES)
    _only_locales(clinic, set(config["locales"]) - set(LOCALES))
    clinic["publish_threshold"] = {"pdf": 0, "html": 0}  # Marathi PDFs render whatever the catalogs hold
    clinic.pop("bilingual", None)  # the baseline makes each language's PDFs, not the bilingual edition
    config["clinics"] = {CLINIC: clinic}
    config["locales"] = {code: config["locales"][code] for code in LOCALES}
    if isinstance(config.get("readability"), dict):  # targets only for the languages kept
        config["readability"] = {code: targets for code, targets in config["readability"].items() if code in LOCALES}
    (folder / "clinics.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                                         encoding="utf-8")
    shutil.copytree(ROOT / "source" / "images", folder / "source" / "images")
    locales = folder / "locales"
    glossary = ROOT / "locales" / "mr" / "glossary.yaml"
    (locales / "mr" / "LC_MESSAGES").mkdir(parents=True)
    if glossary.exists():
        shutil.copy(glossary, locales / "mr" / "glossary.yaml")

    facts = {"entries": 0, "translated": 0}
    catalogs = {}
    for domain in [p.stem for p in shipped] + ["ui"]:
        catalogs[domain] = _marathi_catalog(domain, facts, polib)
    if catalogs["ui"] is not None:
        catalogs["ui"].save(str(locales / "mr" / "LC_MESSAGES" / "ui.po"))
    for index in range(n):
        original = shipped[index % len(shipped)]
        slug = f"h{index + 1:04d}-{original.stem}"
        shutil.copy(original, folder / "source" / f"{slug}.md")
        catalog = catalogs[original.stem]
        if catalog is not None:
            catalog.metadata["Project-Id-Version"] = slug
            catalog.save(str(locales / "mr" / "LC_MESSAGES" / f"{slug}.po"))
    return facts


def _only_locales(value, dropped: set[str]) -> None:
    """Text given per language (a clinic's name, its crisis line) without the languages dropped."""
    if isinstance(value, dict):
        for key in [k for k in value if k in dropped]:
            del value[key]
        for item in value.values():
            _only_locales(item, dropped)


def _marathi_catalog(domain: str, facts: dict, polib):
    """The shipped Marathi catalog of ``domain`` (or its template), with every entry
    that has no translation yet given a stand-in of the same shape in Devanagari."""
    for path in (ROOT / "locales" / "mr" / "LC_MESSAGES" / f"{domain}.po", ROOT / "locales" / f"{domain}.pot"):
        if path.exists():
            catalog = polib.pofile(str(path), wrapwidth=0)
            break
    else:
        return None
    catalog.metadata["Language"] = "mr"
    for entry in catalog:
        if entry.obsolete:
            continue
        facts["entries"] += 1
        translated = any(entry.msgstr_plural.values()) if entry.msgid_plural else bool(entry.msgstr)
        if translated and "fuzzy" not in entry.flags:
            facts["translated"] += 1
            continue
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        if entry.msgid_plural:
            entry.msgstr_plural = {0: _stand_in(entry.msgid), 1: _stand_in(entry.msgid_plural)}
        else:
            text = _stand_in(entry.msgid)
            entry.msgstr = text if text != entry.msgid else ""
    return catalog


def _stand_in(text: str) -> str:
    """Each English word replaced by a Marathi word; markup, numbers and placeholders kept."""

    def replace(match: re.Match) -> str:
        if match.group("keep"):
            return match.group("keep")
        word = match.group("word")
        return MARATHI_WORDS[zlib.crc32(word.lower().encode()) % len(MARATHI_WORDS)]

    return _WORD_OR_KEPT.sub(replace, text)


# ---------------------------------------------------------------- running commands


def measure(command: list[str], cwd: Path, log: Path) -> dict:
    """Run ``command`` in ``cwd``; its output goes to ``log``. Returns seconds, the peak
    memory of its largest process, and the exit code."""
    result_file = log.with_suffix(".json")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", MEASURE, str(result_file), str(log), *command], cwd=cwd, env=env,
                   check=True)
    result = json.loads(result_file.read_text())
    result["output"] = log.read_text(encoding="utf-8", errors="replace")
    return result


def pipeline_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", *args]


def commands_available() -> set[str]:
    """The commands ``python -m pipeline --help`` lists."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    text = subprocess.run(pipeline_command("--help"), capture_output=True, text=True, env=env, cwd=ROOT).stdout
    return set(re.findall(r"^    (\S+)", text, re.M))


def outputs_digest(project: Path) -> dict[str, str]:
    """Every output file's SHA-256 (not the manifest or the lock)."""
    import hashlib

    outputs = project / "outputs"
    return {str(p.relative_to(outputs)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(outputs.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def pdfs_written(project: Path, slugs: set[str] | None = None) -> list[dict]:
    """The PDFs the build wrote: what the baseline renders again."""
    jobs = []
    for locale in LOCALES:
        folder = project / "outputs" / CLINIC / locale
        for path in sorted(folder.glob("*.pdf")):
            large = path.name.endswith(".large-print.pdf")
            slug = path.name.removesuffix(".large-print.pdf").removesuffix(".pdf")
            if slugs is None or slug in slugs:
                jobs.append({"locale": locale, "slug": slug, "large_print": large})
    return jobs


def baseline(project: Path, jobs: list[dict], scratch: Path, name: str) -> dict:
    """Render ``jobs`` with plain WeasyPrint calls in one process (see ``_baseline_worker``)."""
    jobs_file = scratch / f"{name}-jobs.json"
    jobs_file.write_text(json.dumps(jobs))
    result_file = scratch / f"{name}-result.json"
    run = measure([sys.executable, __file__, "--baseline-worker", str(project), str(jobs_file), str(result_file)],
                  project, scratch / f"{name}.log")
    if run["code"] != 0:
        raise RuntimeError(f"the baseline failed:\n{run['output']}")
    result = json.loads(result_file.read_text())
    result["peak"] = run["peak"]
    return result


def _baseline_worker(project: Path, jobs_file: Path, result_file: Path) -> None:
    """Plain WeasyPrint, one PDF after another: the same print HTML, stylesheets and
    PDF variant as the pipeline, none of its own work. Only the WeasyPrint calls are
    timed; making the HTML is not."""
    sys.path.insert(0, str(ROOT))
    from pipeline import render_pdf
    from pipeline.build.render import print_page
    from pipeline.build.units import Unit
    from pipeline.config import load_config
    from pipeline.render_html import STATIC_DIR
    from weasyprint import CSS, HTML

    config = load_config(project / "clinics.yaml")
    clinic = config.clinics[CLINIC]
    base_url = str(config.source_dir.resolve()) + "/"
    out = project / "baseline"
    out.mkdir(exist_ok=True)
    seconds = cpu = 0.0
    for job in json.loads(jobs_file.read_text()):
        locale = config.locales[job["locale"]]
        # the print page exactly as the build makes it for WeasyPrint
        html = print_page(config, Unit(CLINIC, locale.code, job["slug"], config.source_dir / f"{job['slug']}.md", {}))
        large = job["large_print"]
        page = render_pdf.page_css(clinic, locale, large)
        target = out / f"{locale.code}-{job['slug']}{'.large' if large else ''}.pdf"
        start, start_cpu = time.perf_counter(), time.process_time()
        stylesheets = [CSS(filename=str(STATIC_DIR / "handout.css")),  # as render_pdf has them
                       CSS(filename=str(render_pdf.PRINT_CSS))]
        if large and getattr(render_pdf, "LARGE_PRINT_CSS", None):
            stylesheets.append(CSS(filename=str(render_pdf.LARGE_PRINT_CSS)))
        stylesheets.append(CSS(string=page))
        HTML(string=html, base_url=base_url).write_pdf(target, stylesheets=stylesheets, pdf_variant="pdf/ua-1")
        seconds += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
    result_file.write_text(json.dumps({"seconds": seconds, "cpu": cpu, "pdfs": len(json.loads(jobs_file.read_text()))}))


# ---------------------------------------------------------------- one corpus size


def bench_size(n: int, *, jobs: int, full_pdfs: bool, noop_runs: int, repeat: int, commands: set[str],
               scratch: Path, say, cluster: bool = False) -> Row:
    row = Row(n, units=n * len(LOCALES))
    project = scratch / f"n{n}"
    facts = make_project(project, n)
    if facts["entries"] and facts["translated"] < facts["entries"]:
        row.notes.append(f"Marathi: {facts['translated']} of {facts['entries']} catalog entries of the shipped "
                         f"handouts are translated; the rest are stand-in Devanagari text of the same shape")
    logs = scratch / f"n{n}-logs"
    logs.mkdir()
    jobs_args = ("--jobs", str(jobs))

    # The full build, and the baseline: the same PDFs by plain WeasyPrint calls. On a
    # machine that is doing other work too, each is run ``repeat`` times, alternately,
    # and the fastest run of each counts.
    formats = () if full_pdfs else ("--format", "html")
    row.full_scope = "all" if full_pdfs else "html"
    for attempt in range(repeat):
        say(f"N={n}: full build{'' if full_pdfs else ' (web pages only)'} …")
        run = measure(pipeline_command("build", "--force", *jobs_args, *formats), project, logs / f"full{attempt}.log")
        _require(run, "full build")
        if row.full is None or run["seconds"] < row.full:
            row.full, row.full_cpu = run["seconds"], run["cpu"]
            row.build_timings = _timings_line(run["output"])
        row.process_peak = max(row.process_peak or 0, run["peak"])
        row.worker_peak = max(row.worker_peak or 0, _worker_peak(_timings_line(run["output"])) or 0) or None
        written = pdfs_written(project)
        row.pdfs = len(written)
        row.held = int(re.search(r"(\d+) held back", run["output"]).group(1))
        say(f"N={n}: full build {run['seconds']:.1f}s ({row.pdfs} PDFs)")
        if full_pdfs:
            say(f"N={n}: baseline, {len(written)} PDFs by plain WeasyPrint …")
            result = baseline(project, written, scratch, f"n{n}-baseline{attempt}")
            if row.baseline is None or result["seconds"] < row.baseline:
                row.baseline, row.baseline_cpu = result["seconds"], result["cpu"]
            row.baseline_peak = max(row.baseline_peak or 0, result["peak"])
            say(f"N={n}: baseline {result['seconds']:.1f}s")
        if cluster:
            local_outputs = outputs_digest(project)
            say(f"N={n}: full build on dask-local …")
            run = measure(pipeline_command("build", "--force", "--executor", "dask-local", *jobs_args, *formats),
                          project, logs / f"cluster{attempt}.log")
            _require(run, "full build on dask-local")
            if row.cluster is None or run["seconds"] < row.cluster:
                row.cluster, row.cluster_cpu = run["seconds"], run["cpu"]
                row.cluster_timings = _timings_line(run["output"])
            identical = outputs_digest(project) == local_outputs
            row.cluster_identical = identical if row.cluster_identical is None else row.cluster_identical and identical
            say(f"N={n}: dask-local {run['seconds']:.1f}s ({'byte-identical' if identical else 'DIFFERENT outputs'})")
    if row.held:
        row.notes.append(f"{row.held} PDF(s) held back by QA errors; the baseline renders only those written")
    if repeat > 1:
        row.notes.append(f"full build and baseline: fastest of {repeat} alternating runs")

    # Nothing changed.
    times = []
    for attempt in range(noop_runs):
        run = measure(pipeline_command("build", *jobs_args, *formats), project, logs / f"noop{attempt}.log")
        _require(run, "no-op build")
        if not run["output"].strip().splitlines()[-1].startswith("0 built"):
            raise RuntimeError(f"a rebuild with nothing changed built something:\n{run['output'][-2000:]}")
        times.append(run["seconds"])
    row.noop = statistics.median(times)
    say(f"N={n}: no-op rebuild {row.noop:.2f}s")

    # One handout edited: its English source changes, so both its locales rebuild.
    edited = sorted((project / "source").glob("*.md"), key=lambda p: p.stat().st_size)[-1]
    edited.write_text(edited.read_text(encoding="utf-8") + EDIT_LINE, encoding="utf-8")
    run = measure(pipeline_command("build", *jobs_args, *formats), project, logs / "edit.log")
    _require(run, "rebuild after one edit")
    built = int(re.search(r"^(\d+) built", run["output"], re.M).group(1))
    if built != len(LOCALES):
        raise RuntimeError(f"one edited handout rebuilt {built} units, not {len(LOCALES)}:\n{run['output'][-2000:]}")
    row.edit = run["seconds"]
    if full_pdfs:
        own = baseline(project, pdfs_written(project, {edited.stem}), scratch, f"n{n}-edit-baseline")
        row.edit_render = own["seconds"]
    say(f"N={n}: one edit {row.edit:.2f}s" + (f" (its own render {row.edit_render:.2f}s)" if row.edit_render else ""))

    # Extraction, update, readability check.
    for name, args, ok in (("extract", ("extract",), (0,)), ("update", ("update",), (0,)),
                           ("check", ("check",), (0, 1))):
        if name not in commands:
            row.notes.append(f"`{name}` is not a command of this pipeline yet; not measured")
            continue
        run = measure(pipeline_command(*args), project, logs / f"{name}.log")
        if run["code"] not in ok:
            row.notes.append(f"`{name}` exited {run['code']}: {run['output'].strip().splitlines()[-1:]}")
            continue
        setattr(row, name, run["seconds"])
        say(f"N={n}: {name} {run['seconds']:.2f}s")
    return row


def _require(run: dict, what: str) -> None:
    if run["code"] not in (0,):
        raise RuntimeError(f"{what} exited {run['code']}:\n{run['output'][-3000:]}")


def _timings_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("timings:")]
    return lines[-1] if lines else ""


def _worker_peak(timings: str) -> int | None:
    match = re.search(r"peak memory per worker (\d+) MB", timings)
    return int(match.group(1)) * 2**20 if match else None


# ---------------------------------------------------------------- report


def machine() -> dict:
    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                      if line.startswith("model name")), "")
    except OSError:
        pass
    memory = ""
    try:
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()[1].split()[1]
    except (OSError, IndexError):
        pass
    try:
        from importlib.metadata import version

        weasyprint = version("weasyprint")
    except Exception:
        weasyprint = "?"
    return {"cores": os.cpu_count(), "cpu": model or platform.processor(), "memory": memory,
            "python": platform.python_version(), "weasyprint": weasyprint, "system": platform.platform()}


def _s(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f} s"


def _mb(value: int | None) -> str:
    return "–" if value is None else f"{value / 2**20:.0f} MB"


def table(rows: list[Row]) -> str:
    """Two Markdown tables: the full build against the baseline, then the rest."""

    def markdown(head: list[str], body: list[list[str]]) -> list[str]:
        return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in body]

    def ratio(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    first = markdown(
        ["N handouts × locales", "PDFs", "full build", "baseline (plain WeasyPrint)", "build ÷ baseline",
         "CPU: build", "CPU: baseline", "CPU ratio"],
        [[f"{r.n:,} × {len(LOCALES)}", f"{r.pdfs:,}",
          _s(r.full) + ("" if r.full_scope == "all" else " (web pages only)"), _s(r.baseline), ratio(r.ratio),
          _s(r.full_cpu), _s(r.baseline_cpu), ratio(r.cpu_ratio)] for r in rows])
    second = markdown(
        ["N handouts × locales", "no-op rebuild", "one edit (its own render)", "extract", "update", "check",
         "peak memory per worker (largest build process)", "baseline peak memory"],
        [[f"{r.n:,} × {len(LOCALES)}", _s(r.noop, 2),
          _s(r.edit, 2) + (f" ({_s(r.edit_render, 2)})" if r.edit_render is not None else ""),
          _s(r.extract, 2), _s(r.update, 2), _s(r.check, 2),
          f"{_mb(r.worker_peak)} ({_mb(r.process_peak)})", _mb(r.baseline_peak)] for r in rows])
    third = markdown(
        ["N handouts × locales", "local pool", "dask-local (same workers)", "dask ÷ local", "CPU: local", "CPU: dask",
         "outputs"],
        [[f"{r.n:,} × {len(LOCALES)}", _s(r.full), _s(r.cluster), ratio(r.cluster_ratio), _s(r.full_cpu),
          _s(r.cluster_cpu), "byte-identical" if r.cluster_identical else "DIFFERENT"]
         for r in rows if r.cluster is not None])
    return "\n".join(first + [""] + second + ([""] + third if len(third) > 2 else []))


def verdicts(rows: list[Row]) -> list[str]:
    """The targets, each with what was measured and whether it is met."""
    out = []

    def line(ok: bool | None, text: str) -> None:
        out.append(f"{'PASS' if ok else ('FAIL' if ok is not None else 'n/a ')}  {text}")

    for r in rows:
        if r.ratio is not None:
            line(r.ratio <= TARGET_RATIO, f"N={r.n}: full build ÷ baseline = {r.full:.1f} ÷ {r.baseline:.1f} = "
                                          f"{r.ratio:.2f} (target ≤ {TARGET_RATIO}); CPU time ÷ baseline "
                                          f"{r.cpu_ratio:.2f}")
    by_n = {r.n: r for r in rows}
    for r in rows:
        if r.noop is not None:
            target = TARGET_NOOP * r.units / 2000
            if r.n == 1000:
                line(r.noop < TARGET_NOOP, f"N={r.n}: no-op rebuild {r.noop:.2f} s (target < {TARGET_NOOP} s)")
            else:
                out.append(f"      N={r.n}: no-op rebuild {r.noop:.2f} s ({target:.2f} s pro rata)")
    for r in rows:
        if r.edit is not None and r.edit_render is not None:
            extra = r.edit - r.edit_render
            line(extra < TARGET_EDIT_OVERHEAD, f"N={r.n}: one edit {r.edit:.2f} s = its render {r.edit_render:.2f} s "
                                               f"+ {extra:.2f} s (target: + < {TARGET_EDIT_OVERHEAD} s)")
        elif r.edit is not None:
            line(r.edit < TARGET_EDIT_OVERHEAD, f"N={r.n}: one edit (web pages only) {r.edit:.2f} s "
                                                f"(target < {TARGET_EDIT_OVERHEAD} s plus render time)")
    if 100 in by_n and 1000 in by_n:
        small, large = by_n[100], by_n[1000]
        for name in ("full", "baseline", "noop", "extract", "update", "check"):
            a, b = getattr(small, name), getattr(large, name)
            comparable = name != "full" or small.full_scope == large.full_scope
            if a and b and comparable:
                growth = b / (10 * a)
                label = {"full": "full build", "noop": "no-op rebuild"}.get(name, name)
                if name == "full":
                    line(growth <= TARGET_GROWTH, f"growth of the {label}: T(1000) ÷ (10 × T(100)) = "
                                                  f"{b:.1f} ÷ {10 * a:.1f} = {growth:.2f} (target ≤ {TARGET_GROWTH})")
                else:
                    out.append(f"      growth of {label}: T(1000) ÷ (10 × T(100)) = {growth:.2f}")
            elif name == "full" and a and b:
                line(None, "growth of the full build: the two sizes were not built alike")
    for r in rows:
        if r.cluster_ratio is not None:
            text = (f"N={r.n}: dask-local ÷ local pool = {r.cluster:.1f} ÷ {r.full:.1f} = {r.cluster_ratio:.2f}, "
                    f"overhead {100 * (r.cluster_ratio - 1):+.0f} % (target ≤ {100 * TARGET_CLUSTER_OVERHEAD:.0f} % "
                    f"at N=100); outputs {'byte-identical' if r.cluster_identical else 'DIFFERENT'}")
            if r.n == 100:
                line(r.cluster_ratio <= 1 + TARGET_CLUSTER_OVERHEAD and bool(r.cluster_identical), text)
            elif not r.cluster_identical:
                line(False, text)
            else:  # the cluster's start-up weighs more on a small corpus: the target is at N=100
                out.append(f"      {text}")
    peaks = [r.worker_peak or r.process_peak for r in rows if (r.worker_peak or r.process_peak)]
    if peaks:
        line(max(peaks) < TARGET_MEMORY, f"peak memory per worker {max(peaks) / 2**20:.0f} MB "
                                         f"(target < {TARGET_MEMORY / 2**20:.0f} MB)")
    return out


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000", help="corpus sizes N, comma-separated (default 10,100,1000)")
    parser.add_argument("--quick", action="store_true", help="a quick look: N=10 only, one no-op run")
    parser.add_argument("--full-up-to", type=int, default=1000, metavar="N",
                        help="build PDFs and measure the baseline up to this N; larger corpora are built as "
                             "web pages only (default 1000: everything)")
    parser.add_argument("--jobs", type=int, default=None, help="build workers (default: the pipeline's own default)")
    parser.add_argument("--noop-runs", type=int, default=3, help="no-op rebuilds to take the median of (default 3)")
    parser.add_argument("--repeat", type=int, default=None, metavar="K",
                        help="run the full build and the baseline K times each and keep the fastest "
                             "(default: 3 up to 10 handouts, 1 above)")
    parser.add_argument("--no-cluster", action="store_true",
                        help="skip the full build on dask-local (measured when Dask is installed)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic projects")
    parser.add_argument("--workdir", type=Path, default=None, help="where to make them (default: a temporary folder)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--baseline-worker", nargs=3, metavar=("PROJECT", "JOBS", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline_worker:
        _baseline_worker(*map(Path, args.baseline_worker))
        return 0

    sizes = [10] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    noop_runs = 1 if args.quick else max(1, args.noop_runs)
    jobs = args.jobs or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-build-", dir=args.workdir))
    started = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f}s] {text}", file=sys.stderr, flush=True)

    info = machine()
    cluster = not args.no_cluster and importlib.util.find_spec("distributed") is not None
    load_before = os.getloadavg()
    commands = commands_available()
    rows = []
    try:
        for n in sizes:
            repeat = args.repeat or (3 if n <= 10 and not args.quick else 1)
            rows.append(bench_size(n, jobs=jobs, full_pdfs=n <= args.full_up_to, noop_runs=noop_runs,
                                   repeat=repeat, commands=commands, scratch=scratch, say=say, cluster=cluster))
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            say(f"projects kept in {scratch}")
    load_after = os.getloadavg()

    print(f"Machine: {info['cores']} cores, {info['cpu']}, {info['memory']} memory; Python {info['python']}, "
          f"WeasyPrint {info['weasyprint']}; {jobs} build workers; "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; {dt.date.today()}")
    print()
    print(table(rows))
    print()
    for row in rows:
        if row.build_timings:
            print(f"N={row.n} build {row.build_timings}")
        if row.cluster_timings:
            print(f"N={row.n} dask-local build {row.cluster_timings}")
        for note in row.notes:
            print(f"N={row.n} note: {note}")
    print()
    for line in verdicts(rows):
        print(line)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "jobs": jobs, "load": [load_before, load_after],
                                         "rows": [asdict(r) | {"ratio": r.ratio, "cluster_ratio": r.cluster_ratio}
                                                  for r in rows]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
