"""``python -m pipeline serve``: a live preview of the outputs while editing.

The story: build the web pages with the same ``build()`` as ``python -m pipeline
build``, serve the output folder, and on every save of a handout, a catalog, the
configuration or a template build again (web pages first, then the PDFs) and tell
the open previews through server-sent events. A page is served exactly as it is
published; the preview (``/__preview/<page>``) shows it in a frame, with the
readability and translation overlays, the print version's pages and the build's
errors around and over it.

The modules: ``rebuild`` (watch and build), ``http`` (the requests: files, previews,
events), ``overlays`` (what the overlays and print preview show, read from the
readability check and the publishing decision), ``paths`` (which files may be
served).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from pipeline.formats import DEFAULT_FORMATS
from pipeline.serve import overlays
from pipeline.serve.http import PreviewHTTPServer, make_handler
from pipeline.serve.rebuild import Rebuilder

__all__ = ["PreviewServer"]

log = logging.getLogger(__name__)


class PreviewServer:
    """The rebuilder and the web server together: ``start()``, ``url``, ``stop()``."""

    def __init__(self, config_path: Path, host: str = "127.0.0.1", port: int = 8000, *,
                 formats=DEFAULT_FORMATS, clinics=None, locales=None, slugs=None):
        self.events = threading.Condition()
        self.version = 0  # one more at every change of the build's state
        self.rebuilder = Rebuilder(config_path, formats=formats, clinics=clinics, locales=locales, slugs=slugs,
                                   on_change=self._announce)
        self.httpd = PreviewHTTPServer((host, port), make_handler(self))
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.warmed = threading.Event()  # the readability stage is loaded (or could not be)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def config(self):
        return self.rebuilder.config

    def _announce(self, _state) -> None:
        with self.events:
            self.version += 1
            self.events.notify_all()

    def _warm_up(self) -> None:
        """Once the first pages are built: load what the readability overlay needs."""
        if self.rebuilder.first_build.wait(300) and not self.stopping.is_set():
            try:
                overlays.warm_up()
            except Exception:  # the overlay reports its own problem when it is asked for
                log.debug("warming up the readability stage failed", exc_info=True)
        self.warmed.set()

    def _start_threads(self) -> None:
        self.rebuilder.start()
        threading.Thread(target=self._warm_up, name="serve-warm-up", daemon=True).start()

    def start(self) -> "PreviewServer":
        self._start_threads()
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="serve-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._start_threads()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.stop()

    def stop(self) -> None:
        self.stopping.set()
        self._announce(None)
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
        self.httpd.server_close()
        self.rebuilder.stop()
