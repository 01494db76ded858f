"""Outbound requests stay on the public internet.

A feed, a sitemap or a redirect chooses the URLs a crawl fetches, so without a guard anyone who
can get a link into a crawled page could make Marsad probe the network it runs in (a router's
admin page, a cloud's metadata service at 169.254.169.254). The guard sits in the one place
every request passes after its name is resolved and before a connection is made: the DNS
resolver Scrapy installs on the reactor (``TWISTED_DNS_RESOLVER``). Index, article, robots.txt
and redirect requests all connect through it, and a URL with a literal IP address is "resolved"
by it too, so nothing is exempt; checking the address that is actually connected to also leaves
no room for a name that resolves to one address when checked and another when fetched.

The resolver can only say that a name did not resolve; :class:`AddressRefusalMiddleware` turns
that back into the cause, so that the source's error names the address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import CannotResolveHostError, NotConfigured
from scrapy.http import Request
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.base import ReactorBase

    from crawler.config import Config

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Scrapy settings, set from the config by `crawler.crawl.run.scrapy_settings`.
ALLOW_ALL_SETTING = "MARSAD_ALLOW_PRIVATE_ADDRESSES"
PRIVATE_HOSTS_SETTING = "MARSAD_PRIVATE_HOSTS"

# The most telling name first: 127.0.0.1 is private as well as loopback, 240.0.0.1 private as
# well as reserved.
_KINDS: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("loopback", lambda ip: ip.is_loopback),
    ("link-local", lambda ip: ip.is_link_local),
    ("unspecified", lambda ip: ip.is_unspecified),
    ("multicast", lambda ip: ip.is_multicast),
    ("reserved", lambda ip: ip.is_reserved),
    ("private", lambda ip: ip.is_private),
)


def address_kind(address: str) -> str | None:
    """What kind of non-public address `address` is ("loopback", "private", ...), or None for
    an address on the public internet."""
    ip: IPAddress = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 reaches 127.0.0.1.
        ip = ip.ipv4_mapped
    for kind, test in _KINDS:
        if test(ip):
            return kind
    # Shared (carrier-grade NAT), documentation and benchmarking ranges, among others: none
    # of them is a news site.
    return None if ip.is_global else "non-public"


def refusal(host: str, address: str) -> str | None:
    """Why a request to `host`, resolved to `address`, is refused; None when it is not."""
    kind = address_kind(address)
    if kind is None:
        return None
    # The request's URL, which names the host, comes before this in the source's error.
    cause = f"a {kind} address" if host == address else f"resolves to a {kind} address {address}"
    return f"{cause} (allow_private_addresses is off)"


def address_settings(config: Config) -> dict[str, Any]:
    """The guard's Scrapy settings: everything allowed, or the hosts of the sources that may
    be on a private network (an intranet source)."""
    hosts = {
        host.lower()
        for source in config.sources
        if source.allow_private_addresses and (host := urlsplit(source.url).hostname)
    }
    return {
        ALLOW_ALL_SETTING: config.crawl.allow_private_addresses,
        PRIVATE_HOSTS_SETTING: sorted(hosts),
    }


class _RefusedLookup(DNSLookupError):
    # A DNSLookupError, because Twisted takes that for "no address" and goes on quietly; any
    # other exception from a resolver is logged with a traceback.
    pass


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, answering no address for a name that resolves to a
    non-public one, unless the config allows it for every host or for that host. (It is the
    IResolverSimple its base class declares.)"""

    def __init__(
        self,
        reactor: ReactorBase,
        cache_size: int,
        timeout: float,
        *,
        allow_all: bool = False,
        private_hosts: Sequence[str] = (),
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allow_all = allow_all
        self.private_hosts = frozenset(host.lower() for host in private_hosts)
        # Why each refused name was refused, for AddressRefusalMiddleware.
        self.refusals: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> GuardedResolver:
        settings = crawler.settings
        return cls(
            reactor,
            settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0,
            settings.getfloat("DNS_TIMEOUT"),
            allow_all=settings.getbool(ALLOW_ALL_SETTING),
            private_hosts=settings.getlist(PRIVATE_HOSTS_SETTING),
        )

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802
        resolved = super().getHostByName(name, timeout)
        # Judged on every lookup, cached or not: the cache keeps what the name resolved to.
        return resolved.addCallback(self._judge, name)

    def _judge(self, address: str, name: str) -> str:
        host = name.lower()
        if self.allow_all or host in self.private_hosts:
            return address
        reason = refusal(host, address)
        if reason is None:
            return address
        self.refusals[host] = reason
        raise _RefusedLookup(reason)


class AddressRefused(Exception):
    """A request refused because its host resolves to a non-public address."""


class AddressRefusalMiddleware:
    """Downloader middleware: a request that failed because the guard refused its host's
    address fails with that cause (`AddressRefused`), and is not retried."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressRefusalMiddleware:
        if crawler.settings.getbool(ALLOW_ALL_SETTING):
            # Without a message: Scrapy would log one at WARNING on every crawl.
            raise NotConfigured
        return cls()

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, DNSLookupError | CannotResolveHostError):
            return
        from twisted.internet import reactor

        # The resolver Scrapy installed from TWISTED_DNS_RESOLVER.
        resolver = getattr(reactor, "resolver", None)
        if not isinstance(resolver, GuardedResolver):
            return
        reason = resolver.refusals.get(urlparse_cached(request).hostname or "")
        if reason is not None:
            # Raised, not returned: the middlewares after this one (the retry) are skipped.
            raise AddressRefused(reason) from exception
