""" "My measures" with progress reports, and the follow-up of the action plan.

Every member (partner or staff) sees the measures they are responsible for across their cases
and reports progress on them; a partner only sees and reports on measures whose goal's life
area their consent covers. The case's staff follow the plan up goal by goal: met goals are
closed by the service, and the earlier follow-ups stay readable.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from insats.access import policy
from insats.access.decorators import SIGNED_IN, access_policy
from insats.access.gate import case_view
from insats.access.gate.plans import measure_report_view
from insats.access.policy import Section
from insats.core.forms import add_service_errors

from .. import selectors, services
from ..forms_followup import FollowUpForm, MeasureReportForm, goal_result_formset
from ..models import GoalResult, PlanMeasure

SECTION = Section.PLAN


# --- My measures ------------------------------------------------------------------------------


@access_policy(SIGNED_IN)
def my_measures(request):
    """Every measure the user is responsible for, overdue first, then by due date."""
    today = timezone.localdate()
    measures = selectors.my_measures(request.user, today)
    for measure in measures:
        measure.overdue = measure.is_overdue(today)
        reports = list(measure.reports.all())
        measure.latest_report = reports[0] if reports else None
    cases = {m.plan.case_id: m.plan.case for m in measures}
    policy.log_listing(request.user, "my_measures", list(cases.values()))
    return render(
        request,
        "plans/measures_mine.html",
        {
            "overdue": [m for m in measures if m.overdue],
            "upcoming": [m for m in measures if m.status in PlanMeasure.OPEN and not m.overdue],
            "finished": [m for m in measures if m.status not in PlanMeasure.OPEN],
            "has_measures": bool(measures),
            "today": today,
        },
    )


def _is_own(measure: PlanMeasure, user) -> bool:
    member = measure.responsible_member
    return measure.responsible_staff_id == user.pk or (
        member is not None and member.user_id == user.pk
    )


@measure_report_view()
def measure_report(request, measure, decision):
    """A progress report on one measure, by its responsible member or the case's staff."""
    case = measure.plan.case
    form = MeasureReportForm(request.POST or None, initial={"status": measure.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.measure_report(measure=measure, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Din rapport om åtgärden är sparad."))
            if _is_own(measure, request.user):
                return redirect("my_measures")
            return redirect("plan_detail", pk=case.pk)
    today = timezone.localdate()
    return render(
        request,
        "plans/measures_report.html",
        {
            "case": case,
            "measure": measure,
            "overdue": measure.is_overdue(today),
            "reports": measure.reports.select_related("reported_by"),
            "form": form,
            "is_own": _is_own(measure, request.user),
        },
    )


# --- Following up the plan ----------------------------------------------------------------------


@case_view(SECTION, write=True)
def plan_follow_up(request, case, decision):
    """Record a follow-up: a result per open goal, the date and notes."""
    plan = services.plan_of(case)
    if plan is None:
        messages.error(request, _("Det finns ingen handlingsplan att följa upp."))
        return redirect("case_detail", pk=case.pk)
    goals = list(plan.goals.filter(closed_on__isnull=True).select_related("life_area"))
    data = request.POST if request.method == "POST" else None
    form = FollowUpForm(data)
    formset = goal_result_formset(data, goals=goals)
    if data is not None:
        form_ok = form.is_valid()
        rows_ok = formset.is_valid()
        if not rows_ok:
            for error in formset.non_form_errors():
                form.add_error(None, error)
            for row in formset.forms:
                if row.errors:
                    form.add_error(
                        None,
                        _("Kontrollera resultatet för målet %(goal)s.") % {"goal": row.plan_goal},
                    )
        if form_ok and rows_ok:
            results = formset.results()
            try:
                services.plan_follow_up(
                    case=case,
                    by=request.user,
                    held_on=form.cleaned_data["held_on"],
                    results=results,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                met = sum(1 for r in results if r["result"] == GoalResult.Result.MET)
                message = _("Uppföljningen är sparad.")
                if met:
                    message += " " + ngettext(
                        "%(count)s mål är uppnått och avslutat.",
                        "%(count)s mål är uppnådda och avslutade.",
                        met,
                    ) % {"count": met}
                messages.success(request, message)
                return redirect("plan_follow_ups", pk=case.pk)
    return render(
        request,
        "plans/followup_form.html",
        {"case": case, "plan": plan, "form": form, "formset": formset},
    )


@case_view(SECTION)
def plan_follow_ups(request, case, decision):
    """The plan's earlier follow-ups with each goal's result.

    Partners see the results of the goals whose life area their consent covers, not the
    meeting's notes (those are the social services' own), and no follow-up without such a goal:
    selectors.plan_follow_ups cuts them.
    """
    is_staff = decision.full
    plan = services.plan_of(case)
    follow_ups = selectors.plan_follow_ups(plan, decision) if plan is not None else []
    may_write = (
        is_staff
        and plan is not None
        and bool(policy.decide_section(request.user, case, SECTION, write=True))
    )
    return render(
        request,
        "plans/followup_list.html",
        {
            "case": case,
            "plan": plan,
            "follow_ups": follow_ups,
            "is_staff": is_staff,
            "may_write": may_write,
        },
    )
