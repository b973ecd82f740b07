"""Following up the action plan: a result per open goal, met goals closed, earlier follow-ups
readable (partners: only the goals their consent covers, never the meeting's notes)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases.lifecycle import State
from insats.cases.models import Case
from insats.consent import services as consent_services
from insats.consent.models import Consent
from insats.organisations.models import LifeArea
from insats.plans import services
from insats.plans.models import ActionPlan, GoalResult, PlanFollowUp
from tests import builders


def enrolled_case(world):
    case = builders.enrollable_case(world)
    builders.decide(world, case, State.ASSIGNMENT)
    case.refresh_from_db()
    return case


def make_plan(world, case, codes=("criminality", "housing")):
    goals = [
        {
            "id": None,
            "life_area": LifeArea.objects.get(unit=world.unit, code=code),
            "goal": f"Mål för {code}",
            "target": "Inom ett halvår",
            "measured_by": "Samtal varje månad",
        }
        for code in codes
    ]
    measures = [
        {
            "id": None,
            "goal": 0,
            "what": "Samtal med kommunpolisen",
            "due_on": timezone.localdate() + timedelta(days=30),
            "responsible_staff": world.coordinator,
        }
    ]
    return services.plan_save(
        case=case,
        by=world.coordinator,
        based_on_revision=0,
        main_goal="Ett liv utan brott",
        goals=goals,
        measures=measures,
    )


@pytest.fixture
def setup(unit_a):
    case = enrolled_case(unit_a)
    plan = make_plan(unit_a, case)
    goals = list(plan.goals.all())
    return unit_a, case, plan, goals


def form_url(case) -> str:
    return reverse("plan_follow_up", args=[case.pk])


def list_url(case) -> str:
    return reverse("plan_follow_ups", args=[case.pk])


def post(goals, held_on=None, note="", rows=None):
    """The follow-up form's POST: `rows` is a list of (result, comment), one per goal."""
    rows = rows or [("", "")] * len(goals)
    data = {
        "held_on": (held_on or timezone.localdate()).isoformat(),
        "note": note,
        "mal-TOTAL_FORMS": str(len(goals)),
        "mal-INITIAL_FORMS": str(len(goals)),
    }
    for index, (goal, (result, comment)) in enumerate(zip(goals, rows, strict=True)):
        data[f"mal-{index}-goal"] = str(goal.pk)
        data[f"mal-{index}-result"] = result
        data[f"mal-{index}-note"] = comment
    return data


def test_a_follow_up_closes_met_goals_and_keeps_the_others_open(setup, login):
    world, case, plan, goals = setup
    client = login(world.coordinator)
    page = client.get(form_url(case)).content.decode()
    assert "Mål för criminality" in page and "Mål för housing" in page
    assert reverse("plan_edit", args=[case.pk]) in page  # "Lägg till nya mål"
    assert "Lägg till nya mål" in page

    held_on = timezone.localdate() - timedelta(days=1)
    response = client.post(
        form_url(case),
        post(
            goals,
            held_on=held_on,
            note="Bra möte med hela gruppen.",
            rows=[("met", "Inga nya brott."), ("partly", "Söker lägenhet.")],
        ),
    )
    assert response.status_code == 302
    assert response.url == list_url(case)

    follow_up = PlanFollowUp.objects.get(plan=plan)
    assert follow_up.held_on == held_on
    assert follow_up.note == "Bra möte med hela gruppen."
    assert {(r.goal_id, r.result, r.note) for r in follow_up.results.all()} == {
        (goals[0].pk, "met", "Inga nya brott."),
        (goals[1].pk, "partly", "Söker lägenhet."),
    }
    goals[0].refresh_from_db()
    goals[1].refresh_from_db()
    assert goals[0].closed_on == held_on
    assert goals[1].closed_on is None
    assert ActionPlan.objects.get(pk=plan.pk).revision == plan.revision + 1

    page = client.get(list_url(case)).content.decode()
    assert "1 mål är uppnått och avslutat." in page
    assert "Uppnått" in page and "Delvis uppnått" in page
    assert "Inga nya brott." in page and "Bra möte med hela gruppen." in page

    # Only the open goal is followed up next time.
    page = client.get(form_url(case)).content.decode()
    assert "Mål för housing" in page
    assert "Mål för criminality" not in page


def test_goals_left_blank_are_not_followed_up(setup, login):
    world, case, plan, goals = setup
    response = login(world.coordinator).post(
        form_url(case), post(goals, rows=[("", ""), ("not_met", "")])
    )
    assert response.status_code == 302
    follow_up = PlanFollowUp.objects.get(plan=plan)
    assert [(r.goal_id, r.result) for r in follow_up.results.all()] == [(goals[1].pk, "not_met")]


