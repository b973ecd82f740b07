"""The follow-up assessment (bilaga 3.4): the first at the enrolment decision, the second later
with the same form; versioned, staff only, shown side by side."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.decisions import services
from insats.decisions.models import FollowUpAssessment
from insats.investigation.services import unit_life_areas
from insats.organisations.models import DischargeReason, LegalReference
from tests import builders
from tests.conftest import FormReader

NOT_ENROLLED = "Uppföljningsbedömningen görs när ärendet är beviljat."
FIRST_BEFORE_SECOND = "Gör den första bedömningen innan den andra."
DUPLICATE = "Den bedömningen finns redan – öppna den och spara en ny version."
CONFLICT_START = "Någon annan har sparat en nyare version"


# --- Helpers --------------------------------------------------------------------------------


def list_url(case):
    return f"/arenden/{case.pk}/uppfoljningsbedomning/"


def create_url(case, kind="first"):
    return f"/arenden/{case.pk}/uppfoljningsbedomning/ny/?kind={kind}"


def detail_url(case, record):
    return f"/arenden/{case.pk}/uppfoljningsbedomning/{record.pk}/"


def edit_url(case, record):
    return f"/arenden/{case.pk}/uppfoljningsbedomning/{record.pk}/andra/"


def text_of(response) -> str:
    return unescape(response.content.decode())


def form_values(response) -> dict[str, str]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: values[-1].removeprefix("\n") for name, values in reader.values.items()}


def error_summary(response) -> list[str]:
    match = re.search(r'<div class="error-summary".*?</div>', text_of(response), flags=re.S)
    if not match:
        return []
    items = re.findall(r"<li>(.*?)</li>", match.group(0), flags=re.S)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in items]


def form_data(case, *, rating=3, **changes):
    data = {
        "assessed_on": timezone.localdate().isoformat(),
        "occupation": "studies",
        "housing": "family",
        "substance_use": "occasional",
        "offences_last_six_months": "2",
        "criminal_network": "regular",
        "income": "assistance",
        "note": "Bedömt tillsammans med personen.",
    }
    for area in unit_life_areas(case):
        data[f"rating_{area.pk}"] = str(rating)
        data[f"note_{area.pk}"] = ""
    data.update(changes)
    return data


def enrol(world, case):
    services.decide_enrolment(
        case=case,
        by=world.supervisor,
        outcome=True,
        decided_on=timezone.localdate(),
        reasons="Beviljas.",
        risk_of_reoffending="Hög.",
        motivation="God.",
        needs="Sysselsättning.",
        resources="Familj.",
        criminality="Narkotikabrott.",
        legal_reference=LegalReference.objects.get(unit=world.unit, code="support_sol"),
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def enrolled(unit_a):
    return enrol(unit_a, builders.enrollable_case(unit_a))


def current(case, kind):
    return FollowUpAssessment.objects.get(case=case, kind=kind, superseded_at__isnull=True)


# --- First and second ---------------------------------------------------------------------


def test_the_first_assessment_is_made_after_enrolment(unit_a, enrolled, login):
    client = login(unit_a.coordinator)
    page = client.get(create_url(enrolled))
    assert page.status_code == 200
    assert "Första bedömningen" in text_of(page)
    # Every life area of the unit has a labelled rating and note.
    for area in unit_life_areas(enrolled):
        assert f'for="id_rating_{area.pk}"' in page.content.decode()

    area = unit_life_areas(enrolled)[0]
    data = form_data(enrolled, **{f"rating_{area.pk}": "1", f"note_{area.pk}": "Skolk."})
    response = client.post(create_url(enrolled), data)

    assert response.status_code == 302
    assert response.url == list_url(enrolled)
    first = current(enrolled, "first")
    assert first.version == 1
    assert first.housing == "family" and first.offences_last_six_months == 2
    ratings = {r.life_area_id: r for r in first.ratings.all()}
    assert len(ratings) == unit_life_areas(enrolled).count()
    assert ratings[area.pk].rating == 1 and ratings[area.pk].note == "Skolk."
    assert AccessLogEntry.objects.filter(
        case_id=enrolled.pk, object_type="follow_up", action="create", object_id=first.pk
    ).exists()


def test_an_unrated_area_is_kept_as_not_assessed(unit_a, enrolled, login):
    area = unit_life_areas(enrolled)[0]
    response = login(unit_a.coordinator).post(
        create_url(enrolled), form_data(enrolled, **{f"rating_{area.pk}": ""})
    )
    assert response.status_code == 302
    rating = current(enrolled, "first").ratings.get(life_area=area)
    assert rating.rating is None


def test_the_second_assessment_only_after_the_first(unit_a, enrolled, login):
    client = login(unit_a.coordinator)
    refused = client.post(create_url(enrolled, "second"), form_data(enrolled))
    assert refused.status_code == 200
    assert FIRST_BEFORE_SECOND in error_summary(refused)
    assert form_values(refused)["note"] == "Bedömt tillsammans med personen."
    assert not FollowUpAssessment.objects.filter(case=enrolled).exists()

    assert client.post(create_url(enrolled, "first"), form_data(enrolled)).status_code == 302
    second = client.post(create_url(enrolled, "second"), form_data(enrolled, rating=4))
    assert second.status_code == 302
    assert current(enrolled, "second").ratings.first().rating == 4


def test_a_duplicate_is_refused(unit_a, enrolled, login):
    client = login(unit_a.coordinator)
    client.post(create_url(enrolled), form_data(enrolled))
    again = client.post(create_url(enrolled), form_data(enrolled, note="Dubblett"))
    assert again.status_code == 200
    assert DUPLICATE in error_summary(again)
    assert form_values(again)["note"] == "Dubblett"
    assert FollowUpAssessment.objects.filter(case=enrolled, kind="first").count() == 1


def test_an_unknown_kind_is_404(unit_a, enrolled, login):
    assert login(unit_a.coordinator).get(create_url(enrolled, "third")).status_code == 404


def test_form_errors_are_swedish_and_the_input_is_kept(unit_a, enrolled, login):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    client = login(unit_a.coordinator)
    invalid = client.post(
        create_url(enrolled), form_data(enrolled, offences_last_six_months="-1", housing="")
    )
    assert invalid.status_code == 200
    errors = error_summary(invalid)
    assert "Boende: Detta fält måste fyllas i." in errors
    assert any(e.startswith("Brott de senaste sex månaderna:") for e in errors)
    assert form_values(invalid)["note"] == "Bedömt tillsammans med personen."

    future = client.post(create_url(enrolled), form_data(enrolled, assessed_on=tomorrow))
    assert future.status_code == 200
    assert "Datum för bedömningen: Datumet kan inte ligga i framtiden." in error_summary(future)
    assert form_values(future)["assessed_on"] == tomorrow
    assert not FollowUpAssessment.objects.filter(case=enrolled).exists()


# --- Versions -------------------------------------------------------------------------------


def test_a_new_version_keeps_the_old_one_readable(unit_a, enrolled, login):
    client = login(unit_a.coordinator)
    client.post(create_url(enrolled), form_data(enrolled, note="Första versionen."))
    v1 = current(enrolled, "first")

    edit = client.get(edit_url(enrolled, v1))
    assert edit.status_code == 200
    assert form_values(edit)["note"] == "Första versionen."
    response = client.post(
        edit_url(enrolled, v1), form_data(enrolled, note="Andra versionen.", housing="own")
    )
    assert response.status_code == 302
    v2 = current(enrolled, "first")
    assert (v2.version, v2.series, v2.kind) == (2, v1.series, "first")
    v1.refresh_from_db()
    assert not v1.is_current

    latest = client.get(detail_url(enrolled, v2))
    assert "Andra versionen." in text_of(latest) and "Eget boende" in text_of(latest)
    assert f'href="?version={v1.pk}"' in latest.content.decode()
    old = client.get(detail_url(enrolled, v2) + f"?version={v1.pk}")
    assert old.status_code == 200
    assert "Första versionen." in text_of(old)
    assert "Du läser version 1, som har ersatts av en nyare." in text_of(old)
    # An old version's page has no edit link.
    assert edit_url(enrolled, v1) not in old.content.decode()
    assert AccessLogEntry.objects.filter(
        case_id=enrolled.pk, object_type="follow_up", action="change", object_id=v2.pk
    ).exists()


def test_a_version_of_another_series_is_404(unit_a, enrolled, login):
    client = login(unit_a.coordinator)
    client.post(create_url(enrolled), form_data(enrolled))
    client.post(create_url(enrolled, "second"), form_data(enrolled))
    first, second = current(enrolled, "first"), current(enrolled, "second")
    assert client.get(detail_url(enrolled, first) + f"?version={second.pk}").status_code == 404
    assert client.get(detail_url(enrolled, first) + "?version=x").status_code == 404


def test_an_old_edit_link_leads_to_the_current_version(unit_a, enrolled, login):
    client = login(unit_a.coordinator)
    client.post(create_url(enrolled), form_data(enrolled))
    v1 = current(enrolled, "first")
    client.post(edit_url(enrolled, v1), form_data(enrolled, note="Ny."))
    v2 = current(enrolled, "first")
    response = client.get(edit_url(enrolled, v1))
    assert response.status_code == 302
    assert response.url == edit_url(enrolled, v2)


def test_two_edits_of_the_same_version_conflict(unit_a, enrolled, login, client):
    login(unit_a.coordinator).post(create_url(enrolled), form_data(enrolled))
    v1 = current(enrolled, "first")
    client.force_login(unit_a.coordinator)
    first = client.post(edit_url(enrolled, v1), form_data(enrolled, note="Först."))
    assert first.status_code == 302
    client.force_login(unit_a.investigator)
    late = client.post(edit_url(enrolled, v1), form_data(enrolled, note="Sen ändring."))
    assert late.status_code == 200
    assert any(e.startswith(CONFLICT_START) for e in error_summary(late))
    assert form_values(late)["note"] == "Sen ändring."
    assert current(enrolled, "first").note == "Först."
    assert FollowUpAssessment.objects.filter(case=enrolled).count() == 2


# --- The side-by-side list ------------------------------------------------------------------


def test_the_list_shows_both_side_by_side(unit_a, enrolled, login):
    client = login(unit_a.coordinator)
    empty = client.get(list_url(enrolled))
    assert "Ingen uppföljningsbedömning är gjord ännu." in text_of(empty)
    assert create_url(enrolled, "first") in text_of(empty)

    client.post(create_url(enrolled), form_data(enrolled, rating=2, housing="homeless"))
    client.post(create_url(enrolled, "second"), form_data(enrolled, rating=5, housing="own"))
    page = client.get(list_url(enrolled))
    assert page.status_code == 200
    html = text_of(page)
    first, second = current(enrolled, "first"), current(enrolled, "second")
    assert html.index(detail_url(enrolled, first)) < html.index(detail_url(enrolled, second))
    area = unit_life_areas(enrolled)[0]
    row = re.search(rf"<th scope=\"row\">{re.escape(str(area))}</th>(.*?)</tr>", html, re.S)
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    assert [cell.split()[0] for cell in cells] == ["2", "5"]
    assert "↑ +3" in cells[1]  # the change from the first assessment, shown at a glance
    assert "förbättring med 3" in cells[1]  # and said in words for screen readers
    # The outcome indicators follow the life areas (one of which may also be called "Boende").
    housing = re.findall(r'<th scope="row">Boende</th>(.*?)</tr>', html, re.S)[-1]
    cells = re.findall(r"<td>(.*?)</td>", housing, re.S)
    assert cells[0] == "Bostadslös"
    assert cells[1].startswith("Eget boende")
    assert "ändrat" in cells[1]
    # Both exist: nothing left to create.
    assert "/uppfoljningsbedomning/ny/" not in html


def test_the_list_runs_a_constant_number_of_queries(
    unit_a, enrolled, login, django_assert_max_num_queries
):
    client = login(unit_a.coordinator)
    client.post(create_url(enrolled), form_data(enrolled))
    with django_assert_max_num_queries(25) as one:
        client.get(list_url(enrolled))
    with_one = len(one.captured_queries)  # read now: the next request resets the log
    v1 = current(enrolled, "first")
    client.post(edit_url(enrolled, v1), form_data(enrolled, note="Ny."))
    client.post(create_url(enrolled, "second"), form_data(enrolled))
    with django_assert_max_num_queries(with_one):
        client.get(list_url(enrolled))


# --- When and for whom ----------------------------------------------------------------------


def test_not_possible_before_enrolment(unit_a, login):
    case = builders.enrollable_case(unit_a)
    client = login(unit_a.coordinator)
    listing = client.get(list_url(case))
    assert listing.status_code == 200
    assert "Uppföljningsbedömningen görs när inskrivningen är beslutad." in text_of(listing)
    assert "/uppfoljningsbedomning/ny/" not in text_of(listing)

    response = client.post(create_url(case), form_data(case))
    assert response.status_code == 200
    assert NOT_ENROLLED in error_summary(response)
    assert not FollowUpAssessment.objects.filter(case=case).exists()


def test_partners_get_404(unit_a, enrolled, login):
    login(unit_a.coordinator).post(create_url(enrolled), form_data(enrolled))
    record = current(enrolled, "first")
    client = login(unit_a.partner)  # police member, consent covers criminality
    for url in (
        list_url(enrolled),
        create_url(enrolled),
        detail_url(enrolled, record),
        edit_url(enrolled, record),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(create_url(enrolled, "second"), form_data(enrolled)).status_code == 404
    assert FollowUpAssessment.objects.filter(case=enrolled).count() == 1


def test_other_units_get_404(unit_a, unit_b, enrolled, login):
    login(unit_a.coordinator).post(create_url(enrolled), form_data(enrolled))
    record = current(enrolled, "first")
    client = login(unit_b.supervisor)
    for url in (list_url(enrolled), create_url(enrolled), detail_url(enrolled, record)):
        assert client.get(url).status_code == 404, url
    # A record id under another case's URL is a plain 404 too.
    other = builders.identified_case(unit_a)
    assert login(unit_a.coordinator).get(detail_url(other, record)).status_code == 404


def test_a_closed_case_is_read_only(unit_a, enrolled, login):
    client = login(unit_a.coordinator)
    client.post(create_url(enrolled), form_data(enrolled))
    record = current(enrolled, "first")
    case_services.case_transition(
        case=enrolled,
        to_state=State.DISCHARGED,
        by=unit_a.coordinator,
        reason="Målen uppnådda.",
        discharge_reason=DischargeReason.objects.filter(unit=unit_a.unit, active=True).first(),
        summary="Sammanfattning av insatsen.",
    )
    assert client.get(list_url(enrolled)).status_code == 200
    detail = client.get(detail_url(enrolled, record))
    assert detail.status_code == 200
    assert edit_url(enrolled, record) not in detail.content.decode()
    assert client.get(edit_url(enrolled, record)).status_code == 404
    assert client.post(create_url(enrolled, "second"), form_data(enrolled)).status_code == 404
    assert FollowUpAssessment.objects.filter(case=enrolled).count() == 1
