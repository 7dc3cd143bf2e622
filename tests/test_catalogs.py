"""Catalogs: update never loses a translation, whatever the editor or another tool did."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import polib
import pytest
from babel.messages.plurals import get_plural
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import catalog_project, msgfmt_check, run_cli
from pipeline import cli
from pipeline.catalogs import (catalog_path, catalog_stats, po_bytes, read_catalog, read_po_file, source_words,
                               template_path)
from pipeline.errors import InputError
from pipeline.files import write_atomic
from pipeline.merge import merge_catalog

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "catalogs"
DATE = {"SOURCE_DATE_EPOCH": "1767225600"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return catalog_project(tmp_path)


def run(project: Path, *args: str, env: dict | None = None) -> int:
    return run_cli(project, *args, env=env or DATE)


def catalog_file(project: Path, domain: str = "sample") -> Path:
    return catalog_path(project / "locales", "mr", domain)


def edit_source(project: Path, old: str, new: str) -> None:
    path = project / "source" / "sample.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def translate_all(path: Path) -> dict[tuple, str]:
    """Give every entry a translation, as a translator would; return key → msgstr."""
    po = polib.pofile(str(path))
    done = {}
    for entry in po:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: f"मराठी {entry.msgid}", 1: f"मराठी {entry.msgid_plural}"}
        else:
            entry.msgstr = f"मराठी {entry.msgid}"
        done[(entry.msgctxt, entry.msgid)] = entry.msgstr or entry.msgstr_plural[0]
    write_atomic(path, po_bytes(po))
    return done


def states(path: Path) -> dict[str, str]:
    """msgstr → "active" | "fuzzy" | "obsolete" for every translation in a catalog."""
    found = {}
    for entry in polib.pofile(str(path)):
        state = "obsolete" if entry.obsolete else "fuzzy" if "fuzzy" in entry.flags else "active"
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text:
                found[text] = state
    return found


def entry(path: Path, msgid: str, msgctxt: str | None = None, obsolete: bool = False):
    for item in polib.pofile(str(path)):
        if item.msgid == msgid and item.msgctxt == msgctxt and item.obsolete == obsolete:
            return item
    return None


@pytest.fixture
def translated(project: Path) -> tuple[Path, dict]:
    """The fixture project extracted, its Marathi catalogs created and fully translated."""
    assert run(project, "extract") == 0
    assert run(project, "update") == 0
    return project, translate_all(catalog_file(project))


def refresh(project: Path) -> None:
    assert run(project, "extract") == 0
    assert run(project, "update") == 0


# ------------------------------------------------------------------ new catalogs


def test_init_locale_creates_every_catalog_with_header_and_plural_forms(project):
    assert run(project, "extract") == 0
    assert run(project, "init-locale", "hi") == 0
    for domain in ("sample", "ui"):
        path = catalog_path(project / "locales", "hi", domain)
        msgfmt_check(path)
        po = polib.pofile(str(path))
        assert po.metadata["Language"] == "hi"
        assert po.metadata["Plural-Forms"] == get_plural("hi").plural_forms
        assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
        catalog = read_catalog(path, "hi")
        assert not catalog.fuzzy  # a fuzzy header makes pybabel compile skip the catalog
    plural = entry(catalog_path(project / "locales", "hi", "ui"), "%(num)d page")
    if plural is not None:  # only when the page templates use ngettext
        assert sorted(plural.msgstr_plural) == [0, 1]


def test_update_creates_marathi_catalogs_that_msgfmt_accepts(project):
    assert run(project, "extract") == 0
    assert run(project, "update") == 0
    path = catalog_file(project)
    msgfmt_check(path)
    po = polib.pofile(str(path))
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert po.metadata["POT-Creation-Date"] == "2026-01-01 00:00+0000"
    assert not po.metadata_is_fuzzy
    assert len(po) == len(polib.pofile(str(template_path(project / "locales", "sample"))))
    msgfmt_check(catalog_file(project, "ui"))


def test_init_locale_leaves_existing_catalogs_alone(translated):
    project, _ = translated
    before = catalog_file(project).read_bytes()
    assert run(project, "init-locale", "mr") == 0
    assert catalog_file(project).read_bytes() == before


def test_update_without_changes_writes_nothing(translated):
    project, _ = translated
    path = catalog_file(project)
    before, stamp = path.read_bytes(), path.stat().st_mtime_ns
    refresh(project)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stamp


# ------------------------------------------------------------------ editing a handout


def test_a_changed_word_makes_the_entry_fuzzy_with_the_old_text_shown(translated):
    project, done = translated
    old = "A psychiatrist will meet you first. They ask about your **medicines** and your health."
    edit_source(project, "and your health.", "and your sleep.")
    refresh(project)
    path = catalog_file(project)
    changed = entry(path, old.replace("health", "sleep"))
    assert "fuzzy" in changed.flags
    assert changed.previous_msgid == old
    assert changed.msgstr == done[(None, old)]
    assert "#| msgid \"" + old + "\"\n" in path.read_text(encoding="utf-8")
    assert entry(path, old, obsolete=True) is None  # the translation moved, as msgmerge does
    msgfmt_check(path)


def test_reordered_paragraphs_keep_their_translations_byte_for_byte(translated):
    project, done = translated
    first = "TMS takes about 20 minutes a day, 5 days a week, for 4 to 6 weeks."
    second = "About 50% of people feel better after a course."
    before = catalog_file(project).read_bytes()
    edit_source(project, f"{first}\n\n{second}", f"{second}\n\n{first}")
    refresh(project)
    after = catalog_file(project).read_bytes()
    for msgid in (first, second):
        line = f'msgstr "{done[(None, msgid)]}"\n'.encode()
        assert line in before and line in after
        assert "fuzzy" not in entry(catalog_file(project), msgid).flags
    ids = [e.msgid for e in polib.pofile(str(catalog_file(project)))]
    assert ids.index(second) < ids.index(first)  # entries follow the source order


def test_a_deleted_block_is_kept_obsolete_and_comes_back_translated(translated):
    project, done = translated
    gone = "Is it safe? Yes, for most people."
    edit_source(project, f"\n{gone}\n", "\n")
    refresh(project)
    path = catalog_file(project)
    kept = entry(path, gone, obsolete=True)
    assert kept is not None and kept.msgstr == done[(None, gone)]
    assert f'#~ msgid "{gone}"' in path.read_text(encoding="utf-8")
    msgfmt_check(path)

    edit_source(project, "Call us\n", f"Call us\n\n{gone}\n")
    refresh(project)
    back = entry(path, gone)
    assert back is not None and back.msgstr == done[(None, gone)] and "fuzzy" not in back.flags
    assert entry(path, gone, obsolete=True) is None


def test_a_changed_block_changed_back_gets_its_translation_back(translated):
    project, done = translated
    text = "Sleep well the night before."
    edit_source(project, text, "Sleep well the two nights before.")
    refresh(project)
    edit_source(project, "Sleep well the two nights before.", text)
    refresh(project)
    back = entry(catalog_file(project), text)
    # Fuzzy for a quick check: the translation may have been edited while it was fuzzy.
    assert back.msgstr == done[(None, text)] and "fuzzy" in back.flags and back.previous_msgid == text


def test_an_added_block_is_untranslated(translated):
    project, _ = translated
    edit_source(project, "Call us\n", "Call us\n\nBring a friend along to your first visit.\n")
    refresh(project)
    added = entry(catalog_file(project), "Bring a friend along to your first visit.")
    assert added is not None and added.msgstr == "" and "fuzzy" not in added.flags


def test_every_translation_survives_a_round_of_edits(translated):
    project, done = translated
    first = "TMS takes about 20 minutes a day, 5 days a week, for 4 to 6 weeks."
    second = "About 50% of people feel better after a course."
    edit_source(project, "and your health.", "and your well-being.")  # change a word
    edit_source(project, f"{first}\n\n{second}", f"{second}\n\n{first}")  # reorder
    edit_source(project, "\nIs it safe? Yes, for most people.\n", "\n")  # delete
    edit_source(project, "Call us\n", "Call us\n\nAsk us anything you like.\n")  # add
    edit_source(project, "- Eat as usual.\n", "")  # delete a list item
    refresh(project)
    path = catalog_file(project)
    found = states(path)
    for key, text in done.items():
        assert text in found, f"translation of {key} was lost"
    assert found[done[(None, first)]] == "active"
    assert found[done[(None, "Is it safe? Yes, for most people.")]] == "obsolete"
    assert found[done[(None, "Eat as usual.")]] == "obsolete"
    msgfmt_check(path)


def test_translator_comments_survive_changes_and_removal(translated):
    project, _ = translated
    path = catalog_file(project)
    po = polib.pofile(str(path))
    for item in po:
        if item.msgid in ("Headache", "Scalp pain", "Common"):
            item.tcomment = f"checked with Dr. Joshi: {item.msgid}"
    write_atomic(path, po_bytes(po))
    edit_source(project, "| Headache |", "| A headache |")
    edit_source(project, "| Scalp pain | Sometimes |\n", "")
    refresh(project)
    assert entry(path, "A headache").tcomment == "checked with Dr. Joshi: Headache"
    assert entry(path, "Common").tcomment == "checked with Dr. Joshi: Common"
    assert entry(path, "Scalp pain", obsolete=True).tcomment == "checked with Dr. Joshi: Scalp pain"


def test_fuzzy_matching_stays_within_a_msgctxt():
    old = polib.POFile()
    old.metadata = {"Language": "mr", "Plural-Forms": "nplurals=2; plural=(n != 1);"}
    old.append(polib.POEntry(msgid="Call us now", msgstr="आत्ता फोन करा"))
    old.append(polib.POEntry(msgctxt="footer", msgid="Call us today", msgstr="आज फोन करा"))
    template = polib.POFile()
    template.metadata = {"POT-Creation-Date": "2026-01-01 00:00+0000"}
    template.append(polib.POEntry(msgctxt="button", msgid="Call us now"))
    template.append(polib.POEntry(msgctxt="header", msgid="Call us today"))
    merged, report = merge_catalog(template, old, "mr")
    assert merged.find("Call us now", msgctxt="button").msgstr == ""
    assert merged.find("Call us today", msgctxt="header").msgstr == ""
    assert report.new == 2 and report.obsoleted == 2
    assert {e.msgstr for e in merged.obsolete_entries()} == {"आत्ता फोन करा", "आज फोन करा"}

    template.append(polib.POEntry(msgctxt="footer", msgid="Call us today!"))
    merged, report = merge_catalog(template, old, "mr")
    footer = merged.find("Call us today!", msgctxt="footer")
    assert footer.msgstr == "आज फोन करा" and "fuzzy" in footer.flags
    assert (footer.previous_msgctxt, footer.previous_msgid) == ("footer", "Call us today")


def test_a_fuzzy_header_is_cleared_and_header_fields_are_kept(translated):
    project, _ = translated
    path = catalog_file(project)
    po = polib.pofile(str(path))
    po.metadata_is_fuzzy = 1
    po.metadata["Last-Translator"] = "Asha Kulkarni <asha@example.org>"
    po.metadata["X-Generator"] = "Poedit 3.4"
    write_atomic(path, po_bytes(po))
    edit_source(project, "Eat as usual.", "Eat as you usually do.")
    refresh(project)
    po = polib.pofile(str(path))
    assert not po.metadata_is_fuzzy
    assert po.metadata["Last-Translator"] == "Asha Kulkarni <asha@example.org>"
    assert po.metadata["X-Generator"] == "Poedit 3.4"


# ------------------------------------------------------------------ files saved by other tools


def test_a_catalog_rewrapped_and_reordered_by_msgcat_is_read_without_churn_or_loss(translated):
    project, done = translated
    path = catalog_file(project)
    po = polib.pofile(str(path))
    po.metadata["X-Generator"] = "Poedit 3.4"
    po.metadata["PO-Revision-Date"] = "2026-03-02 10:15+0530"
    po.metadata["Content-Type"] = "text/plain; charset=utf-8"
    write_atomic(path, po_bytes(po))
    subprocess.run(["msgcat", "--width=32", "--sort-output", "-o", str(path), str(path)], check=True)
    resaved = path.read_bytes()
    assert b'"Read [our TMS page](https://"\n' in resaved  # really re-wrapped

    refresh(project)
    assert path.read_bytes() == resaved  # nothing to merge: the other tool's file stays as it is
    catalog = read_catalog(path, "mr")
    assert all(catalog.get(msgid, context=ctx).string == text for (ctx, msgid), text in done.items())

    edit_source(project, "Eat as usual.", "Eat as you usually do.")
    refresh(project)
    found = states(path)
    assert all(text in found for text in done.values())
    po = polib.pofile(str(path))
    assert po.metadata["X-Generator"] == "Poedit 3.4"
    assert po.metadata["PO-Revision-Date"] == "2026-03-02 10:15+0530"
    assert [e.msgid for e in po if not e.obsolete][:3] == [
        "Living with TMS", "What a course of TMS is like, in short.", "Before you start"]
    msgfmt_check(path)


def test_a_catalog_merged_by_gnu_msgmerge_is_read_and_updated(translated):
    project, done = translated
    path = catalog_file(project)
    pot = template_path(project / "locales", "sample")
    text = "Sleep well the night before."
    edit_source(project, text, "Sleep well on the night before.")
    assert run(project, "extract") == 0
    subprocess.run(["msgmerge", "--quiet", "--previous", "-U", "--backup=off", str(path), str(pot)], check=True)
    edit_source(project, "- Sleep well on the night before.\n", "")
    assert run(project, "extract") == 0
    subprocess.run(["msgmerge", "--quiet", "--previous", "-U", "--backup=off", str(path), str(pot)], check=True)
    written = path.read_text(encoding="utf-8")
    assert "#~| msgid" in written  # an obsolete fuzzy entry, as msgmerge writes it

    catalog = read_catalog(path, "mr")  # Babel alone rejects "#~|" lines
    assert catalog.get("Headache").string == done[(None, "Headache")]
    assert run(project, "update") == 0
    assert all(text in states(path) for text in done.values())
    msgfmt_check(path)


def test_a_broken_catalog_is_reported_with_file_and_line(translated):
    project, _ = translated
    path = catalog_file(project)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[20] = 'msgstr "unterminated'
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_catalog(path, "mr")
    assert caught.value.path == str(path) and caught.value.line == 21
    assert run(project, "update") == 2


def test_a_catalog_saved_with_a_bom_is_refused_as_msgfmt_refuses_it(translated):
    project, _ = translated
    path = catalog_file(project)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with pytest.raises(AssertionError, match="syntax error"):
        msgfmt_check(path)
    for read in (read_catalog, read_po_file):
        with pytest.raises(InputError) as caught:
            read(path)
        assert caught.value.line == 1 and "byte-order mark" in caught.value.message
    for command in ("update", "qa", "stats"):
        assert run(project, command) == 2, command
    path.write_bytes(path.read_bytes()[3:])  # saved again without it: every tool agrees
    msgfmt_check(path)
    assert run(project, "update") == 0 and run(project, "qa") == 0


@pytest.mark.parametrize("old, new, words", [
    (b"charset=UTF-8", b"charset=KOI9-X", "unknown character set 'KOI9-X'"),
    (b"charset=UTF-8", b"charset=ISO-8859-1", "catalogs here are UTF-8"),
    ("मराठी Headache".encode(), "Headache café".encode("latin-1"), "not UTF-8 text"),
])
def test_a_catalog_in_a_wrong_or_unknown_charset_is_refused_at_its_line(translated, old, new, words):
    project, _ = translated
    path = catalog_file(project)
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))
    for read in (read_catalog, read_po_file):
        with pytest.raises(InputError) as caught:
            read(path)
        assert words in caught.value.message
        assert caught.value.line == data[:data.index(old)].count(b"\n") + 1
    assert run(project, "update") == 2


# ------------------------------------------------------------------ merge, in general


sentences = st.lists(st.text(alphabet="abcdefgh ", min_size=3, max_size=30).map(str.strip).filter(bool),
                     min_size=1, max_size=12, unique=True)


def _template(msgids) -> polib.POFile:
    template = polib.POFile()
    template.metadata = {"POT-Creation-Date": "2026-01-01 00:00+0000"}
    for msgid in msgids:
        template.append(polib.POEntry(msgid=msgid, occurrences=[("source/x.md", "1")]))
    return template


@settings(max_examples=150, deadline=None)
@given(before=sentences, after=sentences, rounds=st.integers(min_value=1, max_value=3))
def test_merge_never_loses_a_translation_whatever_the_edit(before, after, rounds):
    catalog, _ = merge_catalog(_template(before), None, "mr", "Marathi")
    for item in catalog:
        item.msgstr = "अनुवाद " + item.msgid
    done = {item.msgstr for item in catalog}
    for number in range(rounds):
        catalog, _ = merge_catalog(_template(after if number % 2 == 0 else before), catalog, "mr", "Marathi")
        kept = {text for item in catalog for text in [item.msgstr] if text}
        assert done <= kept
    again, _ = merge_catalog(_template(after if rounds % 2 else before), catalog, "mr", "Marathi")
    assert po_bytes(again) == po_bytes(catalog)  # a second merge changes nothing


# ------------------------------------------------------------------ statistics and files


def test_stats_by_entries_and_words(translated, capsys):
    project, _ = translated
    path = catalog_file(project)
    po = polib.pofile(str(path))
    for item in po:
        if item.msgid not in ("Living with TMS", "Headache", "Common"):
            item.msgstr = ""
        if item.msgid == "Common":
            item.flags = ["fuzzy"]
    write_atomic(path, po_bytes(po))
    capsys.readouterr()
    assert cli.main(["stats", "--format", "json", "--config", str(project / "clinics.yaml")]) == 0
    stats = json.loads(capsys.readouterr().out)["mr"]["sample"]
    assert stats["total"] == 21
    assert (stats["translated"], stats["fuzzy"], stats["untranslated"]) == (2, 1, 18)
    assert stats["words_translated"] == 4  # "Living with TMS" and "Headache"
    assert stats["percent"] == 9.5  # 2/21, rounded down
    assert cli.main(["stats", "--config", str(project / "clinics.yaml")]) == 0
    assert "sample" in capsys.readouterr().out


def test_percent_is_100_only_when_everything_is_translated():
    from babel.messages.catalog import Catalog

    template, catalog = Catalog(), Catalog(locale="mr")
    for number in range(1000):
        template.add(f"block {number}")
        catalog.add(f"block {number}", "अनुवाद" if number else "")
    assert catalog_stats(catalog, template)["percent"] == 99.9
    assert catalog_stats(None, template)["untranslated"] == 1000


def test_source_words_ignore_link_targets():
    assert source_words("Read [our TMS page](https://clinic.example/en/tms) for more.") == 6
    assert source_words("It's **not** your fault.") == 4


def test_write_atomic_replaces_the_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "deep" / "file.po"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["file.po"]
