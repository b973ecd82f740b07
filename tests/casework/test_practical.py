"""Praktiska frågor: the unit's checklist for a case, saved in one form, staff only."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.casework.models import CasePracticalMatter
from insats.organisations.models import PracticalMatter
from tests.builders import consent, identified_case, police_member, school_member, school_user
from tests.conftest import FormReader

TODAY = timezone.localdate


@pytest.fixture
def case(unit_a):
    return identified_case(unit_a)


def url(case) -> str:
    return reverse("practical", args=[case.pk])


def matters(world) -> list[PracticalMatter]:
    return list(
        PracticalMatter.objects.filter(unit=world.unit, active=True).order_by("position", "label")
    )


def form_values(response) -> dict:
    reader = FormReader()
    reader.feed(response.content.decode())
    return reader.values


def post_data(world, rows: dict | None = None, *, page=None) -> dict:
    """Every row of the checklist; `rows` maps a row index to its done/done_on/note. `page`:
    the checklist page the form was read from (its hidden stamps of what was saved)."""
    items = matters(world)
    shown = form_values(page) if page is not None else {}
    data = {
        "fragor-TOTAL_FORMS": str(len(items)),
        "fragor-INITIAL_FORMS": str(len(items)),
        "fragor-MIN_NUM_FORMS": "0",
        "fragor-MAX_NUM_FORMS": "1000",
    }
    for index, matter in enumerate(items):
        row = (rows or {}).get(index, {})
        data[f"fragor-{index}-matter"] = str(matter.pk)
        data[f"fragor-{index}-done_on"] = row.get("done_on", "")
        data[f"fragor-{index}-note"] = row.get("note", "")
        if shown:
            data[f"fragor-{index}-seen"] = shown[f"fragor-{index}-seen"][0]
        if row.get("done"):
            data[f"fragor-{index}-done"] = "on"
    return data


def other_client(user) -> Client:
    """A second browser, logged in as another user."""
    client = Client()
    client.force_login(user)
    return client


def field_error(body: str, field: str) -> str:
    found = re.search(rf'id="id_{field}_error">(.*?)</p>', body, re.S)
    return found.group(1) if found else ""


def test_staff_sees_the_units_list_as_a_checklist(unit_a, case, login):
    response = login(unit_a.coordinator).get(url(case))
    assert response.status_code == 200
    body = response.content.decode()
    for matter in matters(unit_a):
        assert f"<legend>{matter.label}</legend>" in body
    assert "0 av 5 lösta" in body
    assert AccessLogEntry.objects.filter(
        object_type="practical", action="view", case_id=case.pk
    ).exists()


def test_one_form_saves_every_row(unit_a, case, login):
    client = login(unit_a.coordinator)
    yesterday = (TODAY() - timedelta(days=1)).isoformat()
    data = post_data(
        unit_a,
        {
            0: {"done": True, "done_on": yesterday, "note": "Pass beställt"},
            1: {"done": True, "done_on": TODAY().isoformat()},
            2: {"note": "Väntar på Skatteverket"},
        },
    )
    response = client.post(url(case), data)
    assert response.status_code == 302
    assert response.url == url(case)

    items = matters(unit_a)
    saved = {r.matter_id: r for r in CasePracticalMatter.objects.filter(case=case)}
    assert set(saved) == {items[0].pk, items[1].pk, items[2].pk}  # untouched rows: none
    assert saved[items[0].pk].done_on.isoformat() == yesterday
    assert saved[items[0].pk].note == "Pass beställt"
    assert saved[items[2].pk].done_on is None
    assert saved[items[2].pk].updated_by == unit_a.coordinator
    assert AccessLogEntry.objects.filter(
        object_type="practical", action="change", case_id=case.pk
    ).exists()

    page = client.get(url(case))
    body = page.content.decode()
    assert "2 av 5 lösta" in body
    assert "De praktiska frågorna är sparade." in body
    values = form_values(page)
    assert values["fragor-0-done"] == ["on"]
    assert values["fragor-0-done_on"] == [yesterday]
    assert values["fragor-2-note"] == ["Väntar på Skatteverket"]

    # Unticking an item clears its date; the row stays with its note.
    data = post_data(
        unit_a,
        {
            0: {"note": "Pass borttappat igen"},
            1: {"done": True, "done_on": TODAY().isoformat()},
            2: {"done": True, "done_on": TODAY().isoformat(), "note": "Klart"},
            3: {"done": True, "done_on": TODAY().isoformat()},
        },
        page=page,
    )
    assert client.post(url(case), data).status_code == 302
    saved = {r.matter_id: r for r in CasePracticalMatter.objects.filter(case=case)}
    assert saved[items[0].pk].done_on is None
    assert saved[items[0].pk].note == "Pass borttappat igen"
    assert CasePracticalMatter.objects.filter(case=case).count() == 4
    assert "3 av 5 lösta" in client.get(url(case)).content.decode()


def test_two_users_changing_different_rows_both_keep_their_changes(unit_a, case, login):
    first, second = login(unit_a.coordinator), other_client(unit_a.investigator)
    page, other_page = first.get(url(case)), second.get(url(case))
    today = TODAY().isoformat()
    data = post_data(unit_a, {0: {"done": True, "done_on": today, "note": "Lotsen"}}, page=page)
    assert first.post(url(case), data).status_code == 302
    # The investigator's form still shows row 0 as unsolved, but they did not change it.
    data = post_data(unit_a, {1: {"note": "Utredaren"}}, page=other_page)
    assert second.post(url(case), data).status_code == 302
    saved = {r.matter.position: r for r in CasePracticalMatter.objects.select_related("matter")}
    items = matters(unit_a)
    assert saved[items[0].position].note == "Lotsen"
    assert saved[items[0].position].done_on == TODAY()
    assert saved[items[1].position].note == "Utredaren"


def test_conflicting_changes_of_one_row_are_not_lost(unit_a, case, login):
    first, second = login(unit_a.coordinator), other_client(unit_a.investigator)
    page, other_page = first.get(url(case)), second.get(url(case))
    today = TODAY().isoformat()
    data = post_data(unit_a, {0: {"done": True, "done_on": today, "note": "Pass klart"}}, page=page)
    assert first.post(url(case), data).status_code == 302

    data = post_data(unit_a, {0: {"note": "Pass ej beställt"}}, page=other_page)
    response = second.post(url(case), data)
    assert response.status_code == 200
    body = response.content.decode()
    label = matters(unit_a)[0].label
    assert f"Någon annan har ändrat {label} medan du skrev." in body
    assert "Sparat: löst" in body and "Pass klart" in body  # what is saved now
    values = form_values(response)
    assert values["fragor-0-note"] == ["Pass ej beställt"]  # what the user typed stays
    record = CasePracticalMatter.objects.get()
    assert record.note == "Pass klart" and record.updated_by == unit_a.coordinator

    # Saving again after comparing is no longer a conflict.
    resubmit = {name: values[name][0] for name in values if name != "csrfmiddlewaretoken"}
    assert second.post(url(case), resubmit).status_code == 302
    record.refresh_from_db()
    assert record.note == "Pass ej beställt" and record.done_on is None


def test_validation_is_swedish_and_keeps_the_input(unit_a, case, login):
    client = login(unit_a.investigator)
    future = (TODAY() + timedelta(days=3)).isoformat()
    data = post_data(
        unit_a,
        {
            0: {"done": True, "note": "Ansökan inskickad"},
            1: {"done_on": TODAY().isoformat()},
            2: {"done": True, "done_on": future},
            3: {"done": True, "done_on": "14/3"},
        },
    )
    response = client.post(url(case), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ange datum då frågan löstes." in field_error(body, "fragor-0-done_on")
    assert "Kryssa i att frågan är löst, eller ta bort datumet." in field_error(
        body, "fragor-1-done"
    )
    assert "Datumet kan inte ligga i framtiden." in field_error(body, "fragor-2-done_on")
    assert "Ange ett giltigt datum" in field_error(body, "fragor-3-done_on")
    first = matters(unit_a)[0].label
    assert f"{first}, Datum då frågan löstes" in body  # the error summary names the row
    values = form_values(response)
    assert values["fragor-0-note"] == ["Ansökan inskickad"]
    assert values["fragor-0-done"] == ["on"]
    assert values["fragor-2-done_on"] == [future]
    assert values["fragor-3-done_on"] == ["14/3"]
    assert not CasePracticalMatter.objects.exists()


def test_a_changed_list_is_noticed(unit_a, case, login):
    client = login(unit_a.coordinator)
    data = post_data(unit_a, {0: {"done": True, "done_on": TODAY().isoformat()}})
    PracticalMatter.objects.filter(pk=matters(unit_a)[1].pk).update(active=False)
    response = client.post(url(case), data)
    assert response.status_code == 200
    assert "har ändrats medan du skrev" in response.content.decode()
    assert not CasePracticalMatter.objects.exists()


def test_partners_get_404(unit_a, case, login):
    police_member(unit_a, case)
    school_member(unit_a, case)
    consent(
        unit_a,
        case,
        organisations=[unit_a.police, unit_a.school],
        codes=("criminality", "economy", "health", "family", "housing"),
    )
    for user in (unit_a.partner, school_user(unit_a)):
        client = login(user)
        assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200
        assert client.get(url(case)).status_code == 404
        data = post_data(unit_a, {0: {"done": True, "done_on": TODAY().isoformat()}})
        assert client.post(url(case), data).status_code == 404
    assert not CasePracticalMatter.objects.exists()
    assert AccessLogEntry.objects.filter(
        object_type="practical", action="denied", user=unit_a.partner
    ).exists()


def test_other_units_staff_get_404(unit_a, unit_b, case, login):
    client = login(unit_b.coordinator)
    assert client.get(url(case)).status_code == 404
    data = post_data(unit_a, {0: {"done": True, "done_on": TODAY().isoformat()}})
    assert client.post(url(case), data).status_code == 404
    assert not CasePracticalMatter.objects.exists()


def test_closed_case_is_read_only(unit_a, case, login):
    client = login(unit_a.coordinator)
    data = post_data(unit_a, {0: {"done": True, "done_on": TODAY().isoformat(), "note": "Klart"}})
    assert client.post(url(case), data).status_code == 302
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=unit_a.coordinator, reason="Avstår."
    )
    response = client.get(url(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 av 5 lösta" in body and "Klart" in body
    assert '<form method="post" novalidate' not in body
    assert "Ärendet är avslutat" in body
    data = post_data(unit_a, {1: {"done": True, "done_on": TODAY().isoformat()}})
    assert client.post(url(case), data).status_code == 404
    assert CasePracticalMatter.objects.count() == 1


def test_page_runs_a_fixed_number_of_queries(unit_a, case, login, django_assert_max_num_queries):
    client = login(unit_a.coordinator)
    client.get(url(case))  # warm the caches of the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(case)).status_code == 200
    few = len(few)  # the log is reset by the next request
    assert few <= 15
    for position in range(20):
        PracticalMatter.objects.create(
            unit=unit_a.unit, code=f"extra-{position}", label=f"Extra {position}", position=50
        )
    data = post_data(unit_a, {i: {"done": True, "done_on": TODAY().isoformat()} for i in range(25)})
    assert client.post(url(case), data).status_code == 302
    with django_assert_max_num_queries(few):
        response = client.get(url(case))
    assert "25 av 25 lösta" in response.content.decode()
