"""The monthly preparation meeting in the browser: the coordinator puts two cases and a general
item on the agenda and writes the minutes item by item; the police attendee sees in full only
the item of the case whose consent covers the police, the other only de-identified."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from insats.meetings import services_groups as groups
from insats.meetings import services_meetings as meetings
from insats.meetings.models import AgendaItem, Group, Meeting, Task
from tests import builders
from tests.browser.conftest import TIMEOUT_MS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def add_item(page: Page, live_server, meeting, part: str, *, case=None, title: str) -> None:
    page.goto(f"{live_server.url}/moten/{meeting.pk}/dagordning/")
    link = page.locator(f"a[href*='del={part}']").first
    link.click()
    if case is not None:
        page.get_by_label("Ärende").select_option(str(case.pk))
    page.get_by_label("Rubrik").fill(title)
    page.locator("main form").get_by_role("button", name="Spara").click()
    expect(page).to_have_url(f"{live_server.url}/moten/{meeting.pk}/dagordning/")


def test_police_attendee_sees_only_the_item_their_consent_covers(
    page: Page, browser: Browser, live_server, unit_a, login_as, sign_in
):
    covered = builders.identified_case(unit_a)
    builders.police_member(unit_a, covered)
    builders.consent(unit_a, covered)
    uncovered = builders.identified_case(unit_a)  # no consent: the police may not see it
    group = groups.group_save(
        unit=unit_a.unit,
        by=unit_a.supervisor,
        kind=Group.Kind.PREPARATION,
        name="Beredningsgruppen",
        rhythm_days=30,
    )
    for user, organisation in (
        (unit_a.coordinator, unit_a.social),
        (unit_a.partner, unit_a.police),
    ):
        groups.member_add(group=group, by=unit_a.supervisor, organisation=organisation, user=user)
    starts = timezone.now() + timedelta(days=2)
    meeting = meetings.meeting_create(
        unit=unit_a.unit,
        by=unit_a.coordinator,
        kind=Meeting.Kind.PREPARATION,
        group=group,
        title="Beredningsgruppen",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="Mötesrummet",
        convener=unit_a.coordinator,
        invitees=[invitee for _key, invitee in meetings.default_invitees(group=group)],
    )

    # The coordinator builds the agenda and writes the minutes in meeting mode.
    login_as(unit_a.coordinator)
    add_item(page, live_server, meeting, "individual", case=covered, title="Uppföljning av planen")
    add_item(page, live_server, meeting, "individual", case=uncovered, title="Ny aktualisering")
    add_item(page, live_server, meeting, "general", title="Valborg i centrum")
    assert AgendaItem.objects.filter(meeting=meeting).count() == 3
    page.goto(f"{live_server.url}/moten/{meeting.pk}/motelage/?punkt=1")
    page.get_by_label("Protokoll").fill("Polisen har haft två samtal; fortsätter.")
    page.locator("[name='tasks-0-description']").fill("Boka nästa samtal")
    page.locator("[name='tasks-0-responsible']").select_option(str(unit_a.partner.pk))
    page.locator("[name='tasks-0-due_on']").fill("2099-01-31")
    page.locator("main form").get_by_role("button", name="Spara och gå till nästa punkt").click()
    page.get_by_label("Protokoll").fill("Skolan oroar sig; utredning inleds.")
    page.locator("main form").get_by_role("button", name="Spara", exact=True).click()
    expect(page.locator("main")).to_contain_text("Skolan oroar sig")
    assert Task.objects.get(responsible=unit_a.partner).description == "Boka nästa samtal"

    # The police attendee: the covered case in full, the other de-identified, no leak.
    police = browser.new_context(locale="sv-SE").new_page()
    police.set_default_timeout(TIMEOUT_MS)
    sign_in(police, unit_a.partner)
    police.goto(f"{live_server.url}/moten/{meeting.pk}/dagordning/")
    main = police.locator("main")
    expect(main).to_contain_text("Uppföljning av planen")
    expect(main).to_contain_text("Polisen har haft två samtal")
    expect(main).to_contain_text("Valborg i centrum")
    expect(main).to_contain_text("Ärende (avidentifierat)")
    html = police.content()
    for secret in (
        uncovered.alias,
        uncovered.person.full_name,
        "Ny aktualisering",
        "Skolan oroar sig",
    ):
        assert secret not in html, secret
    # Their task is on their start page.
    police.goto(f"{live_server.url}/")
    expect(police.locator("main")).to_contain_text("Boka nästa samtal")
