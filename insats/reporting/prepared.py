"""Figures over many units, prepared by the nightly job so that pages need not count them.

A national analyst's "all my units" covers every unit in the country: counting it takes
seconds, which is too long for a page. So each night the figures for every multi-unit set
that a statistics user has are computed for the periods people ask for most (the current and
the previous tertial, half-year and year), in every interface language, and stored. A page
asking for one of those uses them and says when they were computed; any other choice (a
custom period, a single unit) is counted live.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation

from insats.access import policy

from . import periods, statistics
from .models import PreparedFigures
from .statistics import CostRow, CountTable, Figures, LeadTime, TrendSource

logger = logging.getLogger(__name__)

# Used while younger than this: the job runs daily, with some slack for a late run.
FRESH_FOR = timedelta(hours=26)
PREPARED_KINDS = ("tertial", "half", "year")
# Raised whenever what `statistics.compute` means by a figure changes, so that figures stored
# before are counted live rather than shown with the old meaning (2: every row of the change
# per life area adds up to the cases compared, a total the page shares between two tables).
SHAPE = 2


def unit_key(unit_ids) -> str:
    return hashlib.sha256(",".join(map(str, sorted(set(unit_ids)))).encode()).hexdigest()


def prepared_periods(today: date) -> list[periods.Period]:
    """The current and the previous period of each fixed kind."""
    result = []
    for kind in PREPARED_KINDS:
        current = periods.containing(kind, today)
        result.extend(periods.preceding(current, 2))
    return result


def unit_sets() -> list[frozenset[int]]:
    """Every set of two or more units that some active statistics user reports on."""
    sets = set()
    candidates = get_user_model().objects.filter(
        is_active=True, memberships__active=True, memberships__role__in=policy.STATISTICS_ROLES
    )
    for user in candidates.distinct():
        units = frozenset(policy.statistics_units(user))
        if len(units) > 1:
            sets.add(units)
    return sorted(sets, key=sorted)


def dump(figures: Figures) -> dict:
    """As JSON-ready data (dates and amounts become strings in the field's encoder)."""
    return {**dataclasses.asdict(figures), "shape": SHAPE}


def load(data: dict) -> Figures:
    """The inverse of `dump`; ValueError for figures of another `SHAPE`."""
    if data.get("shape") != SHAPE:
        raise ValueError(f"prepared figures of shape {data.get('shape')!r}, not {SHAPE}")
    period = data["period"]
    return Figures(
        period=periods.Period(
            period["kind"], date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
        ),
        tables=[CountTable(**table) for table in data["tables"]],
        lead_time=LeadTime(**data["lead_time"]),
        costs=[
            CostRow(row["label"], row["cases"], row["days"], Decimal(row["cost"]))
            for row in data["costs"]
        ],
        cost_overlaps=[(tuple(kinds), n) for kinds, n in data["cost_overlaps"]],
        trend=CountTable(**data["trend"]),
        trend_sources=[
            TrendSource(
                *(CountTable(**source[name]) for name in ("consent", "decisions", "discharges"))
            )
            for source in data["trend_sources"]
        ],
    )


def prepare(today: date) -> int:
    """Compute and store the figures for every unit set × prepared period × language; drop
    what is no longer fresh. Returns the number stored."""
    stored = 0
    for units in unit_sets():
        key = unit_key(units)
        for period in prepared_periods(today):
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    figures = statistics.compute(units, period)
                with transaction.atomic():
                    PreparedFigures.objects.update_or_create(
                        key=key,
                        language=language,
                        period_kind=period.kind,
                        period_start=period.start,
                        period_end=period.end,
                        defaults={"computed_at": timezone.now(), "figures": dump(figures)},
                    )
                stored += 1
    PreparedFigures.objects.filter(computed_at__lt=timezone.now() - FRESH_FOR).delete()
    return stored


def lookup(unit_ids, period: periods.Period) -> tuple[statistics.Figures, datetime] | None:
    """The prepared figures for these units and period in the active language, if fresh."""
    row = (
        PreparedFigures.objects.filter(
            key=unit_key(unit_ids),
            language=translation.get_language(),
            period_kind=period.kind,
            period_start=period.start,
            period_end=period.end,
            computed_at__gte=timezone.now() - FRESH_FOR,
        )
        .only("pk", "figures", "computed_at")
        .first()
    )
    if row is None:
        return None
    try:
        return load(row.figures), row.computed_at
    except (KeyError, TypeError, ValueError):
        # Stored by an earlier version of `Figures`: count live until the next night.
        logger.warning("Prepared figures %s could not be read; counting live.", row.pk)
        return None
