"""Turn a handout's HTML page into a print-ready, tagged PDF (PDF/UA-1) with WeasyPrint.

WeasyPrint only logs some accessibility errors (a missing ``lang`` or ``alt``); here
they fail the render. It may read only the project's own files: no network, nothing
outside the allowed folders. Four editions share one path: the standard PDF, the
large-print PDF (18 pt and more, for patients with low vision), the print-shop
PDF (3 mm bleed and crop marks) and the booklet (half the paper, ``pipeline.booklet``).
"""

from __future__ import annotations

import io
import logging
import mimetypes
import os
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse, urlsplit

import pikepdf

from pipeline import booklet as booklet_edition, qr, security
from pipeline.errors import BuildError, InputError
from pipeline.files import read_project_file
from pipeline.interface import CALL_NUMBER, EMAIL_ADDRESS
from pipeline.model import Clinic, Locale
from pipeline.render_html import STATIC_DIR, localize_digits, tel_target

PAPER = {"A4": "A4", "Letter": "letter"}
COUNTER_STYLE = {"latin": "decimal", "devanagari": "devanagari",
                 "extended-arabic-indic": "persian"}  # CSS's "persian" counts in U+06F0-U+06F9
PRINT_CSS = STATIC_DIR / "print.css"  # the running footer; PDFs only
# Margin boxes are named by side, not by the direction of the text: a right-to-left page
# starts its footer (the clinic, the crisis line) on the right and ends it on the left.
FOOTER_RIGHT_TO_LEFT = """
@page {
  @bottom-right { content: element(footer-start); text-align: right; padding-left: 0; }
  @bottom-left { content: element(footer-end); text-align: left; padding-right: 6mm; }
}
"""
LARGE_PRINT_CSS = STATIC_DIR / "large-print.css"
BILINGUAL_CSS = STATIC_DIR / "bilingual.css"  # two languages side by side (pipeline.bilingual)
BOOKLET_CSS = STATIC_DIR / "booklet.css"
BLEED = "3mm"
TOP_MARGIN_MM = SIDE_MARGIN_MM = 13
# The running footer sits in the bottom margin: one line of 9.5 pt, or in large print up
# to three of 18 pt (a long crisis line's name in Spanish), with at least 5 mm of paper
# below, which office printers leave blank (tests/test_page_economy.py measures it).
BOTTOM_MARGIN_MM = {False: 15, True: 29}  # keyed by large_print

_installed = False
_font_config = None  # one per process: fonts are found, opened and measured once
_static_css: dict = {}  # parsed stylesheet files, by path


def _install() -> None:
    """Load WeasyPrint once per process, with the text-layer fix for Devanagari."""
    global _installed, _font_config
    if _installed:
        return
    # WeasyPrint takes 0.5 s to import: only a process that makes a PDF loads it (a
    # no-op build, the web pages and every other command do not).
    from weasyprint.text.fonts import FontConfiguration

    from pipeline import pdf_text  # adjusts WeasyPrint, so it loads WeasyPrint too

    pdf_text.install()
    _font_config = FontConfiguration()
    _installed = True


def _stylesheet(path: Path, fetcher):
    """A stylesheet file parsed once per process (the shipped files hold no URLs)."""
    from weasyprint import CSS  # loaded with the first PDF (see _install)

    if path not in _static_css:
        _static_css[path] = CSS(filename=str(path), url_fetcher=fetcher, font_config=_font_config)
    return _static_css[path]


def clear_caches() -> None:
    """Forget the parsed stylesheets, for a process that lives on while they change."""
    _static_css.clear()


def page_css(clinic: Clinic, locale: Locale, large_print: bool = False, print_shop: bool = False,
             booklet: bool = False) -> str:
    """The @page rules that differ by clinic and edition: the clinic's paper (half of
    it for a booklet), the margins, page numbers in the locale's digits, and for a
    print shop a bleed around the trimmed page with crop marks in it.

    Every value comes from a fixed table, none from a catalog or the configuration's
    text: the footer's words are elements of the page (``print.css`` moves them into
    the margin), so no translation or clinic name is ever read as CSS."""
    style = COUNTER_STYLE[locale.digits]
    print_shop_rules = f"bleed: {BLEED}; marks: crop;" if print_shop else ""
    return f"""
@page {{
  size: {booklet_edition.PAGE_SIZE[clinic.paper] if booklet else PAPER[clinic.paper]};
  margin: {TOP_MARGIN_MM}mm {SIDE_MARGIN_MM}mm {BOTTOM_MARGIN_MM[large_print]}mm {SIDE_MARGIN_MM}mm;
  {print_shop_rules}
}}
.page-number::before {{ content: counter(page, {style}); }}
.page-count::before {{ content: counter(pages, {style}); }}
{FOOTER_RIGHT_TO_LEFT if locale.direction == "rtl" else ""}
html {{ font-size: {"18pt" if large_print else "12pt"}; }}
"""


