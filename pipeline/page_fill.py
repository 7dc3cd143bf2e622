"""How full each page of a PDF is, measured from the printed page itself.

A page's fill is how far down its content area the lowest ink reaches (text, images,
the rules and tints of boxes), as a share of the content area's height: a page that
ends half-way down is 50 % full, whatever broke it there. The page is rendered in grey
by Poppler's ``pdftoppm`` (Poppler is already needed: the text-layer and contrast
checks read pages with it) at a low resolution, and only the content area is read: the
running footer in the bottom margin and a print shop's bleed do not count.

Clinics pay for every page: ``audit`` reports the pages and fill of every PDF and
warns when a page other than the last is under ``MIN_FILL`` or an edition is longer
than ``MAX_PAGES``.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image

from pipeline.formats import pair_of
from pipeline.render_pdf import BOTTOM_MARGIN_MM, SIDE_MARGIN_MM, TOP_MARGIN_MM

MIN_FILL = 0.60  # no page but the last may be emptier than this
# Two sheets printed on both sides; large print and the bilingual edition (two languages)
# twice that; a booklet folds those two sheets.
MAX_PAGES = {"standard": 4, "large-print": 8, "bilingual": 8, "booklet": 8}
DPI = 40  # enough to see a line of 12 pt text (about 7 px high), cheap to render
INK = 235  # a grey level (0 black, 255 white) darker than this is ink; the lightest tint is lighter


@dataclass(frozen=True)
class PageFill:
    number: int  # from 1
    fill: float  # 0..1: how far down the content area the lowest ink reaches


@dataclass(frozen=True)
class Economy:
    """The pages of one PDF and how full each is."""

    path: str
    edition: str  # "standard", "large-print", "print-shop" or "bilingual"
    pages: tuple[PageFill, ...]

    def problems(self) -> list[str]:
        """What a clinic pays for and should not: a page but the last under the limit,
        more pages than the edition allows."""
        found = [f"page {page.number} is {percent(page.fill)} filled (under {percent(MIN_FILL)})"
                 for page in self.filled_pages()[:-1] if page.fill < MIN_FILL]
        limit = MAX_PAGES.get(self.edition)
        if limit and len(self.pages) > limit:
            found.append(f"{len(self.pages)} pages (at most {limit} for the {self.edition} edition)")
        return found

    def filled_pages(self) -> tuple[PageFill, ...]:
        """The pages the text runs over: a booklet's back page (the help box) and the
        empty pages before it (to a multiple of 4) are left out."""
        if self.edition != "booklet":
            return self.pages
        pages = list(self.pages[:-1])
        while pages and pages[-1].fill == 0:
            pages.pop()
        return tuple(pages)

    def summary(self) -> str:
        return f"{len(self.pages)} pages, filled " + " ".join(percent(page.fill) for page in self.pages)


def percent(share: float) -> str:
    """A share as a whole percent, rounded down (59.8 % is not yet 60 %)."""
    return f"{int(share * 100 + 1e-9)}%"


def edition(path: Path | str) -> str:
    name = Path(path).name
    if name.endswith(".large-print.pdf"):
        return "large-print"
    if name.endswith(".print-shop.pdf"):
        return "print-shop"
    if name.endswith(".booklet.pdf"):
        return "booklet"
    if name.endswith(".booklet-imposed.pdf"):
        return "booklet-imposed"
    if pair_of(name.removesuffix(".pdf").rpartition(".")[2]):
        return "bilingual"
    return "standard"


def grey_pages(pdf: Path | str, dpi: int = DPI, first: int | None = None,
               last: int | None = None) -> list[Image.Image]:
    """The pages (or pages ``first``..``last``, counted from 1) rendered in grey by pdftoppm."""
    command = ["pdftoppm", "-gray", "-r", str(dpi)]
    if first:
        command += ["-f", str(first)]
    if last:
        command += ["-l", str(last)]
    data = subprocess.run(command + [str(pdf)], capture_output=True, check=True, timeout=300).stdout
    return _split_pgm(data)


_PGM_HEADER = re.compile(rb"P5\s+(\d+)\s+(\d+)\s+255\s")


def _split_pgm(data: bytes) -> list[Image.Image]:
    """pdftoppm writes one binary PGM after another to its output."""
    images, offset = [], 0
    while offset < len(data):
        header = _PGM_HEADER.match(data, offset)
        if header is None:
            raise ValueError("pdftoppm wrote something other than PGM images")
        width, height = int(header.group(1)), int(header.group(2))
        start = header.end()
        images.append(Image.frombytes("L", (width, height), data[start:start + width * height]))
        offset = start + width * height
    return images


def content_box(image: Image.Image, page_size_mm: tuple[float, float], margins_mm: tuple[float, float, float, float],
                bleed_mm: float = 0.0) -> tuple[int, int, int, int]:
    """The content area (left, top, right, bottom in pixels) of a page image whose
    trimmed page is ``page_size_mm`` with ``margins_mm`` (top, right, bottom, left)."""
    width_mm = page_size_mm[0] + 2 * bleed_mm
    scale = image.width / width_mm
    top, right, bottom, left = (m + bleed_mm for m in margins_mm)
    return (round(left * scale), round(top * scale),
            image.width - round(right * scale), image.height - round(bottom * scale))


def fill_of(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """How far down ``box`` the lowest ink of ``image`` reaches, from 0 to 1."""
    area = image.crop(box).point(lambda level: 255 if level < INK else 0)
    found = area.getbbox()  # the box around every inked pixel
    if found is None:
        return 0.0
    return min(1.0, found[3] / area.height)


def measure(pdf: Path | str) -> Economy:
    """The pages of a built PDF and the fill of each, with the margins it was rendered with."""
    kind = edition(pdf)
    bottom = BOTTOM_MARGIN_MM[kind == "large-print"]
    with pikepdf.open(pdf) as document:
        trims = []
        for page in document.pages:
            box = page.obj.get("/TrimBox", page.mediabox)
            trims.append((float(box[2]) - float(box[0])) / 72 * 25.4)
            media = page.mediabox
            bleed = (float(media[2]) - float(media[0]) - (float(box[2]) - float(box[0]))) / 2 / 72 * 25.4
    pages = []
    for number, image in enumerate(grey_pages(pdf), start=1):
        width_mm = trims[number - 1]
        scale = image.width / (width_mm + 2 * bleed)
        page_height_mm = image.height / scale - 2 * bleed
        box = content_box(image, (width_mm, page_height_mm),
                          (TOP_MARGIN_MM, SIDE_MARGIN_MM, bottom, SIDE_MARGIN_MM), bleed)
        pages.append(PageFill(number, round(fill_of(image, box), 3)))
    return Economy(str(pdf), kind, tuple(pages))


def measure_all(paths) -> list[Economy]:
    """The page economy of every standard, large-print and booklet PDF among ``paths``
    (a print shop's pages are the standard edition's with a bleed; the imposed booklet's
    are the booklet's)."""
    return [measure(path) for path in paths if edition(path) in MAX_PAGES]
