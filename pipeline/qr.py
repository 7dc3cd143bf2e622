"""The QR code on every PDF: it opens the same handout's web page, in the same
language, on a patient's phone. The clinic gives its public address in
``clinics.yaml`` (``public_url: https://clinic.example/handouts/``, the folder that
holds ``<locale>/<slug>.html``); a clinic without one prints no code.

The code is a vector image (SVG, made by ``segno``) shown as an ``<img>`` with
alternative text in the locale's words, so WeasyPrint tags it as a figure; the same
address is printed beside it for those who type it.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from urllib.parse import quote, urlsplit

import segno

from pipeline.errors import InputError

SCAN_TO_OPEN = "Scan to open this handout on your phone"  # the code's alternative text (ui.po)


def check_public_url(path: Path, line: int | None, value: str) -> str:
    """``value`` as the base of every handout's address: https, a host, no query or
    fragment, ending in ``/`` (one is added). "" when the clinic gives none."""
    value = value.strip()
    if not value:
        return ""
    hint = "write the address of the folder that holds the clinic's pages, e.g. public_url: https://clinic.example/handouts/"
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise InputError(path, line, "public_url has a space or control character in it", hint)
    parts = urlsplit(value)
    if parts.scheme != "https":
        raise InputError(path, line, f"public_url must start with https:// (a patient's phone opens it), not '{value}'",
                         hint)
    if not parts.hostname or parts.username or parts.password or parts.query or parts.fragment:
        raise InputError(path, line, f"public_url '{value}' is not a plain https address of a folder", hint)
    return value if value.endswith("/") else value + "/"


def handout_url(public_url: str, locale_folder: str, slug: str) -> str:
    """The web address of one handout's page in one language (the page the build
    writes to ``outputs/<clinic>/<locale_folder>/<slug>.html``)."""
    return f"{public_url}{quote(locale_folder)}/{quote(slug)}.html"


def page_url_of(public_url: str, page_path: str) -> str | None:
    """The public address of the page the build writes at ``page_path``
    (``clinic/locale/slug.html``, relative to the output folder); None for a path of
    another form (no page of the site, so no code)."""
    parts = page_path.split("/")
    if len(parts) != 3 or not parts[2].endswith(".html"):
        return None
    return handout_url(public_url, parts[1], parts[2].removesuffix(".html"))


def qr_svg(url: str) -> bytes:
    """The code for ``url`` as an SVG: black modules on white, the quiet zone included
    (scanners need it), error correction M so a fold or a smudge does not spoil it."""
    code = segno.make_qr(url, error="m", boost_error=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=1, border=4, dark="#000000", light="#ffffff", xmldecl=False, nl=False)
    return out.getvalue()


def qr_data_url(url: str) -> str:
    """The code for ``url`` as a ``data:`` address for an ``<img>`` (the PDF's URL
    fetcher serves exactly the addresses it is given, nothing else of that scheme)."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url)).decode("ascii")
