"""Registering a consent through the page /arenden/<pk>/samtycken/nytt/ (SPEC §5, §7).

Bad input gets a clear Swedish message beside the field and in the error summary, and nothing
that was typed is lost; nothing is saved until the whole consent holds.
"""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.html import escape

from insats.access.models import AccessLogEntry
from insats.consent.models import Consent


@pytest.fixture
def adult(unit_a, kit):
    return kit.person_case(unit_a, age=20, first="Vera")


def url(case) -> str:
    return f"/arenden/{case.pk}/samtycken/nytt/"


def valid_post(world, kit, **overrides) -> dict:
    today = timezone.localdate()
    data = {
        "organisations": [str(world.police.pk), str(world.school.pk)],
        "categories": [str(c.pk) for c in kit.categories(world, "health", "economy")],
        "form": "written",
        "oral_received_by": "",
        "place": "Fiktiva Lillby",
        "signed_on": (today - timedelta(days=2)).isoformat(),
        "valid_from": (today - timedelta(days=1)).isoformat(),
        "valid_until": (today + timedelta(days=200)).isoformat(),
        "person_signed": "on",
        "own_consent_judgement": "",
        "officer_name": "Lotta Lotsdotter",
        "officer_phone": "08-555 000 11",
        "officer_organisation": str(world.social.pk),
        "research_follow_up": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def field_error(page: str, field: str) -> str:
    """The error text rendered beside the field (empty when there is none)."""
    match = re.search(rf'<p class="error-message" id="id_{field}_error">(.*?)</p>', page, re.S)
    if not match:
        return ""
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Fel:", "").strip()


def error_summary(page: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    return match.group(0) if match else ""


# --- the happy path ----------------------------------------------------------------------------


def test_the_form_offers_the_units_partners_and_categories(unit_a, unit_b, kit, adult, login):
    page = login(unit_a.coordinator).get(url(adult)).content.decode()
    assert "Registrera samtycke" in page
    assert unit_a.police.name in page and unit_a.school.name in page
    assert unit_b.police.name not in page
    assert "Personen är 20 år och samtycker själv." in page


def test_a_valid_post_creates_the_consent_and_redirects(unit_a, kit, adult, login):
    data = valid_post(unit_a, kit)
    response = login(unit_a.coordinator).post(url(adult), data)

    consent = Consent.objects.get(case=adult)
    assert response.status_code == 302
    assert response["Location"] == f"/arenden/{adult.pk}/samtycken/{consent.pk}/"
    assert set(consent.organisations.all()) == {unit_a.police, unit_a.school}
    assert {c.code for c in consent.categories.all()} == {"health", "economy"}
    assert consent.place == "Fiktiva Lillby"
    assert consent.signed_on.isoformat() == data["signed_on"]
    assert consent.valid_from.isoformat() == data["valid_from"]
    assert consent.valid_until.isoformat() == data["valid_until"]
    assert consent.person_signed is True
    assert consent.research_follow_up is True
    assert consent.officer_organisation == unit_a.social
    assert consent.recorded_by == unit_a.coordinator
    assert consent.is_active()

    follow = login(unit_a.coordinator).get(response["Location"])
    assert "Samtycket är registrerat." in follow.content.decode()


def test_creating_a_consent_writes_a_create_entry_in_the_access_log(unit_a, kit, adult, login):
    login(unit_a.coordinator).post(url(adult), valid_post(unit_a, kit))
    consent = Consent.objects.get(case=adult)
    entry = AccessLogEntry.objects.get(action="create", object_type="consent")
    assert entry.object_id == str(consent.pk)
    assert entry.case_id == adult.pk
    assert entry.person_id == adult.person_id
    assert entry.unit_id == unit_a.unit.pk
    assert entry.user == unit_a.coordinator
    assert "role:coordinator" in entry.grounds


def test_an_oral_consent_with_receiver_is_accepted(unit_a, kit, adult, login):
    data = valid_post(unit_a, kit, form="oral", oral_received_by="Lotta Lotsdotter, telefon")
    response = login(unit_a.coordinator).post(url(adult), data)
    assert response.status_code == 302
    consent = Consent.objects.get(case=adult)
    assert consent.form == "oral"
    assert consent.oral_received_by == "Lotta Lotsdotter, telefon"


def test_a_sixteen_year_old_needs_both_signatures_on_the_page(unit_a, kit, login):
    case = kit.person_case(unit_a, age=16, guardians=["Maja Förälder", "Nils Förälder"])
    guardians = [str(g.pk) for g in case.person.guardians.all()]
    client = login(unit_a.coordinator)

    refused = client.post(url(case), valid_post(unit_a, kit, guardians_signed=guardians[:1]))
    assert refused.status_code == 200
    assert field_error(refused.content.decode(), "guardians_signed") == (
        "Alla vårdnadshavare måste samtycka när personen är under 18 år."
    )
    assert not Consent.objects.filter(case=case).exists()

    accepted = client.post(url(case), valid_post(unit_a, kit, guardians_signed=guardians))
    assert accepted.status_code == 302
    assert Consent.objects.get(case=case).guardians_signed.count() == 2


def test_a_minor_without_guardians_gets_the_message_beside_the_field(unit_a, kit, login):
    case = kit.person_case(unit_a, age=16)
    client = login(unit_a.coordinator)
    form_page = client.get(url(case)).content.decode()
    assert "Inga vårdnadshavare är registrerade." in form_page

    response = client.post(url(case), valid_post(unit_a, kit))
    page = response.content.decode()
    assert response.status_code == 200
    message = "Personen är under 18 år: registrera vårdnadshavare innan samtycket sparas."
    assert field_error(page, "guardians_signed") == message
    assert message in error_summary(page)
    assert not Consent.objects.filter(case=case).exists()


# --- bad input: message beside the field, in the summary, every value kept --------------------

BAD_INPUT = {
    "no-organisation": ({"organisations": None}, "organisations", "Välj minst en organisation."),
    "no-category": ({"categories": None}, "categories", "Välj minst en uppgiftskategori."),
    "ends-before-start": (
        {"valid_from": +10, "valid_until": +5},
        "valid_until",
        "Samtycket kan inte upphöra innan det börjar gälla.",
    ),
    "oral-without-receiver": (
        {"form": "oral", "oral_received_by": "   "},
        "oral_received_by",
        "Ange vem som tog emot det muntliga samtycket.",
    ),
    "signed-in-future": (
        {"signed_on": +1},
        "signed_on",
        "Datumet för samtycket kan inte ligga i framtiden.",
    ),
}


def _resolve(overrides: dict) -> dict:
    today = timezone.localdate()
    return {
        key: (today + timedelta(days=value)).isoformat() if isinstance(value, int) else value
        for key, value in overrides.items()
    }


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_bad_input_is_explained_and_nothing_typed_is_lost(
    unit_a, kit, adult, login, form_values, name
):
    overrides, field, message = BAD_INPUT[name]
    data = valid_post(unit_a, kit, **_resolve(overrides))
    before = AccessLogEntry.objects.filter(action="create").count()

    response = login(unit_a.coordinator).post(url(adult), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert field_error(page, field) == message
    summary = error_summary(page)
    assert summary and "Det finns fel i formuläret" in summary
    assert escape(message) in summary or message in summary
    assert not Consent.objects.filter(case=adult).exists()
    assert AccessLogEntry.objects.filter(action="create").count() == before

    kept = form_values(response)
    for key, value in data.items():
        expected = value if isinstance(value, list) else [value]
        assert sorted(kept.get(key, [])) == sorted(expected), key


def test_several_mistakes_at_once_are_all_reported(unit_a, kit, adult, login):
    data = valid_post(unit_a, kit, organisations=None, categories=None, place="")
    page = login(unit_a.coordinator).post(url(adult), data).content.decode()
    assert field_error(page, "organisations") == "Välj minst en organisation."
    assert field_error(page, "categories") == "Välj minst en uppgiftskategori."
    assert field_error(page, "place")  # required
    assert not Consent.objects.filter(case=adult).exists()


def test_an_organisation_of_another_unit_cannot_be_posted(unit_a, unit_b, kit, adult, login):
    data = valid_post(unit_a, kit, organisations=[str(unit_b.police.pk)])
    response = login(unit_a.coordinator).post(url(adult), data)
    assert response.status_code == 200
    assert field_error(response.content.decode(), "organisations")
    assert not Consent.objects.filter(case=adult).exists()


# --- the service refuses what the form would never offer --------------------------------------


def test_the_service_refuses_organisations_of_another_unit(unit_a, unit_b, kit, adult):
    with pytest.raises(ValidationError) as caught:
        kit.consent(unit_a, adult, organisations=[unit_a.police, unit_b.police])
    assert caught.value.message_dict["organisations"] == [
        "Organisationen hör inte till enhetens samverkan."
    ]
    assert not Consent.objects.filter(case=adult).exists()


def test_the_service_refuses_categories_of_another_unit(unit_a, unit_b, kit, adult):
    with pytest.raises(ValidationError) as caught:
        kit.consent(unit_a, adult, categories=kit.categories(unit_b, "health"))
    assert caught.value.message_dict["categories"] == ["Kategorin finns inte i enhetens lista."]
    assert not Consent.objects.filter(case=adult).exists()


def test_the_service_refuses_a_consent_without_organisations_or_categories(unit_a, kit, adult):
    with pytest.raises(ValidationError) as caught:
        kit.consent(unit_a, adult, organisations=[], categories=[])
    assert set(caught.value.message_dict) == {"organisations", "categories"}


def test_the_service_refuses_an_officer_organisation_of_another_unit(unit_a, unit_b, kit, adult):
    with pytest.raises(ValidationError):
        kit.consent(unit_a, adult, officer_organisation=unit_b.social)
    assert not Consent.objects.filter(case=adult).exists()


def test_the_service_refuses_users_without_the_right(unit_a, unit_b, kit, adult):
    for outsider in (unit_a.partner, unit_a.leadership, unit_b.coordinator):
        with pytest.raises(PermissionDenied):
            kit.consent(unit_a, adult, by=outsider)
    assert not Consent.objects.filter(case=adult).exists()


# --- who may open the page ---------------------------------------------------------------------


def test_a_de_identified_case_redirects_with_a_message(unit_a, login):
    case = unit_a.case(age=16)
    client = login(unit_a.coordinator)
    response = client.get(url(case))
    assert response.status_code == 302
    assert response["Location"] == f"/arenden/{case.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Identifiera ärendet innan samtycke registreras." in page

    posted = client.post(url(case), {"place": "Lillby"})
    assert posted.status_code == 302
    assert not Consent.objects.filter(case=case).exists()


@pytest.mark.parametrize("who", ["partner_member", "leadership", "other_unit", "analyst"])
def test_outsiders_get_404(unit_a, unit_b, kit, adult, login, who):
    kit.consent(unit_a, adult)  # an active consent covering the police
    kit.partner_member(unit_a, adult)
    user = {
        "partner_member": unit_a.partner,
        "leadership": unit_a.leadership,
        "analyst": unit_a.analyst,
        "other_unit": unit_b.coordinator,
    }[who]
    client = login(user)
    assert client.get(url(adult)).status_code == 404
    assert client.post(url(adult), valid_post(unit_a, kit)).status_code == 404
    assert Consent.objects.filter(case=adult).count() == 1
    assert AccessLogEntry.objects.filter(user=user, action="denied", case_id=adult.pk).exists()


def test_every_staff_role_of_the_unit_may_register(unit_a, kit, login):
    for user in (unit_a.coordinator2, unit_a.investigator, unit_a.supervisor):
        case = kit.person_case(unit_a, age=30)
        response = login(user).post(url(case), valid_post(unit_a, kit))
        assert response.status_code == 302, user
        assert Consent.objects.get(case=case).recorded_by == user
