"""Read queries for action plans: the plan as a user may see it, and "my measures"."""

from datetime import date

from django.db.models import Q

from insats.access import policy
from insats.cases.lifecycle import CLOSED_STATES

from .models import PlanMeasure


def visible_goals(plan, decision):
    """The plan's goals the user may see: all for staff, for partners those whose life area
    the consent covers. Measures, reports and responsible people come along (fixed queries)."""
    goals = plan.goals.select_related("life_area").prefetch_related(
        "measures__responsible_member__user",
        "measures__responsible_staff",
        "measures__responsible_organisation",
        "measures__after",
        "measures__reports__reported_by",
    )
    if decision.categories is None:
        return list(goals)
    return [g for g in goals if g.life_area.category_code in decision.categories]


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
