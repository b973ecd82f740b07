"""Intake (aktualisering): the service `case_create_intake` and the page /arenden/ny/.

All identity numbers are made up; their check digits are computed here.
"""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from insats.cases import services
from insats.cases.lifecycle import State
from insats.cases.models import Case
from insats.people.models import Person

URL = "/arenden/ny/"
TODAY = date(2026, 5, 4)


def check_digit(nine: str) -> int:
    """Luhn over YYMMDDNNN, written out here rather than taken from the code under test."""
    total = 0
    for index, char in enumerate(nine):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += sum(int(d) for d in str(product))
    return (10 - total % 10) % 10


def ten_digit_number(birth: date, serial: int = 482, *, wrong: bool = False) -> str:
    short = f"{birth:%y%m%d}{serial:03d}"
    digit = (check_digit(short) + (1 if wrong else 0)) % 10
    return f"{birth:%y%m%d}-{serial:03d}{digit}"


def completed_years(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# --- the service ------------------------------------------------------------------------------


def intake(world, **fields):
    fields.setdefault("source", "police")
    fields.setdefault("today", TODAY)
    return services.case_create_intake(unit=world.unit, created_by=world.coordinator, **fields)


def test_a_deidentified_intake_gets_an_alias_with_number_and_age(unit_a):
    case = intake(unit_a, age=16)
    assert case.alias == "Ärende 2026-001, 16 år"
    assert case.person is None
    assert not case.is_identified
    assert case.age_at_intake == 16
    assert case.state == State.INTAKE
    assert case.received_by == unit_a.coordinator
    assert [(t.from_state, t.to_state) for t in case.transitions.all()] == [("", State.INTAKE)]


def test_the_alias_carries_the_units_prefix_when_it_has_one(unit_a):
    unit_a.unit.case_prefix = "N"
    unit_a.unit.save()
    case = intake(unit_a, age=17)
    assert case.number == "N-2026-001"
    assert case.alias == "Ärende N-2026-001, 17 år"


def test_numbering_increments_per_unit_and_year(unit_a, unit_b):
    first = intake(unit_a, age=16)
    second = intake(unit_a, age=18)
    other_unit = intake(unit_b, age=20)
    third = intake(unit_a, age=15)
    next_year = intake(unit_a, age=16, today=date(2027, 1, 2))
    next_year_other_unit = intake(unit_b, age=16, today=date(2027, 1, 2))

    assert [c.number for c in (first, second, third)] == ["2026-001", "2026-002", "2026-003"]
    assert second.alias == "Ärende 2026-002, 18 år"
    assert other_unit.number == "2026-001"
    assert next_year.number == "2027-001"
    assert next_year.year == 2027
    assert next_year_other_unit.number == "2027-001"


def test_an_identified_intake_takes_the_age_from_the_person(unit_a):
    person = unit_a.person(birth=date(2009, 5, 5))
    the_day_before = intake(unit_a, person=person, age=99, today=date(2026, 5, 4))
    the_birthday = intake(unit_a, person=person, today=date(2026, 5, 5))

    assert the_day_before.person == person
    assert the_day_before.age_at_intake == 16
    assert the_day_before.alias == "Ärende 2026-001, 16 år"
    assert the_birthday.age_at_intake == 17


def test_it_refuses_a_person_of_another_unit(unit_a, unit_b):
    stranger = unit_b.person()
    with pytest.raises(ValidationError) as exc:
        intake(unit_a, person=stranger)
    assert exc.value.messages == ["Personen hör till en annan enhet."]
    assert not Case.objects.exists()


@pytest.mark.parametrize("who", ["other_unit_coordinator", "leadership", "partner", "analyst"])
def test_it_refuses_a_user_without_a_staff_role_in_the_unit(unit_a, unit_b, who):
    user = unit_b.coordinator if who == "other_unit_coordinator" else getattr(unit_a, who)
    with pytest.raises(PermissionDenied):
        services.case_create_intake(
            unit=unit_a.unit, created_by=user, age=16, source="police", today=TODAY
        )
    assert not Case.objects.exists()


def test_it_refuses_a_deidentified_intake_without_age(unit_a):
    with pytest.raises(ValidationError) as exc:
        intake(unit_a)
    assert exc.value.message_dict == {"age": ["Ange ålder när personen inte är identifierad."]}
    assert not Case.objects.exists()


def test_it_refuses_a_coordinator_of_another_unit(unit_a, unit_b):
    with pytest.raises(ValidationError) as exc:
        intake(unit_a, age=16, coordinator=unit_b.coordinator)
    assert list(exc.value.message_dict) == ["coordinator"]
    assert not Case.objects.exists()


# --- the page ---------------------------------------------------------------------------------


def deidentified_post(world, **overrides) -> dict:
    data = {
        "unit": world.unit.pk,
        "identification": "deidentified",
        "age": "16",
        "source": "police",
        "source_detail": "Kontaktpolis Syd",
        "intake_basis": "Tre rån senaste halvåret.",
        "age_at_first_offence": "13",
        "coordinator": world.coordinator2.pk,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def identified_post(world, number: str, **overrides) -> dict:
    data = deidentified_post(world, identification="identified", age="")
    data.update(
        {
            "person-first_name": "Kim",
            "person-last_name": "Testberg",
            "person-number": number,
            "person-street_address": "Provgatan 7",
            "person-postal_code": "123 45",
            "person-city": "Exempelby",
            "person-phone": "070-000 00 00",
            "person-email": "kim@example.invalid",
        }
    )
    data.update(overrides)
    return data


def test_a_coordinator_gets_the_intake_form(unit_a, login, form_values):
    response = login(unit_a.coordinator).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Registrera aktualisering" in page
    values = form_values(response)
    assert values["unit"] == str(unit_a.unit.pk)
    assert values["identification"] == "deidentified"
    for name in ("age", "source", "person-number", "person-first_name", "coordinator"):
        assert f'name="{name}"' in page


def test_posting_a_deidentified_intake_creates_the_case_and_shows_it(unit_a, login):
    client = login(unit_a.coordinator)
    response = client.post(URL, deidentified_post(unit_a))

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/arenden/{case.pk}/"
    year = timezone.localdate().year
    assert case.alias == f"Ärende {year}-001, 16 år"
    assert case.person is None
    assert case.source == "police"
    assert case.source_detail == "Kontaktpolis Syd"
    assert case.intake_basis == "Tre rån senaste halvåret."
    assert case.age_at_first_offence == 13
    assert case.coordinator == unit_a.coordinator2
    assert case.received_by == unit_a.coordinator
    assert not Person.objects.exists()

    page = client.get(response["Location"]).content.decode()
    assert f"Ärendet Ärende {year}-001, 16 år är registrerat." in page


def test_posting_an_identified_intake_creates_the_person_with_a_normalised_number(unit_a, login):
    birth = date(2009, 3, 14)
    number = ten_digit_number(birth)
    response = login(unit_a.coordinator).post(URL, identified_post(unit_a, number))

    assert response.status_code == 302
    person = Person.objects.get()
    case = Case.objects.get()
    assert person.unit == unit_a.unit
    assert (person.first_name, person.last_name) == ("Kim", "Testberg")
    assert person.identity_number == "20" + number.replace("-", "")
    assert len(person.identity_number) == 12
    assert person.number_kind == Person.NumberKind.PERSONNUMMER
    assert person.birth_date == birth
    assert person.street_address == "Provgatan 7"
    assert case.person == person
    age = completed_years(birth, timezone.localdate())
    assert case.age_at_intake == age
    assert case.alias.endswith(f", {age} år")
    assert response["Location"] == f"/arenden/{case.pk}/"


def test_an_invalid_number_is_refused_in_swedish_and_everything_typed_is_kept(
    unit_a, login, form_values
):
    number = ten_digit_number(date(2009, 3, 14), wrong=True)
    data = identified_post(unit_a, number)
    response = login(unit_a.coordinator).post(URL, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Kontrollsiffran stämmer inte. Kontrollera att numret är rätt inskrivet." in page
    assert "Det finns fel i formuläret" in page  # the error summary
    assert 'href="#id_person-number"' in page  # the summary links to the field
    values = form_values(response)
    for name, typed in data.items():
        if name == "age":
            continue
        assert values.get(name) == str(typed), name
    assert not Person.objects.exists()
    assert not Case.objects.exists()


@pytest.mark.parametrize("age", [12, 26])
def test_an_age_outside_the_target_group_warns_but_registers(unit_a, login, age):
    client = login(unit_a.coordinator)
    response = client.post(URL, deidentified_post(unit_a, age=str(age)), follow=True)

    assert response.status_code == 200
    case = Case.objects.get()
    assert case.age_at_intake == age
    assert response.redirect_chain[-1][0] == f"/arenden/{case.pk}/"
    warning = (
        f"Åldern {age} år ligger utanför enhetens målgrupp (15–25 år). Ärendet registreras ändå."
    )
    assert response.content.decode().count(warning) >= 1


def test_an_age_inside_the_target_group_gives_no_warning(unit_a, login):
    response = login(unit_a.coordinator).post(URL, deidentified_post(unit_a), follow=True)
    assert response.status_code == 200
    assert "utanför enhetens målgrupp" not in response.content.decode()


def test_the_warning_follows_the_units_own_age_range(unit_a, login):
    unit_a.unit.target_age_min, unit_a.unit.target_age_max = 19, 29
    unit_a.unit.save()
    response = login(unit_a.coordinator).post(URL, deidentified_post(unit_a, age="17"), follow=True)
    assert "Åldern 17 år ligger utanför enhetens målgrupp (19–29 år)." in (
        response.content.decode()
    )


def test_a_deidentified_intake_without_age_is_refused(unit_a, login, form_values):
    data = deidentified_post(unit_a, age="")
    response = login(unit_a.coordinator).post(URL, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ange ålder för ett avidentifierat ärende." in page
    assert "Det finns fel i formuläret" in page
    values = form_values(response)
    assert values["source_detail"] == "Kontaktpolis Syd"
    assert values["intake_basis"] == "Tre rån senaste halvåret."
    assert not Case.objects.exists()


def test_a_failed_deidentified_intake_does_not_demand_person_fields(unit_a, login):
    response = login(unit_a.coordinator).post(URL, deidentified_post(unit_a, age=""))
    assert response.status_code == 200
    assert "Detta fält måste fyllas i." not in response.content.decode()


def test_it_refuses_a_unit_the_user_does_not_work_in(unit_a, unit_b, login):
    response = login(unit_a.coordinator).post(URL, deidentified_post(unit_a, unit=unit_b.unit.pk))
    assert response.status_code == 200
    assert not Case.objects.exists()


def test_a_number_already_registered_in_the_unit_is_refused(unit_a, login):
    birth = date(2009, 3, 14)
    unit_a.person(birth=birth, serial=482)
    response = login(unit_a.coordinator).post(
        URL, identified_post(unit_a, ten_digit_number(birth, 482))
    )
    assert response.status_code == 200
    assert "Det finns redan en person med det numret." in response.content.decode()
    assert Person.objects.count() == 1
    assert not Case.objects.exists()


@pytest.mark.parametrize("who", ["leadership", "analyst", "administrator", "partner"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_is_not_found_for_users_without_a_staff_role(unit_a, login, who, method):
    client = login(getattr(unit_a, who))
    response = getattr(client, method)(URL, deidentified_post(unit_a) if method == "post" else {})
    assert response.status_code == 404
    assert not Case.objects.exists()


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/logga-in/")
