"""Person pages: details, protected contact details, editing and guardians.

Every identity number here is made up; check digits are computed by the local Luhn below.
"""

import re
from datetime import date

import pytest
from django.utils import timezone

from insats.access import policy
from insats.people.models import Guardian, Person

ADDRESS = "Hemligvägen 12"
PHONE = "070-111 22 33"
GUARDIAN_PHONE = "070-999 88 77"


def luhn(nine: str) -> int:
    total = 0
    for index, char in enumerate(nine):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def number(birth: date, serial: int = 555, *, digits: int = 12, wrong: bool = False) -> str:
    short = f"{birth:%y%m%d}{serial:03d}"
    check = (luhn(short) + (3 if wrong else 0)) % 10
    head = f"{birth:%Y%m%d}" if digits == 12 else f"{birth:%y%m%d}"
    return f"{head}-{serial:03d}{check}"


def input_value(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match[0])
    return value[1] if value else ""


def completed_years(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@pytest.fixture
def person(unit_a):
    someone = unit_a.person(
        first="Noa",
        last="Påhittsson",
        birth=date(2010, 6, 15),
        serial=555,
        street_address=ADDRESS,
        postal_code="123 45",
        city="Exempelstad",
        phone=PHONE,
        email="noa@example.invalid",
    )
    Guardian.objects.create(
        person=someone, name="Maja Påhittsson", relation="Mamma", phone=GUARDIAN_PHONE
    )
    return someone


def edit_post(person, **overrides) -> dict:
    data = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "number": person.formatted_number,
        "birth_date": person.birth_date.isoformat(),
        "reserve_number": "",
        "street_address": person.street_address,
        "postal_code": person.postal_code,
        "city": person.city,
        "phone": person.phone,
        "email": person.email,
    }
    if person.protected_identity:
        data["protected_identity"] = "on"
    data.update(overrides)
    return data


# --- the person page --------------------------------------------------------------------------


