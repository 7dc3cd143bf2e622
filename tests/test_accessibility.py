"""Every built web page, audited in a real browser and by the Nu HTML Checker.

axe-core runs in Debian's headless Chromium (driven by Playwright, which downloads
no browser of its own) with the WCAG 2.0, 2.1 and 2.2 A and AA rules and the best
practices, at a desktop and a phone width: zero violations. vnu.jar checks every page
and the web stylesheets in one Java process: zero errors. Both tools come from
tests/web_audit/package.json, installed by ``make setup-test``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import AXE_JS, AXE_TAGS, CHROMIUM, ROOT, WEB_AUDIT, describe_violation, web_audit_tool
from pipeline.config import load_config
from pipeline.sources import article_paths

VNU_JAR = WEB_AUDIT / "vnu-jar" / "build" / "dist" / "vnu.jar"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}
CONFIG = load_config(ROOT / "clinics.yaml")

# A page with one known problem per rule family, to prove the tools are really checking.
BROKEN_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head>
<body><div><img src="x.png"><a href="#"></a><p style="color:#bbbbbb">faint</p><p><div></div></p></div></body></html>
"""


def built_pages(built: Path) -> list[Path]:
    return sorted((built / "outputs").rglob("*.html"))


def expected_pages(built: Path) -> set[Path]:
    """Every clinic's index page, every handout in every clinic's locales, and the
    readability report: its overview and a page per handout and language."""
    outputs = built / "outputs"
    slugs = [p.stem for p in article_paths(built / "source")]
    pages = {outputs / "reports" / "readability.html"}
    for cid, clinic in CONFIG.clinics.items():
        pages.add(outputs / cid / "index.html")
        pages.update(outputs / cid / code / f"{slug}.html" for code in clinic.locales for slug in slugs)
        pages.update(outputs / "reports" / "readability" / f"{slug}.{code}.html"
                     for code in clinic.locales for slug in slugs)
    return pages


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing; what to do: make setup-test")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def tab(browser):
    """One tab, reused for every page (no network: only file:// pages are opened)."""
    context = browser.new_context(java_script_enabled=True, offline=True)
    page = context.new_page()
    yield page
    context.close()


def run_axe(tab, axe_source: str) -> list[dict]:
    tab.add_script_tag(content=axe_source)
    result = tab.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS)
    return result["violations"]


def test_every_page_is_built(built):
    missing = sorted(str(p.relative_to(built)) for p in expected_pages(built) if not p.exists())
    assert not missing, "pages not built: " + ", ".join(missing)


def test_axe_finds_no_violations_on_any_page(built, tab):
    axe_source = web_audit_tool(AXE_JS).read_text(encoding="utf-8")
    pages = built_pages(built)
    assert set(pages) >= expected_pages(built)
    problems = []
    audited = 0
    for name, size in VIEWPORTS.items():
        tab.set_viewport_size(size)
        for path in pages:
            tab.goto(path.as_uri())
            for violation in run_axe(tab, axe_source):
                problems.append(describe_violation(str(path.relative_to(built / "outputs")), name, violation))
            audited += 1
    assert audited == 2 * len(pages)
    assert not problems, f"{len(problems)} axe violation(s):\n" + "\n".join(problems)


def test_axe_reports_a_broken_page(tab):
    """The audit is live: the same call finds the problems in a page made to have them."""
    tab.set_viewport_size(VIEWPORTS["desktop"])
    tab.set_content(BROKEN_PAGE)
    found = {v["id"] for v in run_axe(tab, web_audit_tool(AXE_JS).read_text(encoding="utf-8"))}
    assert {"image-alt", "link-name", "html-has-lang", "document-title", "color-contrast",
            "landmark-one-main"} <= found


def test_axe_version_is_the_pinned_one():
    pinned = json.loads((ROOT / "tests" / "web_audit" / "package.json").read_text())["dependencies"]["axe-core"]
    installed = json.loads((WEB_AUDIT / "axe-core" / "package.json").read_text())["version"]
    assert installed == pinned, "what to do: make setup-test"


def test_nu_html_checker_finds_no_errors(built, tmp_path):
    """vnu.jar on every page and on the web stylesheets (the print rules for PDFs live in
    render_pdf and large-print.css, which no web page links), in one Java process."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing; what to do: make setup-test")
    broken = tmp_path / "broken.html"
    broken.write_text(BROKEN_PAGE, encoding="utf-8")
    pages = built_pages(built)
    stylesheets = sorted((built / "outputs" / "assets").glob("*.css"))
    assert pages and stylesheets
    result = subprocess.run(
        [java, "-Xss4m", "-jar", str(web_audit_tool(VNU_JAR)), "--format", "json", "--also-check-css",
         *map(str, pages), *map(str, stylesheets), str(broken)],
        capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    ours = [m for m in errors if not m.get("url", "").endswith("/broken.html")]
    assert any(m.get("url", "").endswith("/broken.html") for m in errors), "vnu found nothing in a broken page"
    assert not ours, f"{len(ours)} vnu error(s):\n" + "\n".join(
        f"{m.get('url', '')}:{m.get('lastLine', '?')}: {m.get('message')}" for m in ours)
