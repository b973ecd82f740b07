"""A discharged case is read-only for every role, on every page; reopening it is a decision.

The read-only walk POSTs to every one-case page of a discharged case as each kind of user and
asserts that no table changed (the access log aside): a page added later is covered without
editing this file.
"""

import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from insats.access import policy
from insats.access.policy import CHANGES_CASE, Section
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.decisions import services as decisions
from insats.decisions.models import CaseDecision
from insats.organisations.models import DischargeReason, Membership, Role
from tests import builders
from tests.conftest import make_user

# Tables that change on every request, whatever the request does.
NOT_CASE_DATA = {"accesslogentry", "accessloghead", "session", "accessattempt", "accesslog"}
# The one change a closed case allows: the supervisor's decision to reopen it.
REOPEN = "beslut/ateroppna/"


def discharged_case(world):
    case = builders.enrollable_case(world)
    builders.decide(world, case, State.ASSIGNMENT)
    return discharge(world, case)


def discharge(world, case):
    case_services.case_transition(
        case=case,
        to_state=State.DISCHARGED,
        by=world.coordinator,
        reason="Målen är nådda.",
        discharge_reason=DischargeReason.objects.get(unit=world.unit, code="goals_met"),
        summary="Har arbete och eget boende.",
    )
    case.refresh_from_db()
    assert case.state == State.DISCHARGED
    return case


def database_state() -> dict:
    state = {}
    for model in apps.get_models():
        if model._meta.model_name in NOT_CASE_DATA:
            continue
        state[model._meta.label] = list(model.objects.order_by("pk").values_list("pk", flat=True))
    return state


def one_case_routes() -> list[str]:
    """Every route under arenden/<int:pk>/ with no other argument but a lifecycle slug."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    routes = []
    for route in walk(get_resolver().url_patterns):
        if not route.startswith("arenden/<int:pk>/") or REOPEN in route:
            continue
        args = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if set(args) <= {"pk", "to_state"}:
            routes.append(route)
    return routes


POST = {
    "reason": "Försöker ändra",
    "reasons": "Försöker ändra",
    "outcome": "yes",
    "decided_on": "2026-01-01",
    "assessed_on": "2026-01-01",
    "main_goal": "Ändrat huvudmål",
    "description": "Ändrat",
    "level": "low",
    "volume": "few",
    "name": "Ny person",
    "function": "Tränare",
    "revision": "1",
}


@pytest.mark.parametrize("role", ["coordinator", "investigator", "supervisor", "partner"])
def test_nothing_on_a_discharged_case_can_be_changed_by_anyone(unit_a, login, role):
    case = discharged_case(unit_a)
    user = getattr(unit_a, role)
    client = login(user)
    before = database_state()
    routes = one_case_routes()
    assert len(routes) > 20  # the walk really covers the case's pages
    for route in routes:
        url = "/" + route.replace("<int:pk>", str(case.pk))
        for to_state in (State.IMPLEMENTATION, State.INVESTIGATION):
            target = url.replace("<slug:to_state>", to_state)
            response = client.post(target, POST)
            assert response.status_code in (200, 302, 403, 404), (target, response.status_code)
    case.refresh_from_db()
    assert case.state == State.DISCHARGED
    assert database_state() == before


@pytest.mark.parametrize("role", ["coordinator", "investigator", "supervisor", "partner"])
def test_the_policy_refuses_every_change_of_a_closed_case(unit_a, role):
    case = discharged_case(unit_a)
    user = getattr(unit_a, role)
    for action in CHANGES_CASE:
        assert not policy.decide_case(user, action, case), action
    for section in Section:
        assert not policy.decide_section(user, case, section, write=True), section


def test_reopening_is_a_decision_of_a_supervisor_with_delegation(unit_a, login):
    case = discharged_case(unit_a)
    url = f"/arenden/{case.pk}/beslut/ateroppna/"
    for user in (unit_a.coordinator, unit_a.supervisor_without_delegation):
        response = login(user).post(url, {"decided_on": "2026-01-01", "reasons": "Igen."})
        assert response.status_code in (403, 404)
    case.refresh_from_db()
    assert case.state == State.DISCHARGED

    client = login(unit_a.supervisor)
    missing = client.post(url, {"decided_on": timezone.localdate().isoformat(), "reasons": ""})
    assert missing.status_code == 200
    assert "Skriv en motivering." in missing.content.decode()

    done = client.post(
        url,
        {"decided_on": timezone.localdate().isoformat(), "reasons": "Vill ha stöd igen."},
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == State.IMPLEMENTATION
    assert case.discharge_reason is None
    decision = CaseDecision.objects.get(case=case, kind=CaseDecision.Kind.REOPEN)
    assert decision.reasons == "Vill ha stöd igen."
    assert decision.review_on is not None
    assert policy.decide_section(unit_a.coordinator, case, Section.PLAN, write=True)


def test_the_generic_step_page_sends_reopening_to_the_decision_page(unit_a, login):
    case = discharged_case(unit_a)
    response = login(unit_a.supervisor).post(
        f"/arenden/{case.pk}/steg/implementation/", {"reason": "Igen."}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/arenden/{case.pk}/beslut/ateroppna/"
    case.refresh_from_db()
    assert case.state == State.DISCHARGED


def test_reopening_by_the_cases_own_coordinator_is_refused(unit_a):
    """A deciding supervisor who is also the case's coordinator may not reopen it."""
    both = make_user("alfa-lots-och-chef", unit_a.social, Role.SUPERVISOR, may_decide=True)
    Membership.objects.create(user=both, organisation=unit_a.social, role=Role.COORDINATOR)
    case = builders.enrollable_case(unit_a)
    builders.decide(unit_a, case, State.ASSIGNMENT)
    case_services.case_assign_staff(
        case=case, by=unit_a.supervisor, coordinator=both, investigator=unit_a.investigator
    )
    discharge(unit_a, case)
    with pytest.raises(ValidationError) as refused:
        decisions.decide_reopen(
            case=case, by=both, decided_on=timezone.localdate(), reasons="Jag öppnar."
        )
    assert "åtskillnad av uppgifter" in " ".join(refused.value.messages)
    case.refresh_from_db()
    assert case.state == State.DISCHARGED
    assert not CaseDecision.objects.filter(case=case, kind=CaseDecision.Kind.REOPEN).exists()
