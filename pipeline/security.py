"""What must never reach a page, found where it was written.

Handouts and translations are Markdown. Nothing in them may make a page run script
or make the web page or the PDF load anything but the project's own images. The
renderer removes all of it after rendering (``render_html.sanitize``, an nh3
allow-list), whatever these functions say. These functions exist so that whoever
wrote it is told where: the source loader refuses a handout with ``file:line``, and
QA reports a translation at its catalog entry.

Also here: the limits that keep a block cheap to read. Python-Markdown scans ahead
from every ``[`` (quadratic time) and recurses once per level of nesting, so a
block of ten thousand brackets or a thousand nested ``**`` would hang or crash
the build.
"""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import tinycss2
import yaml
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from pipeline.errors import InputError, shown
from pipeline.files import project_file_exists, read_project_file
from pipeline.markup import shared_markdown

# Limits for one block (a paragraph, list item, heading, table cell) or one translation.
MAX_BLOCK_CHARS = 10_000
MAX_MARKUP_MARKS = 300  # "*", "_" and "[" in one block
MAX_NESTING = 10  # levels of lists and block quotes
MAX_YAML_DEPTH = 20  # levels of nested mappings and lists in front matter

LINK_SCHEMES = ("http", "https", "mailto", "tel")
IMAGE_FOLDER = "images"
# An image is a file directly in source/images, named plainly: no scheme, no host,
# no "..", no sub-folder, nothing percent-encoded.
LOCAL_IMAGE = re.compile(r"^images/[A-Za-z0-9][A-Za-z0-9._-]*$")

# Elements that run script, load something, restyle the page or take input.
DANGEROUS_ELEMENTS = {
    "applet", "audio", "base", "button", "canvas", "embed", "form", "frame", "frameset", "iframe",
    "input", "link", "math", "meta", "noscript", "object", "param", "portal", "script", "select",
    "source", "style", "svg", "template", "textarea", "track", "video",
}
URL_ATTRIBUTES = {
    "action", "background", "cite", "codebase", "data", "dynsrc", "formaction", "href", "longdesc",
    "lowsrc", "manifest", "ping", "poster", "src", "srcset", "xlink:href",
}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
_CONTROL = re.compile(r"[\x00-\x20]")
_CONTROL_SHOWN = re.compile(r"[\x00-\x1f\x7f]")
_ENTITY = re.compile(r"^&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);$")
_COMMENTS_ONLY = re.compile(r"^\s*(?:<!--.*?-->\s*)+$", re.S)
_LIST_MARKER = re.compile(r"(?:[-*+]|[0-9]{1,9}[.)])(?:[ \t]+|$)")
_THEMATIC_BREAK = re.compile(r"^([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_TABLE_ROW = re.compile(r"^\|")  # a table row (rows without a leading | continue their paragraph)
_TABLE_CELL_SPLIT = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True)
class Finding:
    """Something in a Markdown text that will not reach the page, or should not be there."""

    line: int | None  # 1-based line within the text (or within ``path``)
    message: str  # what was found
    hint: str  # what to write instead
    path: Path | None = None  # the file at fault, when it is not the text itself (an image it shows)


# ------------------------------------------------------------------ public API