def test_the_person_page_shows_number_age_and_guardians(unit_a, person, login):
    response = login(unit_a.coordinator).get(f"/personer/{person.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Noa Påhittsson</h1>" in page
    assert number(date(2010, 6, 15), 555) in page  # YYYYMMDD-NNNC
    assert "Personnummer" in page
    age = completed_years(date(2010, 6, 15), timezone.localdate())
    assert f"2010-06-15 ({age} år)" in page
    guardians = page.split("Vårdnadshavare", 1)[1]
    assert "Maja Påhittsson" in guardians
    assert "Mamma" in guardians
    assert f'href="/personer/{person.pk}/vardnadshavare/ny/"' in page
    guardian = person.guardians.get()
    assert f'href="/personer/{person.pk}/vardnadshavare/{guardian.pk}/ta-bort/"' in page


def test_the_person_page_asks_for_guardians_of_a_minor_without_any(unit_a, login):
    minor = unit_a.person(birth=date(2011, 2, 1))
    page = login(unit_a.coordinator).get(f"/personer/{minor.pk}/").content.decode()
    assert "Personen är under 18 år – registrera vårdnadshavare." in page


def test_the_person_page_lists_the_persons_cases(unit_a, person, login):
    case = unit_a.case(person=person)
    page = login(unit_a.investigator).get(f"/personer/{person.pk}/").content.decode()
    assert f'<a href="/arenden/{case.pk}/">{case.alias}</a>' in page


STAFF = [
    "coordinator",
    "coordinator2",
    "investigator",
    "supervisor",
    "supervisor_without_delegation",
]


@pytest.mark.parametrize("protected", [False, True], ids=["open", "protected"])
@pytest.mark.parametrize("who", STAFF)
def test_the_contact_details_appear_exactly_when_the_policy_allows(
    unit_a, person, login, who, protected
):
    person.protected_identity = protected
    person.save()
    unit_a.case(person=person)  # unit_a.coordinator coordinates the person's case
    user = getattr(unit_a, who)

    allowed = bool(policy.decide_person(user, policy.Action.VIEW_PERSON_CONTACT, person))
    page = login(user).get(f"/personer/{person.pk}/").content.decode()

    assert (ADDRESS in page) is allowed
    assert (PHONE in page) is allowed
    assert (GUARDIAN_PHONE in page) is allowed
    assert ("Skyddade" in page.split("Personuppgifter", 1)[1]) is (not allowed)
    if protected:
        assert "Skyddade personuppgifter" in page


def test_open_contact_details_are_shown_to_all_staff_of_the_unit(unit_a, person):
    for who in STAFF:
        user = getattr(unit_a, who)
        assert policy.decide_person(user, policy.Action.VIEW_PERSON_CONTACT, person), who


def test_protected_contact_details_are_kept_from_staff_outside_the_case(unit_a, person, login):
    person.protected_identity = True
    person.save()
    unit_a.case(person=person)  # coordinated by unit_a.coordinator, not coordinator2
    assert policy.decide_person(unit_a.coordinator, policy.Action.VIEW_PERSON_CONTACT, person)
    assert not policy.decide_person(unit_a.coordinator2, policy.Action.VIEW_PERSON_CONTACT, person)
    page = login(unit_a.coordinator2).get(f"/personer/{person.pk}/").content.decode()
    assert ADDRESS not in page
    assert PHONE not in page


def test_the_page_hides_contact_details_whenever_the_policy_says_no(
    unit_a, person, login, monkeypatch
):
    """Whatever the rule becomes, the template obeys the contact decision."""
    real = policy.decide_person

    def no_contact(user, action, someone):
        if action == policy.Action.VIEW_PERSON_CONTACT:
            return policy.DENY
        return real(user, action, someone)

    monkeypatch.setattr(policy, "decide_person", no_contact)
    page = login(unit_a.supervisor).get(f"/personer/{person.pk}/").content.decode()
    assert ADDRESS not in page
    assert PHONE not in page
    assert GUARDIAN_PHONE not in page
    assert "Noa Påhittsson" in page


def test_the_edit_page_does_not_show_protected_contact_details_to_staff_outside_the_case(
    unit_a, person, login
):
    person.protected_identity = True
    person.save()
    unit_a.case(person=person)
    client = login(unit_a.coordinator2)
    response = client.get(f"/personer/{person.pk}/andra/")
    assert response.status_code == 200
    page = response.content.decode()
    assert ADDRESS not in page
    assert PHONE not in page

    # Saving the name does neither wipe the hidden details nor lift the protection.
    saved = client.post(
        f"/personer/{person.pk}/andra/",
        {
            "first_name": "Noah",
            "last_name": person.last_name,
            "number": person.formatted_number,
        },
    )
    assert saved.status_code == 302
    person.refresh_from_db()
    assert person.first_name == "Noah"
    assert (person.street_address, person.phone) == (ADDRESS, PHONE)
    assert person.protected_identity is True


# --- editing ----------------------------------------------------------------------------------


def test_the_edit_form_shows_the_stored_number(unit_a, person, login):
    response = login(unit_a.coordinator).get(f"/personer/{person.pk}/andra/")
    assert response.status_code == 200
    assert input_value(response.content.decode(), "number") == person.formatted_number


def test_editing_with_an_invalid_number_keeps_the_input_and_changes_nothing(unit_a, person, login):
    bad = number(date(2010, 6, 15), 556, wrong=True)
    data = edit_post(person, first_name="Noel", number=bad, street_address="Nya gatan 1")
    response = login(unit_a.coordinator).post(f"/personer/{person.pk}/andra/", data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Kontrollsiffran stämmer inte. Kontrollera att numret är rätt inskrivet." in page
    assert "Det finns fel i formuläret" in page
    assert input_value(page, "number") == bad
    assert input_value(page, "first_name") == "Noel"
    assert input_value(page, "street_address") == "Nya gatan 1"
    person.refresh_from_db()
    assert person.first_name == "Noa"
    assert person.identity_number == number(date(2010, 6, 15), 555).replace("-", "")
    assert person.street_address == ADDRESS


def test_editing_normalises_a_ten_digit_number(unit_a, person, login):
    birth = date(2009, 11, 30)
    ten = number(birth, 818, digits=10)
    assert len(ten.replace("-", "")) == 10
    client = login(unit_a.coordinator)
    response = client.post(f"/personer/{person.pk}/andra/", edit_post(person, number=ten))

    assert response.status_code == 302
    assert response["Location"] == f"/personer/{person.pk}/"
    person.refresh_from_db()
    assert person.identity_number == "20" + ten.replace("-", "")
    assert person.birth_date == birth
    assert person.number_kind == Person.NumberKind.PERSONNUMMER
    page = client.get(f"/personer/{person.pk}/").content.decode()
    assert "Personuppgifterna är sparade." in page
    assert number(birth, 818) in page


def test_editing_recognises_a_samordningsnummer(unit_a, person, login):
    short = "100675" + "432"  # 15 June 2010 with 60 added to the day
    coordination = f"20100675-432{luhn(short)}"
    response = login(unit_a.coordinator).post(
        f"/personer/{person.pk}/andra/", edit_post(person, number=coordination)
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.identity_number == coordination.replace("-", "")
    assert person.number_kind == Person.NumberKind.SAMORDNINGSNUMMER
    assert person.birth_date == date(2010, 6, 15)


def test_editing_refuses_the_number_of_another_person_in_the_unit(unit_a, person, login):
    other = unit_a.person(first="Annan", birth=date(2008, 1, 9), serial=212)
    response = login(unit_a.coordinator).post(
        f"/personer/{person.pk}/andra/", edit_post(person, number=other.formatted_number)
    )
    assert response.status_code == 200
    assert "Det finns redan en person med det numret." in response.content.decode()
    person.refresh_from_db()
    assert person.identity_number != other.identity_number


def test_removing_the_number_needs_a_birth_date(unit_a, person, login):
    response = login(unit_a.coordinator).post(
        f"/personer/{person.pk}/andra/", edit_post(person, number="", birth_date="")
    )
    assert response.status_code == 200
    assert "Ange födelsedatum när person- och samordningsnummer saknas." in (
        response.content.decode()
    )
    person.refresh_from_db()
    assert person.identity_number is not None


# --- guardians --------------------------------------------------------------------------------


def test_adding_a_guardian(unit_a, person, login):
    client = login(unit_a.coordinator)
    assert client.get(f"/personer/{person.pk}/vardnadshavare/ny/").status_code == 200
    response = client.post(
        f"/personer/{person.pk}/vardnadshavare/ny/",
        {"name": "Olle Påhittsson", "relation": "Pappa", "email": "olle@example.invalid"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/personer/{person.pk}/"
    assert set(person.guardians.values_list("name", flat=True)) == {
        "Maja Påhittsson",
        "Olle Påhittsson",
    }
    page = client.get(f"/personer/{person.pk}/").content.decode()
    assert "Vårdnadshavaren är tillagd." in page
    assert "Olle Påhittsson" in page


def test_adding_a_guardian_with_bad_input_shows_swedish_errors_and_keeps_the_input(
    unit_a, person, login
):
    response = login(unit_a.coordinator).post(
        f"/personer/{person.pk}/vardnadshavare/ny/",
        {"name": "", "relation": "Moster", "email": "inte-en-adress"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Det finns fel i formuläret" in page
    assert "Detta fält måste fyllas i." in page
    assert "Fyll i en giltig e-postadress." in page
    assert input_value(page, "relation") == "Moster"
    assert input_value(page, "email") == "inte-en-adress"
    assert person.guardians.count() == 1


def test_removing_a_guardian_asks_first_and_deletes_only_on_post(unit_a, person, login):
    guardian = person.guardians.get()
    url = f"/personer/{person.pk}/vardnadshavare/{guardian.pk}/ta-bort/"
    client = login(unit_a.coordinator)

    question = client.get(url)
    assert question.status_code == 200
    assert (
        "Vill du ta bort Maja Påhittsson som vårdnadshavare för Noa Påhittsson?"
        in question.content.decode()
    )
    assert Guardian.objects.filter(pk=guardian.pk).exists()

    done = client.post(url)
    assert done.status_code == 302
    assert done["Location"] == f"/personer/{person.pk}/"
    assert not Guardian.objects.filter(pk=guardian.pk).exists()
    assert "Vårdnadshavaren är borttagen." in client.get(done["Location"]).content.decode()


def test_a_guardian_cannot_be_removed_through_another_persons_url(unit_a, person, login):
    other = unit_a.person(first="Annan", birth=date(2008, 1, 9), serial=212)
    guardian = person.guardians.get()
    response = login(unit_a.coordinator).post(
        f"/personer/{other.pk}/vardnadshavare/{guardian.pk}/ta-bort/"
    )
    assert response.status_code == 404
    assert Guardian.objects.filter(pk=guardian.pk).exists()


# --- other units and other roles --------------------------------------------------------------

PAGES = [
    ("get", "{p}/"),
    ("get", "{p}/andra/"),
    ("post", "{p}/andra/"),
    ("get", "{p}/vardnadshavare/ny/"),
    ("post", "{p}/vardnadshavare/ny/"),
    ("get", "{p}/vardnadshavare/{g}/ta-bort/"),
    ("post", "{p}/vardnadshavare/{g}/ta-bort/"),
]


@pytest.mark.parametrize(("method", "path"), PAGES)
@pytest.mark.parametrize("who", ["other_unit_supervisor", "partner", "leadership", "administrator"])
def test_every_person_page_is_not_found_for_outsiders(
    unit_a, unit_b, person, login, method, path, who
):
    user = unit_b.supervisor if who == "other_unit_supervisor" else getattr(unit_a, who)
    guardian = person.guardians.get()
    url = "/personer/" + path.format(p=person.pk, g=guardian.pk)
    data = {**edit_post(person, first_name="Ändrad"), "name": "Ny Vårdnadshavare"}

    response = getattr(login(user), method)(url, data if method == "post" else {})

    assert response.status_code == 404
    person.refresh_from_db()
    assert person.first_name == "Noa"
    assert list(person.guardians.values_list("pk", flat=True)) == [guardian.pk]
    assert ADDRESS not in response.content.decode()
