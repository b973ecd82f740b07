"""From intake to the enrolment decision in the browser, as three people: the coordinator
runs the investigation, the police member records the suitability assessment, and the
supervisor with delegation decides — refused first, naming what is missing, then granted.

The group membership and the consent are made through the services here; their own browser
flow is tests/browser/test_consent_flow.py.
"""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from insats.cases.lifecycle import State
from insats.decisions.models import CaseDecision
from tests import builders
from tests.browser.conftest import TIMEOUT_MS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def second_page(browser: Browser) -> Page:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def open_section(page: Page, live_server, case, name: str) -> None:
    page.goto(f"{live_server.url}/arenden/{case.pk}/")
    page.locator("main").get_by_role("link", name=name, exact=True).click()


def test_intake_to_enrolment_with_coordinator_police_and_supervisor(
    page: Page, browser: Browser, live_server, unit_a, login_as, sign_in
):
    case = builders.identified_case(unit_a, age=19, state=State.INTAKE)
    coordinator = page
    login_as(unit_a.coordinator)

    # The coordinator starts the investigation.
    coordinator.goto(f"{live_server.url}/arenden/{case.pk}/")
    coordinator.get_by_role("link", name="Inled utredning").click()
    coordinator.get_by_label("Motivering").fill("Vill ha stöd att lämna kriminaliteten.")
    coordinator.locator("main form").get_by_role("button", name="Inled utredning").click()
    expect(coordinator.locator(".page-head .tag")).to_have_text("Utredning")
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case)

    # Needs and resource inventory: both ratings for every life area, motivation, priority.
    open_section(coordinator, live_server, case, "Behovs- och resursinventering")
    coordinator.get_by_role("link", name="Gör den första inventeringen").click()
    rows = coordinator.locator("fieldset.rating-row")
    assert rows.count() >= 10
    for index in range(rows.count()):
        row = rows.nth(index)
        row.locator("select[name$='own_rating']").select_option("3")
        row.locator("select[name$='staff_rating']").select_option("2")
    coordinator.get_by_label("Motivation att förändra sin livssituation").select_option("4")
    coordinator.get_by_label("Högst prioriterat område").select_option(label="Boende")
    coordinator.get_by_label("Inventeringen är klar").check()
    coordinator.locator("main form").get_by_role("button", name="Spara").click()
    expect(coordinator.get_by_role("status").first).to_be_visible()
    expect(coordinator.locator(".error-summary")).to_have_count(0)

    # Threat assessment: "klar" needs the supervisor informed — first refused, then saved.
    open_section(coordinator, live_server, case, "Hotbildsbedömning")
    coordinator.get_by_role("link", name="Ny hotbildsbedömning").click()
    coordinator.get_by_label("Samtal med den enskilde").check()
    coordinator.get_by_label("Låg").check()
    coordinator.get_by_label("Beskrivning", exact=True).fill("Inga kända hot.")
    coordinator.get_by_label("Bedömningen är klar").check()
    coordinator.locator("main form").get_by_role("button", name="Spara").click()
    expect(coordinator.locator("main")).to_contain_text(
        "Bedömningen kan inte markeras som klar förrän arbetsledaren är informerad"
    )
    expect(coordinator.get_by_label("Beskrivning", exact=True)).to_have_value("Inga kända hot.")
    coordinator.get_by_label("Informerad arbetsledare").select_option(
        label=unit_a.supervisor.get_full_name()
    )
    coordinator.get_by_label("Datum då arbetsledaren informerades").fill(
        coordinator.get_by_label("Datum för bedömningen").input_value()
    )
    coordinator.locator("main form").get_by_role("button", name="Spara").click()
    expect(coordinator.locator(".error-summary")).to_have_count(0)

    # Submitted for decision.
    coordinator.goto(f"{live_server.url}/arenden/{case.pk}/")
    coordinator.get_by_role("link", name="Lämna för beslut").click()
    coordinator.get_by_label("Motivering").fill("Utredningen är klar.")
    coordinator.locator("main form").get_by_role("button", name="Lämna för beslut").click()
    expect(coordinator.locator(".page-head .tag")).to_have_text("Beslut")

    # The supervisor cannot enrol yet: the police assessment is missing, and the page says so.
    supervisor = second_page(browser)
    sign_in(supervisor, unit_a.supervisor)
    supervisor.goto(f"{live_server.url}/arbetsledning/")
    waiting = supervisor.locator("main table").first
    expect(waiting).to_contain_text(case.alias)
    expect(waiting).to_contain_text("Polisens lämplighetsbedömning saknas.")
    waiting.get_by_role("link", name=case.alias).click()
    expect(supervisor).to_have_url(f"{live_server.url}/arenden/{case.pk}/beslut/inskrivning/")
    expect(supervisor.locator(".checklist--missing")).to_have_count(1)
    grant(supervisor)
    expect(supervisor.locator(".error-summary")).to_contain_text(
        "Polisens lämplighetsbedömning saknas."
    )
    expect(supervisor.locator("#id_motivation")).to_have_value("Vill lämna kriminaliteten.")
    case.refresh_from_db()
    assert case.state == State.DECISION

    # The police member records the suitability assessment; staff cannot.
    police = second_page(browser)
    sign_in(police, unit_a.partner)
    open_section(police, live_server, case, "Polisens bedömning")
    police.get_by_role("link", name="Registrera bedömning").click()
    police.get_by_label("Lämplig", exact=True).check()
    police.get_by_label("Motivering").fill("Inga hinder från polisens sida.")
    police.get_by_role("button", name="Spara bedömning").click()
    expect(police.locator("main")).to_contain_text("Inga hinder från polisens sida.")

    # Now the supervisor enrols, and is taken to the first follow-up assessment.
    supervisor.goto(f"{live_server.url}/arenden/{case.pk}/beslut/inskrivning/")
    expect(supervisor.locator(".checklist--missing")).to_have_count(0)
    grant(supervisor)
    expect(supervisor).to_have_url(re.compile(r"/uppfoljningsbedomning/ny/\?kind=first$"))
    expect(supervisor.get_by_role("status").first).to_contain_text("Inskrivningen är beslutad.")
    case.refresh_from_db()
    assert case.state == State.ASSIGNMENT
    assert case.decision_maker == unit_a.supervisor
    decision = CaseDecision.objects.get(case=case, kind=CaseDecision.Kind.ENROL)
    assert decision.legal_reference is not None
    assert decision.review_on is not None


def grant(page: Page) -> None:
    page.get_by_label("Inskrivning och bistånd beviljas").check()
    page.locator("#id_reasons").fill("Uppfyller kriterierna.")
    page.get_by_label("Risk för återfall i brott").fill("Hög utan stöd.")
    page.locator("#id_motivation").fill("Vill lämna kriminaliteten.")
    page.locator("#id_needs").fill("Sysselsättning och boende.")
    page.locator("#id_resources").fill("Mostern är en resurs.")
    page.locator("#id_criminality").fill("Debut vid 13, flera brott.")
    page.locator("main form").get_by_role("button", name="Registrera beslutet").click()
