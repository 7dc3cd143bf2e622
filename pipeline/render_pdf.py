"""Turn a handout's HTML page into a print-ready, tagged PDF (PDF/UA-1) with WeasyPrint.

WeasyPrint only logs some accessibility errors (a missing ``lang`` or ``alt``); here
they fail the render. It may read only the project's own files: no network, nothing
outside the allowed folders. Three editions share one path: the standard PDF, the
large-print PDF (18 pt and more, for patients with low vision) and the print-shop
PDF (3 mm bleed and crop marks).
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pikepdf

from pipeline.errors import BuildError
from pipeline.interface import CALL_NUMBER, EMAIL_ADDRESS
from pipeline.model import Clinic, Locale, localized
from pipeline.render_html import STATIC_DIR, localize_digits, tel_target

PAPER = {"A4": "A4", "Letter": "letter"}
COUNTER_STYLE = {"latin": "decimal", "devanagari": "devanagari"}
LARGE_PRINT_CSS = STATIC_DIR / "large-print.css"
BLEED = "3mm"
# The running footer sits in the bottom margin, which large print makes taller.
BOTTOM_MARGIN_MM = {False: 24, True: 34}  # keyed by large_print

_installed = False
_font_config = None  # one per process: fonts are found, opened and measured once
_static_css: dict = {}  # parsed stylesheet files, by path


def _install() -> None:
    """Load WeasyPrint once per process, with the text-layer fix for Devanagari."""
    global _installed, _font_config
    if _installed:
        return
    from weasyprint.text.fonts import FontConfiguration

    from pipeline import pdf_text

    pdf_text.install()
    _font_config = FontConfiguration()
    _installed = True


def _stylesheet(path: Path, fetcher):
    """A stylesheet file parsed once per process (the shipped files hold no URLs)."""
    from weasyprint import CSS

    if path not in _static_css:
        _static_css[path] = CSS(filename=str(path), url_fetcher=fetcher, font_config=_font_config)
    return _static_css[path]


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_css(clinic: Clinic, locale: Locale, page_label: str, large_print: bool = False,
             print_shop: bool = False) -> str:
    """The @page rules: the clinic's paper, margins, and a footer with the clinic's
    name, crisis line and "page X of Y" in the locale's words and digits. For a print
    shop, a bleed around the trimmed page and crop marks in it."""
    clinic_name = localized(clinic.name, locale.code)[0]
    crisis = localized(clinic.crisis_line.name, locale.code)[0]
    footer_left = f"{clinic_name} · {crisis} {localize_digits(clinic.crisis_line.number, locale)}"
    style = COUNTER_STYLE[locale.digits]
    before, _, rest = page_label.partition("{page}")
    middle, _, after = rest.partition("{pages}")
    page_content = (f"{_css_string(before)} counter(page, {style}) {_css_string(middle)} "
                    f"counter(pages, {style}) {_css_string(after)}")
    body_size = "18pt" if large_print else "14pt"
    footer_size = "18pt" if large_print else "9.5pt"
    bottom_margin = f"{BOTTOM_MARGIN_MM[large_print]}mm"
    # The footer speaks the page's language: Devanagari fonts first for Marathi.
    fonts = ('"Noto Sans Devanagari", "Noto Sans", sans-serif' if locale.script == "Deva"
             else '"Noto Sans", "Noto Sans Devanagari", sans-serif')
    print_shop_rules = f"bleed: {BLEED};\n  marks: crop;" if print_shop else ""
    return f"""
