"""The bilingual edition: one handout's print pages in two languages, block beside block.

A family that shares a handout across two languages gets both on one sheet: each part
of the page (the title, the summary, the crisis box, every paragraph, list item,
heading and table, the help box) in the first language on the left and the second on
the right, so that headings line up and a reader can follow either column. Both pages
are the ones the publishing decision already made (``render_html.render_page``, print
form): what each language shows, and in which language, is exactly what its own PDF
shows. A part that reads the same in both columns (a block of the second language that
is not translated and so is shown in the source language, the list of sources) is
printed once across the page, never twice.

The document is in the second language (the edition is written beside that
language's handout, ``mr/<slug>.en+mr.pdf``, and its running footer is in it); each
column carries its own ``lang`` (and ``dir``), which the PDF's structure tree keeps as
the ``/Lang`` of every block (``pdf_structure``). Reading order is the order of the
page: a part in the first language, then the same part in the second.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from pipeline.model import Locale
from pipeline.render_html import VOID_ELEMENTS
from pipeline.variants import html_language_tags

# Parts split further, so that what is shown in one language only is never printed twice.
_LISTS = ("ul", "ol")
_SECTIONS_SPLIT = ("sources",)  # sections whose heading and list pair separately
_ARTICLE = re.compile(r"<article>(.*)</article>", re.S)
_TAG = re.compile(r"<[^>]*>")
_CLINIC_NAME = re.compile(r'<p class="clinic-name"[^>]*>.*?</p>', re.S)
_FOOTER = re.compile(r'<p class="page-footer-(start|end)">(.*?)</p>\n', re.S)
_SITE_FOOTER = re.compile(r'<footer class="site-footer">\s*<div class="wrap">(.*?)</div>\s*</footer>', re.S)
_ID_ATTRIBUTE = re.compile(r'\b(id|aria-labelledby)="([^"]*)"|\bhref="#([^"]*)"')
_LANGUAGE_AND_IDS = re.compile(r'\s(?:id|lang|dir|aria-labelledby)="[^"]*"')


@dataclass
class Element:
    """One element of a page, as written: its tag, attributes and HTML."""

    tag: str
    attrs: dict
    html: str
    inner: str = ""

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple((self.attrs.get("class") or "").split())


class _TopLevel(HTMLParser):
    """The elements at the top level of an HTML fragment, with their exact text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)
        self.text = text
        self.lines = [0]
        for line in text.splitlines(keepends=True):
            self.lines.append(self.lines[-1] + len(line))
        self.depth = 0
        self.found: list[Element] = []
        self._open: tuple | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            start = self._offset()
            if tag in VOID_ELEMENTS:
                end = start + len(self.get_starttag_text())
                self.found.append(Element(tag, dict(attrs), self.text[start:end]))
                return
            self._open = (tag, dict(attrs), start, start + len(self.get_starttag_text()))
        if tag not in VOID_ELEMENTS:
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0:
            start = self._offset()
            self.found.append(Element(tag, dict(attrs), self.text[start:start + len(self.get_starttag_text())]))

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            return
        self.depth -= 1
        if self.depth == 0 and self._open is not None:
            name, attrs, start, inner_start = self._open
            end_tag = self._offset()
            end = self.text.index(">", end_tag) + 1
            self.found.append(Element(name, attrs, self.text[start:end], self.text[inner_start:end_tag]))
            self._open = None


def top_level(fragment: str) -> list[Element]:
    parser = _TopLevel(fragment)
    parser.feed(fragment)
    parser.close()
    return parser.found


@dataclass(frozen=True)
class Part:
    """One unit of alignment: an element of the article, or one of the sources section
    (``wrap``: the section's opening tag, so that it still prints as a source)."""

    key: tuple
    element: Element
    wrap: str = ""

    @property
    def html(self) -> str:
        return self._wrapped(self.element.html)

    @property
    def heading(self) -> bool:
        return re.fullmatch(r"h[1-6]", self.element.tag) is not None

    def items(self) -> list[str]:
        """A list's items, each as a list of its own, numbered as it was."""
        element = self.element
        opening = element.html[:element.html.index(">") + 1]
        start = int(element.attrs.get("start") or 1)
        found = []
        for number, item in enumerate((c for c in top_level(element.inner) if c.tag == "li"), start=start):
            head = opening
            if element.tag == "ol" and number != 1:
                head = re.sub(r'\sstart="\d+"', "", opening)[:-1] + f' start="{number}">'
            found.append(self._wrapped(f"{head}{item.html}</{element.tag}>"))
        return found

    def _wrapped(self, html: str) -> str:
        return f"{self.wrap}{html}</section>" if self.wrap else html


