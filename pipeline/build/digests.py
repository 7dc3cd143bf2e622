"""What an output is built from, as digests: the handout, its catalogs and glossary,
the clinic's configuration, the templates, the pipeline code that builds it and the
Python distributions that code imports (with what they require); for PDFs also the
stylesheets, the images the handout shows and the fonts.

Planning only reads and hashes files; it never parses Markdown or catalogs. Paths
inside a digest are relative to the project or the package, so a copy of the project
elsewhere has the same digests.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.metadata
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from pipeline import __version__
from pipeline.catalogs import UI_DOMAIN, catalog_path, catalogs_root
from pipeline.files import file_digest
from pipeline.model import Config
from pipeline.formats import is_print, pair_of
from pipeline.review import digest_part as review_digest_part
from pipeline.review import today
from pipeline.variants import chain

CODE_DIR = Path(__file__).resolve().parent.parent  # the pipeline package
# The modules that build a web page, and those that also build a PDF. The modules they
# import (followed through the source) count too; the rest of the package does not.
PAGE_CODE = ("build.render", "publish", "sources", "translate", "render_html", "qa", "variables", "config",
             "catalogs")
PRINT_CODE = ("render_pdf", "pdf_text")
IMAGE_REFERENCE = re.compile(rb"images/[A-Za-z0-9._/-]+")


def digest(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


class Inputs:
    """Digests of everything outputs are built from, each file read and hashed once.

    ``cache`` is the manifest's own store: which modules a source file imports, the
    fonts and the distributions, each with what says when to look again."""

    def __init__(self, config: Config, cache: dict):
        self.config = config
        self.cache = cache
        self.changed = False
        self._files: dict[Path, str] = {}
        self._clinics: dict[str, str] = {}
        self.today = today()  # a handout crossing its review dates is rebuilt
        page_code, page_imports = self._code_digest(PAGE_CODE)
        print_code, print_imports = self._code_digest(PRINT_CODE)
        self.page = digest("\n".join([
            __version__, platform.python_version(), self.distributions(page_imports), page_code,
            self.folder(CODE_DIR / "templates", exclude={"index.html"})]))
        self.print = digest("\n".join([
            self.distributions(print_imports - page_imports), print_code, self.folder(CODE_DIR / "static"),
            self._fonts_digest()]))

    def file(self, path: Path) -> str:
        if path not in self._files:
            self._files[path] = file_digest(path)  # a pipe or a device is never opened
        return self._files[path]

    def relative(self, path: Path) -> str:
        """``path`` relative to the project (or the package), as digests name it."""
        for root in (self.config.root, CODE_DIR):
            if path.is_relative_to(root):
                return path.relative_to(root).as_posix()
        return str(path)

    def named(self, path: Path) -> str:
        """``path``, relative to the project (or the package), and its digest."""
        return f"{self.relative(path)}:{self.file(path)}"

    def files(self, paths: list[Path], extra: str = "") -> str:
        """One digest for a list of files (the inputs of an index page, of the assets)."""
        return digest("\n".join([extra] + [self.named(p) for p in paths]))

    def output_digests(self, cid: str, locale: str, slug: str, source: bytes, formats) -> tuple[dict, int]:
        """The input digest of each of ``formats`` for one handout, clinic and locale,
        and the size of its text (to schedule the largest first)."""
        config = self.config
        parts = [self.page, self.clinic(cid), digest(source),
                 "review " + review_digest_part(source, config.clinics[cid].review, self.today)]
        size = len(source)
        parts += [self.named(path) for path, _root, _what in unit_files(config, locale, slug, source)]
        if locale != config.source_language:
            try:
                size += catalog_path(config.locales_dir, locale, slug).stat().st_size
            except OSError:
                pass
        page = digest("\n".join(parts))
        digests = {fmt: digest(f"{page}\n{fmt}") for fmt in formats if not is_print(fmt)}
        if any(is_print(fmt) for fmt in formats):
            printed = digest("\n".join([page, self.print]))
            for fmt in filter(is_print, formats):
                pair = pair_of(fmt)  # a bilingual edition is built from its other language's files too
                other = [] if pair is None else [self.named(path) for path, _root, _what in
                                                 unit_files(config, pair[0], slug, source)]
                digests[fmt] = digest("\n".join([printed, fmt, *other]))
        return {fmt: digests[fmt] for fmt in formats}, size

    def clinic(self, cid: str) -> str:
        """The clinic's configuration as its outputs show it: its entry, its languages
        and its publishing thresholds (paths relative to the project)."""
        if cid not in self._clinics:
            clinic = self.config.clinics[cid]
            languages = [self._relative_fields(self.config.locales[code]) for code in clinic.locales]
            self._clinics[cid] = digest(repr((self.config.source_language, self._relative_fields(clinic),
                                              clinic.publish_threshold, languages)))
        return self._clinics[cid]

    def _relative_fields(self, record) -> dict:
        fields = dataclasses.asdict(record)
        return {key: self.relative(value) if isinstance(value, Path) else value for key, value in fields.items()}

    def folder(self, folder: Path, exclude=frozenset()) -> str:
        if not folder.is_dir():
            return "-"
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in exclude
                       and "__pycache__" not in p.parts)
        return digest("\n".join(f"{p.relative_to(folder).as_posix()}:{self.file(p)}" for p in files))

    def _code_digest(self, roots: tuple[str, ...]) -> tuple[str, set[str]]:
        """The code of ``roots`` and every pipeline module they import, by content, with
        the package's data files that code names; and the top-level names of the other
        modules that code imports (``weasyprint``, ``yaml``, …).

        What a file imports is read from its source once and kept in the manifest
        against the file's digest, so unchanged code is not parsed again."""
        known = self.cache.setdefault("code", {})
        data_files = sorted(p.name for p in (CODE_DIR / "data").glob("*") if p.is_file())
        seen: dict[str, str] = {}
        used_data: set[str] = set()
        external: set[str] = set()
        todo = list(roots)
        while todo:
            name = todo.pop()
            path = module_path(name) if name not in seen else None
            if path is None:
                continue
            seen[name] = self.file(path)
            cached = known.get(name)
            if not (isinstance(cached, list) and len(cached) == 5 and cached[0] == seen[name]
                    and cached[2] == data_files):
                text = path.read_bytes()
                internal, outside = imported_modules(text, path, name)
                cached = [seen[name], sorted(internal), data_files,
                          sorted(p for p in data_files if Path(p).stem.encode() in text), sorted(outside)]
                known[name] = cached
                self.changed = True
            todo.extend(cached[1])
            used_data.update(cached[3])
            external.update(cached[4])
            if "." in name:  # a package's __init__ runs before its modules
                todo.append(name.rsplit(".", 1)[0])
        lines = [f"{name}:{value}" for name, value in sorted(seen.items())]
        lines += [f"data/{name}:{self.file(CODE_DIR / 'data' / name)}" for name in sorted(used_data)]
        return digest("\n".join(lines)), external

    def distributions(self, modules: set[str]) -> str:
        """Name and version of the distributions that provide ``modules``, and of what
        they require, followed through their metadata; nothing else installed counts.
        Kept in the manifest, as the providers are, until a folder on ``sys.path``
        changes (reading the metadata took 0.18 s of every build)."""
        stamp = _path_stamp()
        key = digest("\n".join(sorted(modules)))
        cached = self.cache.get("installed")
        if not (isinstance(cached, dict) and cached.get("stamp") == stamp and isinstance(cached.get("digests"), dict)):
            cached = self.cache["installed"] = {"stamp": stamp, "digests": {}}
        if not isinstance(cached["digests"].get(key), str):
            cached["digests"][key] = digest("\n".join(f"{name} {version}" for name, version in self._installed(modules)))
            self.changed = True
        return cached["digests"][key]

    def _installed(self, modules: set[str]) -> list[tuple[str, str]]:
        providers = self._providers()
        todo = sorted({dist for module in modules for dist in providers.get(module, ())})
        found: dict[str, str] = {}
        while todo:
            name = canonicalize_name(todo.pop())
            if name in found:
                continue
            try:
                dist = importlib.metadata.distribution(name)
            except importlib.metadata.PackageNotFoundError:
                continue  # an optional requirement that is not installed
            found[name] = dist.version
            for requirement in dist.requires or ():
                try:
                    parsed = Requirement(requirement)
                except InvalidRequirement:
                    continue
                if parsed.marker is None or parsed.marker.evaluate({"extra": ""}):
                    todo.append(parsed.name)
        return sorted(found.items())

    def _providers(self) -> dict[str, list[str]]:
        """Top-level module name → distributions, as importlib.metadata maps them. Kept
        in the manifest until a folder on ``sys.path`` changes."""
        stamp = _path_stamp()
        cached = self.cache.get("distributions")
        if isinstance(cached, dict) and cached.get("stamp") == stamp and isinstance(cached.get("providers"), dict):
            return cached["providers"]
        providers = {module: sorted(set(names)) for module, names in importlib.metadata.packages_distributions().items()}
        self.cache["distributions"] = {"stamp": stamp, "providers": providers}
        self.changed = True
        return providers

    def _fonts_digest(self) -> str:
        """The fonts fontconfig offers, by file, family and version. Listing them costs
        a subprocess; the answer is kept until a font folder or fontconfig's own
        configuration changes (the rule fontconfig itself uses for its cache)."""
        stamp = _fonts_stamp()
        cached = self.cache.get("fonts")
        if isinstance(cached, dict) and cached.get("stamp") == stamp and isinstance(cached.get("digest"), str):
            return cached["digest"]
        try:
            listing = subprocess.run(["fc-list", "--format", "%{file}:%{family}:%{fontversion}\n"],
                                     capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        value = digest("\n".join(sorted(listing.splitlines())))
        self.cache["fonts"] = {"stamp": stamp, "digest": value}
        self.changed = True
        return value


def unit_files(config: Config, locale: str, slug: str, source: bytes) -> list[tuple[Path, Path, str]]:
    """Every project file besides the handout that one handout's outputs in ``locale``
    read, with the folder it must stay in and what it is (as ``files.read_shipped``
    names it): the handout's and the interface catalogs of the locale and of the
    locales it falls back to (a regional variant, mr_IN, shows its base's, mr, entries
    too), their glossaries (QA of those entries), and the images the handout shows
    (PDFs embed them, and loading the handout checks them: an image made unsafe
    refuses the handout, its web page too). The digests and what is sent with a unit
    both come from this one list."""
    files = []
    for code in chain(config, locale):
        if code != config.source_language:
            for domain in (slug, UI_DOMAIN):
                path = catalog_path(config.locales_dir, code, domain)
                files.append((path, catalogs_root(path), "catalog"))
        language = config.locales.get(code)
        if language is not None and language.glossary:
            files.append((Path(language.glossary), Path(language.glossary).parent, "file"))
    files += [(config.source_dir / name, config.source_dir, "image")
              for name in sorted({m.decode() for m in IMAGE_REFERENCE.findall(source)})]
    return files


def module_path(name: str) -> Path | None:
    """``render_html`` → pipeline/render_html.py; ``build`` → pipeline/build/__init__.py."""
    base = CODE_DIR.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imported_modules(text: bytes, path: Path, name: str) -> tuple[set[str], set[str]]:
    """The pipeline modules that module ``name`` imports, anywhere in its source, and
    the top-level names of the other modules it imports."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError:
        return set(), set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    internal, external = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pipeline" or alias.name.startswith("pipeline."):
                    internal.add(alias.name.removeprefix("pipeline").lstrip("."))
                else:
                    external.add(alias.name.partition(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from .x import y
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(parts + ([node.module] if node.module else []))
            elif node.module == "pipeline" or (node.module or "").startswith("pipeline."):
                base = node.module.removeprefix("pipeline").lstrip(".")
            else:
                external.add((node.module or "").partition(".")[0])
                continue
            internal.add(base)
            for alias in node.names:  # from pipeline import qa: qa may be a module
                candidate = f"{base}.{alias.name}" if base else alias.name
                if module_path(candidate) is not None:
                    internal.add(candidate)
    internal.discard("")
    external -= set(sys.stdlib_module_names) | {"", "__future__"}
    return internal, external


def _path_stamp() -> str:
    """What changes when anything is installed or removed: the folders on ``sys.path``."""
    return digest("\n".join(f"{p}:{_mtime(p)}" for p in sys.path if p))


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def _fonts_stamp() -> str:
    """Modification times of the font folders and fontconfig's configuration."""
    home = Path.home()
    data_home = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    roots = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".fonts", data_home / "fonts",
             Path("/etc/fonts")]
    stamps = []
    for root in roots:
        for folder, dirs, _files in os.walk(root):
            dirs.sort()
            try:
                stamps.append(f"{folder}:{os.stat(folder).st_mtime_ns}")
            except OSError:
                continue
    stamps.append(os.environ.get("FONTCONFIG_FILE", "") + os.environ.get("FONTCONFIG_PATH", ""))
    return digest("\n".join(stamps))
