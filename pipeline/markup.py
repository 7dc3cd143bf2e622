"""The one reading of Markdown that extraction, translation and rendering share.

Python-Markdown first builds an element tree whose block elements still hold raw
inline Markdown; its inline processor (priority 20) renders that later. The
``BlockTextProcessor`` below runs just before it and hands every block's raw text
to a callback, which may return replacement text. Extraction collects the texts as
msgids; translation swaps them for msgstrs; the inline processor then renders the
result. So the two can never disagree about what a block is.
"""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Callable

import markdown
from markdown.extensions import Extension
from markdown.extensions.toc import slugify
from markdown.treeprocessors import Treeprocessor

# Extensions used for every reading of an article. Change them here only.
MARKDOWN_EXTENSIONS = ["tables", "sane_lists", "toc"]
SECTION_ID_PREFIX = "section-"


def section_id(value: str, separator: str) -> str:
    """A heading's id: the toc extension's slug behind a prefix the page template's
    own ids ("main", "get-help", "sources") never have, so a handout or translation
    heading cannot take the skip link's target or the help section's name."""
    return SECTION_ID_PREFIX + slugify(value, separator)


MARKDOWN_CONFIG = {"toc": {"permalink": False, "toc_depth": "2-3", "slugify": section_id}}

IMAGE_ONLY = re.compile(r'^!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+"(?P<title>[^"]*)")?\)$')
_STASH_ONLY = re.compile(r"^\s*(\x02wzxhzdk:\d+\x03\s*)+$")
_CONTAINERS = {"div", "blockquote", "table", "thead", "tbody", "tr"}


def fold(text: str) -> str:
    """The msgid form of a block's text: trimmed, line breaks folded to one space."""
    return re.sub(r"[ \t]*\n[ \t]*", " ", text.strip())


@dataclass
class FoundBlock:
    """A block as the tree processor meets it."""

    kind: str  # heading | paragraph | list_item | table_header | table_cell | image_alt
    level: int
    text: str  # folded inline Markdown (for image_alt: the alt text alone)
    raw: str  # the text as Python-Markdown holds it, before folding
    element: etree.Element


Visitor = Callable[[FoundBlock], "str | None"]


class BlockTextProcessor(Treeprocessor):
    """Hands each block's inline Markdown to ``visit``; replaces it if told to."""

    def __init__(self, md, visit: Visitor):
        super().__init__(md)
        self.visit = visit

    def run(self, root: etree.Element) -> None:
        self._walk(root, list_depth=0, in_list_item=False)

    def _walk(self, parent: etree.Element, list_depth: int, in_list_item: bool) -> None:
        for element in parent:
            tag = element.tag
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self._offer(element, "heading", int(tag[1]))
            elif tag == "p":
                kind = "list_item" if in_list_item else "paragraph"
                self._offer(element, kind, list_depth if in_list_item else 0)
            elif tag == "li":
                self._offer(element, "list_item", list_depth)
                self._walk(element, list_depth, in_list_item=True)
            elif tag in ("ul", "ol"):
                self._walk(element, list_depth + 1, in_list_item=False)
            elif tag in ("th", "td"):
                self._offer(element, "table_header" if tag == "th" else "table_cell", 0)
            elif tag in _CONTAINERS:
                self._walk(element, list_depth, in_list_item)

    def _offer(self, element: etree.Element, kind: str, level: int) -> None:
        raw = element.text or ""
        if not raw.strip() or _STASH_ONLY.match(raw):
            return
        text = fold(raw)
        image = IMAGE_ONLY.match(text) if kind == "paragraph" else None
        if image:
            found = FoundBlock("image_alt", 0, image.group("alt"), raw, element)
            replacement = self.visit(found)
            if replacement is not None:
                title = f' "{image.group("title")}"' if image.group("title") else ""
                alt = replacement.replace("]", "\\]")
                element.text = f"![{alt}]({image.group('src')}{title})"
            return
        replacement = self.visit(FoundBlock(kind, level, text, raw, element))
        if replacement is not None:
            element.text = replacement


class BlockTextExtension(Extension):
    def __init__(self, visit: Visitor, **kwargs):
        self.visit = visit
        super().__init__(**kwargs)

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # 25: after the block parser, before "inline" (20) renders inline Markdown.
        md.treeprocessors.register(BlockTextProcessor(md, self.visit), "block_text", 25)


def new_markdown(visit: Visitor | None = None) -> markdown.Markdown:
    """A Markdown converter with the project's extensions and, if given, the block visitor."""
    extensions = list(MARKDOWN_EXTENSIONS)
    if visit is not None:
        extensions.append(BlockTextExtension(visit))
    return markdown.Markdown(extensions=extensions, extension_configs=MARKDOWN_CONFIG,
                             output_format="html")


_shared = threading.local()


def shared_markdown() -> markdown.Markdown:
    """This thread's one plain converter (no block visitor), reset and ready: building
    a converter costs more than converting a sentence, and checks convert thousands."""
    md = getattr(_shared, "md", None)
    if md is None:
        md = _shared.md = new_markdown()
    return md.reset()


def find_blocks(body: str) -> list[FoundBlock]:
    """Every translatable block of a Markdown body, in document order."""
    found: list[FoundBlock] = []
    new_markdown(lambda block: found.append(block)).convert(body)
    return found


def render(body: str, visit: Visitor | None = None) -> tuple[str, list[dict]]:
    """Render a Markdown body to HTML; return the HTML and its table of contents tokens."""
    md = new_markdown(visit)
    html = md.convert(body)
    return html, getattr(md, "toc_tokens", [])
