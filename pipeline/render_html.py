"""Render a translated article into an accessible HTML5 page (Jinja2 templates).

The same page, with the print stylesheet, is what WeasyPrint turns into the PDF.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import nh3
from markupsafe import Markup
from babel.dates import format_date

from pipeline import markup, security
from pipeline.catalogs import catalog_path, read_catalog
from pipeline.errors import InputError
from pipeline.formats import pair_of, suffix
from pipeline.interface import LARGE_PRINT_VERSION, PRINT_VERSION, TRANSLATED_PERCENT
from pipeline.model import Article, Clinic, Config, Locale, localized
from pipeline.publish import Publication
from pipeline.qr import handout_url, qr_data_url
from pipeline.review import OVERDUE
from pipeline.translate import InterfaceText
from pipeline.variants import html_language_tags
from pipeline.variables import PHONE_VARIABLES, clinic_values, expand, placeholder_problems

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# HTML's elements that have no end tag.
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                           "track", "wbr"})
DEVANAGARI_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")
# A locale's ``digits`` policy (clinics.yaml) -> how its text prints 0-9. Extended
# Arabic-Indic (U+06F0-U+06F9) are the digits of Urdu and Persian, not the Arabic-Indic
# ٠-٩ of Arabic (whose 4, 5, 6 and 7 differ); the font draws Urdu's forms under lang="ur".
DIGITS = {
    "latin": None,
    "devanagari": DEVANAGARI_DIGITS,
    "extended-arabic-indic": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
}

# What survives sanitising the article body: the Markdown we support, nothing that runs.
ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "b", "i", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "blockquote", "code", "pre", "br", "hr",
    "abbr", "span", "sup", "sub", "figure", "figcaption",
}
ALLOWED_ATTRIBUTES = {
    "*": {"lang", "dir", "id"},
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"scope"},
}
URL_SCHEMES = set(security.LINK_SCHEMES)
IMAGE_SUFFIXES = security.IMAGE_SUFFIXES


@dataclass(frozen=True)
class PageLink:
    """A link to the same handout in another language of the clinic."""

    locale: str
    name: str  # the language's name in itself
    href: str


_per_thread = threading.local()


def environment() -> jinja2.Environment:
    """The template environment of this thread: rendering installs one locale's
    interface strings in it, so threads that render side by side (an executor's) each
    need their own."""
    env = getattr(_per_thread, "environment", None)
    if env is None:
        env = _per_thread.environment = _new_environment()
    return env


def _new_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["lang_attr"] = _lang_attr
    env.globals["tel"] = tel_target
    return env


def tel_target(number: str) -> str:
    """A ``tel:`` link target: the digits and a leading + of a number as printed."""
    return "tel:" + re.sub(r"[^0-9+]", "", number)


@jinja2.pass_context
def _lang_attr(context, language: str, around: str | None = None):
    """` lang="…"` when a part's language differs from what surrounds it (the page's
    language unless ``around`` says otherwise); nothing when it is the same."""
    around = around or context["locale"].code
    return Markup(' lang="%s"') % language if language and language != around else ""


def _templates_for(ui: InterfaceText) -> jinja2.Environment:
    """The template environment speaking ``ui``'s language. An untranslated string
    keeps its own ``lang`` (``_("...")|striptags`` gives plain text for attributes)."""
    env = environment()
    env.install_gettext_callables(ui.marked, ui.ngettext, newstyle=True, pgettext=ui.pgettext)
    return env


def localize_digits(text: str, locale: Locale) -> str:
    table = DIGITS[locale.digits]
    return text.translate(table) if table else text


class _DigitLocalizer(HTMLParser):
    """Re-emits an HTML document unchanged except for digits in text whose language
    (the nearest ``lang`` above it) prints digits of its own script."""

    VOID = VOID_ELEMENTS

    def __init__(self, languages: dict[str, dict]):
        super().__init__(convert_charrefs=False)
        self.languages = languages  # language -> its digit table
        self.out: list[str] = []
        self.open: list[tuple[str, str | None]] = []  # (tag, language in force)

    def _language(self) -> str | None:
        return self.open[-1][1] if self.open else None

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag not in self.VOID:
            self.open.append((tag, dict(attrs).get("lang") or self._language()))

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        if self._language() in self.languages and self.open and self.open[-1][0] not in ("script", "style"):
            data = data.translate(self.languages[self._language()])
        self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")


def localize_digits_in_html(html: str, locales: dict[str, Locale]) -> str:
    """Print digits in each part's own script (Devanagari, Extended Arabic-Indic) in text
    whose language prints them, never in attributes (URLs, tel: links) or other languages."""
    languages = {code: DIGITS[locale.digits] for code, locale in locales.items() if DIGITS[locale.digits]}
    if not languages:
        return html
    parser = _DigitLocalizer(languages)
    parser.feed(html)
    parser.close()
    return "".join(parser.out)


# A run of Latin letters or a number in groups ("TMS", "vitamin B12", "+91 20 0000 0000",
# care@clinic.example) inside right-to-left text: isolated, it reads left to right as one.
# Brackets stay outside: a right-to-left line mirrors them around the run.
_LEFT_TO_RIGHT_RUN = re.compile(r"[A-Za-z0-9\u06F0-\u06F9+](?:[A-Za-z0-9\u06F0-\u06F9+.\-/@_:%&' ]*[A-Za-z0-9\u06F0-\u06F9])?")
_NO_MARKUP_INSIDE = ("title", "script", "style", "textarea", "option")


class _DirectionMarker(_DigitLocalizer):
    """Re-emits an HTML document with each part's writing direction said where it
    changes: ``dir`` on an element whose ``lang`` writes the other way than the text
    around it (English blocks in an Urdu page, an Urdu link in a Marathi one), and
    ``<bdi dir="ltr">`` around Latin-script runs and grouped numbers in right-to-left
    text, and ``dir="ltr"`` on every ``tel:`` and ``mailto:`` link, so that
    "+91 20 0000 0000" does not print as "0000 0000 20 91+"."""

    def __init__(self, directions: dict[str, str]):
        super().__init__({})
        self.directions = directions  # language -> ltr | rtl
        self.open: list[tuple[str, str | None, str]] = []  # (tag, language, direction in force)

    def _direction_of(self, language: str) -> str:
        return self.directions.get(language) or self.directions.get(re.split(r"[-_]", language)[0], "ltr")

    def _direction(self) -> str:
        return self.open[-1][2] if self.open else "ltr"

    def handle_starttag(self, tag, attrs):
        text = self.get_starttag_text()
        attributes = dict(attrs)
        language = attributes.get("lang") or self._language()
        direction = attributes.get("dir")
        if direction not in ("ltr", "rtl"):
            direction = self._direction()
            wanted = self._direction_of(language) if attributes.get("lang") else direction
            if tag == "a" and (attributes.get("href") or "").startswith(("tel:", "mailto:")):
                wanted = "ltr"  # a phone number or an address is dialled, and read, left to right
            if wanted != direction:
                direction = wanted
                end = -2 if text.endswith("/>") else -1
                text = f'{text[:end].rstrip()} dir="{direction}"{text[end:]}'
        self.out.append(text)
        if tag not in self.VOID:
            self.open.append((tag, language, direction))

    def handle_data(self, data):
        # Not inside a link: a PDF's Link structure element must hold the link's own text.
        if self._direction() == "rtl" and self.open and self.open[-1][0] not in _NO_MARKUP_INSIDE \
                and not any(tag == "a" for tag, _, _ in self.open):
            data = _LEFT_TO_RIGHT_RUN.sub(_isolated, data)
        self.out.append(data)


def _isolated(match: re.Match) -> str:
    run = match.group()
    if run.isdigit():  # one plain number reads the same either way; 1-800-891-4416 is isolated
        return run
    return f'<bdi dir="ltr">{run}</bdi>'


def mark_directions(html: str, locales: dict[str, Locale]) -> str:
    """Writing direction where it changes within a page (``_DirectionMarker``); a
    project without a right-to-left language gets its pages back unchanged."""
    directions = {code: locale.direction for code, locale in locales.items()}
    if "rtl" not in directions.values():
        return html
    parser = _DirectionMarker(directions)
    parser.feed(html)
    parser.close()
    return "".join(parser.out)


def sanitize(html: str, image_base: str = "") -> str:
    """Keep only the allow-listed markup; rewrite image paths to where the assets are.

    An image must be a file in source/images (``images/name``): any other address
    (the network, ``file:``, ``data:``, a path out of the folder) is dropped, so
    neither the web page nor the PDF loads anything from elsewhere.
    """

    def attribute_filter(tag: str, attribute: str, value: str):
        if tag == "img" and attribute == "src":
            if not security.is_local_image(value):
                return None
            return image_base + value
        if tag == "a" and attribute == "href" and not security.is_safe_link(value):
            return None
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        attribute_filter=attribute_filter,
    )


def render_body(article: Article, publication: Publication, values: dict, catalog: Path | None = None) -> str:
    """The article body as HTML: each block as the publishing decision shows it, in
    the locale's words or in the source language marked with its ``lang``.

    A translation too long or too marked up to read safely stops the page with an
    error at its entry in ``catalog`` (the handout itself was checked on loading).
    """
    blocks = iter(article.body_blocks)

    def visit(found: markup.FoundBlock):
        block = next(blocks)
        if block.text != found.text:  # the same reading twice must give the same blocks
            raise RuntimeError(f"{article.path}:{block.line}: block mismatch between extraction and rendering")
        text, language = publication.text(block)
        if language == publication.locale and not publication.is_source:
            _check_translation_limits(text, block, catalog)
        if language != publication.locale:
            found.element.set("lang", language)
            if found.kind == "image_alt":
                pass  # the alt text stays in the source language; the lang on <p> covers it
        return expand(_NUMBER_MARKS.sub("", text), marked)

    marked = {name: (NUMBER_START + value + NUMBER_END if name in PHONE_VARIABLES else value)
              for name, value in values.items()}
    html, _toc = markup.render(article.body, visit)
    return link_phone_numbers(html)


# Phone numbers filled in from clinic variables are marked (with two private-use
# characters) on their way through Markdown, then become tel: links in the HTML.
NUMBER_START, NUMBER_END = "\ue000", "\ue001"
_NUMBER_MARKS = re.compile("[\ue000\ue001]")
_MARKED_NUMBER = re.compile("\ue000([^\ue000\ue001]*)\ue001")
_TAG_OR_TEXT = re.compile(r"<[^>]*>|[^<]+")
_NO_LINK_INSIDE = re.compile(r"<(/?)(a|code|pre)\b", re.I)


def link_phone_numbers(html: str) -> str:
    """Each marked phone number in ``html`` (Python-Markdown's output) as a ``tel:``
    link, so that it can be tapped on a phone; only as text inside a link, code or
    an attribute (an image's alt text)."""
    out, inside = [], 0
    for match in _TAG_OR_TEXT.finditer(html):
        piece = match.group()
        if piece.startswith("<"):
            tag = _NO_LINK_INSIDE.match(piece)
            if tag and not piece.endswith("/>"):
                inside = max(0, inside + (-1 if tag.group(1) else 1))
            out.append(_NUMBER_MARKS.sub("", piece))
        elif inside:
            out.append(_NUMBER_MARKS.sub("", piece))
        else:
            out.append(_MARKED_NUMBER.sub(lambda m: f'<a href="{tel_target(m.group(1))}">{m.group(1)}</a>', piece))
    return _NUMBER_MARKS.sub("", "".join(out))


def _check_translation_limits(text: str, block, catalog: Path | None) -> None:
    """A translation that cannot be shown (QA holds it back before it gets here):
    too long or marked up to read safely, or with a placeholder that is not a
    clinic variable. An error at its catalog entry."""
    problems = security.markup_limits(text) or [security.Finding(1, message, hint)
                                                for _written, message, hint in placeholder_problems(text)]
    if not problems:
        return
    line = None
    if catalog is not None:
        try:
            message = read_catalog(catalog).get(block.text, context=block.context)
            line = message.lineno if message is not None else None
        except Exception:  # the line is a courtesy; the error stands without it
            line = None
    raise InputError(catalog, line, f"the translation of the {block.describe()} at source line {block.line} "
                                    f"cannot be shown: {problems[0].message}", problems[0].hint)


def render_page(
    config: Config,
    article: Article,
    publication: Publication,
    clinic: Clinic,
    locale: Locale,
    *,
    for_print: bool = False,
    asset_base: str = "../../assets/",
    pdf_href: str | None = None,
    large_print_href: str | None = None,
    bilingual_hrefs: dict[str, str] | None = None,
) -> str:
    """The full HTML page of one handout for one clinic and locale, as ``publication``
    (the publishing decision) shows it. ``bilingual_hrefs``: bilingual format → the
    address of its PDF, for each bilingual edition online."""
    ui = InterfaceText(config, locale.code)
    values = clinic_values(clinic, locale.code)

    catalog = None if publication.is_source else catalog_path(config.locales_dir, locale.code, article.slug)
    body = sanitize(render_body(article, publication, values, catalog), image_base="" if for_print else asset_base)

    def text_of(block):
        text, language = publication.text(block)
        return expand(text, values), language

    title, title_lang = text_of(article.blocks[0])
    summary, summary_lang = text_of(article.blocks[1])
    clinic_name, clinic_name_lang = localized(clinic.name, locale.code)
    address, address_lang = localized(clinic.address, locale.code)
    crisis_name, crisis_name_lang = localized(clinic.crisis_line.name, locale.code)
    # said in this language's crisis box only: never another language's "press 2"
    crisis_option = next((clinic.crisis_line.language_option[code] for code in (locale.code, locale.code.partition("_")[0])
                          if clinic.crisis_line.language_option.get(code)), "")
    crisis_description, crisis_description_lang = localized(clinic.crisis_line.description, locale.code) \
        if clinic.crisis_line.description else ("", locale.code)
    other_languages = [
        PageLink(code, config.locales[code].name, f"../{code}/{article.slug}.html")
        for code in clinic.locales if code != locale.code
    ]
    qr = None
    if for_print and clinic.public_url:  # the printed page leads back to itself online
        url = handout_url(clinic.public_url, locale.code, article.slug)
        # printed for typing: a line may break after a slash, never at a hyphen of the address
        qr = {"url": url, "src": qr_data_url(url), "parts": re.findall(r"[^/]*/|[^/]+$", url)}
    reviewed = format_date(article.reviewed, format="long", locale=locale.code)
    review = publication.review  # the due date this clinic sets for the handout's next review
    next_review = format_date(review.due, format="long", locale=locale.code) if review else ""

    template = _templates_for(ui).get_template("handout.html")
    html = template.render(
        locale=locale,
        source_language=config.source_language,
        ui_lang=ui.language_of,
        article=article,
        title=title,
        title_lang=title_lang,
        summary=summary,
        summary_lang=summary_lang,
        body=body,
        partial=publication.partial,
        reviewed=reviewed,
        reviewed_iso=article.reviewed.isoformat(),
        next_review=next_review,
        next_review_iso=review.due.isoformat() if review else "",
        review_overdue=bool(review and review.state == OVERDUE),
        clinic=clinic,
        clinic_name=clinic_name,
        clinic_name_lang=clinic_name_lang,
        address=address,
        address_lang=address_lang,
        crisis_name=crisis_name,
        crisis_name_lang=crisis_name_lang,
        crisis_option=crisis_option,
        crisis_description=crisis_description,
        crisis_description_lang=crisis_description_lang,
        other_languages=other_languages,
        for_print=for_print,
        asset_base=asset_base,
        pdf_href=pdf_href,
        large_print_href=large_print_href,
        bilingual=bilingual_links(config, bilingual_hrefs or {}),
        sources=article.sources,
        qr=qr,
    )
    return html_language_tags(mark_directions(localize_digits_in_html(html, config.locales), config.locales))


def bilingual_links(config: Config, hrefs: dict[str, str]) -> list[dict]:
    """Links to bilingual editions, each named by its two languages, each language in
    itself ("English + मराठी"): no words to translate, and the family reads its own."""
    return [{"href": href, "languages": [(code, config.locales[code].name) for code in pair_of(fmt)]}
            for fmt, href in hrefs.items()]


def render_index(config: Config, clinic: Clinic, entries: list[dict]) -> str:
    """The clinic's index page: its handouts, grouped by language.

    ``entries``: dicts with locale, slug, title, title_lang, summary, summary_lang,
    percent (translated, rounded down), html, pdf and large_print (whether each is online).
    """
    first = config.locales[clinic.locales[0]]
    ui = InterfaceText(config, first.code)
    env = _templates_for(ui)
    entries = [{**entry, "bilingual_links": bilingual_links(config, {
        fmt: f"{entry['locale']}/{entry['slug']}{suffix(fmt)}" for fmt in entry.get("bilingual", ())})}
               for entry in entries]
    groups = []
    for code in clinic.locales:
        locale = config.locales[code]
        group_ui = InterfaceText(config, code)
        groups.append({
            "locale": locale,
            "entries": [e for e in entries if e["locale"] == code],
            "pdf_label": group_ui.gettext(PRINT_VERSION),
            "pdf_label_lang": group_ui.language_of(PRINT_VERSION),
            "large_print_label": group_ui.gettext(LARGE_PRINT_VERSION),
            "large_print_label_lang": group_ui.language_of(LARGE_PRINT_VERSION),
            "percent_label": group_ui.gettext(TRANSLATED_PERCENT),
            "percent_label_lang": group_ui.language_of(TRANSLATED_PERCENT),
        })
    clinic_name, clinic_name_lang = localized(clinic.name, first.code)
    crisis_name, crisis_name_lang = localized(clinic.crisis_line.name, first.code)
    html = env.get_template("index.html").render(
        locale=first,
        crisis_name=crisis_name,
        crisis_name_lang=crisis_name_lang,
        clinic=clinic,
        clinic_name=clinic_name,
        clinic_name_lang=clinic_name_lang,
        groups=groups,
        asset_base="../assets/",
    )
    return html_language_tags(mark_directions(localize_digits_in_html(html, config.locales), config.locales))


def copy_assets(source_dir: Path, output_dir: Path) -> dict[Path, bytes]:
    """The files the web pages link to: stylesheet and images. Returns {path: bytes}.

    Only plain image files in source/images are published, each as
    ``security.checked_image`` returns it (an SVG serialised again from its checked
    tree, never the original): not a link to a file outside source/ (nor a
    source/images that is one), not a pipe or a device, not an SVG that could run
    script or load something, not a picture too large to decode (the handout that
    shows one is refused on loading, at the image).
    """
    assets = {output_dir / "assets" / name: (STATIC_DIR / name).read_bytes() for name in ("handout.css", "phone.css")}
    images = source_dir / security.IMAGE_FOLDER
    if images.is_dir():
        for image in sorted(images.iterdir()):
            if image.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            if not security.is_local_image(f"{security.IMAGE_FOLDER}/{image.name}"):
                continue
            try:
                checked = security.checked_image(image, source_dir)
            except FileNotFoundError:
                continue  # a broken link: nothing to publish
            except InputError as err:
                log.warning("%s", err.format().replace(": error: ", ": not published: ", 1))
                continue
            assets[output_dir / "assets" / "images" / image.name] = checked.data
    return assets