def test_a_follow_up_without_any_result_is_refused(setup, login):
    world, case, _plan, goals = setup
    response = login(world.coordinator).post(
        form_url(case), post(goals, note="Mötet blev inställt.")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ange resultat för minst ett mål." in page
    assert "Mötet blev inställt." in page
    assert not PlanFollowUp.objects.exists()


def test_a_comment_without_a_result_is_an_error_and_the_input_is_kept(setup, login):
    world, case, _plan, goals = setup
    response = login(world.coordinator).post(
        form_url(case), post(goals, rows=[("met", "Klart."), ("", "Glömde välja resultat")])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Välj resultat för målet, eller ta bort kommentaren." in page
    assert "Glömde välja resultat" in page
    assert re.search(r'value="met"[^>]*checked', page)
    assert not PlanFollowUp.objects.exists()


def test_a_future_date_is_refused_by_the_service_and_the_input_is_kept(setup, login):
    world, case, _plan, goals = setup
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = login(world.coordinator).post(
        form_url(case), post(goals, held_on=tomorrow, rows=[("partly", "Snart"), ("", "")])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Datumet kan inte ligga i framtiden." in page
    assert tomorrow.isoformat() in page and "Snart" in page
    assert not PlanFollowUp.objects.exists()


def test_a_goal_closed_while_the_user_typed_is_noticed(setup, login):
    world, case, _plan, goals = setup
    stale = post(goals, rows=[("partly", ""), ("partly", "")])
    services.plan_follow_up(
        case=case,
        by=world.coordinator,
        held_on=timezone.localdate(),
        results=[{"goal": goals[0], "result": "met"}],
    )
    response = login(world.coordinator).post(form_url(case), stale)
    assert response.status_code == 200
    assert "Planens mål har ändrats medan du skrev." in response.content.decode()
    assert PlanFollowUp.objects.count() == 1


def test_a_case_without_a_plan_has_nothing_to_follow_up(unit_a, login):
    case = enrolled_case(unit_a)
    client = login(unit_a.coordinator)
    response = client.get(form_url(case))
    assert response.status_code == 302
    assert response.url == reverse("case_detail", args=[case.pk])
    assert "Ärendet har ingen handlingsplan än." in client.get(list_url(case)).content.decode()


def test_the_follow_up_is_logged(setup, login):
    world, case, _plan, goals = setup
    login(world.coordinator).post(form_url(case), post(goals, rows=[("met", ""), ("", "")]))
    assert AccessLogEntry.objects.filter(
        user=world.coordinator, case_id=case.pk, object_type="plan", action="change"
    ).exists()


# --- Who may follow up and read --------------------------------------------------------------


@pytest.fixture
def followed_up(setup):
    world, case, plan, goals = setup
    services.plan_follow_up(
        case=case,
        by=world.coordinator,
        held_on=timezone.localdate(),
        note="Hemlig anteckning från mötet",
        results=[
            {"goal": goals[0], "result": "partly", "note": "Färre polisanmälningar"},
            {"goal": goals[1], "result": "not_met", "note": "Bor kvar hos kusinen"},
        ],
    )
    return world, case, plan, goals


def test_a_partner_reads_results_of_covered_goals_only_and_never_writes(followed_up, login):
    world, case, _plan, goals = followed_up
    client = login(world.partner)
    page = client.get(list_url(case)).content.decode()
    assert "Färre polisanmälningar" in page
    assert "Bor kvar hos kusinen" not in page  # housing: not covered by the consent
    assert "Mål för housing" not in page
    assert "Hemlig anteckning från mötet" not in page
    assert reverse("plan_follow_up", args=[case.pk]) not in page
    assert client.get(form_url(case)).status_code == 404
    response = client.post(form_url(case), post(goals, rows=[("met", ""), ("met", "")]))
    assert response.status_code == 404
    assert PlanFollowUp.objects.count() == 1


def test_partners_without_a_covering_consent_get_404(followed_up, login):
    world, case, _plan, _goals = followed_up
    builders.school_member(world, case)
    school = builders.school_user(world)
    assert login(school).get(list_url(case)).status_code == 404
    consent = Consent.objects.get(case=case, revoked_on__isnull=True)
    consent_services.consent_revoke(
        consent=consent, by=world.coordinator, revoked_on=timezone.localdate(), how="Brev"
    )
    assert login(world.partner).get(list_url(case)).status_code == 404


def test_another_units_staff_get_404(followed_up, unit_b, login):
    _world, case, _plan, goals = followed_up
    client = login(unit_b.supervisor)
    assert client.get(list_url(case)).status_code == 404
    assert client.get(form_url(case)).status_code == 404
    assert (
        client.post(form_url(case), post(goals, rows=[("met", ""), ("met", "")])).status_code == 404
    )


def test_a_closed_case_cannot_be_followed_up_but_stays_readable(followed_up, login):
    world, case, _plan, goals = followed_up
    Case.objects.filter(pk=case.pk).update(state=State.DISCHARGED)
    client = login(world.coordinator)
    assert client.get(form_url(case)).status_code == 404
    assert (
        client.post(form_url(case), post(goals, rows=[("met", ""), ("met", "")])).status_code == 404
    )
    page = client.get(list_url(case)).content.decode()
    assert "Färre polisanmälningar" in page
    assert reverse("plan_follow_up", args=[case.pk]) not in page


def test_the_list_runs_a_constant_number_of_queries(setup, login, django_assert_max_num_queries):
    world, case, _plan, goals = setup
    client = login(world.coordinator)
    services.plan_follow_up(
        case=case,
        by=world.coordinator,
        held_on=timezone.localdate() - timedelta(days=20),
        results=[{"goal": goals[1], "result": "not_met"}],
    )
    client.get(list_url(case))
    with CaptureQueriesContext(connection) as one:
        client.get(list_url(case))
    for days in (10, 5, 1):
        services.plan_follow_up(
            case=case,
            by=world.coordinator,
            held_on=timezone.localdate() - timedelta(days=days),
            results=[{"goal": g, "result": "partly"} for g in goals],
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(list_url(case)).content.decode()
    assert page.count("Delvis uppnått") == 6
    assert GoalResult.objects.count() == 7
