"""The live preview (``python -m pipeline serve``): a real server on a free port over a
copy of the project, real saves on disk, and the page seen in headless Chromium.

Each server builds one handout for the Pune clinic in English and Marathi, web pages
only unless a test needs the PDF, so the suite stays quick."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import time
from pathlib import Path

import pytest

from conftest import AXE_JS, AXE_TAGS, CHROMIUM, copy_project, describe_violation, run_cli, web_audit_tool

from pipeline.formats import HTML, PDF
from pipeline.serve import PreviewServer
from pipeline.serve.paths import Refused, safe_file

SLUG = "what-a-course-of-tms-is-like"
CATALOG = f"locales/mr/LC_MESSAGES/{SLUG}.po"
SECOND = 2.0  # every change shows within this long


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def start(project: Path, formats=(HTML,), locales=("en", "mr")) -> PreviewServer:
    server = PreviewServer(project / "clinics.yaml", port=0, formats=formats, clinics=["pune"], locales=list(locales),
                           slugs=[SLUG]).start()
    assert server.rebuilder.first_build.wait(60), "the first build did not finish"
    assert server.rebuilder.idle.wait(120)
    assert server.warmed.wait(60)  # what loads in the background is loaded before the saves are timed
    return server


@pytest.fixture
def server(project):
    server = start(project)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One server for the tests that only read (they change nothing on disk)."""
    server = start(copy_project(tmp_path_factory.mktemp("shared") / "project"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def restoring(tmp_path_factory):
    """One server for the tests that put back every file they break."""
    server = start(copy_project(tmp_path_factory.mktemp("restoring") / "project"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def printing(tmp_path_factory):
    """A server that makes PDFs too, over a project whose Marathi catalog has a fuzzy
    entry and one QA rejects (so its PDF is held back and the English one printed)."""
    project = copy_project(tmp_path_factory.mktemp("printing") / "project")
    edit(project / CATALOG, 'msgstr "TMS उपचारांचा कोर्स कसा असतो"', 'msgstr "TMS उपचारांचा 5 कोर्स कसा असतो"')
    text = (project / CATALOG).read_text(encoding="utf-8")
    (project / CATALOG).write_text(text.replace('#: source/what-a-course-of-tms-is-like.md:16\n',
                                                '#: source/what-a-course-of-tms-is-like.md:16\n#, fuzzy\n', 1),
                                   encoding="utf-8")
    server = start(project, formats=(HTML, PDF))
    server.project = project
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing; what to do: make setup-test")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def open_preview(tab, server: PreviewServer, path: str, overlay: str = ""):
    query = f"?overlay={overlay}" if overlay else ""
    tab.goto(f"{server.url}/__preview/{path}{query}")
    tab.wait_for_function("() => document.getElementById('page').contentDocument?.querySelector('h1')")
    return tab.frame_locator("#page")


def frame_text(tab, selector: str) -> str:
    return tab.evaluate("s => document.getElementById('page').contentDocument?.querySelector(s)?.textContent || ''",
                        selector)


def wait_until(check, seconds: float) -> float:
    """Seconds until ``check()`` is true (fails after ``seconds``)."""
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > seconds:
            pytest.fail(f"not seen within {seconds} s")
        time.sleep(0.02)
    return time.perf_counter() - started


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def get(server: PreviewServer, raw_path: str, host: str | None = None, method: str = "GET"):
    """A request with the path exactly as written (no client normalises it)."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    connection.putrequest(method, raw_path, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", host or f"127.0.0.1:{server.port}")
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


# --- the page, byte for byte, and live reload -------------------------------------------------

def test_a_page_is_served_as_published_and_reloads_on_a_source_edit(server, project, tab):
    page = f"pune/en/{SLUG}.html"
    status, body = get(server, "/" + page)
    assert status == 200
    assert body == (project / "outputs" / page).read_bytes()  # nothing injected
    open_preview(tab, server, page)
    wait_until(lambda: frame_text(tab, "h1") == "What a course of TMS is like", 5)
    generation = server.rebuilder.state.generation

    saved = time.perf_counter()
    edit(project / "source" / f"{SLUG}.md", "title: What a course of TMS is like", "title: What TMS is like")
    seconds = wait_until(lambda: frame_text(tab, "h1") == "What TMS is like", SECOND)
    assert server.rebuilder.state.generation > generation
    assert time.perf_counter() - saved < SECOND, f"the page changed {seconds:.2f} s after the save"
    status, body = get(server, "/" + page)
    assert body == (project / "outputs" / page).read_bytes()
    assert b"What TMS is like" in body
    # the open page was built (and announced) first, the handout's other page after it
    assert server.rebuilder.idle.wait(10)
    assert server.rebuilder.state.rebuilt == [f"pune/mr/{SLUG}.html"]
    assert b"What TMS is like" in (project / "outputs" / f"pune/mr/{SLUG}.html").read_bytes()


def test_a_catalog_edit_shows_in_the_translated_page(server, project, tab):
    open_preview(tab, server, f"pune/mr/{SLUG}.html")
    wait_until(lambda: frame_text(tab, "h1") == "TMS उपचारांचा कोर्स कसा असतो", 5)
    # saved as Poedit saves: a new file renamed over the old one
    catalog = project / CATALOG
    text = catalog.read_text(encoding="utf-8").replace('msgstr "TMS उपचारांचा कोर्स कसा असतो"',
                                                       'msgstr "TMS उपचार कसे असतात"')
    saved = catalog.with_name(catalog.name + ".new")
    saved.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    os.replace(saved, catalog)
    wait_until(lambda: frame_text(tab, "h1") == "TMS उपचार कसे असतात", SECOND)
    assert time.perf_counter() - started < SECOND


def test_the_last_of_100_rapid_saves_wins(server, project, tab):
    open_preview(tab, server, f"pune/en/{SLUG}.html")
    source = project / "source" / f"{SLUG}.md"
    original = source.read_text(encoding="utf-8")
    for number in range(100):
        source.write_text(original.replace("title: What a course of TMS is like", f"title: Save number {number}"),
                          encoding="utf-8")
    wait_until(lambda: frame_text(tab, "h1") == "Save number 99", 10)
    assert server.rebuilder.idle.wait(10)
    time.sleep(0.3)  # a stale build answering late would show now
    assert frame_text(tab, "h1") == "Save number 99"
    assert server.rebuilder.state.errors == []
    assert b"Save number 99" in (project / "outputs" / f"pune/en/{SLUG}.html").read_bytes()
    assert get(server, f"/pune/en/{SLUG}.html")[0] == 200  # still serving


# --- errors in the browser ---------------------------------------------------------------------

def cli_message(project: Path, *args: str, capsys) -> str:
    """The first line the command line prints for the same bad input."""
    capsys.readouterr()
    code = run_cli(project, *args)
    assert code == 2
    return capsys.readouterr().err.strip().splitlines()[0]


def errors_shown(tab) -> str:
    return tab.evaluate("() => document.getElementById('errors').hidden ? '' : document.getElementById('errors').textContent")


@pytest.mark.parametrize("case", ["yaml", "catalog", "variable"])
def test_bad_input_shows_its_file_and_line_in_the_page_until_fixed(restoring, tab, case, capsys):
    server, project = restoring, restoring.config.root
    open_preview(tab, server, f"pune/mr/{SLUG}.html")
    if case == "yaml":
        path, old, new = project / "clinics.yaml", "clinics:", "clinics: [\n"
    elif case == "catalog":
        path, old, new = project / CATALOG, 'msgid "The main message"', 'msgid "The main message'
    else:
        path, old, new = project / "source" / f"{SLUG}.md", "You stay awake.", "You stay {awake}."
    good = path.read_text(encoding="utf-8")
    edit(path, old, new)
    wait_until(lambda: errors_shown(tab), SECOND)
    shown = errors_shown(tab)
    expected = cli_message(project, "build", "--format", "html", "--clinic", "pune", "--article", SLUG,
                           capsys=capsys)
    assert re.match(r"^\S+:\d+: error: ", expected), expected
    assert expected in shown
    assert get(server, f"/pune/en/{SLUG}.html")[0] == 200  # the last good page is still served

    path.write_text(good, encoding="utf-8")
    wait_until(lambda: not errors_shown(tab), SECOND)


def test_nothing_is_built_after_the_pipeline_code_changed(server, project, monkeypatch):
    """The build records the digest of the code on disk: a server still running the
    old code must not build (its outputs would be recorded as built by the new). Only
    the modules it has loaded count: another command's module may change freely."""
    from pipeline.serve import rebuild

    page = project / "outputs" / f"pune/en/{SLUG}.html"
    before = page.read_bytes()
    monkeypatch.setattr(rebuild, "code_fingerprint", lambda: {"pipeline/render_html.py": (1, 1)})
    generation = server.rebuilder.state.generation
    edit(project / "source" / f"{SLUG}.md", "You stay awake.", "You stay awake all the time.")
    wait_until(lambda: server.rebuilder.state.generation > generation, 5)
    errors = server.rebuilder.state.errors
    assert errors and re.match(r"^pipeline/\S+\.py: error: the pipeline's code changed while serve runs", errors[0])
    assert page.read_bytes() == before


def test_the_pdf_stages_caches_are_emptied_between_builds():
    """What the PDF stages keep by name for a process's life (stylesheets, the PDF's
    words) is read again after a save: a long-lived server must not print with an
    old stylesheet or label recorded under the new digest."""
    from pipeline import render_pdf
    from pipeline.build import render
    from pipeline.serve.rebuild import forget_cached_inputs

    render_pdf._static_css["print.css"] = "old"
    render._interface_labels["mr"] = {"call_label": "old"}
    forget_cached_inputs()
    assert render_pdf._static_css == {} and render._interface_labels == {}


# --- the overlays ------------------------------------------------------------------------------

def flagged_in_page(tab, kind: str) -> list[int]:
    """The line of each flag of ``kind`` marked in the page (once per flag)."""
    return tab.evaluate("""kind => {
        const doc = document.getElementById('page').contentDocument;
        const seen = new Map();
        for (const mark of doc.querySelectorAll(`mark.hp-flag[data-kind="${kind}"]`)) seen.set(mark.dataset.flag, Number(mark.dataset.line));
        return [...seen.values()];
    }""", kind)


@pytest.mark.parametrize("locale", ["en", "mr"])
def test_the_readability_overlay_marks_what_check_reports(shared, tab, locale):
    from pipeline.readability.measure import check_handouts

    server = shared
    config = server.config
    report = check_handouts(config, [SLUG], [locale]).reports[0]  # what `check` computes and prints
    expected = sorted(f.line for f in report.flags if f.kind == "hard_sentence")
    assert expected

    open_preview(tab, server, f"pune/{locale}/{SLUG}.html", "readability")
    tab.wait_for_function("() => document.getElementById('page').contentDocument.querySelector('mark.hp-flag')")
    assert sorted(flagged_in_page(tab, "hard_sentence")) == expected
    assert sorted(flagged_in_page(tab, "passive_voice")) == sorted(
        f.line for f in report.flags if f.kind == "passive_voice")
    panel = tab.locator("#readability-panel")
    lead = "Flesch-Kincaid grade" if locale == "en" else "words per sentence"
    assert lead in panel.locator(".grade").inner_text()
    assert panel.locator(".sections li").count() == len(report.sections)
    first = report.flags[0]
    assert panel.get_by_text(first.where).first.is_visible()
    assert panel.get_by_text(first.message).first.is_visible()
    # the reason and suggestion are on the mark itself too
    title = tab.evaluate("() => document.getElementById('page').contentDocument.querySelector('mark.hp-flag').title")
    assert " → " in title and (".md:" in title or ".po:" in title)


def test_the_overlays_switch_off_and_on_from_the_keyboard(shared, tab):
    server = shared
    open_preview(tab, server, f"pune/en/{SLUG}.html")
    marks = "() => document.getElementById('page').contentDocument.querySelectorAll('mark.hp-flag').length"
    assert tab.evaluate(marks) == 0
    button = tab.locator("#toggle-readability")
    button.focus()
    tab.keyboard.press("Enter")
    tab.wait_for_function(f"() => ({marks})() > 0")
    assert button.get_attribute("aria-pressed") == "true"
    assert "overlay=readability" in tab.url
    tab.frame_locator("#page").locator("a").first.focus()  # the keys work from inside the page too
    tab.keyboard.press("Alt+Shift+R")
    assert button.get_attribute("aria-pressed") == "false"
    tab.wait_for_function(f"() => ({marks})() === 0 && document.getElementById('page').contentDocument.querySelector('h1')")
    time.sleep(0.3)
    assert tab.evaluate(marks) == 0
    assert "overlay=" not in tab.url


def test_the_translation_overlay_shows_a_fuzzy_block_after_a_source_edit(server, project, tab):
    open_preview(tab, server, f"pune/mr/{SLUG}.html", "translation")
    panel = tab.locator("#translation-panel")
    panel.get_by_text("Every block is translated.").wait_for()
    assert "100%" in panel.locator(".grade").inner_text()

    edit(project / "source" / f"{SLUG}.md", "TMS stands for transcranial magnetic stimulation.",
         "TMS is short for transcranial magnetic stimulation.")
    assert run_cli(project, "extract") == 0
    assert run_cli(project, "update") == 0
    badge = tab.frame_locator("#page").locator(".hp-badge.fuzzy")
    badge.wait_for(timeout=5000)
    catalog_line = re.search(rf"{re.escape(CATALOG)}:(\d+)", badge.inner_text())
    assert catalog_line, badge.inner_text()
    lines = (project / CATALOG).read_text(encoding="utf-8").splitlines()
    assert lines[int(catalog_line.group(1)) - 1].startswith("msgid ")
    item = panel.locator("li[data-status=fuzzy]")
    assert item.count() == 1
    assert "TMS stands for transcranial magnetic stimulation." in item.locator(".previous").inner_text()
    counts = panel.locator(".counts").inner_text()
    assert re.search(r"fuzzy\s+1", counts), counts


def test_the_translation_overlay_names_a_block_qa_rejects(server, project, tab):
    open_preview(tab, server, f"pune/mr/{SLUG}.html", "translation")
    edit(project / CATALOG, 'msgstr "TMS उपचारांचा कोर्स कसा असतो"', 'msgstr "TMS उपचारांचा 5 कोर्स कसा असतो"')
    badge = tab.frame_locator("#page").locator(".hp-badge.rejected")
    badge.wait_for(timeout=5000)
    item = tab.locator("#translation-panel li[data-status=rejected]")
    assert re.search(rf"{re.escape(CATALOG)}:\d+", item.inner_text())
    assert item.locator(".why").inner_text()  # QA's message


def run_axe_everywhere(tab) -> list[str]:
    """axe-core on the preview and on the page in its frame, as drawn on."""
    source = web_audit_tool(AXE_JS).read_text(encoding="utf-8")
    problems = []
    for frame in (tab.main_frame, tab.locator("#page").element_handle().content_frame()):
        frame.add_script_tag(content=source)
        result = frame.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], iframes: false})",
            AXE_TAGS)
        problems += [describe_violation(frame.url, "desktop", v) for v in result["violations"]]
    return problems


