"""Which of many regexes can match a text, told without running them.

Every match of a regex such as ``(?:وقع|توقيع) .. عقد`` contains one of a few literal strings
(here "وقع" or "توقيع", and "عقد"); a text with none of them cannot match, so the regex need not
run there. :func:`required_literals` reads those strings off the pattern's source, and
:class:`Prefilter` looks them up for a whole family of regexes at once.

The source is read by a small parser of Python's regex syntax written here: the standard
library's own (``re._parser``) is private and changes between Python versions. It knows the
syntax the matcher and the lexicons produce, and answers None ("no strings known: always run
the regex") for anything it does not know, so a skipped regex is always one that cannot match.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from typing import TypeAlias

# --- parsing ----------------------------------------------------------------------------


class _Unknown(Exception):
    """Syntax this parser does not read; the caller then knows no required strings."""


@dataclass(frozen=True)
class _Lit:
    char: str


@dataclass(frozen=True)
class _Group:
    """A group that matches once: one of its branches, each a sequence of items."""

    branches: tuple[tuple[_Item, ...], ...]


@dataclass(frozen=True)
class _Repeat:
    min: int
    item: _Item


class _Opaque:
    """Anything that guarantees no literal: a class, a category, an anchor, a lookaround."""


_Item: TypeAlias = "_Lit | _Group | _Repeat | _Opaque"
_OPAQUE = _Opaque()

_CATEGORIES = frozenset("dDsSwWbBAZ")
_CONTROL_ESCAPES = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_QUANTIFIER = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")
_INLINE_FLAGS = re.compile(r"\(\?([aiLmsux]*)(?:-([imsx]*))?([:)])")
_OCTAL = re.compile(r"[0-7]{3}|0[0-7]{0,2}")


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0

    def parse(self) -> _Group:
        group = self._alternation()
        if self.pos != len(self.src):
            raise _Unknown(f"unbalanced ')' at {self.pos}")
        return group

    def _alternation(self) -> _Group:
        branches = [self._sequence()]
        while self._peek() == "|":
            self.pos += 1
            branches.append(self._sequence())
        return _Group(tuple(branches))

    def _sequence(self) -> tuple[_Item, ...]:
        items: list[_Item] = []
        while self.pos < len(self.src) and self._peek() not in "|)":
            item = self._atom()
            if item is not None:
                items.append(self._quantified(item))
        return tuple(items)

    def _peek(self) -> str:
        return self.src[self.pos] if self.pos < len(self.src) else ""

    def _quantified(self, item: _Item) -> _Item:
        ch = self._peek()
        if ch in ("*", "?"):
            low = 0
            self.pos += 1
        elif ch == "+":
            low = 1
            self.pos += 1
        elif ch == "{" and (m := _QUANTIFIER.match(self.src, self.pos)) and m.group() != "{}":
            low = int(m.group(1) or 0)
            self.pos = m.end()
        else:
            return item
        if self._peek() in ("?", "+"):  # lazy or possessive: the same minimum
            self.pos += 1
        return _Repeat(low, item)

    def _atom(self) -> _Item | None:
        ch = self.src[self.pos]
        self.pos += 1
        if ch == "\\":
            return self._escape()
        if ch == "[":
            return self._class()
        if ch == "(":
            return self._group()
        if ch in ".^$":
            return _OPAQUE
        return _Lit(ch)

    def _escape(self) -> _Item:
        if self.pos >= len(self.src):
            raise _Unknown("trailing backslash")
        ch = self.src[self.pos]
        self.pos += 1
        if ch in _CATEGORIES:
            return _OPAQUE
        if ch.isdigit():
            octal = _OCTAL.match(self.src, self.pos - 1)
            if octal:
                self.pos = octal.end()
                return _Lit(chr(int(octal.group(), 8)))
            while self._peek().isdigit():
                self.pos += 1
            return _OPAQUE  # a backreference
        return _Lit(self._escaped_char(ch))

    def _escaped_char(self, ch: str) -> str:
        """The character an escape other than a category or a number stands for."""
        if ch in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[ch]
        if ch in _HEX_ESCAPES:
            digits = self.src[self.pos : self.pos + _HEX_ESCAPES[ch]]
            self.pos += len(digits)
            return chr(int(digits, 16))
        if ch == "N":
            end = self.src.index("}", self.pos)
            name = self.src[self.pos + 1 : end]
            self.pos = end + 1
            return unicodedata.lookup(name)
        if ch.isascii() and ch.isalnum():
            raise _Unknown(f"escape \\{ch}")
        return ch

    def _class(self) -> _Item:
        negated = self._peek() == "^"
        if negated:
            self.pos += 1
        members: list[str | None] = []  # a literal member, or None for a range or category
        while True:
            if self.pos >= len(self.src):
                raise _Unknown("unterminated character class")
            ch = self.src[self.pos]
            self.pos += 1
            if ch == "]" and members:
                break
            member = self._class_escape() if ch == "\\" else ch
            if self._peek() == "-" and self.src[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 2  # a range: its ends are no literal of the match
                if self.src[self.pos - 1] == "\\":
                    self._class_escape()
                member = None
            members.append(member)
        if not negated and len(members) == 1 and members[0] is not None:
            return _Lit(members[0])
        return _OPAQUE

    def _class_escape(self) -> str | None:
        ch = self.src[self.pos]
        self.pos += 1
        if ch in "dDsSwW":
            return None
        if ch == "b":
            return "\b"
        if ch.isdigit():
            octal = _OCTAL.match(self.src, self.pos - 1)
            if octal is None:
                raise _Unknown("backreference in a class")
            self.pos = octal.end()
            return chr(int(octal.group(), 8))
        return self._escaped_char(ch)

    def _group(self) -> _Item | None:
        if self._peek() != "?":
            return self._group_body()
        rest = self.src[self.pos + 1 : self.pos + 3]
        if rest.startswith(":") or rest.startswith(">"):
            self.pos += 2
            return self._group_body()
        if rest.startswith("P<"):
            self.pos = self.src.index(">", self.pos) + 1
            return self._group_body()
        if rest.startswith("P="):
            self.pos = self.src.index(")", self.pos) + 1
            return _OPAQUE
        if rest.startswith(("=", "!", "<=", "<!")):
            self.pos += 1 + (2 if rest.startswith("<") else 1)
            self._group_body()
            return _OPAQUE
        if rest.startswith("#"):
            self.pos = self.src.index(")", self.pos) + 1
            return None
        flags = _INLINE_FLAGS.match(self.src, self.pos - 1)
        if flags is None:
            raise _Unknown(f"group syntax at {self.pos}")
        added = flags.group(1)
        if "x" in added:
            raise _Unknown("verbose syntax")
        self.pos = flags.end()
        if flags.group(3) == ")":
            if "i" in added:
                raise _Unknown("case-insensitive pattern")
            return None
        body = self._group_body()
        # "(?i:...)": its literals may match in another case.
        return _OPAQUE if "i" in added else body

    def _group_body(self) -> _Group:
        group = self._alternation()
        if self._peek() != ")":
            raise _Unknown("unterminated group")
        self.pos += 1
        return group


# --- required strings -------------------------------------------------------------------


def required_literals(regex: re.Pattern[str] | str) -> frozenset[str] | None:
    """Strings one of which every match of `regex` contains, or None when none are known.

    A run of literal characters at the top level (or in a group or repeat that must match at
    least once), or one such string per branch of an alternation. Of the choices the one
    whose shortest string is longest is returned, so `s in text` for these is a cheap, exact
    pre-test before running the regex.
    """
    source, flags = (regex.pattern, regex.flags) if isinstance(regex, re.Pattern) else (regex, 0)
    if flags & (re.IGNORECASE | re.VERBOSE):
        return None
    try:
        parsed = _Parser(source).parse()
    except (_Unknown, ValueError, IndexError, KeyError):
        return None
    return _group_literals(parsed)


def _group_literals(group: _Group) -> frozenset[str] | None:
    found = [_seq_literals(branch) for branch in group.branches]
    if any(f is None for f in found):
        return None
    return frozenset().union(*(f for f in found if f is not None))


def _seq_literals(items: tuple[_Item, ...]) -> frozenset[str] | None:
    best: frozenset[str] | None = None

    def consider(req: frozenset[str] | None) -> None:
        nonlocal best
        if req and all(req) and (best is None or _literal_score(req) > _literal_score(best)):
            best = req

    run: list[str] = []
    for item in items:
        if isinstance(item, _Lit):
            run.append(item.char)
            continue
        if run:
            consider(frozenset(["".join(run)]))
            run = []
        if isinstance(item, _Repeat):
            if item.min < 1:
                continue
            item = item.item
            if isinstance(item, _Lit):
                consider(frozenset([item.char]))
                continue
        if isinstance(item, _Group):
            consider(_group_literals(item))
    if run:
        consider(frozenset(["".join(run)]))
    return best


def _literal_score(req: frozenset[str]) -> tuple[int, int]:
    # The shortest alternative decides how often the pre-test passes for nothing.
    return (min(len(x) for x in req), -len(req))


# --- many regexes at once -----------------------------------------------------------------

_TOKEN = re.compile(r"\w+")
_TOKEN_CACHE_LIMIT = 1 << 16


class Prefilter:
    """Tells which of many registered regexes can match a text, without running them.

    A regex none of whose required strings is in the text cannot match there, so skipping it
    changes no result. Strings made of word characters can only occur inside one `\\w+`
    token, so they are looked up per token (and remembered per token: news vocabulary
    repeats); others are tested with `in` on the text.
    """

    def __init__(self) -> None:
        self._always: set[int] = set()
        self._word_needles: dict[str, list[int]] = {}
        self._other_needles: list[tuple[str, int]] = []
        self._lengths: list[int] = []
        self._count = 0
        self._by_token: dict[str, frozenset[int]] = {}

    def add(self, pattern: str) -> int:
        """Register the regex source `pattern`; returns its id for `candidates`."""
        pid = self._count
        self._count += 1
        needles = required_literals(pattern)
        if needles is None:
            self._always.add(pid)
            return pid
        for needle in needles:
            if _TOKEN.fullmatch(needle):
                self._word_needles.setdefault(needle, []).append(pid)
                if len(needle) not in self._lengths:
                    bisect.insort(self._lengths, len(needle))
            else:
                self._other_needles.append((needle, pid))
        self._by_token.clear()
        return pid

    def candidates(self, text: str) -> set[int]:
        """Ids of the registered patterns that may match somewhere in `text`."""
        out = set(self._always)
        by_token = self._by_token
        for tok in set(_TOKEN.findall(text)):
            ids = by_token.get(tok)
            if ids is None:
                ids = self._token_ids(tok)
            out |= ids
        for needle, pid in self._other_needles:
            if needle in text:
                out.add(pid)
        return out

    def _token_ids(self, tok: str) -> frozenset[int]:
        found: set[int] = set()
        for size in self._lengths:
            if size > len(tok):
                break
            for i in range(len(tok) - size + 1):
                ids = self._word_needles.get(tok[i : i + size])
                if ids:
                    found.update(ids)
        if len(self._by_token) > _TOKEN_CACHE_LIMIT:
            self._by_token.clear()
        result = self._by_token[tok] = frozenset(found)
        return result


class FilteredPattern:
    """A regex registered in a :class:`Prefilter`, compiled on first use.

    The gazetteer alone has about a thousand names; an article names a few countries, so
    compiling every regex up front cost each crawl worker a second of start-up for regexes
    it never runs. The prefilter reads its strings off the source, not the compiled regex.
    """

    __slots__ = ("id", "source", "_regex")

    def __init__(self, prefilter: Prefilter, source: str) -> None:
        self.id = prefilter.add(source)
        self.source = source
        self._regex: re.Pattern[str] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        if self._regex is None:
            self._regex = re.compile(self.source)
        return self._regex
