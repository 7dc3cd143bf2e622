"""The PDF/UA check: every built PDF passes it, and it fails each PDF broken on purpose.

A small handout-like document is rendered the way the pipeline renders (tagged
PDF/UA-1, footer marked as an artifact) and passes every check; each test then breaks
one thing with pikepdf or WeasyPrint and expects the check for that thing to name the
page and element. So the check cannot pass by finding nothing to look at.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
import pytest

from conftest import ROOT, copy_project, run_pipeline
from pipeline.audit import CHECKS, audit_folder, audit_pdf
from pipeline.config import load_config
from pipeline.render_pdf import finish_pdf

CONFIG = load_config(ROOT / "clinics.yaml")
IMAGE = ROOT / "source" / "images" / "tms-session.svg"
MARATHI_SAMPLE = "what-a-course-of-tms-is-like"

SAMPLE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sample handout</title>
<style>
@page {{ size: A5; margin: 15mm 15mm 20mm; @bottom-right {{ content: "Page " counter(page) " of " counter(pages); }} }}
html {{ font-family: "Noto Sans"; font-size: 11pt; }}
h1, h2 {{ break-after: avoid; }}
</style></head>
<body><main><article>
<h1>Sample handout</h1>
<p>Plain words first. <a href="tel:14416">Call 14416</a>.</p>
<h2>A picture</h2>
<p><img src="{IMAGE.as_uri()}" alt="A person in a chair during a session" width="200"></p>
<h2>A table</h2>
<table><thead><tr><th scope="col">When</th><th scope="col">What</th></tr></thead>
<tbody><tr><td>Week 1</td><td>Five sessions</td></tr></tbody></table>
</article></main></body></html>
"""


def render(html: str, **options) -> bytes:
    from weasyprint import HTML

    from pipeline.render_pdf import _install

    _install()
    options.setdefault("pdf_variant", "pdf/ua-1")
    return HTML(string=html, base_url=str(ROOT) + "/").write_pdf(**options)


@pytest.fixture(scope="module")
def sample_bytes() -> bytes:
    return finish_pdf(render(SAMPLE))


def problems_of(data: bytes, tmp_path: Path, name: str = "sample.pdf", lang: str | None = "en"):
    path = tmp_path / name
    path.write_bytes(data)
    return audit_pdf(path, lang)


def edited(data: bytes, edit) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        edit(pdf)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def structure_elements(pdf: pikepdf.Pdf, tag: str):
    found, pending = [], [pdf.Root.StructTreeRoot.K]
    while pending:
        kid = pending.pop()
        if isinstance(kid, pikepdf.Array):
            pending.extend(kid)
        elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            if kid.S == pikepdf.Name(tag):
                found.append(kid)
            pending.append(kid.get("/K"))
    return found


def checks_failing(problems) -> set[str]:
    return {p.check for p in problems}


# ---------------------------------------------------------------- the built PDFs


def test_every_built_pdf_passes(built):
    paths, problems = audit_folder(built / "outputs", CONFIG.locales)
    english = [p for p in paths if p.parent.name.split("_")[0] == "en"]  # en and en_US
    assert len(english) >= 2 * 5 * 2, "a PDF and a large-print PDF of every handout for both clinics"
    assert not problems, "\n".join(p.format() for p in problems)


@pytest.fixture(scope="module")
def marathi_pdfs(tmp_path_factory) -> Path:
    """Marathi PDFs of one handout in all three editions, published whatever the
    translation's progress so that their script, language and footer are checked now."""
    project = copy_project(tmp_path_factory.mktemp("marathi") / "project")
    config = project / "clinics.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("pdf: 100", "pdf: 0"), encoding="utf-8")
    run_pipeline(project, "build", "-q", "--clinic", "pune", "--locale", "mr", "--article", MARATHI_SAMPLE,
                 "--format", "pdf", "--format", "large-print", "--print-shop", check=True)
    return project


def test_marathi_pdfs_pass_in_every_edition(marathi_pdfs):
    paths, problems = audit_folder(marathi_pdfs / "outputs", CONFIG.locales)
    names = sorted(p.name for p in paths)
    assert names == [f"{MARATHI_SAMPLE}.large-print.pdf", f"{MARATHI_SAMPLE}.pdf", f"{MARATHI_SAMPLE}.print-shop.pdf"]
    assert not problems, "\n".join(p.format() for p in problems)
    with pikepdf.open(paths[0]) as pdf:
        assert str(pdf.Root.Lang) == "mr"


