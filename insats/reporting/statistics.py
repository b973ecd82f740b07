"""De-identified figures for leadership and analysts: counts per unit(s) and period.

Everything is aggregated in the database: a fixed number of queries whatever the number of
cases, so the page stays fast on a whole municipality's data. Only numbers and the labels of
choices and configuration lists leave this module — never a name, identity number, alias or
free text. Suppression of small cells is applied afterwards, by the page that shows them.

Dates: a timestamp (intake, lifecycle move, registration) belongs to the day it has in
Europe/Stockholm local time; a period runs from its first day 00:00 to its last day 24:00.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import NotSupportedError
from django.db.models import Case as Conditional
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.cases.lifecycle import CLOSED_STATES, State
from insats.cases.models import Case, CaseTransition, Source
from insats.casework.models import Placement
from insats.consent.models import Consent
from insats.decisions.models import CaseDecision, FollowUpAssessment
from insats.decisions.selectors import INDICATORS
from insats.meetings.models import Deviation
from insats.organisations.models import DischargeReason, LifeArea, Organisation
from insats.plans.models import PlanMeasure

from .periods import Period, preceding

TREND_PERIODS = 6
_CLOSED = sorted(str(state) for state in CLOSED_STATES)
# The decisions that end the investigation: the lead time runs from intake to the first of them.
FIRST_DECISION_KINDS = (CaseDecision.Kind.ENROL, CaseDecision.Kind.DECLINE)
# The enrolment's and the decline's rows in the decisions table (rows in choice order).
ENROL_ROW = CaseDecision.Kind.values.index(CaseDecision.Kind.ENROL)
DECLINE_ROW = CaseDecision.Kind.values.index(CaseDecision.Kind.DECLINE)


@dataclass
class CountTable:
    key: str  # stable id, e.g. "cases_by_source_state"
    title: str
    row_labels: list[str]
    column_labels: list[str]
    counts: list[list[int]]  # raw integers; suppression is applied by the page
    row_totals: bool = True  # whether row totals may be published
    column_totals: bool = True
    note: str = ""  # one sentence saying what is counted
    # The name of a number every row adds up to by what the table counts (a reader knows that
    # much whether or not it is shown); every table of the page naming it shares it, and
    # suppression treats it as one published number. Such a table has no column totals.
    shared_row_total: str | None = None


@dataclass
class LeadTime:
    """Days from the intake's local date to the first decision (enrolment or decline)."""

    n: int
    median: float | None
    q1: float | None
    q3: float | None


@dataclass
class CostRow:
    label: str
    cases: int
    days: int
    cost: Decimal


@dataclass
class TrendSource:
    """The tables one trend row is read from, exactly as that period's own page shows them."""

    consent: CountTable
    decisions: CountTable
    discharges: CountTable

    @property
    def counts(self) -> list[int]:
        """Intakes, enrolments, discharges."""
        return [
            sum(row[0] for row in self.consent.counts),
            self.decisions.counts[ENROL_ROW][0],
            sum(row[0] for row in self.discharges.counts),
        ]


@dataclass
class Figures:
    period: Period
    tables: list[CountTable]  # in display order
    lead_time: LeadTime
    costs: list[CostRow]  # one row per placement kind, in choice order
    cost_overlaps: list[tuple[tuple[int, ...], int]]  # (kinds as cost-row indexes, cases)
    trend: CountTable  # the last TREND_PERIODS periods: intakes, enrolments, discharges
    trend_sources: list[TrendSource]  # per trend row, the tables its figures come from


