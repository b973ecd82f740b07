"""The gate: pages receive their object from insats/access/gate, which decides and logs.

The URL walker's side of this (every object page is gated) is in tests/test_url_policies.py.
"""

import pytest
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from insats.access import gate, log, policy
from insats.access.models import AccessLogEntry
from insats.cases.models import Case


def _entries(user):
    return list(AccessLogEntry.objects.filter(user=user).order_by("pk"))


@pytest.fixture
def case(unit_a) -> Case:
    return unit_a.case()


def _call(view, user, **kwargs):
    request = RequestFactory().get("/x/")
    request.user = user
    return view(request, **kwargs)


@gate.case_view(policy.Section.THREAT)
def _threat_page(request, case, decision):
    return HttpResponse(f"{case.pk} full={decision.full}")


def test_the_gate_hands_the_view_the_case_and_logs_the_read(unit_a, case):
    response = _call(_threat_page, unit_a.coordinator, pk=case.pk)

    assert response.content.decode() == f"{case.pk} full=True"
    [entry] = _entries(unit_a.coordinator)
    assert (entry.action, entry.object_type, entry.case_id) == ("view", "threat", case.pk)
    assert "role:coordinator" in entry.grounds


def test_the_gate_refuses_another_unit_with_a_404_and_logs_the_attempt(unit_a, unit_b, case):
    with pytest.raises(Http404):
        _call(_threat_page, unit_b.coordinator, pk=case.pk)

    [entry] = _entries(unit_b.coordinator)
    assert (entry.action, entry.case_id, entry.detail) == ("denied", case.pk, "read")


def test_an_unknown_or_malformed_id_is_a_plain_404_without_a_log_entry(unit_a):
    for pk in (987654, "x", "9" * 30):
        with pytest.raises(Http404):
            _call(_threat_page, unit_a.coordinator, pk=pk)
    assert _entries(unit_a.coordinator) == []


def test_a_gated_page_sends_anonymous_users_to_login(case):
    from django.contrib.auth.models import AnonymousUser

    response = _call(_threat_page, AnonymousUser(), pk=case.pk)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_gated_views_carry_the_object_policy_and_their_kind():
    assert _threat_page.access_policy == "object"
    assert _threat_page.gate == "case"


def test_a_partner_decision_is_never_full_and_names_its_categories(unit_a):
    from tests.builders import consent, identified_case, police_member

    case = identified_case(unit_a)
    police_member(unit_a, case)
    consent(unit_a, case, codes=("criminality",))

    decision = policy.decide_case(unit_a.partner, policy.Action.VIEW_CASE, case)

    assert decision and not decision.full
    assert decision.categories == frozenset({"criminality"})
    assert decision.covers("criminality") and not decision.covers("health")
    assert policy.decide_case(unit_a.coordinator, policy.Action.VIEW_CASE, case).full


def test_a_search_without_hits_is_logged_for_the_searchers_unit(unit_a, login):
    client = login(unit_a.coordinator)

    response = client.get("/arenden/", {"q": "Ingen-sådan-person"})

    assert response.status_code == 200
    [entry] = [e for e in _entries(unit_a.coordinator) if e.object_type == "case_list"]
    assert entry.action == log.Action.SEARCH
    assert entry.unit_id == unit_a.unit.pk
    assert "q=Ingen-sådan-person" in entry.detail
