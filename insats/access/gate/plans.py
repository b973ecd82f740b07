"""Gate for a measure of an action plan, for progress reports on it.

The plan section's gate is not enough here: whether a user may report depends on the measure
(its responsible member, its goal's life area), so the measure is the gated object. It is
looked up within the case named in the URL, so a wrong pair of ids is a plain 404 with no log.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404

from insats.plans.models import PlanMeasure

from .. import log
from ..policy import Decision, Section, decide_measure_report
from .cases import CASE_RELATED
from .core import gated, int_or_404, record_fetch

MEASURE_RELATED = (
    "plan",
    *(f"plan__case__{name}" for name in CASE_RELATED),
    "goal__life_area",
    "responsible_member__user",
    "responsible_staff",
    "responsible_organisation",
)


def fetch_measure(
    user, pk, measure_pk, *, log_as: str = log.Action.VIEW
) -> tuple[PlanMeasure, Decision]:
    """The measure of that case's plan if the user may report on it (logged), else 404.

    Logged as the plan section of the case, as reading the plan is; a refusal names the measure.
    """
    measure = (
        PlanMeasure.objects.select_related(*MEASURE_RELATED)
        .filter(pk=int_or_404(measure_pk), plan__case_id=int_or_404(pk))
        .first()
    )
    if measure is None:
        raise Http404
    case = measure.plan.case
    decision = decide_measure_report(user, measure)
    record_fetch(
        user,
        decision,
        object_type=str(Section.PLAN),
        object_id=case.pk,
        case=case,
        log_as=log_as,
        detail=f"report measure={measure.pk}",
    )
    if not decision:
        raise Http404
    return measure, decision


def measure_report_view(
    *, log_as: str = log.Action.VIEW, kwarg: str = "pk", measure_kwarg: str = "measure_pk"
) -> Callable:
    """A page for reporting on one measure: the view is called with `measure=` (its plan and
    case loaded) and `decision=` (policy.decide_measure_report)."""

    def decorate(view):
        @wraps(view)
        def call(request, *args, **kwargs):
            measure, decision = fetch_measure(
                request.user, kwargs.pop(kwarg), kwargs.pop(measure_kwarg), log_as=log_as
            )
            return view(request, *args, measure=measure, decision=decision, **kwargs)

        return gated("measure", call)

    return decorate


__all__ = ["fetch_measure", "measure_report_view"]
