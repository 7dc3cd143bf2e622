"""Word fidelity of PDF text layers: how many source words come out exactly.

A source word is a whitespace-separated token of the source text with
punctuation trimmed from its ends. Fidelity is the share of source words
(counted with repeats) that appear among the words pdftotext (poppler), pypdf
and PDFium (pypdfium2, Chromium's PDF engine) extract from the PDF; "backwards"
counts extracted words that are a source word spelt last letter first (the
mark of a right-to-left text layer in the wrong order) and "surplus" the extracted
words beyond those printed (a word read twice, or split in pieces). Each page is rendered
twice, each time in a fresh process: with WeasyPrint alone and with
``pipeline.pdf_text.install()``.

    python bench/pdf_word_fidelity.py                       # the test fixtures
    python bench/pdf_word_fidelity.py page.html page.txt    # your own page
    python bench/pdf_word_fidelity.py --pdf out.pdf page.txt  # a PDF as it is
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "pdf_text"
PUNCTUATION = ".,;:!?।॥۔؟،()[]\"'“”‘’—–-"


# Direction marks and embeddings that pdftotext puts around right-to-left lines and
# the left-to-right runs in them: formatting, not letters of any word.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), " ")


def words(text: str) -> list[str]:
    """The words of a text, punctuation trimmed from their ends."""
    trimmed = (token.strip(PUNCTUATION) for token in text.translate(BIDI_CONTROLS).split())
    return [word for word in trimmed if word]


def fidelity(source: str, extracted: str) -> tuple[float, list[str]]:
    """Share of source words found in the extracted text, and those missing."""
    wanted, found = Counter(words(source)), Counter(words(extracted))
    missing = wanted - found
    return 1 - sum(missing.values()) / sum(wanted.values()), sorted(missing)


def real_word_share(source: str, extracted: str) -> float | None:
    """For Arabic-script pages: the share of extracted Arabic-script tokens that are
    words of the source (how the Urdu engines were first compared); None otherwise."""
    arabic = [word for word in words(extracted) if any("\u0600" <= c <= "\u06ff" for c in word)]
    if not arabic:
        return None
    known = set(words(source))
    return sum(word in known for word in arabic) / len(arabic)


def pdftotext(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        check=True, capture_output=True, text=True).stdout


def pypdf_text(pdf: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def pdfium_text(pdf: Path) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


READERS = {"pdftotext": pdftotext, "pypdf": pypdf_text, "pdfium": pdfium_text}


def surplus(source: str, extracted: str) -> int:
    """Extracted words beyond those printed: a word given twice, or a piece of one."""
    return sum((Counter(words(extracted)) - Counter(words(source))).values())


def backwards(source: str, extracted: str) -> int:
    """Extracted words that are a source word read last letter first."""
    known = set(words(source))
    return sum(word not in known and word[::-1] in known for word in words(extracted))


def render(html: Path, pdf: Path, fixed: bool) -> None:
    """Render ``html`` to ``pdf`` in a fresh process (install() patches WeasyPrint)."""
    subprocess.run(
        [sys.executable, __file__, "--render", str(html), str(pdf),
         "--fixed" if fixed else "--unfixed"],
        check=True, cwd=ROOT)


def _render_here(html: str, pdf: str, fixed: bool) -> None:
    sys.path.insert(0, str(ROOT))
    import weasyprint

    if fixed:
        from pipeline import pdf_text

        pdf_text.install()
    weasyprint.HTML(filename=html).write_pdf(pdf, pdf_variant="pdf/ua-1")


def report(name: str, pdf: Path, source: str) -> None:
    for tool, read in READERS.items():
        text = read(pdf)
        share, missing = fidelity(source, text)
        shown = " ".join(missing[:8]) + (" …" if len(missing) > 8 else "")
        real = real_word_share(source, text)
        real = f"  (Arabic-script tokens that are real words: {real:.1%})" if real is not None else ""
        print(f"  {name:<16} {tool:<10} {share:7.1%}  backwards {backwards(source, text):3}"
              f"  surplus {surplus(source, text):3}  {shown}{real}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", nargs="?", type=Path, help="page to render")
    parser.add_argument("text", nargs="?", type=Path, help="its source text")
    parser.add_argument("--pdf", type=Path, help="measure this PDF as it is")
    parser.add_argument("--render", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--fixed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--unfixed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.render:
        _render_here(*args.render, fixed=args.fixed)
        return 0
    if args.pdf:
        source_path = args.text or args.html
        if source_path is None:
            parser.error("--pdf needs the source text file")
        print(args.pdf)
        report("as is", args.pdf, source_path.read_text(encoding="utf-8"))
        return 0
    if args.html and not args.text:
        parser.error("give the page's source text after the HTML file")
    pages = [(args.html, args.text)] if args.html else [
        (html, html.with_suffix(".txt")) for html in sorted(FIXTURES.glob("*.html"))
        if html.with_suffix(".txt").exists()]

    with tempfile.TemporaryDirectory() as directory:
        for html, text in pages:
            source = text.read_text(encoding="utf-8")
            print(f"{html.name} ({len(words(source))} source words)")
            for fixed, name in ((False, "WeasyPrint"), (True, "with pdf_text")):
                pdf = Path(directory) / f"{html.stem}-{int(fixed)}.pdf"
                render(html, pdf, fixed)
                report(name, pdf, source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
