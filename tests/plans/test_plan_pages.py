"""Action plan pages (handlingsplan): create and edit the whole plan on one page, read it (staff
everything, partners the goals their consent covers), revisions and comparing them."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.organisations.models import DischargeReason, LifeArea
from insats.plans import services as plan_services
from insats.plans.models import ActionPlan, PlanMeasure, PlanRevision
from tests import builders
from tests.conftest import FormReader

TODAY = timezone.localdate


def page_values(response) -> dict:
    """What the browser would send back from the page's form."""
    reader = FormReader()
    reader.feed(response.content.decode())
    # A browser drops the newline that starts a textarea's content.
    return {name: [v.removeprefix("\n") for v in values] for name, values in reader.values.items()}


def fill(values: dict, **fields) -> dict:
    for name, value in fields.items():
        values[name.replace("__", "-")] = [str(value)]
    return values


def field_error(body: str, field: str) -> str:
    found = re.search(rf'id="id_{field}_error">(.*?)</p>', body, re.S)
    return found.group(1) if found else ""


def area(world, code: str) -> LifeArea:
    return LifeArea.objects.get(unit=world.unit, code=code)


def urls(case) -> dict:
    return {
        name: reverse(f"plan_{name}", args=[case.pk])
        for name in ("detail", "edit", "revisions", "compare", "pdf")
    }


@pytest.fixture
def case(unit_a):
    """An enrolled case; the police partner is in its group under a consent covering
    criminality, family and health."""
    case = builders.enrollable_case(unit_a)
    builders.decide(unit_a, case, State.ASSIGNMENT)
    case.refresh_from_db()
    assert case.state == State.ASSIGNMENT
    return case


def police(case, world):
    return case.members.get(user=world.partner, removed_at__isnull=True)


def saved_plan(world, case, *, measures_per_goal=1, by=None) -> ActionPlan:
    """A plan with a criminality goal and a housing goal, saved through the service."""
    member = police(case, world)
    goals = [
        {
            "id": None,
            "life_area": area(world, "criminality"),
            "goal": "Sluta begå brott",
            "target": "Inga nya misstankar på sex månader",
            "measured_by": "Polisens register",
        },
        {
            "id": None,
            "life_area": area(world, "housing"),
            "goal": "Eget boende i Lindby",
            "target": "Hyreskontrakt påskrivet",
            "measured_by": "Kontraktet",
        },
    ]
    measures = []
    for goal_index in range(2):
        for n in range(measures_per_goal):
            measures.append(
                {
                    "id": None,
                    "goal": goal_index,
                    "what": f"Åtgärd {goal_index}-{n}",
                    "due_on": TODAY() + timedelta(days=30),
                    "responsible_member": member if goal_index == 0 else None,
                    "responsible_staff": world.coordinator if goal_index == 1 else None,
                    "status": PlanMeasure.Status.PLANNED,
                }
            )
    return plan_services.plan_save(
        case=case,
        by=by or world.coordinator,
        based_on_revision=0,
        main_goal="Ett liv utan brott",
        goals=goals,
        measures=measures,
        commitments="Gå till skolan varje dag\nRinga lotsen varje fredag",
        acute_contact="Lotta Lotsdotter 070-123 45 67",
    )


# --- Creating and editing through the page ----------------------------------------------------