def find_unsafe_markup(text: str, markdown: bool = True, images_dir: Path | None = None) -> list[Finding]:
    """What in ``text`` would be removed from the page or refused (raw HTML, scripts,
    event handlers, styles, links that run code, images from outside the project,
    blocks too long or too nested to read), each with its line and what to do
    instead; ``[]`` for plain Markdown. ``markdown=False`` is for interface strings,
    which are shown as plain text.

    With ``images_dir`` (source/images), each image must also be a safe file there.
    """
    if not markdown:
        return _unique(_raw_html_findings(text, 1, as_text=True))
    limits = block_limits(text)
    if limits:
        return limits  # too costly to render: the limits are the answer

    md = shared_markdown()
    try:
        rendered = md.convert(text)
    except RecursionError:
        return [Finding(1, "the Markdown is nested too deeply to read",
                        "remove the extra '*', '_', '[' or indentation")]
    findings: list[Finding] = []
    cursor = 0
    for piece in md.htmlStash.rawHtmlBlocks:
        if not isinstance(piece, str) or _ENTITY.match(piece.strip()) or _COMMENTS_ONLY.match(piece):
            continue
        position = text.find(piece.strip().split("\n", 1)[0], cursor)
        if position < 0:
            position = text.find(piece.strip()[:20])
        if position >= 0:
            cursor = position
        line = text.count("\n", 0, max(position, 0)) + 1
        findings.extend(_raw_html_findings(piece, line, as_text=False))
    # Links and images written in Markdown syntax (raw HTML ones are reported above).
    for tag, attribute, value in _url_attributes(rendered):
        finding = _url_finding(tag, attribute, value)
        if finding is None and tag == "img" and images_dir is not None:
            finding = image_file_problem(images_dir, value)
        if isinstance(finding, Finding):  # the image file's own problem, at the image
            line = _line_of(text, value)
            findings.append(Finding(finding.line, f"{finding.message} (shown at line {line})", finding.hint,
                                    finding.path))
        elif finding and not _inside_raw_html(value, md.htmlStash.rawHtmlBlocks):
            findings.append(Finding(_line_of(text, value), *finding))
    return _unique(findings)


def _inside_raw_html(value: str, pieces) -> bool:
    return any(isinstance(piece, str) and value in _decoded(piece) for piece in pieces)


def _decoded(piece: str) -> str:
    return html.unescape(piece)


def _line_of(text: str, value: str) -> int:
    """The line of ``text`` where ``value`` (an address, perhaps decoded) is written."""
    for length in (len(value), 20, 8, 4):
        position = text.find(value[:length]) if value[:length] else -1
        if position >= 0:
            return text.count("\n", 0, position) + 1
    return 1


def image_file_problem(images_dir: Path, src: str) -> tuple[str, str] | Finding | None:
    """Why the local image ``src`` (images/name) cannot be published, or None: a
    missing file is the text's problem (``(message, hint)``), a file that is unsafe
    or too big is the image's (a ``Finding`` at the image file and its line)."""
    name = src.split("/", 1)[1]
    path = Path(images_dir) / name
    if not project_file_exists(path):
        return (f"the image {src} is not in {Path(images_dir).name}/",
                f"save the file as {Path(images_dir).name}/{name}, or fix the name")
    try:
        checked_image(path, Path(images_dir).parent)
    except FileNotFoundError:
        return (f"the image {src} is a link to a file that does not exist",
                f"save the file itself as {Path(images_dir).name}/{name}")
    except InputError as err:
        return Finding(err.line, err.message, err.hint, path=Path(err.path))
    return None


def markup_limits(text: str) -> list[Finding]:
    """Blocks too long, with too much markup or nested too deeply to read safely."""
    findings = []
    if len(text) > MAX_BLOCK_CHARS:
        findings.append(Finding(1, f"the text is {len(text):,} characters long; a block may have "
                                   f"at most {MAX_BLOCK_CHARS:,}",
                                "split it into shorter paragraphs"))
    marks = sum(text.count(mark) for mark in "*_[")
    if marks > MAX_MARKUP_MARKS:
        findings.append(Finding(1, f"the text has {marks} Markdown marks ('*', '_', '['); a block may "
                                   f"have at most {MAX_MARKUP_MARKS}",
                                "remove the extra marks, or split the text into shorter paragraphs"))
    for number, line in enumerate(text.split("\n"), start=1):
        depth = nesting_depth(line)
        if depth > MAX_NESTING:
            findings.append(Finding(number, f"lists or quotes are nested {depth} levels deep; at most "
                                            f"{MAX_NESTING} are allowed",
                                    "indent less: a handout reads best with one or two levels"))
            break
    return findings


