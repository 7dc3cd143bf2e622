"""The command line: every command listed, one error boundary, messages safe to show."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
import yaml
from babel.messages.pofile import read_po

from pipeline import cli

# The commands the project promises (docs, Makefile and CI call them), in --help's order.
COMMANDS = ["build", "check", "extract", "update", "init-locale", "stats", "qa", "audit"]


def test_help_lists_every_command_and_each_has_its_own(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"])
    assert stop.value.code == 0
    listed = capsys.readouterr().out
    assert [command for command in cli.COMMAND_MODULES if command in COMMANDS] == COMMANDS
    for command in cli.COMMAND_MODULES:
        assert f"    {command} " in listed or f"    {command}\n" in listed, command
    for command in cli.COMMAND_MODULES:
        with pytest.raises(SystemExit) as stop:
            cli.main([command, "--help"])
        assert stop.value.code == 0
        assert f"usage: python -m pipeline {command}" in capsys.readouterr().out


def test_bad_usage_exits_2(capsys):
    for argv in (["no-such-command"], ["qa", "--format", "xml"], []):
        with pytest.raises(SystemExit) as stop:
            cli.main(argv)
        assert stop.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_command_loads_only_its_own_stage():
    """`build` (the no-op build must stay fast) loads neither WeasyPrint nor the
    readability measures; `--help` loads every command but not WeasyPrint."""
    code = ("import sys\nfrom pipeline import cli\ncli.make_parser(sys.argv[1:])\n"
            "print(' '.join(sorted(m for m in ('weasyprint', 'textstat', 'pipeline.readability.measure', "
            "'pipeline.commands.qa') if m in sys.modules)))")
    build = subprocess.run([sys.executable, "-c", code, "build"], capture_output=True, text=True, check=True)
    assert build.stdout.split() == []
    everything = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "weasyprint" not in everything.stdout.split()
    assert "pipeline.commands.qa" in everything.stdout.split()


def test_input_errors_become_messages_with_file_and_line_and_exit_2(capsys, tmp_path):
    missing = tmp_path / "clin\x1b[2Jics.yaml"
    assert cli.main(["stats", "--config", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "\\x1b[2J" in err and "\x1b" not in err  # the name is shown, its control characters escaped
    assert "Traceback" not in err


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(Exception):
        cli.main(["stats", "--config", str(tmp_path / "missing.yaml"), "--debug"])


def test_library_errors_that_escape_a_stage_name_their_file_and_line():
    broken = io.StringIO("clinics:\n  pune: {name: [unclosed\n")
    broken.name = "clinics.yaml"
    with pytest.raises(yaml.YAMLError) as caught:
        yaml.safe_load(broken)
    message = cli.input_error(caught.value).format()
    assert message.startswith("clinics.yaml:3: error: cannot read YAML")

    with pytest.raises(cli.INPUT_ERRORS) as caught:
        read_po(io.BytesIO(b'msgid "a"\nmsgstr "b"\n\nmsgid "c"\nmsgstr "d"\nbogus line\n'), abort_invalid=True)
    assert cli.input_error(caught.value).format().startswith("error: cannot read a catalog at line 6:")

    with pytest.raises(UnicodeDecodeError) as caught:
        b"line one\nline \xff two".decode("utf-8")
    assert cli.input_error(caught.value).format().startswith("error: a file is not UTF-8 text at line 2")