def test_staff_create_a_plan_with_two_areas_through_the_page(unit_a, case, login):
    client = login(unit_a.coordinator)
    detail = client.get(urls(case)["detail"])
    assert detail.status_code == 200
    assert "Det finns ingen handlingsplan ännu." in detail.content.decode()
    assert urls(case)["edit"] in detail.content.decode()  # "Gör handlingsplan"

    page = client.get(urls(case)["edit"])
    assert page.status_code == 200
    body = page.content.decode()
    member = police(case, unit_a)
    assert f'value="member:{member.pk}"' in body
    assert f'value="staff:{unit_a.coordinator.pk}"' in body
    assert f'value="staff:{unit_a.partner.pk}"' not in body  # partners are not social services
    values = page_values(page)
    assert values["revision"] == ["0"]

    fill(
        values,
        main_goal="Klara skolan och hålla sig borta från gänget",
        status="ready",
        commitments="Gå till skolan\nRinga lotsen varje fredag",
        follow_up_on="2031-03-30",
        follow_up_time="14:30",
        next_follow_up_place="Lindby fritidsgård",
        acute_contact="Lotta 070-123 45 67",
        goals__0__life_area=area(unit_a, "criminality").pk,
        goals__0__goal="Inga nya brott",
        goals__0__target="Inga misstankar på ett halvår",
        goals__0__measured_by="Polisens uppgifter",
        goals__1__life_area=area(unit_a, "housing").pk,
        goals__1__goal="Eget boende",
        goals__1__target="Kontrakt påskrivet",
        goals__1__measured_by="Kontraktet",
        measures__0__goal=0,
        measures__0__what="Samtal med kommunpolisen",
        measures__0__due_on=(TODAY() + timedelta(days=14)).isoformat(),
        measures__0__responsible=f"member:{member.pk}",
        measures__0__responsible_organisation=unit_a.police.pk,
        measures__1__goal=1,
        measures__1__what="Söka lägenhet hos Lindbyhem",
        measures__1__how="Ansökan på webben",
        measures__1__starts_on=TODAY().isoformat(),
        measures__1__due_on=(TODAY() + timedelta(days=60)).isoformat(),
        measures__1__after=0,
        measures__1__responsible=f"staff:{unit_a.coordinator.pk}",
    )
    response = client.post(urls(case)["edit"], values)
    assert response.status_code == 302, page_values(response)
    assert response.url == urls(case)["detail"]

    plan = ActionPlan.objects.get(case=case)
    assert plan.revision == 1 and plan.status == "ready"
    assert plan.commitment_lines == ["Gå till skolan", "Ringa lotsen varje fredag"]
    assert plan.next_follow_up_at == datetime(
        2031, 3, 30, 14, 30, tzinfo=ZoneInfo("Europe/Stockholm")
    )
    goals = list(plan.goals.select_related("life_area"))
    assert [(g.life_area.code, g.goal) for g in goals] == [
        ("criminality", "Inga nya brott"),
        ("housing", "Eget boende"),
    ]
    first, second = plan.measures.all()
    assert first.goal == goals[0] and first.responsible_member == member
    assert first.responsible_organisation == unit_a.police
    assert second.goal == goals[1] and second.responsible_staff == unit_a.coordinator
    assert second.after == first
    assert AccessLogEntry.objects.filter(
        object_type="plan", action="create", case_id=case.pk
    ).exists()

    body = client.get(response.url).content.decode()
    assert "Handlingsplanen är sparad." in body
    for text in ("Inga nya brott", "Eget boende", "Söka lägenhet hos Lindbyhem", "Kriminalitet"):
        assert text in body
    assert "Lindby fritidsgård" in body and "2031-03-30 14:30" in body


def test_editing_makes_a_new_revision_and_measures_keep_their_ids(unit_a, case, login):
    plan = saved_plan(unit_a, case)
    old_ids = list(plan.measures.values_list("pk", flat=True))
    client = login(unit_a.investigator)
    page = client.get(urls(case)["edit"])
    values = page_values(page)
    assert values["revision"] == ["1"]
    assert values["measures-0-id"] == [str(old_ids[0])]
    assert values["main_goal"] == ["Ett liv utan brott"]
    assert values["follow_up_on"] == [""]
    fill(
        values,
        main_goal="Ett liv utan brott, med jobb",
        measures__0__what="Samtal med kommunpolisen varje vecka",
        measures__2__goal=1,
        measures__2__what="Besök på bostadsförmedlingen",
        measures__2__due_on=(TODAY() + timedelta(days=5)).isoformat(),
        measures__2__responsible=f"staff:{unit_a.investigator.pk}",
    )
    response = client.post(urls(case)["edit"], values)
    assert response.status_code == 302

    plan.refresh_from_db()
    assert plan.revision == 2 and plan.main_goal == "Ett liv utan brott, med jobb"
    measures = list(plan.measures.all())
    assert [m.pk for m in measures[:2]] == old_ids
    assert measures[0].what == "Samtal med kommunpolisen varje vecka"
    assert measures[2].what == "Besök på bostadsförmedlingen"
    first = PlanRevision.objects.get(plan=plan, number=1)
    assert first.snapshot["main_goal"] == "Ett liv utan brott"
    assert AccessLogEntry.objects.filter(
        object_type="plan", action="change", case_id=case.pk
    ).exists()


def test_removing_a_measure_with_its_checkbox(unit_a, case, login):
    plan = saved_plan(unit_a, case)
    client = login(unit_a.coordinator)
    values = fill(page_values(client.get(urls(case)["edit"])), measures__1__DELETE="on")
    assert client.post(urls(case)["edit"], values).status_code == 302
    assert list(plan.measures.values_list("what", flat=True)) == ["Åtgärd 0-0"]