def nesting_depth(line: str) -> int:
    """How many levels of block quote and list a line is inside, counted as
    Python-Markdown reads them: a '>' each, four spaces or a tab each, and each list
    marker after the first that opens another list on the same line ("- - - item"
    is two levels below its list, like an item indented twice)."""
    indent = line.expandtabs(4)
    depth = (len(indent) - len(indent.lstrip(" "))) // 4
    rest = indent.lstrip(" ")
    if _THEMATIC_BREAK.match(rest):
        return depth
    markers = 0
    while True:
        if rest.startswith(">"):
            depth += 1
            rest = rest[1:].lstrip(" ")
            continue
        marker = _LIST_MARKER.match(rest)
        if marker:
            markers += 1
            rest = rest[marker.end():]
            continue
        return depth + max(markers - 1, 0)


def url_scheme(url: str) -> str | None:
    """The scheme of ``url`` as a browser reads it (case, spaces, tabs and control
    characters ignored); None for a relative address."""
    cleaned = _CONTROL.sub("", url).lower()
    match = _SCHEME.match(cleaned)
    return match.group(1) if match else None


def is_scheme_relative(url: str) -> bool:
    """An address that names another computer without a scheme (``//host/share``; a
    browser reads ``\\`` as ``//``): a network share in a PDF viewer, never a page of the site."""
    return _CONTROL.sub("", url).replace("\\", "/").startswith("//")


def is_safe_link(url: str) -> bool:
    """A link a page may keep: http(s), mailto, tel, or an address on the same site."""
    scheme = url_scheme(url)
    return scheme in LINK_SCHEMES if scheme is not None else not is_scheme_relative(url)


def is_local_image(url: str) -> bool:
    """An image the web page and the PDF may load: a file in source/images."""
    return bool(LOCAL_IMAGE.match(url))


# ------------------------------------------------------------------ images


SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# What drawing programs add for themselves; no renderer reads it, so it is left out
# of the published file instead of refused.
EDITOR_NAMESPACES = {
    "http://www.inkscape.org/namespaces/inkscape", "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://ns.adobe.com/AdobeIllustrator/10.0/", "http://www.bohemiancoding.com/sketch/ns",
}
MAX_SVG_BYTES = 1_000_000
MAX_SVG_ELEMENTS = 5_000  # elements in the file
MAX_SVG_DEPTH = 40  # levels of nested elements
MAX_SVG_EXPANDED = 10_000  # elements once every <use> is drawn: nested <use> grows exponentially
MAX_USE_DEPTH = 4  # a <use> of a <use> of ...
MAX_IMAGE_BYTES = 10_000_000
MAX_IMAGE_PIXELS = 24_000_000  # a 6000 x 4000 photo; decoded as RGBA it takes 96 MB
RASTER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
IMAGE_SUFFIXES = (".svg", *RASTER_FORMATS)

# Shapes, text, groups, gradients, clipping and a few filters: what a drawing needs.
# Left out on purpose: script, foreignObject, image, a, animate/set (which can
# rewrite an address), feImage, style sheets from elsewhere, fonts, cursors.
SVG_ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "title", "desc", "style",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
    "filter", "feGaussianBlur", "feOffset", "feBlend", "feColorMatrix", "feFlood", "feComposite",
    "feMerge", "feMergeNode", "feDropShadow", "feMorphology",
}
SVG_ATTRIBUTES = {
    # structure and geometry
    "id", "class", "lang", "role", "aria-label", "aria-labelledby", "aria-describedby", "aria-hidden",
    "focusable", "version", "baseProfile", "viewBox", "preserveAspectRatio", "width", "height",
    "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "d", "points",
    "pathLength", "transform", "dx", "dy", "rotate", "textLength", "lengthAdjust", "startOffset",
    "method", "spacing", "side", "href", "type", "media",
    # paint and presentation
    "style", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
    "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity", "color",
    "display", "visibility", "overflow", "clip", "clip-path", "clip-rule", "mask", "marker-start",
    "marker-mid", "marker-end", "paint-order", "vector-effect", "shape-rendering", "text-rendering",
    "image-rendering", "color-interpolation", "color-interpolation-filters", "mix-blend-mode", "isolation",
    "font-family", "font-size", "font-weight", "font-style", "font-variant", "font-stretch",
    "text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing",
    "word-spacing", "text-decoration", "writing-mode", "direction", "unicode-bidi", "white-space",
    "stop-color", "stop-opacity", "offset", "gradientUnits", "gradientTransform", "spreadMethod",
    "patternUnits", "patternContentUnits", "patternTransform", "clipPathUnits", "maskUnits",
    "maskContentUnits", "markerWidth", "markerHeight", "markerUnits", "orient", "refX", "refY",
    "filter", "filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation", "mode", "values",
    "operator", "k1", "k2", "k3", "k4", "radius", "flood-color", "flood-opacity", "edgeMode",
    "enable-background",  # written by Illustrator; no renderer uses it
}
# CSS functions a drawing's style may call; url() only for "#id" in the same file.
CSS_FUNCTIONS = {
    "url", "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "color", "calc", "min", "max",
    "clamp", "var", "translate", "translatex", "translatey", "rotate", "scale", "scalex", "scaley", "matrix",
    "skew", "skewx", "skewy",
}
_CSS_HINT = ("keep plain drawing style (fill, stroke, font, opacity...); url() may only name an #id in the "
             "same file, and nothing may be imported or loaded")
