"""The outputs a handout is published in, and what can happen to each: names shared by
the publishing decision, the build and its record (kept apart from both so that
reading them loads nothing else)."""

import re

HTML = "html"
PDF = "pdf"
LARGE_PRINT = "large-print"
PRINT_SHOP = "print-shop"  # built only when asked for: 3 mm bleed and crop marks
BOOKLET = "booklet"  # built only when asked for: half-size pages folded from one sheet (pipeline.booklet)
BOOKLET_IMPOSED = "booklet-imposed"  # the booklet's pages two to a side, in folding order, for the printer
PRINT_FORMATS = (PDF, LARGE_PRINT, PRINT_SHOP, BOOKLET, BOOKLET_IMPOSED)  # printed from the same page; one threshold
# Editions built only when asked for (build --print-shop, --booklet); once one is online,
# every build keeps it current (or holds it back, or takes it down, as the PDF), so an
# edition a print shop picks up never shows text the handout no longer says.
ON_REQUEST = (PRINT_SHOP, BOOKLET, BOOKLET_IMPOSED)
# The bilingual editions a clinic sets (``bilingual: [en+mr]``): each is a format of its
# own, named by its pair (``en+mr``), built with the second language's handout and
# written beside it as ``<slug>.en+mr.pdf``. On the command line, ``bilingual`` asks
# for every pair.
BILINGUAL = "bilingual"
FORMATS = (HTML,) + PRINT_FORMATS + (BILINGUAL,)  # what the command line may ask for
DEFAULT_FORMATS = (HTML, PDF, LARGE_PRINT, BILINGUAL)  # what a build makes unless told otherwise
SUFFIX = {HTML: ".html", PDF: ".pdf", LARGE_PRINT: ".large-print.pdf", PRINT_SHOP: ".print-shop.pdf",
          BOOKLET: ".booklet.pdf", BOOKLET_IMPOSED: ".booklet-imposed.pdf"}

# What happens to a format.
PUBLISHED = "published"
HELD = "held"  # not published now; the last good file stays while it still meets the threshold
WITHDRAWN = "withdrawn"  # not published, and any earlier file is taken down
STATUSES = (PUBLISHED, HELD, WITHDRAWN)

_LOCALE = r"[a-z]{2,3}(?:_[A-Z]{2})?"
_PAIR = re.compile(rf"^({_LOCALE})\+({_LOCALE})$")


def bilingual_format(first: str, second: str) -> str:
    """The format of the bilingual edition of ``first`` and ``second``: ``en+mr``."""
    return f"{first}+{second}"


def pair_of(fmt: str) -> tuple[str, str] | None:
    """The two languages of a bilingual format (``en+mr`` → ``("en", "mr")``); None for
    any other format."""
    match = _PAIR.match(fmt) if isinstance(fmt, str) else None
    return (match.group(1), match.group(2)) if match else None


def is_print(fmt: str) -> bool:
    """Whether ``fmt`` is a PDF (made from the print form of the page)."""
    return fmt in PRINT_FORMATS or pair_of(fmt) is not None


def is_known(fmt) -> bool:
    """Whether ``fmt`` names an output (a record naming anything else is not trusted)."""
    return fmt in SUFFIX or pair_of(fmt) is not None


def suffix(fmt: str) -> str:
    """How the file of ``fmt`` ends: ``.large-print.pdf``, ``.en+mr.pdf``."""
    return SUFFIX[fmt] if fmt in SUFFIX else f".{fmt}.pdf"
