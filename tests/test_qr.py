"""The QR code on every PDF: decoded from the printed page (``pdftoppm -r 150`` and
zbar's ``zbarimg``) it is the address of the same handout's page in the same language;
the address is printed beside it; it is a figure whose alternative text is in the
locale's words; a clinic without ``public_url`` prints none, and a bad one is refused
at its line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest

from conftest import copy_project, pdftotext
from pipeline.config import load_config
from pipeline.errors import InputError
from pipeline.formats import pair_of
from pipeline.qr import check_public_url, handout_url
from pipeline.translate import InterfaceText

ALT = "Scan to open this handout on your phone"

def decoded(path: Path, page: int) -> list[str]:
    """Every QR code zbarimg reads on one page of ``path`` rendered at 150 dpi."""
    image = subprocess.run(["pdftoppm", "-r", "150", "-gray", "-f", str(page), "-l", str(page), str(path)],
                           capture_output=True, check=True).stdout
    result = subprocess.run(["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", "-"], input=image,
                            capture_output=True)
    return result.stdout.decode("utf-8").split()


# pdftotext marks right-to-left lines (Urdu) with these bidi controls
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def flat(text: str) -> str:
    """Text with its line breaks, spaces and bidi controls taken out."""
    return "".join(text.translate(BIDI_CONTROLS).split())


def figures(path: Path) -> list[str]:
    """The alternative text of every /Figure in the structure tree."""
    found = []
    with pikepdf.open(path) as pdf:
        pending = [pdf.Root.StructTreeRoot.get("/K")]
        while pending:
            node = pending.pop()
            if isinstance(node, pikepdf.Array):
                pending.extend(node)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                if node.S == pikepdf.Name.Figure:
                    found.append(str(node.get("/Alt", "")))
                pending.append(node.get("/K"))
    return found


def test_every_pdf_of_every_locale_opens_its_own_page(built):
    config = load_config(built / "clinics.yaml")
    checked = set()
    for clinic_id, clinic in config.clinics.items():
        assert clinic.public_url.startswith("https://"), f"{clinic_id} sets no public_url: no QR code is printed"
        for code in clinic.locales:
            alt = InterfaceText(config, code).gettext(ALT)
            for path in sorted((built / "outputs" / clinic_id / code).glob("*.pdf")):
                slug, edition = path.name.split(".")[0], path.name.split(".")[1]
                # a bilingual edition (slug.en+mr.pdf) has the help box of each language side by side
                languages = pair_of(edition) or (code,)
                urls = sorted(handout_url(clinic.public_url, language, slug) for language in languages)
                with pikepdf.open(path) as pdf:
                    pages = len(pdf.pages)
                # the page that prints the address (the help box); every other page has no code
                printed = [page for page in range(1, pages + 1)
                           if urls[0] in flat(pdftotext(path, "-f", str(page), "-l", str(page)))]
                assert len(printed) == 1, f"{path.relative_to(built)}: the address is printed on pages {printed}"
                assert all(url in flat(pdftotext(path, "-f", str(printed[0]), "-l", str(printed[0]))) for url in urls)
                found = sorted(decoded(path, printed[0]))
                assert found == urls, f"{path.relative_to(built)}: decoded {found}, expected {urls}"
                assert alt in figures(path), f"{path.relative_to(built)}: no figure described as {alt!r}"
                checked.add((clinic_id, code))
    assert {("pune", "en"), ("pune", "mr"), ("springfield", "en_US")} <= checked


def test_the_alternative_text_is_in_marathi(built):
    assert "हे पत्रक तुमच्या फोनवर उघडण्यासाठी स्कॅन करा" in figures(
        built / "outputs" / "pune" / "mr" / "what-a-course-of-tms-is-like.pdf")


def test_public_url_must_be_https_and_is_reported_at_its_line(tmp_path):
    project = copy_project(tmp_path / "project")
    config = project / "clinics.yaml"
    text = config.read_text(encoding="utf-8")
    lines = text.splitlines()
    line = next(n for n, l in enumerate(lines, 1) if "public_url: https://clinic.example/handouts/" in l)
    config.write_text(text.replace("public_url: https://clinic.example/handouts/",
                                   "public_url: http://clinic.example/handouts/"), encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_config(config)
    assert error.value.line == line and "https://" in error.value.message


@pytest.mark.parametrize("value", ["ftp://x.example/", "https://", "https://a.example/?q=1", "https://a b.example/",
                                   "javascript:alert(1)", "https://user:pw@a.example/"])
def test_bad_public_urls_are_refused(value):
    with pytest.raises(InputError):
        check_public_url(Path("clinics.yaml"), 3, value)


def test_public_url_ends_in_a_slash_and_absent_means_no_code():
    assert check_public_url(Path("c.yaml"), 1, "https://a.example/h") == "https://a.example/h/"
    assert check_public_url(Path("c.yaml"), 1, "") == ""
    assert handout_url("https://a.example/h/", "en_US", "x") == "https://a.example/h/en_US/x.html"


def test_no_public_url_no_code(tmp_path):
    from pipeline.publish import load_publication
    from pipeline.render_html import render_page
    from pipeline.sources import load_article

    project = copy_project(tmp_path / "project")
    config_path = project / "clinics.yaml"
    config_path.write_text("\n".join(l for l in config_path.read_text(encoding="utf-8").splitlines()
                                     if "public_url:" not in l) + "\n", encoding="utf-8")
    config = load_config(config_path)
    clinic, locale = config.clinics["pune"], config.locales["en"]
    article = load_article(project / "source" / "what-a-course-of-tms-is-like.md")
    html = render_page(config, article, load_publication(config, article, clinic, locale), clinic, locale,
                       for_print=True)
    assert "qr-code" not in html and "data:image" not in html
