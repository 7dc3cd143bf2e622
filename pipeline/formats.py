"""The outputs a handout is published in, and what can happen to each: names shared by
the publishing decision, the build and its record (kept apart from both so that
reading them loads nothing else)."""

HTML = "html"
PDF = "pdf"
LARGE_PRINT = "large-print"
PRINT_SHOP = "print-shop"  # built only when asked for: 3 mm bleed and crop marks
BOOKLET = "booklet"  # built only when asked for: half-size pages folded from one sheet (pipeline.booklet)
BOOKLET_IMPOSED = "booklet-imposed"  # the booklet's pages two to a side, in folding order, for the printer
PRINT_FORMATS = (PDF, LARGE_PRINT, PRINT_SHOP, BOOKLET, BOOKLET_IMPOSED)  # printed from the same page; one threshold
FORMATS = (HTML,) + PRINT_FORMATS
DEFAULT_FORMATS = (HTML, PDF, LARGE_PRINT)  # what a build makes unless told otherwise
SUFFIX = {HTML: ".html", PDF: ".pdf", LARGE_PRINT: ".large-print.pdf", PRINT_SHOP: ".print-shop.pdf",
          BOOKLET: ".booklet.pdf", BOOKLET_IMPOSED: ".booklet-imposed.pdf"}

# What happens to a format.
PUBLISHED = "published"
HELD = "held"  # not published now; the last good file stays while it still meets the threshold
WITHDRAWN = "withdrawn"  # not published, and any earlier file is taken down
STATUSES = (PUBLISHED, HELD, WITHDRAWN)
