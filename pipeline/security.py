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
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

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
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


@dataclass(frozen=True)
class Finding:
    """Something in a Markdown text that will not reach the page, or should not be there."""

    line: int  # 1-based line within the text
    message: str  # what was found
    hint: str  # what to write instead


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
    limits = markup_limits(text)
    if limits:
        return limits  # too costly to render: the limits are the answer
    from pipeline.markup import shared_markdown

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
        if finding and not _inside_raw_html(value, md.htmlStash.rawHtmlBlocks):
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


def image_file_problem(images_dir: Path, src: str) -> tuple[str, str] | None:
    """Why the local image ``src`` (images/name) cannot be published, or None."""
    name = src.split("/", 1)[1]
    path = Path(images_dir) / name
    if not path.is_file():
        return (f"the image {src} is not in {images_dir.name}/",
                f"save the file as {images_dir.name}/{name}, or fix the name")
    if not path.resolve().is_relative_to(Path(images_dir).resolve()):
        return (f"the image {src} is a link to a file outside {images_dir.name}/",
                "copy the image into the folder instead of linking to it")
    if path.suffix.lower() == ".svg":
        problems = svg_problems(path.read_bytes())
        if problems:
            first = problems[0]
            return (f"the image {src} is not safe to publish: line {first.line}: {first.message}", first.hint)
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
    Python-Markdown reads them (a '>' each, four spaces or a tab each)."""
    depth = 0
    rest = line
    while True:
        stripped = rest.lstrip(" ")
        if stripped.startswith(">"):
            depth += 1
            rest = stripped[1:]
            continue
        break
    indent = rest.expandtabs(4)
    spaces = len(indent) - len(indent.lstrip(" "))
    return depth + spaces // 4


def url_scheme(url: str) -> str | None:
    """The scheme of ``url`` as a browser reads it (case, spaces, tabs and control
    characters ignored); None for a relative address."""
    cleaned = _CONTROL.sub("", url).lower()
    match = _SCHEME.match(cleaned)
    return match.group(1) if match else None


def is_safe_link(url: str) -> bool:
    """A link a page may keep: http(s), mailto, tel, or an address on the same site."""
    scheme = url_scheme(url)
    return scheme is None or scheme in LINK_SCHEMES


def is_local_image(url: str) -> bool:
    """An image the web page and the PDF may load: a file in source/images."""
    return bool(LOCAL_IMAGE.match(url))


def svg_problems(data: bytes) -> list[Finding]:
    """What in an SVG image would run script or load something from elsewhere."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [Finding(1, "the SVG file is not UTF-8 text", "save it as UTF-8")]
    findings = []
    for number, line in enumerate(text.split("\n"), start=1):
        lowered = line.lower()
        if re.search(r"<\s*(?:[\w-]+:)?(?:script|foreignobject|iframe|object|embed)\b", lowered):
            findings.append(Finding(number, "the SVG has a script or embedded document",
                                    "export the drawing again without scripts"))
        if re.search(r"\son[a-z]+\s*=", lowered):
            findings.append(Finding(number, "the SVG has an event-handler attribute (on...=)",
                                    "export the drawing again without scripts"))
        if "<!entity" in lowered or "<!doctype" in lowered:
            findings.append(Finding(number, "the SVG declares a DOCTYPE or entities",
                                    "remove the <!DOCTYPE ...> declaration"))
        for match in re.finditer(r"""(?:href|src)\s*=\s*["']([^"']*)["']|url\(\s*["']?([^"')]*)""", line, re.I):
            target = (match.group(1) or match.group(2) or "").strip()
            if target and not target.startswith("#"):
                findings.append(Finding(number, f"the SVG loads '{target[:80]}'",
                                        "draw everything inside the SVG; it may not load other files"))
        if re.search(r"@import", lowered):
            findings.append(Finding(number, "the SVG's style imports another file",
                                    "put the style inside the SVG"))
    return findings


def source_chunks(lines: list[str]) -> list[tuple[int, int, str]]:
    """The source's paragraphs as ``(first line, last line, text)``: runs of non-blank
    lines (fenced code counts as one), for the limits before Markdown reads them."""
    chunks = []
    start = None
    in_fence = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        if line.strip() or in_fence:
            if start is None:
                start = index
        elif start is not None:
            chunks.append((start + 1, index, "\n".join(lines[start:index])))
            start = None
    if start is not None:
        chunks.append((start + 1, len(lines), "\n".join(lines[start:])))
    return chunks


def yaml_problems(text: str, allow_aliases: bool = False) -> list[Finding]:
    """Anchors, aliases and deep nesting in YAML, found before it is loaded: a few
    lines of aliases expand to billions of values for whatever walks the result, and
    deep nesting overflows the loader's recursion. Syntax errors are left to the
    loader, which names the line."""
    import yaml

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
    return None


def _unique(findings: list[Finding]) -> list[Finding]:
    seen = set()
    result = []
    for finding in findings:
        if (finding.line, finding.message) not in seen:
            seen.add((finding.line, finding.message))
            result.append(finding)
    return result
