"""A partner's action plan is cut before it reaches a template: no goal or measure of a life area
the consent does not cover appears anywhere (page, compare, PDF), and a visible measure that
waits for a hidden one names it only in neutral words. Revisions name life areas by id and
category, so renaming a label or repeating it in another category neither hides nor leaks."""

import importlib
from datetime import timedelta
from io import BytesIO

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from insats.cases.lifecycle import State
from insats.organisations.models import LifeArea
from insats.plans import services as plan_services
from insats.plans.models import PlanMeasure, PlanRevision
from tests import builders

NEUTRAL = "en åtgärd som du inte har behörighet att se"
VISIBLE_GOAL = "Sluta begå brott"
VISIBLE_MEASURE = "Samtal med kommunpolisen"
HIDDEN_GOAL = "Eget boende i Lindby"
HIDDEN_MEASURE = "Söka lägenhet hos Lindbyhem"


def area(world, code: str) -> LifeArea:
    return LifeArea.objects.get(unit=world.unit, code=code)


def goal_row(life_area, goal, target="Inom ett halvår"):
    return {"id": None, "life_area": life_area, "goal": goal, "target": target, "measured_by": "X"}


def measure_row(goal: int, what: str, world, *, after=None, member=None):
    return {
        "id": None,
        "goal": goal,
        "what": what,
        "due_on": timezone.localdate() + timedelta(days=30),
        "after": after,
        "responsible_member": member,
        "responsible_staff": None if member else world.coordinator,
        "status": PlanMeasure.Status.PLANNED,
    }


@pytest.fixture
def case(unit_a):
    """An enrolled case; the police partner's consent covers criminality, family and health."""
    case = builders.enrollable_case(unit_a)
    builders.decide(unit_a, case, State.ASSIGNMENT)
    case.refresh_from_db()
    return case


def save(world, case, goals, measures, *, revision=0):
    return plan_services.plan_save(
        case=case,
        by=world.coordinator,
        based_on_revision=revision,
        main_goal="Ett liv utan brott",
        goals=goals,
        measures=measures,
    )


@pytest.fixture
def plan(unit_a, case):
    """A criminality measure (the partner may see it) that waits for a housing measure (they may
    not)."""
    member = case.members.get(user=unit_a.partner, removed_at__isnull=True)
    return save(
        unit_a,
        case,
        [
            goal_row(area(unit_a, "criminality"), VISIBLE_GOAL),
            goal_row(area(unit_a, "housing"), HIDDEN_GOAL),
        ],
        [
            measure_row(1, HIDDEN_MEASURE, unit_a),
            measure_row(0, VISIBLE_MEASURE, unit_a, after=0, member=member),
        ],
    )


def url(name, case) -> str:
    return reverse(name, args=[case.pk])


