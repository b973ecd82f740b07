"""Placements and their costs: add, change, remove; days and cost within a period."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.casework import services_economy as services
from insats.casework.models import Placement
from tests.builders import consent, identified_case, police_member, school_member, school_user
from tests.conftest import FormReader

TODAY = timezone.localdate


@pytest.fixture
def case(unit_a):
    return identified_case(unit_a)


def form_values(response) -> dict:
    reader = FormReader()
    reader.feed(response.content.decode())
    return reader.values


def field_error(body: str, field: str) -> str:
    found = re.search(rf'id="id_{field}_error">(.*?)</p>', body, re.S)
    return found.group(1) if found else ""


def plain(body: str) -> str:
    return body.replace("\xa0", " ").replace("&nbsp;", " ")


def total_on(body: str) -> str:
    found = re.search(r'id="placement-total"><strong>(.*?)</strong>', plain(body))
    return found.group(1) if found else ""


def urls(case, placement=None) -> dict:
    result = {
        "list": reverse("placements", args=[case.pk]),
        "create": reverse("placement_create", args=[case.pk]),
    }
    if placement is not None:
        result |= {
            "edit": reverse("placement_edit", args=[case.pk, placement.pk]),
            "delete": reverse("placement_delete", args=[case.pk, placement.pk]),
        }
    return result


def data(**fields) -> dict:
    result = {
        "kind": Placement.Kind.HVB,
        "provider": "HVB Solgläntan",
        "starts_on": "2024-03-01",
        "ends_on": "2024-03-31",
        "daily_cost": "1500",
    }
    result.update(fields)
    return result


def place(world, case, starts_on, ends_on=None, cost="1500", provider="HVB Solgläntan"):
    return services.placement_save(
        case=case,
        by=world.coordinator,
        kind=Placement.Kind.HVB,
        provider=provider,
        starts_on=starts_on,
        ends_on=ends_on,
        daily_cost=Decimal(cost),
    )


# --- Adding, changing, removing ---------------------------------------------------------------


def test_staff_adds_a_placement(unit_a, case, login):
    client = login(unit_a.coordinator)
    assert client.get(urls(case)["create"]).status_code == 200
    response = client.post(urls(case)["create"], data(daily_cost="1 500,50", ends_on=""))
    assert response.status_code == 302
    assert response.url == urls(case)["list"]
    placement = Placement.objects.get(case=case)
    assert placement.ends_on is None  # open-ended
    assert placement.daily_cost == Decimal("1500.50")
    assert placement.recorded_by == unit_a.coordinator
    assert AccessLogEntry.objects.filter(
        object_type="economy", action="create", object_id=str(placement.pk)
    ).exists()
    body = client.get(urls(case)["list"] + "?from=2024-03-01&to=2024-03-10").content.decode()
    assert "HVB Solgläntan" in body and "pågår" in body
    assert total_on(body) == "15 005"  # 10 days × 1 500,50 kr


def test_validation_is_swedish_and_keeps_the_input(unit_a, case, login):
    client = login(unit_a.coordinator)
    response = client.post(
        urls(case)["create"], data(starts_on="2024-03-10", ends_on="2024-03-01", daily_cost="-1")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Slutdatumet kan inte vara före startdatumet." in field_error(body, "ends_on")
    assert "Dygnskostnaden kan inte vara negativ." in field_error(body, "daily_cost")
    assert "Det finns fel i formuläret" in body
    values = form_values(response)
    assert values["provider"] == ["HVB Solgläntan"]
    assert values["ends_on"] == ["2024-03-01"]
    assert values["daily_cost"] == ["-1"]

    response = client.post(urls(case)["create"], data(provider="", daily_cost="mycket"))
    body = response.content.decode()
    assert "Ange utförare." in field_error(body, "provider")
    assert "Ange ett belopp i kronor" in field_error(body, "daily_cost")
    assert not Placement.objects.exists()

    # A cost of zero is allowed (e.g. a placement paid by another authority).
    assert client.post(urls(case)["create"], data(daily_cost="0")).status_code == 302


def test_edit_and_delete_with_confirmation(unit_a, case, login):
    placement = place(unit_a, case, date(2024, 1, 1), date(2024, 1, 31))
    client = login(unit_a.investigator)
    listing = client.get(urls(case)["list"]).content.decode()
    assert urls(case, placement)["edit"] in listing and urls(case, placement)["delete"] in listing

    response = client.get(urls(case, placement)["edit"])
    assert form_values(response)["starts_on"] == ["2024-01-01"]
    assert form_values(response)["daily_cost"] == ["1500,00"]
    response = client.post(
        urls(case, placement)["edit"], data(starts_on="2024-01-01", ends_on="2024-01-10")
    )
    assert response.status_code == 302
    placement.refresh_from_db()
    assert placement.ends_on == date(2024, 1, 10)
    assert AccessLogEntry.objects.filter(
        object_type="economy", action="change", object_id=str(placement.pk)
    ).exists()

    response = client.get(urls(case, placement)["delete"])
    assert response.status_code == 200
    assert "Ta bort placeringen" in response.content.decode()
    assert Placement.objects.exists()  # only the confirmation
    response = client.post(urls(case, placement)["delete"])
    assert response.status_code == 302
    assert not Placement.objects.exists()
    assert AccessLogEntry.objects.filter(
        object_type="economy", action="change", detail__startswith="deleted placement"
    ).exists()
    assert client.get(urls(case, placement)["edit"]).status_code == 404


# --- Costs within a period --------------------------------------------------------------------


def test_cost_is_cut_to_the_period_at_both_ends(unit_a, case, login):
    long = place(unit_a, case, date(2024, 1, 1), date(2024, 12, 31), provider="SiS Långvik")
    before = place(unit_a, case, date(2024, 2, 20), date(2024, 3, 2), provider="HVB Före")
    after = place(unit_a, case, date(2024, 3, 9), None, provider="Stödboende Efter")
    outside = place(unit_a, case, date(2023, 1, 1), date(2023, 6, 30), provider="HVB Förr")
    start, end = date(2024, 3, 1), date(2024, 3, 10)
    assert [p.days_within(start, end) for p in (long, before, after, outside)] == [10, 2, 2, 0]
    rows, total = services.placement_costs([long, before, after, outside], start, end)
    assert rows[0].cost == Decimal("15000")
    assert total == Decimal("21000")  # (10 + 2 + 2) days × 1 500 kr

    client = login(unit_a.coordinator)
    body = client.get(urls(case)["list"], {"from": "2024-03-01", "to": "2024-03-10"})
    body = body.content.decode()
    assert total_on(body) == "21 000"
    assert "15 000" in plain(body)
    assert "Kostnader 2024-03-01 – 2024-03-10" in body

    # One placement alone, cut at both ends: 10 days in the period × 1 500 kr.
    for placement in (before, after, outside):
        placement.delete()
    body = client.get(urls(case)["list"], {"from": "2024-03-01", "to": "2024-03-10"})
    assert total_on(body.content.decode()) == "15 000"


def test_the_default_period_is_the_current_year(unit_a, case, login):
    year = TODAY().year
    place(unit_a, case, date(year - 1, 12, 22), date(year, 1, 10), cost="100")
    client = login(unit_a.coordinator)
    body = client.get(urls(case)["list"]).content.decode()
    assert f"Kostnader {year}-01-01 – {year}-12-31" in body
    assert total_on(body) == "1 000"  # 10 days of this year
    assert (
        "Kostnad för placeringar under"
        in client.get(reverse("economy", args=[case.pk])).content.decode()
    )


def test_a_wrong_period_is_explained_in_swedish(unit_a, case, login):
    client = login(unit_a.coordinator)
    response = client.get(urls(case)["list"], {"from": "2024-03-10", "to": "2024-03-01"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Slutdatumet kan inte vara före startdatumet." in field_error(body, "to")
    assert form_values(response)["from"] == ["2024-03-10"]
    response = client.get(urls(case)["list"], {"from": "igår"})
    assert "Ange ett giltigt datum" in field_error(response.content.decode(), "from")


# --- Who may see and do what ------------------------------------------------------------------


def test_partner_with_economy_reads_but_does_not_write(unit_a, case, login):
    police_member(unit_a, case)
    consent(unit_a, case, codes=("economy",))
    placement = place(unit_a, case, date(2024, 1, 1), date(2024, 1, 31))
    client = login(unit_a.partner)
    response = client.get(urls(case)["list"], {"from": "2024-01-01", "to": "2024-12-31"})
    assert response.status_code == 200
    body = response.content.decode()
    assert total_on(body) == "46 500"
    assert urls(case)["create"] not in body and urls(case, placement)["edit"] not in body
    for name in ("create", "edit", "delete"):
        assert client.get(urls(case, placement)[name]).status_code == 404, name
    assert client.post(urls(case)["create"], data()).status_code == 404
    assert client.post(urls(case, placement)["edit"], data(provider="X")).status_code == 404
    assert client.post(urls(case, placement)["delete"]).status_code == 404
    assert Placement.objects.get().provider == "HVB Solgläntan"


def test_partners_without_economy_and_other_units_get_404(unit_a, unit_b, case, login):
    police_member(unit_a, case)
    school_member(unit_a, case)
    consent(unit_a, case, organisations=[unit_a.police, unit_a.school], codes=("criminality",))
    placement = place(unit_a, case, date(2024, 1, 1))
    for user in (unit_a.partner, school_user(unit_a), unit_b.coordinator):
        client = login(user)
        for name in ("list", "create", "edit", "delete"):
            assert client.get(urls(case, placement)[name]).status_code == 404, (user, name)
        assert client.post(urls(case, placement)["delete"]).status_code == 404
    assert Placement.objects.count() == 1
    # A placement id under another case of the same unit is a plain 404.
    other = identified_case(unit_a)
    wrong = reverse("placement_edit", args=[other.pk, placement.pk])
    assert login(unit_a.coordinator).get(wrong).status_code == 404


def test_closed_case_is_read_only(unit_a, case, login):
    placement = place(unit_a, case, date(2024, 1, 1), date(2024, 1, 31))
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=unit_a.coordinator, reason="Avstår."
    )
    client = login(unit_a.coordinator)
    body = client.get(urls(case)["list"]).content.decode()
    assert urls(case)["create"] not in body and urls(case, placement)["delete"] not in body
    assert client.get(urls(case)["create"]).status_code == 404
    assert client.post(urls(case)["create"], data()).status_code == 404
    assert client.post(urls(case, placement)["delete"]).status_code == 404
    assert Placement.objects.count() == 1


def test_list_runs_a_fixed_number_of_queries(unit_a, case, login, django_assert_max_num_queries):
    place(unit_a, case, date(2024, 1, 1))
    client = login(unit_a.coordinator)
    client.get(urls(case)["list"])
    with CaptureQueriesContext(connection) as captured:
        assert client.get(urls(case)["list"]).status_code == 200
    few = len(captured)
    assert few <= 15
    for index in range(15):
        place(unit_a, case, date(2024, 1, 1) + timedelta(days=index * 10), provider=f"P {index}")
    with django_assert_max_num_queries(few):
        assert client.get(urls(case)["list"]).status_code == 200
