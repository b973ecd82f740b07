"""Read queries for action plans: the plan as a user may see it, and "my measures".

Redaction happens here, not in templates: a partner's plan, its revisions and follow-ups come
out already cut to the decision, and a visible row that refers to a hidden one (a measure
waiting for another) names it only in neutral words.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy

from insats.access import policy
from insats.cases.lifecycle import CLOSED_STATES
from insats.organisations.models import LifeArea

from .models import ActionPlan, GoalResult, MeasureReport, PlanFollowUp, PlanGoal, PlanMeasure

HIDDEN_MEASURE = gettext_lazy("en åtgärd som du inte har behörighet att se")


@dataclass(frozen=True)
class MeasureRow:
    """A measure as the reader may see it. `waits_on` names the measure it waits for, or says
    neutrally that it waits for one the reader may not see; the hidden one is never loaded."""

    pk: int
    what: str
    how: str
    where: str
    starts_on: date | None
    due_on: date
    status: str
    status_label: str
    waits_on: str
    responsible_name: str
    responsible_user_id: int | None  # the responsible member's user, while in the group
    organisation: str
    overdue: bool
    latest_report: MeasureReport | None


@dataclass(frozen=True)
class GoalRow:
    pk: int
    goal: str
    target: str
    measured_by: str
    closed_on: date | None
    measures: tuple[MeasureRow, ...]


@dataclass(frozen=True)
class AreaGroup:
    area: LifeArea
    goals: tuple[GoalRow, ...]


def visible_goals(plan, decision) -> list[PlanGoal]:
    """The plan's goals the user may see: all for staff, for partners those whose life area's
    category the consent covers (cut in the query: the others are never loaded). Measures,
    reports and responsible people come along in a fixed number of queries."""
    goals = plan.goals.select_related("life_area").prefetch_related(
        Prefetch(
            "measures",
            queryset=PlanMeasure.objects.select_related(
                "responsible_member__user",
                "responsible_member__organisation",
                "responsible_staff",
                "responsible_organisation",
            ).prefetch_related(
                Prefetch("reports", queryset=MeasureReport.objects.select_related("reported_by"))
            ),
        )
    )
    if not decision:
        return []
    if not decision.full:
        goals = goals.filter(life_area__category_code__in=decision.categories).exclude(
            life_area__category_code=""
        )
    return list(goals)


def _organisation(measure: PlanMeasure) -> str:
    if measure.responsible_organisation_id:
        return measure.responsible_organisation.name
    if measure.responsible_member_id and measure.responsible_member.organisation_id:
        return measure.responsible_member.organisation.name
    return ""


def _responsible_user_id(measure: PlanMeasure) -> int | None:
    member = measure.responsible_member
    if member is None or member.removed_at is not None:
        return None
    return member.user_id


def plan_areas(plan, decision, today: date) -> list[AreaGroup]:
    """The plan as the user may read it, grouped per life area (in the unit's order).

    Only goals (and their measures) the decision covers; a visible measure waiting for a
    hidden one says so in neutral words. A fixed number of queries whatever the plan's size.
    """
    goals = visible_goals(plan, decision)
    shown = {m.pk: m.what for goal in goals for m in goal.measures.all()}
    groups: dict[int, tuple[LifeArea, list[GoalRow]]] = {}
    for goal in goals:
        rows = []
        for measure in goal.measures.all():
            reports = list(measure.reports.all())
            if measure.after_id is None:
                waits_on = ""
            elif measure.after_id in shown:
                waits_on = shown[measure.after_id]
            else:
                waits_on = str(HIDDEN_MEASURE)
            rows.append(
                MeasureRow(
                    pk=measure.pk,
                    what=measure.what,
                    how=measure.how,
                    where=measure.where,
                    starts_on=measure.starts_on,
                    due_on=measure.due_on,
                    status=measure.status,
                    status_label=str(measure.get_status_display()),
                    waits_on=waits_on,
                    responsible_name=measure.responsible_name,
                    responsible_user_id=_responsible_user_id(measure),
                    organisation=_organisation(measure),
                    overdue=measure.is_overdue(today),
                    latest_report=reports[0] if reports else None,
                )
            )
        area = goal.life_area
        groups.setdefault(area.pk, (area, []))[1].append(
            GoalRow(
                pk=goal.pk,
                goal=goal.goal,
                target=goal.target,
                measured_by=goal.measured_by,
                closed_on=goal.closed_on,
                measures=tuple(rows),
            )
        )
    ordered = sorted(groups.values(), key=lambda g: (g[0].position, g[0].label, g[0].pk))
    return [AreaGroup(area, tuple(goals)) for area, goals in ordered]


# --- Revisions ----------------------------------------------------------------------------------


def snapshot_category(goal: dict) -> str:
    """The consent category of a snapshot goal's life area, as stored when it was saved ("" for
    a snapshot that could not be matched to a life area: the social services' own)."""
    area = goal.get("life_area")
    return (area.get("category") or "") if isinstance(area, dict) else ""


def visible_snapshot(snapshot: dict, decision) -> dict:
    """A revision's snapshot as the user may read it: for partners only goals (and their
    measures) whose stored life-area category the consent covers. A reference to a hidden
    measure stays an id, which the reader shows as HIDDEN_MEASURE."""
    if decision.full:
        return snapshot
    goals = [g for g in snapshot.get("goals", []) if decision.covers(snapshot_category(g))]
    ids = {g.get("id") for g in goals}
    measures = [m for m in snapshot.get("measures", []) if m.get("goal") in ids]
    return {**snapshot, "goals": goals, "measures": measures}


# --- Follow-ups ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpRow:
    """A follow-up as the user may read it: partners see the results of goals their consent
    covers and never the meeting's notes (those are the social services' own)."""

    pk: int
    held_on: date
    recorded_by: object
    recorded_at: object
    note: str
    results: tuple[GoalResult, ...]


def plan_follow_ups(plan, decision) -> list[FollowUpRow]:
    """The plan's follow-ups, newest first; for partners none without a goal they may see."""
    results = GoalResult.objects.select_related("goal__life_area")
    rows = []
    for follow_up in plan.follow_ups.select_related("recorded_by").prefetch_related(
        Prefetch("results", queryset=results)
    ):
        shown = tuple(
            r for r in follow_up.results.all() if decision.covers(r.goal.life_area.category_code)
        )
        if not decision.full and not shown:
            continue
        rows.append(
            FollowUpRow(
                pk=follow_up.pk,
                held_on=follow_up.held_on,
                recorded_by=follow_up.recorded_by,
                recorded_at=follow_up.recorded_at,
                note=follow_up.note if decision.full else "",
                results=shown,
            )
        )
    return rows


def my_measures(user, today: date) -> list[PlanMeasure]:
    """Every open-case measure the user is responsible for and may see, soonest due first."""
    visible = policy.cases_visible_to(user).exclude(state__in=CLOSED_STATES)
    measures = list(
        PlanMeasure.objects.filter(plan__case__in=visible)
        .filter(
            Q(responsible_member__user=user, responsible_member__removed_at__isnull=True)
            | Q(responsible_staff=user)
        )
        .select_related("plan__case__unit", "goal__life_area", "responsible_organisation")
        .prefetch_related("reports")
        .order_by("due_on", "pk")
    )
    staff_units = policy.staff_units(user)
    partner_cases = [m.plan.case_id for m in measures if m.plan.case.unit_id not in staff_units]
    categories = policy.partner_categories(user, partner_cases, today) if partner_cases else {}
    return [
        m
        for m in measures
        if m.plan.case.unit_id in staff_units
        or m.goal.life_area.category_code in categories.get(m.plan.case_id, set())
    ]


def overdue(measures, today: date) -> list[PlanMeasure]:
    return [m for m in measures if m.is_overdue(today)]


# --- What needs the staff's attention -------------------------------------------------------


@dataclass
class Attention:
    """Overdue measures and missed plan follow-ups, for the start and supervisor pages."""

    overdue_measures: list = field(default_factory=list)  # PlanMeasure, due date first
    missed_follow_ups: list = field(default_factory=list)  # ActionPlan, follow-up date first

    def __bool__(self) -> bool:
        return bool(self.overdue_measures or self.missed_follow_ups)

    @property
    def cases(self) -> list:
        """Every case the lists name, for the access log."""
        seen = {}
        for measure in self.overdue_measures:
            seen[measure.plan.case.pk] = measure.plan.case
        for plan in self.missed_follow_ups:
            seen[plan.case.pk] = plan.case
        return list(seen.values())


def attention_for_staff(user, units, today: date) -> Attention:
    """Overdue open measures and plans whose follow-up date has passed without a follow-up.

    Covers the open cases of `units` (only those where the user is social-services staff): in
    a unit where the user is a supervisor every case, elsewhere the cases they coordinate.
    "Passed" means the follow-up's local date is before `today`; a follow-up held on or after
    that date counts. Two queries, whatever the number of cases.
    """
    units = set(units) & policy.staff_units(user)
    if not units:
        return Attention()
    supervised = units & policy.review_units(user)
    in_scope = Q(case__unit_id__in=supervised) | Q(
        case__unit_id__in=units - supervised, case__coordinator=user
    )
    plans = ActionPlan.objects.filter(in_scope).exclude(case__state__in=CLOSED_STATES)
    # Joined rather than `plan__in=plans`: PostgreSQL would otherwise scan every overdue
    # measure of every unit before matching them to the plans (measured 0.5 s at 290 units).
    measure_scope = Q(plan__case__unit_id__in=supervised) | Q(
        plan__case__unit_id__in=units - supervised, plan__case__coordinator=user
    )
    overdue_measures = list(
        PlanMeasure.objects.filter(measure_scope, status__in=PlanMeasure.OPEN, due_on__lt=today)
        .exclude(plan__case__state__in=CLOSED_STATES)
        .select_related(
            "plan__case__unit",
            "goal__life_area",
            "responsible_member__user",
            "responsible_staff",
            "responsible_organisation",
        )
        .order_by("due_on", "pk")
    )
    followed_up = PlanFollowUp.objects.filter(
        plan=OuterRef("pk"), held_on__gte=OuterRef("follow_up_day")
    )
    missed_follow_ups = list(
        plans.filter(next_follow_up_at__isnull=False, next_follow_up_at__date__lt=today)
        .annotate(follow_up_day=TruncDate("next_follow_up_at"))
        .exclude(Exists(followed_up))
        .select_related("case__unit", "case__coordinator")
        .order_by("next_follow_up_at", "pk")
    )
    return Attention(overdue_measures, missed_follow_ups)
