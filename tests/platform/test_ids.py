"""Order numbers: readable, dated, and random in every character."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from dingdan.platform.ids import ALPHABET, RANDOM_CHARS, looks_like_order_number, new_order_number


def test_an_order_number_is_the_date_a_dash_and_eight_letters_of_the_alphabet():
    number = new_order_number(datetime(2026, 11, 25, 23, 59, tzinfo=UTC))
    assert number.startswith("261125-") and len(number) == 7 + RANDOM_CHARS
    assert looks_like_order_number(number)


def test_every_position_draws_every_letter_evenly():
    at = datetime(2026, 12, 7, tzinfo=UTC)
    suffixes = [new_order_number(at)[7:] for _ in range(6400)]
    assert len(set(suffixes)) == len(suffixes)
    for position in range(RANDOM_CHARS):
        counts = Counter(suffix[position] for suffix in suffixes)
        assert set(counts) == set(ALPHABET)
        # 200 expected per letter; a stuck or biased bit would halve or double some counts
        assert all(120 < count < 290 for count in counts.values()), counts
