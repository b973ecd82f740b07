"""Consent in the browser: recorded for a 16-year-old with a guardian, seen by the police
member of the group, revoked, and then no longer seen — in the very next request."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from insats.consent import services as consent_services
from insats.people.models import Guardian

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def police_page(browser: Browser):
    """A second browser, so the police member and the coordinator work side by side."""
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_consent_gives_and_revocation_ends_the_police_members_access(
    page: Page, police_page: Page, live_server, unit_a, sign_in
):
    today = timezone.localdate()
    birth = today.replace(year=today.year - 16) - timedelta(days=30)
    person = unit_a.person(first="Sixten", last="Samtyckesson", birth=birth, serial=456)
    Guardian.objects.create(person=person, name="Greta Samtyckesson", relation="Mamma")
    case = unit_a.case(person=person)
    consent_services.member_add_user(
        case=case,
        by=unit_a.coordinator,
        user=unit_a.partner,
        organisation=unit_a.police,
        function="Kommunpolis",
    )
    case_url = f"{live_server.url}/arenden/{case.pk}/"

    # Before any consent the police member sees nothing of the case.
    sign_in(police_page, user=unit_a.partner)
    police_page.goto(f"{live_server.url}/arenden/")
    expect(police_page.locator("main")).not_to_contain_text(case.alias)

    # The coordinator records the consent: the 16-year-old and the guardian both consent.
    sign_in(page, user=unit_a.coordinator)
    page.goto(case_url)
    page.get_by_role("link", name="Registrera samtycke").click()
    expect(page.get_by_role("note")).to_contain_text("både den unge och vårdnadshavarna")
    expect(page.get_by_label("Polisen Alfa")).to_be_checked()
    page.get_by_label("Ort", exact=True).fill("Testköping")
    page.get_by_label("Den enskilde har samtyckt").check()
    page.get_by_label("Greta Samtyckesson").check()
    page.get_by_label("Handläggarens telefon").fill("010-123 45 67")
    page.get_by_role("button", name="Spara samtycke").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Samtycke")
    expect(page.locator(".page-head .tag")).to_have_text("Gällande")

    # The police member now sees the case, with the person, and why.
    police_page.goto(f"{live_server.url}/arenden/")
    expect(police_page.locator("main")).to_contain_text(case.alias)
    police_page.goto(case_url)
    expect(police_page.get_by_role("heading", level=1)).to_have_text(case.alias)
    expect(police_page.locator("main")).to_contain_text("Sixten Samtyckesson")
    expect(police_page.locator(".why-line")).to_contain_text("medlem i gruppen för Polisen Alfa")

    # The coordinator revokes it.
    page.get_by_role("link", name="Återkalla samtycket").click()
    page.get_by_label("Hur återkallades samtycket?").fill("Muntligt vid möte")
    page.locator("main form").get_by_role("button", name="Återkalla samtycket").click()
    expect(page.locator(".page-head .tag")).to_have_text("Återkallat")

    # The police member's next request shows nothing of the case.
    police_page.goto(case_url)
    expect(police_page.get_by_role("heading", level=1)).to_have_text("Sidan hittades inte")
    expect(police_page.locator("main")).not_to_contain_text("Sixten")
    police_page.goto(f"{live_server.url}/arenden/?q=Samtyckesson")
    expect(police_page.locator("main")).not_to_contain_text(case.alias)
    expect(police_page.locator(".result-count")).to_have_text("0 ärenden")
