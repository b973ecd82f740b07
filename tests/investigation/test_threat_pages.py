"""Threat assessment pages (hotbildsbedömning, bilaga 3.3): staff write, versions, the rules of
a complete assessment, and who may read it."""

import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.consent import services as consent_services
from insats.investigation import services as inv
from insats.investigation.models import ThreatAssessment, ThreatLevel, ThreatMeasure
from tests.builders import (
    complete_threat,
    consent,
    identified_case,
    police_member,
    school_member,
    school_user,
)
from tests.conftest import FormReader

TODAY = timezone.localdate


def form_values(response) -> dict:
    reader = FormReader()
    reader.feed(response.content.decode())
    # A browser drops the newline that starts a textarea's content.
    return {name: [v.removeprefix("\n") for v in values] for name, values in reader.values.items()}


def post_data(world, *, rows=(), extra_rows=2, **fields) -> dict:
    """A complete, valid threat assessment form; a field given as None is left out."""
    today = TODAY()
    data = {
        "assessed_on": today.isoformat(),
        "source_person": "on",
        "source_other": "",
        "level": ThreatLevel.LOW,
        "description": "Hot från tidigare kamrater i gänget efter ett bråk i centrum.",
        "security_officer": "",
        "supervisor_informed": str(world.supervisor.pk),
        "supervisor_informed_on": today.isoformat(),
        "completed": "on",
    }
    for key, value in fields.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    rows = list(rows) + [{}] * extra_rows
    data.update(
        {
            "measures-TOTAL_FORMS": str(len(rows)),
            "measures-INITIAL_FORMS": "0",
            "measures-MIN_NUM_FORMS": "0",
            "measures-MAX_NUM_FORMS": "1000",
        }
    )
    for index, row in enumerate(rows):
        for key in ("description", "responsible", "organisation", "due_on", "done_on"):
            data[f"measures-{index}-{key}"] = row.get(key, "")
    return data


def measure(world, **fields) -> dict:
    row = {
        "description": "Skyddat boende ordnas",
        "responsible": "Lotta Lotsdotter",
        "organisation": str(world.police.pk),
        "due_on": (TODAY() + timedelta(days=10)).isoformat(),
        "done_on": "",
    }
    row.update(fields)
    return row


def field_error(body: str, field: str) -> str:
    """The error message shown at a field (the field template's error paragraph)."""
    found = re.search(rf'id="id_{field}_error">(.*?)</p>', body, re.S)
    return found.group(1) if found else ""


@pytest.fixture
def case(unit_a):
    return identified_case(unit_a)


@pytest.fixture
def partner_case(unit_a, case):
    """The police partner is in the group and a consent covering criminality is in force."""
    police_member(unit_a, case)
    consent(unit_a, case, codes=("criminality",))
    return case


def urls(case, record=None) -> dict:
    result = {
        "list": reverse("threat_list", args=[case.pk]),
        "create": reverse("threat_create", args=[case.pk]),
    }
    if record is not None:
        result |= {
            "detail": reverse("threat_detail", args=[case.pk, record.pk]),
            "edit": reverse("threat_edit", args=[case.pk, record.pk]),
            "pdf": reverse("threat_pdf", args=[case.pk, record.pk]),
        }
    return result


# --- Staff write ------------------------------------------------------------------------------


