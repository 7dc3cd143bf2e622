"""Extraction: a handout in, one template entry per block out, readable by msgfmt."""

from __future__ import annotations

import io
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import polib
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract

from conftest import catalog_project, msgfmt_check, run_cli
from pipeline.config import load_config
from pipeline.extract import LANGUAGE_NAME_CONTEXT, extract_article, extract_markdown, extract_ui
from pipeline.sources import load_article

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "catalogs"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return catalog_project(tmp_path)


def run(project: Path, *args: str, env: dict | None = None) -> int:
    return run_cli(project, *args, env=env or {})


def entries(path: Path) -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(path)) if not e.obsolete]


def test_one_entry_per_block_in_source_order_with_references(project):
    article = load_article(project / "source" / "sample.md")
    catalog = extract_article(article, project)
    messages = [m for m in catalog if m.id]
    assert [(m.context, m.id) for m in messages] == [b.key for b in article.blocks]
    assert [m.locations for m in messages] == [[("source/sample.md", b.line)] for b in article.blocks]
    assert messages[0].id == "Living with TMS" and messages[1].id == "What a course of TMS is like, in short."


def test_inline_markdown_is_kept_as_written(project):
    catalog = extract_article(load_article(project / "source" / "sample.md"), project)
    ids = [m.id for m in catalog]
    assert "A psychiatrist will meet you first. They ask about your **medicines** and your health." in ids
    assert "Read [our TMS page](https://clinic.example/en/tms) for more." in ids


def test_comments_say_what_each_block_is(project):
    catalog = extract_article(load_article(project / "source" / "sample.md"), project)

    def first_comment(msgid, context=None):
        return catalog.get(msgid, context=context).auto_comments[0]

    assert first_comment("Living with TMS") == "handout title (front matter)"
    assert first_comment("What a course of TMS is like, in short.") == "one-line summary (front matter)"
    assert first_comment("Before you start") == "heading level 2"
    assert first_comment("Sleep well the night before.") == "list item"
    assert first_comment("Drink water.") == "list item, nested level 2"
    assert first_comment("Side effect") == "table header cell"
    assert first_comment("Scalp pain") == "table cell"
    assert first_comment("A TMS coil rests on the head.").startswith("image alternative text")
    assert "section: Side effects" in catalog.get("Headache").auto_comments


def test_editor_note_becomes_a_comment_and_context_a_msgctxt(project):
    catalog = extract_article(load_article(project / "source" / "sample.md"), project)
    link = catalog.get("Read [our TMS page](https://clinic.example/en/tms) for more.")
    assert "note from the editor: the page is in English; link to a Marathi page if there is one" in link.auto_comments
    assert catalog.get("Call us") is None
    assert catalog.get("Call us", context="button") is not None


def test_clinic_variables_are_flagged_for_msgfmt_and_explained(project):
    catalog = extract_article(load_article(project / "source" / "sample.md"), project)
    message = catalog.get("Call {crisis_line} on {crisis_number} if you are in danger.")
    assert "python-brace-format" in message.flags
    assert any(c.startswith("keep {crisis_line}, {crisis_number} as written") for c in message.auto_comments)
    # Babel would take "50% of" for a %-format; handout text has no such thing.
    assert "python-format" not in catalog.get("About 50% of people feel better after a course.").flags


def test_extractor_follows_babels_protocol():
    with open(FIXTURE / "project" / "source" / "sample.md", "rb") as handle:
        found = list(extract(extract_markdown, handle, keywords=DEFAULT_KEYWORDS))
    assert found[0][:2] == (2, "Living with TMS")
    assert (34, "Call us", found[18][2], "button") == found[18]
    # A stream with no file behind it works too (images cannot be checked there).
    text = b"---\ntitle: T\nsummary: S.\nreviewed: 2026-01-01\nsources:\n  - X\n---\n\nOne paragraph.\n"
    found = list(extract(extract_markdown, io.BytesIO(text), keywords=DEFAULT_KEYWORDS))
    assert [(line, msgid) for line, msgid, _, _ in found] == [(2, "T"), (3, "S."), (9, "One paragraph.")]


