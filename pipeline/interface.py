"""Interface strings that code, not a template, puts on a page, marked for extraction."""


def N_(text: str) -> str:
    """Mark ``text`` for the ui catalog; it is translated where it is used."""
    return text


PAGE_OF_PAGES = N_("Page {page} of {pages}")  # PDF footer: {page} and {pages} are numbers
