"""A small HTTP server on 127.0.0.1 that records every request it gets, for tests that prove a
request was never sent (server-side request forgery through LOAD CSV or SPARQL SERVICE)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorder:
    """Where the server listens, and the paths of the requests it received (GET and POST)."""

    base_url: str
    received: list[str] = field(default_factory=list)


@contextmanager
def recording_server(body: bytes, content_type: str = "text/plain") -> Iterator[Recorder]:
    """Serve ``body`` to every request until the block ends, recording each request's path."""
    recorder = Recorder("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server hook
            recorder.received.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # noqa: N815 - the http.server hook

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