def test_print_preview_and_axe_with_every_overlay(printing, tab):
    """One server that makes PDFs (they take the longest to start): the print
    preview's pages, then axe-core with every overlay on."""
    check_print_preview(printing, tab)
    check_axe_with_every_overlay(printing, tab)


def check_print_preview(printing, tab) -> None:
    import pikepdf

    server, project = printing, printing.project
    open_preview(tab, server, f"pune/en/{SLUG}.html", "print")
    images = tab.locator("#print-panel .pages img")
    images.first.wait_for()
    pdf = project / "outputs" / f"pune/en/{SLUG}.pdf"
    with pikepdf.open(pdf) as document:
        pages = len(document.pages)
    assert images.count() == pages
    summary = tab.locator("#print-panel").inner_text()
    assert re.search(rf"\b{pages} pages?\b", summary), summary
    if importlib.util.find_spec("pipeline.page_fill"):
        assert re.search(rf"\b{pages} pages?, last page \d+% full", summary), summary
    status, png = get(server, f"/__serve/api/pdf-page?path=pune/en/{SLUG}.pdf&page=1")
    assert status == 200 and png.startswith(b"\x89PNG")
    assert get(server, f"/__serve/api/pdf-page?path=pune/en/{SLUG}.pdf&page={pages + 1}")[0] == 404
    status, body = get(server, f"/pune/en/{SLUG}.pdf")
    assert body == pdf.read_bytes()

    before = pdf.read_bytes()
    edit(project / "source" / f"{SLUG}.md", "You stay awake.", "You stay awake the whole time.")
    wait_until(lambda: pdf.read_bytes() != before, 30)
    assert server.rebuilder.idle.wait(30)
    assert get(server, f"/pune/en/{SLUG}.pdf")[1] == pdf.read_bytes()
    tab.wait_for_function(  # the panel links the fresh PDF, not a cached one
        """generation => document.querySelector("#print-panel a[type='application/pdf']")
                       ?.getAttribute('href').endsWith('?v=' + generation)""",
        arg=server.rebuilder.state.pdf_generation, timeout=SECOND * 1000)