_LOCAL_REFERENCE = re.compile(r"^#[A-Za-z_][A-Za-z0-9_.:-]*$")


@dataclass(frozen=True)
class CheckedImage:
    """An image file as it may be published: the bytes to write (for an SVG, the
    checked tree serialised again, never the original) and its media type."""

    data: bytes
    media_type: str


def checked_image(path: Path, root: Path) -> CheckedImage:
    """The publishable form of the image at ``path``: a regular file inside ``root``,
    named plainly, within the size limits; an SVG that passes ``sanitized_svg``, a
    PNG, JPEG, GIF or WebP whose header says what it is and how many pixels it
    decodes to. Anything else is an ``InputError`` at the image (and its line)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise InputError(path, None, f"'{shown(path.name)}' is not an image type pages can show",
                         "save drawings as SVG and photos as PNG or JPEG")
    if suffix == ".svg":
        return CheckedImage(sanitized_svg(read_project_file(path, root, MAX_SVG_BYTES, "image"), path),
                            "image/svg+xml")
    data = read_project_file(path, root, MAX_IMAGE_BYTES, "image")
    _check_raster(data, path, RASTER_FORMATS[suffix])
    return CheckedImage(data, f"image/{RASTER_FORMATS[suffix].lower()}")


def _check_raster(data: bytes, path: Path, expected: str) -> None:
    """Read only the header: the format and the pixel count, refused before anything
    decodes the pixels (a 60 kB PNG can hold 13,000 x 13,000 of them)."""
    from PIL import Image  # Pillow takes 20 ms to import: only a handout with a picture needs it

    Image.MAX_IMAGE_PIXELS = None  # the size is compared below, with the file's name
    try:
        with Image.open(io.BytesIO(data), formats=[expected]) as image:
            width, height = image.size
    except Exception:  # Pillow raises many kinds on a broken header
        raise InputError(path, None, f"the image is not a readable {expected} file",
                         f"save it again as {expected} with an image editor") from None
    finally:
        Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS  # and WeasyPrint's decoder, in this process, refuses more
    if width * height > MAX_IMAGE_PIXELS:
        raise InputError(path, None, f"the image is {width:,} x {height:,} pixels; at most "
                                     f"{MAX_IMAGE_PIXELS // 1_000_000} million are allowed",
                         "make it smaller: 2000 pixels across is plenty for a page and for print")


class _Refused(Exception):
    def __init__(self, line: int | None, message: str, hint: str):
        super().__init__(message)
        self.line, self.message, self.hint = line, message, hint


class _SvgTree:
    """The parser's target: builds the tree, remembers the line of every element and
    stops at the limits while reading (before the tree could grow)."""

    def __init__(self):
        self.builder = ElementTree.TreeBuilder()
        self.lines: dict = {}
        self.depth = 0
        self.count = 0
        self.parser = None  # the expat parser, for line numbers

    def start(self, tag, attributes):
        line = self.parser.CurrentLineNumber
        self.depth += 1
        self.count += 1
        if self.depth > MAX_SVG_DEPTH:
            raise _Refused(line, f"the SVG nests elements more than {MAX_SVG_DEPTH} levels deep",
                           "export the drawing again with fewer nested groups")
        if self.count > MAX_SVG_ELEMENTS:
            raise _Refused(line, f"the SVG has more than {MAX_SVG_ELEMENTS:,} elements",
                           "simplify the drawing, or save it as PNG")
        element = self.builder.start(tag, attributes)
        self.lines[element] = line
        return element

    def end(self, tag):
        self.depth -= 1
        return self.builder.end(tag)

    def data(self, data):
        self.builder.data(data)

    def close(self):
        return self.builder.close()


def sanitized_svg(data: bytes, path: Path) -> bytes:
    """The SVG at ``path`` (``data``) read as XML by a hardened parser (no DTD, no
    entities, nothing from elsewhere), checked against an allow-list of elements and
    attributes, and serialised again from the tree: what is published is what was
    checked. A problem is an ``InputError`` at the line of the element."""
    try:
        root, lines = _parse_svg(data)
        _check_svg(root, lines)
    except _Refused as refused:
        raise InputError(path, refused.line, refused.message, refused.hint) from None

    ElementTree.register_namespace("", SVG_NS)  # written as xmlns="...", as drawing programs do
    ElementTree.register_namespace("xlink", XLINK_NS)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _parse_svg(data: bytes):
    target = _SvgTree()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    target.parser = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as err:
        raise _Refused(target.parser.CurrentLineNumber, f"the SVG declares a DOCTYPE or entities ({type(err).__name__})",
                       "remove the <!DOCTYPE ...> and <!ENTITY ...> declarations") from None
    except ParseError as err:
        line = err.position[0] if getattr(err, "position", None) else None
        raise _Refused(line, f"the SVG is not well-formed XML ({shown(err.msg if hasattr(err, 'msg') else err)})",
                       "open it in a drawing program and export it again as plain SVG") from None
    except RecursionError:
        raise _Refused(None, "the SVG is nested too deeply to read", "export the drawing again") from None
    except (LookupError, ValueError) as err:  # an encoding expat does not know
        raise _Refused(1, f"the SVG cannot be read as text ({shown(err)})",
                       'save it as UTF-8, with encoding="UTF-8" in its first line') from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise _Refused(target.lines.get(root), "the file's root element is not <svg> in the SVG namespace",
                       f'start the file with <svg xmlns="{SVG_NS}" ...>')
    return root, target.lines


def _local(name: str) -> tuple[str, str]:
    """(namespace, local name) of a parsed tag or attribute name."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _check_svg(root, lines: dict) -> None:
    """Walk the tree: refuse what is not on the allow-lists, drop what only drawing
    programs read, then bound what the drawing expands to."""
    ids: dict[str, object] = {}
    stack = [root]
    while stack:
        element = stack.pop()
        line = lines.get(element)
        for child in list(element):
            namespace, local = _local(child.tag) if isinstance(child.tag, str) else ("", "")
            if namespace in EDITOR_NAMESPACES or (namespace == SVG_NS and local == "metadata"):
                element.remove(child)
        namespace, local = _local(element.tag)
        if namespace != SVG_NS or local not in SVG_ELEMENTS:
            shown_name = local if namespace in (SVG_NS, "") else f"{local} (namespace {namespace})"
            what = ("a script" if local.lower() == "script" else "an embedded document" if local == "foreignObject"
                    else "an image from a file or address" if local == "image" else "an element pages do not publish")
            address = element.get("href") or element.get(f"{{{XLINK_NS}}}href")
            if address and local == "image":
                raise _Refused(line, f"the SVG loads '{shown(address.strip()[:80])}' with an <image> element",
                               "remove the <image> element: draw everything inside the SVG")
            raise _Refused(line, f"the SVG has {what}: <{shown(shown_name)}>",
                           f"remove the <{shown(local)}> element; drawings may hold shapes, text and gradients only")
        for name, value in list(element.attrib.items()):
            attribute_namespace, attribute = _local(name)
            if attribute_namespace in EDITOR_NAMESPACES:
                del element.attrib[name]
                continue
            if attribute.lower().startswith("on"):
                raise _Refused(line, f"the SVG has an event handler {shown(attribute)}= on <{local}>",
                               f"remove the {shown(attribute)} attribute: images never run script")
            known = ((attribute_namespace == "" and (attribute in SVG_ATTRIBUTES or attribute.startswith("data-")))
                     or (attribute_namespace == XLINK_NS and attribute in ("href", "title"))
                     or (attribute_namespace == XML_NS and attribute in ("lang", "space")))
            if not known:
                raise _Refused(line, f"the SVG has an attribute this project does not publish: "
                                     f"{shown(attribute)}= on <{local}>", f"remove the {shown(attribute)} attribute")
            if attribute == "href" and not _LOCAL_REFERENCE.match(value.strip()):
                raise _Refused(line, f"the SVG's <{local}> refers to '{shown(value[:80])}'",
                               "draw everything inside the SVG: an href may only name an id in the same "
                               "file, like href=\"#shape\"")
            if attribute == "id":
                ids[value.strip()] = element
            problem = _css_problem(value, declarations=attribute == "style") if (
                "(" in value or "\\" in value or attribute == "style") else None
            if problem:
                raise _Refused(line, f"the SVG's {attribute}= on <{local}> {problem}", _CSS_HINT)
        if local == "style":
            problem = _css_problem("".join(element.itertext()), stylesheet=True)
            if problem:
                raise _Refused(line, f"the SVG's <style> {problem}", _CSS_HINT)
        stack.extend(child for child in element if isinstance(child.tag, str))
    _check_expansion(root, ids, lines)