def test_staff_creates_a_threat_assessment(unit_a, case, login):
    client = login(unit_a.coordinator)
    response = client.get(urls(case)["create"])
    assert response.status_code == 200
    body = response.content.decode()
    assert "Samtal med den enskilde" in body and "Bedömningen är klar" in body
    assert f'value="{unit_a.supervisor.pk}"' in body  # the unit's supervisors to choose from
    assert form_values(response)["assessed_on"] == [TODAY().isoformat()]

    data = post_data(unit_a, rows=[measure(unit_a)], source_police="on", source_other="Skolan")
    response = client.post(urls(case)["create"], data)

    record = ThreatAssessment.objects.get(case=case)
    assert response.status_code == 302
    assert response.url == reverse("threat_detail", args=[case.pk, record.pk])
    assert record.completed and record.version == 1
    assert record.supervisor_informed == unit_a.supervisor
    assert record.sources == ["samtal med den enskilde", "polisen", "Skolan"]
    assert [m.description for m in record.measures.all()] == ["Skyddat boende ordnas"]
    assert AccessLogEntry.objects.filter(
        object_type="threat", action="create", case_id=case.pk, object_id=str(record.pk)
    ).exists()

    detail = client.get(response.url).content.decode()
    assert "Skyddat boende ordnas" in detail
    assert "Hotbildsbedömningen är sparad." in detail
    listing = client.get(urls(case)["list"]).content.decode()
    assert "Klar" in listing and unit_a.supervisor.get_full_name() in listing


def test_blank_measure_rows_are_ignored_and_partly_filled_rows_are_refused(unit_a, case, login):
    client = login(unit_a.investigator)
    partial = {"description": "Hemligt telefonnummer"}
    response = client.post(urls(case)["create"], post_data(unit_a, rows=[partial], completed=None))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ange vem som ansvarar för åtgärden." in field_error(body, "measures-0-responsible")
    assert "Ange när åtgärden ska vara klar." in field_error(body, "measures-0-due_on")
    assert "Åtgärd 1, Ansvarig" in body  # the error summary names the row
    assert form_values(response)["measures-0-description"] == ["Hemligt telefonnummer"]
    assert not ThreatAssessment.objects.exists()

    response = client.post(urls(case)["create"], post_data(unit_a, completed=None, extra_rows=3))
    assert response.status_code == 302
    assert not ThreatMeasure.objects.exists()


def test_complete_is_refused_until_the_supervisor_is_informed(unit_a, case, login):
    client = login(unit_a.coordinator)
    data = post_data(
        unit_a,
        rows=[measure(unit_a, description="Kontakt med personsäkerhetshandläggare")],
        supervisor_informed="",
        supervisor_informed_on="",
        description="Hotad via sociala medier.",
    )
    response = client.post(urls(case)["create"], data)

    assert response.status_code == 200
    body = response.content.decode()
    message = "Bedömningen kan inte markeras som klar förrän arbetsledaren är informerad"
    assert message in field_error(body, "completed")  # next to the checkbox
    assert message in body.split('class="form"')[0]  # and in the error summary above the form
    values = form_values(response)
    assert values["description"] == ["Hotad via sociala medier."]
    assert values["completed"] == ["on"]
    assert values["measures-0-description"] == ["Kontakt med personsäkerhetshandläggare"]
    assert values["measures-0-organisation"] == [str(unit_a.police.pk)]
    assert not ThreatAssessment.objects.exists()

    # Without "klar" the same assessment is saved as a draft.
    data.pop("completed")
    assert client.post(urls(case)["create"], data).status_code == 302
    record = ThreatAssessment.objects.get()
    assert not record.completed
    assert "Utkast" in client.get(urls(case)["list"]).content.decode()


def test_high_threat_without_measures_cannot_be_completed(unit_a, case, login):
    client = login(unit_a.coordinator)
    data = post_data(unit_a, level=ThreatLevel.HIGH, description="Konkreta hot om våld.")
    response = client.post(urls(case)["create"], data)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Vid hög hotbild ska åtgärder beslutas tillsammans med polisen" in body
    assert 'id="measures_error"' in body  # shown at the measures
    assert form_values(response)["level"] == [ThreatLevel.HIGH]
    assert not ThreatAssessment.objects.exists()

    data = post_data(unit_a, rows=[measure(unit_a)], level=ThreatLevel.HIGH)
    assert client.post(urls(case)["create"], data).status_code == 302
    assert ThreatAssessment.objects.get().level == ThreatLevel.HIGH


