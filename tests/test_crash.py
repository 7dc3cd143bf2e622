"""Crashes lose nothing: a build killed at any moment leaves every output either as
it was or as the finished build makes it, never half-written; the next build
cleans up and finishes the job; two builds at once do not corrupt each other.

A small project (three handouts, two clinics, English and Marathi, every format) is
built in two versions, A and B, to know what each output must be. Then builds from
one version to the other are killed with SIGKILL after a random delay, sometimes the
whole process group (power cut, OOM killer), sometimes only the main process (its
workers are orphaned), and every file under outputs/ is read back.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import html5lib
import pikepdf
import pytest
from filelock import FileLock

from conftest import ROOT, small_project, snapshot

SLUGS = ("first-handout", "second-handout", "third-handout")
TITLES = ("The first handout", "The second handout", "The third handout")
BUILD = ("build", "--jobs", "2", "-q")
RUNS = 6
TEMPORARY = re.compile(r"^\..+\.tmp$")
CHANGED = {  # version B: every handout's paragraph and its translation change
    "A plain paragraph to translate.": "A plain paragraph, changed for version B.",
    "भाषांतर करण्यासाठी एक साधा परिच्छेद.": "आवृत्ती ब साठी बदललेला एक साधा परिच्छेद.",
}


def make_project(folder: Path) -> Path:
    return small_project(folder, dict(zip(SLUGS, TITLES)))


def set_version(project: Path, version: str) -> None:
    """Switch the handouts and their catalogs to version A or B."""
    for slug in SLUGS:
        for path in (project / "source" / f"{slug}.md", project / "locales" / "mr" / "LC_MESSAGES" / f"{slug}.po"):
            text = path.read_text(encoding="utf-8")
            for a, b in CHANGED.items():
                text = text.replace(b, a) if version == "A" else text.replace(a, b)
            path.write_text(text, encoding="utf-8")


def pipeline(project: Path, *args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=timeout)


def start(project: Path, *args: str, output=subprocess.DEVNULL) -> subprocess.Popen:
    """A build in the background. Its output goes nowhere unless asked for: orphaned
    workers would keep a pipe open after the build is killed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=project, env=env,
                            stdout=output, stderr=output, text=True, start_new_session=True)


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stop(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def broken_outputs(outputs: Path) -> list[str]:
    """Outputs that are not whole: a page that does not parse or end, a PDF that does
    not open, a manifest that is not JSON."""
    problems = []
    for path in sorted(outputs.rglob("*")):
        if not path.is_file() or TEMPORARY.match(path.name) or path.name == ".build.lock":
            continue
        name = str(path.relative_to(outputs))
        data = path.read_bytes()
        if path.suffix == ".html":
            if not data.lstrip().lower().startswith(b"<!doctype html>") or not data.rstrip().endswith(b"</html>"):
                problems.append(f"{name}: truncated page")
            html5lib.parse(data)
        elif path.suffix == ".pdf":
            if not data.rstrip().endswith(b"%%EOF"):
                problems.append(f"{name}: truncated PDF")
            try:
                with pikepdf.open(path) as pdf:
                    if len(pdf.pages) < 1:
                        problems.append(f"{name}: no pages")
            except pikepdf.PdfError as err:
                problems.append(f"{name}: {err}")
        elif path.suffix == ".json":
            try:
                json.loads(data)
            except ValueError:
                problems.append(f"{name}: not JSON")
    return problems


def temporaries(outputs: Path) -> list[str]:
    return sorted(str(p.relative_to(outputs)) for p in outputs.rglob("*") if TEMPORARY.match(p.name))


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """The project, with what a finished build of each version writes."""
    project = make_project(tmp_path_factory.mktemp("crash"))
    outputs = project / "outputs"
    expected, seconds = {}, []
    for version in ("B", "A"):
        set_version(project, version)
        started = time.monotonic()
        result = pipeline(project, *BUILD, "--force")
        seconds.append(time.monotonic() - started)
        assert result.returncode == 0, result.stderr
        expected[version] = snapshot(outputs)
    assert expected["A"].keys() == expected["B"].keys()
    changed = [name for name in expected["A"] if expected["A"][name] != expected["B"][name]]
    assert len(changed) >= len(SLUGS) * 3, "the two versions must differ in most outputs"
    return project, expected, max(seconds)


def test_a_killed_build_leaves_every_output_whole(versions):
    project, expected, seconds = versions
    outputs = project / "outputs"
    seed = int(os.environ.get("CRASH_SEED", "20261130"))  # another seed: CRASH_SEED=n
    chance = random.Random(seed)
    version = "A"
    failures = []
    for run in range(RUNS):
        before = snapshot(outputs)
        version = "B" if version == "A" else "A"
        set_version(project, version)
        whole_group = run % 2 == 0
        delay = chance.uniform(0.05, seconds * 1.1)
        process = start(project, *BUILD)
        time.sleep(delay)
        workers = children(process.pid)
        if whole_group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.wait()
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)  # orphaned workers may finish what they were writing
        stop([pid for pid in workers if alive(pid)])
        time.sleep(0.2)
        where = f"run {run} (seed {seed}, {'group' if whole_group else 'main process'} killed after {delay:.2f}s)"
        failures += [f"{where}: {problem}" for problem in broken_outputs(outputs)]
        for name, data in snapshot(outputs).items():
            if data != before.get(name) and data != expected[version].get(name):
                failures.append(f"{where}: {name} is neither the previous output nor the new one")
    assert failures == []

    result = pipeline(project, *BUILD)
    assert result.returncode == 0, result.stderr
    assert broken_outputs(outputs) == []
    assert snapshot(outputs) == expected[version], "the build after the crashes did not finish the job"
    assert temporaries(outputs) == [], "a later build must remove what killed builds left behind"


