"""Bad input gets one clear message naming the file and line, exit code 2."""

from __future__ import annotations

import re

import pytest

from conftest import MINIMAL_HANDOUT, run_pipeline
from pipeline.errors import BuildError
from pipeline.render_pdf import render_pdf

GOOD = MINIMAL_HANDOUT


@pytest.mark.parametrize("text,line,words", [
    (GOOD.replace("title: A handout\n", ""), 2, "no title"),
    (GOOD.replace("2026-01-05", "05/01/2026"), 4, "YYYY-MM-DD"),
    (GOOD.replace("2026-01-05", "2999-01-01"), 4, "future"),
    (GOOD + "\n![](images/x.png)\n", 13, "alternative text"),
    (GOOD.replace("## A section", "# A section"), 9, "level-1 heading"),
    (GOOD.replace("sources:\n  - A guideline\n", "colour: blue\n"), 5, "unknown front-matter key"),
    ("", 1, "empty"),
    ("no front matter here\n", 1, "front-matter"),
    (GOOD.replace("summary: What it is about.", "summary: [unclosed"), 3, "is not closed"),
])
def test_bad_source_names_file_and_line(project, text, line, words):
    (project / "source" / "broken.md").write_text(text)
    result = run_pipeline(project, "build", "--clinic", "springfield", "--format", "html")
    assert result.returncode == 2
    assert f"source/broken.md:{line}: error:" in result.stderr or f"broken.md:{line}: error:" in result.stderr, result.stderr
    assert words in result.stderr
    assert "what to do" in result.stderr
    assert "Traceback" not in result.stderr
    # every other output is still built
    good = len(list((project / "source").glob("*.md"))) - 1
    assert len(list((project / "outputs" / "springfield" / "en_US").glob("*.html"))) == good


@pytest.mark.parametrize("old,new,words", [
    ("paper: A4", "paper: A5", "paper 'A5' in clinics.pune is not one of: A4, Letter"),
    ("    emergency_number: \"112\"\n", "", "missing 'emergency_number'"),
    ("    paper: A4\n", "    paper: A4\n    colour: red\n", "unknown key 'colour'"),
    ("locales: [en, ", "locales: [en, xx, ", "locale 'xx' is not defined"),
])
def test_bad_configuration(project, old, new, words):
    config = project / "clinics.yaml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))
    result = run_pipeline(project, "build")
    assert result.returncode == 2
    assert re.search(r"clinics\.yaml:\d+: error:", result.stderr), result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_usage_exits_2(project):
    assert run_pipeline(project, "build", "--format", "docx").returncode == 2
    assert run_pipeline(project, "frobnicate").returncode == 2
    result = run_pipeline(project, "build", "--clinic", "nowhere")
    assert result.returncode == 2 and "no clinic 'nowhere'" in result.stderr


def test_help_on_every_command(project):
    result = run_pipeline(project, "--help")
    assert result.returncode == 0
    commands = re.findall(r"^    (\S+)\s", result.stdout, re.M)
    assert {"build", "check", "extract", "update", "stats", "qa", "init-locale"} <= set(commands)
    for command in commands:
        sub = run_pipeline(project, command, "--help")
        assert sub.returncode == 0 and "usage:" in sub.stdout


def test_accessibility_errors_fail_the_render(tmp_path):
    from pipeline.config import load_config
    from conftest import ROOT

    config = load_config(ROOT / "clinics.yaml")
    html = "<!DOCTYPE html><html><head><title>x</title></head><body><p>No language.</p></body></html>"
    with pytest.raises(BuildError, match="not be accessible"):
        render_pdf(html, base_dir=tmp_path, clinic=config.clinics["pune"], locale=config.locales["en"],
                   page_url="pune/en/test.html", allowed_roots=[tmp_path], label="test")



LONG = "This is a plain sentence about **care** that _helps_ you and your family. " * 3


@pytest.mark.parametrize("body", [
    "\n\n".join([LONG] * 80),  # 18,000 characters of paragraphs
    "\n".join("- " + LONG for _ in range(80)),  # one long list, no blank lines
    "| a | b |\n|---|---|\n" + "\n".join(f"| {LONG} | {LONG} |" for _ in range(40)),  # one long table
])
def test_limits_are_per_block_so_a_long_handout_is_fine(tmp_path, body):
    from pipeline.sources import load_article

    path = tmp_path / "long.md"
    path.write_text(GOOD + "\n" + body + "\n", encoding="utf-8")
    assert len(body) > 10_000 and len(load_article(path).body_blocks) > 40


@pytest.mark.parametrize("block, words", [
    ("word " * 2100, "10,500 characters"),
    ("- an item\n- " + "**a** " * 80 + "\n- an item", "320 Markdown marks"),
    ("| a | b |\n|---|---|\n| short | " + "word " * 2100 + " |", "characters"),
])
def test_a_block_over_its_limit_is_refused_at_its_own_line(tmp_path, block, words):
    from pipeline.errors import InputError
    from pipeline.sources import load_article

    text = GOOD + "\n" + "\n\n".join([LONG] * 20) + "\n\n" + block + "\n\n" + LONG + "\n"
    path = tmp_path / "long.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_article(path)
    offending = max(text.split("\n"), key=len)
    assert caught.value.line == text.split("\n").index(offending) + 1 and words in caught.value.message
