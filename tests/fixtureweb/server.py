"""A fixture news web: several Arabic outlets served over real HTTP on loopback.

Each outlet listens on its own loopback address (127.0.0.1, 127.0.0.2, ... : Linux routes
all of 127.0.0.0/8 to ``lo``), so a crawler sees distinct hosts. Everything is stdlib:
one ``ThreadingHTTPServer`` per outlet, daemon handler threads, and one lock guarding the
articles, faults and request log, so a test may publish or inject faults while a crawl
runs in another process.

Use::

    with default_web() as web:
        web.outlet("sawt").base_url           # "http://127.0.0.1:40123"
        web.set_fault("/rss.xml", "500", outlet="nafitha", times=1)
        web.publish("bayraq", spec)
        web.count(path_prefix="/rss.xml", status=304)
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import templates as T
from .articles import ArticleSpec, starter_specs

FAULT_KINDS = (
    "500",
    "404",
    "redirect",
    "redirect_loop",
    "slow",
    "hang",
    "oversize",
    "broken_xml",
    "empty",
    "reset",
)
FEED_PATHS = ("/rss.xml", "/atom.xml", "/news-sitemap.xml", "/sitemap.xml")
# Articles per archive listing page (/archive/page-N.html).
ARCHIVE_PAGE_SIZE = 3
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class Outlet:
    """One simulated news site. ``host``/``port`` are filled in when the web starts."""

    name: str
    display_name: str
    template: str  # "modern" | "classic" | "legacy"
    timezone: str = "UTC"
    host: str = "127.0.0.1"
    port: int = 0
    feed_limit: int | None = 50  # newest N in RSS/Atom; None lists all. Sitemaps list all.
    tracking_params: str = ""  # appended to RSS/Atom links, e.g. "utm_source=rss"
    _articles: dict[str, ArticleSpec] = field(default_factory=dict, repr=False)
    _ids: dict[str, int] = field(default_factory=dict, repr=False)
    version: int = 0  # bumped on every change to the outlet's articles

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def encoding(self) -> str:
        return "windows-1256" if self.template == "legacy" else "utf-8"

    @property
    def html_content_type(self) -> str:
        # The legacy outlet declares its charset only inside the page, as old CMSs do.
        return "text/html" if self.template == "legacy" else "text/html; charset=utf-8"

    def path_for(self, spec: ArticleSpec) -> str:
        """The article's canonical path (and query, for the legacy outlet)."""
        if self.template == "modern":
            d = T.local(spec.published, self.timezone)
            return f"/news/{d:%Y/%m/%d}/{spec.slug}"
        if self.template == "classic":
            return f"/article/{spec.slug}.html"
        return f"/news.php?id={self._ids[spec.slug]}"

    def url_for(self, spec: ArticleSpec) -> str:
        return self.base_url + self.path_for(spec)

    def link_for(self, spec: ArticleSpec) -> str:
        """The href a listing page (under /section/) uses; the legacy site writes it page-relative."""
        path = self.path_for(spec)
        return ".." + path if self.template == "legacy" else path

    def feed_link(self, spec: ArticleSpec, medium: str = "rss") -> str:
        url = self.url_for(spec)
        if not self.tracking_params:
            return url
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}{self.tracking_params.replace('rss', medium)}"

    def expected_published(self, spec: ArticleSpec) -> tuple[datetime, str]:
        """(UTC datetime, precision) that a correct date extraction yields for this page."""
        if self.template == "classic":
            d = T.local(spec.published, self.timezone).date()
            return datetime(d.year, d.month, d.day, tzinfo=UTC), "day"
        if self.template == "legacy":
            return spec.published.astimezone(UTC).replace(second=0, microsecond=0), "second"
        return spec.published.astimezone(UTC).replace(microsecond=0), "second"


