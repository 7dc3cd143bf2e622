"""Properties that must hold for any input, checked with Hypothesis.

1. However editors change a handout (edit, insert, delete, move, revert a block,
   change its context) and translators fill in catalogs, extract + update never
   lose a translation, and a block whose text did not change keeps its
   translation as it was.
2. Any bytes given as a catalog either read as a catalog or give an InputError;
   the reader never crashes.
3. Any translation, however broken or hostile, renders into a page without
   script or outside addresses, or is refused with an InputError.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from conftest import ROOT, TMP
from pipeline.catalogs import po_bytes, read_catalog, read_po_file, write_template
from pipeline.config import load_config
from pipeline.errors import InputError
from pipeline.extract import extract_article
from pipeline.files import write_atomic
from pipeline.merge import update_catalog
from pipeline.sources import load_article

SLUG = "property-handout"
FRONT = ("---\ntitle: A handout that keeps changing\nsummary: What it is about.\nreviewed: 2026-01-05\n"
         "sources:\n  - A guideline\n---\n\n")

WORDS = st.sampled_from("take your medicine every day talk to the care team about sleep walk calm call help "
                        "TMS week two mood food water doctor dose side effect clinic".split())
SENTENCE = st.lists(WORDS, min_size=2, max_size=10).map(lambda words: " ".join(words).capitalize() + ".")
KINDS = st.sampled_from(["paragraph", "paragraph", "list_item", "heading"])
CONTEXTS = st.sampled_from([None, None, "button", "heading"])


def markdown_of(blocks: list[tuple[str, str, str | None]]) -> str:
    """The handout body: one block per paragraph, with its context comment."""
    parts = []
    for kind, text, context in blocks:
        lines = [f"<!-- context: {context} -->"] if context else []
        lines.append({"paragraph": text, "list_item": f"- {text}", "heading": f"## {text.rstrip('.')}"}[kind])
        parts.append("\n".join(lines))
    return FRONT + "\n\n".join(parts) + "\n"


def key_of(block: tuple[str, str, str | None]) -> tuple[str | None, str]:
    kind, text, context = block
    return context, text.rstrip(".") if kind == "heading" else text


class EditAndTranslate(RuleBasedStateMachine):
    """An editor and a translator taking turns; extract and update after every edit."""

    def __init__(self):
        super().__init__()
        TMP.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="properties-", dir=TMP))
        (self.folder / "source").mkdir()
        self.source = self.folder / "source" / f"{SLUG}.md"
        self.template = self.folder / "locales" / f"{SLUG}.pot"
        self.catalog = self.folder / "locales" / "mr" / "LC_MESSAGES" / f"{SLUG}.po"
        self.blocks: list[tuple[str, str, str | None]] = []
        self.history: list[str] = []  # every text a block has had, for reverts
        self.written: set[str] = set()  # every translation the translator wrote
        self.unchanged: dict = {}  # key -> translation, while the block keeps its text
        self.counter = 0

    def teardown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    # ---------------------------------------------------------------- the editor

    @initialize(first=st.lists(st.tuples(KINDS, SENTENCE, CONTEXTS), min_size=1, max_size=6))
    def start(self, first):
        self.blocks = list(first)
        self.history = [text for _, text, _ in first]
        self.extract_and_update()

    @rule(data=st.data(), text=SENTENCE)
    def edit_block(self, data, text):
        index = data.draw(st.integers(0, len(self.blocks) - 1))
        kind, _, context = self.blocks[index]
        self.change(index, (kind, text, context))

    @rule(data=st.data(), kind=KINDS, text=SENTENCE, context=CONTEXTS)
    def insert_block(self, data, kind, text, context):
        index = data.draw(st.integers(0, len(self.blocks)))
        self.blocks.insert(index, (kind, text, context))
        self.history.append(text)
        self.extract_and_update()

    @precondition(lambda self: len(self.blocks) > 1)
    @rule(data=st.data())
    def delete_block(self, data):
        index = data.draw(st.integers(0, len(self.blocks) - 1))
        del self.blocks[index]
        self.forget_changed()
        self.extract_and_update()

    @rule(data=st.data())
    def move_block(self, data):
        index = data.draw(st.integers(0, len(self.blocks) - 1))
        target = data.draw(st.integers(0, len(self.blocks) - 1))
        self.blocks.insert(target, self.blocks.pop(index))
        self.extract_and_update()

    @rule(data=st.data())
    def revert_block(self, data):
        index = data.draw(st.integers(0, len(self.blocks) - 1))
        text = data.draw(st.sampled_from(self.history))
        kind, _, context = self.blocks[index]
        self.change(index, (kind, text, context))

    @rule(data=st.data(), context=CONTEXTS)
    def change_context(self, data, context):
        index = data.draw(st.integers(0, len(self.blocks) - 1))
        kind, text, _ = self.blocks[index]
        self.change(index, (kind, text, context))

    @rule(data=st.data(), extra=SENTENCE)
    def small_edit(self, data, extra):
        """A word or two changed: the kind of edit that keeps a fuzzy match."""
        index = data.draw(st.integers(0, len(self.blocks) - 1))
        kind, text, context = self.blocks[index]
        self.change(index, (kind, text.rstrip(".") + " " + extra.split()[0].lower() + ".", context))

    def change(self, index, block):
        self.blocks[index] = block
        self.history.append(block[1])
        self.forget_changed()
        self.extract_and_update()

    def forget_changed(self):
        current = {key_of(b) for b in self.blocks}
        self.unchanged = {k: v for k, v in self.unchanged.items() if k in current}

    def extract_and_update(self):
        self.source.write_text(markdown_of(self.blocks), encoding="utf-8")
        article = load_article(self.source)
        write_template(extract_article(article, self.folder), self.template)
        update_catalog(self.template, self.catalog, "mr", "Marathi")

    # ---------------------------------------------------------------- the translator

    @rule(data=st.data())
    def translate(self, data):
        """Translate or review some entries, as in Poedit: write the text, clear fuzzy."""
        po = read_po_file(self.catalog)
        active = [e for e in po if not e.obsolete and e.msgid]
        chosen = data.draw(st.lists(st.sampled_from(active), unique_by=id, max_size=len(active)))
        for entry in chosen:
            self.counter += 1
            self.written.discard(entry.msgstr)  # the translator's own change, not a loss
            entry.msgstr = f"अनुवाद क्रमांक {self.counter}"
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgctxt = None
            self.written.add(entry.msgstr)
            self.unchanged[(entry.msgctxt, entry.msgid)] = entry.msgstr
        write_atomic(self.catalog, po_bytes(po))

    # ---------------------------------------------------------------- what must hold

    @invariant()
    def no_translation_is_ever_lost(self):
        po = read_po_file(self.catalog)
        if po is None:
            return
        kept = {e.msgstr for e in po if e.msgstr}
        assert self.written <= kept, f"lost: {sorted(self.written - kept)}"

    @invariant()
    def an_unchanged_block_keeps_its_translation(self):
        po = read_po_file(self.catalog)
        if po is None:
            return
        active = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
        for key, text in self.unchanged.items():
            entry = active.get(key)
            assert entry is not None, f"no entry for unchanged block {key}"
            assert entry.msgstr == text and "fuzzy" not in entry.flags, (key, entry.msgstr, entry.flags)

    @invariant()
    def the_build_can_read_the_catalog(self):
        if self.catalog.exists():
            assert read_catalog(self.catalog, "mr") is not None


TestEditAndTranslate = EditAndTranslate.TestCase
TestEditAndTranslate.settings = settings(max_examples=40, stateful_step_count=12, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------ the catalog reader


PO_LINES = st.one_of(
    st.sampled_from(['msgid ""', 'msgstr ""', 'msgctxt "x"', 'msgid "a"', 'msgstr "b"', 'msgid_plural "as"',
                     'msgstr[0] "b"', 'msgstr[1] "c"', 'msgstr[9] "z"', '#, fuzzy', '#, python-format', '#~ msgid "old"',
                     '#~ msgstr "पुराना"', '#| msgid "before"', '#~| msgid "x"', '#. note', '#: source/x.md:3', '',
                     '"Content-Type: text/plain; charset=UTF-8\\n"', '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
                     '"Plural-Forms: nplurals=x; plural=?;\\n"', '"Content-Type: text/plain; charset=latin-1\\n"',
                     '"Language: mr\\n"', 'msgstr "unterminated', '"\\"', 'msgid "\\u0000"']),
    st.text(max_size=40).map(lambda text: f'msgstr "{text}"'),
    st.text(max_size=40).map(lambda text: f'"{text}"'),
    st.text(max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=3000))
def test_any_bytes_read_as_a_catalog_or_an_input_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "random.po"
    path.write_bytes(data)
    try:
        catalog = read_catalog(path, "mr")
    except InputError as err:
        assert str(path) in err.format()
    else:
        assert catalog is not None
        list(catalog)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(PO_LINES, max_size=40), encoding=st.sampled_from(["utf-8", "latin-1", "utf-16"]))
def test_any_catalog_like_text_reads_as_a_catalog_or_an_input_error(tmp_path_factory, lines, encoding):
    path = tmp_path_factory.mktemp("lines") / "random.po"
    path.write_bytes("\n".join(lines).encode(encoding, errors="replace"))
    try:
        catalog = read_catalog(path, "mr")
    except InputError as err:
        assert str(path) in err.format()
    else:
        for message in catalog:
            assert message.id is not None


# ------------------------------------------------------------------ any translation renders safely


MARKUP = st.text(alphabet=st.sampled_from(list("<>\"'&*_[]()!`#:/\\=;. \n\tabcjavscriptonerlmgfdt1अआक्षर")),
                 max_size=200)
FRAGMENTS = st.sampled_from(["<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:", "data:",
                             "[a](", "![b](", "http://127.0.0.1:9/x.png", "<style>", "<iframe src=//e>", "<a href=",
                             "\" onmouseover=\"", "&#106;", "&colon;", "<!--", "-->", "<svg/onload=alert(1)>",
                             "file:///etc/hostname", "images/../../x.svg", "{clinic_name}", "{unknown}", "**", "`"])
TRANSLATIONS = st.lists(st.one_of(MARKUP, FRAGMENTS), max_size=12).map("".join)


@pytest.fixture(scope="module")
def handout():
    folder = Path(tempfile.mkdtemp(prefix="properties-render-", dir=TMP))
    shutil.copytree(ROOT / "source" / "images", folder / "images")
    path = folder / f"{SLUG}.md"
    path.write_text((Path(__file__).parent / "hostile" / "handout.md").read_text(encoding="utf-8"), encoding="utf-8")
    yield load_article(path)
    shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(translations=st.lists(TRANSLATIONS, min_size=6, max_size=6))
def test_any_translation_renders_without_script_or_is_refused(handout, translations):
    from test_hostile import page_problems

    from pipeline.publish import decide
    from pipeline.render_html import render_page
    from pipeline.translate import Translation

    config = load_config(ROOT / "clinics.yaml")
    messages = {block.key: text for block, text in zip(handout.blocks, translations) if text}
    translation = Translation("mr", "en", messages, (), {}, len(handout.blocks))
    clinic, locale = config.clinics["pune"], config.locales["mr"]
    try:
        html = render_page(config, handout, decide(handout, translation, [], clinic, locale), clinic, locale)
    except InputError:
        return
    folder = Path(tempfile.mkdtemp(prefix="page-", dir=TMP))
    try:
        page = folder / "pune" / "mr" / "page.html"
        page.parent.mkdir(parents=True)
        page.write_text(html, encoding="utf-8")
        (folder / "assets" / "images").mkdir(parents=True)
        shutil.copy(ROOT / "source" / "images" / "tms-session.svg", folder / "assets" / "images")
        assert page_problems(page, folder) == []
    finally:
        shutil.rmtree(folder, ignore_errors=True)