class _AccessibilityLog(logging.Handler):
    """Collects the errors WeasyPrint logs instead of raising."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def make_url_fetcher(allowed_roots: list[Path], generated: dict[str, tuple[bytes, str]] | None = None):
    """A WeasyPrint URL fetcher that serves only regular files under ``allowed_roots``
    (no network, no pipe, nothing a link leads to elsewhere), and images only in the
    form the web page publishes them (``security.checked_image``: an SVG serialised
    from its checked tree, a picture whose pixels fit the budget). A refused image
    stops the PDF with an ``InputError`` at the image."""
    # loaded with the first PDF (see _install)
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    roots = [root.resolve() for root in allowed_roots]
    generated = dict(generated or {})  # address -> (bytes, media type): images the pipeline made itself

    class RefusedFile(FatalURLFetchingError):
        """Stops the rendering; ``error`` is the ``InputError`` at the file when the
        file itself is at fault."""

        def __init__(self, message: str, error: InputError | None = None):
            super().__init__(message)
            self.error = error

    class ProjectFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url in generated:
                data, media_type = generated[url]
                return URLFetcherResponse(url, body=data, headers={"Content-Type": media_type})
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


def render_pdf(html: str, *, base_dir: Path, clinic: Clinic, locale: Locale, page_url: str,
               allowed_roots: list[Path], large_print: bool = False, print_shop: bool = False,
               booklet: bool = False, bilingual: bool = False, other_pages: tuple[str, ...] = (),
               label: str = "", call_label: str = CALL_NUMBER, email_label: str = EMAIL_ADDRESS) -> bytes:
    """Render ``html`` (the print form of a handout page) to PDF bytes.

    ``page_url``: the page's own path on the site (``clinic/locale/slug.html``), which
    its relative links are read against; images are read from ``base_dir``.
    ``call_label`` and ``email_label`` (what a screen reader says for a phone or email
    link) are in the locale's language. A ``bilingual`` page shows the QR codes of
    ``page_url`` and of ``other_pages`` (the same handout in its other language)."""
    _install()
    # loaded with the first PDF (see _install)
    from weasyprint import CSS, HTML
    from weasyprint.urls import FatalURLFetchingError

    generated = {}
    for page in (page_url, *other_pages) if clinic.public_url else ():
        # the QR code the print page shows (render_html), and nothing else of its kind
        url = qr.page_url_of(clinic.public_url, page)
        if url:
            generated[qr.qr_data_url(url)] = (qr.qr_svg(url), "image/svg+xml")
    fetcher = make_url_fetcher(allowed_roots, generated)
    log = _AccessibilityLog()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(log)
    try:
        # No base URL: WeasyPrint would write every relative link as a file: address
        # in the build folder. Links are written for the site, images read from base_dir.
        document = HTML(string=html, base_url=None, url_fetcher=fetcher)
        _address_for_print(document.etree_element, page_url, base_dir.resolve().as_uri() + "/")
        stylesheets = [_stylesheet(STATIC_DIR / "handout.css", fetcher), _stylesheet(PRINT_CSS, fetcher)]
        if large_print:
            stylesheets.append(_stylesheet(LARGE_PRINT_CSS, fetcher))
        if bilingual:
            stylesheets.append(_stylesheet(BILINGUAL_CSS, fetcher))
        if booklet:
            stylesheets.append(_stylesheet(BOOKLET_CSS, fetcher))
        stylesheets.append(CSS(string=page_css(clinic, locale, large_print, print_shop, booklet),
                               url_fetcher=fetcher, font_config=_font_config))
        if booklet:  # laid out again with empty pages when its count is not a multiple of 4
            laid_out = booklet_edition.lay_out(document, stylesheets=stylesheets, pdf_variant="pdf/ua-1",
                                               font_config=_font_config)
            pdf = laid_out.write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=False)
        else:
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


def _address_for_print(root, page_url: str, image_base: str) -> None:
    """Give each link of the page the address the PDF should hold (``site_link``;
    a link with none loses its ``href``) and each image its file under ``image_base``."""
    for element in root.iter():
        if element.tag == "a" and element.get("href") is not None:
            target = site_link(element.get("href"), page_url)
            if target is None:
                del element.attrib["href"]
            else:
                element.set("href", target)
        elif element.tag == "img" and element.get("src"):
            element.set("src", urljoin(image_base, element.get("src")))


# Relative links are read against the page's address under this root, which stands
# for the output folder: ".." never climbs above it, and nothing else can be named.
_SITE_ROOT = "https://site.invalid/"


def site_link(href: str, page_url: str) -> str | None:
    """The address a link of the page at ``page_url`` (``clinic/locale/slug.html``)
    holds in its PDF: a fragment, an http(s), mailto or tel address as written; any
    other address on the site resolved against the page and written relative to it
    (the PDF lies next to the page), so it stays inside the output folder and no PDF
    holds the build folder's path. None for what no PDF may link to: a ``file:`` or
    other scheme, or another computer (``//host/share``)."""
    href = href.strip()
    if href.startswith("#"):
        return href
    scheme = security.url_scheme(href)
    if scheme is not None:
        return href if scheme in security.LINK_SCHEMES else None
    if security.is_scheme_relative(href):
        return None
    page = urljoin(_SITE_ROOT, page_url)
    target = urlsplit(urljoin(page, href.replace("\\", "/")))
    if f"{target.scheme}://{target.netloc}/" != _SITE_ROOT:
        return None
    path = posixpath.relpath(target.path, posixpath.dirname(urlsplit(page).path))
    if target.path.endswith("/") and not path.endswith("/"):
        path += "/"
    return path + (f"?{target.query}" if target.query else "") + (f"#{target.fragment}" if target.fragment else "")


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
