"""``python -m pipeline serve``: a live preview on http://127.0.0.1:8000/ that
rebuilds what changed on every save (the same build as ``build``) and reloads the
open pages; with readability and translation overlays and the print version's pages."""

from __future__ import annotations

import sys

from pipeline.commands.common import add_locale_option
from pipeline.errors import InputError
from pipeline.formats import DEFAULT_FORMATS, FORMATS
from pipeline.model import Config
from pipeline.serve import PreviewServer

DESCRIPTION = """Build the web pages, serve the output folder on a local address and
build again whenever a handout, a catalog, the configuration or a template is saved:
web pages first (the open preview reloads within a second), then the PDFs. Open
/__preview/<clinic>/<locale>/<handout>.html to see a page with the readability
overlay (hard sentences and words in place, grade against target, sections), the
translation overlay (each block translated, fuzzy, missing or rejected by QA, with
its catalog line) and the print version's pages; errors in the inputs show there
too. Writes only what `build` writes. Stop with Ctrl+C."""


def add_command(subparsers, common) -> None:
    parser = subparsers.add_parser("serve", parents=[common], help="live preview that rebuilds on save",
                                   description=DESCRIPTION)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this computer only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    parser.add_argument("--clinic", action="append", metavar="ID", help="only this clinic (repeatable)")
    add_locale_option(parser)
    parser.add_argument("--article", action="append", metavar="SLUG", help="only this handout (repeatable)")
    parser.add_argument("--format", action="append", choices=FORMATS, dest="formats",
                        help="only this format (repeatable; default: html, pdf, large-print)")
    parser.set_defaults(func=run)


def run(config: Config, args) -> int:
    if not 0 <= args.port <= 65535:
        raise InputError(None, None, f"--port {args.port} is not a port number", "use 1 to 65535, or 0 for any")
    formats = tuple(dict.fromkeys(args.formats)) if args.formats else DEFAULT_FORMATS
    try:
        server = PreviewServer(config.path, args.host, args.port, formats=formats, clinics=args.clinic,
                               locales=args.locale, slugs=args.article)
    except OSError as err:
        raise InputError(None, None, f"cannot listen on {args.host}:{args.port}: {err.strerror}",
                         "pick another port with --port, or stop what uses it") from None
    home = next(iter(config.clinics), "")
    print(f"Serving {config.output_dir} on {server.url}/ (preview: {server.url}/__preview/{home}/index.html)")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {args.host}: other computers can read the outputs", file=sys.stderr)
    print("Rebuilding on every save; press Ctrl+C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0