def check_axe_with_every_overlay(printing, tab) -> None:
    """Every overlay on at once: an English page with its PDF's pages, and a Marathi
    page with a fuzzy block and a block QA rejects (its PDF held back)."""
    server = printing
    frame = tab.frame_locator("#page")
    open_preview(tab, server, f"pune/en/{SLUG}.html", "readability,translation,print")
    frame.locator("mark.hp-flag").first.wait_for()
    tab.locator("#print-panel .pages img").first.wait_for()
    problems = run_axe_everywhere(tab)
    open_preview(tab, server, f"pune/mr/{SLUG}.html", "readability,translation,print")
    frame.locator("mark.hp-flag").first.wait_for()
    frame.locator(".hp-badge.fuzzy").first.wait_for()
    frame.locator(".hp-badge.rejected").first.wait_for()
    tab.locator("#print-panel").get_by_text("Not published").first.wait_for()
    problems += run_axe_everywhere(tab)
    assert not problems, "\n".join(problems)


# --- only the outputs --------------------------------------------------------------------------

def test_only_files_of_the_output_folder_are_served(shared, tmp_path):
    server, project = shared, shared.config.root
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    outputs = project / "outputs"
    links = {outputs / "pune" / "out.txt": secret, outputs / "pune" / "up": project,
             outputs / "pune" / "config.html": project / "clinics.yaml"}
    for link, target in links.items():
        link.symlink_to(target)
    try:
        check_refused(server, project, outputs)
    finally:
        for link in links:
            link.unlink()


