"""Collaboration deviations (brister i samverkan, SPEC §4).

Any member of a unit — its social-services staff or a partner working for one of its
organisations — reports a deviation. The unit's staff (the operational group) handle it
step by step: analysis, decided improvement, follow-up, closing. No step can be skipped,
and every report, view and change is written to the access log.

A partner sees only their own reports; the unit's staff see all of their units' deviations.
A linked case is named only to those who may see that case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insats.access import log, policy
from insats.organisations.models import Organisation, Unit

from .models import Deviation

OBJECT_TYPE = "deviation"
Status = Deviation.Status

# The handling steps in order: each status, the one after it, and what the step records.
NEXT_STATUS = {
    Status.REPORTED: Status.ANALYSED,
    Status.ANALYSED: Status.DECIDED,
    Status.DECIDED: Status.FOLLOWED_UP,
    Status.FOLLOWED_UP: Status.CLOSED,
}
STEP_FIELD = {
    Status.ANALYSED: "analysis",
    Status.DECIDED: "improvement",
    Status.FOLLOWED_UP: "follow_up",
    Status.CLOSED: "closed_on",
}
STEP_REQUIRED = {
    "analysis": gettext_lazy("Skriv analysen av vad som hände och varför."),
    "improvement": gettext_lazy("Skriv vilken förbättring som beslutades."),
    "follow_up": gettext_lazy("Skriv hur förbättringen följdes upp."),
    "closed_on": gettext_lazy("Ange när avvikelsen avslutades."),
}
LIST_RELATED = ("unit", "organisation", "reported_by", "case")


# --- Who may do what (the rules are the policy's; a deviation page gets its object from the
# gate, insats/access/gate/meetings.deviation_view) -------------------------------------------


def reporting_units(user) -> set[int]:
    """Units the user is a member of: staff, or a partner active in one of its organisations."""
    return policy.deviation_reporting_units(user)


def handling_units(user) -> set[int]:
    """Units whose deviations the user handles: the unit's social-services staff."""
    return policy.staff_units(user)


def deviations_visible_to(user) -> QuerySet[Deviation]:
    """Staff see all of their units' deviations; anyone else only their own reports."""
    return policy.deviations_visible_to(user)


def may_handle(user, deviation: Deviation) -> bool:
    return bool(policy.decide_deviation(user, deviation, handle=True))


def visible_case_ids(user, deviations) -> set[int]:
    """Of the cases the deviations are linked to, those the user may see (one query at most)."""
    case_ids = {d.case_id for d in deviations if d.case_id}
    return policy.visible_item_cases(user, case_ids) if case_ids else set()


@dataclass
class DeviationRow:
    """A deviation in a list, with its linked case only when the reader may see that case."""

    deviation: Deviation
    case: object | None


def list_rows(user, deviations) -> list[DeviationRow]:
    """The list's rows cut to the reader: a linked case they may not see is left out."""
    deviations = list(deviations)
    shown = visible_case_ids(user, deviations)
    return [DeviationRow(d, d.case if d.case_id in shown else None) for d in deviations]


def log_listing(user, rows: list[DeviationRow], detail: str = "") -> None:
    """Log a list page: one entry per unit, naming the deviations and the cases shown.

    A page that shows nothing is logged too (without a unit), so a search leaves a trace.
    """
    by_unit: dict[int, list[DeviationRow]] = {}
    for row in rows:
        by_unit.setdefault(row.deviation.unit_id, []).append(row)
    if not by_unit:
        log.record(
            user=user,
            action=log.Action.SEARCH,
            object_type=OBJECT_TYPE,
            detail=f"{detail} deviations=".strip(),
        )
    for unit_id, shown in sorted(by_unit.items()):
        ids = ",".join(str(row.deviation.pk) for row in shown)
        cases = ",".join(str(row.case.pk) for row in shown if row.case is not None)
        log.record(
            user=user,
            action=log.Action.SEARCH,
            object_type=OBJECT_TYPE,
            unit_id=unit_id,
            detail=f"{detail} deviations={ids} cases={cases}".strip(),
        )


# --- Reporting and handling --------------------------------------------------------------------


