"""What is no longer published is taken down, in every locale and from the index; the
build deletes only files it wrote, inside its output folder, whatever its record says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import small_project, snapshot
from pipeline.build import build
from pipeline.build.manifest import MANIFEST_NAME
from pipeline.config import load_config
from pipeline.errors import InputError

SLUGS = {"first-handout": "The first handout", "second-handout": "The second handout"}
HTML = ("html",)


def run(project: Path, formats=HTML, **options):
    """Build ``project`` in this process, one unit after another."""
    return build(load_config(project / "clinics.yaml"), formats=formats, jobs=1, **options)


def pages(project: Path, slug: str) -> list[str]:
    return sorted(str(p.relative_to(project / "outputs")) for p in (project / "outputs").rglob(f"{slug}.*"))


def index(project: Path, clinic: str = "pune") -> str:
    return (project / "outputs" / clinic / "index.html").read_text(encoding="utf-8")


def expected_pages(project: Path, slug: str) -> list[str]:
    """The web pages of ``slug``: one per locale of each clinic."""
    clinics = load_config(project / "clinics.yaml").clinics
    return sorted(f"{cid}/{code}/{slug}.html" for cid, clinic in clinics.items() for code in clinic.locales)


def edit_config(project: Path, old: str, new: str) -> None:
    path = project / "clinics.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return small_project(tmp_path, SLUGS)


def test_a_deleted_handout_disappears_from_every_locale_and_the_index(project):
    first = run(project)
    published = expected_pages(project, "first-handout")
    assert first.built == 2 * len(published) and first.exit_code == 0
    assert pages(project, "first-handout") == published and len(published) >= 3
    assert "first-handout.html" in index(project) and "first-handout.html" in index(project, "springfield")
    (project / "source" / "first-handout.md").unlink()
    second = run(project)
    assert (second.built, second.withdrawn) == (0, len(published))
    assert pages(project, "first-handout") == []
    assert "first-handout" not in index(project) and "first-handout" not in index(project, "springfield")
    assert "second-handout.html" in index(project)


def test_a_handout_deleted_after_a_failed_build_is_still_taken_down(project):
    """A failed build forgets that an output is current, never that the build owns it."""
    run(project)
    source = project / "source" / "first-handout.md"
    source.write_text(source.read_text(encoding="utf-8").replace("reviewed: 2026-01-05", "reviewed: someday"),
                      encoding="utf-8")
    failed = run(project)
    published = expected_pages(project, "first-handout")
    assert failed.failed == len(published) and failed.exit_code == 2
    assert pages(project, "first-handout") == published  # the last good pages stay while the handout exists
    source.unlink()
    assert run(project).withdrawn == len(published)
    assert pages(project, "first-handout") == []


def test_a_locale_removed_from_a_clinic_is_taken_down(project):
    run(project)
    config = project / "clinics.yaml"
    text = config.read_text(encoding="utf-8")
    pune = re.search(r"^    locales: \[en, mr(, [a-z_A-Z, ]+)?\]$", text, re.M)
    assert pune, "the pune clinic publishes en and mr"
    text = text.replace(pune.group(), pune.group().replace("mr, ", "").replace(", mr]", "]"))
    config.write_text(text.replace("bilingual: [en+mr, ", "bilingual: ["), encoding="utf-8")  # its edition too
    summary = run(project)
    assert summary.withdrawn == 2
    assert not (project / "outputs" / "pune" / "mr").exists() or not list((project / "outputs" / "pune" / "mr").iterdir())
    assert 'lang="mr"' not in index(project) and "mr/first-handout" not in index(project)


def test_a_raised_threshold_takes_the_page_down_and_out_of_the_index(project):
    catalog = project / "locales" / "mr" / "LC_MESSAGES" / "first-handout.po"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace('msgstr "एक मुद्दा."', 'msgstr ""'), encoding="utf-8")  # 5 of 6 blocks
    run(project)
    page = project / "outputs" / "pune" / "mr" / "first-handout.html"
    assert page.exists()
    assert re.search(r'<p class="translated"[^>]*>[^<]*(83|८३)%', index(project)), "the index shows the true percent"
    before = {p.relative_to(project) for p in (project / "outputs" / "pune").glob("*/*.html")}
    edit_config(project, "      pdf: 100\n      html: 0", "      pdf: 100\n      html: 90")
    summary = run(project)
    after = {p.relative_to(project) for p in (project / "outputs" / "pune").glob("*/*.html")}
    assert not page.exists()
    assert {"pune/en/first-handout.html", "pune/mr/second-handout.html"} <= {str(p.relative_to("outputs")) for p in after}
    assert summary.withdrawn == len(before - after)  # and any other language under 90 %
    assert "mr/first-handout" not in index(project)
    assert "pune/mr/first-handout: html not published: 83% translated (needs 90%)" in summary.problems


def test_a_manifest_pointing_outside_the_outputs_deletes_nothing_there(project):
    run(project)
    outside = project.parent / "keep.pdf"
    outside.write_bytes(b"another program's file")
    handout = project / "source" / "second-handout.md"
    manifest_path = project / "outputs" / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["owned"].update({
        "../../keep.pdf": {"unit": "pune/en/gone-handout", "format": "pdf", "percent": 100},
        "pune/en/../../../keep.pdf": {"unit": "pune/en/gone-handout", "format": "pdf", "percent": 100},
        "/etc/hostname": {"index": "pune"},
        "../source/second-handout.md": {"index": "pune"},
    })
    manifest["units"]["pune/en/gone-handout"] = {"outputs": {"pdf": {"path": "../../keep.pdf", "digest": "0" * 64,
                                                                     "status": "published"}}}
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    summary = run(project)
    assert summary.exit_code == 0 and summary.withdrawn == 0
    assert outside.read_bytes() == b"another program's file"
    assert handout.exists()
    kept = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert not [path for path in kept["owned"] if ".." in path or path.startswith("/")]


@pytest.mark.parametrize("damage", [
    lambda m: m.update(owned=[1, 2, 3]),
    lambda m: m["units"].update({"pune/en/first-handout": {"outputs": {"html": {"digest": 5, "status": None}},
                                                           "entry": {"title": ["x"]}}}),
    lambda m: m["units"].update({"not/a unit": "x", "pune/en/first-handout": []}),
    lambda m: m["cache"].update(code={"../../etc": [1, 2], "build": ["x", ["/etc/passwd"], [], [], []]},
                                fonts="none"),
    lambda m: m.update(manifest="3"),
])
def test_a_malformed_manifest_entry_is_rebuilt_without_a_traceback(project, damage):
    run(project)
    before = snapshot(project / "outputs")
    path = project / "outputs" / MANIFEST_NAME
    manifest = json.loads(path.read_text(encoding="utf-8"))
    damage(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    summary = run(project)
    assert summary.exit_code == 0 and summary.failed == 0
    assert snapshot(project / "outputs") == before
    assert run(project).built == 0


def test_only_the_builds_own_temporary_files_are_cleaned_up(project):
    run(project)
    outputs = project / "outputs"
    ours = outputs / "pune" / "mr" / ".first-handout.html.a1b2c3d4.tmp"
    not_ours = [outputs / "pune" / "mr" / ".notes.txt.a1b2c3d4.tmp", outputs / "pune" / ".draft.html.zz99yy88.tmp",
                outputs / "pune" / "mr" / "first-handout.html.a1b2c3d4.tmp"]
    for path in [ours] + not_ours:
        path.write_bytes(b"half a file")
    run(project)
    assert not ours.exists()
    assert all(path.exists() for path in not_ours)


@pytest.mark.parametrize("outputs", [".", "source", "locales", "source/out", "..", "../elsewhere", "/tmp"])
def test_an_output_folder_the_build_could_damage_is_refused(project, outputs):
    path = project / "clinics.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"\npaths:\n  outputs: \"{outputs}\"\n", encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    with pytest.raises(InputError) as raised:
        run(project)
    assert raised.value.path == str(project / "clinics.yaml")
    assert raised.value.line == lines.index(f"  outputs: \"{outputs}\"") + 1
    assert (project / "source" / "first-handout.md").exists()


def test_units_run_on_any_executor(tmp_path):
    """The build hands units to a concurrent.futures executor (a Dask cluster's too)
    and writes what comes back: the same bytes as one unit after another here."""
    from concurrent.futures import ThreadPoolExecutor

    here, there = small_project(tmp_path / "here", SLUGS), small_project(tmp_path / "there", SLUGS)
    run(here)
    with ThreadPoolExecutor(2) as executor:
        summary = build(load_config(there / "clinics.yaml"), formats=HTML, executor=executor)
    assert summary.built == 2 * len(expected_pages(there, "first-handout")) and summary.exit_code == 0
    assert snapshot(there / "outputs") == snapshot(here / "outputs")
