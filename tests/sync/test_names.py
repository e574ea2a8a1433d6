"""The display-name rule: names that show nothing or reorder the text around them are refused."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sync.names import name_problem

BLANK = "\u115f\u1160\u3164\uffa0\u2800"  # the Hangul fillers and the braille blank
DIRECTION_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]


@pytest.mark.parametrize(
    "name",
    [
        "지우",
        "엄마",
        "Mom",
        "Jean-Luc O'Brien",
        "Jose\u0301",  # an accent as a combining mark
        "👨\u200d👩\u200d👧 우리집",  # an emoji family is joined with zero-width joiners
        "하늘 ✨",
        "❤\ufe0f",  # a variation selector
        "ㅎㅎ",
        " 지우 ",
        "아이패드 (거실)",
    ],
)
def test_ordinary_names_are_accepted(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "visible"),
        ("\u200b", "visible"),  # zero-width space
        ("\u200b\u200c\u200d\u2060\ufeff", "visible"),
        ("\u00ad", "visible"),  # soft hyphen
        ("\u3164", "visible"),  # Hangul filler: looks like an empty name
        ("\u3164\u3164 \u115f", "visible"),
        ("\u2800", "visible"),  # braille blank
        ("   ", "visible"),
        ("\u0301\u0301", "visible"),  # combining marks with nothing to sit on
        ("\x00", "control"),
        ("지우\n엄마", "control"),
        ("tab\there", "control"),
        ("\x1b[31mred", "control"),
        ("a\u2028b", "control"),  # line separator
        ("\u202eevil.exe", "direction"),
        ("엄마\u202d", "direction"),
        ("\u2066하늘\u2069", "direction"),
    ],
)
def test_names_that_show_nothing_or_reorder_text_are_refused(name: str, reason: str) -> None:
    problem = name_problem(name)
    assert problem is not None and reason in problem


@given(st.text(min_size=1, max_size=20), st.sampled_from(DIRECTION_CONTROLS), st.integers(0, 20))
def test_a_direction_control_anywhere_is_refused(name: str, control: str, at: int) -> None:
    assert name_problem(name[:at] + control + name[at:]) is not None


@given(st.text(st.characters(categories=["Cf", "Zs", "Cc"]), max_size=10))
def test_only_invisible_characters_are_refused(name: str) -> None:
    assert name_problem(name) is not None


@given(st.text(st.characters(categories=["L", "N", "S", "P"]), min_size=1, max_size=30))
def test_letters_digits_symbols_and_punctuation_are_names(name: str) -> None:
    assume(set(name) - set(BLANK))  # a name of only blank letters is refused (above)
    assert name_problem(name) is None