def pdf_text(response) -> str:
    assert response.status_code == 200
    reader = PdfReader(BytesIO(response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


# --- Item 2: the 'waits on' column and every other reference ----------------------------------


def test_partner_plan_page_names_no_hidden_measure_or_goal(unit_a, case, plan, login):
    body = login(unit_a.partner).get(url("plan_detail", case)).content.decode()
    assert VISIBLE_GOAL in body and VISIBLE_MEASURE in body
    assert HIDDEN_MEASURE not in body and HIDDEN_GOAL not in body
    assert f"<td>{NEUTRAL}</td>" in body  # the 'Väntar på' column of the visible measure

    staff = login(unit_a.coordinator).get(url("plan_detail", case)).content.decode()
    assert HIDDEN_GOAL in staff and NEUTRAL not in staff
    assert staff.count(f"<td>{HIDDEN_MEASURE}</td>") == 2  # its row, the other's 'Väntar på'


def test_partner_compare_names_no_hidden_measure_or_goal(unit_a, case, plan, login):
    # Revision 2 changes what the visible measure waits for and the hidden measure itself.
    member = case.members.get(user=unit_a.partner, removed_at__isnull=True)
    goals = [{**goal_row(g.life_area, g.goal, g.target), "id": g.pk} for g in plan.goals.all()]
    hidden, visible = plan.measures.all()
    save(
        unit_a,
        case,
        goals,
        [
            {**measure_row(1, HIDDEN_MEASURE + " i centrum", unit_a), "id": hidden.pk},
            {**measure_row(0, VISIBLE_MEASURE, unit_a, member=member), "id": visible.pk},
        ],
        revision=1,
    )
    client = login(unit_a.partner)
    for query in ({"fran": 0, "till": 1}, {"fran": 1, "till": 2}, {"fran": 0, "till": 2}):
        body = client.get(url("plan_compare", case), query).content.decode()
        assert HIDDEN_MEASURE not in body and HIDDEN_GOAL not in body, query
    changed = client.get(url("plan_compare", case), {"fran": 1, "till": 2}).content.decode()
    assert "Väntar på" in changed and NEUTRAL in changed  # the visible measure's change
    revisions = client.get(url("plan_revisions", case)).content.decode()
    assert HIDDEN_MEASURE not in revisions and HIDDEN_GOAL not in revisions

    staff = login(unit_a.coordinator).get(url("plan_compare", case), {"fran": 1, "till": 2})
    staff_body = staff.content.decode()
    assert HIDDEN_MEASURE in staff_body and NEUTRAL not in staff_body


def test_partner_pdf_names_no_hidden_measure_or_goal(unit_a, case, plan, login):
    text = pdf_text(login(unit_a.partner).get(url("plan_pdf", case)))
    assert VISIBLE_GOAL in text and VISIBLE_MEASURE in text
    assert HIDDEN_MEASURE not in text and HIDDEN_GOAL not in text
    assert f"Väntar på: {NEUTRAL}" in text

    staff = pdf_text(login(unit_a.coordinator).get(url("plan_pdf", case)))
    assert HIDDEN_GOAL in staff and f"Väntar på: {HIDDEN_MEASURE}" in staff


# --- Item 5: revisions name life areas by id and category -------------------------------------


def test_snapshots_store_the_life_area_by_id_and_category(unit_a, plan):
    goals = PlanRevision.objects.get(plan=plan, number=1).snapshot["goals"]
    criminality = area(unit_a, "criminality")
    assert goals[0]["life_area"] == {
        "id": criminality.pk,
        "code": "criminality",
        "category": "criminality",
        "label": criminality.label,
    }


def test_renaming_a_life_area_keeps_history_visible_to_the_partner(unit_a, case, plan, login):
    LifeArea.objects.filter(pk=area(unit_a, "criminality").pk).update(label="Brottslighet")
    client = login(unit_a.partner)
    body = client.get(url("plan_compare", case), {"fran": 0, "till": 1}).content.decode()
    assert VISIBLE_GOAL in body and VISIBLE_MEASURE in body
    assert HIDDEN_GOAL not in body
    revisions = client.get(url("plan_revisions", case)).content.decode()
    assert "Planen gjordes." in revisions


def test_a_label_repeated_in_another_category_does_not_leak(unit_a, case, login):
    """A staff-only area labelled like a covered one: its goal stays hidden in history."""
    twin = LifeArea.objects.create(
        unit=unit_a.unit, code="gang", label=area(unit_a, "criminality").label, category_code=""
    )
    save(
        unit_a,
        case,
        [goal_row(area(unit_a, "criminality"), VISIBLE_GOAL), goal_row(twin, "Lämna gänget")],
        [measure_row(1, "Samtal om avhopp", unit_a)],
    )
    client = login(unit_a.partner)
    for name in ("plan_detail", "plan_revisions"):
        assert "Lämna gänget" not in client.get(url(name, case)).content.decode()
    body = client.get(url("plan_compare", case), {"fran": 0, "till": 1}).content.decode()
    assert VISIBLE_GOAL in body
    assert "Lämna gänget" not in body and "Samtal om avhopp" not in body
    staff = login(unit_a.coordinator).get(url("plan_compare", case), {"fran": 0, "till": 1})
    assert "Lämna gänget" in staff.content.decode()


def test_a_changed_life_area_label_is_not_a_change_in_the_compare(unit_a, case, plan, login):
    LifeArea.objects.filter(pk=area(unit_a, "criminality").pk).update(label="Brottslighet")
    goals = [{**goal_row(g.life_area, g.goal, g.target), "id": g.pk} for g in plan.goals.all()]
    hidden, visible = plan.measures.all()
    member = case.members.get(user=unit_a.partner, removed_at__isnull=True)
    save(
        unit_a,
        case,
        goals,
        [
            {**measure_row(1, HIDDEN_MEASURE, unit_a), "id": hidden.pk},
            {**measure_row(0, VISIBLE_MEASURE, unit_a, after=0, member=member), "id": visible.pk},
        ],
        revision=1,
    )
    body = login(unit_a.coordinator).get(url("plan_compare", case)).content.decode()
    assert "Inga skillnader mellan versionerna" in body


MIGRATION = importlib.import_module("insats.plans.migrations.0003_snapshot_life_area_ids")


def test_the_migration_turns_stored_labels_into_life_area_references(unit_a, case, login):
    """Old snapshots named areas by label: matched within the unit, the goal's own area first;
    a label two categories share and no goal to tell them apart stays staff only."""
    criminality = area(unit_a, "criminality")
    twin = LifeArea.objects.create(
        unit=unit_a.unit, code="gang", label=criminality.label, category_code=""
    )
    plan = save(
        unit_a,
        case,
        [goal_row(criminality, VISIBLE_GOAL), goal_row(area(unit_a, "housing"), HIDDEN_GOAL)],
        [measure_row(0, VISIBLE_MEASURE, unit_a)],
    )
    housing = plan.goals.all()[1]
    old = PlanRevision.objects.get(plan=plan, number=1)
    old.snapshot["goals"] = [
        {**g, "life_area": g["life_area"]["label"]} for g in old.snapshot["goals"]
    ]
    # A goal removed since, in the area whose label the twin repeats.
    old.snapshot["goals"].append({**old.snapshot["goals"][0], "id": 999999, "goal": "Borta"})
    old.save()

    MIGRATION.forward(django_apps, None)

    goals = PlanRevision.objects.get(pk=old.pk).snapshot["goals"]
    assert goals[0]["life_area"]["id"] == criminality.pk  # the goal's own area
    assert goals[0]["life_area"]["category"] == "criminality"
    assert goals[1]["life_area"]["id"] == housing.life_area_id  # the unit's only "Boende"
    assert goals[2]["life_area"] == {
        "id": None,
        "code": "",
        "category": "",
        "label": criminality.label,
    }
    assert twin.label == goals[2]["life_area"]["label"]

    body = login(unit_a.partner).get(url("plan_compare", case), {"fran": 0, "till": 1})
    assert VISIBLE_GOAL in body.content.decode() and "Borta" not in body.content.decode()

    MIGRATION.backward(django_apps, None)
    labels = [g["life_area"] for g in PlanRevision.objects.get(pk=old.pk).snapshot["goals"]]
    assert labels == [criminality.label, "Boende", criminality.label]


# --- Item 9: revision numbers from the query string -------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"till": "1" * 30},
        {"fran": "9" * 30},
        {"fran": "1", "till": "9" * 30},
        {"till": "-1"},
        {"till": "1e3"},
        {"fran": "2"},
        {"till": "9" * 5000},
    ],
)
def test_garbage_or_out_of_range_revision_numbers_are_a_404(unit_a, case, plan, login, query):
    response = login(unit_a.coordinator).get(url("plan_compare", case), query)
    assert response.status_code == 404