def test_invalid_input_is_explained_in_swedish(unit_a, case, login):
    client = login(unit_a.coordinator)
    data = post_data(
        unit_a,
        level=None,
        description="",
        assessed_on=(TODAY() + timedelta(days=3)).isoformat(),
        completed=None,
    )
    response = client.post(urls(case)["create"], data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Välj bedömd hotbild." in body
    assert "Beskriv hotbilden och vad bedömningen grundar sig på." in body
    assert not ThreatAssessment.objects.exists()

    data = post_data(unit_a, assessed_on=(TODAY() + timedelta(days=3)).isoformat(), completed=None)
    body = client.post(urls(case)["create"], data).content.decode()
    assert "Datumet kan inte ligga i framtiden." in field_error(body, "assessed_on")


# --- Versions -----------------------------------------------------------------------------------


def test_edit_saves_a_new_version_and_the_old_one_stays_readable(unit_a, case, login):
    first = complete_threat(unit_a, case)
    client = login(unit_a.investigator)
    response = client.get(urls(case, first)["edit"])
    assert response.status_code == 200
    values = form_values(response)
    assert values["level"] == [ThreatLevel.LOW]
    assert values["supervisor_informed"] == [str(unit_a.supervisor.pk)]
    assert values["measures-0-description"] == ["Ny telefon och hemligt nummer"]
    assert values["measures-TOTAL_FORMS"] == ["3"]  # the measure plus two blank rows

    values["level"] = [ThreatLevel.MODERATE]
    values["description"] = ["Nya uppgifter från polisen om hot."]
    response = client.post(urls(case, first)["edit"], values)

    second = ThreatAssessment.objects.get(series=first.series, superseded_at__isnull=True)
    assert response.status_code == 302
    assert second.version == 2 and second.level == ThreatLevel.MODERATE
    assert [m.description for m in second.measures.all()] == ["Ny telefon och hemligt nummer"]
    first.refresh_from_db()
    assert first.superseded_at is not None
    assert AccessLogEntry.objects.filter(object_type="threat", action="change").exists()

    old = client.get(urls(case, second)["detail"] + f"?version={first.pk}")
    assert old.status_code == 200
    body = old.content.decode()
    assert "Du läser version 1" in body and "Inga kända hot mot personen." in body
    # The list shows the current version only.
    listing = client.get(urls(case)["list"]).content.decode()
    assert listing.count(reverse("threat_detail", args=[case.pk, second.pk])) == 1
    assert reverse("threat_detail", args=[case.pk, first.pk]) not in listing


def test_a_measure_can_be_removed_in_the_next_version(unit_a, case, login):
    first = complete_threat(unit_a, case)
    client = login(unit_a.coordinator)
    response = client.get(urls(case, first)["edit"])
    values = form_values(response)
    assert 'name="measures-1-DELETE"' not in response.content.decode()  # blank rows: none
    values["measures-0-DELETE"] = ["on"]
    values.pop("completed")
    assert client.post(urls(case, first)["edit"], values).status_code == 302
    second = ThreatAssessment.objects.get(version=2)
    assert not second.measures.exists()
    assert first.measures.count() == 1  # the earlier version keeps its measure


def test_an_old_edit_link_leads_to_the_current_version(unit_a, case, login):
    first = complete_threat(unit_a, case)
    second = inv.threat_save(
        case=case,
        by=unit_a.coordinator,
        assessed_on=TODAY(),
        level=ThreatLevel.LOW,
        description="Oförändrat.",
        measures=[],
        previous=first,
    )
    response = login(unit_a.coordinator).get(urls(case, first)["edit"])
    assert response.status_code == 302
    assert response.url == urls(case, second)["edit"]


def test_two_edits_of_the_same_version_conflict(unit_a, case, login):
    first = complete_threat(unit_a, case)
    mine = login(unit_a.coordinator)
    values = form_values(mine.get(urls(case, first)["edit"]))
    # Someone else saves first.
    inv.threat_save(
        case=case,
        by=unit_a.investigator,
        assessed_on=TODAY(),
        level=ThreatLevel.MODERATE,
        description="Utredarens version.",
        measures=[],
        previous=first,
    )
    values["description"] = ["Min ändring som inte får försvinna."]
    response = mine.post(urls(case, first)["edit"], values)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Någon annan har sparat en nyare version (version 2" in body
    assert form_values(response)["description"] == ["Min ändring som inte får försvinna."]
    assert ThreatAssessment.objects.filter(series=first.series).count() == 2


def test_a_version_of_another_series_or_case_is_not_found(unit_a, case, login):
    record = complete_threat(unit_a, case)
    other_case = identified_case(unit_a)
    other = complete_threat(unit_a, other_case)
    client = login(unit_a.coordinator)
    assert client.get(urls(case, record)["detail"] + f"?version={other.pk}").status_code == 404
    assert client.get(urls(case, record)["detail"] + "?version=x").status_code == 404
    wrong = reverse("threat_detail", args=[case.pk, other.pk])
    assert client.get(wrong).status_code == 404
    assert client.get(reverse("threat_edit", args=[case.pk, other.pk])).status_code == 404


# --- Lists, marks, PDF ------------------------------------------------------------------------


def test_list_shows_levels_open_and_overdue_measures(unit_a, case, login):
    client = login(unit_a.coordinator)
    assert "Ingen hotbildsbedömning är gjord" in client.get(urls(case)["list"]).content.decode()
    today = TODAY()
    record = inv.threat_save(
        case=case,
        by=unit_a.coordinator,
        assessed_on=today,
        level=ThreatLevel.HIGH,
        description="Allvarliga hot.",
        source_police=True,
        measures=[
            {
                "description": "Larmpaket",
                "responsible": "Polisen",
                "due_on": today - timedelta(days=2),
            },
            {
                "description": "Flytt",
                "responsible": "Lotsen",
                "due_on": today + timedelta(days=5),
            },
            {
                "description": "Samtal",
                "responsible": "Lotsen",
                "due_on": today - timedelta(days=9),
                "done_on": today - timedelta(days=8),
            },
        ],
    )
    listing = client.get(urls(case)["list"]).content.decode()
    assert "tag--threat-high tag--high" in listing
    row = listing.split(reverse("threat_detail", args=[case.pk, record.pk]))[1]
    assert re.search(r"<td>2 <span class=\"tag tag--warning tag--overdue\">1 försenad", row)

    detail = client.get(urls(case, record)["detail"]).content.decode()
    assert detail.count("tag--overdue") == 1
    assert detail.count('<tr class="overdue">') == 1
    assert "Hög hotbild: åtgärder ska beslutas tillsammans med polisen." in detail


def test_pdf_prints_the_assessment(unit_a, case, login):
    record = complete_threat(unit_a, case, level=ThreatLevel.HIGH)
    response = login(unit_a.coordinator).get(urls(case, record)["pdf"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = PdfReader(BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Hotbildsbedömning" in text
    assert case.person.full_name in text
    assert "HÖG" in text
    assert "Ny telefon och hemligt nummer" in text
    assert AccessLogEntry.objects.filter(
        object_type="threat", action="print", case_id=case.pk
    ).exists()


def test_pages_run_a_fixed_number_of_queries(unit_a, case, login):
    client = login(unit_a.coordinator)

    def add(count, measures):
        last = None
        for _ in range(count):
            last = inv.threat_save(
                case=case,
                by=unit_a.coordinator,
                assessed_on=TODAY(),
                level=ThreatLevel.MODERATE,
                description="Hot.",
                supervisor_informed=unit_a.supervisor,
                supervisor_informed_on=TODAY(),
                measures=[
                    {
                        "description": f"Åtgärd {i}",
                        "responsible": "Polisen",
                        "organisation": unit_a.police,
                        "due_on": TODAY() - timedelta(days=i % 3),
                    }
                    for i in range(measures)
                ],
            )
        return last

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = add(1, 1)
    few = (count(urls(case)["list"]), count(urls(case, small)["detail"]))
    big = add(12, 25)
    previous = big
    for _ in range(5):  # a long version history
        previous = inv.threat_save(
            case=case,
            by=unit_a.coordinator,
            assessed_on=TODAY(),
            level=ThreatLevel.LOW,
            description="Ny version.",
            measures=[
                {"description": f"Å {i}", "responsible": "X", "due_on": TODAY()} for i in range(25)
            ],
            previous=previous,
        )
    many = (count(urls(case)["list"]), count(urls(case, previous)["detail"]))
    assert few == many


def test_page_query_bounds(unit_a, case, login, django_assert_max_num_queries):
    record = complete_threat(unit_a, case)
    client = login(unit_a.coordinator)
    with django_assert_max_num_queries(20):
        client.get(urls(case)["list"])
    with django_assert_max_num_queries(22):
        client.get(urls(case, record)["detail"])


# --- Who may read and write -------------------------------------------------------------------


def test_police_partner_with_criminality_consent_reads_but_does_not_write(
    unit_a, partner_case, login
):
    case = partner_case
    record = complete_threat(unit_a, case)
    client = login(unit_a.partner)
    for name in ("list", "detail", "pdf"):
        assert client.get(urls(case, record)[name]).status_code == 200, name
    detail = client.get(urls(case, record)["detail"]).content.decode()
    assert urls(case, record)["edit"] not in detail
    assert urls(case)["create"] not in client.get(urls(case)["list"]).content.decode()
    assert AccessLogEntry.objects.filter(
        object_type="threat", action="view", user=unit_a.partner, category="criminality"
    ).exists()

    assert client.get(urls(case)["create"]).status_code == 404
    assert client.post(urls(case)["create"], post_data(unit_a)).status_code == 404
    assert client.get(urls(case, record)["edit"]).status_code == 404
    assert client.post(urls(case, record)["edit"], post_data(unit_a)).status_code == 404
    assert ThreatAssessment.objects.count() == 1
    assert AccessLogEntry.objects.filter(
        object_type="threat", action="denied", user=unit_a.partner, detail="write"
    ).exists()


def test_school_partner_without_criminality_consent_gets_404(unit_a, case, login):
    school_member(unit_a, case)
    consent(unit_a, case, organisations=[unit_a.school], codes=("health", "family"))
    record = complete_threat(unit_a, case)
    client = login(school_user(unit_a))
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200
    for name in ("list", "detail", "pdf", "create", "edit"):
        assert client.get(urls(case, record)[name]).status_code == 404, name


def test_revoked_consent_ends_the_partners_access(unit_a, partner_case, login):
    case = partner_case
    record = complete_threat(unit_a, case)
    client = login(unit_a.partner)
    assert client.get(urls(case, record)["detail"]).status_code == 200
    consent_services.consent_revoke(
        consent=case.consents.get(), by=unit_a.coordinator, revoked_on=TODAY(), how="Muntligt"
    )
    for name in ("list", "detail", "pdf"):
        assert client.get(urls(case, record)[name]).status_code == 404, name


def test_other_units_staff_get_404(unit_a, unit_b, case, login):
    record = complete_threat(unit_a, case)
    client = login(unit_b.supervisor)
    for name in ("list", "detail", "pdf", "create", "edit"):
        assert client.get(urls(case, record)[name]).status_code == 404, name
    assert client.post(urls(case, record)["edit"], post_data(unit_b)).status_code == 404
    assert ThreatAssessment.objects.count() == 1
    body = client.get(urls(case, record)["detail"]).content.decode()
    assert case.person.full_name not in body


def test_closed_case_is_read_only(unit_a, case, login):
    record = complete_threat(unit_a, case)
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=unit_a.coordinator, reason="Avstår."
    )
    client = login(unit_a.coordinator)
    detail = client.get(urls(case, record)["detail"])
    assert detail.status_code == 200
    assert urls(case, record)["edit"] not in detail.content.decode()
    assert urls(case)["create"] not in client.get(urls(case)["list"]).content.decode()
    assert client.get(urls(case)["create"]).status_code == 404
    assert client.post(urls(case)["create"], post_data(unit_a)).status_code == 404
    assert client.post(urls(case, record)["edit"], post_data(unit_a)).status_code == 404
    assert ThreatAssessment.objects.count() == 1