def _check_expansion(root, ids: dict, lines: dict) -> None:
    """Count what the drawing becomes once every reference (``<use>``, a gradient or
    pattern that inherits another) is drawn in place: a few nested ``<use>`` make
    millions of shapes, which takes a renderer minutes or forever. Refused: more
    than ``MAX_SVG_EXPANDED`` shapes, references more than ``MAX_USE_DEPTH`` deep, a
    reference that leads back to itself."""
    measured: dict = {}  # element -> (shapes it expands to, depth of references inside it)
    active: set = set()

    def too_deep(element):
        return _Refused(lines.get(element), f"the SVG has references nested more than {MAX_USE_DEPTH} deep "
                                            "(a <use> of a <use> of ...)", "point each <use> at the shape itself")

    def measure(element, hops: int, referrer=None) -> tuple[int, int]:
        """``referrer``: the reference that led here (named in the error)."""
        if element in measured:
            size, depth = measured[element]
            if hops + depth > MAX_USE_DEPTH:
                raise too_deep(referrer if referrer is not None else element)
            return size, depth
        if element in active:
            raise _Refused(lines.get(element), "the SVG has a reference that leads back to itself",
                           "point each <use> at a shape, not at something that contains the <use>")
        active.add(element)
        size, depth = 1, 0
        reference = element.get("href") or element.get(f"{{{XLINK_NS}}}href")
        target = ids.get(reference.strip()[1:]) if reference else None
        if target is not None:
            if hops + 1 > MAX_USE_DEPTH:
                raise too_deep(element)
            target_size, target_depth = measure(target, hops + 1, element)
            size, depth = size + target_size, target_depth + 1
        for child in element:
            child_size, child_depth = measure(child, hops, referrer)
            size, depth = size + child_size, max(depth, child_depth)
            if size > MAX_SVG_EXPANDED:
                raise _Refused(lines.get(element), f"the SVG draws more than {MAX_SVG_EXPANDED:,} shapes once "
                                                   "its <use> references are expanded",
                               "point each <use> at a shape, not at a group of other <use> elements")
        active.discard(element)
        measured[element] = (size, depth)
        return size, depth

    measure(root, 0)


