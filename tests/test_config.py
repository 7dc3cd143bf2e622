"""The configuration and the handouts' front matter: text stays exactly as written,
and anything wrong or unusual is an ``InputError`` at the line that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_HANDOUT, ROOT
from pipeline.config import load_config
from pipeline.errors import InputError
from pipeline.sources import load_article

CONFIG = (ROOT / "clinics.yaml").read_text(encoding="utf-8")

HANDOUT = MINIMAL_HANDOUT


def configured(tmp_path: Path, old: str, new: str):
    assert old in CONFIG, old
    path = tmp_path / "clinics.yaml"
    path.write_text(CONFIG.replace(old, new, 1), encoding="utf-8")
    return load_config(path)


def config_error(tmp_path: Path, old: str, new: str) -> InputError:
    with pytest.raises(InputError) as caught:
        configured(tmp_path, old, new)
    return caught.value


def line_of(text: str, piece: str) -> int:
    return text[:text.index(piece)].count("\n") + 1


# ------------------------------------------------------------------ text stays text


@pytest.mark.parametrize("old, new, read", [
    ('phone: "+91 20 0000 0000"', "phone: 07120000000", lambda c: c.clinics["pune"].phone),  # YAML 1.1: octal 960495616
    ('emergency_number: "112"', "emergency_number: 000", lambda c: c.clinics["pune"].emergency_number),  # 0
    ('number: "14416"', "number: 0123", lambda c: c.clinics["pune"].crisis_line.number),  # 83
    ('email: care@clinic.example', "email: 1e3", lambda c: c.clinics["pune"].email),  # 1000.0
    ("website: https://clinic.example", "website: no", lambda c: c.clinics["pune"].website),  # False
])
def test_unquoted_values_are_kept_exactly_as_written(tmp_path, old, new, read):
    assert read(configured(tmp_path, old, new)) == new.split(": ", 1)[1]


def test_a_locale_called_no_is_the_code_no(tmp_path):
    config = configured(tmp_path, "  mr:\n    name: मराठी", "  'no':\n    name: Norsk\n  mr:\n    name: मराठी")
    assert "no" in config.locales
    config = configured(tmp_path, "  mr:\n    name: मराठी", "  no:\n    name: Norsk\n  mr:\n    name: मराठी")
    assert "no" in config.locales and config.locales["no"].name == "Norsk"


def test_the_shipped_configuration_reads_its_numbers_as_numbers():
    config = load_config(ROOT / "clinics.yaml")
    assert config.readability["en"] == {"fk_grade": 6, "smog": 8}
    assert config.readability["mr"]["long_word_share"] == 0.2
    assert config.clinics["pune"].publish_threshold == {"pdf": 100, "html": 0}


# ------------------------------------------------------------------ wrong or unusual input, at its line


@pytest.mark.parametrize("old, new, words", [
    ("    smog: 8 ", "    smgo: 8 ", "unknown readability target 'smgo'"),
    ("    smog: 8 ", "    smog: eight ", "must be a number"),
    ("    long_word_share: 0.2", "    long_word_share: 1e400", "must be a number"),
    ("      pdf: 100\n      html: 0\n\n", "      pdf: 100000000000000000000000000000000\n      html: 0\n\n", "must be a number"),
    ("      pdf: 100\n      html: 0\n\n", "      pdf: 101\n      html: 0\n\n", "from 0 to 100"),
    ("    locales: [en, ", "    locales: [[en], ", "must list locale codes"),
    ("    paper: A4", "    paper: A4\n    ? [a, b]\n    : c", "a key must be plain text"),
    ("    paper: A4", "    paper: !!python/object:os.system A4", "a YAML tag"),
    ("    paper: A4", "    paper: A4\x0c", "control character (U+000C)"),
    ('      mr: "[क्लिनिकचे नाव], पुणे"', '      mar: "[क्लिनिकचे नाव], पुणे"', "'mar' under 'name'"),
    ('phone: "+91 20 0000 0000"', "phone: call the desk", "not a phone number"),
    ('phone: "+91 20 0000 0000"', "phone: [1, 2]", "must be text"),
])
def test_bad_or_unusual_configuration_names_its_line(tmp_path, old, new, words):
    error = config_error(tmp_path, old, new)
    assert words in error.message, error.format()
    text = CONFIG.replace(old, new, 1)
    changed = next(line for line in new.split("\n") if line not in old.split("\n"))
    assert error.line == line_of(text, changed), error.format()
    assert error.hint


# ------------------------------------------------------------------ front matter


def handout_error(tmp_path: Path, text: str) -> InputError:
    path = tmp_path / "source" / "a-handout.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_article(path)
    return caught.value


@pytest.mark.parametrize("old, new, line, words", [
    # A quote left open on line 3 and closed by the quote on line 4: line 3, not 2.
    ("summary: What it is about.\nreviewed: 2026-01-05",
     'summary: "What it is about.\nreviewed: "2026-01-05"', 3, "not closed"),
    ("summary: What it is about.", 'summary: "What it is about.', 3, "not closed"),
    ("summary: What it is about.", "summary: What it is: about.", 3, "not valid YAML"),
    ("2026-01-05", "2026-02-30", 4, "not a date in the calendar"),
    ("2026-01-05", "2026-01-05 10:00", 4, "YYYY-MM-DD"),
    ("title: A handout", "? [a, b]\n: c\ntitle: A handout", 2, "a key must be plain text"),
    ("  - A guideline", "  - [A guideline]", 5, "'sources' must list"),
    ("title: A handout", "title: [A handout]", 2, "must be text"),
    ("title: A handout", "title: A\x0chandout", 2, "control character"),
    ("title: A handout", "title: A handout\nreadability: {fk_grade: 99999999999999999999999}", 3, "must be a number"),
    ("title: A handout", "title: A handout\nreadability:\n  fk_grad: 7", 4, "did you mean 'fk_grade'"),
])
def test_front_matter_errors_name_the_line_that_is_wrong(tmp_path, old, new, line, words):
    error = handout_error(tmp_path, HANDOUT.replace(old, new, 1))
    assert error.line == line and words in error.message + error.hint, error.format()


def test_front_matter_text_stays_as_written(tmp_path):
    path = tmp_path / "a-handout.md"
    path.write_text(HANDOUT.replace("title: A handout", "title: 0123").replace(
        "title: 0123", "title: 0123\nreadability: {fk_grade: 7}"), encoding="utf-8")
    article = load_article(path)
    assert article.title == "0123" and article.targets == {"fk_grade": 7}


# ------------------------------------------------------------------ placeholders in handouts


def test_a_misspelt_variable_in_a_handout_is_refused_at_its_line(tmp_path):
    text = HANDOUT.replace("Some text.", "Some text.\n\nIf you have questions,\ncall {clinic_phon} today.")
    error = handout_error(tmp_path, text)
    assert error.line == line_of(text, "call {clinic_phon}")
    assert error.message == "unknown variable {clinic_phon} in the paragraph"
    assert "did you mean {clinic_phone}?" in error.hint


@pytest.mark.parametrize("written", ["{Clinic_Phone}", "{0}", "{clinic_phone:>9}", "{clinic_phone", "clinic_phone}"])
def test_anything_else_in_braces_is_refused(tmp_path, written):
    error = handout_error(tmp_path, HANDOUT.replace("Some text.", f"Call {written} today."))
    assert error.line == 11 and ("unknown variable" in error.message or "without its partner" in error.message)


def test_a_misspelt_variable_fails_the_command_with_exit_2(project, capsys):
    from conftest import run_cli

    source = project / "source" / "what-is-treatment-resistant-depression.md"
    text = source.read_text(encoding="utf-8").replace("{clinic_phone}", "{clinic_phon}", 1)
    source.write_text(text, encoding="utf-8")
    assert run_cli(project, "extract") == 2
    err = capsys.readouterr().err
    assert f"what-is-treatment-resistant-depression.md:{line_of(text, '{clinic_phon}')}: error: unknown variable" in err


# ------------------------------------------------------------------ any text: a configuration or an error at a line


YAML_PIECES = st.sampled_from([
    ": ", "- ", "? ", "[", "]", "{", "}", ",", "'", '"', "#", "&a ", "*a", "!!int ", "!x ", "|", ">", "~",
    "\t", "\x0c", "\x00", "\ufeff", "0777", "1e999", "-.inf", "no", "2026-02-30", "    ", "\n", "\n  ", "é", "मराठी",
])


def _load(kind: str, folder: Path, text: str):
    path = folder / ("clinics.yaml" if kind == "configuration" else "a-handout.md")
    path.write_text(text, encoding="utf-8")
    return load_config(path) if kind == "configuration" else load_article(path)


@pytest.mark.parametrize("kind, original, lines", [
    ("configuration", CONFIG, range(CONFIG.count("\n") + 1)),
    ("front matter", HANDOUT, range(1, 6)),
])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), piece=st.lists(YAML_PIECES, max_size=8).map("".join))
def test_any_edit_loads_or_is_an_input_error_at_a_line(tmp_path, kind, original, lines, data, piece):
    lines_of = original.split("\n")
    line = data.draw(st.sampled_from(lines))
    middle = len(lines_of[line]) // 2
    lines_of[line] = lines_of[line][:middle] + piece + lines_of[line][middle:]
    try:
        _load(kind, tmp_path, "\n".join(lines_of))
    except InputError as err:
        assert err.line is not None and err.message, err.format()


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_bytes_that_are_not_utf8_are_named_at_their_line_after_a_byte_order_mark(tmp_path, bom):
    """A file saved with a byte-order mark is read without it; a byte that is not
    UTF-8 is still named (0xff) at its own line, not three bytes earlier."""
    path = tmp_path / "glossary.yaml"
    path.write_bytes(bom + b"- en: x\n\xff\n")
    from pipeline.config import load_yaml_file
    with pytest.raises(InputError) as refused:
        load_yaml_file(path, "missing", "")
    assert (refused.value.line, refused.value.message) == (2, "not UTF-8 text (byte 0xff)")