def test_validation_errors_are_swedish_and_keep_the_input(unit_a, case, login):
    client = login(unit_a.coordinator)
    values = page_values(client.get(urls(case)["edit"]))
    fill(
        values,
        main_goal="Klara skolan",
        goals__0__life_area=area(unit_a, "criminality").pk,
        goals__0__goal="Inga nya brott",
        goals__0__measured_by="Polisens uppgifter",
        measures__0__goal=0,
        measures__0__what="Samtal med kommunpolisen",
        measures__0__due_on=(TODAY() + timedelta(days=14)).isoformat(),
        follow_up_on="2031-03-30",
    )
    response = client.post(urls(case)["edit"], values)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Det finns fel i formuläret" in body
    assert "Ange när målet är nått." in field_error(body, "goals-0-target")
    assert "Välj vem som ansvarar för åtgärden." in field_error(body, "measures-0-responsible")
    assert "Ange klockslag för uppföljningen." in field_error(body, "follow_up_time")
    assert "Mål 1, När är målet nått?" in body and "Åtgärd 1, Ansvarig" in body
    kept = page_values(response)
    assert kept["goals-0-goal"] == ["Inga nya brott"]
    assert kept["measures-0-what"] == ["Samtal med kommunpolisen"]
    assert kept["main_goal"] == ["Klara skolan"]
    assert not ActionPlan.objects.exists()


def test_a_measure_must_belong_to_a_filled_in_goal(unit_a, case, login):
    client = login(unit_a.coordinator)
    values = fill(
        page_values(client.get(urls(case)["edit"])),
        main_goal="Klara skolan",
        measures__0__goal=1,
        measures__0__what="Samtal",
        measures__0__due_on=TODAY().isoformat(),
        measures__0__responsible=f"staff:{unit_a.coordinator.pk}",
    )
    response = client.post(urls(case)["edit"], values)
    assert response.status_code == 200
    assert "Målet är tomt eller tas bort." in field_error(
        response.content.decode(), "measures-0-goal"
    )
    assert not ActionPlan.objects.exists()


def test_a_goal_of_another_plan_is_refused_without_an_error_page(unit_a, case, login):
    other = builders.enrollable_case(unit_a)
    builders.decide(unit_a, other, State.ASSIGNMENT)
    foreign = saved_plan(unit_a, other).goals.first()
    saved_plan(unit_a, case)
    client = login(unit_a.coordinator)
    values = fill(page_values(client.get(urls(case)["edit"])), goals__0__id=foreign.pk)
    response = client.post(urls(case)["edit"], values)
    assert response.status_code == 200
    assert "Målet hör inte till planen." in response.content.decode()
    assert ActionPlan.objects.get(case=case).revision == 1


def test_no_plan_before_the_case_is_enrolled(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.coordinator)
    body = client.get(urls(case)["detail"]).content.decode()
    assert "Handlingsplanen görs när insatsen är beviljad." in body
    assert urls(case)["edit"] not in body
    response = client.get(urls(case)["edit"])
    assert response.status_code == 302 and response.url == urls(case)["detail"]


# --- Reading ----------------------------------------------------------------------------------


def test_detail_shows_overdue_measures_and_the_latest_report(unit_a, case, login):
    plan = saved_plan(unit_a, case)
    measure = plan.measures.first()
    PlanMeasure.objects.filter(pk=measure.pk).update(due_on=TODAY() - timedelta(days=2))
    plan_services.measure_report(
        measure=measure, by=unit_a.partner, status="ongoing", note="Första samtalet är hållet"
    )
    body = login(unit_a.coordinator).get(urls(case)["detail"]).content.decode()
    assert "Försenad" in body
    assert "Första samtalet är hållet" in body and "Alfa-polis Testsson" in body
    assert "Gå till skolan varje dag" in body and "Lotta Lotsdotter 070-123 45 67" in body
    assert urls(case)["edit"] in body and urls(case)["pdf"] in body


def test_partner_sees_only_the_goals_their_consent_covers(unit_a, case, login):
    saved_plan(unit_a, case)
    client = login(unit_a.partner)
    response = client.get(urls(case)["detail"])
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sluta begå brott" in body and "Åtgärd 0-0" in body
    assert "Eget boende i Lindby" not in body and "Åtgärd 1-0" not in body
    assert urls(case)["edit"] not in body
    assert client.get(urls(case)["edit"]).status_code == 404
    assert client.post(urls(case)["edit"], {}).status_code == 404
    compare = client.get(urls(case)["compare"], {"fran": 0, "till": 1}).content.decode()
    assert "Sluta begå brott" in compare and "Eget boende i Lindby" not in compare
    assert AccessLogEntry.objects.filter(
        object_type="plan", action="view", case_id=case.pk, user=unit_a.partner
    ).exists()