def _css_problem(text: str, declarations: bool = False, stylesheet: bool = False) -> str | None:
    """What in a piece of CSS (a style sheet, a style attribute or one property's
    value) loads something or is not plain drawing style; None if nothing."""
    if stylesheet:
        nodes = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
    elif declarations:
        nodes = tinycss2.parse_declaration_list(text, skip_comments=True, skip_whitespace=True)
    else:
        nodes = tinycss2.parse_component_value_list(text, skip_comments=True)
    stack = list(nodes)
    while stack:
        node = stack.pop()
        kind = node.type
        if kind == "error":
            return f"has CSS that cannot be read ({shown(node.message)})"
        if kind in ("at-rule", "at-keyword"):
            return f"has an @{shown(node.lower_at_keyword)} rule"
        if kind == "url" and not _LOCAL_REFERENCE.match(node.value.strip()):
            return f"loads '{shown(node.value[:80])}'"
        if kind == "function":
            if node.lower_name not in CSS_FUNCTIONS:
                return f"calls the CSS function {shown(node.lower_name)}()"
            if node.lower_name == "url":
                target = "".join(getattr(a, "value", "") for a in node.arguments if a.type == "string")
                if not _LOCAL_REFERENCE.match(target.strip()):
                    return f"loads '{shown(target[:80])}'"
        for attribute in ("prelude", "content", "value", "arguments"):
            children = getattr(node, attribute, None)
            if isinstance(children, list):
                stack.extend(children)
        if kind in ("declaration",) and node.lower_name in ("behavior", "-moz-binding"):
            return f"sets {node.lower_name}"
    return None


