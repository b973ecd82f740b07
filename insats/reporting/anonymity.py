"""k-anonymous generalisation of quasi-identifiers for the case-level export.

The analyst's export has one row per case. Even without names, a rare combination such as
"March 2025, age 17, referred by the school" can point at one young person, so each row's
quasi-identifiers (month, age, source, ...) are published at the most detailed level of a
hierarchy at which at least ``k`` rows share the same published tuple.

Greedy, level by level: at each level the records not yet placed are grouped by that level's
tuple, and every group of at least ``k`` is published at that level. Whatever is left is published
at the last level, which maps everyone to the same tuple. If that last group is non-empty but
smaller than ``k``, it borrows members: first the surplus of groups larger than ``k`` (they stay at
``k`` or more), else one whole group (any group has at least ``k`` members, more than is
missing). Donors are taken from the coarsest level first, because moving an already coarse
record to "*" loses the least detail. Everything is iterated in input order, so the result is
deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class TooFewRecords(Exception):
    """Fewer than k records: no generalisation can hide them among k."""


@dataclass
class _Group:
    depth: int  # index of the level the group is published at
    key: tuple
    members: list[int]  # record indices, ascending


def generalise(records: Sequence[T], levels: Sequence[Callable[[T], tuple]], k: int) -> list[tuple]:
    """The published quasi-identifier tuple of each record, in order; each occurs >= k times.

    `levels` go from most detailed to least; the last must give every record the same tuple.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if not levels:
        raise ValueError("at least one level is needed")
    if not records:
        return []
    if len(records) < k:
        raise TooFewRecords(f"{len(records)} records cannot be {k}-anonymous")

    last = levels[-1]
    if len({last(record) for record in records}) != 1:
        raise ValueError("the last level must map every record to the same tuple")

    groups: list[_Group] = []
    unplaced = list(range(len(records)))
    for depth, level in enumerate(levels[:-1]):
        by_key: dict[tuple, list[int]] = {}
        for index in unplaced:
            by_key.setdefault(level(records[index]), []).append(index)
        unplaced = []
        for key, members in by_key.items():  # dicts keep first-seen order: deterministic
            if len(members) >= k:
                groups.append(_Group(depth, key, members))
            else:
                unplaced.extend(members)
        unplaced.sort()

    if 0 < len(unplaced) < k:
        _fill(unplaced, groups, k)

    published: list[tuple | None] = [None] * len(records)
    for group in groups:
        for index in group.members:
            published[index] = group.key
    for index in unplaced:
        published[index] = last(records[index])
    return published  # type: ignore[return-value]  # every index is set above


def _fill(final: list[int], groups: list[_Group], k: int) -> None:
    """Top up the last group to k members, taking as little detail from others as possible."""
    missing = k - len(final)
    # Coarsest level first, then the largest group, then input order.
    donors = sorted(groups, key=lambda g: (-g.depth, -len(g.members), g.members[0]))
    if sum(len(g.members) - k for g in donors) >= missing:
        for group in donors:
            take = min(missing, len(group.members) - k)
            if take > 0:
                final.extend(group.members[-take:])
                del group.members[-take:]
                missing -= take
            if missing == 0:
                break
    else:
        # Any group has >= k > missing members: one whole group suffices; the smallest
        # of the coarsest level gives up the least.
        group = min(donors, key=lambda g: (-g.depth, len(g.members), g.members[0]))
        groups.remove(group)
        final.extend(group.members)
    final.sort()
