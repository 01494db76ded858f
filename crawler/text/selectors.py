"""`css:` and `xpath:` selectors as the config writes them, parsed in one place.

A listing source's `link_selector` and a source's extraction `selectors` are written
"css:div.news a" or "xpath://div[@id='x']". The config validates them, the listing spider and
the source check pick links with them, and extraction reads titles, bodies and dates with them.
This module is in `crawler.text`, which imports nothing else of Marsad's, so that the config,
`crawler.analysis` and `spiders` can all import it without a cycle: the config must not import
analysis or the spiders, and analysis must not import the config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

SelectorKind = Literal["css", "xpath"]
_KINDS: tuple[SelectorKind, ...] = ("css", "xpath")

_Nodes = TypeVar("_Nodes", covariant=True)


class Selectable(Protocol[_Nodes]):
    """A document that answers CSS and XPath queries: a parsel `Selector`, a Scrapy response."""

    def css(self, query: str) -> _Nodes: ...

    def xpath(self, query: str) -> _Nodes: ...


@dataclass(frozen=True)
class Selector:
    kind: SelectorKind
    expression: str

    @classmethod
    def parse(cls, spec: str, *, default: SelectorKind | None = None) -> Selector:
        """Read `"css:..."` or `"xpath:..."`.

        A spec without either prefix is a `default` selector, or a ValueError without one.
        """
        spec = spec.strip()
        prefix, _, rest = spec.partition(":")
        for kind in _KINDS:
            if prefix == kind:
                expression = rest.strip()
                break
        else:
            if default is None:
                raise ValueError("a selector starts with 'css:' or 'xpath:'")
            kind, expression = default, spec
        if not expression:
            raise ValueError(f"the selector {spec!r} has no expression after '{kind}:'")
        return cls(kind, expression)

    def checked(self) -> Selector:
        """This selector, once it has run on a small page; a ValueError saying why if it cannot.

        The config checks its selectors so that a typo is an error at load, not a crawl that
        quietly picks nothing.
        """
        from cssselect import SelectorError
        from parsel import Selector as Document

        try:
            self.select(Document(text="<html><body><div><p>x</p></div></body></html>"))
        except (ValueError, SelectorError) as exc:
            raise ValueError(f"invalid {self.kind} selector {self.expression!r}: {exc}") from None
        return self

    def select(self, document: Selectable[_Nodes]) -> _Nodes:
        """The nodes of `document` this selector picks."""
        if self.kind == "css":
            return document.css(self.expression)
        return document.xpath(self.expression)