@dataclass
class Fault:
    path: str
    kind: str
    outlet: str | None = None
    delay: float = 2.0  # "slow"
    size: int = 6_000_000  # "oversize": body bytes
    declare_length: bool = True  # "oversize": send Content-Length (else stream until close)
    target: str = "/"  # "redirect"
    times: int | None = None  # None: until cleared
    retry_after: int | None = None  # numeric kinds (e.g. "503")

    def matches(self, outlet: str, path: str, target: str) -> bool:
        if self.outlet is not None and self.outlet != outlet:
            return False
        return (target if "?" in self.path else path) == self.path


@dataclass
class RequestRecord:
    outlet: str
    method: str
    path: str  # path and query as requested
    headers: dict[str, str]
    status: int | None  # None: no answer was sent (hang, reset)
    bytes_sent: int  # body bytes
    time: float  # epoch seconds when the request arrived
    duration: float = 0.0
    fault: str | None = None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers.items():
            if k.lower() == lname:
                return v
        return None


@dataclass
class _Response:
    status: int
    content_type: str
    body: bytes
    etag: str | None = None
    last_modified: datetime | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], web: FixtureWeb, outlet: Outlet) -> None:
        self.web = web
        self.outlet = outlet
        self.conns: set[socket.socket] = set()
        self.handler_threads: set[threading.Thread] = set()
        self.serving = False
        super().__init__(addr, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse lookup that can stall.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FixtureWeb/1.0"
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.web._lock:
            self.server.conns.add(self.connection)
            self.server.handler_threads.add(threading.current_thread())

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.web._lock:
                self.server.conns.discard(self.connection)
                self.server.handler_threads.discard(threading.current_thread())

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the request log replaces stderr noise

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        self._serve(head=False)

    # -- plumbing --

    def _serve(self, head: bool) -> None:
        web = self.server.web
        outlet = self.server.outlet
        split = urlsplit(self.path)
        fault = web._take_fault(outlet.name, split.path, self.path)
        # Logged on arrival and completed just before the last byte goes out, so a client
        # that has read its response always finds the finished record.
        self._record = RequestRecord(
            outlet=outlet.name,
            method=self.command,
            path=self.path,
            headers={k: v for k, v in self.headers.items()},
            status=None,
            bytes_sent=0,
            time=time.time(),
            fault=fault.kind if fault else None,
        )
        web._record(self._record)
        try:
            if fault is not None:
                self._apply_fault(fault, split.path, split.query, head)
            else:
                self._answer(web._route(outlet, split.path, split.query), head)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        finally:
            with web._lock:
                self._record.duration = time.time() - self._record.time

    def _commit(self, status: int, nbytes: int) -> None:
        with self.server.web._lock:
            self._record.status = status
            self._record.bytes_sent = nbytes
            self._record.duration = time.time() - self._record.time

    def _answer(self, resp: _Response, head: bool) -> None:
        if resp.status == 200 and self._not_modified(resp.etag, resp.last_modified):
            self.send_response(304)
            self._validators(resp)
            self._commit(304, 0)
            self.end_headers()
            return
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        self._validators(resp)
        for k, v in resp.headers:
            self.send_header(k, v)
        self._commit(resp.status, 0 if head else len(resp.body))
        self.end_headers()
        if not head:
            self.wfile.write(resp.body)

    def _validators(self, resp: _Response) -> None:
        if resp.etag:
            self.send_header("ETag", resp.etag)
        if resp.last_modified:
            self.send_header("Last-Modified", T.http_date(resp.last_modified))

    def _not_modified(self, etag: str | None, last_modified: datetime | None) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:  # takes precedence over If-Modified-Since (RFC 9110)
            tags = [t.strip() for t in inm.split(",")]
            return etag is not None and (
                "*" in tags or any(t.removeprefix("W/") == etag for t in tags)
            )
        ims = self.headers.get("If-Modified-Since")
        if ims and last_modified is not None:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return last_modified.replace(microsecond=0) <= since
        return False

    def _apply_fault(self, fault: Fault, path: str, query: str, head: bool) -> None:
        web = self.server.web
        outlet = self.server.outlet
        kind = fault.kind
        if kind == "slow":
            if web._stop.wait(fault.delay):
                self.close_connection = True
                return
            self._answer(web._route(outlet, path, query), head)
        elif kind == "hang":
            web._stop.wait()  # released by stop()
            self.close_connection = True
        elif kind == "reset":
            # SO_LINGER 0 turns the close into a TCP RST.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        elif kind in ("redirect", "redirect_loop"):
            if kind == "redirect":
                location = fault.target
            else:
                # Two URLs that point at each other: a loop a client must detect.
                location = path if "loop=1" in query else f"{path}?loop=1"
            if location.startswith("/"):
                location = outlet.base_url + location
            body = b"<html><body>moved</body></html>"
            self._answer(_Response(302, "text/html", body, headers=[("Location", location)]), head)
        elif kind == "oversize":
            self._stream_oversize(fault, head)
        elif kind == "broken_xml":
            resp = web._route(outlet, path, query)
            text = resp.body.decode("utf-8", "replace") if path in FEED_PATHS else "<rss><channel>"
            body = T.broken_xml(text).encode("utf-8")
            self._answer(_Response(200, "application/xml; charset=utf-8", body), head)
        elif kind == "empty":
            spec = web._lookup(outlet, path, query)
            title = spec.title if spec else "صفحة"
            body = T.render_empty(outlet, title).encode(outlet.encoding, "xmlcharrefreplace")
            self._answer(_Response(200, outlet.html_content_type, body, etag=_etag(body)), head)
        elif re.fullmatch(r"\d{3}", kind):
            status = int(kind)
            body = T.render_error(outlet, status).encode(outlet.encoding, "xmlcharrefreplace")
            extra = [("Retry-After", str(fault.retry_after))] if fault.retry_after else []
            self._answer(_Response(status, outlet.html_content_type, body, headers=extra), head)
        else:  # pragma: no cover - set_fault validates kinds
            raise ValueError(kind)

    def _stream_oversize(self, fault: Fault, head: bool) -> None:
        outlet = self.server.outlet
        head_html = (
            f'<html dir="rtl"><head><meta charset="utf-8"><title>صفحة ضخمة</title></head>'
            f"<body><h1>{outlet.display_name}</h1>"
        ).encode()
        filler = (
            "<p>نص حشو لصفحة ضخمة الحجم تتجاوز الحد المسموح به للتنزيل في الزاحف.</p>\n"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if fault.declare_length:
            self.send_header("Content-Length", str(fault.size))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        if head:
            self._commit(200, 0)
            self.end_headers()
            return
        self.end_headers()
        chunk = filler * (65536 // len(filler) + 1)
        sent = 0
        if len(head_html) >= fault.size:
            self._commit(200, fault.size)
        self.wfile.write(head_html[: fault.size])
        sent += min(len(head_html), fault.size)
        stop = self.server.web._stop
        while sent < fault.size and not stop.is_set():
            piece = chunk[: fault.size - sent]
            if sent + len(piece) >= fault.size:
                self._commit(200, fault.size)
            try:
                self.wfile.write(piece)
            except OSError:
                self._commit(200, sent)
                raise
            sent += len(piece)
        if sent < fault.size:
            self._commit(200, sent)
            self.close_connection = True


class FixtureWeb:
    """The fixture news web. Not started by the constructor; use ``start()`` or ``with``."""

    def __init__(
        self,
        outlets: Iterable[Outlet] = (),
        *,
        shared_port: bool = False,
        slow_delay: float = 2.0,
    ) -> None:
        self.outlets: dict[str, Outlet] = {o.name: o for o in outlets}
        self.shared_port = shared_port
        self.slow_delay = slow_delay
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._faults: list[Fault] = []
        self._log: list[RequestRecord] = []
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._cache: dict[tuple[str, str, int], _Response] = {}
        self._next_id = 4101

    # -- lifecycle --

    def start(self) -> FixtureWeb:
        if self._servers:
            return self
        self._stop.clear()
        self._cache.clear()  # cached feeds hold the previous run's ports
        port = 0
        try:
            for outlet in self.outlets.values():
                server = self._bind(outlet, port)
                if self.shared_port:
                    port = outlet.port
                self._servers.append(server)
        except BaseException:
            self.stop()
            raise
        for server in self._servers:
            server.serving = True
            t = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fixtureweb-{server.outlet.name}",
                daemon=True,
            )
            t.start()
            self._threads.append(t)
        return self

    def _bind(self, outlet: Outlet, port: int) -> _Server:
        try:
            server = _Server((outlet.host, port), self, outlet)
        except OSError:
            # Hosts without the whole 127/8 on lo (macOS): fall back to 127.0.0.1.
            if outlet.host == "127.0.0.1":
                raise
            outlet.host = "127.0.0.1"
            server = _Server((outlet.host, 0), self, outlet)
        outlet.port = server.server_address[1]
        return server

    def stop(self) -> None:
        """Stop serving; releases "hang" and "slow" handlers and closes open connections."""
        self._stop.set()
        for server in self._servers:
            if server.serving:  # shutdown() waits forever on a server that never served
                server.shutdown()
            server.server_close()
        with self._lock:
            conns = [c for s in self._servers for c in s.conns]
            handlers = [t for s in self._servers for t in s.handler_threads]
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for t in self._threads + handlers:
            if t is not threading.current_thread():
                t.join(timeout=2)
        self._servers.clear()
        self._threads.clear()

    @property
    def running(self) -> bool:
        return bool(self._servers)

    def __enter__(self) -> FixtureWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- content --

    def outlet(self, name: str) -> Outlet:
        return self.outlets[name]

    def __getitem__(self, name: str) -> Outlet:
        return self.outlets[name]

    def publish(self, outlet_name: str, spec: ArticleSpec) -> str:
        """Add (or replace) an article; feeds, sitemaps and their ETags change. Returns its URL."""
        outlet = self.outlets[outlet_name]
        if spec.outlet != outlet_name:
            spec = dataclasses.replace(spec, outlet=outlet_name)
        with self._lock:
            if spec.slug not in outlet._ids:
                outlet._ids[spec.slug] = self._next_id
                self._next_id += 1
            outlet._articles[spec.slug] = spec
            outlet.version += 1
            return outlet.url_for(spec)

    def publish_many(self, specs: Iterable[ArticleSpec]) -> None:
        for spec in specs:
            self.publish(spec.outlet, spec)

    def revise(
        self,
        outlet_name: str,
        slug: str,
        *,
        title: str | None = None,
        paragraphs: list[str] | None = None,
        modified: datetime | None = None,
    ) -> ArticleSpec:
        """Edit a published article and bump its modified date (a feed "revision")."""
        outlet = self.outlets[outlet_name]
        with self._lock:
            old = outlet._articles[slug]
            new = dataclasses.replace(
                old,
                title=title if title is not None else old.title,
                paragraphs=list(paragraphs) if paragraphs is not None else old.paragraphs,
                modified=modified or datetime.now(UTC).replace(microsecond=0),
            )
            outlet._articles[slug] = new
            outlet.version += 1
            return new

    def unpublish(self, outlet_name: str, slug: str) -> None:
        outlet = self.outlets[outlet_name]
        with self._lock:
            outlet._articles.pop(slug, None)
            outlet.version += 1

    def articles(self, outlet_name: str | None = None) -> list[ArticleSpec]:
        """Published articles, newest first (one outlet, or all)."""
        with self._lock:
            outlets = [self.outlets[outlet_name]] if outlet_name else list(self.outlets.values())
            specs = [s for o in outlets for s in o._articles.values()]
        return sorted(specs, key=lambda s: s.published, reverse=True)

    def spec(self, key: str) -> ArticleSpec:
        """An article by key "outlet/slug"."""
        outlet_name, slug = key.split("/", 1)
        with self._lock:
            return self.outlets[outlet_name]._articles[slug]

    def url(self, key_or_spec: str | ArticleSpec) -> str:
        spec = self.spec(key_or_spec) if isinstance(key_or_spec, str) else key_or_spec
        with self._lock:
            return self.outlets[spec.outlet].url_for(spec)

    def key_for_url(self, url: str) -> str | None:
        """Map a fetched URL (tracking params or not) back to "outlet/slug"."""
        split = urlsplit(url)
        for outlet in self.outlets.values():
            if split.netloc == f"{outlet.host}:{outlet.port}":
                spec = self._lookup(outlet, split.path, split.query)
                return spec.key if spec else None
        return None

    def expected_published(self, key: str) -> tuple[datetime, str]:
        spec = self.spec(key)
        return self.outlets[spec.outlet].expected_published(spec)

    # -- faults --

    def set_fault(
        self,
        path: str,
        kind: str,
        *,
        outlet: str | None = None,
        delay: float | None = None,
        size: int = 6_000_000,
        declare_length: bool = True,
        target: str = "/",
        times: int | None = None,
        retry_after: int | None = None,
    ) -> Fault:
        """Make ``path`` misbehave (on one outlet, or on all when ``outlet`` is None).

        ``path`` is matched exactly against the request path, or against path and query when
        it contains "?". The newest fault for a path wins. ``times`` limits how many requests
        it affects. Kinds: ``FAULT_KINDS`` or any 3-digit status such as "503".
        """
        if kind not in FAULT_KINDS and not re.fullmatch(r"\d{3}", kind):
            raise ValueError(f"unknown fault kind {kind!r}")
        if outlet is not None and outlet not in self.outlets:
            raise KeyError(outlet)
        fault = Fault(
            path=path,
            kind=kind,
            outlet=outlet,
            delay=self.slow_delay if delay is None else delay,
            size=size,
            declare_length=declare_length,
            target=target,
            times=times,
            retry_after=retry_after,
        )
        with self._lock:
            self._faults.insert(0, fault)
        return fault

    def clear_fault(self, path: str | None = None, outlet: str | None = None) -> None:
        with self._lock:
            self._faults = [
                f
                for f in self._faults
                if not ((path is None or f.path == path) and (outlet is None or f.outlet == outlet))
            ]

    def _take_fault(self, outlet: str, path: str, target: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(outlet, path, target):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    # -- request log --

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def find(
        self,
        *,
        outlet: str | None = None,
        path: str | None = None,
        path_prefix: str | None = None,
        status: int | None = None,
        method: str | None = None,
    ) -> list[RequestRecord]:
        """Logged requests matching every given filter (``path`` compares path and query)."""
        out = []
        for r in self.requests:
            if outlet is not None and r.outlet != outlet:
                continue
            if path is not None and r.path != path:
                continue
            if path_prefix is not None and not r.path.startswith(path_prefix):
                continue
            if status is not None and r.status != status:
                continue
            if method is not None and r.method != method:
                continue
            out.append(r)
        return out

    def count(self, **filters: Any) -> int:
        return len(self.find(**filters))

    def wait_for(self, predicate: Callable[[FixtureWeb], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.02)
        return predicate(self)

    # -- config helpers --

    def sources(
        self,
        kinds: Iterable[str] = ("rss",),
        interval: str = "10m",
        *,
        outlets: Iterable[str] | None = None,
    ) -> list[dict[str, str]]:
        """``[[sources]]`` entries for marsad's config, for every outlet or the named ones.
        Kinds: rss, atom, sitemap, news-sitemap, listing."""
        kinds = list(kinds)
        names = set(self.outlets if outlets is None else outlets)
        out = []
        for o in self.outlets.values():
            if o.name not in names:
                continue
            for kind in kinds:
                name = o.name if len(kinds) == 1 else f"{o.name}-{kind}"
                entry = {"name": name, "interval": interval, "timezone": o.timezone}
                if kind in ("rss", "atom"):
                    entry |= {"kind": "rss", "url": f"{o.base_url}/{kind}.xml"}
                elif kind == "sitemap":
                    entry |= {"kind": "sitemap", "url": f"{o.base_url}/sitemap.xml"}
                elif kind == "news-sitemap":
                    entry |= {"kind": "sitemap", "url": f"{o.base_url}/news-sitemap.xml"}
                elif kind == "listing":
                    entry |= {
                        "kind": "listing",
                        "url": f"{o.base_url}/section/defence",
                        "link_selector": "css:div.news-list a",
                    }
                else:
                    raise ValueError(kind)
                out.append(entry)
        return out

    def sources_toml(
        self,
        kinds: Iterable[str] = ("rss",),
        interval: str = "10m",
        *,
        outlets: Iterable[str] | None = None,
    ) -> str:
        blocks = []
        for entry in self.sources(kinds, interval, outlets=outlets):
            lines = ["[[sources]]"] + [f'{k} = "{v}"' for k, v in entry.items()]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks) + "\n"

    # -- routing --

    def _lookup(self, outlet: Outlet, path: str, query: str) -> ArticleSpec | None:
        with self._lock:
            if outlet.template == "legacy":
                if path != "/news.php":
                    return None
                ids = parse_qs(query).get("id", [])
                for slug, num in outlet._ids.items():
                    if ids and ids[0] == str(num):
                        return outlet._articles.get(slug)
                return None
            # The slug is the last path segment, so no scan over every article is needed.
            slug = path.rsplit("/", 1)[-1].removesuffix(".html")
            spec = outlet._articles.get(slug)
            if spec is not None and outlet.path_for(spec) == path:
                return spec
        return None

    def _route(self, outlet: Outlet, path: str, query: str) -> _Response:
        if path in FEED_PATHS:
            return self._feed(outlet, path)
        if path.startswith("/archive/"):
            archived = self._archive(outlet, path.removeprefix("/archive/"))
            if archived is not None:
                return archived
        if path == "/robots.txt":
            body = T.robots_txt(outlet).encode()
            return _Response(200, "text/plain; charset=utf-8", body)
        html_type = outlet.html_content_type
        if path in ("/", "/index.php", "/index.html") or path.startswith("/section/"):
            section = path.removeprefix("/section/") if path.startswith("/section/") else None
            specs = [s for s in self.articles(outlet.name) if section in (None, s.section)]
            title = T.SECTION_NAMES.get(section or "", section or "آخر الأخبار")
            text = T.render_listing(outlet, title, specs[:100], datetime.now(UTC))
            body = text.encode(outlet.encoding, "xmlcharrefreplace")
            return _Response(200, html_type, body)
        spec = self._lookup(outlet, path, query)
        if spec is None:
            body = T.render_error(outlet, 404).encode(outlet.encoding, "xmlcharrefreplace")
            return _Response(404, html_type, body)
        body = T.render_article(outlet, spec).encode(outlet.encoding, "xmlcharrefreplace")
        return _Response(200, html_type, body, etag=_etag(body), last_modified=spec.updated)

    def _archive(self, outlet: Outlet, name: str) -> _Response | None:
        """The outlet's whole past, for backfills: ``sitemap-index.xml`` lists one sitemap per
        month (``sitemap-2024-05.xml``, its lastmod the month's latest change), and
        ``page-N.html`` are listing pages, newest first, each linking to the next (older) one
        with ``a.next``."""
        specs = sorted(self.articles(outlet.name), key=lambda s: s.published, reverse=True)
        xml = "application/xml; charset=utf-8"
        if name == "sitemap-index.xml":
            months: dict[str, datetime] = {}
            for spec in specs:
                month = f"{spec.published.astimezone(UTC):%Y-%m}"
                months[month] = max(months.get(month, spec.updated), spec.updated)
            return _Response(200, xml, T.monthly_sitemap_index(outlet, months).encode())
        if (m := re.fullmatch(r"sitemap-(\d{4}-\d{2})\.xml", name)) is not None:
            month = [s for s in specs if f"{s.published.astimezone(UTC):%Y-%m}" == m.group(1)]
            return _Response(200, xml, T.news_sitemap(outlet, month).encode())
        if (m := re.fullmatch(r"page-(\d+)\.html", name)) is not None:
            number = int(m.group(1))
            start = (number - 1) * ARCHIVE_PAGE_SIZE
            page = specs[start : start + ARCHIVE_PAGE_SIZE]
            older = f"/archive/page-{number + 1}.html" if len(specs) > start + len(page) else None
            text = T.render_archive_page(outlet, page, number, older)
            return _Response(200, outlet.html_content_type, text.encode(outlet.encoding))
        return None

    def _feed(self, outlet: Outlet, path: str) -> _Response:
        with self._lock:
            key = (outlet.name, path, outlet.version)
            cached = self._cache.get(key)
            if cached is not None:
                return cached
            specs = sorted(outlet._articles.values(), key=lambda s: s.published, reverse=True)
        updated = max((s.updated for s in specs), default=_EPOCH)
        limited = specs if outlet.feed_limit is None else specs[: outlet.feed_limit]
        if path == "/rss.xml":
            text, ctype = T.rss(outlet, limited, updated), "application/rss+xml; charset=utf-8"
        elif path == "/atom.xml":
            text, ctype = T.atom(outlet, limited, updated), "application/atom+xml; charset=utf-8"
        elif path == "/news-sitemap.xml":
            text, ctype = T.news_sitemap(outlet, specs), "application/xml; charset=utf-8"
        else:
            text, ctype = T.sitemap_index(outlet, updated), "application/xml; charset=utf-8"
        body = text.encode("utf-8")
        resp = _Response(200, ctype, body, etag=_etag(body), last_modified=updated)
        with self._lock:
            # Old versions are never asked for again; keep the cache from growing.
            self._cache = {k: v for k, v in self._cache.items() if k[:2] != key[:2]}
            self._cache[key] = resp
        return resp


# --- the default web ---------------------------------------------------------------------


def default_outlets(first_host: int = 1) -> list[Outlet]:
    """Three outlets with the three templates, on 127.0.0.<first_host>, +1, +2."""
    specs = [
        ("sawt", "صوت المشرق", "modern", "Asia/Beirut", "utm_source=rss&utm_medium=feed"),
        ("nafitha", "نافذة الخليج", "classic", "Asia/Riyadh", ""),
        ("bayraq", "البيرق", "legacy", "Africa/Algiers", ""),
    ]
    return [
        Outlet(
            name=name,
            display_name=display,
            template=template,
            timezone=tz,
            host=f"127.0.0.{first_host + i}",
            tracking_params=tracking,
        )
        for i, (name, display, template, tz, tracking) in enumerate(specs)
    ]


def default_web(
    anchor: datetime | None = None,
    *,
    include_injection: bool = False,
    first_host: int = 1,
    shared_port: bool = False,
    slow_delay: float = 2.0,
) -> FixtureWeb:
    """The three default outlets with the starter articles published (not started yet).

    ``anchor`` defaults to now, so the starter set is fresh enough to be alerted; pass
    ``articles.FIXED_ANCHOR`` for identical pages on every run.
    """
    from .articles import injection_spec

    web = FixtureWeb(default_outlets(first_host), shared_port=shared_port, slow_delay=slow_delay)
    web.publish_many(starter_specs(anchor))
    if include_injection:
        web.publish("sawt", injection_spec("sawt", anchor))
    return web


def running_web(**kwargs: Any) -> Iterator[FixtureWeb]:
    """Generator for a pytest fixture: ``yield from running_web()`` starts and always stops."""
    web = default_web(**kwargs)
    web.start()
    try:
        yield web
    finally:
        web.stop()
