"""Optimistic locking of the action plan: two people edit the plan at the same time; the second
save is refused with the conflict message, keeps what was typed and shows the saved plan beside
it; only the explicit "Jag har jämfört – spara mina uppgifter" saves it."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from insats.cases.lifecycle import State
from insats.organisations.models import LifeArea
from insats.plans import services as plan_services
from insats.plans.models import ActionPlan, PlanMeasure
from tests import builders
from tests.conftest import FormReader

CONFLICT = "Planen har ändrats av"


def page_values(response) -> dict:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: [v.removeprefix("\n") for v in values] for name, values in reader.values.items()}


def save_mine_value(response) -> str:
    found = re.search(r'name="save_mine" value="(\d+)"', response.content.decode())
    assert found, "the explicit save button is missing"
    return found.group(1)


@pytest.fixture
def case(unit_a):
    case = builders.enrollable_case(unit_a)
    builders.decide(unit_a, case, State.ASSIGNMENT)
    case.refresh_from_db()
    plan_services.plan_save(
        case=case,
        by=unit_a.coordinator,
        based_on_revision=0,
        main_goal="Ett liv utan brott",
        goals=[
            {
                "id": None,
                "life_area": LifeArea.objects.get(unit=unit_a.unit, code="criminality"),
                "goal": "Sluta begå brott",
                "target": "Inga nya misstankar",
                "measured_by": "Polisens register",
            }
        ],
        measures=[
            {
                "id": None,
                "goal": 0,
                "what": "Samtal med kommunpolisen",
                "due_on": timezone.localdate() + timedelta(days=10),
                "responsible_staff": unit_a.coordinator,
                "status": PlanMeasure.Status.PLANNED,
            }
        ],
    )
    return case


def test_the_second_of_two_simultaneous_edits_conflicts_and_keeps_its_text(unit_a, case):
    url = reverse("plan_edit", args=[case.pk])
    first, second = Client(), Client()
    first.force_login(unit_a.coordinator)
    second.force_login(unit_a.coordinator2)

    # Both open the edit page on revision 1.
    first_values = page_values(first.get(url))
    second_values = page_values(second.get(url))
    assert first_values["revision"] == second_values["revision"] == ["1"]

    first_values["main_goal"] = ["Första lotsens huvudmål"]
    assert first.post(url, first_values).status_code == 302

    second_values["main_goal"] = ["Andra lotsens huvudmål"]
    second_values["measures-0-what"] = ["Samtal med kommunpolisen och mamma"]
    response = second.post(url, second_values)
    assert response.status_code == 200
    body = response.content.decode()
    assert CONFLICT in body and "revision 2" in body
    kept = page_values(response)
    assert kept["main_goal"] == ["Andra lotsens huvudmål"]
    assert kept["measures-0-what"] == ["Samtal med kommunpolisen och mamma"]
    assert kept["revision"] == ["1"]  # still the revision the user started from
    assert "Den sparade planen (version 2)" in body
    assert "Första lotsens huvudmål" in body  # the saved plan, shown to compare with

    plan = ActionPlan.objects.get(case=case)
    assert plan.revision == 2 and plan.main_goal == "Första lotsens huvudmål"

    # Sending the same form again (without the explicit button) conflicts again.
    again = second.post(url, kept)
    assert again.status_code == 200 and CONFLICT in again.content.decode()
    assert ActionPlan.objects.get(case=case).revision == 2

    # "Jag har jämfört – spara mina uppgifter" saves on top of the current revision.
    assert "Jag har jämfört – spara mina uppgifter" in again.content.decode()
    kept = page_values(again) | {"save_mine": [save_mine_value(again)]}
    response = second.post(url, kept)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.revision == 3 and plan.main_goal == "Andra lotsens huvudmål"
    assert plan.measures.get().what == "Samtal med kommunpolisen och mamma"
    assert plan.updated_by == unit_a.coordinator2


def test_the_explicit_save_conflicts_again_if_the_plan_moved_on_once_more(unit_a, case):
    url = reverse("plan_edit", args=[case.pk])
    first, second = Client(), Client()
    first.force_login(unit_a.coordinator)
    second.force_login(unit_a.coordinator2)
    stale = page_values(second.get(url))

    values = page_values(first.get(url)) | {"main_goal": ["Revision två"]}
    assert first.post(url, values).status_code == 302
    response = second.post(url, stale | {"main_goal": ["Mitt förslag"]})
    button = save_mine_value(response)
    assert button == "2"

    values = page_values(first.get(url)) | {"main_goal": ["Revision tre"]}
    assert first.post(url, values).status_code == 302
    response = second.post(url, page_values(response) | {"save_mine": [button]})
    assert response.status_code == 200
    assert CONFLICT in response.content.decode()
    assert save_mine_value(response) == "3"
    assert page_values(response)["main_goal"] == ["Mitt förslag"]
    assert ActionPlan.objects.get(case=case).main_goal == "Revision tre"


def test_validation_errors_after_a_conflict_keep_the_comparison(unit_a, case):
    url = reverse("plan_edit", args=[case.pk])
    first, second = Client(), Client()
    first.force_login(unit_a.coordinator)
    second.force_login(unit_a.coordinator2)
    stale = page_values(second.get(url))
    values = page_values(first.get(url)) | {"main_goal": ["Revision två"]}
    assert first.post(url, values).status_code == 302

    response = second.post(url, stale | {"main_goal": [""], "save_mine": ["2"]})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Skriv planens huvudmål." in body
    assert "Den sparade planen (version 2)" in body and save_mine_value(response) == "2"
