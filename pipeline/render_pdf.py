"""Turn a handout's HTML page into a print-ready, tagged PDF (PDF/UA-1) with WeasyPrint.

WeasyPrint only logs some accessibility errors (a missing ``lang`` or ``alt``); here
they fail the render. It may read only the project's own files: no network, nothing
outside the allowed folders.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.errors import BuildError
from pipeline.model import Clinic, Locale, localized
from pipeline.render_html import STATIC_DIR, localize_digits

PAPER = {"A4": "A4", "Letter": "letter"}
COUNTER_STYLE = {"latin": "decimal", "devanagari": "devanagari"}

_installed = False


def _install() -> None:
    """Load WeasyPrint once per process, with the text-layer fix for Devanagari."""
    global _installed
    if _installed:
        return
    try:
        from pipeline import pdf_text
    except ImportError:  # pragma: no cover - the fix ships with the package
        pdf_text = None
    if pdf_text is not None:
        pdf_text.install()
    _installed = True


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_css(clinic: Clinic, locale: Locale, page_label: str, large_print: bool = False) -> str:
    """The @page rules: the clinic's paper, margins, and a footer with the clinic's
    name, crisis line and "page X of Y" in the locale's words and digits."""
    clinic_name = localized(clinic.name, locale.code)[0]
    crisis = localized(clinic.crisis_line.name, locale.code)[0]
    footer_left = f"{clinic_name} · {crisis} {localize_digits(clinic.crisis_line.number, locale)}"
    style = COUNTER_STYLE[locale.digits]
    before, _, rest = page_label.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    page_content = (f"{_css_string(before)} counter(page, {style}) {_css_string(middle)} "
                    f"counter(pages, {style}) {_css_string(after)}")
    body_size = "18pt" if large_print else "14pt"
    return f"""
@page {{
  size: {PAPER[clinic.paper]};
  margin: 18mm 18mm 24mm 18mm;
  @bottom-left {{
    content: {_css_string(footer_left)};
    font-family: "Noto Sans", "Noto Sans Devanagari", sans-serif;
    font-size: 9.5pt;
    color: #333333;
    vertical-align: top;
    padding-top: 4mm;
  }}
  @bottom-right {{
    content: {page_content};
    font-family: "Noto Sans", "Noto Sans Devanagari", sans-serif;
    font-size: 9.5pt;
    color: #333333;
    vertical-align: top;
    padding-top: 4mm;
  }}
}}
html {{ font-size: {body_size}; }}
"""


class _AccessibilityLog(logging.Handler):
    """Collects the errors WeasyPrint logs instead of raising."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def make_url_fetcher(allowed_roots: list[Path]):
    """A WeasyPrint URL fetcher that serves only files under ``allowed_roots``."""
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    roots = [root.resolve() for root in allowed_roots]

    class ProjectFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme != "file":
                raise FatalURLFetchingError(f"refused to fetch {url}: only the project's own files may be loaded")
            path = Path(unquote(parsed.path)).resolve()
            if not any(path.is_relative_to(root) for root in roots):
                raise FatalURLFetchingError(f"refused to read {path}: it is outside the project's asset folders")
            return super().fetch(url, headers)

    return ProjectFilesOnly(allowed_protocols={"file"}, allow_redirects=False)


def render_pdf(html: str, *, base_dir: Path, clinic: Clinic, locale: Locale, page_label: str,
               allowed_roots: list[Path], large_print: bool = False, label: str = "") -> bytes:
    """Render ``html`` (the print form of a handout page) to PDF bytes."""
    _install()
    from weasyprint import CSS, HTML
    from weasyprint.urls import FatalURLFetchingError

    fetcher = make_url_fetcher(allowed_roots)
    log = _AccessibilityLog()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(log)
    try:
        document = HTML(string=html, base_url=str(base_dir.resolve()) + "/", url_fetcher=fetcher)
        stylesheets = [
            CSS(filename=str(STATIC_DIR / "handout.css"), url_fetcher=fetcher),
            CSS(string=page_css(clinic, locale, page_label, large_print), url_fetcher=fetcher),
        ]
        pdf = document.write_pdf(stylesheets=stylesheets, pdf_variant="pdf/ua-1",
                                 uncompressed_pdf=False)
    except FatalURLFetchingError as err:
        raise BuildError(f"{label}: {err}") from None
    finally:
        logger.removeHandler(log)
    if log.messages:
        raise BuildError(f"{label}: the PDF would not be accessible: " + "; ".join(log.messages))
    return pdf