def test_command_passes_on_the_build_and_reports_json(built):
    result = run_pipeline(built, "audit", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["checked"] >= 20 and report["failed"] == 0 and report["problems"] == []
    assert len(report["checks"]) == len(CHECKS)


def test_command_fails_on_a_broken_pdf(sample_bytes, tmp_path):
    project = copy_project(tmp_path / "project")
    broken = project / "outputs" / "pune" / "mr" / "sample.pdf"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(sample_bytes)  # declares English, but sits in the Marathi folder
    text = run_pipeline(project, "audit")
    assert text.returncode == 1
    assert "outputs/pune/mr/sample.pdf: document: Catalog Lang: is 'en', but this PDF is in 'mr'" in text.stdout
    assert "1 PDF(s) checked, 0 passed, 1 failed" in text.stdout
    report = json.loads(run_pipeline(project, "audit", "--format", "json").stdout)
    assert report["failed"] == 1 and report["problems"][0]["check"] == "language"


def test_command_with_nothing_to_check_says_so(tmp_path):
    project = copy_project(tmp_path / "project")
    result = run_pipeline(project, "audit")
    assert result.returncode == 2 and "no PDFs to check" in result.stderr


# ---------------------------------------------------------------- broken on purpose


def test_the_sample_passes(sample_bytes, tmp_path):
    assert problems_of(sample_bytes, tmp_path) == []


def test_untagged_pdf_fails(tmp_path):
    problems = problems_of(render(SAMPLE, pdf_variant=None), tmp_path)
    assert "structure-tree" in checks_failing(problems)
    assert any(p.element == "Catalog" and "not tagged" in p.message for p in problems)
    assert "title" in checks_failing(problems)  # no DisplayDocTitle, no PDF/UA identification


def test_missing_display_doc_title_fails(sample_bytes, tmp_path):
    data = edited(sample_bytes, lambda pdf: pdf.Root.ViewerPreferences.__delitem__("/DisplayDocTitle"))
    problems = problems_of(data, tmp_path)
    assert [(p.check, p.element) for p in problems] == [("title", "Catalog ViewerPreferences")]


def test_missing_or_wrong_language_fails(sample_bytes, tmp_path):
    problems = problems_of(edited(sample_bytes, lambda pdf: pdf.Root.__delitem__("/Lang")), tmp_path)
    assert [(p.check, p.element) for p in problems] == [("language", "Catalog Lang")]
    wrong = problems_of(sample_bytes, tmp_path, lang="mr")
    assert [p.message for p in wrong] == ["is 'en', but this PDF is in 'mr'"]


def test_figure_without_alt_fails(sample_bytes, tmp_path):
    def drop_alt(pdf):
        for figure in structure_elements(pdf, "/Figure"):
            del figure["/Alt"]

    problems = problems_of(edited(sample_bytes, drop_alt), tmp_path)
    assert [(p.check, p.page, p.element.split(" ")[0]) for p in problems] == [("figures", 1, "Figure")]


def test_link_without_description_fails(sample_bytes, tmp_path):
    def drop_contents(pdf):
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", ()):
                del annotation["/Contents"]

    problems = problems_of(edited(sample_bytes, drop_contents), tmp_path)
    assert [(p.check, p.page, p.element, p.message) for p in problems] == [
        ("links", 1, "Link annotation to tel:14416", "no description (Contents)")]


def test_font_without_tounicode_fails(sample_bytes, tmp_path):
    def drop_tounicode(pdf):
        for font in pdf.pages[0].Resources.Font.values():
            del font["/ToUnicode"]

    problems = problems_of(edited(sample_bytes, drop_tounicode), tmp_path)
    assert problems and checks_failing(problems) == {"fonts"}
    assert all(p.page == 1 and p.element.startswith("font ") and "ToUnicode" in p.message for p in problems)


def test_unembedded_font_fails(sample_bytes, tmp_path):
    def unembed(pdf):
        font = next(iter(pdf.pages[0].Resources.Font.values()))
        descriptor = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
        for key in ("/FontFile", "/FontFile2", "/FontFile3"):
            if key in descriptor:
                del descriptor[key]

    problems = problems_of(edited(sample_bytes, unembed), tmp_path)
    assert [(p.check, p.message) for p in problems] == [("fonts", "not embedded")]


def test_footer_in_no_structure_element_fails(tmp_path):
    """WeasyPrint's own output: margin-box text tagged but outside the tree."""
    problems = problems_of(render(SAMPLE), tmp_path)
    assert problems and checks_failing(problems) == {"artifacts"}
    assert all(p.page >= 1 and p.element.startswith("marked content") for p in problems)


def test_untagged_content_fails(sample_bytes, tmp_path):
    def strip_marks(pdf):
        page = pdf.pages[0]
        kept = [(operands, op) for operands, op in pikepdf.parse_content_stream(page)
                if str(op) not in ("BDC", "BMC", "EMC")]
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(kept))

    problems = problems_of(edited(sample_bytes, strip_marks), tmp_path)
    assert any(p.check == "artifacts" and p.page == 1 and "neither tagged" in p.message for p in problems)


def test_headings_out_of_order_fail(tmp_path):
    html = SAMPLE.replace("<h2>A picture</h2>", "<h4>A picture</h4>")
    problems = problems_of(finish_pdf(render(html)), tmp_path)
    assert [(p.check, p.page, p.message) for p in problems] == [("headings", 1, "skips a level: H4 after H1")]
    assert problems[0].element.startswith("H4 element #")


def test_table_without_headers_fails(tmp_path):
    html = SAMPLE.replace('<th scope="col">', "<td>").replace("</th>", "</td>")
    problems = problems_of(finish_pdf(render(html)), tmp_path)
    assert [(p.check, p.message) for p in problems] == [("tables", "no header cells (TH)")]


def test_heading_alone_at_the_bottom_of_a_page_fails(tmp_path):
    html = SAMPLE.replace("<h2>A picture</h2>", '<h2 style="break-after: page">A picture</h2>')
    data = finish_pdf(render(html))
    problems = problems_of(data, tmp_path)
    assert [(p.check, p.page, p.message) for p in problems] == [
        ("page-breaks", 1, "alone at the bottom of the page: its text starts on page 2")]
    assert problems[0].element.startswith("H2 element #")


def test_unreadable_file_is_a_problem(tmp_path):
    problems = problems_of(b"not a PDF", tmp_path)
    assert [(p.check, p.page) for p in problems] == [("file", 0)]
