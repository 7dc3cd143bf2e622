"""Extraction: handouts and templates → gettext templates (``locales/<domain>.pot``).

One entry per block of a handout, in document order, its inline Markdown kept as it
is. The Markdown extractor is a Babel extractor (registered under the
``babel.extractors`` entry point as ``handout_markdown``), so ``pybabel extract -F
babel.cfg`` reads handouts the same way. It uses ``pipeline.sources.load_article``:
the blocks a translator sees are exactly the blocks the renderer translates.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from string import Formatter

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from jinja2.ext import babel_extract

from pipeline import catalogs
from pipeline.errors import InputError
from pipeline.files import display_path
from pipeline.model import Article, Block, Config
from pipeline.readability.scoring import block_grade
from pipeline.sources import load_article
from pipeline.variables import VARIABLES, variables_in

# Comments a template author leaves for translators: {# Translators: ... #}
TEMPLATE_COMMENT_TAGS = ("Translators:",)
LANGUAGE_NAME_CONTEXT = "language name"
TEMPLATES_DIR = Path(__file__).parent / "templates"
# How template files appear in references: relative to the project root.
TEMPLATES_REFERENCE = "pipeline/templates"
INTERFACE_MODULE = Path(__file__).parent / "interface.py"


# ------------------------------------------------------------------ the extractor


def extract_markdown(fileobj, keywords, comment_tags, options):
    """Babel extractor for handouts: yields ``(lineno, funcname, message, comments)``.

    A block with an editor's context comes out as ``pgettext`` with a
    ``(context, msgid)`` message, which Babel turns into ``msgctxt``. Callers that
    already loaded the handout pass it as ``options["article"]``.
    """
    article = options.get("article") if options else None
    if article is None:
        article = _article_from_file(fileobj)
        if article is None:
            return
    for block in article.blocks:
        comments = block_comments(block)
        if block.context:
            yield block.line, "pgettext", (block.context, block.text), comments
        else:
            yield block.line, "gettext", block.text, comments


def _article_from_file(fileobj) -> Article | None:
    name = getattr(fileobj, "name", None)
    if isinstance(name, str) and os.path.isfile(name):
        path = Path(name)
        if path.stem.lower() == "readme":
            return None
        return load_article(path)
    # A stream without a file behind it (tests, pipes): load_article reads paths.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (Path(name).name if isinstance(name, str) else "handout.md")
        path.write_bytes(fileobj.read())
        return load_article(path)


def block_comments(block: Block) -> list[str]:
    """The ``#.`` comments of a block: what it is, where it is, the editor's note,
    its reading grade and the clinic variables to keep."""
    comments = [block.describe()]
    if block.section and block.kind != "heading":
        comments.append(f"section: {block.section}")
    if block.note:
        comments.append(f"note from the editor: {block.note}")
    grade = block_grade(block.text, "en")
    if grade:
        comments.append(grade)
    names = list(dict.fromkeys(variables_in(block.text)))
    if names:
        kept = ", ".join("{" + name + "}" for name in names)
        meaning = "; ".join(f"{{{name}}} is {VARIABLES[name]}" for name in names if name in VARIABLES)
        them = "them" if len(names) > 1 else "it"
        comments.append(f"keep {kept} as written; the page fills {them} in ({meaning})" if meaning
                        else f"keep {kept} as written")
    return comments


# ------------------------------------------------------------------ catalogs


def extract_article(article: Article, root: Path | None = None) -> Catalog:
    """The template of one handout: one entry per block, in document order.

    References are ``source/<slug>.md:<line>``, relative to ``root`` (the project
    folder) when given.
    """
    catalog = _new_template(article.slug, f'the handout "{article.title}"')
    reference = _reference(article.path, root)
    for lineno, message, comments, context in extract(
            extract_markdown, io.BytesIO(b""), keywords=DEFAULT_KEYWORDS, options={"article": article}):
        _add(catalog, message, (reference, lineno), comments, context)
    return catalog


def extract_ui(config: Config, templates_dir: Path = TEMPLATES_DIR) -> Catalog:
    """The template of the interface strings: every ``_()``, ``gettext()`` and
    ``{% trans %}`` in the page templates, then the names of the languages."""
    catalog = _new_template("ui", "the interface of the handout pages")
    for path in sorted(templates_dir.glob("*.html")) if templates_dir.is_dir() else []:
        reference = f"{TEMPLATES_REFERENCE}/{path.name}"
        with open(path, "rb") as handle:
            try:
                found = list(extract(babel_extract, handle, keywords=DEFAULT_KEYWORDS,
                                     comment_tags=TEMPLATE_COMMENT_TAGS, strip_comment_tags=True))
            except Exception as err:  # Jinja's TemplateSyntaxError carries the line
                raise InputError(path, getattr(err, "lineno", None), f"cannot read the template: {err}",
                                 "fix the template syntax") from None
        for lineno, message, comments, context in found:
            _add(catalog, message, (reference, lineno), comments, context, keep_python_format=True)
    # Strings that code puts on a page (the PDF footer, link labels), marked with N_() in one module.
    with open(INTERFACE_MODULE, "rb") as handle:
        for lineno, message, comments, context in extract("python", handle, keywords={"N_": None},
                                                          comment_tags=("",)):
            _add(catalog, message, ("pipeline/interface.py", lineno), comments, context,
                 placeholders=None)  # the code fills in its own fields ({page}, {number})
    for code in sorted(config.locales):
        locale = config.locales[code]
        _add(catalog, locale.english_name, (_reference(config.path, config.root), None),
             [f"the name of a language ({code}); in that language it is written {locale.name}"],
             LANGUAGE_NAME_CONTEXT)
    return catalog


def _new_template(domain: str, what: str) -> Catalog:
    catalog = Catalog(domain=domain, project=domain, version=None, fuzzy=False, charset="utf-8",
                      header_comment=f"# {catalogs.TEMPLATE_TITLE}{what}.\n"
                                     "# Made by `python -m pipeline extract`: edit the source, not this file.")
    return catalog


def _add(catalog: Catalog, message, location, comments, context, keep_python_format=False,
         placeholders=VARIABLES) -> None:
    catalog.add(message, None, [location], auto_comments=comments, context=context)
    added = catalog.get(message[0] if isinstance(message, tuple) else message, context=context)
    # Babel guesses format flags from the text: "50% of" looks like a %-format to it.
    # Handout text has one kind of placeholder, clinic variables, which msgfmt --check
    # verifies as python-brace-format.
    if not keep_python_format:
        added.flags.discard("python-format")
    added.flags.discard("python-brace-format")
    text = message[0] if isinstance(message, tuple) else message
    if _is_brace_format(text, placeholders):
        added.flags.add("python-brace-format")


def _is_brace_format(text: str, names=VARIABLES) -> bool:
    """Whether ``text`` has placeholders and is a valid Python brace format whose
    fields are all in ``names`` (the clinic variables; ``None``: any name)."""
    if not variables_in(text):
        return False
    try:
        fields = [name for _, name, _, _ in Formatter().parse(text) if name is not None]
    except ValueError:
        return False
    return names is None or all(name in names for name in fields)


def _reference(path: Path, root: Path | None) -> str:
    """A file as catalogs name it: relative to the project, or by its folder and name."""
    path = Path(path)
    if root is not None and path.resolve().is_relative_to(Path(root).resolve()):
        return display_path(path, root)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name