def source_chunks(lines: list[str]) -> list[tuple[int, int, str]]:
    """The source's blocks as ``(first line, last line, text)``, found without
    Markdown, for the per-block limits before Markdown reads them: a paragraph (a run
    of lines), a list item (from its marker to the next), a heading (its line), each
    cell of a table row (its line), fenced code (from fence to fence)."""
    chunks = []
    start = None
    in_fence = False

    def close(end: int) -> None:
        nonlocal start
        if start is not None:
            chunks.append((start + 1, end, "\n".join(lines[start:end])))
        start = None

    for index, line in enumerate(lines):
        if _FENCE.match(line):
            if not in_fence:
                close(index)
                start = index
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not line.strip():
            close(index)
            continue
        bare = re.sub(r"^(?:\s*>)+", "", line).lstrip()
        if _TABLE_ROW.match(bare):
            close(index)
            chunks.extend((index + 1, index + 1, cell) for cell in _TABLE_CELL_SPLIT.split(bare.strip().strip("|")))
            continue
        if bare.startswith("#") or (_LIST_MARKER.match(bare) and not _THEMATIC_BREAK.match(bare)):
            close(index)  # a heading or a list item starts a block of its own
        if start is None:
            start = index
        if bare.startswith("#"):
            close(index + 1)
    close(len(lines))
    return chunks


def block_limits(text: str) -> list[Finding]:
    """``markup_limits`` for each block of a Markdown text (``source_chunks``), each
    at its own line: a long handout is fine, one long paragraph is not."""
    findings = []
    for first, _last, chunk in source_chunks(text.split("\n")):
        findings.extend(Finding(first + found.line - 1, found.message, found.hint) for found in markup_limits(chunk))
    return findings