def check_refused(server, project: Path, outputs: Path) -> None:
    clinics = (project / "clinics.yaml").read_bytes()
    for raw in ["/../clinics.yaml", "/%2e%2e/clinics.yaml", "/%2E%2E%2Fclinics.yaml", "/pune/..%2F..%2Fclinics.yaml",
                "/%252e%252e/clinics.yaml", "/pune/%2e%2e/%2e%2e/clinics.yaml", f"/{project}/clinics.yaml",
                "//etc/passwd", "/%2Fetc%2Fpasswd", "/pune/out.txt", "/pune/up/clinics.yaml", "/pune/config.html",
                "/pune\\..\\..\\clinics.yaml", "/pune/%00.html", "/.build-manifest.json", "/pune",
                "/__serve/static/../../paths.py", "/__serve/static/%2e%2e/paths.py",
                "/__serve/api/pdf-page?path=../clinics.yaml.pdf&page=1",
                "/__serve/api/pdf-page?path=pune/up/x.pdf&page=1",
                "/__serve/api/page?path=../../clinics.yaml&show=print",
                "/__preview/../clinics.yaml", "/__preview/%2e%2e/%2e%2e/etc/passwd"]:
        status, body = get(server, raw)
        assert status == 404, (raw, status)
        assert b"SECRET" not in body and clinics not in body and b"root:" not in body
    for name in os.listdir(outputs):
        if name.startswith("."):
            assert get(server, "/" + name)[0] == 404  # the build's own record and lock
    # requests addressed to another name (a page elsewhere pointing a domain at 127.0.0.1)
    assert get(server, f"/pune/en/{SLUG}.html", host="attacker.example")[0] == 421
    assert get(server, f"/pune/en/{SLUG}.html", host=f"localhost:{server.port}")[0] == 200
    assert get(server, f"/pune/en/{SLUG}.html", method="POST")[0] == 405
    assert server.host == "127.0.0.1"


