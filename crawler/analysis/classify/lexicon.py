"""The classifier's lexicon as typed data: everything `lexicons/*.toml` may say, read in one place.

The TOML files are the analyst's to read and extend (their comments explain the entry syntax);
this module knows their keys and defaults, and rejects a key it does not know, so that a typo
in a lexicon is an error rather than a rule that silently never applies. Words are kept as
written: the rules fold them with `crawler.text.arabic.normalize`, as they fold the text.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.vocab import EVENT_TOPICS

DEFAULT_LEXICON_DIR = Path(__file__).resolve().parent.parent / "lexicons"

Words = tuple[str, ...]


class LexiconError(ValueError):
    """A lexicon file that says something this module does not know."""


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LexiconError(f"{where}: expected a table")
    return value


def _refuse(unknown: Iterable[str], where: str) -> None:
    if names := sorted(unknown):
        raise LexiconError(f"{where}: unknown key(s) {', '.join(names)}")


def _build(cls: Any, table: Any, where: str) -> Any:
    """The dataclass `cls` from a TOML table: lists become tuples, unknown keys are refused."""
    table = _table(table, where)
    _refuse(set(table) - set(cls.__dataclass_fields__), where)
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in table.items()})


@dataclass(frozen=True)
class Weights:
    """How much a sentence speaks for a topic, by where it stands."""

    title: float = 3.0
    lead: float = 2.0
    term: float = 1.0  # a body sentence that mentions a watched term
    neighbour: float = 0.5  # the sentence just before or after a term sentence
    reference: float = 0.5  # a body sentence that refers back to the watched system
    reference_sanction: float = 0.5  # the same sentence, for a sanction
    continued: float = 1.0  # a sentence that goes on with the lead's statement
    sanction_law: float = 1.0  # a sanction sentence that names the law (CAATSA)
    lead_background: float = 0.5  # a lead sentence that reads as background
    threshold: float = 1.0  # a topic needs this much support


@dataclass(frozen=True)
class TopicEntries:
    triggers: Words = ()
    robust: Words = ()
    exceptions: Words = ()
    buyer_triggers: Words = ()


@dataclass(frozen=True)
class Cues:
    """Words around a trigger that say it did not happen, or not now (`[cues]`)."""

    negation: Words = ()
    negation_window: int = 3
    passing: Words = ()
    passing_window: int = 3
    concession: Words = ()
    object_window: int = 5
    concession_window: int = 16
    preparatory: Words = ()
    speculation: Words = ()
    opinion: Words = ()
    speculation_window: int = 8
    speculation_opening: int = 4  # an onlooker's reading in these first words governs the sentence
    conditional: Words = ()
    conditional_window: int = 3
    negation_after: Words = ()
    negation_after_window: int = 2
    descriptive: Words = ()
    descriptive_window: int = 1
    future: Words = ()
    future_window: int = 4
    background: Words = ()  # entries
    recap_openers: Words = ()  # entries
    background_year_before: Words = ()
    contract_to_negotiation: Words = ()  # entries
    totals: Words = ()  # entries
    negation_bridge: Words = ()
    hypothetical_after: Words = ()
    inquiry: Words = ()
    inquiry_window: int = 10
    offer: Words = ()
    offer_window: int = 6
    talk_subject: Words = ()
    talk_subject_window: int = 8
    future_prefix_not: Words = ()
    untold: Words = ()  # base forms
    current: Words = ()


@dataclass(frozen=True)
class Denial:
    """What a denial is and how far it reaches (`[denial]`)."""

    verbs: Words = ()
    predicates: Words = ()  # entries
    scope_end: Words = ()
    scope_end_phrases: Words = ()  # entries
    deal_objects: Words = ()  # entries


ROLES = frozenset({"buyer", "seller", "sanctioner", ""})
POLARITIES = frozenset({"positive", "negative"})


@dataclass(frozen=True)
class EventCue:
    """One `[[cue]]`: an event word by its base forms (past, present with ي, verbal noun,
    participle), which the rules compile to stems, so one entry covers conjugations,
    clitics and plurals.

    `needs`: base forms one of which must stand within `reach` words after the cue ("ترغب في
    شراء"). `not_after`: base forms that, just before the cue, make it a modifier ("عقد
    توريد" names a contract). A `negative` cue undoes the events in the `reach` words after
    it, negated or not ("لا تنوي التخلي عن شراء" adds nothing); its topic is "any".
    """

    topic: str
    forms: Words
    role: str = ""
    polarity: str = "positive"
    needs: Words = ()
    not_after: Words = ()
    reach: int = 4
    unless: Words = ()  # base forms that, before the needed word, make the cue another event
    # words that make the cue a modifier only when they stand right before it ("اتفقت على
    # توريد": agreed on a supply; "ردا على سؤال حول توريد" is still about a supply)
    not_right_after: Words = ()
    # The needed word may also open a later clause of the sentence, the object of a verb
    # that its subject and asides stand between ("أبرمت الحكومة، بعد مفاوضات شاقة، عقدا")
    after_aside: bool = False

    def check(self, where: str) -> EventCue:
        topics = {"any"} if self.polarity == "negative" else set(EVENT_TOPICS)
        if self.topic not in topics or self.role not in ROLES or self.polarity not in POLARITIES:
            raise LexiconError(f"{where}: bad topic, role or polarity")
        if not self.forms:
            raise LexiconError(f"{where}: no forms")
        return self


@dataclass(frozen=True)
class TopicLexicon:
    """`topics.toml`."""

    max_gap: int = 8
    weights: Weights = field(default_factory=Weights)
    topics: dict[str, TopicEntries] = field(default_factory=dict)
    cues: Cues = field(default_factory=Cues)
    denial: Denial = field(default_factory=Denial)
    events: tuple[EventCue, ...] = ()
    # Words that refer back to the watched system once it is named (المنظومة، الصفقة).
    references: Words = ()
    # Other weapons an article may name beside the watched one (entries, as triggers).
    other_systems: Words = ()
    # The laws sanctions over the system fall under (entries): a sentence that names one
    # states the sanction development wherever it stands.
    sanction_laws: Words = ()
    # Verbs that open a sentence going on with the statement before it ("وأضاف").
    continuation: Words = ()
    # Indefinite nouns after such a verb that bring in a speaker of their own ("وأوضح مسؤول").
    new_speakers: Words = ()
    # Words that refer back to such a law once it is named ("الإعفاءات من القانون").
    law_references: Words = ()
    sanction_acts: Words = ()  # base forms: warning, threatening, imposing, waiving
    # Watched terms that name a seller of every weapon, not a weapon: in their articles,
    # other weapons are the news (`other_systems` does not apply).
    sellers: Words = ()

    @classmethod
    def read(cls, data: dict[str, Any]) -> TopicLexicon:
        keys = {"max_gap", "weights", "topics", "cues", "denial", "cue", "references"}
        keys |= {"other_systems", "sellers", "sanction_laws", "sanction_acts", "law_references"}
        keys |= {"continuation", "new_speakers"}
        _refuse(set(data) - keys, "topics.toml")
        topics = _table(data.get("topics", {}), "topics")
        _refuse(set(topics) - set(EVENT_TOPICS), "topics")
        return cls(
            events=tuple(
                _build(EventCue, c, f"cue[{i}]").check(f"cue[{i}]")
                for i, c in enumerate(data.get("cue", []))
            ),
            references=tuple(data.get("references", ())),
            other_systems=tuple(data.get("other_systems", ())),
            sanction_laws=tuple(data.get("sanction_laws", ())),
            law_references=tuple(data.get("law_references", ())),
            continuation=tuple(data.get("continuation", ())),
            new_speakers=tuple(data.get("new_speakers", ())),
            sanction_acts=tuple(data.get("sanction_acts", ())),
            sellers=tuple(data.get("sellers", ())),
            max_gap=int(data.get("max_gap", 8)),
            weights=_build(Weights, data.get("weights", {}), "weights"),
            topics={
                name: _build(TopicEntries, spec, f"topics.{name}") for name, spec in topics.items()
            },
            cues=_build(Cues, data.get("cues", {}), "cues"),
            denial=_build(Denial, data.get("denial", {}), "denial"),
        )


@dataclass(frozen=True)
class CountryEntry:
    """One `[[country]]` of the gazetteer; `name` is the English short name written out."""

    name: str
    names: Words = ()
    capitals: Words = ()
    institutions: Words = ()
    laws: Words = ()  # its sanctions laws: the state acts when the story is of sanctions
    adjectives: Words = ()
    plurals: Words = ()
    # The developments the state can be a party to, when not all: a state that never buys
    # or sells the watched systems takes part only in their sanctions.
    acts_in: Words = ()

    def check(self, where: str) -> CountryEntry:
        unknown = set(self.acts_in) - set(EVENT_TOPICS)
        if unknown:
            raise LexiconError(f"{where}.acts_in: not a development topic: {sorted(unknown)}")
        return self


@dataclass(frozen=True)
class CountryContext:
    """Words that tell an acting state from one only named (`[context]`)."""

    actor_nouns: Words = ()
    goods_nouns: Words = ()
    deal_nouns: Words = ()
    product_nouns: Words = ()
    sanction_nouns: Words = ()
    sanction_targets: Words = ()
    sanction_target_window: int = 3
    asides: Words = ()
    aside_words: int = 6
    outlets: Words = ()
    location_words: Words = ()
    location_bridge: Words = ()
    opponent_words: Words = ()
    opponent_window: int = 3
    source_words: Words = ()
    comparison_words: Words = ()
    list_size: int = 3
    list_openers: Words = ()
    adjective_walk: int = 4
    masculine_tails: Words = ()


@dataclass(frozen=True)
class Origin:
    """The country a watched term comes from, and for which topics it acts (`[origins]`)."""

    country: str
    topics: frozenset[str] = frozenset({"*"})
    alone: bool = False
    named: frozenset[str] = frozenset()  # topics it acts for when the text names it


def _origin(term: str, spec: Any) -> Origin:
    spec = _table(spec, f"origins.{term}")
    _refuse(set(spec) - {"country", "topics", "alone", "named"}, f"origins.{term}")
    return Origin(
        spec["country"],
        frozenset(spec.get("topics", ["*"])),
        bool(spec.get("alone")),
        frozenset(spec.get("named", [])),
    )


@dataclass(frozen=True)
class CountryLexicon:
    """`countries.toml`."""

    context: CountryContext = field(default_factory=CountryContext)
    countries: tuple[CountryEntry, ...] = ()
    origins: dict[str, Origin] = field(default_factory=dict)

    @classmethod
    def read(cls, data: dict[str, Any]) -> CountryLexicon:
        _refuse(set(data) - {"context", "country", "origins"}, "countries.toml")
        origins = _table(data.get("origins", {}), "origins")
        return cls(
            context=_build(CountryContext, data.get("context", {}), "context"),
            countries=tuple(
                _build(CountryEntry, c, f"country[{i}]").check(f"country[{i}]")
                for i, c in enumerate(data.get("country", []))
            ),
            origins={term: _origin(term, spec) for term, spec in origins.items()},
        )


@dataclass(frozen=True)
class AmountLexicon:
    """`amounts.toml`: currency words (to an ISO code, or None when unknown), magnitude
    words, number words, and the words after which a figure is money."""

    currencies: dict[str, str | None] = field(default_factory=dict)
    magnitudes: dict[str, float] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    value_words: Words = ()

    @classmethod
    def read(cls, data: dict[str, Any]) -> AmountLexicon:
        _refuse(set(data) - {"currencies", "magnitudes", "numbers", "context"}, "amounts.toml")
        context = _table(data.get("context", {}), "context")
        _refuse(set(context) - {"value_words"}, "context")

        def words(key: str) -> dict[str, Any]:
            return _table(data.get(key, {}), key)

        return cls(
            currencies={k: v or None for k, v in words("currencies").items()},
            magnitudes={k: float(v) for k, v in words("magnitudes").items()},
            numbers={k: float(v) for k, v in words("numbers").items()},
            value_words=tuple(context.get("value_words", ())),
        )


@dataclass(frozen=True)
class Lexicon:
    topics: TopicLexicon
    countries: CountryLexicon
    amounts: AmountLexicon

    @classmethod
    def load(cls, lexicon_dir: Path | None = None) -> Lexicon:
        """Read `topics.toml`, `countries.toml` and `amounts.toml` from `lexicon_dir`."""
        return cls(
            TopicLexicon.read(read_lexicon_file("topics", lexicon_dir)),
            CountryLexicon.read(read_lexicon_file("countries", lexicon_dir)),
            AmountLexicon.read(read_lexicon_file("amounts", lexicon_dir)),
        )


def read_lexicon_file(name: str, lexicon_dir: Path | None = None) -> dict[str, Any]:
    """The TOML of one lexicon file (`topics`, `countries` or `amounts`), as data."""
    d = Path(lexicon_dir) if lexicon_dir is not None else DEFAULT_LEXICON_DIR
    with (d / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)
