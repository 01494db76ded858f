"""A loopback site that answers fixed bytes per path: feeds and pages written by a test, sent
with whatever Content-Type and headers the test chooses (including wrong ones); and a host
that takes connections and never answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin

# A page whose main text is `body`; and one in windows-1256 that says so only in its <meta>.
PAGE = """<html lang="ar"><head><meta charset="utf-8"><title>{title}</title></head>
<body><article><h1>{title}</h1><p>{body}</p></article></body></html>"""
ARABIC_PAGE = """<html lang="ar"><head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">
<title>{title}</title></head>
<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"""


class StaticSite:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.routes: dict[str, tuple[str, bytes, int, Mapping[str, str]]] = {}
        self.redirects: dict[str, str] = {}
        self.requested: list[str] = []

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def serve(
        self,
        path: str,
        content_type: str,
        body: bytes,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        self.routes[path] = (content_type, body, status, headers or {})
        return self.base_url + path

    def redirect(self, path: str, location: str) -> str:
        """`path` answers 302 to `location`."""
        self.redirects[path] = location
        return self.base_url + path


def rss(site: StaticSite, items: list[tuple[str, str]], guid: str | None = None) -> bytes:
    """An RSS feed of (path on `site` or URL elsewhere, pubDate) items; with `guid`, every item
    carries that one."""
    same_guid = f"<guid>{guid}</guid>" if guid else ""
    entries = "".join(
        f"<item><title>خبر</title><link>{urljoin(site.base_url, path)}</link>{same_guid}"
        f"<pubDate>{date}</pubDate></item>"
        for path, date in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>موقع</title>{entries}</channel></rss>"
    ).encode()


@contextmanager
def static_site(host: str = "127.0.0.1") -> Iterator[StaticSite]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requested.append(self.path)
            if self.path in site.redirects:
                self.send_response(302)
                self.send_header("Location", site.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            content_type, body, status, headers = site.routes.get(
                self.path, ("text/plain", b"", 404, {})
            )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    site = StaticSite(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class HungHost:
    """A host that takes connections (the kernel completes them into the listen backlog) and
    never reads or answers: a client waits until its own timeout. `close()` refuses the
    connections waiting and frees the port, for a real server to take over."""

    def __init__(self, host: str) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self._listener.listen(64)
        self.host = host
        self.port: int = self._listener.getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        self._listener.close()


@contextmanager
def hung_host(host: str = "127.0.0.1") -> Iterator[HungHost]:
    hung = HungHost(host)
    try:
        yield hung
    finally:
        hung.close()