def test_the_overlays_write_nothing(shared):
    """Asking for every overlay of every page reads only: nothing outside outputs/
    changes (no readability report, no catalog touched), and nothing inside it either."""
    project = shared.config.root

    def files() -> dict:
        return {str(p.relative_to(project)): (p.stat().st_mtime_ns, p.stat().st_size)
                for p in sorted(project.rglob("*")) if p.is_file()}

    before = files()
    for locale in ("en", "mr"):
        status, body = get(shared, f"/__serve/api/page?path=pune/{locale}/{SLUG}.html&show=readability,translation,print")
        data = json.loads(body)
        assert status == 200 and data["readability"]["available"] and data["translation"]["blocks"]
    assert files() == before


def test_safe_file_refuses_what_leaves_the_folder(tmp_path):
    root = tmp_path / "outputs"
    (root / "a").mkdir(parents=True)
    (root / "a" / "page.html").write_text("ok", encoding="utf-8")
    (tmp_path / "outside.html").write_text("no", encoding="utf-8")
    (root / "a" / "link.html").symlink_to(tmp_path / "outside.html")
    (root / "inner").symlink_to(root / "a")  # even a link that stays inside
    assert safe_file(root, "/a/page.html") == root.resolve() / "a" / "page.html"
    assert safe_file(root, "/a/%70age.html").name == "page.html"
    for bad in ["/a/../outside.html", "/a/link.html", "/inner/page.html", "/a", "/a//page.html", "/./a/page.html",
                "/a/%2e%2e/%2e%2e/outside.html", "/C:/x", "/a/page.html%00"]:
        with pytest.raises(Refused):
            safe_file(root, bad)


def test_serve_command_listens_on_loopback_by_default():
    from pipeline import cli

    args = cli.make_parser(["serve"]).parse_args(["serve"])
    assert args.host == "127.0.0.1"
    assert "serve" in cli.COMMAND_MODULES
