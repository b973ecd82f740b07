"""The start page and the pages every user has."""

from django.shortcuts import render

from insats.access import policy
from insats.access.decorators import SIGNED_IN, access_policy
from insats.cases import selectors
from insats.cases.lifecycle import CLOSED_STATES, State


@access_policy(SIGNED_IN)
def start(request):
    user = request.user
    counts = selectors.state_counts(user)
    mine = (
        policy.cases_visible_to(user)
        .exclude(state__in=CLOSED_STATES)
        .filter(coordinator=user)
        .select_related("person", "unit")
        .order_by("-updated_at")[:10]
    )
    investigating = (
        policy.cases_visible_to(user)
        .exclude(state__in=CLOSED_STATES)
        .filter(investigator=user)
        .select_related("person", "unit")
        .order_by("-updated_at")[:10]
    )
    return render(
        request,
        "core/start.html",
        {
            "state_counts": [(state, counts.get(state.value, 0)) for state in State],
            "has_cases": bool(policy.staff_units(user)),
            "mine": mine,
            "investigating": investigating,
            "roles": policy.roles_of(user),
            "is_administrator": policy.is_administrator(user),
            "identity_units": policy.staff_units(user),
        },
    )