def deviation_report(
    *,
    by,
    unit: Unit,
    organisation: Organisation,
    occurred_on: date,
    what_happened: str,
    case=None,
) -> Deviation:
    """A member of the unit reports a deviation; a linked case must be one they may see."""
    if unit is None or unit.pk not in reporting_units(by):
        raise ValidationError({"unit": _("Du kan bara rapportera avvikelser i din egen enhet.")})
    errors = {}
    if organisation is None or organisation.unit_id != unit.pk:
        errors["organisation"] = _("Välj en organisation i enheten.")
    if occurred_on is None:
        errors["occurred_on"] = _("Ange när det hände.")
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = _("Datumet kan inte ligga i framtiden.")
    if not (what_happened or "").strip():
        errors["what_happened"] = _("Beskriv vad som hände.")
    if case is not None and (
        case.unit_id != unit.pk or not policy.cases_visible_to(by).filter(pk=case.pk).exists()
    ):
        errors["case"] = _("Välj ett ärende i enheten som du har tillgång till.")
    if errors:
        raise ValidationError(errors)
    deviation = Deviation.objects.create(
        unit=unit,
        organisation=organisation,
        case=case,
        occurred_on=occurred_on,
        what_happened=what_happened.strip(),
        reported_by=by,
    )
    log.record(
        user=by,
        action=log.Action.CREATE,
        object_type=OBJECT_TYPE,
        object_id=deviation.pk,
        unit_id=unit.pk,
        case=case,
    )
    return deviation


def deviation_advance(
    *,
    deviation: Deviation,
    by,
    to_status: str,
    analysis: str = "",
    improvement: str = "",
    follow_up: str = "",
    closed_on: date | None = None,
) -> Deviation:
    """Move the deviation one step on, recording what the step needs; no step is skipped."""
    values = {
        "analysis": (analysis or "").strip(),
        "improvement": (improvement or "").strip(),
        "follow_up": (follow_up or "").strip(),
        "closed_on": closed_on,
    }
    with transaction.atomic():
        current = Deviation.objects.select_for_update().get(pk=deviation.pk)
        if not may_handle(by, current):
            raise ValidationError(_("Endast socialtjänsten i enheten hanterar avvikelser."))
        if current.status == Status.CLOSED:
            raise ValidationError(_("Avvikelsen är redan avslutad."), code="closed")
        expected = NEXT_STATUS[Status(current.status)]
        if to_status != expected:
            raise ValidationError(
                _(
                    "Ett steg kan inte hoppas över. Avvikelsen är %(status)s; "
                    "nästa steg är %(next)s."
                )
                % {"status": current.get_status_display().lower(), "next": expected.label},
                code="skip",
            )
        field = STEP_FIELD[expected]
        value = values[field]
        if not value:
            raise ValidationError({field: STEP_REQUIRED[field]})
        if field == "closed_on":
            if value > timezone.localdate():
                raise ValidationError({field: _("Datumet kan inte ligga i framtiden.")})
            if value < current.occurred_on:
                raise ValidationError(
                    {field: _("Avvikelsen kan inte avslutas före den dag det hände.")}
                )
        previous = current.status
        setattr(current, field, value)
        current.status = expected
        current.save(update_fields=[field, "status", "updated_at"])
        log.record(
            user=by,
            action=log.Action.CHANGE,
            object_type=OBJECT_TYPE,
            object_id=current.pk,
            unit_id=current.unit_id,
            case=current.case if current.case_id else None,
            grounds=policy.decide_deviation(by, current, handle=True).grounds,
            detail=f"status {previous}->{expected}",
        )
    for name in ("status", field):
        setattr(deviation, name, getattr(current, name))
    return deviation


# --- Overview ---------------------------------------------------------------------------------

PERIODS = {
    "t1": (1, 4),
    "t2": (5, 8),
    "t3": (9, 12),
    "h1": (1, 6),
    "h2": (7, 12),
    "year": (1, 12),
}


def period_bounds(year: int, period: str) -> tuple[date, date]:
    first_month, last_month = PERIODS[period]
    start = date(year, first_month, 1)
    end = date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


@dataclass
class OverviewRow:
    organisation: Organisation | None  # None: the total row
    counts: list[int]
    total: int


def overview(unit: Unit, start: date, end: date) -> list[OverviewRow]:
    """Deviations per organisation and status that happened in the period; no personal data.

    One row per organisation with at least one deviation, then a total row.
    """
    statuses = list(Status)
    rows = (
        Deviation.objects.filter(unit=unit, occurred_on__gte=start, occurred_on__lte=end)
        .values("organisation", "status")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["organisation"], {})[row["status"]] = row["n"]
    organisations = Organisation.objects.filter(pk__in=list(counts)).order_by("name")
    result = []
    totals = [0] * len(statuses)
    for organisation in organisations:
        by_status = [counts[organisation.pk].get(status, 0) for status in statuses]
        totals = [a + b for a, b in zip(totals, by_status, strict=True)]
        result.append(OverviewRow(organisation, by_status, sum(by_status)))
    result.append(OverviewRow(None, totals, sum(totals)))
    return result
