"""Criminality profile pages: one versioned series per case, written by staff, read by staff
and by partners whose consent covers criminality."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.consent import services as consent_services
from insats.consent.models import Consent
from insats.investigation import services as inv
from insats.investigation.models import CriminalityItem, CriminalityProfile
from insats.organisations.models import CrimeType
from tests import builders
from tests.conftest import FormReader


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def form_values(response) -> dict[str, str]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: values[-1].removeprefix("\n") for name, values in reader.values.items()}


def page_url(case):
    return f"/arenden/{case.pk}/kriminalitet/"


def edit_url(case):
    return f"/arenden/{case.pk}/kriminalitet/andra/"


def pdf_url(case):
    return f"/arenden/{case.pk}/kriminalitet/kriminalitet.pdf"


def crime_type(world, code):
    return CrimeType.objects.get(unit=world.unit, code=code)


def fill(values: dict, **fields) -> dict:
    """The form as read back from the page, with fields changed; None removes a field."""
    data = dict(values)
    for name, value in fields.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


@pytest.fixture
def case(unit_a):
    case = builders.identified_case(unit_a, age=19)
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case)
    return case


def save_profile(world, case, *, previous=None, note="Första versionen.", items=None):
    today = timezone.localdate()
    return inv.criminality_save(
        case=case,
        by=world.investigator,
        volume="several",
        age_at_first_offence=13,
        debut_basis="confirmed",
        offences_last_six_months=2,
        recent_basis="self_reported",
        note=note,
        items=items
        if items is not None
        else [
            {
                "crime_type": crime_type(world, "robbery"),
                "basis": "confirmed",
                "source": "Belastningsregistret",
                "noted_on": today - timedelta(days=40),
                "note": "",
            }
        ],
        previous=previous,
    )


def test_staff_create_then_edit_and_the_old_version_stays_readable(unit_a, case, login):
    client = login(unit_a.investigator)
    page = client.get(page_url(case)).content.decode()
    assert "Ingen kriminalitetsprofil är registrerad." in page
    assert edit_url(case) in page

    values = form_values(client.get(edit_url(case)))
    assert values["based_on"] == ""
    today = timezone.localdate().isoformat()
    data = fill(
        values,
        age_at_first_offence="14",
        debut_basis="self_reported",
        volume="few",
        offences_last_six_months="1",
        recent_basis="confirmed",
        note="Debuterade med snatteri.",
        **{
            "items-0-crime_type": str(crime_type(unit_a, "theft").pk),
            "items-0-basis": "confirmed",
            "items-0-source": "Polisen",
            "items-0-noted_on": today,
            "items-0-note": "Butiksstöld",
        },
    )
    response = client.post(edit_url(case), data)
    assert response.status_code == 302, response.content.decode()
    assert response.url == page_url(case)
    first = CriminalityProfile.objects.get(case=case)
    assert first.age_at_first_offence == 14 and first.debut_basis == "self_reported"
    # The two blank extra rows were ignored.
    assert [(i.crime_type.code, i.source) for i in first.items.all()] == [("theft", "Polisen")]

    # The next version starts from the current one.
    values = form_values(client.get(edit_url(case)))
    assert values["based_on"] == str(first.pk)
    assert values["age_at_first_offence"] == "14"
    assert values["items-0-source"] == "Polisen"
    assert values["items-TOTAL_FORMS"] == "4"
    data = fill(
        values,
        volume="several",
        note="Fler brott framkom.",
        **{
            "items-1-crime_type": str(crime_type(unit_a, "drugs").pk),
            "items-1-basis": "self_reported",
            "items-1-source": "Samtal med den enskilde",
            "items-1-noted_on": today,
        },
    )
    assert client.post(edit_url(case), data).status_code == 302
    second = CriminalityProfile.objects.get(case=case, superseded_at__isnull=True)
    assert second.version == 2 and second.series == first.series
    assert second.items.count() == 2
    assert first.items.count() == 1

    page = client.get(page_url(case)).content.decode()
    assert "Fler brott framkom." in page
    assert "Narkotikabrott" in page
    old = client.get(page_url(case) + f"?version={first.pk}").content.decode()
    assert "Debuterade med snatteri." in old
    assert "Narkotikabrott" not in old
    assert "Du läser version 1" in old

    logged = AccessLogEntry.objects.filter(case_id=case.pk, object_type="criminality")
    assert logged.filter(action="create", object_id=str(first.pk)).exists()
    assert logged.filter(action="change", object_id=str(second.pk)).exists()
    assert logged.filter(action="view", user=unit_a.investigator).exists()


def test_removing_a_row_by_clearing_it(unit_a, case, login):
    save_profile(unit_a, case)
    client = login(unit_a.coordinator)
    values = form_values(client.get(edit_url(case)))
    data = fill(
        values,
        **{f"items-0-{name}": "" for name in ("crime_type", "basis", "source", "noted_on")},
    )
    assert client.post(edit_url(case), data).status_code == 302
    assert not CriminalityProfile.objects.get(case=case, superseded_at__isnull=True).items.exists()


def test_age_at_first_offence_without_basis_is_refused_in_swedish(unit_a, case, login):
    client = login(unit_a.investigator)
    values = form_values(client.get(edit_url(case)))
    data = fill(values, age_at_first_offence="12", volume="few", note="Skrivet av mig.")

    response = client.post(edit_url(case), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ange om debutåldern är självrapporterad eller konstaterad." in page
    kept = form_values(response)
    assert kept["age_at_first_offence"] == "12"
    assert kept["volume"] == "few"
    assert kept["note"] == "Skrivet av mig."
    assert not CriminalityProfile.objects.exists()


def test_partial_item_row_and_missing_volume(unit_a, case, login):
    client = login(unit_a.investigator)
    values = form_values(client.get(edit_url(case)))
    data = fill(values, **{"items-2-source": "Polisen", "items-2-note": "Oklart när"})

    response = client.post(edit_url(case), data)

    assert response.status_code == 200
    page = response.content.decode()
    for message in (
        "Välj omfattning.",
        "Välj brottstyp.",
        "Ange om uppgiften är självrapporterad eller konstaterad.",
        "Ange datum.",
    ):
        assert message in page
    assert "Ange källa." not in page
    kept = form_values(response)
    assert kept["items-2-source"] == "Polisen"
    assert kept["items-2-note"] == "Oklart när"
    assert not CriminalityProfile.objects.exists()


def test_future_item_date_and_too_high_debut_age(unit_a, case, login):
    client = login(unit_a.investigator)
    values = form_values(client.get(edit_url(case)))
    future = (timezone.localdate() + timedelta(days=5)).isoformat()
    data = fill(
        values,
        age_at_first_offence="25",
        debut_basis="confirmed",
        volume="many",
        **{
            "items-0-crime_type": str(crime_type(unit_a, "fraud").pk),
            "items-0-basis": "confirmed",
            "items-0-source": "Polisen",
            "items-0-noted_on": future,
        },
    )
    response = client.post(edit_url(case), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Debutåldern kan inte vara högre än åldern vid aktualiseringen." in page
    assert "Datumet kan inte ligga i framtiden." in page
    assert form_values(response)["items-0-noted_on"] == future


def test_two_edits_of_the_same_version_conflict(unit_a, case, login):
    save_profile(unit_a, case)
    mine_client = login(unit_a.investigator)
    mine = form_values(mine_client.get(edit_url(case)))
    theirs = fill(mine, note="Den andras ändring.")
    assert login(unit_a.coordinator).post(edit_url(case), theirs).status_code == 302

    mine = fill(mine, note="Min ändring.", volume="many")
    response = login(unit_a.investigator).post(edit_url(case), mine)

    assert response.status_code == 200
    assert "Någon annan har sparat en nyare version" in response.content.decode()
    kept = form_values(response)
    assert kept["note"] == "Min ändring."
    assert kept["volume"] == "many"
    assert CriminalityProfile.objects.filter(case=case).count() == 2


def test_two_first_versions_conflict_instead_of_starting_a_second_series(unit_a, case, login):
    client = login(unit_a.investigator)
    mine = fill(form_values(client.get(edit_url(case))), volume="few", note="Min första.")
    save_profile(unit_a, case, note="Den andras första.")

    response = client.post(edit_url(case), mine)

    assert response.status_code == 200
    assert "Någon annan har sparat en nyare version" in response.content.decode()
    assert form_values(response)["note"] == "Min första."
    assert CriminalityProfile.objects.filter(case=case).count() == 1


def test_partners_do_not_write(unit_a, case, login):
    save_profile(unit_a, case)
    client = login(unit_a.partner)
    page = client.get(page_url(case)).content.decode()
    assert edit_url(case) not in page
    assert client.get(edit_url(case)).status_code == 404
    assert client.post(edit_url(case), {"volume": "few"}).status_code == 404
    assert CriminalityProfile.objects.count() == 1


def test_pdf_is_a_real_document(unit_a, case, login):
    first = save_profile(unit_a, case)
    save_profile(unit_a, case, previous=first, note="Andra versionen.", items=[])
    client = login(unit_a.coordinator)

    response = client.get(pdf_url(case))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Kriminalitet" in text
    assert "Andra versionen." in text
    assert "Flera brott (3–9)" in text
    assert "13 (konstaterat)" in text
    assert case.number in text

    old = pdf_text(client.get(pdf_url(case) + f"?version={first.pk}").content)
    assert "Första versionen." in old
    assert "Rån" in old and "Belastningsregistret" in old
    assert "ersatt av en nyare version" in old
    assert AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="criminality", action="print"
    ).exists()


def test_no_pdf_before_a_profile_exists(unit_a, case, login):
    assert login(unit_a.coordinator).get(pdf_url(case)).status_code == 404


def test_police_partner_reads_with_a_criminality_consent(unit_a, case, login):
    save_profile(unit_a, case)
    client = login(unit_a.partner)
    for url in (page_url(case), pdf_url(case)):
        assert client.get(url).status_code == 200, url
    assert "Belastningsregistret" in client.get(page_url(case)).content.decode()


def test_school_partner_without_criminality_in_the_consent_gets_404(unit_a, case, login):
    save_profile(unit_a, case)
    builders.school_member(unit_a, case)
    builders.consent(unit_a, case, organisations=[unit_a.school], codes=("occupation",))
    client = login(builders.school_user(unit_a))
    for url in (page_url(case), pdf_url(case), edit_url(case)):
        assert client.get(url).status_code == 404, url
    assert AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="criminality", action="denied"
    ).exists()


def test_revoked_consent_ends_access(unit_a, case, login):
    save_profile(unit_a, case)
    consent_services.consent_revoke(
        consent=Consent.objects.get(case=case),
        by=unit_a.coordinator,
        revoked_on=timezone.localdate(),
        how="Muntligt.",
    )
    client = login(unit_a.partner)
    for url in (page_url(case), pdf_url(case)):
        assert client.get(url).status_code == 404, url


def test_other_unit_gets_404(unit_a, unit_b, case, login):
    first = save_profile(unit_a, case)
    for user in (unit_b.supervisor, unit_b.investigator, unit_b.partner):
        client = login(user)
        for url in (page_url(case), pdf_url(case), edit_url(case)):
            assert client.get(url).status_code == 404, url
        assert client.post(edit_url(case), {"volume": "few"}).status_code == 404
    assert CriminalityProfile.objects.get() == first


def test_a_version_of_another_case_is_not_found(unit_a, case, login):
    save_profile(unit_a, case)
    other = builders.identified_case(unit_a)
    foreign = save_profile(unit_a, other)
    client = login(unit_a.coordinator)
    assert client.get(page_url(case) + f"?version={foreign.pk}").status_code == 404
    assert client.get(pdf_url(case) + f"?version={foreign.pk}").status_code == 404


def test_closed_case_is_read_only(unit_a, case, login):
    save_profile(unit_a, case)
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=unit_a.coordinator, reason="Avstår."
    )
    client = login(unit_a.coordinator)
    page = client.get(page_url(case))
    assert page.status_code == 200
    assert edit_url(case) not in page.content.decode()
    assert client.get(edit_url(case)).status_code == 404
    assert client.post(edit_url(case), {"volume": "few"}).status_code == 404
    assert CriminalityProfile.objects.count() == 1


def test_page_runs_a_fixed_number_of_queries(unit_a, case, login, django_assert_max_num_queries):
    client = login(unit_a.coordinator)
    profile = save_profile(unit_a, case)
    with CaptureQueriesContext(connection) as few:
        client.get(page_url(case))
    today = timezone.localdate()
    rows = [
        {
            "crime_type": kind,
            "basis": "confirmed",
            "source": f"Källa {kind.code}",
            "noted_on": today,
            "note": "",
        }
        for kind in inv.crime_types(case)
    ]
    for _ in range(4):
        profile = save_profile(unit_a, case, previous=profile, items=rows)
    assert CriminalityItem.objects.filter(profile=profile).count() == len(rows) > 5
    with CaptureQueriesContext(connection) as many:
        client.get(page_url(case))
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    with django_assert_max_num_queries(20):
        assert client.get(page_url(case)).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(edit_url(case)).status_code == 200