@page {{
  size: {PAPER[clinic.paper]};
  margin: 18mm 18mm {bottom_margin} 18mm;
  {print_shop_rules}
  @bottom-left {{
    content: {_css_string(footer_left)};
    font-family: {fonts};
    font-size: {footer_size};
    color: #333333;
    vertical-align: top;
    padding-top: 4mm;
  }}
  @bottom-right {{
    content: {page_content};
    font-family: {fonts};
    font-size: {footer_size};
    color: #333333;
    vertical-align: top;
    text-align: right;
    white-space: nowrap;
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
    """A WeasyPrint URL fetcher that serves only regular files under ``allowed_roots``
    (no network, no pipe, nothing a link leads to elsewhere), and images only in the
    form the web page publishes them (``security.checked_image``: an SVG serialised
    from its checked tree, a picture whose pixels fit the budget). A refused image
    stops the PDF with an ``InputError`` at the image."""
    # loaded with the first PDF (see _install)
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    roots = [root.resolve() for root in allowed_roots]

    class RefusedFile(FatalURLFetchingError):
        """Stops the rendering; ``error`` is the ``InputError`` at the file when the
        file itself is at fault."""

        def __init__(self, message: str, error: InputError | None = None):
            super().__init__(message)
            self.error = error

    class ProjectFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
                raise RefusedFile(f"refused to fetch {url}: only the project's own files may be loaded")
            path = Path(os.path.normpath(unquote(parsed.path)))
            root = next((root for root in roots if path.is_relative_to(root)), None)
            if root is None:
                raise RefusedFile(f"refused to read {path}: it is outside the project's asset folders")
            try:
                if path.suffix.lower() in security.IMAGE_SUFFIXES:
                    image = security.checked_image(path, root)
                    data, media_type = image.data, image.media_type
                else:
                    data = read_project_file(path, root, MAX_FETCHED_BYTES)
                    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            except FileNotFoundError:
                raise RefusedFile(f"refused to read {path}: it does not exist") from None
            except InputError as err:
                raise RefusedFile(err.format(), err) from None
            return URLFetcherResponse(url, body=data, headers={"Content-Type": media_type})

    return ProjectFilesOnly(allowed_protocols={"file"}, allow_redirects=False)


MAX_FETCHED_BYTES = 20_000_000  # a stylesheet; images have their own limits


def render_pdf(html: str, *, base_dir: Path, clinic: Clinic, locale: Locale, page_label: str,
               allowed_roots: list[Path], large_print: bool = False, print_shop: bool = False,
               label: str = "", call_label: str = CALL_NUMBER, email_label: str = EMAIL_ADDRESS) -> bytes:
    """Render ``html`` (the print form of a handout page) to PDF bytes.

    ``page_label`` ("Page {page} of {pages}"), ``call_label`` and ``email_label`` (what a
    screen reader says for a phone or email link) are in the locale's language."""
    _install()
    from weasyprint import CSS, HTML
    from weasyprint.urls import FatalURLFetchingError

    fetcher = make_url_fetcher(allowed_roots)
    log = _AccessibilityLog()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(log)
    try:
        document = HTML(string=html, base_url=str(base_dir.resolve()) + "/", url_fetcher=fetcher)
        stylesheets = [_stylesheet(STATIC_DIR / "handout.css", fetcher)]
        if large_print:
            stylesheets.append(_stylesheet(LARGE_PRINT_CSS, fetcher))
        stylesheets.append(CSS(string=page_css(clinic, locale, page_label, large_print, print_shop),
                               url_fetcher=fetcher, font_config=_font_config))
        pdf = document.write_pdf(stylesheets=stylesheets, pdf_variant="pdf/ua-1",
                                 uncompressed_pdf=False, font_config=_font_config)
    except FatalURLFetchingError as err:
        if getattr(err, "error", None) is not None:  # an image that may not be published, at the image
            raise err.error from None
        raise BuildError(f"{label}: {err}") from None
    finally:
        logger.removeHandler(log)
    if log.messages:
        raise BuildError(f"{label}: the PDF would not be accessible: " + "; ".join(log.messages))
    numbers = [clinic.phone, clinic.crisis_line.number, clinic.emergency_number]
    links = {tel_target(n): call_label.format(number=localize_digits(n, locale)) for n in numbers}
    if clinic.email:
        links[f"mailto:{clinic.email}"] = email_label.format(address=clinic.email)
    return finish_pdf(pdf, links)


def finish_pdf(pdf_bytes: bytes, links: dict[str, str] | None = None) -> bytes:
    """What WeasyPrint leaves undone: the running footer marked as a pagination
    artifact, and the clinic's phone and email links described in words (``links``:
    target to description) instead of by their raw target."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        changed = _mark_page_furniture(pdf)
        changed = _describe_links(pdf, links or {}) or changed
        if not changed:
            return pdf_bytes
        out = io.BytesIO()
        pdf.save(out, compress_streams=True, deterministic_id=True)
        return out.getvalue()


def _describe_links(pdf: pikepdf.Pdf, descriptions: dict[str, str]) -> bool:
    """WeasyPrint describes every link by its target, so a screen reader says
    "tel colon 14416"; a phone link is described as "Call 14416" instead."""
    changed = False
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", ()):
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if isinstance(action, pikepdf.Dictionary) else ""
            if annotation.get("/Subtype") == pikepdf.Name.Link and uri in descriptions:
                annotation.Contents = pikepdf.String(descriptions[uri])
                changed = True
    return changed


def _mark_page_furniture(pdf: pikepdf.Pdf) -> bool:
    """Mark the running footer as a pagination artifact.

    WeasyPrint tags the text of page-margin boxes but leaves its structure elements
    out of the tree (PDF 1.7 has no place for them there). Content tagged but in no
    element of the tree is neither real content nor an artifact, which PDF/UA
    forbids; screen readers may read the footer in the middle of a sentence. Here
    that content becomes ``/Artifact <</Type /Pagination>>`` and leaves the parent tree.
    """
    root = pdf.Root.get("/StructTreeRoot")
    if not isinstance(root, pikepdf.Dictionary) or "/ParentTree" not in root:
        return False
    reachable = _structure_elements(root)
    parent_tree = _number_tree(root.ParentTree)
    changed = False
    for page in pdf.pages:
        if "/StructParents" not in page.obj:
            continue
        mapping = parent_tree.get(int(page.obj.StructParents))
        if not isinstance(mapping, pikepdf.Array):
            continue
        orphans = {mcid for mcid, element in enumerate(mapping)
                   if isinstance(element, pikepdf.Dictionary) and element.objgen not in reachable}
        if not orphans:
            continue
        contents = page.obj.get("/Contents")
        if not isinstance(contents, pikepdf.Stream):
            continue  # WeasyPrint writes one content stream per page
        # Rewriting the few BDC operators in the bytes costs a fifth of parsing and
        # writing back every operator of the page (25 ms a PDF, a tenth of its render).
        found = set()

        def artifact(match: re.Match) -> bytes:
            mcid = int(match.group(2))
            if mcid not in orphans:
                return match.group(0)
            found.add(mcid)
            return b"/Artifact <</Type /Pagination>> BDC"

        contents.write(_TAGGED_CONTENT.sub(artifact, contents.read_bytes()))
        for mcid in found:
            mapping[mcid] = None
        changed = True
    return changed


# A marked-content sequence tied to the structure tree, as WeasyPrint writes it:
# ``/Span <</MCID 3>> BDC``. Its text is in hex strings, so these bytes occur nowhere else.
_TAGGED_CONTENT = re.compile(rb"/([A-Za-z0-9_]+)\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")


def _structure_elements(root: pikepdf.Dictionary) -> set:
    """The object ids of every structure element reachable from the tree's root."""
    found: set = set()
    pending = [root.get("/K")]
    while pending:
        kid = pending.pop()
        if isinstance(kid, pikepdf.Array):
            pending.extend(kid)
        elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid and kid.objgen not in found:
            found.add(kid.objgen)
            pending.append(kid.get("/K"))
    return found


def _number_tree(node: pikepdf.Dictionary) -> dict:
    """A PDF number tree (the ParentTree) as a dict."""
    result = {}
    nums = node.get("/Nums", ())
    for i in range(0, len(nums) - 1, 2):
        result[int(nums[i])] = nums[i + 1]
    for kid in node.get("/Kids", ()):
        result.update(_number_tree(kid))
    return result