def yaml_problems(text: str, allow_aliases: bool = False) -> list[Finding]:
    """Anchors, aliases and deep nesting in YAML, found before it is loaded: a few
    lines of aliases expand to billions of values for whatever walks the result, and
    deep nesting overflows the loader's recursion. Syntax errors are left to the
    loader, which names the line."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else 1
            if not allow_aliases and (isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None)):
                return [Finding(line, "YAML anchors and aliases ('&' and '*') are not allowed here",
                                "write each value out in full; quote text that starts with '&' or '*'")]
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    return [Finding(line, f"the YAML is nested more than {MAX_YAML_DEPTH} levels deep",
                                    "write plain 'key: value' lines and short lists")]
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return []
    return []


# ------------------------------------------------------------------ helpers


class _Tags(HTMLParser):
    """Start tags and their attributes, entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str]]]] = []
        self.declarations: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, [(name, value or "") for name, value in attrs]))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_decl(self, decl):
        self.declarations.append(decl)

    def handle_pi(self, data):
        self.declarations.append(data)

    def unknown_decl(self, data):
        self.declarations.append(data)


def _parse(markup: str) -> _Tags:
    parser = _Tags()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is lenient; never let a report crash on odd input
        pass
    return parser


def _raw_html_findings(piece: str, line: int, as_text: bool) -> list[Finding]:
    """One finding per tag in a piece of raw HTML (or, ``as_text``, a plain-text
    string), naming the worst thing about it."""
    parsed = _parse(piece)
    findings = []
    where = "shown as text" if as_text else "removed from the page"
    for declaration in parsed.declarations:
        findings.append(Finding(line, f"an HTML declaration <!{declaration[:30]}> ({where})",
                                "remove it; write plain Markdown"))
    for tag, attributes in parsed.tags:
        handlers = [name for name, _ in attributes if name.startswith("on")]
        urls = [_url_finding(tag, name, value) for name, value in attributes if name in URL_ATTRIBUTES]
        urls = [found for found in urls if found]
        if tag in DANGEROUS_ELEMENTS:
            findings.append(Finding(line, f"a <{tag}> element ({where})",
                                    "remove it: pages and PDFs never run or embed code"))
        elif handlers:
            findings.append(Finding(line, f"an event-handler attribute {handlers[0]}= on <{tag}> ({where})",
                                    "remove it: pages never run script"))
        elif urls:
            message, hint = urls[0]
            findings.append(Finding(line, f"{message} in raw HTML <{tag}> ({where})", hint))
        elif any(name == "style" for name, _ in attributes):
            findings.append(Finding(line, f"a style attribute on <{tag}> ({where})",
                                    "remove it: the clinic's stylesheet sets the look"))
        else:
            findings.append(Finding(line, f"raw HTML <{tag}> ({where})",
                                    "write Markdown instead: **bold**, *italic*, [text](https://…)"))
    return findings


def _url_attributes(markup: str):
    for tag, attributes in _parse(markup).tags:
        for name, value in attributes:
            if (tag, name) in (("a", "href"), ("img", "src")):
                yield tag, name, value


def _url_finding(tag: str, attribute: str, value: str) -> tuple[str, str] | None:
    scheme = url_scheme(value)
    shown = _CONTROL_SHOWN.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    if tag == "img" or attribute in ("src", "srcset", "data", "poster", "background", "lowsrc", "dynsrc"):
        if is_local_image(value):
            return None
        if scheme in ("http", "https") or value.strip().startswith("//"):
            return (f"an image from the network ({shown})",
                    "save the image in source/images and write ![what it shows](images/name.png)")
        if scheme is not None:
            return (f"an image from a {scheme}: address ({shown})",
                    "save the image in source/images and write ![what it shows](images/name.png)")
        return (f"an image outside source/images ({shown})",
                "save the image in source/images and write ![what it shows](images/name.png)")
    if scheme is not None and scheme not in LINK_SCHEMES:
        return (f"a link to a {scheme}: address ({shown})",
                "link only to http(s), mailto: or tel: addresses")
    if scheme is None and is_scheme_relative(value):
        return (f"a link to another computer without a scheme ({shown})",
                "write the full https:// address, or a page of the site such as other-handout.html")
    return None


def _unique(findings: list[Finding]) -> list[Finding]:
    seen = set()
    result = []
    for finding in findings:
        if (finding.line, finding.message) not in seen:
            seen.add((finding.line, finding.message))
            result.append(finding)
    return result
