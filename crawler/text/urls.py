"""URL canonicalization: one spelling per article URL.

Feeds, sitemaps and share buttons hand out the same article under many URLs
(tracking parameters, upper-case hosts, default ports, fragments, Arabic paths
raw or percent-encoded). The seen-URL check and the stored `url` must agree on a
single form, so every URL goes through `canonicalize_url` before it is compared.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree
from lxml import html as lxml_html
from w3lib.url import canonicalize_url as _w3lib_canonicalize

# Exact parameter names (compared lower-case) that only track the reader or campaign.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "ocid",
        "cmpid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "at_ptr_name",
        "at_link",
        "_ga",
        "_gl",
        "igshid",
        "igsh",
        "yclid",
        "ysclid",
        "spm",
        "scm",
        "icid",
        "s_cid",
        "xtor",
        "ito",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mkt_tok",
        "_hsenc",
        "_hsmi",
        "hsctatracking",
        "vero_id",
        "vero_conv",
        "oly_enc_id",
        "oly_anon_id",
        "rb_clickid",
        "wt.mc_id",
        "wt_mc_id",
        "fb_action_ids",
        "fb_action_types",
        "fb_ref",
        "fb_source",
        "action_object_map",
        "action_type_map",
        "action_ref_map",
        "__twitter_impression",
        "sr_share",
        "trk",
        "trkcampaign",
        "ns_source",
        "ns_mchannel",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "amp_referrer",
        "smid",
        "smtyp",
        "ssm",
        "from_rss",
    }
)
# Parameter families: utm_source, utm_medium, ..., pk_campaign, mtm_source, hmb_*.
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "matomo_", "hmb_", "at_", "oly_", "sc_")

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    key = name.strip().lower()
    return key in _TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def _strip_tracking(query: str) -> str:
    # Work on the raw pairs so the encoding of the kept values is left to w3lib,
    # which normalizes it once for every parameter alike.
    kept = []
    for pair in re.split(r"[&;]", query):
        if not pair:
            continue
        name = pair.split("=", 1)[0]
        if _is_tracking(name):
            continue
        kept.append(pair)
    return "&".join(kept)


@lru_cache(maxsize=4096)
def canonicalize_url(url: str) -> str:
    """Return the one comparable spelling of `url`.

    Scheme and host are lower-cased, the default port and the fragment are
    dropped, tracking parameters are removed, the other parameters are sorted,
    the path keeps its case, and non-ASCII path segments are percent-encoded as
    UTF-8 with upper-case hex (so a raw Arabic path equals its encoded form).
    """
    url = url.strip()
    if not url:
        return url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    query = _strip_tracking(parts.query)
    rebuilt = urlunsplit((scheme, parts.netloc, parts.path or "/", query, ""))
    try:
        canonical = _w3lib_canonicalize(rebuilt, keep_blank_values=True, keep_fragments=False)
    except (ValueError, UnicodeError):
        canonical = rebuilt
    parts = urlsplit(canonical)
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"[{host}]" if ":" in host else host
    if parts.username:
        userinfo = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{userinfo}@{netloc}"
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme):
        netloc = f"{netloc}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


@lru_cache(maxsize=1)
def _suffix_list() -> Any:
    import tldextract

    # The snapshot bundled with tldextract: no download, no cache directory.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """The part of `host` one owner controls: "bbc.co.uk" for "news.bbc.co.uk".

    An IP address is its own domain, so two outlets on two addresses are two owners. A host
    under a suffix the public list does not know ("news.example") keeps its last two labels.
    """
    host = host.lower().rstrip(".").strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return host
    domain = _suffix_list()(host).top_domain_under_public_suffix
    return domain or ".".join(host.split(".")[-2:])


def _accept_canonical(candidate: str, base_url: str, page_url: str) -> str | None:
    candidate = candidate.strip()
    if not candidate:
        return None
    resolved = urljoin(base_url, candidate)
    parts = urlsplit(resolved)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    page = urlsplit(page_url)
    # A page may only speak for its own site: a canonical on another owner's domain would let
    # any crawled page take over (and rewrite) another outlet's stored article.
    if registrable_domain(parts.hostname) != registrable_domain(page.hostname or ""):
        return None
    page_path = page.path
    # Some CMS templates point every article's canonical at the home page;
    # following that would merge every article of the outlet into one URL.
    if parts.path in ("", "/") and page_path not in ("", "/"):
        return None
    return resolved


_BASE_HREFS = etree.XPath("//base/@href")
_LINKS = etree.XPath("//link[@rel][@href]")
_METAS_WITH_CONTENT = etree.XPath("//meta[@content]")


def resolve_canonical(page_url: str, html: str | lxml_html.HtmlElement) -> str:
    """The page's own canonical URL: `<link rel=canonical>`, then `og:url`, then `page_url`.

    Relative values are resolved against the page URL (or its `<base href>`); only
    http(s) canonicals on the page's own registrable domain are accepted. The result is passed through `canonicalize_url`.
    """
    tree = html
    if isinstance(html, str | bytes):
        try:
            tree = lxml_html.fromstring(html) if html.strip() else None
        except (ValueError, TypeError, lxml_html.etree.ParserError):
            tree = None
    base = page_url
    if tree is not None:
        for href in _BASE_HREFS(tree):
            base = urljoin(page_url, href.strip())
            break
        candidates: list[str] = []
        for link in _LINKS(tree):
            rels = (link.get("rel") or "").lower().split()
            if "canonical" in rels:
                candidates.append(link.get("href") or "")
        for meta in _METAS_WITH_CONTENT(tree):
            key = (meta.get("property") or meta.get("name") or "").strip().lower()
            if key == "og:url":
                candidates.append(meta.get("content") or "")
        for candidate in candidates:
            accepted = _accept_canonical(candidate, base, page_url)
            if accepted:
                return canonicalize_url(accepted)
    return canonicalize_url(page_url)
