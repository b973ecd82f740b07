"""Gates for unit-level pages: the units a user may open a register, a statistic or the log
of. A user with none gets a 404, like any other object they have no ground for."""

from __future__ import annotations

from django.http import Http404

from insats.organisations.models import Unit

from .. import policy


def _units_or_404(unit_ids) -> list[Unit]:
    units = list(Unit.objects.filter(pk__in=unit_ids).order_by("name", "pk"))
    if not units:
        raise Http404
    return units


def staff_units_or_404(user) -> list[Unit]:
    """Units where the user is social-services staff (registers, groups, collaboration)."""
    return _units_or_404(policy.staff_units(user))


def statistics_units_or_404(user) -> list[Unit]:
    """Units whose de-identified statistics the user reads."""
    return _units_or_404(policy.statistics_units(user))


def export_units_or_404(user) -> list[Unit]:
    """Units whose de-identified follow-up data set the user exports."""
    return _units_or_404(policy.export_units(user))


def review_units_or_404(user) -> list[Unit]:
    """Units whose access log the user reviews (supervisors)."""
    return _units_or_404(policy.review_units(user))
