"""Links in PDFs: every relative link is read against the page's own address on the
site (clinic/locale/slug.html) and written into the PDF relative to it, inside the
output folder; nothing names a file of the build machine or another computer, so
two checkouts in different folders print the same bytes."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from conftest import copy_project, render_handout_pdf
from pipeline.audit import audit_pdf
from pipeline.config import load_config
from pipeline.errors import InputError
from pipeline.render_pdf import site_link

SLUG = "what-a-course-of-tms-is-like"  # the handout render_handout_pdf renders by default

LINKS = (
    "See [the other handout](why-antidepressants-may-not-work.html), "
    f"[this handout in Marathi](../mr/{SLUG}.html#main), [a file](../../../../../etc/passwd), "
    "[a folder](sub/folder/) and [the web](https://example.org/a?b=c)."
)
EXPECTED = {
    "why-antidepressants-may-not-work.html",
    f"../mr/{SLUG}.html#main",
    "../../etc/passwd",  # outputs/etc/passwd: inside the output folder, whatever the dots said
    "sub/folder/",
    "https://example.org/a?b=c",
}


def link_targets(path: Path) -> set[str]:
    found = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", ()):
                action = annotation.get("/A")
                if isinstance(action, pikepdf.Dictionary) and "/URI" in action:
                    found.add(str(action.URI))
    return found


def with_links(folder: Path) -> Path:
    project = copy_project(folder)
    source = project / "source" / f"{SLUG}.md"
    source.write_text(source.read_text(encoding="utf-8") + "\n" + LINKS + "\n", encoding="utf-8")
    return project


def test_relative_links_are_site_links_and_checkouts_print_the_same_bytes(tmp_path):
    first = with_links(tmp_path / "checkout")
    second = with_links(tmp_path / "somewhere" / "else" / "entirely")
    _, one = render_handout_pdf(first, "pune", "en", out=tmp_path)
    two_folder = tmp_path / "second"
    two_folder.mkdir()
    _, two = render_handout_pdf(second, "pune", "en", out=two_folder)
    targets = link_targets(one)
    assert EXPECTED <= targets, targets
    config = load_config(first / "clinics.yaml")
    clinic = config.clinics["pune"]
    assert all(t.startswith(("tel:", "mailto:")) for t in targets - EXPECTED), targets
    assert f"mailto:{clinic.email}" in targets
    data = one.read_bytes()
    assert b"file:" not in data and str(tmp_path).encode() not in data
    assert data == two.read_bytes()
    assert audit_pdf(one, "en") == []  # each link described and in the structure tree


@pytest.mark.parametrize("href, expected", [
    ("other.html", "other.html"),
    ("../../../../etc/passwd", "../../etc/passwd"),
    ("/pune/mr/other.html", "../mr/other.html"),
    ("#section", "#section"),
    ("https://example.org/", "https://example.org/"),
    ("tel:+9114416", "tel:+9114416"),
    ("file:///etc/passwd", None),
    ("FILE:/etc/passwd", None),
    ("//host/share", None),
    ("\\\\host\\share", None),
    ("/\t/host/share", None),
    ("javascript:alert(1)", None),
    ("smb://host/share", None),
])
def test_site_link(href, expected):
    assert site_link(href, f"pune/en/{SLUG}.html") == expected


def test_links_no_pdf_may_hold_are_dropped(tmp_path):
    """The renderer's own guard, for HTML that did not come through the sanitiser."""
    from pipeline.render_html import STATIC_DIR
    from pipeline.render_pdf import render_pdf

    config = load_config(copy_project(tmp_path / "project") / "clinics.yaml")
    hrefs = ["file:///etc/passwd", "//host/share", "\\\\host\\share", "javascript:alert(1)", "../x.html"]
    links = "".join(f'<p><a href="{href}">link {n}</a></p>' for n, href in enumerate(hrefs))
    html = f'<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>{links}</main></body></html>'
    pdf = tmp_path / "links.pdf"
    pdf.write_bytes(render_pdf(html, base_dir=config.source_dir, clinic=config.clinics["pune"],
                               locale=config.locales["en"], page_url="pune/en/page.html",
                               allowed_roots=[config.source_dir, STATIC_DIR], label="test"))
    assert link_targets(pdf) == {"../x.html"}


@pytest.mark.parametrize("link", ["//host/share/file.html", "file:///etc/passwd", "FILE://host/share"])
def test_file_and_scheme_relative_links_are_refused_in_handouts_at_their_line(tmp_path, link):
    from pipeline.sources import load_article

    project = copy_project(tmp_path / "project")
    source = project / "source" / f"{SLUG}.md"
    lines = source.read_text(encoding="utf-8").splitlines()
    lines.append("")
    lines.append(f"A [shared file]({link}) here.")
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_article(source)
    assert caught.value.line == len(lines), caught.value.format()


@pytest.mark.parametrize("link", ["//host/share/file.html", "file:///etc/passwd"])
def test_file_and_scheme_relative_links_are_qa_errors_in_translations(link):
    from pipeline.qa import Entry, safe_markup

    entry = Entry(source="A [shared file](other.html) here.", translation=f"एक [फाइल]({link}) इथे.",
                  path="locales/mr/LC_MESSAGES/x.po", line=12, locale="mr", source_language="en")
    problems = list(safe_markup(entry))
    assert problems and all(p.line == 12 and p.severity == "error" for p in problems)
