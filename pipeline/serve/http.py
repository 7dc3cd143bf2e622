"""The requests the preview server answers.

- ``/<path>``: a file of the output folder, byte for byte as published;
- ``/__preview/<path>``: the preview of that page (the page in a frame, the overlays,
  the print version, the build's errors); ``/`` opens the first clinic's index there;
- ``/__serve/static/<name>``: the preview's own script and stylesheets;
- ``/__serve/events``: server-sent events, one after every build;
- ``/__serve/api/page?path=…``: what the overlays show for a page, as JSON;
- ``/__serve/api/pdf-page?path=…&page=N``: one page of a PDF as a PNG.

Only GET and HEAD; only files inside the output folder (``paths.safe_file``); and,
while bound to a loopback address, only requests addressed to it by name (a web
page elsewhere cannot reach the server by pointing a domain name at 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import mimetypes
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from pipeline.serve import overlays
from pipeline.serve.paths import STATIC_DIR, Refused, path_parts, read_safe, safe_file
from pipeline.serve.rebuild import describe_error
from pipeline.sources import load_article

log = logging.getLogger(__name__)

PREVIEW = "/__preview/"
OWN = "/__serve/"
STATIC_FILES = {"preview.html": "text/html; charset=utf-8", "preview.js": "text/javascript; charset=utf-8",
                "preview.css": "text/css; charset=utf-8", "overlay.css": "text/css; charset=utf-8"}
KEEPALIVE_SECONDS = 15


class PreviewHTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream never keeps the process alive
    allow_reuse_address = True


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def make_handler(server):
    """The request handler class for ``server`` (a ``PreviewServer``)."""

    class Handler(PreviewHandler):
        preview = server

    return Handler


class PreviewHandler(BaseHTTPRequestHandler):
    preview = None  # the PreviewServer, set by make_handler
    head = False  # a HEAD request: headers only
    server_version = "handout-preview"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        log.debug("%s " + format, self.address_string(), *args)

    # --- dispatch ------------------------------------------------------------------------

    def do_HEAD(self):
        self._dispatch(head=True)

    def do_GET(self):
        self._dispatch(head=False)

    def _refuse_method(self):
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"only GET and HEAD\n", "text/plain; charset=utf-8",
                   extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    def _dispatch(self, head: bool) -> None:
        self.head = head
        if not self._host_allowed():
            self._send(HTTPStatus.MISDIRECTED_REQUEST, b"this server answers only to its own address\n",
                       "text/plain; charset=utf-8")
            return
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        try:
            if path == "/":
                self._redirect_home()
            elif path.startswith(PREVIEW):
                self._preview(path[len(PREVIEW):])
            elif path == OWN + "events":
                self._events((query.get("page") or [""])[0].lstrip("/"))
            elif path == OWN + "api/page":
                self._page_data(query)
            elif path == OWN + "api/pdf-page":
                self._pdf_page(query)
            elif path.startswith(OWN + "static/"):
                self._static(path[len(OWN + "static/"):])
            else:
                self._output(path)
        except Refused:
            self._not_found()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _host_allowed(self) -> bool:
        bound = self.preview.host
        if not _is_loopback(bound):
            return True  # served on purpose to a network (--host): any name
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        return _is_loopback(host)

    # --- answers ---------------------------------------------------------------------------

    def _send(self, status, body: bytes, content_type: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "SAMEORIGIN")  # only the preview frames a page
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not self.head:
            self.wfile.write(body)

    def _json(self, data) -> None:
        self._send(HTTPStatus.OK, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                   "application/json; charset=utf-8")

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def _redirect_home(self) -> None:
        config = self.preview.config
        target = f"{PREVIEW}{next(iter(config.clinics))}/index.html" if config and config.clinics else PREVIEW
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _output(self, path: str) -> None:
        """A published file, exactly as it is on disk."""
        config = self.preview.config
        if config is None:
            raise Refused("not built yet")
        found = safe_file(config.output_dir, path)
        if found.name.startswith("."):
            raise Refused("the build's own record")
        content_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("image/svg+xml", "application/javascript"):
            content_type += "; charset=utf-8"
        self._send(HTTPStatus.OK, read_safe(found), content_type)
        self.preview.rebuilder.served("page", path.lstrip("/"))

    def _static(self, name: str) -> None:
        if name not in STATIC_FILES:
            raise Refused("not one of the preview's files")
        self._send(HTTPStatus.OK, (STATIC_DIR / name).read_bytes(), STATIC_FILES[name])

    def _preview(self, relative: str) -> None:
        """The preview of a page: one page for all; its script reads the address."""
        if relative:
            self._checked_relative(relative)
        self._static("preview.html")

    def _checked_relative(self, relative: str) -> str:
        """``relative`` as a path in the output folder, never out of it (the file
        itself may not be built yet)."""
        path_parts("/" + relative)
        return relative

    def _page_data(self, query: dict) -> None:
        """The build's state and, for a handout's page, what each overlay asked for shows."""
        preview = self.preview
        state = preview.rebuilder.state
        relative = (query.get("path") or [""])[0].lstrip("/")
        wanted = set((query.get("show") or [""])[0].split(","))
        data = {"state": state.as_json(), "path": relative, "page": None}
        config = preview.config
        if config is not None and relative:
            self._checked_relative(relative)
            ref = overlays.page_ref(config, relative)
            if ref is not None:
                data["page"] = {"clinic": ref.clinic, "locale": ref.locale, "slug": ref.slug}
                for name, function in (("readability", overlays.readability_json),
                                       ("translation", overlays.translation_json),
                                       ("print", overlays.print_json)):
                    if name in wanted:
                        try:
                            data[name] = function(config, ref)
                        except Exception as err:  # bad input shows in the preview, like the build's errors
                            data[name] = {"available": False, "error": describe_error(err)}
                try:
                    data["blocks"] = overlays.blocks_json(load_article(config.source_dir / f"{ref.slug}.md"))
                except Exception as err:
                    data["blocks"] = []
                    data["blocks_error"] = describe_error(err)
        self._json(data)
        if relative:
            self.preview.rebuilder.served("data", relative)

    def _pdf_page(self, query: dict) -> None:
        config = self.preview.config
        if config is None:
            raise Refused("not built yet")
        relative = (query.get("path") or [""])[0]
        if not relative.endswith(".pdf"):
            raise Refused("not a PDF")
        found = safe_file(config.output_dir, "/" + relative.lstrip("/"))
        try:
            page = int((query.get("page") or ["1"])[0])
        except ValueError:
            raise Refused("not a page number") from None
        if page < 1:
            raise Refused("not a page number")
        try:
            png = overlays.pdf_page_png(found, page)
        except (ValueError, OSError):
            raise Refused("no such page") from None
        self._send(HTTPStatus.OK, png, "image/png")

    def _events(self, page: str) -> None:
        """Server-sent events: the build's state now, then after every change. The
        page the preview shows is built first after a save."""
        preview = self.preview
        if page:
            path_parts("/" + page)
            preview.rebuilder.viewing(page, True)
        try:
            self._stream()
        finally:
            if page:
                preview.rebuilder.viewing(page, False)

    def _stream(self) -> None:
        preview = self.preview
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.head:
            return
        seen = -1
        while not preview.stopping.is_set():
            with preview.events:
                if preview.version == seen:
                    preview.events.wait(KEEPALIVE_SECONDS)
                version = preview.version
            if preview.stopping.is_set():
                break
            if version != seen:
                seen = version
                payload = json.dumps(preview.rebuilder.state.as_json(), ensure_ascii=False)
                self.wfile.write(f"event: build\ndata: {payload}\n\n".encode("utf-8"))
            else:
                self.wfile.write(b": still here\n\n")
            self.wfile.flush()


__all__ = ["PreviewHTTPServer", "make_handler"]