def test_school_partner_without_consent_gets_404(unit_a, case, login):
    saved_plan(unit_a, case)
    builders.school_member(unit_a, case)
    client = login(builders.school_user(unit_a))
    for name in ("detail", "edit", "revisions", "compare", "pdf"):
        assert client.get(urls(case)[name]).status_code == 404
    assert AccessLogEntry.objects.filter(
        object_type="plan", action="denied", case_id=case.pk
    ).exists()


def test_other_unit_gets_404(unit_a, unit_b, case, login):
    saved_plan(unit_a, case)
    client = login(unit_b.coordinator)
    for name in ("detail", "edit", "revisions", "compare", "pdf"):
        assert client.get(urls(case)[name]).status_code == 404


def test_closed_case_is_read_only(unit_a, case, login):
    saved_plan(unit_a, case)
    case_services.case_transition(
        case=case,
        to_state=State.DISCHARGED,
        by=unit_a.coordinator,
        reason="Målen är nådda.",
        discharge_reason=DischargeReason.objects.filter(unit=unit_a.unit).first(),
        summary="Insatsen är avslutad.",
    )
    client = login(unit_a.coordinator)
    body = client.get(urls(case)["detail"]).content.decode()
    assert "Sluta begå brott" in body and urls(case)["edit"] not in body
    assert client.get(urls(case)["edit"]).status_code == 404
    assert client.post(urls(case)["edit"], {}).status_code == 404


# --- Revisions ----------------------------------------------------------------------------------


def test_revisions_and_compare_list_what_changed(unit_a, case, login):
    plan = saved_plan(unit_a, case)
    client = login(unit_a.coordinator)
    values = fill(
        page_values(client.get(urls(case)["edit"])),
        main_goal="Ett liv utan brott och med jobb",
        status="ready",
        goals__1__target="Kontrakt i handen",
    )
    assert client.post(urls(case)["edit"], values).status_code == 302
    plan.refresh_from_db()
    assert plan.revision == 2

    revisions = client.get(urls(case)["revisions"]).content.decode()
    assert "Planen gjordes." in revisions
    assert "Ändrat: status, huvudmål; 1 mål ändrat" in revisions

    body = client.get(urls(case)["compare"]).content.decode()
    assert "Från version 1 till version 2" in body
    for text in ("Huvudmål", "Ett liv utan brott", "Ett liv utan brott och med jobb"):
        assert text in body
    assert "Utkast" in body and "Klar" in body  # status values by name
    assert "När är målet nått?" in body and "Kontrakt i handen" in body
    assert "main_goal" not in body

    assert client.get(urls(case)["compare"], {"fran": 1, "till": 9}).status_code == 404
    assert client.get(urls(case)["compare"], {"fran": "x"}).status_code == 404


# --- Performance ----------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_plan_detail_runs_a_constant_number_of_queries(
    unit_a, unit_b, login, django_assert_max_num_queries
):
    small = builders.enrollable_case(unit_a)
    builders.decide(unit_a, small, State.ASSIGNMENT)
    first = saved_plan(unit_a, small, measures_per_goal=1).measures.first()
    plan_services.measure_report(
        measure=first, by=unit_a.coordinator, status="ongoing", note="På gång"
    )
    large = builders.enrollable_case(unit_a)
    builders.decide(unit_a, large, State.ASSIGNMENT)
    plan = saved_plan(unit_a, large, measures_per_goal=4)
    for measure in plan.measures.all()[:3]:
        plan_services.measure_report(
            measure=measure, by=unit_a.coordinator, status="ongoing", note="På gång"
        )
    client = login(unit_a.coordinator)
    client.get(urls(small)["detail"])  # warm up (session, caches)
    assert _queries(client, urls(small)["detail"]) == _queries(client, urls(large)["detail"])
    with django_assert_max_num_queries(25):
        client.get(urls(large)["detail"])


def test_plan_edit_runs_a_constant_number_of_queries(unit_a, login):
    small = builders.enrollable_case(unit_a)
    builders.decide(unit_a, small, State.ASSIGNMENT)
    saved_plan(unit_a, small, measures_per_goal=1)
    large = builders.enrollable_case(unit_a)
    builders.decide(unit_a, large, State.ASSIGNMENT)
    saved_plan(unit_a, large, measures_per_goal=4)
    client = login(unit_a.coordinator)
    client.get(urls(small)["edit"])
    assert _queries(client, urls(small)["edit"]) == _queries(client, urls(large)["edit"])
