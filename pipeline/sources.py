"""Read handouts: ``source/<slug>.md`` with a YAML front-matter block → ``Article``.

Errors name the file and line: a missing title, a bad date, an image without alt
text, a heading level the template already uses. Handouts are plain Markdown:
raw HTML, links that run code, images from anywhere but ``source/images`` and
blocks too long or too nested to read are refused here, where the editor can fix
them (the renderer would strip them anyway; see ``pipeline.security``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pipeline.config import check_targets, load_yaml_with_lines, utf8_text
from pipeline.errors import InputError, shown
from pipeline import security
from pipeline.files import read_project_file
from pipeline.markup import find_blocks
from pipeline.model import Article, Block, Reviewer
from pipeline.readability.targets import ALL_TARGETS
from pipeline.variables import placeholder_problems

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
# Names the outputs already use: outputs/<clinic>/index.html, outputs/assets/,
# outputs/reports/, and the interface catalog locales/<lang>/LC_MESSAGES/ui.po.
RESERVED_SLUGS = {"ui", "index", "assets", "reports"}
MAX_SOURCE_BYTES = 1_000_000
FRONT_MATTER_KEYS = {"title", "summary", "reviewed", "reviewed_by", "sources", "readability"}
# <!-- note: text for translators -->  and  <!-- context: msgctxt -->, alone on a line,
# apply to the next block.
EDITOR_COMMENT = re.compile(r"^\s*<!--\s*(?P<kind>note|context)\s*:\s*(?P<text>.*?)\s*-->\s*$", re.I)
IMAGE_WITHOUT_ALT = re.compile(r"!\[\s*\]\(")
H1_LINE = re.compile(r"^#\s|^#$")
SETEXT_H1 = re.compile(r"^=+\s*$")


def article_paths(source_dir: Path) -> list[Path]:
    """The handouts in ``source_dir``, sorted by slug (README files are not handouts).

    Everything named ``*.md`` is listed, whatever it is (a folder, a pipe, a link):
    ``load_article`` and the build's planner refuse what cannot be read, at the file,
    instead of skipping it silently. Nothing here opens a file."""
    return sorted(p for p in Path(source_dir).glob("*.md") if p.stem.lower() != "readme")


def check_slug(path: Path) -> str:
    """The handout's slug (its file name without ``.md``), or an ``InputError`` if the
    name cannot be one: lowercase letters, digits and hyphens, not a name the outputs
    or catalogs already use."""
    slug = Path(path).stem
    if not SLUG_PATTERN.match(slug):
        raise InputError(path, None, f"'{shown(Path(path).name)}' is not a usable handout file name",
                         "use lowercase letters, digits and hyphens, e.g. what-is-tms.md")
    if slug in RESERVED_SLUGS:
        raise InputError(path, None, f"'{slug}' is a name the pipeline uses for its own files",
                         "rename the handout; reserved: " + ", ".join(sorted(RESERVED_SLUGS)))
    return slug


def load_articles(source_dir: Path, slugs: list[str] | None = None) -> list[Article]:
    paths = article_paths(source_dir)
    if slugs:
        known = {p.stem: p for p in paths}
        for slug in slugs:
            if slug not in known:
                raise InputError(source_dir / f"{slug}.md", None, f"no handout named '{slug}'",
                                 "available: " + ", ".join(sorted(known)))
        paths = [known[s] for s in slugs]
    return [load_article(p) for p in paths]


def read_handout_bytes(path: Path) -> bytes:
    """The bytes of a handout: a regular file in its folder (a link may not lead
    elsewhere), at most ``MAX_SOURCE_BYTES``, with a usable name."""
    path = Path(path)
    check_slug(path)
    try:
        return read_project_file(path, path.parent, MAX_SOURCE_BYTES, "handout")
    except FileNotFoundError:
        raise InputError(path, None, f"the handout '{shown(path.name)}' does not exist (or is a broken link)",
                         "check the file name") from None


def load_article(path: Path) -> Article:
    """Read and validate one handout."""
    path = Path(path)
    slug = path.stem
    raw = read_handout_bytes(path)
    if not raw.strip():
        raise InputError(path, 1, "the file is empty", "write a front-matter block and the handout text")
    text = utf8_text(path, raw).lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")

    meta, meta_lines, body_start = _front_matter(path, lines)
    body_lines = [""] * body_start + lines[body_start:]
    notes = _take_editor_comments(body_lines)
    _check_body(path, body_lines)
    _check_limits(path, body_lines)
    body = "\n".join(body_lines)

    title = meta["title"]
    summary = meta["summary"]
    blocks = [
        Block("title", title, meta_lines["title"]),
        Block("summary", summary, meta_lines["summary"]),
    ]
    try:
        blocks.extend(_locate_blocks(path, body_lines, body_start, notes))
    except RecursionError:
        raise InputError(path, None, "the Markdown is nested too deeply to read",
                         "remove extra '*', '_', '[' or indentation") from None
    _check_markup(path, body, meta_lines, title, summary)
    _check_placeholders(path, blocks, lines)
    return Article(
        slug=slug,
        path=path,
        title=title,
        summary=summary,
        reviewed=meta["reviewed"],
        sources=tuple(meta["sources"]),
        body=body,
        blocks=tuple(blocks),
        targets=dict(meta.get("readability") or {}),
        reviewed_by=meta.get("reviewed_by"),
        reviewed_line=meta_lines.get("reviewed", 0),
    )


def _front_matter(path: Path, lines: list[str]):
    if not lines or lines[0].strip() != "---":
        raise InputError(path, 1, "the file does not start with a front-matter block",
                         "begin with '---', then title:, summary:, reviewed:, sources:, then '---'")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise InputError(path, 1, "the front-matter block is not closed", "add a line '---' after it") from None
    yaml_text = "\n".join(lines[1:end])
    meta = load_yaml_with_lines(yaml_text, path, line_offset=1, allow_aliases=False)
    if not isinstance(meta, dict):
        raise InputError(path, 2, "front matter must be 'key: value' lines",
                         "write title:, summary:, reviewed: and sources: lines")
    line_of = getattr(meta, "lines", {})
    for key in meta:
        if key not in FRONT_MATTER_KEYS:
            raise InputError(path, line_of.get(key, 2), f"unknown front-matter key '{key}'",
                             "allowed keys: " + ", ".join(sorted(FRONT_MATTER_KEYS)))
    for key in ("title", "summary"):
        value = meta.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(path, line_of[key], f"the {key} must be text, not a list or mapping",
                             f"write '{key}: ...' with plain text on one line")
        if not isinstance(value, str) or not value.strip():
            raise InputError(path, line_of.get(key, 2), f"front matter has no {key}",
                             f"add a line '{key}: ...' with plain text")
        if "\n" in value.strip():
            raise InputError(path, line_of[key], f"the {key} must be one line")
        meta[key] = value.strip()
    meta["reviewed"] = _review_date(path, line_of.get("reviewed", 2), meta.get("reviewed"))
    if "reviewed_by" in meta:
        meta["reviewed_by"] = _reviewer(path, line_of["reviewed_by"], meta["reviewed_by"])
    sources = meta.get("sources")
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s.strip() for s in sources):
        raise InputError(path, line_of.get("sources", 2), "'sources' must list what the handout rests on",
                         "add 'sources:' with one '- ...' line of text per guideline or reference")
    targets = meta.get("readability")
    if targets is not None:
        if not isinstance(targets, dict):
            raise InputError(path, line_of.get("readability", 2), "'readability' must map measures to numbers",
                             "for example: readability: {fk_grade: 7}")
        meta["readability"] = check_targets(path, targets, ALL_TARGETS, "in the front matter")
    return meta, line_of, end + 1


DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _review_date(path: Path, line: int, value) -> dt.date:
    """The date of the last medical review: a real date, written YYYY-MM-DD, not in the future."""
    match = DATE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise InputError(path, line, "'reviewed' must be the date of the last medical review",
                         "write it as YYYY-MM-DD, e.g. reviewed: 2026-11-01")
    try:
        reviewed = dt.date(*(int(part) for part in match.groups()))
    except ValueError as err:
        raise InputError(path, line, f"'reviewed: {value.strip()}' is not a date in the calendar ({err})",
                         "check the day and the month") from None
    if reviewed > dt.date.today():
        raise InputError(path, line, f"review date {reviewed} is in the future",
                         "use the date the content was actually reviewed")
    return reviewed


REVIEWER_KEYS = ("role", "name")


def _reviewer(path: Path, line: int, value) -> Reviewer:
    """Who signed off the last clinical review: ``reviewed_by: consultant psychiatrist``
    (a role) or ``reviewed_by: {role: consultant psychiatrist, name: Dr A. Rao}``."""
    hint = "write reviewed_by: {role: consultant psychiatrist, name: ...} (the name may be left out)"
    if isinstance(value, str):
        value = {"role": value}
    if not isinstance(value, dict):
        raise InputError(path, line, "'reviewed_by' must say who signed off the review", hint)
    lines = getattr(value, "lines", {})
    for key, text in value.items():
        if key not in REVIEWER_KEYS:
            raise InputError(path, lines.get(key, line), f"unknown key '{key}' under 'reviewed_by'",
                             "allowed keys: role, name")
        if not isinstance(text, str) or "\n" in text.strip():
            raise InputError(path, lines.get(key, line), f"'reviewed_by.{key}' must be text on one line", hint)
    role = (value.get("role") or "").strip()
    if not role:
        raise InputError(path, line, "'reviewed_by' has no role", hint)
    return Reviewer(role=role, name=(value.get("name") or "").strip())


def _take_editor_comments(lines: list[str]) -> dict[int, tuple[str, str]]:
    """Find note/context comments, blank them out, return {line number: (kind, text)}."""
    found = {}
    for index, line in enumerate(lines):
        match = EDITOR_COMMENT.match(line)
        if match:
            found[index + 1] = (match.group("kind").lower(), match.group("text"))
            lines[index] = ""
    return found


def _check_body(path: Path, lines: list[str]) -> None:
    in_code = False
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if in_code:
            continue
        if H1_LINE.match(line) or (SETEXT_H1.match(line) and number > 1 and lines[number - 2].strip()):
            raise InputError(path, number, "the body has a level-1 heading; the title is the only one",
                             "start section headings with '## '")
        if IMAGE_WITHOUT_ALT.search(line):
            raise InputError(path, number, "image without alternative text",
                             "describe the image inside the brackets: ![what it shows](file.png)")


def _check_limits(path: Path, lines: list[str]) -> None:
    """Blocks too long, too marked up or too nested to read safely, each at its
    line (checked before Markdown reads them, so they can neither hang nor crash it)."""
    for problem in security.block_limits("\n".join(lines)):
        raise InputError(path, problem.line, problem.message, problem.hint)


def _check_placeholders(path: Path, blocks: list[Block], lines: list[str]) -> None:
    """A placeholder that is not a clinic variable would print as braces on every
    page: refused at the line where it is written."""
    for block in blocks:
        for written, message, hint in placeholder_problems(block.text):
            line = block.line
            for number in range(block.line, len(lines) + 1):
                if written in lines[number - 1]:
                    line = number
                    break
            raise InputError(path, line, f"{message} in the {block.describe()}", hint)


def _check_markup(path: Path, body: str, meta_lines: dict, title: str, summary: str) -> None:
    """Raw HTML, links that run code and images from elsewhere: refused with their line."""
    for key, text in (("title", title), ("summary", summary)):
        for problem in security.find_unsafe_markup(text, markdown=False):
            raise InputError(path, meta_lines.get(key), f"the {key} has {problem.message}",
                             f"the {key} is plain text: remove the markup")
    problems = security.find_unsafe_markup(body, images_dir=path.parent / security.IMAGE_FOLDER)
    for image in (p for p in problems if p.path is not None):  # an image the handout shows is unsafe
        raise InputError(image.path, image.line, image.message.replace("(shown at line",
                                                                        f"(shown in {shown(path.name)} at line"),
                         image.hint)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more like it)" if len(problems) > 1 else ""
        raise InputError(path, first.line, first.message.replace(" (removed from the page)", "") + more,
                         first.hint)


def _locate_blocks(path: Path, lines: list[str], body_start: int, notes: dict) -> list[Block]:
    """Blocks of the body with the line each starts on, its section and editor notes."""
    blocks = []
    cursor = body_start  # 0-based index into lines
    section = ""
    note_lines = sorted(notes)
    previous_line = 0
    for found in find_blocks("\n".join(lines)):
        probe = _probe(found)
        in_table = found.kind in ("table_header", "table_cell")
        line_index = cursor
        for index in range(cursor, len(lines)):
            if probe in lines[index] and (not in_table or "|" in lines[index]):
                line_index = index
                break
        # Cells share their row's line; every other block starts on a line of its own.
        cursor = line_index if in_table else line_index + 1
        line = line_index + 1
        note = context = None
        for note_line in note_lines:
            if previous_line < note_line < line or (note_line == line - 1 and note_line >= previous_line):
                kind, text = notes[note_line]
                if kind == "note":
                    note = text if note is None else f"{note} {text}"
                else:
                    context = text
        previous_line = line
        blocks.append(Block(found.kind, found.text, line, found.level, context, note, section))
        if found.kind == "heading":
            section = found.text
    return blocks


def _probe(found) -> str:
    """A short piece of the block's first source line to find it by."""
    if found.kind == "image_alt":
        return "![" + found.text[:30]
    first = found.raw.strip().split("\n", 1)[0].strip()
    return first[:30]
