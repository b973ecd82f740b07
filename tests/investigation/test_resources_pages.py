"""Resource mapping pages: the person's network and the partner organisations needed; one
versioned series per case, written by staff, read by partners whose consent covers family."""

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
from insats.investigation.models import ResourceMapping
from insats.organisations.models import Organisation
from tests import builders
from tests.conftest import FormReader


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def form_lists(response) -> dict[str, list[str]]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {k: [v.removeprefix("\n") for v in vs] for k, vs in reader.values.items()}


def form_values(response) -> dict:
    """What the browser would submit: single values as strings, checkbox groups as lists."""
    return {k: v if k == "needed_organisations" else v[-1] for k, v in form_lists(response).items()}


def page_url(case):
    return f"/arenden/{case.pk}/resurser/"


def edit_url(case):
    return f"/arenden/{case.pk}/resurser/andra/"


def pdf_url(case):
    return f"/arenden/{case.pk}/resurser/resurser.pdf"


@pytest.fixture
def case(unit_a):
    case = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case)
    return case


def save_mapping(world, case, *, previous=None, note="Första kartläggningen.", people=None):
    return inv.resources_save(
        case=case,
        by=world.coordinator,
        people=people
        if people is not None
        else [
            {
                "name": "Moster Maj",
                "relation": "Moster",
                "phone": "070-111 22 33",
                "email": "maj@example.org",
                "may_contact": True,
                "covered_by_consent": False,
            }
        ],
        needed_organisations=[world.school],
        note=note,
        previous=previous,
    )


def test_staff_create_then_edit_and_the_old_version_stays_readable(unit_a, case, login):
    client = login(unit_a.coordinator)
    page = client.get(page_url(case)).content.decode()
    assert "Ingen kartläggning av resurser är registrerad." in page

    response = client.get(edit_url(case))
    page = response.content.decode()
    # Partner organisations only: the unit's own social services is not offered.
    assert unit_a.school.name in page and unit_a.police.name in page
    assert unit_a.social.name not in page
    data = form_values(response)
    data.update(
        {
            "people-0-name": "Kalle Tränare",
            "people-0-relation": "Fotbollstränare",
            "people-0-phone": "070-444 55 66",
            "people-0-may_contact": "on",
            "people-0-covered_by_consent": "on",
            "needed_organisations": [str(unit_a.school.pk)],
            "note": "Stort intresse för fotboll.",
        }
    )
    response = client.post(edit_url(case), data)
    assert response.status_code == 302, response.content.decode()
    first = ResourceMapping.objects.get(case=case)
    person = first.people.get()
    assert (person.name, person.may_contact, person.covered_by_consent) == (
        "Kalle Tränare",
        True,
        True,
    )
    assert list(first.needed_organisations.all()) == [unit_a.school]

    response = client.get(edit_url(case))
    values = form_values(response)
    assert values["based_on"] == str(first.pk)
    assert values["people-0-name"] == "Kalle Tränare"
    assert values["people-0-may_contact"] == "on"
    assert values["needed_organisations"] == [str(unit_a.school.pk)]
    values.update(
        {
            "people-1-name": "Mormor Gun",
            "people-1-relation": "Mormor",
            "needed_organisations": [str(unit_a.school.pk), str(unit_a.police.pk)],
            "note": "Mormor kan stötta.",
        }
    )
    values.pop("people-0-covered_by_consent")
    assert client.post(edit_url(case), values).status_code == 302
    second = ResourceMapping.objects.get(case=case, superseded_at__isnull=True)
    assert second.version == 2 and second.series == first.series
    assert [(p.name, p.covered_by_consent) for p in second.people.all()] == [
        ("Kalle Tränare", False),
        ("Mormor Gun", False),
    ]

    page = client.get(page_url(case)).content.decode()
    assert "Mormor Gun" in page and "Mormor kan stötta." in page
    assert unit_a.police.name in page
    old = client.get(page_url(case) + f"?version={first.pk}").content.decode()
    assert "Mormor Gun" not in old and "Stort intresse för fotboll." in old
    assert "Du läser version 1" in old

    logged = AccessLogEntry.objects.filter(case_id=case.pk, object_type="resources")
    assert logged.filter(action="create", object_id=str(first.pk)).exists()
    assert logged.filter(action="change", object_id=str(second.pk)).exists()
    assert logged.filter(action="view", user=unit_a.coordinator).exists()


