"""Interface strings that code, not a template, puts on a page, marked for extraction.

A comment on the line above a string is its note to translators."""


def N_(text: str) -> str:
    """Mark ``text`` for the ui catalog; it is translated where it is used."""
    return text


# PDF footer: {page} and {pages} are numbers
PAGE_OF_PAGES = N_("Page {page} of {pages}")
# index page: a link to a handout's PDF
PRINT_VERSION = N_("Print version (PDF)")
# index page: how much of a handout is translated, when not all of it is; {percent} is a whole number
TRANSLATED_PERCENT = N_("{percent}% translated")
# a link to the same handout printed in large type (18 pt and more), for readers with low vision
LARGE_PRINT_VERSION = N_("Large print (PDF)")
# PDF: what a screen reader says for a phone link; {number} is the phone number
CALL_NUMBER = N_("Call {number}")
# PDF: what a screen reader says for an email link; {address} is the email address
EMAIL_ADDRESS = N_("Email {address}")
