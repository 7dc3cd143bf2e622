"""Incremental builds: an output is rebuilt when, and only when, something it is built
from changed. Web pages stand in for PDFs wherever the PDF itself is not the point."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_pipeline
from pipeline.config import load_config
from pipeline.sources import article_paths

SLUGS = [p.stem for p in article_paths(ROOT / "source")]
SLUG = SLUGS[0]
HTML = ("--format", "html")


def units(project: Path, slug: str, clinic: str | None = None) -> set[str]:
    """The units of ``slug``: one per locale of each clinic (or of ``clinic``) of ``project``."""
    clinics = load_config(project / "clinics.yaml").clinics
    return {f"{cid}/{code}/{slug}" for cid, c in clinics.items() if clinic in (None, cid) for code in c.locales}


def build(project: Path, *args: str, env: dict | None = None) -> tuple[int, int, set[str]]:
    """Build; return (built, up to date, names of the units built)."""
    result = run_pipeline(project, "build", *args, env=env, check=True)
    built, current = map(int, re.search(r"^(\d+) built, (\d+) up to date", result.stdout, re.M).groups())
    names = set(re.findall(r"^\[\d+/\d+\] (\S+) built", result.stdout, re.M))
    assert len(names) == built, result.stdout
    return built, current, names


def mtimes(project: Path) -> dict[str, int]:
    outputs = project / "outputs"
    return {str(p.relative_to(outputs)): p.stat().st_mtime_ns for p in outputs.rglob("*") if p.is_file()}


def write_marathi_catalog(project: Path, slug: str, text: str) -> Path:
    """A one-entry Marathi catalog (the rest of the handout falls back to English)."""
    path = project / "locales" / "mr" / "LC_MESSAGES" / f"{slug}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: mr\\n"\n\n'
                    f'msgid "Not a block of the handout"\nmsgstr "{text}"\n', encoding="utf-8")
    return path


@pytest.fixture
def own_code(tmp_path: Path) -> tuple[Path, dict]:
    """A copy of the pipeline package to edit, and the environment that runs it."""
    code = tmp_path / "code"
    shutil.copytree(ROOT / "pipeline", code / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    return code / "pipeline", {"PYTHONPATH": str(code)}


def test_nothing_changed_builds_nothing_and_writes_nothing(project):
    first, _, _ = build(project, *HTML)
    before = mtimes(project)
    built, current, _ = build(project, *HTML)
    assert (built, current) == (0, first)
    assert mtimes(project) == before  # not even the manifest or the index pages


def test_editing_a_handout_rebuilds_only_its_outputs(project):
    build(project, *HTML)
    before = mtimes(project)
    source = project / "source" / f"{SLUG}.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nOne more plain sentence.\n", encoding="utf-8")
    built, current, names = build(project, *HTML)
    assert names == units(project, SLUG)
    assert current == len(units(project, SLUG)) * (len(SLUGS) - 1)
    after = mtimes(project)
    changed = {name for name in after if after[name] != before.get(name)}
    # a translation now has an untranslated paragraph: its percent on the index may change too
    indexes = {f"{cid}/index.html" for cid in load_config(project / "clinics.yaml").clinics}
    assert changed - indexes == {f"{name}.html" for name in names} | {".build-manifest.json"}
    assert "One more plain sentence." in (project / "outputs" / "springfield" / "en_US" / f"{SLUG}.html").read_text()


def test_touching_a_file_without_changing_it_rebuilds_nothing(project):
    build(project, *HTML)
    source = project / "source" / f"{SLUG}.md"
    source.write_bytes(source.read_bytes())
    assert build(project, *HTML)[0] == 0


def test_catalog_edit_rebuilds_only_that_locale(project):
    catalog = write_marathi_catalog(project, SLUG, "पहिला")
    build(project, *HTML)
    catalog.write_text(catalog.read_text(encoding="utf-8").replace("पहिला", "दुसरा"), encoding="utf-8")
    assert build(project, *HTML)[2] == {f"pune/mr/{SLUG}"}


def test_interface_catalog_edit_rebuilds_that_locale_only(project):
    build(project, *HTML)
    write_marathi_catalog(project, "ui", "पान")
    _, _, names = build(project, *HTML)
    assert names == {f"pune/mr/{slug}" for slug in SLUGS}


def test_clinic_edit_rebuilds_that_clinic_only(project):
    build(project, *HTML)
    config = project / "clinics.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace('"+1 555 0100"', '"+1 555 0199"'), encoding="utf-8")
    _, _, names = build(project, *HTML)
    assert names == {name for slug in SLUGS for name in units(project, slug, "springfield")}
    assert "555 0199" in (project / "outputs" / "springfield" / "en_US" / f"{SLUG}.html").read_text()


def test_force_rebuilds_everything(project):
    first, _, _ = build(project, *HTML)
    assert build(project, *HTML, "--force")[:2] == (first, 0)


def test_formats_are_tracked_one_by_one(project):
    """A web-page build does not make the PDFs look up to date, nor the other way round."""
    build(project, "--clinic", "springfield", "--article", SLUG, *HTML)
    locales = len(units(project, SLUG, "springfield"))
    assert build(project, "--clinic", "springfield", "--article", SLUG, "--format", "pdf")[0] == locales
    assert (project / "outputs" / "springfield" / "en_US" / f"{SLUG}.pdf").exists()
    assert build(project, "--clinic", "springfield", "--article", SLUG)[0] == locales  # the large print
    assert build(project, "--clinic", "springfield", "--article", SLUG)[0] == 0


def test_a_deleted_output_is_built_again(project):
    build(project, *HTML)
    page = project / "outputs" / "springfield" / "en_US" / f"{SLUG}.html"
    page.unlink()
    assert build(project, *HTML)[2] == {f"springfield/en_US/{SLUG}"}
    assert page.exists()


def test_a_removed_handout_is_unpublished(project):
    build(project, *HTML)
    (project / "source" / f"{SLUG}.md").unlink()
    result = run_pipeline(project, "build", *HTML, check=True)
    assert re.search(rf"^0 built, .*, {len(units(project, SLUG))} withdrawn in ", result.stdout, re.M), result.stdout
    assert not list((project / "outputs").rglob(f"{SLUG}.html"))
    assert f"{SLUG}.html" not in (project / "outputs" / "pune" / "index.html").read_text()


def test_a_failed_handout_is_tried_again(project):
    build(project, *HTML)
    source = project / "source" / f"{SLUG}.md"
    good = source.read_text(encoding="utf-8")
    source.write_text(good.replace("reviewed:", "reviewed: not a date\nold_reviewed:", 1), encoding="utf-8")
    result = run_pipeline(project, "build", *HTML)
    failed = len(units(project, SLUG))
    assert result.returncode == 2 and re.search(rf"^0 built, \d+ up to date, {failed} failed", result.stdout, re.M)
    source.write_text(good, encoding="utf-8")
    assert build(project, *HTML)[0] == failed


def test_template_edit_rebuilds_every_page(project, own_code):
    package, env = own_code
    total, _, _ = build(project, *HTML, env=env)
    template = package / "templates" / "handout.html"
    template.write_text(template.read_text(encoding="utf-8") + "{# a comment #}\n", encoding="utf-8")
    assert build(project, *HTML, env=env)[:2] == (total, 0)
    index = package / "templates" / "index.html"
    text = index.read_text(encoding="utf-8").replace("{% block main %}\n", "{% block main %}\n<!-- index -->\n", 1)
    index.write_text(text, encoding="utf-8")
    assert build(project, *HTML, env=env)[0] == 0
    assert "<!-- index -->" in (project / "outputs" / "pune" / "index.html").read_text()


def test_stylesheet_edit_rebuilds_the_pdfs_not_the_pages(project, own_code):
    package, env = own_code
    only = ("--clinic", "springfield", "--article", SLUG, "--format", "html", "--format", "pdf")
    build(project, *only, env=env)
    before = mtimes(project)
    stylesheet = package / "static" / "handout.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\nh2 { letter-spacing: 0.01em; }\n",
                          encoding="utf-8")
    result = run_pipeline(project, "build", *only, env=env, check=True)
    assert f"springfield/en_US/{SLUG} built pdf " in result.stdout
    after = mtimes(project)
    assert after[f"springfield/en_US/{SLUG}.pdf"] != before[f"springfield/en_US/{SLUG}.pdf"]
    assert after[f"springfield/en_US/{SLUG}.html"] == before[f"springfield/en_US/{SLUG}.html"]
    assert (project / "outputs" / "assets" / "handout.css").read_bytes() == stylesheet.read_bytes()


def test_code_counts_only_where_the_build_uses_it(project, own_code):
    package, env = own_code
    build(project, *HTML, env=env)
    (package / "unrelated_tool.py").write_text('"""Not imported by the build."""\n', encoding="utf-8")
    assert build(project, *HTML, env=env)[0] == 0
    variables = package / "variables.py"  # imported by the page renderer
    variables.write_text(variables.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert build(project, *HTML, env=env)[1] == 0


def test_manifest_records_each_output_and_its_inputs(project):
    build(project, "--clinic", "springfield", *HTML)
    manifest = json.loads((project / "outputs" / ".build-manifest.json").read_text())
    record = manifest["units"][f"springfield/en_US/{SLUG}"]
    assert record["outputs"]["html"]["status"] == "published"
    assert re.fullmatch(r"[0-9a-f]{64}", record["outputs"]["html"]["digest"])
    assert record["entry"]["title"] and record["entry"]["percent"] == 100
    # which files the build owns is kept apart from whether they are current
    assert manifest["owned"][f"springfield/en_US/{SLUG}.html"] == {"unit": f"springfield/en_US/{SLUG}", "format": "html",
                                                               "percent": 100}
    assert manifest["owned"]["springfield/index.html"] == {"index": "springfield"}


NOTHING_TO_DO = """
import os, sys
from pathlib import Path
from pipeline.build import build
from pipeline.config import load_config

summary = build(load_config("clinics.yaml"), formats=("html",), jobs=2)
children = []
for entry in Path("/proc").iterdir():
    try:
        if entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(os.getpid()):
            children.append(entry.name)
    except OSError:
        pass
print(summary.built, "pipeline.build.render" in sys.modules, "pipeline.render_html" in sys.modules, len(children))
"""


def test_a_build_with_nothing_to_do_loads_no_stage_and_starts_no_worker(project):
    build(project, *HTML)
    result = subprocess.run([sys.executable, "-c", NOTHING_TO_DO], cwd=project, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert result.stdout.split() == ["0", "False", "False", "0"], result.stdout + result.stderr