def parts_of(article_html: str) -> list[Part]:
    """The parts of a handout's ``<article>``, in order."""
    parts: list[Part] = []
    for element in top_level(article_html):
        if element.tag == "section" and set(element.classes) & set(_SECTIONS_SPLIT):
            opening = element.html[:element.html.index(">") + 1]
            parts += [Part(("section", child.tag), child, opening) for child in top_level(element.inner)]
        else:
            parts.append(Part((element.tag, element.classes), element))
    return parts


def _same(a: str, b: str) -> bool:
    """Whether two parts read the same (ids, languages and directions aside)."""
    def plain(html: str) -> str:
        return " ".join(_LANGUAGE_AND_IDS.sub("", html).split())

    return plain(a) == plain(b)


def _suffixed_ids(html: str, suffix: str) -> str:
    """The second column's ids made its own (``get-help`` → ``get-help-mr``), with the
    references to them."""

    def rename(match: re.Match) -> str:
        if match.group(3) is not None:
            return f'href="#{match.group(3)}-{suffix}"'
        return f'{match.group(1)}="{match.group(2)}-{suffix}"'

    return _ID_ATTRIBUTE.sub(rename, html)


@dataclass(frozen=True)
class Row:
    """One row of the page: a part in each language, or one part shown once (the
    other is None)."""

    first: str | None
    second: str | None
    heading: bool = False


def rows(first: list[Part], second: list[Part]) -> list[Row]:
    """The parts paired. Parts are matched in order by what they are (a heading with a
    heading, a list with a list); a list that differs is paired item by item, so that a
    source-language item is not printed twice; a part only one page has is shown alone."""
    matcher = difflib.SequenceMatcher(a=[p.key for p in first], b=[p.key for p in second], autojunk=False)
    paired = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op != "equal":
            paired += [Row(a.html, None, heading=a.heading) for a in first[a1:a2]]
            paired += [Row(None, b.html, heading=b.heading) for b in second[b1:b2]]
            continue
        for a, b in zip(first[a1:a2], second[b1:b2]):
            if _same(a.html, b.html):
                paired.append(Row(a.html, None, heading=a.heading))
                continue
            first_items, second_items = (a.items(), b.items()) if a.element.tag in _LISTS else ([], [])
            if first_items and len(first_items) == len(second_items):
                paired += [Row(x, None) if _same(x, y) else Row(x, y) for x, y in zip(first_items, second_items)]
            else:
                paired.append(Row(a.html, b.html, heading=a.heading))
    return paired


def compose(first_page: str, second_page: str, first: Locale, second: Locale) -> str:
    """The bilingual print page of one handout from its two print pages."""
    second_page = _suffixed_ids(second_page, second.code.replace("_", "-"))  # ids of its own
    first_parts = parts_of(_ARTICLE.search(first_page).group(1))
    second_parts = parts_of(_ARTICLE.search(second_page).group(1))

    def column(html: str, locale: Locale, side: str) -> str:
        return (f'<div class="column column-{side}" lang="{locale.code}" dir="{locale.direction}">'
                f"\n{html}\n</div>")

    body = []
    for row in rows(first_parts, second_parts):
        kind = "pair heading" if row.heading else "pair"
        if row.second is None:
            body.append(f'<div class="{kind} once">{column(row.first, first, "first")}</div>')
        elif row.first is None:
            body.append(f'<div class="{kind} once">{column(row.second, second, "second")}</div>')
        else:
            body.append(f'<div class="{kind}">{column(row.first, first, "first")}'
                        f'{column(row.second, second, "second")}</div>')

    # the document's title: each page's heading as text (its <title> adds the clinic's name)
    titles = [_TAG.sub("", next(p.element.inner for p in parts if p.element.tag == "h1"))
              for parts in (first_parts, second_parts)]
    names = [_CLINIC_NAME.search(page).group(0) for page in (first_page, second_page)]
    footer = {kind: text for kind, text in _FOOTER.findall(second_page)}
    site_footers = [_SITE_FOOTER.search(page).group(1) for page in (first_page, second_page)]
    clinic = names[0] if _same(names[0], names[1]) else \
        f'<div class="pair">{column(names[0], first, "first")}{column(names[1], second, "second")}</div>'
    return html_language_tags(f"""<!DOCTYPE html>
<html lang="{second.code}" dir="{second.direction}" class="bilingual">
<head>
<meta charset="utf-8">
<title>{titles[0]} / {titles[1]}</title>
</head>
<body>
<p class="page-footer-start">{footer["start"]}</p>
<p class="page-footer-end">{footer["end"]}</p>
<header class="site-header">
  <div class="wrap">
{clinic}
  </div>
</header>
<main id="main" class="wrap">
  <article>
{chr(10).join(body)}
  </article>
</main>
<footer class="site-footer">
  <div class="wrap">
<div class="pair">{column(site_footers[0], first, "first")}{column(site_footers[1], second, "second")}</div>
  </div>
</footer>
</body>
</html>
""")
