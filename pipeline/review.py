"""Review dates that bind: is a handout's last clinical review still current for a clinic?

A clinic says in ``clinics.yaml`` how long a review lasts (``review: {valid_months,
warn_days, when_overdue}``, ``model.ReviewPolicy``). ``review_status`` is a pure
function of the handout's review date, the policy and today's date: current, due
soon (inside the warning window) or overdue, with the due date and a message that
names the ``reviewed:`` line. The publishing decision reads it (an overdue handout's
PDFs are not printed where the clinic holds them), the page shows the due date,
``check`` and ``build`` warn.

"Today" is ``SOURCE_DATE_EPOCH`` when it is set (a build reproduced for a given day,
and tests), otherwise the real date, in UTC.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError
from pipeline.files import display_path
from pipeline.model import ReviewPolicy
from pipeline.sources import article_paths, read_handout_bytes

CURRENT = "current"
DUE_SOON = "due soon"
OVERDUE = "overdue"
HOLD = "hold"
WARN = "warn"


def today() -> dt.date:
    """The date reviews are measured against: ``SOURCE_DATE_EPOCH`` (seconds since
    1970, UTC) when set, else today's date in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
        except (ValueError, OverflowError, OSError):
            raise InputError(None, None, f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds",
                             "set it to a whole number of seconds since 1970 (date +%s), or unset it") from None
    return dt.datetime.now(dt.timezone.utc).date()


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months; the 31st becomes the month's last day
    (2026-08-31 + 6 months = 2027-02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ReviewStatus:
    """Where a handout's clinical review stands for one clinic on one day."""

    state: str  # current | due soon | overdue
    reviewed: dt.date
    due: dt.date  # the day the review runs out: the next review is due by then
    today: dt.date
    when_overdue: str  # hold | warn: what the clinic does past the due date
    where: str = ""  # source/x.md:4, the 'reviewed:' line

    @property
    def days_left(self) -> int:
        """Days until the due date (negative once it has passed)."""
        return (self.due - self.today).days

    @property
    def holds_print(self) -> bool:
        """The clinic does not print this handout until it is reviewed again."""
        return self.state == OVERDUE and self.when_overdue == HOLD

    def reason(self) -> str:
        """Why a printed handout is held back (for the publishing decision)."""
        return f"review overdue since {self.due.isoformat()} ({self.where})" if self.where \
            else f"review overdue since {self.due.isoformat()}"

    def message(self) -> str:
        """One line for ``check`` and ``build``, without the place."""
        if self.state == OVERDUE:
            days = -self.days_left
            then = "PDFs held back until it is reviewed again" if self.holds_print else "still published (review.when_overdue: warn)"
            ago = "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"
            return (f"clinical review overdue since {self.due.isoformat()} ({ago}; "
                    f"last reviewed {self.reviewed.isoformat()}): {then}")
        if self.state == DUE_SOON:
            days = self.days_left
            return (f"clinical review due on {self.due.isoformat()} ({days} day{'s' if days != 1 else ''} left; "
                    f"last reviewed {self.reviewed.isoformat()})")
        return f"clinical review current until {self.due.isoformat()}"


def review_status(reviewed: dt.date, policy: ReviewPolicy, on: dt.date, where: str = "") -> ReviewStatus:
    """The state of a review made on ``reviewed`` under ``policy``, on the day ``on``.

    The review lasts ``valid_months`` from ``reviewed``: it is current until the due
    date, due soon from ``warn_days`` before it, overdue from the due date on (a review
    of 1 November 2026 that lasts 12 months covers up to 31 October 2027)."""
    due = add_months(reviewed, policy.valid_months)
    days_left = (due - on).days
    state = OVERDUE if days_left <= 0 else DUE_SOON if days_left <= policy.warn_days else CURRENT
    return ReviewStatus(state, reviewed, due, on, policy.when_overdue, where)


def article_review(article, policy: ReviewPolicy, on: dt.date | None = None, where: str = "") -> ReviewStatus:
    """``review_status`` of a loaded handout (``model.Article``); ``where`` names its
    'reviewed:' line as people see it (source/x.md:4)."""
    return review_status(article.reviewed, policy, on or today(), where)


# The 'reviewed:' line of a handout's front matter, read without parsing the handout,
# for the build's digests (planning never parses Markdown); load_article validates it.
_FRONT_MATTER_END = re.compile(rb"^(?:---|\.\.\.)[ \t]*$", re.M)
_REVIEWED_LINE = re.compile(rb"""^reviewed[ \t]*:[ \t]*(["']?)(\d{4})-(\d{2})-(\d{2})\1[ \t]*(?:#.*)?$""", re.M)


def reviewed_in(source: bytes) -> tuple[dt.date, int] | None:
    """The date on the 'reviewed:' line of ``source``'s front matter and that line's
    number, or None."""
    source = source.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    if not source.startswith(b"---"):
        return None
    end = _FRONT_MATTER_END.search(source, 3)
    match = _REVIEWED_LINE.search(source, 0, end.start() if end else len(source))
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()[1:])), source.count(b"\n", 0, match.start()) + 1
    except ValueError:
        return None


def digest_part(source: bytes, policy: ReviewPolicy, on: dt.date) -> str:
    """What an output's digest must know of the review: its state today. A handout
    that crosses its warning or due date is rebuilt (and held, where the clinic says so)."""
    found = reviewed_in(source)
    return review_status(found[0], policy, on).state if found else "unknown"


def review_warnings(config, handouts: Mapping[Path, Iterable[str]], on: dt.date | None = None) -> list[str]:
    """One warning per handout whose review is due soon or overdue for some of the
    clinics that publish it (``handouts``: path -> clinic ids), at the 'reviewed:' line:
    ``source/x.md:4: warning: clinical review due on 2027-11-01 (45 days left; …) [pune]``."""
    on = on or today()
    warnings = []
    for path, clinic_ids in handouts.items():
        try:  # never a pipe or a link out of source/ (read_handout_bytes looks first)
            found = reviewed_in(read_handout_bytes(path))
        except (InputError, OSError):
            continue  # the build and check report a handout they cannot read
        if found is None:
            continue  # loading the handout reports a missing or bad date
        reviewed, line = found
        by_message: dict[str, list[str]] = {}
        for cid in sorted(set(clinic_ids)):
            status = review_status(reviewed, config.clinics[cid].review, on)
            if status.state != CURRENT:
                by_message.setdefault(status.message(), []).append(cid)
        where = f"{display_path(path, config.root)}:{line}"
        for message, clinics in by_message.items():
            warnings.append(f"{where}: warning: {message} [{', '.join(clinics)}]")
    return warnings


def handout_clinics(config, slugs=None) -> dict[Path, list[str]]:
    """Every handout (or those named in ``slugs``), with every clinic: each clinic
    publishes every handout."""
    return {path: list(config.clinics) for path in article_paths(config.source_dir)
            if not slugs or path.stem in slugs}
