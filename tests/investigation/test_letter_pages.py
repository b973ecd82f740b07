"""The information letter (bilaga 3.0): the unit's letter, its print for the person, recorded
handovers, and the admin where administrators keep the letter's versions."""

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
from insats.investigation import services as inv
from insats.investigation.models import InformationLetter, LetterHandover
from insats.organisations.models import User
from tests.builders import consent, identified_case, police_member
from tests.conftest import FormReader

TODAY = timezone.localdate


def form_values(response) -> dict:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: [v.removeprefix("\n") for v in vals] for name, vals in reader.values.items()}


def pdf_text(response) -> str:
    pages = PdfReader(BytesIO(response.content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def make_letter(world, version="2024:1", *, active=True, **fields) -> InformationLetter:
    """A letter of the unit's (which already has the default letter, version "1")."""
    fields.setdefault("title", "Information om den sociala insatsgruppen")
    fields.setdefault(
        "body",
        "Du har fått det här brevet för att du kan få stöd.\n\n"
        "Det är frivilligt att delta.\r\n\r\nDu kan när som helst avbryta.",
    )
    return InformationLetter.objects.create(
        unit=world.unit, version=version, active=active, **fields
    )


@pytest.fixture
def case(unit_a):
    return identified_case(unit_a)


def letter_url(case) -> str:
    return reverse("letter", args=[case.pk])


def pdf_url(case) -> str:
    return reverse("letter_pdf", args=[case.pk])


# --- The page -----------------------------------------------------------------------------------


def test_without_an_active_letter_the_page_says_an_administrator_adds_it(unit_a, case, login):
    InformationLetter.objects.filter(unit=unit_a.unit).delete()  # the unit's default letter
    response = login(unit_a.coordinator).get(letter_url(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "En administratör lägger till det" in body
    assert 'name="handed_over_by"' not in body
    assert login(unit_a.coordinator).get(pdf_url(case)).status_code == 404


def test_the_page_shows_the_current_letter_and_a_prefilled_handover_form(unit_a, case, login):
    make_letter(unit_a, "2023:1", title="Gammalt brev", active=False)
    letter = make_letter(unit_a)
    response = login(unit_a.investigator).get(letter_url(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert letter.title in body and "Version 2024:1" in body
    assert "<p>Det är frivilligt att delta.</p>" in body  # one paragraph per blank line
    assert "Gammalt brev" in body  # an older version can still be chosen
    assert reverse("letter_pdf", args=[case.pk]) in body
    values = form_values(response)
    assert values["letter"] == [str(letter.pk)]
    assert values["handed_over_on"] == [TODAY().isoformat()]
    assert values["handed_over_by"] == [str(unit_a.investigator.pk)]
    # Only the unit's social-services staff hand the letter over.
    assert f'value="{unit_a.partner.pk}"' not in body.split('name="handed_over_by"')[1]


def test_staff_record_a_handover_and_it_is_listed_with_the_version(unit_a, case, login):
    letter = make_letter(unit_a)
    client = login(unit_a.investigator)
    values = form_values(client.get(letter_url(case)))
    values["handed_over_by"] = [str(unit_a.coordinator.pk)]
    values["handed_over_on"] = [(TODAY() - timedelta(days=1)).isoformat()]
    values["note"] = ["Lästes upp tillsammans."]
    response = client.post(letter_url(case), values)

    assert response.status_code == 302
    handover = LetterHandover.objects.get(case=case)
    assert handover.letter == letter
    assert handover.handed_over_by == unit_a.coordinator
    assert handover.recorded_by == unit_a.investigator
    assert AccessLogEntry.objects.filter(
        object_type="letter", action="create", case_id=case.pk, object_id=str(handover.pk)
    ).exists()

    body = client.get(letter_url(case)).content.decode()
    row = body.split("<tbody>")[1].split("</tbody>")[0]
    assert (TODAY() - timedelta(days=1)).isoformat() in row
    assert "(2024:1)" in row
    assert unit_a.coordinator.get_full_name() in row
    assert unit_a.investigator.get_full_name() in row
    assert "Lästes upp tillsammans." in row
    assert "Överlämnandet av informationsbrevet är registrerat." in body


def test_invalid_handover_is_refused_in_swedish_and_input_kept(unit_a, case, login):
    make_letter(unit_a)
    client = login(unit_a.coordinator)
    values = form_values(client.get(letter_url(case)))
    values["handed_over_on"] = [(TODAY() + timedelta(days=2)).isoformat()]
    values["note"] = ["Min anteckning"]
    response = client.post(letter_url(case), values)
    assert response.status_code == 200
    assert "Datumet kan inte ligga i framtiden." in response.content.decode()
    assert form_values(response)["note"] == ["Min anteckning"]

    values["handed_over_on"] = [""]
    values["handed_over_by"] = [str(unit_a.partner.pk)]
    body = client.post(letter_url(case), values).content.decode()
    assert "Ange när brevet lämnades." in body
    assert "Välj ett giltigt alternativ" in body
    assert not LetterHandover.objects.exists()


def test_another_units_letter_cannot_be_recorded(unit_a, unit_b, case, login):
    make_letter(unit_a)
    foreign = make_letter(unit_b)
    client = login(unit_a.coordinator)
    values = form_values(client.get(letter_url(case)))
    values["letter"] = [str(foreign.pk)]
    response = client.post(letter_url(case), values)
    assert response.status_code == 200
    assert "Välj ett giltigt alternativ" in response.content.decode()
    assert not LetterHandover.objects.exists()


# --- The PDF ------------------------------------------------------------------------------------


def test_pdf_is_the_letter_addressed_to_the_person(unit_a, case, login):
    make_letter(unit_a, "2023:9", active=False, title="Ersatt")
    make_letter(unit_a)
    response = login(unit_a.coordinator).get(pdf_url(case))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response)
    assert case.person.full_name in text
    assert "version 2024:1" in text
    assert "Information om den sociala insatsgruppen" in text
    assert "Det är frivilligt att delta." in text
    assert unit_a.unit.name in text
    assert TODAY().isoformat() in text
    assert "2023:9" not in text
    assert AccessLogEntry.objects.filter(
        object_type="letter", action="print", case_id=case.pk
    ).exists()


def test_pdf_of_a_de_identified_case_uses_the_alias(unit_a, login):
    case = unit_a.case(age=17)
    make_letter(unit_a)
    text = pdf_text(login(unit_a.coordinator).get(pdf_url(case)))
    assert case.alias in text


# --- Who may see it -----------------------------------------------------------------------------


def test_partners_get_404(unit_a, case, login):
    letter = make_letter(unit_a)
    police_member(unit_a, case)
    consent(unit_a, case)  # criminality, family and health: still no letter for partners
    client = login(unit_a.partner)
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200
    assert client.get(letter_url(case)).status_code == 404
    assert client.get(pdf_url(case)).status_code == 404
    data = {
        "letter": letter.pk,
        "handed_over_on": TODAY().isoformat(),
        "handed_over_by": unit_a.coordinator.pk,
    }
    assert client.post(letter_url(case), data).status_code == 404
    assert not LetterHandover.objects.exists()
    assert AccessLogEntry.objects.filter(
        object_type="letter", action="denied", user=unit_a.partner
    ).exists()


def test_other_units_staff_get_404(unit_a, unit_b, case, login):
    make_letter(unit_a)
    client = login(unit_b.supervisor)
    assert client.get(letter_url(case)).status_code == 404
    assert client.get(pdf_url(case)).status_code == 404
    data = {"handed_over_on": TODAY().isoformat(), "handed_over_by": unit_b.supervisor.pk}
    assert client.post(letter_url(case), data).status_code == 404
    assert not LetterHandover.objects.exists()


def test_closed_case_can_be_read_but_not_recorded(unit_a, case, login):
    letter = make_letter(unit_a)
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=unit_a.coordinator, reason="Avstår."
    )
    client = login(unit_a.coordinator)
    response = client.get(letter_url(case))
    assert response.status_code == 200
    assert 'name="handed_over_by"' not in response.content.decode()
    data = {
        "letter": letter.pk,
        "handed_over_on": TODAY().isoformat(),
        "handed_over_by": unit_a.coordinator.pk,
    }
    assert client.post(letter_url(case), data).status_code == 404
    assert not LetterHandover.objects.exists()


def test_the_page_runs_a_fixed_number_of_queries(unit_a, case, login):
    letters = [make_letter(unit_a, f"v{i}", active=i == 4) for i in range(5)]
    client = login(unit_a.coordinator)

    def record(count):
        for i in range(count):
            inv.letter_handover_record(
                case=case,
                by=unit_a.coordinator,
                letter=letters[i % 5],
                handed_over_on=TODAY(),
                handed_over_by=[unit_a.coordinator, unit_a.investigator][i % 2],
            )

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(letter_url(case)).status_code == 200
        return len(queries)

    record(1)
    few = count()
    record(20)
    assert count() == few


def test_page_query_bound(unit_a, case, login, django_assert_max_num_queries):
    make_letter(unit_a)
    client = login(unit_a.coordinator)
    with django_assert_max_num_queries(16):
        client.get(letter_url(case))


# --- The admin ----------------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", "test-password-123")


def test_admin_lists_letters_by_unit_version_and_use(unit_a, unit_b, client, superuser):
    make_letter(unit_a, "A-1")
    make_letter(unit_b, "B-1", title="Betas brev")
    client.force_login(superuser)
    response = client.get(reverse("admin:investigation_informationletter_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "A-1" in body and "Betas brev" in body and unit_a.unit.name in body


def test_a_new_active_version_retires_the_earlier_one(unit_a, client, superuser):
    old = make_letter(unit_a, "2024:1")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:investigation_informationletter_add"),
        {
            "unit": unit_a.unit.pk,
            "version": "2025:1",
            "title": "Nytt brev",
            "body": "Första stycket.\n\nAndra stycket.",
            "active": "on",
            "_save": "Spara",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    old.refresh_from_db()
    assert not old.active
    assert inv.current_letter(unit_a.unit.pk).version == "2025:1"


def test_a_handed_over_letter_keeps_its_text(unit_a, case, client, superuser):
    letter = make_letter(unit_a)
    inv.letter_handover_record(
        case=case,
        by=unit_a.coordinator,
        letter=letter,
        handed_over_on=TODAY(),
        handed_over_by=unit_a.coordinator,
    )
    client.force_login(superuser)
    url = reverse("admin:investigation_informationletter_change", args=[letter.pk])
    body = client.get(url).content.decode()
    assert 'name="body"' not in body
    assert 'name="active"' in body
    # No case content in the admin.
    assert case.alias not in body and case.person.full_name not in body
