"""The action plan in the browser: the coordinator builds a plan with two life areas, the police
member reports on their measure from "my measures", the coordinator sees the report, follows
the plan up and discharges the case, which is then read-only."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from insats.cases.lifecycle import State
from insats.plans.models import ActionPlan, GoalResult, MeasureReport
from tests import builders
from tests.browser.conftest import TIMEOUT_MS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_plan_report_follow_up_and_discharge(
    page: Page, browser: Browser, live_server, unit_a, login_as, sign_in
):
    case = builders.enrollable_case(unit_a)
    builders.decide(unit_a, case, State.ASSIGNMENT)
    coordinator = page
    login_as(unit_a.coordinator)

    # The coordinator builds the plan: two goals in two life areas, one measure each.
    coordinator.goto(f"{live_server.url}/arenden/{case.pk}/handlingsplan/")
    coordinator.get_by_role("link", name="Gör handlingsplan").click()
    coordinator.get_by_label("Huvudmål").fill("Ett liv utan brott, med jobb och egna vänner.")
    coordinator.get_by_label("Den unges egna åtaganden").fill("Komma på mötena")
    field = coordinator.locator
    field("[name='goals-0-life_area']").select_option(label="Kriminalitet")
    field("[name='goals-0-goal']").fill("Inga nya brott")
    field("[name='goals-0-target']").fill("Inga misstankar på ett halvår")
    field("[name='goals-0-measured_by']").fill("Polisens uppgifter")
    field("[name='goals-1-life_area']").select_option(label="Sysselsättning/skola")
    field("[name='goals-1-goal']").fill("Börja studera")
    field("[name='goals-1-target']").fill("Inskriven på en utbildning")
    field("[name='goals-1-measured_by']").fill("Antagningsbesked")
    field("[name='measures-0-goal']").select_option(index=1)
    field("[name='measures-0-what']").fill("Samtal om kamratkretsen")
    field("[name='measures-0-due_on']").fill("2099-12-31")
    police_member = case.members.get(user=unit_a.partner, removed_at__isnull=True)
    field("[name='measures-0-responsible']").select_option(f"member:{police_member.pk}")
    field("[name='measures-1-goal']").select_option(index=2)
    field("[name='measures-1-what']").fill("Studiebesök på vuxenutbildningen")
    field("[name='measures-1-due_on']").fill("2099-12-31")
    field("[name='measures-1-responsible']").select_option(f"staff:{unit_a.coordinator.pk}")
    coordinator.locator("main form").get_by_role("button", name="Spara").click()
    expect(coordinator).to_have_url(f"{live_server.url}/arenden/{case.pk}/handlingsplan/")
    expect(coordinator.locator("main")).to_contain_text("Samtal om kamratkretsen")
    expect(coordinator.locator("main")).to_contain_text("Studiebesök på vuxenutbildningen")
    plan = ActionPlan.objects.get(case=case)
    assert plan.goals.count() == 2 and plan.measures.count() == 2

    # The police member reports from "my measures" and sees only their own measure.
    police = browser.new_context(locale="sv-SE").new_page()
    police.set_default_timeout(TIMEOUT_MS)
    sign_in(police, unit_a.partner)
    police.goto(f"{live_server.url}/mina-atgarder/")
    expect(police.locator("main")).to_contain_text("Samtal om kamratkretsen")
    expect(police.locator("main")).not_to_contain_text("Studiebesök på vuxenutbildningen")
    police.locator("main").get_by_role("link", name=re.compile("^Rapportera")).first.click()
    police.get_by_label("Pågår").check()
    police.get_by_label("Vad har hänt?").fill("Första samtalet är gjort.")
    police.get_by_role("button", name="Spara rapporten").click()
    expect(police).to_have_url(f"{live_server.url}/mina-atgarder/")
    assert MeasureReport.objects.filter(reported_by=unit_a.partner).count() == 1

    # The coordinator sees the report on the plan and follows up: the crime goal is met.
    coordinator.goto(f"{live_server.url}/arenden/{case.pk}/handlingsplan/")
    expect(coordinator.locator("main")).to_contain_text("Första samtalet är gjort.")
    coordinator.get_by_role("link", name="Följ upp planen").click()
    goals = coordinator.locator("fieldset.rating-row")
    goals.filter(has_text="Inga nya brott").get_by_label("Uppnått", exact=True).check()
    goals.filter(has_text="Börja studera").get_by_label("Delvis uppnått").check()
    coordinator.get_by_role("button", name="Spara uppföljningen").click()
    expect(coordinator.get_by_role("status").first).to_be_visible()
    results = dict(GoalResult.objects.filter(goal__plan=plan).values_list("goal__goal", "result"))
    assert results == {"Inga nya brott": "met", "Börja studera": "partly"}
    assert plan.goals.get(goal="Inga nya brott").closed_on is not None

    # Discharge with a reason and a closing summary; the case is read-only afterwards.
    coordinator.goto(f"{live_server.url}/arenden/{case.pk}/")
    coordinator.get_by_role("link", name="Skriv ut").click()
    coordinator.get_by_label("Motivering").fill("Målen är i stort sett nådda.")
    coordinator.get_by_label("Skäl för utskrivning").select_option(label="Målen uppnådda")
    coordinator.get_by_label("Avslutande sammanfattning").fill("Studerar och har inga nya brott.")
    coordinator.locator("main form").get_by_role("button", name="Skriv ut").click()
    expect(coordinator.locator(".page-head .tag")).to_have_text("Utskriven")
    expect(coordinator.locator("main")).to_contain_text("Det är skrivskyddat för alla.")
    coordinator.goto(f"{live_server.url}/arenden/{case.pk}/handlingsplan/")
    expect(coordinator.get_by_role("link", name="Ändra planen")).to_have_count(0)
    response = coordinator.goto(f"{live_server.url}/arenden/{case.pk}/handlingsplan/andra/")
    assert response.status == 404
