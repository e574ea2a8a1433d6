"""Symbol search that understands Korean: codes, tickers, names, initial consonants, aliases, typos.

Pure and standard-library only: the server answers ``GET /api/market/search`` with it and the client
runs the same search offline over the same directory. The caller reads the directory file and passes
its text (``entries_from_json``) or the entries; every search key is computed once, when the
:class:`SymbolIndex` is built, so a query is a scan of precomputed strings.

Ranking (a lower tier wins; inside a tier, the closer match, then the directory's own order, which
lists the best-known companies first):

0. the exact ticker or code (``005930``, ``005930.KS``, ``AAPL``)
1. a ticker or code prefix
2. the Korean name, exactly (so "GS" is Goldman Sachs first, then GS Holdings 078930)
3. a Korean name prefix
4. a Korean name substring
5. initial consonants (``ㅅㅅㅈㅈ`` → 삼성전자), also mixed with syllables (``삼ㅅ``)
6. the English name (the whole name, or from the start of one of its words)
7. an alias (삼전, 하닉, 구글): exact, prefix, substring
8. a typo (a small edit distance to a name, a word of the English name or an alias)
"""

from __future__ import annotations

import heapq
import json
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MARKETS",
    "TIERS",
    "Match",
    "SymbolEntry",
    "SymbolIndex",
    "choseong",
    "entries_from_json",
    "normalize",
]

MARKETS = ("KOSPI", "KOSDAQ", "NASDAQ", "NYSE")
KRX_MARKETS = frozenset(MARKETS[:2])

_SYLLABLE_FIRST = 0xAC00
_SYLLABLE_LAST = 0xD7A3
_SYLLABLES_PER_CHOSEONG = 21 * 28
# The 19 initial consonants in syllable order, as compatibility jamo (what a keyboard types).
_CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_CHOSEONG_SET = frozenset(_CHOSEONG)
# NFKC turns a typed compatibility jamo (U+3131…) into a conjoining initial (U+1100…): map it back.
_CONJOINING_TO_COMPAT = {0x1100 + i: letter for i, letter in enumerate(_CHOSEONG)}

TIERS = (
    "ticker",
    "ticker_prefix",
    "name_ko",
    "name_ko_prefix",
    "name_ko_contains",
    "choseong",
    "name_en",
    "alias",
    "typo",
)
_TYPO = TIERS.index("typo")


@dataclass(frozen=True, slots=True)
class SymbolEntry:
    """One listing of the directory. ``code`` is the six-digit KRX code, or the ticker for US."""

    symbol: str  # the provider ticker: 005930.KS, 035420.KS, AAPL, BRK-B
    code: str
    market: str  # KOSPI, KOSDAQ, NASDAQ or NYSE
    name_ko: str
    name_en: str
    sector: str = ""
    aliases: tuple[str, ...] = ()
    description: str = ""  # Korean, for a child
    fame: int = 3  # 1 a household name, 2 well known, 3 the rest: breaks ties between equal matches

    description_en: str = ""  # English (directory version 2)

    @property
    def currency(self) -> str:
        return "KRW" if self.market in KRX_MARKETS else "USD"

    def describe(self, locale: str) -> str:
        """The kid-level description in ``locale`` ("ko" or "en"); "" when the directory has none."""
        return self.description_en if locale == "en" else self.description


@dataclass(frozen=True, slots=True)
class Match:
    """A search result: the entry and why it matched (one of ``TIERS``)."""

    entry: SymbolEntry
    reason: str