def test_partial_person_row_is_refused_in_swedish_and_input_kept(unit_a, case, login):
    client = login(unit_a.investigator)
    data = form_values(client.get(edit_url(case)))
    data.update(
        {
            "people-1-phone": "070-999 88 77",
            "people-1-may_contact": "on",
            "people-2-name": "Utan Relation",
            "people-2-email": "inte-en-adress",
            "note": "Min anteckning.",
        }
    )
    response = client.post(edit_url(case), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ange namn." in page
    assert "Ange relation till den enskilde." in page
    assert "Ange en giltig e-postadress." in page
    kept = form_values(response)
    assert kept["people-1-phone"] == "070-999 88 77"
    assert kept["people-1-may_contact"] == "on"
    assert kept["people-2-name"] == "Utan Relation"
    assert kept["note"] == "Min anteckning."
    assert not ResourceMapping.objects.exists()


def test_an_organisation_of_another_unit_is_refused(unit_a, unit_b, case, login):
    client = login(unit_a.coordinator)
    data = form_values(client.get(edit_url(case)))
    data["needed_organisations"] = [str(unit_b.school.pk)]
    response = client.post(edit_url(case), data)
    assert response.status_code == 200
    assert "Välj ett giltigt alternativ" in response.content.decode()
    assert not ResourceMapping.objects.exists()


def test_two_edits_of_the_same_version_conflict(unit_a, case, login):
    save_mapping(unit_a, case)
    mine = form_values(login(unit_a.investigator).get(edit_url(case)))
    theirs = dict(mine, note="Den andras ändring.")
    assert login(unit_a.coordinator).post(edit_url(case), theirs).status_code == 302

    mine.update({"note": "Min ändring.", "people-1-name": "Ny Person", "people-1-relation": "Vän"})
    response = login(unit_a.investigator).post(edit_url(case), mine)

    assert response.status_code == 200
    assert "Någon annan har sparat en nyare version" in response.content.decode()
    kept = form_values(response)
    assert kept["note"] == "Min ändring."
    assert kept["people-1-name"] == "Ny Person"
    assert ResourceMapping.objects.filter(case=case).count() == 2


def test_partners_do_not_write(unit_a, case, login):
    save_mapping(unit_a, case)
    client = login(unit_a.partner)
    assert edit_url(case) not in client.get(page_url(case)).content.decode()
    assert client.get(edit_url(case)).status_code == 404
    assert client.post(edit_url(case), {"note": "x"}).status_code == 404
    assert ResourceMapping.objects.count() == 1


def test_pdf_is_a_real_document(unit_a, case, login):
    first = save_mapping(unit_a, case)
    save_mapping(unit_a, case, previous=first, note="Andra kartläggningen.", people=[])
    client = login(unit_a.coordinator)

    response = client.get(pdf_url(case))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Kartläggning av resurser" in text
    assert "Andra kartläggningen." in text
    assert "Inga personer i nätverket är registrerade." in text
    assert unit_a.school.name in text
    assert case.number in text

    old = pdf_text(client.get(pdf_url(case) + f"?version={first.pk}").content)
    assert "Moster Maj" in old and "070-111 22 33" in old and "maj@example.org" in old
    assert "ersatt av en nyare version" in old
    assert AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="resources", action="print"
    ).exists()


def test_police_partner_reads_with_a_family_consent(unit_a, case, login):
    save_mapping(unit_a, case)
    client = login(unit_a.partner)
    for url in (page_url(case), pdf_url(case)):
        assert client.get(url).status_code == 200, url
    assert "Moster Maj" in client.get(page_url(case)).content.decode()


def test_police_partner_without_family_in_the_consent_gets_404(unit_a, login):
    case = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case, codes=("criminality",))
    save_mapping(unit_a, case)
    client = login(unit_a.partner)
    assert client.get(f"/arenden/{case.pk}/kriminalitet/").status_code == 200
    for url in (page_url(case), pdf_url(case)):
        assert client.get(url).status_code == 404, url


def test_school_partner_with_only_occupation_gets_404_on_all_three_sections(unit_a, case, login):
    save_mapping(unit_a, case)
    record = builders.police_assessment(unit_a, case)
    builders.school_member(unit_a, case)
    builders.consent(unit_a, case, organisations=[unit_a.school], codes=("occupation",))
    client = login(builders.school_user(unit_a))
    assert client.get(f"/arenden/{case.pk}/").status_code == 200
    for url in (
        page_url(case),
        pdf_url(case),
        edit_url(case),
        f"/arenden/{case.pk}/kriminalitet/",
        f"/arenden/{case.pk}/polisbedomning/",
        f"/arenden/{case.pk}/polisbedomning/{record.pk}/",
    ):
        assert client.get(url).status_code == 404, url


def test_police_partner_with_criminality_and_family_sees_all_three_sections(unit_a, case, login):
    save_mapping(unit_a, case)
    builders.police_assessment(unit_a, case)
    client = login(unit_a.partner)
    for url in (
        page_url(case),
        f"/arenden/{case.pk}/kriminalitet/",
        f"/arenden/{case.pk}/polisbedomning/",
    ):
        assert client.get(url).status_code == 200, url


def test_revoked_consent_ends_access(unit_a, case, login):
    save_mapping(unit_a, case)
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
    first = save_mapping(unit_a, case)
    for user in (unit_b.supervisor, unit_b.coordinator, unit_b.partner):
        client = login(user)
        for url in (page_url(case), pdf_url(case), edit_url(case)):
            assert client.get(url).status_code == 404, url
        assert client.post(edit_url(case), {"note": "x"}).status_code == 404
    assert ResourceMapping.objects.get() == first


def test_closed_case_is_read_only(unit_a, case, login):
    save_mapping(unit_a, case)
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=unit_a.coordinator, reason="Avstår."
    )
    client = login(unit_a.coordinator)
    page = client.get(page_url(case))
    assert page.status_code == 200
    assert edit_url(case) not in page.content.decode()
    assert client.get(edit_url(case)).status_code == 404
    assert client.post(edit_url(case), {"note": "x"}).status_code == 404
    assert ResourceMapping.objects.count() == 1


def test_page_runs_a_fixed_number_of_queries(unit_a, case, login, django_assert_max_num_queries):
    client = login(unit_a.coordinator)
    mapping = save_mapping(unit_a, case)
    with CaptureQueriesContext(connection) as few:
        client.get(page_url(case))
    for index in range(5):
        Organisation.objects.create(unit=unit_a.unit, name=f"Förening {index}", kind="other")
    partners = list(Organisation.objects.filter(unit=unit_a.unit).exclude(kind="social_services"))
    people = [
        {"name": f"Person {i}", "relation": "Vän", "may_contact": bool(i % 2)} for i in range(8)
    ]
    for _ in range(4):
        mapping = inv.resources_save(
            case=case,
            by=unit_a.coordinator,
            people=people,
            needed_organisations=partners,
            previous=mapping,
        )
    with CaptureQueriesContext(connection) as many:
        client.get(page_url(case))
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    with django_assert_max_num_queries(20):
        assert client.get(page_url(case)).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(edit_url(case)).status_code == 200