class DaysBetween(Func):
    """Whole days from the second date to the first (later − earlier), as an integer.

    Date arithmetic is the one thing the two databases spell differently; both give exact
    whole days for plain dates.
    """

    arity = 2
    output_field = IntegerField()

    def _compiled(self, compiler):
        later, later_params = compiler.compile(self.get_source_expressions()[0])
        earlier, earlier_params = compiler.compile(self.get_source_expressions()[1])
        return later, earlier, (*later_params, *earlier_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        later, earlier, params = self._compiled(compiler)
        return f"CAST(ROUND(julianday({later}) - julianday({earlier})) AS INTEGER)", params

    def as_postgresql(self, compiler, connection, **extra_context):
        later, earlier, params = self._compiled(compiler)
        return f"(CAST({later} AS date) - CAST({earlier} AS date))", params

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("DaysBetween supports SQLite and PostgreSQL only")


def _midnight(day: date) -> datetime:
    """The start of `day` in local time (midnight always exists in Europe/Stockholm)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """[start, end) of the period as aware timestamps."""
    return _midnight(period.start), _midnight(period.end + timedelta(days=1))


def _state_before(moment: datetime):
    """The case's lifecycle state just before `moment`: the target of its last move before it.

    A case with no move recorded by then is in its initial state.
    """
    last = (
        CaseTransition.objects.filter(case=OuterRef("pk"), at__lt=moment)
        .order_by("-at", "-pk")
        .values("to_state")[:1]
    )
    return Coalesce(Subquery(last), Value(State.INTAKE.value), output_field=CharField())


def _grid(rows: list, columns: list, counts: dict) -> list[list[int]]:
    return [[counts.get((row, column), 0) for column in columns] for row in rows]


def _column(rows: list, counts: dict) -> list[list[int]]:
    return [[counts.get(row, 0)] for row in rows]


# --- 1. Cases by intake source and state ------------------------------------------------------


def _cases_by_source_state(units: list[int], period: Period) -> CountTable:
    start, end = _bounds(period)
    moves = CaseTransition.objects.filter(case=OuterRef("pk"))
    closed_before = moves.filter(at__lt=start, to_state__in=_CLOSED)
    reopened_in_period = moves.filter(at__gte=start, at__lt=end).exclude(to_state__in=_CLOSED)
    # Open at some point in the period: never closed before it (a cheap, hashed check that
    # settles most cases), not closed at its start, or moved to an open state within it.
    rows = (
        Case.objects.filter(unit_id__in=units, created_at__lt=end)
        .annotate(state_at_start=_state_before(start), state_at_end=_state_before(end))
        .filter(
            ~Exists(closed_before) | ~Q(state_at_start__in=_CLOSED) | Exists(reopened_in_period)
        )
        .order_by()
        .values("source", "state_at_end")
        .annotate(n=Count("pk"))
    )
    counts = {(r["source"], r["state_at_end"]): r["n"] for r in rows}
    return CountTable(
        key="cases_by_source_state",
        title=_("Ärenden efter aktualiseringsväg och steg"),
        row_labels=[str(label) for label in Source.labels],
        column_labels=[str(label) for label in State.labels],
        counts=_grid(list(Source.values), list(State.values), counts),
        note=_(
            "Ärenden som var öppna någon gång under perioden, efter vem som aktualiserade "
            "dem och vilket steg de befann sig i vid periodens slut."
        ),
    )


# --- 2. Decisions --------------------------------------------------------------------------


def _decisions(units: list[int], period: Period) -> CountTable:
    rows = (
        CaseDecision.objects.filter(
            case__unit_id__in=units, decided_on__gte=period.start, decided_on__lte=period.end
        )
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
    )
    counts = {r["kind"]: r["n"] for r in rows}
    return CountTable(
        key="decisions",
        title=_("Beslut efter slag"),
        row_labels=[str(label) for label in CaseDecision.Kind.labels],
        column_labels=[_("Antal")],
        counts=_column(list(CaseDecision.Kind.values), counts),
        row_totals=False,
        note=_("Beslut med beslutsdatum under perioden, efter slag av beslut."),
    )


# --- 3. Consent ----------------------------------------------------------------------------


def _consent(units: list[int], period: Period) -> CountTable:
    start, end = _bounds(period)
    # Any consent record counts: the consent service refuses one nobody signed, and a
    # consent revoked later was still given.
    given = Consent.objects.filter(case=OuterRef("pk"), recorded_at__lt=end)
    rows = (
        Case.objects.filter(unit_id__in=units, created_at__gte=start, created_at__lt=end)
        .annotate(given=Exists(given))
        .order_by()
        .values("given")
        .annotate(n=Count("pk"))
    )
    counts = {r["given"]: r["n"] for r in rows}
    return CountTable(
        key="consent",
        title=_("Samtycke bland nya ärenden"),
        row_labels=[_("Med samtycke"), _("Utan samtycke")],
        column_labels=[_("Antal")],
        counts=_column([True, False], counts),
        row_totals=False,
        note=_(
            "Ärenden aktualiserade under perioden, efter om ett samtycke till "
            "informationsutbyte var registrerat senast periodens sista dag (även om det "
            "senare återkallats)."
        ),
    )


# --- 4. Discharges -------------------------------------------------------------------------


def _discharge_reasons(units: list[int]) -> list[dict]:
    return list(
        DischargeReason.objects.filter(unit_id__in=units)
        .order_by("position", "unit_id", "pk")
        .values("code", "label", "active")
    )


def _discharges(units: list[int], period: Period, reasons: list[dict]) -> CountTable:
    start, end = _bounds(period)
    rows = (
        CaseTransition.objects.filter(
            case__unit_id__in=units, to_state=State.DISCHARGED, at__gte=start, at__lt=end
        )
        .order_by()
        .values("discharge_reason__code")
        .annotate(n=Count("pk"))
    )
    counts = {r["discharge_reason__code"]: r["n"] for r in rows}
    # Each unit keeps its own list; the same code means the same reason across units, and
    # the first unit's wording (in list order) names it.
    labels: dict[str, str] = {}
    for reason in reasons:
        if reason["active"] or reason["code"] in counts:
            labels.setdefault(reason["code"], reason["label"])
    codes = list(labels)
    row_labels = list(labels.values())
    if counts.get(None):
        codes.append(None)
        row_labels.append(_("Skäl saknas"))
    return CountTable(
        key="discharges_by_reason",
        title=_("Utskrivningar efter skäl"),
        row_labels=row_labels,
        column_labels=[_("Antal")],
        counts=_column(codes, counts),
        row_totals=False,
        note=_(
            "Utskrivningar under perioden efter skäl för utskrivning; ett ärende som "
            "återöppnats och skrivits ut igen räknas en gång per utskrivning."
        ),
    )


# --- 5–6. Change between the first and second follow-up assessment ---------------------------

# Every row of both tables counts each compared case exactly once.
COMPARED_CASES = "compared_cases"


def _compared_assessments(units: list[int], period: Period):
    """(seconds, pairs): per case, its current second assessment when dated in the period and
    the case has a current first one; and those two assessments of each such case.

    Should a race have left two current assessments of a kind, the newest (date, then id)
    counts. Anti-joins rather than a "newest" subquery per row: the database hashes them once.
    """
    current = FollowUpAssessment.objects.filter(superseded_at__isnull=True)
    newer = current.filter(case=OuterRef("case"), kind=OuterRef("kind")).filter(
        Q(assessed_on__gt=OuterRef("assessed_on"))
        | Q(assessed_on=OuterRef("assessed_on"), pk__gt=OuterRef("pk"))
    )
    newest = current.filter(~Exists(newer))
    has_first = current.filter(case=OuterRef("case"), kind=FollowUpAssessment.Kind.FIRST)
    seconds = newest.filter(
        case__unit_id__in=units,
        kind=FollowUpAssessment.Kind.SECOND,
        assessed_on__gte=period.start,
        assessed_on__lte=period.end,
    ).filter(Exists(has_first))
    pairs = newest.filter(
        kind__in=(FollowUpAssessment.Kind.FIRST, FollowUpAssessment.Kind.SECOND),
        case__in=seconds.values("case"),
    )
    return seconds, pairs


def _compared_ratings(pairs):
    """The ratings of both assessments of each compared case, per case and life-area code:
    how many are given and their difference (second − first, higher is better)."""
    signed = Conditional(
        When(kind=FollowUpAssessment.Kind.SECOND, then=F("ratings__rating")),
        default=-F("ratings__rating"),
        output_field=IntegerField(),
    )
    return (
        pairs.filter(ratings__rating__isnull=False)
        .order_by()
        .values("case", code=F("ratings__life_area__code"))
        .annotate(given=Count("ratings__pk"), difference=Sum(signed))
    )


CHANGES = (("improved", "gt"), ("unchanged", "exact"), ("worsened", "lt"))


def _follow_up_change(units: list[int], seconds, pairs) -> tuple[CountTable, int]:
    """The table, and the number of cases compared.

    Two levels of aggregation (per case and area, then per area) in one query, with no
    subquery per case or rating. Every row counts each compared case once, in "not rated"
    unless both its assessments rate the area (a case of a unit without the area in its list
    included), so every row adds up to the number of cases compared, and the indicator table's
    rows with it: a number suppression must see as one (`COMPARED_CASES`).
    """
    compared = seconds.count()
    # Life areas by code across the units; the first unit's wording (in list order) names
    # one.
    labels: dict[str, str] = {}
    active: set[str] = set()
    for area in (
        LifeArea.objects.filter(unit_id__in=units)
        .order_by("position", "unit_id", "pk")
        .values("code", "label", "active")
    ):
        labels.setdefault(area["code"], area["label"])
        if area["active"]:
            active.add(area["code"])
    counts = {}
    if labels and compared:
        counts = _compared_ratings(pairs).aggregate(
            **{
                f"area{index}_{change}": Count(
                    "case",
                    filter=Q(code=code, given=2, **{f"difference__{lookup}": 0}),
                )
                for index, code in enumerate(labels)
                for change, lookup in CHANGES
            }
        )
    grid, row_labels = [], []
    for index, (code, label) in enumerate(labels.items()):
        measured = [counts.get(f"area{index}_{change}", 0) for change, _lookup in CHANGES]
        if code not in active and not any(measured):
            continue  # retired everywhere and nothing to show
        row_labels.append(label)
        # A case is in at most one of the three per area (one pair of ratings), so this is
        # never negative.
        grid.append([*measured, compared - sum(measured)])
    table = CountTable(
        key="follow_up_change",
        title=_("Förändring per livsområde mellan första och andra uppföljningen"),
        row_labels=row_labels,
        column_labels=[_("Förbättrad"), _("Oförändrad"), _("Försämrad"), _("Ej skattad")],
        counts=grid,
        column_totals=False,
        note=_(
            "Ärenden vars andra uppföljningsbedömning är daterad under perioden och som har "
            "en första: skattningen per livsområde jämförd med den första (högre är bättre); "
            "”ej skattad” när någon av dem saknar skattning."
        ),
        shared_row_total=COMPARED_CASES,
    )
    return table, compared


def _follow_up_indicators(pairs, compared: int) -> CountTable:
    # Per case, its two assessments side by side: an indicator changed when they hold two
    # different values, or a value and a missing one. No subquery per case.
    per_case = (
        pairs.order_by()
        .values("case")
        .annotate(
            **{f"values_{name}": Count(name, distinct=True) for name in INDICATORS},
            **{f"known_{name}": Count(name) for name in INDICATORS},
        )
    )
    changed = per_case.aggregate(
        **{
            name: Count("case", filter=Q(**{f"values_{name}__gt": 1}) | Q(**{f"known_{name}": 1}))
            for name in INDICATORS
        }
    )
    return CountTable(
        key="follow_up_indicators",
        title=_("Förändring i utfallsindikatorer mellan första och andra uppföljningen"),
        row_labels=[
            str(FollowUpAssessment._meta.get_field(name).verbose_name).capitalize()
            for name in INDICATORS
        ],
        column_labels=[_("Förändrad"), _("Oförändrad")],
        counts=[[changed[name], compared - changed[name]] for name in INDICATORS],
        column_totals=False,
        note=_(
            "Samma ärenden som förändringen per livsområde: om indikatorn har ett annat värde "
            "i den andra bedömningen än i den första."
        ),
        shared_row_total=COMPARED_CASES,
    )


# --- 7. Action-plan measures -----------------------------------------------------------------


def _measures(units: list[int], period: Period) -> CountTable:
    kind = Conditional(
        When(responsible_organisation__isnull=False, then=F("responsible_organisation__kind")),
        When(responsible_staff__isnull=False, then=Value(Organisation.Kind.SOCIAL_SERVICES.value)),
        When(
            responsible_member__organisation__isnull=False,
            then=F("responsible_member__organisation__kind"),
        ),
        default=Value(Organisation.Kind.OTHER.value),
        output_field=CharField(),
    )
    rows = (
        PlanMeasure.objects.filter(plan__case__unit_id__in=units, due_on__gte=period.start)
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=period.end))
        .annotate(organisation_kind=kind)
        .order_by()
        .values("organisation_kind", "status")
        .annotate(n=Count("pk"))
    )
    counts = {(r["organisation_kind"], r["status"]): r["n"] for r in rows}
    return CountTable(
        key="measures_by_organisation_status",
        title=_("Åtgärder i handlingsplaner efter ansvarig organisation och status"),
        row_labels=[str(label) for label in Organisation.Kind.labels],
        column_labels=[str(label) for label in PlanMeasure.Status.labels],
        counts=_grid(list(Organisation.Kind.values), list(PlanMeasure.Status.values), counts),
        note=_(
            "Åtgärder vars tid (start, eller utan start, till och med klart-datum) överlappar "
            "perioden, efter den ansvariga organisationens typ (socialtjänstens egen personal "
            "räknas som socialtjänst, externa personer utan organisation som ”annan”) och "
            "åtgärdens nuvarande status; försenade åtgärder räknas under sin status."
        ),
    )


# --- 8. Deviations ---------------------------------------------------------------------------


def _deviations(units: list[int], period: Period) -> CountTable:
    start, end = _bounds(period)
    rows = (
        Deviation.objects.filter(unit_id__in=units, reported_at__gte=start, reported_at__lt=end)
        .order_by()
        .values("organisation__kind", "status")
        .annotate(n=Count("pk"))
    )
    counts = {(r["organisation__kind"], r["status"]): r["n"] for r in rows}
    return CountTable(
        key="deviations_by_organisation_status",
        title=_("Avvikelser i samverkan efter organisation och status"),
        row_labels=[str(label) for label in Organisation.Kind.labels],
        column_labels=[str(label) for label in Deviation.Status.labels],
        counts=_grid(list(Organisation.Kind.values), list(Deviation.Status.values), counts),
        note=_(
            "Avvikelser rapporterade under perioden, efter typ av organisation som avvikelsen "
            "gäller och nuvarande status."
        ),
    )


# --- Lead time, costs, trend -----------------------------------------------------------------


def _first_decisions(units: list[int]):
    earlier = CaseDecision.objects.filter(
        case=OuterRef("case"), kind__in=FIRST_DECISION_KINDS
    ).filter(
        Q(decided_on__lt=OuterRef("decided_on"))
        | Q(decided_on=OuterRef("decided_on"), pk__lt=OuterRef("pk"))
    )
    return CaseDecision.objects.filter(
        case__unit_id__in=units, kind__in=FIRST_DECISION_KINDS
    ).filter(~Exists(earlier))


def _lead_time(units: list[int], period: Period) -> LeadTime:
    intake_day = TruncDate("case__created_at", tzinfo=timezone.get_default_timezone())
    rows = (
        _first_decisions(units)
        .filter(decided_on__gte=period.start, decided_on__lte=period.end)
        .annotate(days=DaysBetween(F("decided_on"), intake_day))
        .order_by()
        .values("days")
        .annotate(n=Count("pk"))
    )
    # One row per distinct number of days: the list below is as long as the number of
    # decisions, but no query or object per decision.
    days = sorted(d for r in rows for d in [r["days"]] * r["n"])
    if not days:
        return LeadTime(0, None, None, None)
    if len(days) == 1:
        return LeadTime(1, float(days[0]), None, None)
    q1, q2, q3 = statistics.quantiles(days, n=4, method="inclusive")
    return LeadTime(len(days), float(q2), float(q1), float(q3))


def _placements_in(units: list[int], period: Period):
    return Placement.objects.filter(case__unit_id__in=units, starts_on__lte=period.end).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=period.start)
    )


def _costs(units: list[int], period: Period) -> list[CostRow]:
    """Placement days and cost inside the period, both ends cut as Placement.days_within."""
    first = Greatest(F("starts_on"), Value(period.start))
    last = Least(Coalesce(F("ends_on"), Value(period.end)), Value(period.end))
    rows = (
        _placements_in(units, period)
        .annotate(period_days=DaysBetween(last, first) + Value(1))
        .order_by()
        .values("kind")
        .annotate(
            cases=Count("case", distinct=True),
            total_days=Sum("period_days"),
            total_cost=Sum(
                F("daily_cost") * F("period_days"),
                output_field=DecimalField(max_digits=18, decimal_places=2),
            ),
        )
    )
    by_kind = {r["kind"]: r for r in rows}
    result = []
    for value, label in Placement.Kind.choices:
        r = by_kind.get(value)
        result.append(
            CostRow(
                label=str(label),
                cases=r["cases"] if r else 0,
                days=r["total_days"] if r else 0,
                cost=Decimal(r["total_cost"]).quantize(Decimal("0.01")) if r else Decimal("0.00"),
            )
        )
    return result


def _cost_overlaps(units: list[int], period: Period) -> list[tuple[tuple[int, ...], int]]:
    """How many cases were placed in each combination of kinds during the period, as
    (indexes into the cost rows, number of cases): what it takes to tell how many people
    stand behind several kinds' costs together, without a case id leaving the query."""
    positions = {value: index for index, value in enumerate(Placement.Kind.values)}
    kinds: dict[int, set[int]] = {}
    for case_id, kind in _placements_in(units, period).values_list("case_id", "kind").distinct():
        kinds.setdefault(case_id, set()).add(positions[kind])
    return sorted(Counter(tuple(sorted(combination)) for combination in kinds.values()).items())


def _trend(
    units: list[int], periods: list[Period], current: TrendSource, reasons: list[dict]
) -> list[TrendSource]:
    """The trend rows for `periods` (the last is the page's own, `current`), each from the
    tables its own page shows.

    Read from the same tables (rather than one cheaper count per series), a trend figure is
    hidden exactly when it is hidden on its period's page, so that putting the pages side by
    side gives nothing away the trend does not.
    """
    return [
        *(
            TrendSource(_consent(units, p), _decisions(units, p), _discharges(units, p, reasons))
            for p in periods[:-1]
        ),
        current,
    ]


def _trend_table(sources: list[TrendSource], periods: list[Period]) -> CountTable:
    return CountTable(
        key="trend",
        title=_("Utveckling över tid"),
        row_labels=[p.label for p in periods],
        column_labels=[_("Aktualiseringar"), _("Inskrivningar"), _("Utskrivningar")],
        counts=[source.counts for source in sources],
        row_totals=False,
        column_totals=False,
        note=_(
            "Per period: nya ärenden (aktualiseringar), beslut om inskrivning och utskrivningar."
        ),
    )


def compute(unit_ids: Collection[int], period: Period) -> Figures:
    """Every figure of the statistics page for these units (summed) and this period."""
    units = sorted(set(unit_ids))
    seconds, pairs = _compared_assessments(units, period)
    follow_up_change, compared = _follow_up_change(units, seconds, pairs)
    reasons = _discharge_reasons(units)
    current = TrendSource(
        _consent(units, period), _decisions(units, period), _discharges(units, period, reasons)
    )
    trend_periods = preceding(period, TREND_PERIODS)  # the last is `period`
    trend_sources = _trend(units, trend_periods, current, reasons)
    return Figures(
        period=period,
        tables=[
            _cases_by_source_state(units, period),
            current.decisions,
            current.consent,
            current.discharges,
            follow_up_change,
            _follow_up_indicators(pairs, compared),
            _measures(units, period),
            _deviations(units, period),
        ],
        lead_time=_lead_time(units, period),
        costs=_costs(units, period),
        cost_overlaps=_cost_overlaps(units, period),
        trend=_trend_table(trend_sources, trend_periods),
        trend_sources=trend_sources,
    )
