"""The topics one sentence supports, from the rules in `topics.toml`.

A trigger is dropped when negated ("لم يتم تسليم"), passing ("رغم العقوبات"), preparatory
("تمهيداً لاستلام"), or background ("وكانت أنقرة قد تسلمت", "في ديسمبر 2017") without a future
cue. A future delivery inside a contract sentence is that contract's terms, and a signed
framework agreement or memorandum is a negotiation step. A denial ("نفى توقيع") reaches up to
the next turn of the sentence and makes what it denies a negotiation item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.analysis.classify.countries import Gazetteer
from crawler.analysis.classify.denials import Denials
from crawler.analysis.classify.events import CueBook, Token
from crawler.analysis.classify.lexicon import TopicEntries, TopicLexicon
from crawler.analysis.classify.patterns import (
    CLAUSE_END,
    CueWords,
    Stems,
    clean,
    entry_regex,
    folded,
    window,
)
from crawler.analysis.classify.sentences import Sentence
from crawler.analysis.classify.tense import Tense
from crawler.analysis.prefilter import FilteredPattern, Prefilter
from crawler.vocab import EVENT_TOPICS, Topic

# A form of the watched system (enough to tell it from another weapon's name).
_WATCHED = re.compile(r"(?:اس|س|s)-?400|400|ترايمف|تريومف|triumf")
# "ردا على سؤال حول موعد التسليم": a reporter's question frames an official's answer; it is
# no buyer's inquiry.
_PRESS_QUESTION = re.compile(r"(?:^| )(?:ردا|رد|جوابا|اجابه|اجاب) (?:علي|عن) (?:سوال|اسيله)")
_AUXILIARIES = frozenset({"تم", "قد", "كانت", "كان", "يتم", "تتم", "جري", "يجري", "تجري"})
_DEMONSTRATIVES = frozenset({"هذه", "هذا", "تلك", "ذلك", "هاتين", "هذين"})
# The article, after a conjunction or a preposition joined to it.
_DEFINITE = re.compile(r"^[وف]?(?:[بكل]?ال|لل)")


@dataclass
class _TopicRules:
    name: Topic
    triggers: list[FilteredPattern]
    robust: list[FilteredPattern]
    exceptions: list[FilteredPattern]
    buyer: list[FilteredPattern]


@dataclass
class _Hit:
    topic: Topic
    start: int
    future: bool
    kind: str = "plain"


class TopicRules:
    """Applies the topic rules to sentences. Build once; sentences carry the memos."""

    def __init__(self, lexicon: TopicLexicon, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        # Topics, background and denial rules share one prefilter, so a sentence is
        # scanned once for all of them.
        self.filter = Prefilter()
        self._patterns: list[FilteredPattern] = []

        def rules(entries: tuple[str, ...]) -> list[FilteredPattern]:
            out = [
                FilteredPattern(self.filter, entry_regex(e, max_gap=lexicon.max_gap))
                for e in entries
            ]
            self._patterns += out
            return out

        self.topics: list[_TopicRules] = []
        for name in EVENT_TOPICS:
            spec = lexicon.topics.get(name, TopicEntries())
            self.topics.append(
                _TopicRules(
                    name,
                    rules(spec.triggers),
                    rules(spec.robust),
                    rules(spec.exceptions),
                    rules(spec.buyer_triggers),
                )
            )
        self.stems = Stems()
        self.cues = CueBook(lexicon.events, self.stems)
        self.references = frozenset(s for f in lexicon.references for s in self.stems.forms(f))
        self.intent = CueWords.of(("تنوي", "ينوي", "نوي", "تعتزم", "يعتزم", "تخطط", "يخطط"))
        # What a buyer may vow not to give up while it is still to come ("لن تتراجع عن شراء"); a
        # deal ("لن تتراجع عن الصفقة") is already made.
        self.purchases = frozenset(
            s for f in ("شراء", "اقتناء", "حصول", "امتلاك") for s in self.stems.forms(f)
        )
        self.untold = frozenset(s for f in lexicon.cues.untold for s in self.stems.forms(f))
        # Per word: whether it refers back (news vocabulary repeats).
        self._refers: dict[str, bool] = {}
        self.other_systems = rules(lexicon.other_systems)
        self.object_window = lexicon.cues.object_window
        self.sanction_laws = rules(lexicon.sanction_laws)
        self.law_references = rules(lexicon.law_references)
        self.continuation = folded(lexicon.continuation)
        self.new_speakers = folded(lexicon.new_speakers)
        self.sanction_acts = frozenset(
            s for f in lexicon.sanction_acts for s in self.stems.forms(f)
        )
        cues = lexicon.cues
        self.tense = Tense(cues)
        self.current = CueWords.of(cues.current)
        self.negation = CueWords.of(cues.negation)
        self.passing_window = cues.passing_window
        self.passing = CueWords.of(cues.passing)
        self.concession_window = cues.concession_window
        self.concession = CueWords.of(cues.concession)
        self.preparatory = CueWords.of(cues.preparatory)
        self.speculation_window = cues.speculation_window
        self.speculation = CueWords.of(cues.speculation)
        self.speculation_opening = cues.speculation_opening
        self.opinion = CueWords.of(cues.opinion)
        self.conditional_window = cues.conditional_window
        self.conditional = CueWords.of(cues.conditional)
        self.neg_after_window = cues.negation_after_window
        self.neg_after = CueWords.of(cues.negation_after)
        self.descriptive_window = cues.descriptive_window
        self.descriptive = CueWords.of(cues.descriptive)
        self.background = rules(cues.background)
        self.recap_openers = rules(cues.recap_openers)
        self.demote = rules(cues.contract_to_negotiation)
        self.totals = rules(cues.totals)
        self.hypothetical_after = CueWords.of(cues.hypothetical_after)
        self.inquiry_window = cues.inquiry_window
        self.inquiry = CueWords.of(cues.inquiry)
        self.offer_window = cues.offer_window
        self.offer = CueWords.of(cues.offer)
        self.talk_window = cues.talk_subject_window
        self.talk_subject = CueWords.of(cues.talk_subject)
        self.denials = Denials(lexicon.denial, rules)

    def marks_now(self, s: Sentence) -> bool:
        """Whether a sentence dates what it tells to now ("اليوم", "أمس", "الأسبوع الجاري")."""
        return self.current.among([clean(w) for w in s.norm.split()])

    def opens_recap(self, s: Sentence) -> bool:
        """Whether the writer opens a sentence as a recap ("يشار إلى أن روسيا سلمت ...",
        "وكانت أنقرة قد ..."): all it tells is the past, whether or not a cue in it says what."""
        return any(
            not s.norm[: m.start()].strip()
            for p in self._live(s, self.recap_openers)
            for m in p.finditer(s.norm)
        )

    def names_law(self, s: Sentence) -> bool:
        """Whether a sentence names the law sanctions over the system fall under."""
        return any(p.search(s.norm) for p in self._live(s, self.sanction_laws))

    def sanction_under_law(self, s: Sentence, law_named: bool = False) -> bool:
        """Whether a sentence threatens, imposes or waives sanctions under the law that
        sanctions over the system fall under ("حذرت من عقوبات بموجب قانون كاتسا"), named
        there or, when `law_named` earlier, referred back to ("الإعفاءات من القانون"); a
        buyer's hope not to be touched by the law is no such act."""
        law = self.names_law(s) or (
            law_named and any(p.search(s.norm) for p in self._live(s, self.law_references))
        )
        return law and any(
            w and self.stems.among(w, self.sanction_acts) and not self._conceded(s.norm[:a])
            for a, _, w in s.tokens()
        )

    def _conceded(self, prefix: str) -> bool:
        """Whether what follows `prefix` stands in a concession ("رغم تحذيرات ... من عقوبات"):
        what is conceded is not the news."""
        return self.concession.among(window(prefix, self.concession_window))

    def refers(self, s: Sentence) -> bool:
        """Whether a sentence holds a word that refers back to the watched system.

        Arabic refers back with the article ("المنظومة", "بالصفقة"); an indefinite
        "صفقات أكبر" or "منظومات دفاع جوي" brings in something new."""
        return any(self._is_reference(w) for _, _, w in s.tokens())

    def _is_reference(self, word: str) -> bool:
        got = self._refers.get(word)
        if got is None:
            got = self._refers[word] = _DEFINITE.match(word) is not None and self.stems.among(
                word, self.references
            )
        return got

    def points_back(self, s: Sentence) -> bool:
        """Whether a sentence points back at the system with a demonstrative ("لهذه المنظومة",
        "تلك الصفقة"): unlike a bare "الصفقة", that can only be the story's own system."""
        tokens = s.tokens()
        for (_, _, before), (_, _, w) in zip(tokens, tokens[1:], strict=False):
            if before.lstrip("وفلب") in _DEMONSTRATIVES and self._is_reference(w):
                return True
        return False

    def patterns(self) -> list[FilteredPattern]:
        """Every regex registered in `self.filter`."""
        return list(self._patterns)

    def sentence_topics(self, s: Sentence) -> list[tuple[str, bool]]:
        """The topics one sentence supports, each with whether it reads as background."""
        if s.topics is None:
            s.topics = self._sentence_topics(s)
        return s.topics

    def _live(self, s: Sentence, pats: list[FilteredPattern]) -> list[re.Pattern[str]]:
        """The rules of `pats` that can match in `s` (the others have no match there)."""
        if s.live_rules is None:
            s.live_rules = self.filter.candidates(s.norm)
        live = s.live_rules
        return [p.regex for p in pats if p.id in live]

    def _sentence_topics(self, s: Sentence) -> list[tuple[str, bool]]:
        text = s.norm
        background_cue = any(
            p.search(text) for p in self._live(s, self.background)
        ) or self.tense.year_background(text)
        # A recap opener tells the past from where it stands: "وقعت الهند صفقة، وهي صفقة
        # كانت واشنطن قد حذرت من إبرامها" signs the deal now.
        opened = min(
            (m.start() for p in self._live(s, self.recap_openers) for m in p.finditer(text)),
            default=len(text) + 1,
        )
        hits: list[_Hit] = []
        buyer_acts: bool | None = None
        idioms_of: dict[str, list[tuple[int, int]]] = {}
        for topic in self.topics:
            idioms = idioms_of[topic.name] = [
                (x.start(), x.end())
                for p in self._live(s, topic.exceptions)
                for x in p.finditer(text)
            ]
            kinds = (
                [(p, "plain") for p in self._live(s, topic.triggers)]
                + [(p, "robust") for p in self._live(s, topic.robust)]
                + [(p, "buyer") for p in self._live(s, topic.buyer)]
            )
            for pat, kind in kinds:
                for m in pat.finditer(text):
                    hit = self._hit(topic.name, kind, text, m.start(), m.end(), idioms)
                    if hit is None:
                        continue
                    if kind == "buyer":
                        if buyer_acts is None:
                            buyer_acts = self.gazetteer.buyer_acts(s)
                        if not buyer_acts:
                            continue
                    hits.append(hit)
        hits = self._cue_hits(s, hits, idioms_of)
        if any(p.search(text) for p in self._live(s, self.totals)):
            # "وقعت المؤسسة منذ عام 2000 عقوداً بقيمة 100 مليار": a sum of many deals,
            # no deal of its own, not even a past one.
            hits = [h for h in hits if h.topic not in (Topic.CONTRACT, Topic.DELIVERY)]
        hits = self._apply_denials(s, hits)
        hits = self._drop_untold(s, hits)
        others = [] if s.seller_article else self._live(s, self.other_systems)
        if not s.has_term and any(p.search(text) for p in others):
            hits = [h for h in hits if h.topic == Topic.SANCTION]
        elif others and any(p.search(text) for p in others):
            # "تسلم الشهر الماضي منظومة بانتسير، وتدرس شراء إس-400": what the trigger
            # governs is another weapon.
            # (a watched weapon of another list is no other weapon)
            starts = sorted(
                m.start()
                for p in others
                for m in p.finditer(text)
                if not any(len(t) > 2 and (t in m.group() or m.group() in t) for t in s.term_texts)
            )
            hits = [
                h for h in hits if h.topic == Topic.SANCTION or not self._governs(text, h, starts)
            ]
        if not hits:
            return []
        names = {h.topic for h in hits}
        if Topic.CONTRACT in names and any(p.search(text) for p in self._live(s, self.demote)):
            hits = [
                _Hit(Topic.NEGOTIATION, h.start, h.future) if h.topic == Topic.CONTRACT else h
                for h in hits
            ]
            names = {h.topic for h in hits}
        if Topic.CONTRACT in names:
            # "وقعت عقداً ... على أن يبدأ التسليم في 2025": the delivery after the contract is
            # its terms; "ستبدأ تسليم المنظومة بموجب عقد وقع في 2021" tells the delivery.
            first = min(h.start for h in hits if h.topic == Topic.CONTRACT)
            hits = [
                h for h in hits if not (h.topic == Topic.DELIVERY and h.future and h.start > first)
            ]
        s.ahead = frozenset(h.topic for h in hits if h.future)
        out: dict[str, bool] = {}
        for h in hits:
            background = (background_cue or h.start > opened) and not h.future
            out[h.topic] = out.get(h.topic, True) and background
        return [(t, out[t]) for t in EVENT_TOPICS if t in out]

    def _governs(self, text: str, hit: _Hit, starts: list[int]) -> bool:
        """Whether another weapon (at one of `starts`) stands within `object_window` words
        after `hit`, in its clause, with no watched system before it."""
        words = text[hit.start :].split()[1 : 1 + self.object_window]
        end = hit.start + len(text[hit.start :].split(maxsplit=1)[0])
        for w in words:
            end = text.index(w, end) + len(w)
            if _WATCHED.search(w) or w.endswith(CLAUSE_END):
                return False
            if any(hit.start < a < end for a in starts):
                return True
        return False

    def _reach(self, tokens: list[Token], i: int, reach: int) -> list[Token]:
        """The `reach` words after token `i`, not counting the words that only date the news
        ("اتفقت المملكة اليوم، الخميس، مع روسيا على صفقة")."""
        out: list[Token] = []
        for t in tokens[i + 1 :]:
            if len(out) >= reach:
                break
            if t[2] not in self.current.words:
                out.append(t)
        return out

    def _cue_hits(
        self, s: Sentence, hits: list[_Hit], idioms_of: dict[str, list[tuple[int, int]]]
    ) -> list[_Hit]:
        """`hits` with the event cues of `s` added, less what a negative cue undoes."""
        text = s.norm
        tokens = s.tokens()
        undone: list[tuple[int, int]] = []
        going_on: list[_Hit] = []
        for i, (a, b, w) in enumerate(tokens):
            if not w:
                continue
            for cue in self.cues.of(w):
                after = self._reach(tokens, i, cue.reach)
                if cue.negative:
                    # "تخلت عن شراء": what it gives up did not happen, nor the intent before
                    # the cue ("تنوي التخلي عن"). Backing down refused ("لن تتراجع عن شراء")
                    # is the vow to go on buying: a step in the talks when it is the news
                    # (the lead); further down it describes a stance ("وترفض حتى الآن
                    # التراجع عن خطتها لشراء المنظومة").
                    undone.append((tokens[max(0, i - 2)][0], after[-1][1] if after else b))
                    # (An intent denied, "لا تنوي التخلي عن شراء", tells of no step at all.)
                    if (
                        (s.lead or s.field == "title")
                        and self.tense.negated(text[:a])
                        and not self.intent.among(window(text[:a], self.tense.neg_window))
                        and any(self.stems.among(x, self.purchases) for _, _, x in after)
                    ):
                        going_on.append(_Hit(Topic.NEGOTIATION, b, False, "cue"))
                    continue
                if (
                    cue.needs
                    and not self.cues.needed(cue, after)
                    and not (cue.after_aside and self.cues.needed_after_aside(cue, text, tokens, i))
                ):
                    continue
                if i and self.stems.among(tokens[i - 1][2], cue.not_right_after):
                    continue
                # "لتوريد": a verbal noun with the ل of purpose is what something else is
                # for (a contract, a visit), not the event.
                if (w[0] == "ل" and not self.cues.is_cue_stem(w)) or self.cues.governed(
                    text, tokens, i, cue
                ):
                    continue
                hit = self._hit(Topic(cue.topic), "cue", text, a, b, idioms_of[cue.topic])
                if hit is not None:
                    hits.append(hit)
        if undone:
            hits = [h for h in hits if not any(x <= h.start < y for x, y in undone)]
        return hits + going_on

    def _drop_untold(self, s: Sentence, hits: list[_Hit]) -> list[_Hit]:
        """`hits` less those a negated verb of telling governs: "من دون أن يكشف عن قيمة
        العقد أو موعد التسليم" names a delivery date nobody gave."""
        tokens = s.tokens()
        for i, (_, b, w) in enumerate(tokens):
            if i == 0 or not w or not self.stems.among(w, self.untold):
                continue
            before = [x[2] for x in tokens[max(0, i - 2) : i]]
            if self.negation.among(before):
                return [h for h in hits if h.start < b or h.topic == Topic.SANCTION]
        return hits

    def _apply_denials(self, s: Sentence, hits: list[_Hit]) -> list[_Hit]:
        """Rewrite the hits that sit inside a denial ("نفى صحة تقارير عن توقيع عقد").

        A denial reaches further than a negation particle: everything it governs up
        to the next turn of the sentence ("مؤكداً", "لكن") is denied. A denied
        deal, purchase or talk is a negotiation item (the denial is the news); a
        denied shipment did not happen. Sanctions and robust triggers (a denied
        delay is still a delivery story) are left alone.
        """
        text = s.norm
        spans = self.denials.spans(s, self._live)
        if not spans:
            return hits

        def inside(pos: int) -> bool:
            return any(a <= pos < b for a, b in spans)

        out: list[_Hit] = []
        for h in hits:
            if not inside(h.start) or h.topic in (Topic.NEGOTIATION, Topic.SANCTION):
                out.append(h)
            elif h.topic == Topic.CONTRACT:
                out.append(_Hit(Topic.NEGOTIATION, h.start, False, h.kind))
            elif h.kind == "robust":
                out.append(h)
        for p in self._live(s, self.denials.deal_objects):
            for m in p.finditer(text):
                if inside(m.start()):
                    out.append(_Hit(Topic.NEGOTIATION, m.start(), False, "denial"))
                    break
        return out

    def _hit(
        self,
        topic: Topic,
        kind: str,
        text: str,
        start: int,
        end: int,
        idioms: list[tuple[int, int]],
    ) -> _Hit | None:
        """One trigger occurrence, or None when its context says it did not happen."""
        if any(a <= start < b for a, b in idioms):
            return None
        prefix = text[:start]
        # "المنظومة التي تم تسليمها إلى الصين": a relative clause describes the system; a
        # passive or past auxiliary between the pronoun and the trigger changes nothing.
        before = window(prefix, self.descriptive_window + 1)
        if before and before[-1] in _AUXILIARIES:
            before = before[:-1]
        if self.descriptive.among(before[-self.descriptive_window :]):
            return None
        if self.passing.among(window(prefix, self.passing_window)) or self._conceded(prefix):
            return None
        # "يرى خبير أن مصر قد تطلب المنظومة": an onlooker's guess, not a state's act
        # (experts who arrive or train are no guess: the opinion verb tells).
        said = window(prefix, self.speculation_window)
        if self.speculation.among(said) and self.opinion.among(said):
            return None
        # "ويعتقد مراقبون غربيون أن ...": an onlooker's reading opening the sentence
        # governs all of it, however long.
        opening = [clean(w) for w in prefix.split()[: self.speculation_opening]]
        if self.speculation.among(opening) and self.opinion.among(opening):
            return None
        if topic != Topic.NEGOTIATION and self.preparatory.among(
            window(prefix, self.passing_window)
        ):
            return None
        after = [clean(w) for w in text[end:].split()[: self.neg_after_window]]
        if topic != Topic.SANCTION and self.conditional.among(
            window(prefix, self.conditional_window)
        ):
            # "إذا مضت في خطط شراء": a hypothesis, not an event (a sanction threat is
            # conditional by nature, and stays one).
            return None
        if topic in (Topic.CONTRACT, Topic.DELIVERY):
            # "المفاوضات حول الأسعار وجداول التسليم": the subject of talks is talked about.
            if self.talk_subject.among(window(prefix, self.talk_window)):
                return _Hit(Topic.NEGOTIATION, start, False, kind)
            # "استفسارات حول مواعيد التسليم المحتملة": a question about a delivery
            # or a deal is a step in the talks, not the event.
            if self.offer.among(window(prefix, self.offer_window)):
                return _Hit(Topic.NEGOTIATION, start, False, kind)
            asked = window(prefix, self.inquiry_window)
            if (self.inquiry.among(asked) and not _PRESS_QUESTION.search(" ".join(asked))) or (
                kind != "robust" and self.hypothetical_after.among(after)
            ):
                return _Hit(Topic.NEGOTIATION, start, False, kind)
        if kind != "robust" and (self.tense.negated(prefix) or self.neg_after.among(after)):
            # "لم يتم توقيع أي عقد" denies a deal, "لم تتقدم بعد بطلب" a request: either
            # is a step in the talks. (Denied talks are left to the denial rules: "نافين
            # وجود مباحثات مع واشنطن" about handing the system on is no deal.)
            if topic == Topic.CONTRACT or (topic == Topic.NEGOTIATION and kind == "cue"):
                return _Hit(Topic.NEGOTIATION, start, False, kind)
            return None
        return _Hit(topic, start, self.tense.future(prefix, text[start:end]), kind)
