"""The same inputs give the same bytes: a clinic can tell whether a handout really
changed. No wall-clock time, folder or machine detail reaches a web page or PDF;
the only date inside is the handout's review date."""

from __future__ import annotations

import datetime as dt
import re

import pikepdf

from conftest import run_pipeline as pipeline
from conftest import small_project, snapshot

SLUGS = {"first-handout": "The first handout", "second-handout": "The second handout"}


def make_project(folder):
    return small_project(folder, SLUGS)

REVIEWED = "2026-01-05"  # the review date of tests/hostile/handout.md


def test_two_builds_give_the_same_bytes(tmp_path):
    first = make_project(tmp_path / "first")
    result = pipeline(first, "build", "-q")
    assert result.returncode == 0, result.stderr
    built = snapshot(first / "outputs")
    assert any(name.endswith(".pdf") for name in built) and any(name.endswith(".html") for name in built)

    # The first build took seconds: a clock read anywhere gives another time now.
    result = pipeline(first, "build", "-q", "--force")
    assert result.returncode == 0, result.stderr
    assert snapshot(first / "outputs") == built

    # another folder, another time zone, SOURCE_DATE_EPOCH set: still the same bytes
    second = make_project(tmp_path / "elsewhere" / "second")
    result = pipeline(second, "build", "-q", env={"SOURCE_DATE_EPOCH": "1767225600", "TZ": "Asia/Kolkata"})
    assert result.returncode == 0, result.stderr
    rebuilt = snapshot(second / "outputs")
    assert rebuilt.keys() == built.keys()
    assert [name for name in built if built[name] != rebuilt[name]] == []


def test_the_only_date_inside_is_the_review_date(tmp_path):
    project = make_project(tmp_path)
    assert pipeline(project, "build", "-q", "--format", "pdf", "--clinic", "springfield").returncode == 0
    today = dt.date.today()
    for path in (project / "outputs").rglob("*.pdf"):
        with pikepdf.open(path) as pdf:
            for key in ("/CreationDate", "/ModDate"):
                if key in pdf.docinfo:
                    assert str(pdf.docinfo[key]).startswith("D:" + REVIEWED.replace("-", "")), (path, key)
            with pdf.open_metadata() as xmp:
                text = str(xmp)
        for found in re.findall(r"\d{4}-\d{2}-\d{2}", text):
            assert found == REVIEWED, (path, found)
        assert today.strftime("D:%Y%m%d") not in path.read_bytes().decode("latin-1") or REVIEWED == today.isoformat()
