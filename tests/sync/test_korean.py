"""Korean particles after a run-time word: what a Korean reader expects, never "을(를)" when knowable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.korean import PARTICLES, attach, batchim, fix_particles, particle


@pytest.mark.parametrize(
    ("word", "kind", "expected"),
    [
        ("삼성전자", "이", "가"),
        ("애플", "이", "이"),  # 플 ends in ㄹ
        ("카카오", "을", "를"),
        ("엔비디아", "은", "는"),
        ("현대차", "와", "와"),
        ("테슬라", "과", "와"),
        ("셀트리온", "을", "을"),
        ("서울", "으로", "로"),  # ㄹ takes 로
        ("부산", "으로", "으로"),
        ("학교", "으로", "로"),
    ],
)
def test_hangul_words(word: str, kind: str, expected: str) -> None:
    assert particle(word, kind) == expected


@pytest.mark.parametrize(
    ("word", "kind", "expected"),
    [
        ("157,080 G₩", "을", "을"),  # 원
        ("157,080", "을", "을"),  # 팔십: 십
        ("3", "이", "이"),  # 삼
        ("2", "이", "가"),  # 이
        ("1", "으로", "로"),  # 일: ㄹ
        ("6", "으로", "으로"),  # 육
        ("10", "을", "을"),  # 십
        ("100", "을", "을"),  # 백
        ("1000", "을", "을"),  # 천
        ("10000", "을", "을"),  # 만
        ("1000000000000", "을", "를"),  # 일조
        ("0", "이", "이"),  # 영
        ("1.5", "이", "가"),  # 일 점 오
        ("5%", "이", "가"),  # 퍼센트
        ("US$12", "을", "를"),  # 십이
        ("US$", "으로", "로"),  # 달러
        ("2주", "을", "를"),
        ("74,800원", "이", "이"),
    ],
)
def test_numbers_and_units(word: str, kind: str, expected: str) -> None:
    assert particle(word, kind) == expected


@pytest.mark.parametrize(
    ("word", "kind", "expected"),
    [
        ("LG", "이", "가"),  # 엘지
        ("KB", "이", "가"),  # 케이비
        ("SK", "이", "가"),  # 에스케이
        ("AMD", "은", "는"),  # 에이엠디
        ("IBM", "은", "은"),  # 아이비엠
        ("KTL", "으로", "로"),  # 엘
        ("Google", "이", "이"),  # 구글
        ("Apple", "이", "이"),  # 애플
        ("Amazon", "을", "을"),  # 아마존
        ("Mina", "이", "가"),
        ("Minjun", "이", "이"),
    ],
)
def test_latin(word: str, kind: str, expected: str) -> None:
    assert particle(word, kind) == expected


def test_unknown_reading_keeps_both_forms() -> None:
    assert particle("🚀", "을") == "을(를)"
    assert particle("", "이") == "이(가)"
    assert attach("木", "으로") == "木(으)로"


def test_closing_marks_are_skipped() -> None:
    assert particle("'삼성전자'", "이") == "가"
    assert particle("(카카오)", "을") == "를"


def test_fix_particles_in_sentences() -> None:
    assert fix_particles("그때까지 157,080 G₩을(를) 맡아 둬요.") == "그때까지 157,080 G₩을 맡아 둬요."
    assert fix_particles("주식 팔기이(가) 안 됐어요") == "주식 팔기가 안 됐어요"
    assert fix_particles("https://a.example(으)로 옮겼어요") == "https://a.example로 옮겼어요"
    assert fix_particles("삼성전자은(는) 2주와(과) 3주") == "삼성전자는 2주와 3주"
    assert fix_particles("을(를) 시작") == "을(를) 시작"  # no word before it


@given(st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), min_size=1, max_size=6))
def test_every_hangul_syllable_has_a_reading(word: str) -> None:
    has, _ = batchim(word) or (None, None)
    assert has is not None
    assert particle(word, "을") == ("을" if (ord(word[-1]) - 0xAC00) % 28 else "를")


@given(st.integers(min_value=0, max_value=10**15))
def test_every_number_has_a_reading(n: int) -> None:
    for text in (str(n), f"{n:,}", f"{n:,} G₩"):
        for marker in PARTICLES:
            assert particle(text, marker) != marker


@given(st.text(max_size=30))
def test_fix_particles_never_touches_text_without_markers(text: str) -> None:
    if not any(m in text for m in PARTICLES):
        assert fix_particles(text) == text


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(sorted(PARTICLES)))
def test_fixed_sentence_has_no_marker_left(n: int, marker: str) -> None:
    assert marker not in fix_particles(f"{n:,} G₩{marker} 받았어요")
