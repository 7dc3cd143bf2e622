"""Review dates that bind: a clinic's review policy, the handout's review date and
today decide whether a handout is current, due soon or overdue; builds and checks
warn, and past the due date the clinic's choice applies (warn, or hold the PDFs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import MINIMAL_HANDOUT, ROOT, run_cli, small_project
from pipeline.build import build
from pipeline.config import load_config
from pipeline.errors import InputError
from pipeline.model import ReviewPolicy, Reviewer
from pipeline.review import CURRENT, DUE_SOON, OVERDUE, add_months, review_status, reviewed_in, today
from pipeline.sources import load_article

REVIEWED = dt.date(2026, 1, 5)  # the small project's handout (tests/hostile/handout.md)
DUE = dt.date(2027, 1, 5)  # 12 months later


def epoch(day: dt.date) -> str:
    return str(int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc).timestamp()))


@pytest.mark.parametrize("on, state", [
    (DUE - dt.timedelta(days=61), CURRENT),  # the day before the warning window
    (DUE - dt.timedelta(days=60), DUE_SOON),  # the window opens 60 days before
    (DUE - dt.timedelta(days=1), DUE_SOON),
    (DUE, OVERDUE),  # twelve months have passed
    (DUE + dt.timedelta(days=200), OVERDUE),
])
def test_a_review_is_current_then_due_soon_then_overdue(on, state):
    status = review_status(REVIEWED, ReviewPolicy(), on, "source/x.md:4")
    assert (status.state, status.due) == (state, DUE)
    assert status.holds_print == (state == OVERDUE)  # hold is the default
    assert not review_status(REVIEWED, ReviewPolicy(when_overdue="warn"), on).holds_print


def test_the_messages_give_the_due_date_and_the_days():
    soon = review_status(REVIEWED, ReviewPolicy(), DUE - dt.timedelta(days=45))
    assert soon.message() == "clinical review due on 2027-01-05 (45 days left; last reviewed 2026-01-05)"
    late = review_status(REVIEWED, ReviewPolicy(), DUE + dt.timedelta(days=3), "source/x.md:4")
    assert late.reason() == "review overdue since 2027-01-05 (source/x.md:4)"
    assert "3 days ago" in late.message() and "held back" in late.message()


def test_months_are_calendar_months():
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2028, 2, 29), 12) == dt.date(2029, 2, 28)
    assert add_months(dt.date(2026, 11, 1), 14) == dt.date(2028, 1, 1)


def test_today_is_source_date_epoch_when_set(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(dt.date(2030, 5, 17)))
    assert today() == dt.date(2030, 5, 17)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        today()


def test_the_planner_reads_the_review_date_the_handout_reader_reads(tmp_path):
    for path in sorted((ROOT / "source").glob("*.md")):
        article = load_article(path)
        assert reviewed_in(path.read_bytes()) == (article.reviewed, article.reviewed_line)
    quoted = MINIMAL_HANDOUT.replace("reviewed: 2026-01-05", "reviewed: '2026-01-05'  # by Dr A")
    assert reviewed_in(quoted.encode()) == (dt.date(2026, 1, 5), 4)
    assert reviewed_in(b"no front matter\nreviewed: 2026-01-05\n") is None


def write_handout(tmp_path: Path, front: str) -> Path:
    path = tmp_path / "x.md"
    path.write_text(MINIMAL_HANDOUT.replace("reviewed: 2026-01-05", front), encoding="utf-8")
    return path


@pytest.mark.parametrize("front, reviewer", [
    ("reviewed: 2026-01-05\nreviewed_by: consultant psychiatrist", Reviewer("consultant psychiatrist")),
    ("reviewed: 2026-01-05\nreviewed_by: {role: consultant psychiatrist, name: Dr A. Rao}",
     Reviewer("consultant psychiatrist", "Dr A. Rao")),
    ("reviewed: 2026-01-05\nreviewed_by:\n  role: pharmacist", Reviewer("pharmacist")),
    ("reviewed: 2026-01-05", None),
])
def test_who_reviewed_a_handout_is_recorded(tmp_path, front, reviewer):
    article = load_article(write_handout(tmp_path, front))
    assert (article.reviewed_by, article.reviewed_line) == (reviewer, 4)


@pytest.mark.parametrize("front, line, words", [
    ("reviewed: 2026-01-05\nreviewed_by:", 5, "who signed off"),
    ("reviewed: 2026-01-05\nreviewed_by: [a, b]", 5, "who signed off"),
    ("reviewed: 2026-01-05\nreviewed_by: {name: Dr A. Rao}", 5, "no role"),
    ("reviewed: 2026-01-05\nreviewed_by:\n  role: nurse\n  date: 2026-01-05", 7, "unknown key 'date'"),
    ("reviewed: 2026-01-05\nreviewed_by:\n  role: [nurse]", 6, "text on one line"),
])
def test_a_bad_reviewed_by_is_an_error_at_its_line(tmp_path, front, line, words):
    with pytest.raises(InputError) as caught:
        load_article(write_handout(tmp_path, front))
    assert caught.value.line == line and words in caught.value.message, caught.value.format()


def config_with(tmp_path: Path, review: str) -> Path:
    text = (ROOT / "clinics.yaml").read_text(encoding="utf-8")
    marker = "  springfield:\n"
    assert marker in text
    path = tmp_path / "clinics.yaml"
    path.write_text(text.replace(marker, marker + review), encoding="utf-8")
    return path


def test_a_clinic_sets_its_review_policy(tmp_path):
    default = load_config(ROOT / "clinics.yaml")
    assert default.clinics["pune"].review == ReviewPolicy(12, 60, "hold")
    config = load_config(config_with(tmp_path, "    review: {valid_months: 24, warn_days: 30, when_overdue: warn}\n"))
    assert config.clinics["springfield"].review == ReviewPolicy(24, 30, "warn")


@pytest.mark.parametrize("review, words", [
    ("    review: {valid_months: 0}\n", "from 1 to 120"),
    ("    review: {warn_days: 6.5}\n", "whole number"),
    ("    review: {when_overdue: print}\n", "hold, warn"),
    ("    review: {valid_month: 12}\n", "did you mean 'valid_months'"),
])
def test_a_bad_review_policy_is_an_error_at_its_line(tmp_path, review, words):
    path = config_with(tmp_path, review)
    line = path.read_text(encoding="utf-8").splitlines().index(review.rstrip("\n")) + 1
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert caught.value.line == line and words in caught.value.message + (caught.value.hint or ""), \
        caught.value.format()


# Builds on each side of the dates: the small project's handout, Springfield's web page and PDF.

SLUG = "a-handout"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return small_project(tmp_path, {SLUG: "A handout about chairs"})


def build_on(project: Path, day: dt.date, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(day))
    return build(load_config(project / "clinics.yaml"), clinics=["springfield"], locales=["en_US"],
                 formats=("html", "pdf"), jobs=1)


def output(project: Path, suffix: str) -> Path:
    return project / "outputs" / "springfield" / "en_US" / f"{SLUG}{suffix}"


def set_policy(project: Path, when_overdue: str) -> None:
    path = project / "clinics.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  springfield:\n", f"  springfield:\n    review: {{when_overdue: {when_overdue}}}\n"),
                    encoding="utf-8")


def test_a_handout_is_warned_about_then_held_as_its_review_runs_out(project, monkeypatch):
    where = f"source/{SLUG}.md:4"
    # The day before the warning window: nothing to say, everything published.
    summary = build_on(project, DUE - dt.timedelta(days=61), monkeypatch)
    assert (summary.warnings, summary.problems, summary.built) == ([], [], 1)
    page = output(project, ".html").read_text(encoding="utf-8")
    assert 'Next review due: <time datetime="2027-01-05">January 5, 2027</time>' in page
    assert "past its date" not in page and output(project, ".pdf").exists()

    # Inside the window: a warning at the 'reviewed:' line, with the due date and the days left.
    summary = build_on(project, DUE - dt.timedelta(days=30), monkeypatch)
    assert summary.warnings == [f"{where}: warning: clinical review due on 2027-01-05 (30 days left; "
                                "last reviewed 2026-01-05) [springfield]"]
    assert summary.problems == [] and output(project, ".pdf").exists()

    # Past it, where the clinic holds overdue handouts (the default): the PDF is taken
    # down at once (no rebuild forced: the review's state is part of the digest), the
    # summary says why, and the page gives the due date and says the review is late.
    summary = build_on(project, DUE + dt.timedelta(days=2), monkeypatch)
    assert summary.built == 1 and summary.withdrawn == 1 and not output(project, ".pdf").exists()
    assert summary.problems == [f"springfield/en_US/{SLUG}: pdf not published: review overdue since 2027-01-05 "
                                f"({where}), held until it is reviewed again, earlier PDF taken down"]
    assert "PDFs held back" in summary.warnings[0]
    page = output(project, ".html").read_text(encoding="utf-8")
    assert '<time datetime="2027-01-05">January 5, 2027</time>' in page and "past its date" in page
    assert f"{SLUG}.pdf" not in page  # no link to a PDF that is not there
    assert f"{SLUG}.pdf" not in (project / "outputs" / "springfield" / "index.html").read_text(encoding="utf-8")

    # The clinic chooses to warn: published again, and warned about.
    set_policy(project, "warn")
    summary = build_on(project, DUE + dt.timedelta(days=2), monkeypatch)
    assert summary.problems == [] and output(project, ".pdf").exists()
    assert summary.warnings == [f"{where}: warning: clinical review overdue since 2027-01-05 (2 days ago; "
                                "last reviewed 2026-01-05): still published (review.when_overdue: warn) [springfield]"]

    # A new review (the date moved on) makes it current again.
    source = project / "source" / f"{SLUG}.md"
    source.write_text(source.read_text(encoding="utf-8").replace("reviewed: 2026-01-05", "reviewed: 2026-11-02"),
                      encoding="utf-8")
    summary = build_on(project, DUE + dt.timedelta(days=2), monkeypatch)
    assert summary.warnings == [] and summary.problems == [] and output(project, ".pdf").exists()


def test_check_warns_at_the_reviewed_line(project, capsys):
    assert run_cli(project, "check", "--no-report", "--locale", "en",
                   env={"SOURCE_DATE_EPOCH": epoch(DUE - dt.timedelta(days=10))}) == 0
    err = capsys.readouterr().err
    assert f"source/{SLUG}.md:4: warning: clinical review due on 2027-01-05 (10 days left" in err
    assert "[pune, springfield]" in err
