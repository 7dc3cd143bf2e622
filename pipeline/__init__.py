"""Handout pipeline: plain-language health handouts in Markdown, measured for
readability, translated through gettext catalogs and published as accessible
web pages and print-ready PDFs for every locale of every clinic."""

__version__ = "0.1.0"
