"""The intake flow as a coordinator does it in the browser, plus the error and 404 paths."""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from insats.cases.lifecycle import State
from insats.cases.models import Case
from tests.conftest import make_number

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def register_button(page: Page):
    return page.locator("main form").get_by_role("button", name="Registrera", exact=True)


def test_coordinator_registers_deidentified_intake_and_starts_investigation(
    page: Page, live_server, unit_a, login_as
):
    login_as(unit_a.coordinator)
    page.locator("main").get_by_role("link", name="Registrera aktualisering").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrera aktualisering")

    # De-identified is the default choice; a coordinator of one unit gets no unit picker.
    expect(page.get_by_label("Nej, ärendet registreras avidentifierat")).to_be_checked()
    expect(page.locator("main select[name=unit]")).to_have_count(0)
    page.locator("#id_age").fill("16")
    page.get_by_label("Aktualiserad av").select_option(label="Polisen")
    register_button(page).click()

    expect(page).to_have_url(re.compile(r"/arenden/\d+/$"))
    case = Case.objects.get(unit=unit_a.unit)
    assert case.person_id is None
    assert case.age_at_intake == 16
    assert case.source == "police"
    assert page.url == f"{live_server.url}/arenden/{case.pk}/"
    expect(page.get_by_role("heading", level=1)).to_have_text(case.alias)
    assert "16 år" in case.alias
    expect(page.locator(".page-head .tag")).to_have_text("Aktualisering")
    expect(page.get_by_role("status").first).to_contain_text(
        f"Ärendet {case.alias} är registrerat."
    )

    page.get_by_role("link", name="Inled utredning").click()
    expect(page).to_have_url(f"{live_server.url}/arenden/{case.pk}/steg/investigation/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inled utredning")
    reason = "Polisens orosanmälan och skolans iakttagelser motiverar en utredning."
    page.get_by_label("Motivering").fill(reason)
    page.locator("main form").get_by_role("button", name="Inled utredning").click()

    expect(page).to_have_url(f"{live_server.url}/arenden/{case.pk}/")
    expect(page.locator(".page-head .tag")).to_have_text("Utredning")
    expect(page.get_by_role("status").first).to_contain_text("Ärendet är nu i steget ”Utredning”.")
    entry = page.locator("ol.timeline > li").filter(has_text=reason)
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Aktualisering → Utredning")
    expect(entry).to_contain_text(unit_a.coordinator.get_full_name())
    expect(
        page.locator("ol.timeline > li").filter(has_text="Aktualisering registrerad.")
    ).to_have_count(1)

    case.refresh_from_db()
    assert case.state == State.INVESTIGATION
    assert case.transitions.last().reason == reason


def test_invalid_personnummer_shows_error_summary_and_field_error_and_keeps_input(
    page: Page, unit_a, login_as
):
    valid = make_number(date(2009, 3, 14))
    invalid = f"{valid[:8]}-{valid[8:11]}{(int(valid[11]) + 1) % 10}"  # wrong check digit

    login_as(unit_a.coordinator)
    page.locator("main").get_by_role("link", name="Registrera aktualisering").click()
    page.get_by_label("Ja, personuppgifter registreras nu").check()
    page.locator("#id_person-first_name").fill("Testa")
    page.locator("#id_person-last_name").fill("Personsson")
    page.locator("#id_person-number").fill(invalid)
    page.get_by_label("Aktualiserad av").select_option(label="Polisen")
    register_button(page).click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("heading")).to_have_text("Det finns fel i formuläret")
    link = summary.locator('a[href="#id_person-number"]')
    expect(link).to_have_count(1)
    expect(link).to_contain_text("Person- eller samordningsnummer")
    expect(summary.locator("li")).to_have_count(1)

    field = page.locator(".field--error").filter(has=page.locator("#id_person-number"))
    expect(field).to_have_count(1)
    field_error = field.locator("#id_person-number_error")
    expect(field_error).to_be_visible()
    message = link.inner_text().split(":", 1)[1].strip()
    assert message
    expect(field_error).to_contain_text(message)

    # What the user typed is kept, and the identified branch stays selected.
    expect(page.get_by_label("Ja, personuppgifter registreras nu")).to_be_checked()
    expect(page.locator("#id_person-first_name")).to_have_value("Testa")
    expect(page.locator("#id_person-last_name")).to_have_value("Personsson")
    expect(page.locator("#id_person-number")).to_have_value(invalid)
    expect(page.get_by_label("Aktualiserad av")).to_have_value("police")

    # The summary link takes the keyboard to the field.
    link.click()
    expect(page.locator("#id_person-number")).to_be_focused()
    assert not Case.objects.exists()


def test_other_units_coordinator_gets_404_for_the_case_page(
    page: Page, live_server, unit_a, unit_b, login_as
):
    case = unit_a.case(age=16)
    login_as(unit_b.coordinator)

    for path in (f"/arenden/{case.pk}/", f"/arenden/{case.pk}/steg/investigation/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert response.status == 404, path
        body = page.locator("body")
        expect(body).not_to_contain_text(case.alias)
        expect(body).not_to_contain_text(case.number)
        expect(body).not_to_contain_text(unit_a.unit.name)

    case.refresh_from_db()
    assert case.state == State.INTAKE
