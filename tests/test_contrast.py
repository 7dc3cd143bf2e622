"""Black-and-white safe: printed on a grey-only printer or photocopied, the crisis box's
words keep WCAG AA contrast (4.5:1) against the box's own background.

Page 1 of each built PDF is rendered in grey (``pdftoppm -gray``, as a black-and-white
printer sees it); each word of the box is found with ``pdftotext -bbox`` and its ink
(the darkest pixels inside the word) is measured against the paper behind it (the
most common grey inside the word's box)."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from pipeline.page_fill import grey_pages

DPI = 150
AA = 4.5
# The first and last words of the box, in each locale's words (locales/*/LC_MESSAGES/ui.po).
BOX = {"en": ("Get", "you."), "en_US": ("Get", "you."), "mr": ("लगेच", "सांगा.")}


def luminance(grey: int) -> float:
    """WCAG relative luminance of an sRGB grey level."""
    c = grey / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def contrast(a: int, b: int) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def words_on_page(path: Path, page: int = 1) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) in points, in reading order."""
    html = subprocess.run(["pdftotext", "-q", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    pattern = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
    return [(m.group(5), *map(float, m.group(1, 2, 3, 4))) for m in pattern.finditer(html)]


def box_words(path: Path, locale: str):
    words = words_on_page(path)
    first, last = BOX[locale]
    start = next(i for i, w in enumerate(words) if w[0] == first)
    end = next(i for i in range(start, len(words)) if words[i][0] == last)
    return words[start:end + 1]


def word_contrasts(path: Path, locale: str | None, page: int = 1) -> list[tuple[float, str]]:
    """The contrast in grey of each word of the crisis box (or, with ``locale`` None,
    of every word on ``page``)."""
    image = grey_pages(path, dpi=DPI, first=page, last=page)[0]
    scale = DPI / 72
    found = []
    for word, x0, y0, x1, y1 in (box_words(path, locale) if locale else words_on_page(path, page)):
        if not any(ch.isalnum() for ch in word):
            continue  # a lone dot has too few pixels at this resolution for its ink to be measured
        crop = image.crop((round(x0 * scale), round(y0 * scale), round(x1 * scale), round(y1 * scale)))
        levels = sorted(crop.getdata())
        paper = Counter(levels).most_common(1)[0][0]
        ink = levels[max(0, len(levels) // 50)]  # the darkest 2 %: the middle of the strokes
        found.append((contrast(ink, paper), word))
    return found


@pytest.mark.parametrize("folder", ["pune/en", "pune/mr", "springfield/en_US"])
def test_crisis_box_keeps_aa_contrast_in_grey(built, folder):
    locale = folder.split("/")[1]
    paths = sorted((built / "outputs" / folder).glob("*.pdf"))
    assert paths
    for path in paths[:2]:
        measured = word_contrasts(path, locale)
        assert len(measured) >= 30, f"{path.name}: only {len(measured)} words found in the crisis box"
        worst = min(measured)
        assert worst[0] >= AA, f"{path.name}: '{worst[1]}' has contrast {worst[0]:.2f}:1 in grey (needs {AA}:1)"


def test_every_word_of_the_first_and_last_pages_keeps_aa_contrast_in_grey(built):
    """Headings, links, muted text and the help box with its address, in grey."""
    import pikepdf

    for folder in ("pune/en", "pune/mr", "springfield/en_US"):
        path = sorted((built / "outputs" / folder).glob("*.pdf"))[0]
        with pikepdf.open(path) as pdf:
            last = len(pdf.pages)
        for page in (1, last):
            measured = word_contrasts(path, None, page)
            worst = min(measured)
            assert worst[0] >= AA, f"{path.name} page {page}: '{worst[1]}' has {worst[0]:.2f}:1 in grey"


def test_the_measure_sees_low_contrast():
    assert contrast(0, 255) == pytest.approx(21)
    assert contrast(119, 255) == pytest.approx(4.48, abs=0.02)  # #777 on white fails AA
    assert contrast(118, 255) >= 4.5