def test_extract_command_writes_templates_msgfmt_accepts(project):
    assert run(project, "extract") == 0
    template = project / "locales" / "sample.pot"
    msgfmt_check(template)
    assert (project / "locales" / "ui.pot").exists()
    msgfmt_check(project / "locales" / "ui.pot")
    text = template.read_text(encoding="utf-8")
    assert "#: source/sample.md:36\n#, python-brace-format\n" in text
    assert 'msgctxt "button"\nmsgid "Call us"\n' in text
    # No wrapping: every msgid is on one line.
    assert 'msgid "TMS takes about 20 minutes a day, 5 days a week, for 4 to 6 weeks."\n' in text


def test_templates_are_rewritten_only_when_their_entries_change(project):
    template = project / "locales" / "sample.pot"
    assert run(project, "extract", env={"SOURCE_DATE_EPOCH": "1767225600"}) == 0  # 2026-01-01
    first = template.read_bytes()
    assert b'"POT-Creation-Date: 2026-01-01 00:00+0000\\n"' in first
    stamp = template.stat().st_mtime_ns

    assert run(project, "extract", env={"SOURCE_DATE_EPOCH": "1769904000"}) == 0  # a month later
    assert template.read_bytes() == first and template.stat().st_mtime_ns == stamp

    source = project / "source" / "sample.md"
    source.write_text(source.read_text().replace("Eat as usual.", "Eat as you always do."))
    assert run(project, "extract", env={"SOURCE_DATE_EPOCH": "1769904000"}) == 0
    assert b'"POT-Creation-Date: 2026-02-01 00:00+0000\\n"' in template.read_bytes()


def test_ui_template_has_template_strings_and_language_names(project):
    config = load_config(project / "clinics.yaml")
    catalog = extract_ui(config, FIXTURE / "templates")
    skip = catalog.get("Skip to content")
    assert skip.locations == [("pipeline/templates/page.html", 4)]
    reviewed = catalog.get("Last reviewed")
    assert reviewed.auto_comments == ["before the date of the last medical review"]
    assert catalog.get("%(num)d page").id == ("%(num)d page", "%(num)d pages")
    assert catalog.get("Page", context="footer") is not None
    marathi = catalog.get("Marathi", context=LANGUAGE_NAME_CONTEXT)
    assert marathi is not None and "मराठी" in marathi.auto_comments[0]


def test_babel_finds_the_extractor_by_its_entry_point(project):
    names = {ep.name: ep.value for ep in entry_points(group="babel.extractors")}
    assert names.get("handout_markdown") == "pipeline.extract:extract_markdown"
    pybabel = Path(sys.executable).with_name("pybabel")
    output = project / "all.pot"
    result = subprocess.run([str(pybabel), "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(output), "."],
                            cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    catalog = polib.pofile(str(output))
    call = catalog.find("Call us", msgctxt="button")
    assert call is not None and call.occurrences == [("source/sample.md", "34")]
    assert catalog.find("Read [our TMS page](https://clinic.example/en/tms) for more.").comment.count("note from the editor")


def test_committed_catalogs_are_in_step_with_the_sources(tmp_path):
    """Extracting and updating the shipped project changes no catalog's entries: the
    templates and translations in git are the ones the handouts and templates need."""
    import polib

    from conftest import copy_project, run_pipeline

    project = copy_project(tmp_path / "shipped")

    def entries(folder):
        found = {}
        for path in sorted(folder.rglob("*.po*")):
            po = polib.pofile(str(path))
            found[str(path.relative_to(folder))] = sorted(
                (e.msgctxt or "", e.msgid, e.msgstr, e.fuzzy, e.obsolete, tuple(e.occurrences)) for e in po)
        return found

    before = entries(project / "locales")
    run_pipeline(project, "extract", check=True)
    run_pipeline(project, "update", check=True)
    assert entries(project / "locales") == before
