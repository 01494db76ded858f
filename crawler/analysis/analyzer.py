"""One analysis of an article: watched terms, topics, countries, evidence and amounts.

`marsad analyze` and the crawl pipeline both go through :class:`Analyzer`, so what the CLI shows
is what the crawler stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from crawler.analysis.classify import Classifier
from crawler.analysis.matcher import Matcher, TermMatch, WatchlistEntry


@dataclass
class Analysis:
    relevant: bool
    terms: list[TermMatch]
    topics: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)
    amounts: list[dict[str, Any]] = field(default_factory=list)

    def terms_json(self) -> list[dict[str, Any]]:
        return [asdict(t) for t in self.terms]

    def to_json(self, article_id: Any) -> dict[str, Any]:
        return {
            "id": article_id,
            "relevant": self.relevant,
            "terms": self.terms_json(),
            "topics": self.topics,
            "countries": self.countries,
            "evidence": self.evidence,
            "amounts": self.amounts,
        }


class Analyzer:
    """Built once per process: compiling the matcher and lexicons is the expensive part."""

    def __init__(self, watchlist: Iterable[WatchlistEntry] = ()) -> None:
        self.matcher = Matcher(watchlist)
        self.classifier = Classifier.builtin()

    @classmethod
    def from_config(cls, config: Any) -> Analyzer:
        return cls(WatchlistEntry(w.name, tuple(w.patterns)) for w in config.watchlist)

    def analyze(self, title: str, body: str) -> Analysis:
        terms = self.matcher.find_in_article(title or "", body or "")
        if not terms:
            return Analysis(relevant=False, terms=[])
        c = self.classifier.classify(title or "", body or "", terms)
        return Analysis(
            relevant=True,
            terms=terms,
            topics=list(c.topics),
            countries=list(c.countries),
            evidence=dict(c.evidence),
            amounts=list(c.amounts),
        )
