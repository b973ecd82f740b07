"""The start page: what needs the user's attention, from the policy's visible set only."""

from django.shortcuts import render
from django.utils import timezone

from insats.access import policy
from insats.access.decorators import SIGNED_IN, access_policy
from insats.cases import selectors
from insats.cases.lifecycle import CLOSED_STATES, State
from insats.consent.selectors import expiring_consents
from insats.meetings.selectors_agenda import open_tasks, shown_cases
from insats.plans.selectors import attention_for_staff


@access_policy(SIGNED_IN)
def start(request):
    user = request.user
    visible = policy.cases_visible_to(user).select_related("person", "unit")
    open_cases = visible.exclude(state__in=CLOSED_STATES).order_by("-updated_at")
    staff = bool(policy.staff_units(user))
    context = {
        "has_cases": staff,
        "is_administrator": policy.is_administrator(user),
        "may_review_log": bool(policy.review_units(user)),
        "may_see_statistics": bool(policy.statistics_units(user)),
        "may_export": bool(policy.export_units(user)),
    }
    if staff:
        counts = selectors.state_counts(user)
        context.update(
            state_counts=[(state, counts.get(state.value, 0)) for state in State],
            mine=open_cases.filter(coordinator=user)[:10],
            investigating=open_cases.filter(investigator=user)[:10],
            expiring=expiring_consents(user, timezone.localdate()),
            attention=attention_for_staff(user, policy.staff_units(user), timezone.localdate()),
        )
    else:
        # Partners: the cases whose group they are in and whose consent covers them.
        context["member_cases"] = open_cases[:50]
    context["tasks"] = open_tasks(user, timezone.localdate())
    shown = [
        *shown_cases(context["tasks"]),
        *(context["attention"].cases if "attention" in context else []),
        *context.get("mine", []),
        *context.get("investigating", []),
        *context.get("member_cases", []),
    ]
    policy.log_listing(user, "start", shown)
    return render(request, "core/start.html", context)
