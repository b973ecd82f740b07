"""Collaboration deviations: reporting, who sees what, the handling steps and the overview."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.consent import services as consent_services
from insats.meetings import services_deviations as services
from insats.meetings.models import Deviation
from insats.organisations.models import Membership
from tests import builders
from tests.conftest import FormReader

Status = Deviation.Status
MAX_LIST = 14  # measured 12 with 3 and with 12 deviations; must not grow with the rows


def deviation(world, by=None, *, organisation=None, occurred_on=None, text="Kom inte", **fields):
    return services.deviation_report(
        by=by or world.coordinator,
        unit=world.unit,
        organisation=organisation or world.police,
        occurred_on=occurred_on or timezone.localdate(),
        what_happened=text,
        **fields,
    )


def form_values(response) -> dict[str, list[str]]:
    reader = FormReader()
    reader.feed(response.content.decode())
    # A browser drops the newline Django writes after <textarea>.
    return {name: [v.removeprefix("\n") for v in values] for name, values in reader.values.items()}


def log_entries(**filters):
    return AccessLogEntry.objects.filter(object_type="deviation", **filters)


# --- Reporting ----------------------------------------------------------------------------------


def test_partner_reports_and_sees_only_their_own(unit_a, login):
    by_staff = deviation(unit_a, text="Socialtjänstens egen rapport")
    client = login(unit_a.partner)
    page = client.get(reverse("deviation_create"))
    assert page.status_code == 200
    # One unit: it is chosen without asking.
    assert form_values(page)["unit"] == [str(unit_a.unit.pk)]
    response = client.post(
        reverse("deviation_create"),
        {
            "unit": unit_a.unit.pk,
            "organisation": unit_a.school.pk,
            "occurred_on": "2025-03-04",
            "what_happened": "Skolan kom inte till det bokade mötet.",
        },
    )
    own = Deviation.objects.get(reported_by=unit_a.partner)
    assert response.status_code == 302
    assert response.url == reverse("deviation_detail", args=[own.pk])
    assert (own.organisation, own.status, own.case) == (unit_a.school, Status.REPORTED, None)
    assert log_entries(action="create", object_id=str(own.pk), user=unit_a.partner).exists()

    listing = client.get(reverse("deviations"))
    assert listing.status_code == 200
    assert list(listing.context["rows"]) == [own]
    assert "Socialtjänstens egen rapport" not in listing.content.decode()
    assert client.get(reverse("deviation_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("deviation_detail", args=[by_staff.pk])).status_code == 404
    assert log_entries(action="denied", object_id=str(by_staff.pk)).exists()
    # The reporter does not handle, and sees no overview.
    assert client.get(reverse("deviation_handle", args=[own.pk])).status_code == 404
    assert client.get(reverse("deviation_overview")).status_code == 404


def test_staff_see_all_of_their_units_deviations(unit_a, unit_b, login):
    own = deviation(unit_a)
    partners = deviation(unit_a, by=unit_a.partner, organisation=unit_a.school)
    other_unit = deviation(unit_b)
    client = login(unit_a.investigator)
    listing = client.get(reverse("deviations"))
    assert set(listing.context["rows"]) == {own, partners}
    assert log_entries(action="search", unit_id=unit_a.unit.pk, user=unit_a.investigator).exists()
    detail = client.get(reverse("deviation_detail", args=[partners.pk]))
    assert detail.status_code == 200
    assert "Hantera" in detail.content.decode()
    assert log_entries(action="view", object_id=str(partners.pk)).exists()
    # Another unit's deviation is a 404 everywhere, and the attempt is logged.
    for name in ("deviation_detail", "deviation_handle"):
        assert client.get(reverse(name, args=[other_unit.pk])).status_code == 404
    response = client.post(
        reverse("deviation_handle", args=[other_unit.pk]),
        {"to_status": Status.ANALYSED, "analysis": "Försök"},
    )
    assert response.status_code == 404
    other_unit.refresh_from_db()
    assert other_unit.status == Status.REPORTED
    assert log_entries(action="denied", object_id=str(other_unit.pk)).count() == 3


def test_report_validation_is_swedish_and_keeps_the_input(unit_a, unit_b, login):
    client = login(unit_a.coordinator)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        reverse("deviation_create"),
        {
            "unit": unit_a.unit.pk,
            "organisation": unit_a.police.pk,
            "occurred_on": tomorrow.isoformat(),
            "what_happened": "Polisen hörde inte av sig.",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Datumet kan inte ligga i framtiden." in html
    values = form_values(response)
    assert values["what_happened"] == ["Polisen hörde inte av sig."]
    assert values["organisation"] == [str(unit_a.police.pk)]
    assert values["occurred_on"] == [tomorrow.isoformat()]

    response = client.post(
        reverse("deviation_create"),
        {"unit": unit_a.unit.pk, "organisation": unit_b.police.pk, "occurred_on": "2025-01-02"},
    )
    html = response.content.decode()
    assert "Beskriv vad som hände." in html
    assert "Välj ett giltigt alternativ" in html  # another unit's organisation is not offered
    assert form_values(response)["occurred_on"] == ["2025-01-02"]
    assert not Deviation.objects.exists()


def test_a_user_without_a_unit_cannot_report(unit_a, login):
    for user in (unit_a.leadership, unit_a.analyst):
        client = login(user)
        assert client.get(reverse("deviation_create")).status_code == 404
        assert client.get(reverse("deviations")).status_code == 404
    # A partner who has left the organisation no longer sees even their own reports.
    own = deviation(unit_a, by=unit_a.partner)
    Membership.objects.filter(user=unit_a.partner).update(active=False)
    client = login(unit_a.partner)
    assert client.get(reverse("deviations")).status_code == 404
    assert client.get(reverse("deviation_detail", args=[own.pk])).status_code == 404


def test_a_user_in_several_units_picks_the_unit(unit_a, unit_b, login):
    Membership.objects.create(
        user=unit_a.coordinator, organisation=unit_b.social, role="coordinator"
    )
    client = login(unit_a.coordinator)
    page = client.get(reverse("deviation_create"))
    assert '<select name="unit"' in page.content.decode()
    # An organisation of the other unit is refused.
    response = client.post(
        reverse("deviation_create"),
        {
            "unit": unit_b.unit.pk,
            "organisation": unit_a.police.pk,
            "occurred_on": "2025-01-02",
            "what_happened": "Ingen kom.",
        },
    )
    assert response.status_code == 200
    assert "Välj en organisation i den valda enheten." in response.content.decode()
    response = client.post(
        reverse("deviation_create"),
        {
            "unit": unit_b.unit.pk,
            "organisation": unit_b.police.pk,
            "occurred_on": "2025-01-02",
            "what_happened": "Ingen kom.",
        },
    )
    assert response.status_code == 302
    assert Deviation.objects.get().unit == unit_b.unit


# --- The case link ------------------------------------------------------------------------------


def test_case_link_only_to_cases_the_user_may_see(unit_a, unit_b, login):
    case = builders.identified_case(unit_a)
    hidden = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    consent = builders.consent(unit_a, case)
    client = login(unit_a.partner)
    page = client.get(reverse("deviation_create"))
    options = page.context["form"].fields["case"].queryset
    assert list(options) == [case]
    assert hidden.alias not in page.content.decode()
    data = {
        "unit": unit_a.unit.pk,
        "organisation": unit_a.school.pk,
        "occurred_on": "2025-03-04",
        "what_happened": "Skolan delade inte frånvaron.",
    }
    response = client.post(reverse("deviation_create"), {**data, "case": hidden.pk})
    assert response.status_code == 200
    assert "Välj ett giltigt alternativ" in response.content.decode()
    response = client.post(reverse("deviation_create"), {**data, "case": case.pk})
    assert response.status_code == 302
    own = Deviation.objects.get()
    assert own.case == case
    detail = client.get(reverse("deviation_detail", args=[own.pk]))
    assert case.alias in detail.content.decode()
    assert reverse("case_detail", args=[case.pk]) in detail.content.decode()

    # The consent is revoked: the partner still sees the report but no longer which case.
    consent_services.consent_revoke(
        consent=consent, by=unit_a.coordinator, revoked_on=timezone.localdate(), how="Brev"
    )
    for url in (reverse("deviation_detail", args=[own.pk]), reverse("deviations")):
        html = client.get(url).content.decode()
        assert "Kopplat till ett ärende" in html
        assert case.alias not in html
        assert reverse("case_detail", args=[case.pk]) not in html
    # The unit's staff see the case.
    html = login(unit_a.coordinator).get(reverse("deviation_detail", args=[own.pk])).content
    assert case.alias in html.decode()


def test_the_service_refuses_a_case_the_reporter_may_not_see(unit_a, unit_b):
    case = builders.identified_case(unit_b)
    with pytest.raises(ValidationError) as raised:
        deviation(unit_a, case=case)
    assert "case" in raised.value.message_dict


# --- Handling -----------------------------------------------------------------------------------


def test_handling_moves_step_by_step(unit_a, login):
    reported = deviation(unit_a, by=unit_a.partner, occurred_on=date(2025, 2, 1))
    client = login(unit_a.supervisor)
    url = reverse("deviation_handle", args=[reported.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert form_values(page)["to_status"] == [Status.ANALYSED]

    # Skipping the analysis is refused, and what was typed is kept.
    response = client.post(
        url, {"to_status": Status.DECIDED, "improvement": "Ny rutin för kallelser."}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ett steg kan inte hoppas över." in html
    assert form_values(response)["improvement"] == ["Ny rutin för kallelser."]
    reported.refresh_from_db()
    assert (reported.status, reported.improvement) == (Status.REPORTED, "")

    # The step's text is required.
    response = client.post(url, {"to_status": Status.ANALYSED, "analysis": "  "})
    assert response.status_code == 200
    assert "Skriv analysen av vad som hände och varför." in response.content.decode()

    steps = [
        (Status.ANALYSED, "analysis", "Kallelsen gick till fel adress."),
        (Status.DECIDED, "improvement", "Kallelser skickas till funktionsbrevlådan."),
        (Status.FOLLOWED_UP, "follow_up", "Fungerar sedan april."),
    ]
    for status, field, text in steps:
        response = client.post(url, {"to_status": status, field: text})
        assert response.status_code == 302, response.content.decode()
        reported.refresh_from_db()
        assert (reported.status, getattr(reported, field)) == (status, text)

    # Closing needs a date, not before the day it happened.
    response = client.post(url, {"to_status": Status.CLOSED, "closed_on": ""})
    assert "Ange när avvikelsen avslutades." in response.content.decode()
    response = client.post(url, {"to_status": Status.CLOSED, "closed_on": "2025-01-01"})
    assert "Avvikelsen kan inte avslutas före den dag det hände." in response.content.decode()
    assert form_values(response)["closed_on"] == ["2025-01-01"]
    response = client.post(url, {"to_status": Status.CLOSED, "closed_on": "2025-05-02"})
    assert response.status_code == 302
    reported.refresh_from_db()
    assert (reported.status, reported.closed_on) == (Status.CLOSED, date(2025, 5, 2))
    changes = log_entries(action="change", object_id=str(reported.pk)).order_by("pk")
    assert [entry.detail.split("->")[1] for entry in changes] == [
        Status.ANALYSED,
        Status.DECIDED,
        Status.FOLLOWED_UP,
        Status.CLOSED,
    ]

    # A closed deviation is handled no further.
    response = client.get(url)
    assert response.status_code == 302
    response = client.post(url, {"to_status": Status.CLOSED, "closed_on": "2025-05-03"})
    assert response.status_code == 302
    detail = client.get(reverse("deviation_detail", args=[reported.pk])).content.decode()
    assert "Fungerar sedan april." in detail
    assert url not in detail


def test_an_outdated_step_is_refused(unit_a, login):
    """Two handlers on the same step: the second sees that the deviation has moved on."""
    reported = deviation(unit_a)
    url = reverse("deviation_handle", args=[reported.pk])
    first = login(unit_a.coordinator)
    assert first.post(url, {"to_status": Status.ANALYSED, "analysis": "A"}).status_code == 302
    second = login(unit_a.supervisor)
    response = second.post(url, {"to_status": Status.ANALYSED, "analysis": "B"})
    assert response.status_code == 200
    assert "Ett steg kan inte hoppas över." in response.content.decode()
    reported.refresh_from_db()
    assert reported.analysis == "A"


# --- List filters and query counts ---------------------------------------------------------------


def test_list_filters_by_status_organisation_and_period(unit_a, login):
    march = deviation(unit_a, organisation=unit_a.police, occurred_on=date(2025, 3, 10))
    june = deviation(unit_a, organisation=unit_a.school, occurred_on=date(2025, 6, 1))
    services.deviation_advance(
        deviation=june, by=unit_a.coordinator, to_status=Status.ANALYSED, analysis="X"
    )
    client = login(unit_a.coordinator)

    def rows(**params):
        response = client.get(reverse("deviations"), params)
        assert response.status_code == 200
        return set(response.context["rows"])

    assert rows() == {march, june}
    assert rows(status=Status.ANALYSED) == {june}
    assert rows(organisation=unit_a.police.pk) == {march}
    assert rows(fran="2025-04-01") == {june}
    assert rows(till="2025-04-01") == {march}
    assert rows(fran="2025-01-01", till="2025-12-31", status=Status.REPORTED) == {march}
    response = client.get(reverse("deviations"), {"fran": "2025-05-01", "till": "2025-04-01"})
    assert "Slutdatumet kan inte vara före startdatumet." in response.content.decode()


def test_list_pages(unit_a, login, settings):
    settings.INSATS_PAGE_SIZE = 2
    for day in range(1, 6):
        deviation(unit_a, occurred_on=date(2025, 1, day))
    client = login(unit_a.coordinator)
    response = client.get(reverse("deviations"), {"status": Status.REPORTED, "sida": 3})
    assert [d.occurred_on for d in response.context["rows"]] == [date(2025, 1, 1)]
    assert "status=reported&amp;sida=2" in response.content.decode()


def _make_many(world, count: int, case):
    for i in range(count):
        deviation(
            world,
            by=world.partner if i % 2 else world.coordinator,
            organisation=world.school if i % 3 else world.police,
            occurred_on=date(2025, 1, 1) + timedelta(days=i),
            case=case if i % 4 < 2 else None,
        )


@pytest.mark.parametrize("who", ["coordinator", "partner"])
def test_list_runs_a_constant_number_of_queries(unit_a, login, who, django_assert_max_num_queries):
    case = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case)
    client = login(getattr(unit_a, who))
    _make_many(unit_a, 3, case)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("deviations")).status_code == 200
    _make_many(unit_a, 9, case)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("deviations"))
    assert len(response.context["rows"]) == (12 if who == "coordinator" else 5)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    with django_assert_max_num_queries(MAX_LIST):
        client.get(reverse("deviations"))


# --- Overview -----------------------------------------------------------------------------------


def test_period_bounds():
    assert services.period_bounds(2025, "t1") == (date(2025, 1, 1), date(2025, 4, 30))
    assert services.period_bounds(2025, "t2") == (date(2025, 5, 1), date(2025, 8, 31))
    assert services.period_bounds(2025, "t3") == (date(2025, 9, 1), date(2025, 12, 31))
    assert services.period_bounds(2024, "h1") == (date(2024, 1, 1), date(2024, 6, 30))
    assert services.period_bounds(2024, "h2") == (date(2024, 7, 1), date(2024, 12, 31))
    assert services.period_bounds(2024, "year") == (date(2024, 1, 1), date(2024, 12, 31))


def test_overview_counts_per_organisation_and_period(unit_a, unit_b, login):
    police, school = unit_a.police, unit_a.school
    deviation(unit_a, organisation=police, occurred_on=date(2025, 1, 15))
    deviation(unit_a, organisation=police, occurred_on=date(2025, 4, 30))
    analysed = deviation(unit_a, organisation=school, occurred_on=date(2025, 2, 1))
    services.deviation_advance(
        deviation=analysed, by=unit_a.coordinator, to_status=Status.ANALYSED, analysis="X"
    )
    deviation(unit_a, organisation=school, occurred_on=date(2025, 5, 1))  # tertial 2
    deviation(unit_a, organisation=police, occurred_on=date(2024, 3, 1))  # another year
    deviation(unit_b, occurred_on=date(2025, 2, 1))  # another unit
    client = login(unit_a.supervisor)

    def table(**params):
        response = client.get(reverse("deviation_overview"), params)
        assert response.status_code == 200
        return {
            (str(row.organisation) if row.organisation else "total"): (row.counts, row.total)
            for row in response.context["rows"]
        }

    #          reported, analysed, decided, followed up, closed
    assert table(year=2025, period="t1") == {
        police.name: ([2, 0, 0, 0, 0], 2),
        school.name: ([0, 1, 0, 0, 0], 1),
        "total": ([2, 1, 0, 0, 0], 3),
    }
    assert table(year=2025, period="t2") == {
        school.name: ([1, 0, 0, 0, 0], 1),
        "total": ([1, 0, 0, 0, 0], 1),
    }
    assert table(year=2025, period="year")["total"] == ([3, 1, 0, 0, 0], 4)
    assert table(year=2024, period="h1") == {
        police.name: ([1, 0, 0, 0, 0], 1),
        "total": ([1, 0, 0, 0, 0], 1),
    }
    assert table(year=2023, period="year") == {"total": ([0, 0, 0, 0, 0], 0)}
    # The default is this year; nothing personal is shown.
    response = client.get(reverse("deviation_overview"))
    assert response.context["start"] == date(timezone.localdate().year, 1, 1)
    assert "Kom inte" not in response.content.decode()
    response = client.get(reverse("deviation_overview"), {"year": "x", "period": "t9"})
    assert response.status_code == 200
    assert response.context["rows"] is None
    assert "Ange ett årtal." in response.content.decode()
    # Another unit's staff may not pick this unit.
    response = login(unit_b.supervisor).get(
        reverse("deviation_overview"), {"unit": unit_a.unit.pk, "year": 2025, "period": "t1"}
    )
    assert response.context["rows"] is None
