"""The states that act in a development, from the gazetteer in `countries.toml`.

Countries are the states that act, not every state named: a name or capital counts unless a
location word stands before it ("في شمال سوريا"), an institution always counts, and an
adjective after an actor noun ("الرئيس التركي"), or after a goods noun in a sentence with a
watched term ("المنظومة الروسية إس-400": the seller), never after another noun ("الضغوط
الأمريكية"). Outlet names ("روسيا اليوم") and the dateline opening a story ("موسكو -
(وكالات):") name no actor. The watched terms' own countries (`[origins]`) act for the topics
the lexicon names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from crawler.analysis.classify.lexicon import CountryLexicon, Origin
from crawler.analysis.classify.patterns import (
    CLAUSE_END,
    clean,
    entry_regex,
    folded,
    unjoined,
    window,
)
from crawler.analysis.classify.sentences import Sentence, TermLike
from crawler.analysis.prefilter import FilteredPattern, Prefilter
from crawler.text.arabic import normalize
from crawler.vocab import Topic

# The endings an adjective of the gazetteer takes: feminine, plurals, duals.
_ADJECTIVE_ENDINGS = ("", "ه", "ين", "ون", "ان", "تين", "تان")

# A dateline opening the lead, on normalized text: a place of up to four words (a date may
# follow after a comma), then a credit in parentheses or a spaced dash or slash
# ("موسكو - (وكالات):", "انقره (الاناضول) -", "نيودلهي/ رويترز"); "اس-400" is no dateline.
_DATELINE = re.compile(
    r"^\W*\w+(?:[\s،,]+\w+){0,3}\s*"
    r"(?:\([^()]{0,40}\)\s*[:-]?|\s[-/]|[-/](?=[\s(]))"
    r"(?:\s*\([^()]{0,40}\)\s*:?|\s*[\"«][^\"«»]{0,40}[\"»]\s*:?)?"
)

_ACTOR, _GOODS, _DEAL, _OTHER, _SANCTIONS = "actor", "goods", "deal", "other", "sanctions"
# What may stand between two names of one enumeration: commas and spaces (a joined "و"
# is part of the next name's match).
_JOINED = re.compile(r"[\s،,]*")
# "للجيش", "بالجيش": a preposition joined to a definite noun, which reads as "الجيش".
_DEFINITE_AFTER_PREPOSITION = re.compile(r"^(?:لل|[بك]ال)")
# The developments in which the state whose goods are traded acts: a sale, talks, a delivery.
# Goods owned, used or sanctioned over name their maker only as an origin.
_TRADE = frozenset({Topic.CONTRACT, Topic.NEGOTIATION, Topic.DELIVERY})


@dataclass
class Country:
    name: str
    names: list[FilteredPattern]  # names and capitals
    institutions: list[FilteredPattern]
    adjectives: list[FilteredPattern]
    laws: list[FilteredPattern] = field(default_factory=list)
    acts_in: frozenset[str] = frozenset()  # empty: any development
    # The first words of its names ("بسوريا" is "in Syria"). A capital after ب is left alone:
    # a deal signed at a fair in the buyer's capital ("في معرض الدفاع بالرياض") has the
    # host as a party in the owner's labels.
    heads: frozenset[str] = frozenset()


def _feminine(adjective: str) -> bool:
    """Whether a matched adjective is feminine singular ("الروسيه", "التركيه")."""
    return adjective.rstrip().endswith("يه")


def _in_place(matched: str, c: Country) -> bool:
    """Whether a name carries the preposition ب of place ("في قاعدة حميميم بسوريا")."""
    word = matched.split()[0] if matched.split() else ""
    word = word[1:] if word[:1] in "وف" and word[1:2] == "ب" else word
    return word[:1] == "ب" and word[1:] in c.heads


def _alias_key(text: str) -> str:
    return " ".join(normalize(text).split())


class Gazetteer:
    """Finds acting states in sentences. Build once; the sentences carry the per-article memos."""

    def __init__(self, lexicon: CountryLexicon) -> None:
        # All country regexes share one prefilter, so a sentence is scanned once for them.
        self.filter = Prefilter()

        def place(entry: str) -> FilteredPattern:
            return FilteredPattern(self.filter, entry_regex(entry, exact=True))

        ctx = lexicon.context
        self.actor_nouns = folded(ctx.actor_nouns)
        self.goods_nouns = folded(ctx.goods_nouns)
        self.deal_nouns = folded(ctx.deal_nouns)
        self.product_nouns = folded(ctx.product_nouns)
        self.sanction_nouns = folded(ctx.sanction_nouns)
        self.sanction_targets = folded(ctx.sanction_targets)
        self.sanction_target_window = ctx.sanction_target_window
        self.outlets = [place(o) for o in ctx.outlets]
        # A clause that concedes or repeats a rumour (`asides` in countries.toml), the
        # longest opener tried first.
        openers = sorted((normalize(a).split() for a in ctx.asides), key=len, reverse=True)
        alternatives = "|".join(r"\s+".join(map(re.escape, words)) for words in openers)
        self.aside = (
            re.compile(
                rf"(?<!\w)[وف]?(?:{alternatives})(?!\w)(?:\s+[^\s،,.;؛:]+){{0,{ctx.aside_words}}}"
            )
            if openers
            else None
        )
        self.location_words = folded(ctx.location_words)
        self.location_bridge = folded(ctx.location_bridge)
        self.opponent_words = folded(ctx.opponent_words)
        self.opponent_window = ctx.opponent_window
        self.source_words = folded(ctx.source_words)
        self.comparison_words = folded(ctx.comparison_words)
        self.list_size = ctx.list_size
        self.list_openers = folded(ctx.list_openers)
        self.adjective_walk = ctx.adjective_walk
        self.masculine_tails = folded(ctx.masculine_tails)
        self.countries: list[Country] = []
        self._aliases: dict[str, str] = {}
        for c in lexicon.countries:
            names = [*c.names, *c.capitals]
            adjs: list[str] = []
            for a in map(normalize, c.adjectives):
                for form in (a + ending for ending in _ADJECTIVE_ENDINGS):
                    adjs += [form, "ال" + form]
            adjs += [normalize(p) for p in c.plurals]
            for alias in (c.name, *names, *c.institutions, *c.laws, *adjs):
                self._aliases.setdefault(_alias_key(alias), c.name)
            self.countries.append(
                Country(
                    c.name,
                    [place(n) for n in names if n.strip()],
                    [place(n) for n in c.institutions],
                    [place(a) for a in adjs],
                    [place(n) for n in c.laws],
                    frozenset(c.acts_in),
                    frozenset(_alias_key(n).split()[0] for n in c.names if n.strip()),
                )
            )
        # The states that take part only in some developments, and in which.
        self._acts_in = {c.name: c.acts_in for c in self.countries if c.acts_in}
        self.origins: dict[str, Origin] = dict(lexicon.origins)
        self.sellers = frozenset(o.country for o in self.origins.values())
        # Which country each place regex belongs to, so that a sentence only visits the
        # countries something of which occurs in it.
        self._owner: dict[int, int] = {
            p.id: ci for ci, c in enumerate(self.countries) for p in self.patterns_of(c)
        }

    @staticmethod
    def patterns_of(c: Country) -> list[FilteredPattern]:
        return c.names + c.institutions + c.adjectives + c.laws

    def patterns(self) -> list[FilteredPattern]:
        """Every regex registered in `self.filter`."""
        return [p for c in self.countries for p in self.patterns_of(c)] + self.outlets

    def country_named(self, text: str) -> str | None:
        """The English short name of a country as a person writes it (see `Classifier`)."""
        return self._aliases.get(_alias_key(text))

    def buyer_acts(self, s: Sentence) -> bool:
        """Whether a state other than a seller of the watched systems acts in `s`."""
        return bool(self.sentence_countries(s) - self.sellers)

    def acting(
        self,
        sentences: list[Sentence],
        matches: Sequence[TermLike],
        topics: list[str],
        topics_of: Callable[[Sentence], list[tuple[str, bool]]],
        opens_recap: Callable[[Sentence], bool] = lambda s: False,
    ) -> list[str]:
        """The states acting in an article of `topics`; `topics_of` gives a sentence's topics,
        `opens_recap` whether the writer opens a sentence as a recap."""
        # In a story only about sanctions, or about none of the watched developments (a
        # test firing), the seller is named as the origin of what was bought ("بسبب شرائها المنظومة من روسيا"); that does not make it act.
        origin_only = topics in ([Topic.SANCTION], [Topic.OTHER])
        chosen = set(topics)
        goods = bool(chosen & _TRADE)
        sanction = Topic.SANCTION in chosen
        found: set[str] = set()
        for s in sentences:
            if s.furniture:
                continue
            # A recap that names the system ("وكانت تركيا قد وقعت ... عقدا لشراء إس-400،
            # ما دفع واشنطن إلى ...") tells of past developments and their parties.
            told = topics_of(s)
            recap = all(background for _, background in told) and bool(told or opens_recap(s))
            if s.field == "title" or s.lead or (s.has_term and not recap):
                found |= self.sentence_countries(
                    s, origin_only=origin_only, goods=goods, sanction=sanction
                )
            elif (s.weight > 0 or s.law_sanction) and chosen & {
                t for t, background in told if not background
            }:
                # A further sentence that speaks for a topic names who acts in it
                # ("وذكرت وزارة الدفاع التركية أن الشحنات ستتواصل"), but only
                # through an actor phrase: a bare name there is as often an object
                # ("العدوان على أوكرانيا").
                found |= self.sentence_countries(
                    s, origin_only=origin_only, names=False, sanction=sanction
                )
        alone = not found
        for m in matches:
            origin = self.origins.get(m.term)
            if not origin:
                continue
            acts = "*" in origin.topics or bool(origin.topics & chosen)
            # A seller acts in some developments only when the text names it.
            if acts or (origin.named & chosen and self._mentioned(origin.country, sentences)):
                found.add(origin.country)
            elif origin.alone and alone and self._mentioned(origin.country, sentences):
                # An exercise or deployment of the system with no other actor is
                # the seller's own; a piece that never names the seller (a
                # capability explainer) has no actor at all.
                found.add(origin.country)
        # A state that only ever sanctions over the system, named in a story of a sale or a
        # delivery, is its backdrop ("وسط معارضة أمريكية"), not a party.
        # Unless it acts in the headline ("واشنطن توافق على صفقة باتريوت لتركيا").
        backdrop = {c for c in found if c in self._acts_in and not self._acts_in[c] & chosen}
        if backdrop:
            for s in sentences:
                if s.field == "title":
                    backdrop -= self.sentence_countries(s, origin_only=origin_only, goods=goods)
        return sorted(found - backdrop)

    def _mentioned(self, name: str, sentences: list[Sentence]) -> bool:
        country = next((c for c in self.countries if c.name == name), None)
        if country is None:
            return True
        pats = self.patterns_of(country)
        for s in sentences:
            credits = self._credits(s)
            for p in self._live(s, pats):
                # "روسيا اليوم" credits an outlet: it does not mention the state.
                if any(not any(a <= m.start() < b for a, b in credits) for m in p.finditer(s.norm)):
                    return True
        return False

    def _live(self, s: Sentence, pats: list[FilteredPattern]) -> list[re.Pattern[str]]:
        """The country regexes of `pats` that can match in `s`."""
        if s.live_places is None:
            s.live_places = self.filter.candidates(s.norm)
        live = s.live_places
        return [p.regex for p in pats if p.id in live]

    def sentence_countries(
        self,
        s: Sentence,
        *,
        origin_only: bool = False,
        names: bool = True,
        goods: bool = False,
        sanction: bool = False,
    ) -> set[str]:
        """States acting in one sentence; the caller may not modify the set. `goods`: the
        state whose goods a sentence with a watched term names acts (in a trade);
        `sanction`: the state whose sanctions a sentence names acts ("العقوبات الأمريكية",
        in a sanction story)."""
        key = (origin_only, names, goods, sanction)
        found = s.countries.get(key)
        if found is None:
            found = s.countries[key] = self._sentence_countries(
                s, origin_only, names, goods, sanction
            )
        return found

    def _sentence_countries(
        self, s: Sentence, origin_only: bool, names: bool, goods: bool, sanction: bool
    ) -> set[str]:
        text = s.norm
        if s.live_places is None:
            s.live_places = self.filter.candidates(text)
        owners = {self._owner[pid] for pid in s.live_places if pid in self._owner}
        if not owners:
            return set()
        # A credit names no actor, nor does what a concession concedes or a rumour repeats
        # ("رغم المعارضة الأمريكية لتركيا في سعيها لشراء المنظومة" in a story of China's
        # sanctions).
        skipped = self._credits(s)
        if self.aside is not None:
            skipped += [m.span() for m in self.aside.finditer(text)]

        def spoken(p: re.Pattern[str]) -> list[re.Match[str]]:
            return [m for m in p.finditer(text) if not any(a <= m.start() < b for a, b in skipped)]

        listed = self._listed(s, owners)
        found: set[str] = set()
        for ci in sorted(owners):
            c = self.countries[ci]
            skip_source = origin_only and c.name in self.sellers
            if (
                any(spoken(p) for p in self._live(s, c.institutions))
                or (sanction and any(spoken(p) for p in self._live(s, c.laws)))
                or any(
                    (names or (sanction and self._sanction_target(text[: m.start()])))
                    and not self._is_location(text[: m.start()])
                    and not _in_place(m.group(), c)
                    and not self._is_opponent(text[: m.start()])
                    and not (skip_source and self._is_source(text[: m.start()]))
                    and m.start() not in listed
                    for p in self._live(s, c.names)
                    for m in spoken(p)
                )
                or any(
                    (role := self._adjective_role(text[: m.start()], _feminine(m.group())))
                    == _ACTOR
                    or (role == _GOODS and goods and s.has_term)
                    or (role == _DEAL and (goods or sanction))
                    or (role == _SANCTIONS and sanction)
                    for p in self._live(s, c.adjectives)
                    for m in spoken(p)
                )
            ):
                found.add(c.name)
        return found

    def _listed(self, s: Sentence, owners: set[int]) -> set[int]:
        """Starts of the names that stand in an enumeration: a run of names joined only
        by "و" or commas that a comparison word opens ("بعد الصين وتركيا"), or that is
        `list_size` long and the object of a preposition ("مع إيران وسوريا وكوريا
        الشمالية") or of a verb of membership ("تضم"). A long run as the subject ("السعودية
        والإمارات وقطر تبحث") still acts."""
        text = s.norm
        owner_of = {
            m.span(): ci
            for ci in owners
            for p in self._live(s, self.countries[ci].names)
            for m in p.finditer(text)
        }
        spans = sorted(owner_of)
        runs: list[list[tuple[int, int]]] = []
        for a, b in spans:
            if runs and _JOINED.fullmatch(text[runs[-1][-1][1] : a]):
                runs[-1].append((a, b))
            elif not runs or a >= runs[-1][-1][1]:
                runs.append([(a, b)])
        out: set[int] = set()
        for run in runs:
            before = text[: run[0][0]].split()
            if [clean(w) for w in before[-2:]] == ["كل", "من"]:
                # "سبقتها كل من الصين وتركيا": "each of" stands between opener and run
                before = before[:-2]
            opener = unjoined(clean(before[-1])) if before else ""
            joined = text[run[0][0] : run[0][1]].lstrip("وف")[:1] in ("ب", "ل", "ك")
            listed = len(run) >= self.list_size and (joined or opener in self.list_openers)
            # "يثير غضب الولايات المتحدة والصين وباكستان": the whole run reacts.
            if opener in self.comparison_words or opener in self.opponent_words or listed:
                out |= {a for a, _ in run}
            if opener in self.comparison_words:
                # The sentence goes on about the states it compared with ("سبقتها كل من الصين
                # وتركيا ..., والذي ستستلمها بكين بعد 2018"): still a comparison.
                compared = {owner_of[span] for span in run}
                out |= {a for (a, _), ci in owner_of.items() if ci in compared and a > run[-1][0]}
        return out

    def _credits(self, s: Sentence) -> list[tuple[int, int]]:
        """Spans of `s.norm` that credit a source rather than name an actor."""
        spans = [m.span() for p in self._live(s, self.outlets) for m in p.finditer(s.norm)]
        if s.lead and (m := _DATELINE.match(s.norm)):
            spans.append(m.span())
        return spans

    def _sanction_target(self, prefix: str) -> bool:
        """Whether a name after `prefix` is what a sanction or its waiver falls on."""
        words = [clean(w) for w in prefix.split()[-(self.sanction_target_window + 1) :]]
        if not words:
            return False
        last = words[-1]
        if last in self.sanction_targets or last.lstrip("وف") in self.sanction_targets:
            return True
        return last == "علي" and any(
            unjoined(w) in self.sanction_nouns or w in self.sanction_nouns for w in words[:-1]
        )

    def _is_source(self, prefix: str) -> bool:
        words = prefix.split()
        return bool(words) and clean(words[-1]) in self.source_words

    def _is_opponent(self, prefix: str) -> bool:
        return any(
            unjoined(w) in self.opponent_words or w in self.opponent_words
            for w in window(prefix, self.opponent_window)
        )

    def _is_location(self, prefix: str) -> bool:
        tokens = prefix.split()
        words = [clean(w) for w in tokens[-4:]]
        bridged = 0
        while len(words) > 2 and words[-1].lstrip("وف") in self.location_bridge:
            words.pop()
            bridged += 1
        if bridged and self.country_named(words[-1]) is not None:
            # "على الحدود الشرقية مع تونس والجنوبية مع ليبيا": a place joined to a place.
            return self._is_location(" ".join(tokens[: len(tokens) - bridged - 1]))
        words = words[-2:]
        if words and words[-1] == "في" and self._office_before(prefix):
            return False
        return any(w in self.location_words or w.lstrip("وف") in self.location_words for w in words)

    def _office_before(self, prefix: str) -> bool:
        """Whether "في" closes an office of the state it names ("رئيس أمانة الصناعة الدفاعية في
        تركيا", "وزارة الدفاع في الهند"): an actor noun within the few words before it, with no
        other state's adjective between ("السفير الروسي في تركيا" is Russia's, in Turkey)."""
        before = [clean(w) for w in prefix.split()[-6:-1]]
        for w in reversed(before):
            if w.endswith(CLAUSE_END):
                return False
            base = unjoined(w)
            if self.country_named(w) is not None or w in self.location_words:
                return False  # another state's office, or a fair or summit held there
            if base in self.masculine_tails:
                continue  # "الدفاع" of "وزارة الدفاع": the head comes before it
            if w in self.actor_nouns or base in self.actor_nouns:
                return True
        return False

    def _adjective_role(self, prefix: str, feminine: bool = False) -> str | None:
        """What the noun an adjective describes is: an actor, goods, another thing, or none
        found within the walk. A feminine adjective passes over the masculine last term of a
        construct ("أنظمة الدفاع الصاروخية الروسية" describes the systems, not the defence)."""
        for tok in reversed(prefix.split()[-self.adjective_walk :]):
            if tok.endswith(CLAUSE_END):
                return None
            w = clean(tok)
            base = _DEFINITE_AFTER_PREPOSITION.sub("ال", unjoined(w))
            if feminine and base in self.masculine_tails:
                continue
            for nouns, role in (
                (self.goods_nouns, _GOODS),
                (self.deal_nouns, _DEAL),
                (self.sanction_nouns, _SANCTIONS),
                (self.product_nouns, _OTHER),
                (self.actor_nouns, _ACTOR),
            ):
                if w in nouns or base in nouns:
                    return role
        return None
