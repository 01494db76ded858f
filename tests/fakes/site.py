"""A loopback site that answers fixed bytes per path: feeds and pages written by a test, sent
with whatever Content-Type the test chooses (including wrong ones)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StaticSite:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.routes: dict[str, tuple[str, bytes, int]] = {}
        self.redirects: dict[str, str] = {}
        self.requested: list[str] = []

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def serve(self, path: str, content_type: str, body: bytes, status: int = 200) -> str:
        self.routes[path] = (content_type, body, status)
        return self.base_url + path

    def redirect(self, path: str, location: str) -> str:
        """`path` answers 302 to `location`."""
        self.redirects[path] = location
        return self.base_url + path


@contextmanager
def static_site() -> Iterator[StaticSite]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requested.append(self.path)
            if self.path in site.redirects:
                self.send_response(302)
                self.send_header("Location", site.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            content_type, body, status = site.routes.get(self.path, ("text/plain", b"", 404))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site = StaticSite(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
