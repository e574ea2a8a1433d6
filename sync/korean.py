"""Korean particles after a word that is only known at run time: 을/를, 이/가, 은/는, 와/과, (으)로.

A sentence such as "{amount}을(를) 맡아 둬요" names a variable, so the right particle depends on how
its last syllable is read: with a final consonant (batchim) 을/이/은/과/으로, without one 를/가/는/와/로;
(으)로 also takes 로 after ㄹ. Hangul carries its batchim; digits are read as Sino-Korean numbers
(3 삼, 10 십, 2 이); a trailing unit is read as said (₩ 원, $ 달러, % 퍼센트); Latin is read as an
acronym's letter names (KB 케이비, LG 엘지) or an English word's ending (Google 구글, Apple 애플).
When the reading is unknown the written-both form stays ("을(를)"), which is never wrong, only stiff.

Pure and deterministic: the client's catalogs and the server's notification texts use the same rule.
"""

from __future__ import annotations

import re

__all__ = ["PARTICLES", "attach", "batchim", "fix_particles", "particle"]

# particle marker as written in a template → (after a batchim, after none)
PARTICLES: dict[str, tuple[str, str]] = {
    "을(를)": ("을", "를"),
    "를(을)": ("을", "를"),
    "이(가)": ("이", "가"),
    "가(이)": ("이", "가"),
    "은(는)": ("은", "는"),
    "는(은)": ("은", "는"),
    "과(와)": ("과", "와"),
    "와(과)": ("과", "와"),
    "(으)로": ("으로", "로"),
    "(이)에요": ("이에요", "예요"),
}
_KIND = {"을": "을(를)", "를": "을(를)", "이": "이(가)", "가": "이(가)", "은": "은(는)", "는": "은(는)",
         "과": "과(와)", "와": "과(와)", "으로": "(으)로", "로": "(으)로"}  # fmt: skip

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_RIEUL = 8  # the index of ㄹ among final consonants

# final consonant of each digit's Sino-Korean reading: 영 일 이 삼 사 오 육 칠 팔 구
# (True, rieul) per digit; (False, False) for none
_DIGIT = {
    "0": (True, False),
    "1": (True, True),
    "2": (False, False),
    "3": (True, False),
    "4": (False, False),
    "5": (False, False),
    "6": (True, False),
    "7": (True, True),
    "8": (True, True),
    "9": (False, False),
}
# a round number is read by its last unit: 십 백 천 만 … 억 … 조; all but 조 end in a consonant (none ㄹ)
_ZEROS_TO_JO = 12

# units and symbols written after a number, as they are read aloud
_SYMBOL = {
    "₩": (True, False),  # 원
    "원": (True, False),
    "$": (True, True),  # 달러
    "%": (False, False),  # 퍼센트
    "주": (False, False),
}
# English letter names as Koreans say them (에이, 비, 씨 … 엘, 엠, 엔, 알)
_LETTER = {c: (False, False) for c in "ABCDEFGHIJKOPQSTUVWXYZ"}
_LETTER.update({"L": (True, True), "M": (True, False), "N": (True, False), "R": (True, True)})

_SKIP = set(" \t)]}'\"”’.,!?·") | {"\u00a0"}


def _hangul(char: str) -> tuple[bool, bool] | None:
    code = ord(char)
    if not _HANGUL_FIRST <= code <= _HANGUL_LAST:
        return None
    final = (code - _HANGUL_FIRST) % 28
    return final != 0, final == _RIEUL


def _number(digits: str) -> tuple[bool, bool]:
    """The reading's ending of a run of digits (commas already dropped): 157080 → 팔 (ㄹ)."""
    if "." in digits:  # a decimal is read digit by digit after the point: 1.5 → 일 점 오
        return _DIGIT[digits[-1]]
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped)
    if not stripped or zeros == 0:  # 0 영, 157 칠
        return _DIGIT[digits[-1]]
    # 10 십, 100 백, 1000 천, 10000 만, 10^8 억: a consonant; 10^12 … 10^15 end in 조: none
    return not _ZEROS_TO_JO <= zeros < _ZEROS_TO_JO + 4, False


def _latin_word(word: str) -> tuple[bool, bool] | None:
    """An English word's ending as borrowed into Korean (Google 구글, Apple 애플, Amazon 아마존)."""
    w = word.lower()
    if w.endswith(("le", "l")):  # 애플, 구글, 인텔
        return True, True
    if w.endswith(("ng", "m", "n")):
        return True, False
    if w.endswith(("c", "k", "p", "t", "b", "d", "g")) and not w.endswith(("te", "de")):  # 일렉트릭
        return True, False
    return False, False


def batchim(text: str) -> tuple[bool, bool] | None:
    """``(has a final consonant, that consonant is ㄹ)`` of how ``text`` ends when read aloud, or
    ``None`` when the reading is unknown (an emoji, a Chinese character, nothing at all)."""
    end = len(text)
    while end and text[end - 1] in _SKIP:
        end -= 1
    text = text[:end]
    if not text:
        return None
    last = text[-1]
    if (reading := _hangul(last)) is not None:
        return reading
    if last.isdigit():
        match = re.search(r"[\d,.]*\d$", text)
        assert match is not None
        return _number(match.group(0).replace(",", "").lstrip("."))
    if last in _SYMBOL:
        return _SYMBOL[last]
    if last.isascii() and last.isalpha():
        match = re.search(r"[A-Za-z]+$", text)
        assert match is not None
        word = match.group(0)
        capitals = sum(c.isupper() for c in word)
        if (word.isupper() and len(word) <= 5) or capitals >= 2 and capitals * 2 >= len(word):
            # an acronym or a ticker, also with a small letter inside (QnC 큐앤씨): letter by letter
            return _LETTER[word[-1]]
        return _latin_word(word)
    return None


def particle(word: str, kind: str) -> str:
    """The particle of ``kind`` ("을", "이", "은", "과", "으로" or a marker such as "을(를)") after
    ``word``; the written-both marker when the reading is unknown."""
    marker = kind if kind in PARTICLES else _KIND[kind]
    after_consonant, after_vowel = PARTICLES[marker]
    reading = batchim(word)
    if reading is None:
        return marker
    has, rieul = reading
    if marker == "(으)로" and rieul:
        return after_vowel
    return after_consonant if has else after_vowel


def attach(word: str, kind: str) -> str:
    """``word`` followed by its particle: attach("157,080 G₩", "을") == "157,080 G₩을"."""
    return word + particle(word, kind)


_MARKERS = re.compile("|".join(re.escape(m) for m in sorted(PARTICLES, key=len, reverse=True)))


def fix_particles(text: str) -> str:
    """Every written-both marker in ``text`` replaced by the particle its preceding word takes
    ("애플이(가) 올랐어요" → "애플이 올랐어요"); a marker at the start or after an unknown reading stays."""
    out: list[str] = []
    last = 0
    for match in _MARKERS.finditer(text):
        start = match.start()
        out.append(text[last:start])
        before = "".join(out)
        marker = match.group(0)
        # a marker right after a space belongs to no word ("을(를)" alone): keep it
        out.append(particle(before, marker) if before and before[-1] not in " \n" else marker)
        last = match.end()
    out.append(text[last:])
    return "".join(out)