def normalize(text: str) -> str:
    """NFKC, case-folded, without spaces or punctuation; typed initial consonants stay ``ㄱ``…``ㅎ``."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_CONJOINING_TO_COMPAT)
    return "".join(ch for ch in folded if ch.isalnum())


def choseong(text: str) -> str:
    """Each Hangul syllable replaced by its initial consonant; every other character kept."""
    out = []
    for ch in text:
        point = ord(ch)
        if _SYLLABLE_FIRST <= point <= _SYLLABLE_LAST:
            out.append(_CHOSEONG[(point - _SYLLABLE_FIRST) // _SYLLABLES_PER_CHOSEONG])
        else:
            out.append(ch)
    return "".join(out)


def entries_from_json(text: str) -> list[SymbolEntry]:
    """The directory file (``{"version": 2, "symbols": [{...}, ...]}``) as entries; a version 1 file
    (Korean descriptions only) reads too."""
    raw: dict[str, Any] = json.loads(text)
    return [
        SymbolEntry(
            symbol=str(item["symbol"]),
            code=str(item["code"]),
            market=str(item["market"]),
            name_ko=str(item["name_ko"]),
            name_en=str(item["name_en"]),
            sector=str(item.get("sector", "")),
            aliases=tuple(str(a) for a in item.get("aliases", ())),
            description=str(item.get("description", "")),
            fame=int(item.get("fame", 3)),
            description_en=str(item.get("description_en", "")),
        )
        for item in raw["symbols"]
    ]


class _Field:
    """Keys of one kind in one string (``\n``-separated), so ``str.find`` scans them all in C.

    Normalised keys never contain ``\n``, so a hit never spans two keys.
    """

    __slots__ = ("blob", "keys", "owners", "starts", "tags")

    def __init__(self, rows: Iterable[tuple[str, int, int]]) -> None:
        parts: list[str] = []
        self.keys: list[str] = []
        self.owners: list[int] = []  # the entry of each key
        self.tags: list[int] = []  # a per-field detail (the word index of an English name start)
        self.starts: list[int] = []
        at = 1
        for key, owner, tag in rows:
            self.keys.append(key)
            self.owners.append(owner)
            self.tags.append(tag)
            self.starts.append(at)
            parts.append(key)
            at += len(key) + 1
        self.blob = "\n" + "\n".join(parts) + "\n"

    def hits(self, needle: str, *, prefix_only: bool) -> Iterator[tuple[int, int]]:
        """``(key index, offset in the key)`` of every occurrence (only at key starts if asked)."""
        blob, starts = self.blob, self.starts
        pattern, shift = ("\n" + needle, 1) if prefix_only else (needle, 0)
        at = blob.find(pattern)
        while at >= 0:
            where = at + shift
            index = bisect_right(starts, where) - 1
            yield index, where - starts[index]
            at = blob.find(pattern, at + 1)


def _en_starts(name_en: str) -> list[str]:
    words = [w for w in (normalize(x) for x in name_en.replace("-", " ").split()) if w]
    return ["".join(words[i:]) for i in range(len(words))]


def _is_jamo_query(query: str) -> bool:
    return any(ch in _CHOSEONG_SET for ch in query)


def _mixed_at(query: str, name: str, start: int) -> bool:
    """Whether ``query`` (syllables and initial consonants) matches ``name`` from ``start``."""
    for offset, q in enumerate(query):
        n = name[start + offset]
        if q != n and not (q in _CHOSEONG_SET and choseong(n) == q):
            return False
    return True


def _osa_within(a: str, b: str, limit: int) -> int | None:
    """Optimal-string-alignment distance (adjacent swaps count 1) if ``≤ limit``, else ``None``."""
    if abs(len(a) - len(b)) > limit:
        return None
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        low = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            low = min(low, value)
        if low > limit:
            return None
        prev2, prev = prev, cur
    return prev[-1] if prev[-1] <= limit else None


MAX_TYPOS = 2


def _typo_limit(query: str) -> int:
    """Edits allowed: none below 3 characters, one up to 5, two beyond (a syllable counts as one)."""
    if len(query) < 3:
        return 0
    return 1 if len(query) <= 5 else 2


def _deletions(text: str, depth: int) -> set[str]:
    """``text`` and every string made by deleting up to ``depth`` of its characters."""
    found = {text}
    frontier = {text}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w)) if len(w) > 1}
        found |= frontier
    return found


_Offer = Callable[[int, int, int], None]


class SymbolIndex:
    """An in-memory index over the directory; :meth:`search` reads only precomputed keys."""

    def __init__(self, entries: Iterable[SymbolEntry]) -> None:
        self.entries: tuple[SymbolEntry, ...] = tuple(entries)
        self._by_symbol: dict[str, SymbolEntry] = {}
        for e in self.entries:
            self._by_symbol.setdefault(e.symbol.upper(), e)
        for e in self.entries:
            self._by_symbol.setdefault(e.code.upper(), e)
        tickers, names, chos, english, aliases = [], [], [], [], []
        typo_keys: dict[str, int] = {}  # key → its entry (the first, should two entries share it)
        for i, e in enumerate(self.entries):
            for t in dict.fromkeys((normalize(e.symbol), normalize(e.code))):
                tickers.append((t, i, 0))
            name = normalize(e.name_ko)
            names.append((name, i, 0))
            chos.append((choseong(name), i, 0))
            starts = _en_starts(e.name_en)
            english += [(start, i, w) for w, start in enumerate(starts)]
            own_aliases = [a for a in dict.fromkeys(normalize(x) for x in e.aliases) if a]
            aliases += [(a, i, 0) for a in own_aliases]
            words = [normalize(w) for w in e.name_en.replace("-", " ").split()]
            for key in dict.fromkeys([name, *starts[:1], *words, *own_aliases]):
                if len(key) >= 3:
                    typo_keys.setdefault(key, i)
        self._tickers = _Field(tickers)
        self._names = _Field(names)
        self._choseong = _Field(chos)
        self._english = _Field(english)
        self._aliases = _Field(aliases)
        # Symmetric deletions (SymSpell): two strings within two edits share a string reached by
        # deleting at most two characters from each, so candidates are dictionary lookups.
        self._typo_keys = list(typo_keys.items())
        self._variants: dict[str, list[int]] = {}
        for k, (key, _) in enumerate(self._typo_keys):
            for variant in _deletions(key, MAX_TYPOS):
                self._variants.setdefault(variant, []).append(k)
        self._fame = [e.fame for e in self.entries]

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, symbol: str) -> SymbolEntry | None:
        """The entry of a ticker (``005930.KS``, ``aapl``) or a KRX code (``005930``)."""
        return self._by_symbol.get(symbol.strip().upper())

    def search(self, query: str, limit: int = 10) -> list[Match]:
        """At most ``limit`` matches, best first; an empty or punctuation-only query finds nothing."""
        q = normalize(query)
        if not q or limit <= 0:
            return []
        best: dict[int, tuple[int, int]] = {}  # entry → (tier, closeness), the smallest seen

        def offer(entry: int, tier: int, closeness: int) -> None:
            old = best.get(entry)
            if old is None or (tier, closeness) < old:
                best[entry] = (tier, closeness)

        one = len(q) == 1  # a single character matches only at the start of a key: less noise
        field = self._tickers
        for k, _ in field.hits(q, prefix_only=True):
            key = field.keys[k]
            exact = len(key) == len(q)
            offer(field.owners[k], 0 if exact else 1, 0 if exact else len(key))
        field = self._names
        for k, at in field.hits(q, prefix_only=one):
            if at:
                offer(field.owners[k], 4, at)
            else:
                offer(field.owners[k], 2 if len(field.keys[k]) == len(q) else 3, 0)
        if _is_jamo_query(q):
            self._by_choseong(q, offer)
        field = self._english
        for k, _ in field.hits(q, prefix_only=True):
            word = field.tags[k]
            offer(field.owners[k], 6, 0 if word == 0 and len(field.keys[k]) == len(q) else 1 + word)
        field = self._aliases
        for k, at in field.hits(q, prefix_only=one):
            offer(field.owners[k], 7, 2 if at else (0 if len(field.keys[k]) == len(q) else 1))
        if len(best) < limit:
            self._by_typo(q, best, offer)
        fame = self._fame
        ranked = heapq.nsmallest(limit, best.items(), key=lambda kv: (*kv[1], fame[kv[0]], kv[0]))
        return [Match(self.entries[i], TIERS[rank[0]]) for i, rank in ranked]

    def _by_choseong(self, q: str, offer: _Offer) -> None:
        q_cho = choseong(q)
        field, names = self._choseong, self._names.keys
        for k, at in field.hits(q_cho, prefix_only=len(q) == 1):
            if q != q_cho and not _mixed_at(q, names[k], at):
                continue
            whole = at == 0 and len(field.keys[k]) == len(q)
            offer(field.owners[k], 5, 0 if whole else (1 if at == 0 else 2))

    def _by_typo(self, q: str, best: dict[int, tuple[int, int]], offer: _Offer) -> None:
        limit = _typo_limit(q)
        if limit == 0:
            return
        candidates: set[int] = set()
        for variant in _deletions(q, limit):
            candidates.update(self._variants.get(variant, ()))
        for k in candidates:
            key, entry = self._typo_keys[k]
            if entry in best:
                continue
            distance = _osa_within(q, key, limit)
            if distance is not None:
                offer(entry, _TYPO, distance)
