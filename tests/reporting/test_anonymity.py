"""k-anonymous generalisation for the case-level export (issue #7)."""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insats.reporting.anonymity import TooFewRecords, generalise


class Row(NamedTuple):
    year: int
    month: int
    age: int
    source: str


def _band(age: int) -> str:
    low = age // 5 * 5
    return f"{low}–{low + 4}"


def _wide_band(age: int) -> str:
    return "–17" if age < 18 else ("18–24" if age < 25 else "25–")


LEVELS = (
    lambda r: (f"{r.year}-{r.month:02d}", str(r.age), r.source),
    lambda r: (f"{r.year} T{(r.month - 1) // 4 + 1}", _band(r.age), r.source),
    lambda r: (str(r.year), _wide_band(r.age), "*"),
    lambda r: ("*", "*", "*"),
)

rows = st.builds(
    Row,
    year=st.sampled_from([2024, 2025]),
    month=st.integers(1, 12),
    age=st.integers(12, 30),
    source=st.sampled_from(["polis", "skola", "socialtjänst"]),
)


@settings(max_examples=300, deadline=None)
@given(records=st.lists(rows, max_size=40), k=st.integers(2, 6))
def test_every_published_tuple_is_shared_by_k_and_generalises_its_record(records, k):
    if 0 < len(records) < k:
        with pytest.raises(TooFewRecords):
            generalise(records, LEVELS, k)
        return
    published = generalise(records, LEVELS, k)
    assert len(published) == len(records)
    assert all(n >= k for n in Counter(published).values())
    for record, shown in zip(records, published, strict=True):
        assert shown in [level(record) for level in LEVELS]
    assert generalise(list(records), LEVELS, k) == published  # deterministic


@settings(max_examples=100, deadline=None)
@given(base=st.lists(rows, min_size=1, max_size=10), k=st.integers(2, 6), data=st.data())
def test_nothing_is_generalised_when_every_detailed_group_is_large_enough(base, k, data):
    records = data.draw(st.permutations([record for record in base for _ in range(k)]))
    assert generalise(records, LEVELS, k) == [LEVELS[0](record) for record in records]


def test_hand_example_moves_a_whole_group_when_no_group_has_surplus():
    records = [
        Row(2024, 1, 20, "polis"),  # 0 ┐ same month, age and source
        Row(2024, 1, 20, "polis"),  # 1 ┘
        Row(2024, 2, 21, "skola"),  # 2 ┐ same tertial, band and source
        Row(2024, 3, 22, "skola"),  # 3 ┘
        Row(2024, 6, 40, "socialtjänst"),  # 4: alone at every level
    ]
    assert generalise(records, LEVELS, 2) == [
        ("2024-01", "20", "polis"),
        ("2024-01", "20", "polis"),
        # The lone record needs company; the coarser group gives up less detail.
        ("*", "*", "*"),
        ("*", "*", "*"),
        ("*", "*", "*"),
    ]


def test_hand_example_takes_surplus_members_first():
    records = [
        Row(2024, 1, 20, "polis"),
        Row(2024, 1, 20, "polis"),
        Row(2024, 1, 20, "polis"),
        Row(2025, 9, 13, "skola"),
    ]
    assert generalise(records, LEVELS, 2) == [
        ("2024-01", "20", "polis"),
        ("2024-01", "20", "polis"),
        ("*", "*", "*"),
        ("*", "*", "*"),
    ]


def test_records_are_published_at_the_most_detailed_sufficient_level():
    records = [
        Row(2024, 1, 20, "polis"),
        Row(2024, 4, 24, "polis"),  # same tertial and band as the first
        Row(2024, 9, 17, "skola"),
        Row(2024, 12, 16, "polis"),  # same year and wide band as the third
    ]
    assert generalise(records, LEVELS, 2) == [
        ("2024 T1", "20–24", "polis"),
        ("2024 T1", "20–24", "polis"),
        ("2024", "–17", "*"),
        ("2024", "–17", "*"),
    ]


def test_too_few_records_and_empty_input():
    assert generalise([], LEVELS, 5) == []
    with pytest.raises(TooFewRecords):
        generalise([Row(2024, 1, 20, "polis")] * 4, LEVELS, 5)
    assert (
        generalise([Row(2024, 1, 20, "polis")] * 5, LEVELS, 5) == [("2024-01", "20", "polis")] * 5
    )


def test_last_level_must_be_common_to_all():
    with pytest.raises(ValueError):
        generalise([Row(2024, 1, 20, "polis"), Row(2025, 1, 20, "polis")], LEVELS[:2], 1)
    with pytest.raises(ValueError):
        generalise([Row(2024, 1, 20, "polis")], LEVELS, 0)