def test_stale_temporary_files_are_removed_by_the_next_build(versions):
    project, _expected, _seconds = versions
    outputs = project / "outputs"
    planted = [outputs / "pune" / "mr" / ".first-handout.pdf.a1b2c3d4.tmp",
               outputs / "..build-manifest.json.zz99yy88.tmp", outputs / "assets" / ".handout.css.q1w2e3r4.tmp"]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a file")
    result = pipeline(project, *BUILD)
    assert result.returncode == 0, result.stderr
    assert temporaries(outputs) == []


def test_workers_stop_when_their_build_is_killed(versions):
    """Orphaned workers would wait forever for work, holding memory, and could write
    an old output after a newer build."""
    project, _expected, seconds = versions
    set_version(project, "B" if "changed for version B" not in (project / "source" / f"{SLUGS[0]}.md").read_text() else "A")
    process = start(project, *BUILD, "--force")
    workers = []
    deadline = time.monotonic() + seconds + 10
    while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        workers = children(process.pid)
    assert workers, "the build started no worker processes"
    process.kill()
    process.wait()
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    lingering = [pid for pid in workers if alive(pid)]
    stop(lingering)
    assert lingering == [], "workers outlived their build by more than 5 seconds"
    assert pipeline(project, *BUILD).returncode == 0


def test_a_second_build_waits_its_turn(versions):
    project, _expected, _seconds = versions
    outputs = project / "outputs"
    before = snapshot(outputs)
    with FileLock(str(outputs / ".build.lock")):
        result = pipeline(project, *BUILD, "--force", timeout=60)
    assert result.returncode == 2, result.stderr
    assert "another build is running" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(outputs) == before, "a build that could not start changed outputs"


def test_two_builds_at_once(versions):
    project, expected, _seconds = versions
    outputs = project / "outputs"
    version = "B" if "changed for version B" not in (project / "source" / f"{SLUGS[0]}.md").read_text() else "A"
    set_version(project, version)
    first = start(project, "build", "--jobs", "2", "--force", output=subprocess.PIPE)  # progress shows it runs
    line = first.stdout.readline()
    assert line, first.stderr.read()
    second = pipeline(project, *BUILD, "--force", timeout=120)
    first_out, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    assert second.returncode == 2, second.stdout + second.stderr
    assert "another build is running" in second.stderr and "Traceback" not in second.stderr
    assert broken_outputs(outputs) == []
    assert snapshot(outputs) == expected[version]
