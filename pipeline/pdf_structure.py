"""A tagged PDF opened for the accessibility checks (``pipeline.audit``): its structure
tree in reading order, its ParentTree, and the ``Problem`` a check reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pikepdf


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one PDF: where (page 1-based, 0 for the whole document) and what."""

    path: str
    page: int
    element: str
    message: str
    check: str

    def format(self) -> str:
        where = f"page {self.page}" if self.page else "document"
        return f"{self.path}: {where}: {self.element}: {self.message}"


@dataclass
class StructNode:
    """A structure element in reading order."""

    tag: str  # e.g. "/H2"
    obj: pikepdf.Dictionary
    page: int  # 1-based, 0 when the element names no page
    depth: int
    number: int  # its position in reading order, for messages

    @property
    def label(self) -> str:
        return f"{self.tag[1:]} element #{self.number}"


@dataclass
class AuditedPdf:
    """A PDF opened for checking, with what several checks share."""

    path: Path
    pdf: pikepdf.Pdf
    expected_lang: str | None = None
    name: str = ""
    _page_numbers: dict = field(default_factory=dict)

    def __post_init__(self):
        self.name = self.name or str(self.path)
        self._page_numbers = {page.obj.objgen: i + 1 for i, page in enumerate(self.pdf.pages)}

    def page_number(self, page_ref) -> int:
        try:
            return self._page_numbers.get(page_ref.objgen, 0)
        except AttributeError:
            return 0

    def problem(self, check: str, page: int, element: str, message: str) -> Problem:
        return Problem(self.name, page, element, message, check)

    @cached_property
    def structure(self) -> list[StructNode]:
        """Every structure element reachable from the StructTreeRoot, in reading order."""
        root = self.pdf.Root.get("/StructTreeRoot")
        nodes: list[StructNode] = []
        if not isinstance(root, pikepdf.Dictionary):
            return nodes
        seen: set = set()

        def visit(kid, depth: int, page: int) -> None:
            if isinstance(kid, pikepdf.Array):
                for item in kid:
                    visit(item, depth, page)
                return
            if not isinstance(kid, pikepdf.Dictionary) or "/S" not in kid:
                return  # a marked-content id, or an object reference (annotation)
            if kid.is_indirect:
                if kid.objgen in seen:
                    return
                seen.add(kid.objgen)
            own_page = self.page_number(kid.get("/Pg")) or page
            nodes.append(StructNode(str(kid.S), kid, own_page, depth, len(nodes) + 1))
            if "/K" in kid:
                visit(kid.K, depth + 1, own_page)

        if "/K" in root:
            visit(root.K, 0, 0)
        return nodes

    @cached_property
    def reachable(self) -> set:
        return {node.obj.objgen for node in self.structure if node.obj.is_indirect}

    @cached_property
    def parent_tree(self) -> dict[int, object]:
        """The ParentTree's number tree flattened: key -> value (array or element)."""
        root = self.pdf.Root.get("/StructTreeRoot")
        result: dict[int, object] = {}
        if not isinstance(root, pikepdf.Dictionary) or "/ParentTree" not in root:
            return result

        def visit(node) -> None:
            if "/Nums" in node:
                nums = node.Nums
                for i in range(0, len(nums) - 1, 2):
                    result[int(nums[i])] = nums[i + 1]
            for kid in node.get("/Kids", ()):
                visit(kid)

        visit(root.ParentTree)
        return result


def text_of(value) -> str:
    """A PDF string or name as text, stripped; empty for none."""
    return str(value).strip() if value is not None else ""
