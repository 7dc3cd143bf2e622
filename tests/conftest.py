"""Shared fixtures: a copy of the real project in a temporary folder, and one real
build of it that every test reading outputs shares (built once per test run, even
with several xdist workers)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
TMP = ROOT / "tests" / ".tmp"


def copy_project(target: Path) -> Path:
    """A working copy of the project's inputs (configuration, handouts, catalogs)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "clinics.yaml", target / "clinics.yaml")
    shutil.copytree(ROOT / "source", target / "source")
    if (ROOT / "locales").exists():
        shutil.copytree(ROOT / "locales", target / "locales")
    return target


def run_pipeline(project: Path, *args: str, check: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m pipeline`` in ``project`` as a user would."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=project, env=full_env,
                            capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"pipeline {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


CATALOG_FIXTURE = ROOT / "tests" / "fixtures" / "catalogs"


def catalog_project(tmp_path: Path) -> Path:
    """A copy of the small project the catalog tests edit (two handouts, one locale)."""
    return shutil.copytree(CATALOG_FIXTURE / "project", tmp_path / "project")


def run_cli(project: Path, *args: str, env: dict | None = None) -> int:
    """Run a command in this process (faster than a subprocess) with extra environment."""
    from pipeline import cli

    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        return cli.main([*args, "--config", str(project / "clinics.yaml"), "-q"])
    finally:
        os.environ.clear()
        os.environ.update(old)


def msgfmt_check(path: Path) -> None:
    """GNU msgfmt accepts the file, without a warning."""
    result = subprocess.run(["msgfmt", "--check", "-o", os.devnull, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def once_per_run(name: str, make) -> Path:
    """The folder tests/.tmp/<name>, filled by ``make(folder)`` once per test run and
    shared by the xdist workers of that run (a later run makes it afresh)."""
    TMP.mkdir(parents=True, exist_ok=True)
    folder = TMP / name
    marker = folder / ".run"
    with FileLock(str(TMP / f"{name}.lock")):
        run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"
        if not (marker.exists() and marker.read_text() == run_id):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            make(folder)
            marker.write_text(run_id)
    return folder


@pytest.fixture(scope="session")
def built() -> Path:
    """The real project built once into tests/.tmp/built, as ``make`` builds it: every
    output, then the readability report."""

    def make(folder: Path) -> None:
        copy_project(folder)
        run_pipeline(folder, "build", "-q", check=True)
        run_pipeline(folder, "check", "-q", check=True)

    return once_per_run("built", make)
