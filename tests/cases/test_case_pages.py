"""The case page and the pages hanging off it: lifecycle moves, staffing and identification."""

import re
from datetime import date

import pytest

from insats.access import policy
from insats.cases import services
from insats.cases.lifecycle import State
from insats.cases.models import Case
from insats.organisations.models import DischargeReason, Membership, Role
from insats.people.models import Person


def made_up_number(birth: date, serial: int = 731) -> str:
    """YYYYMMDD-NNNC with a Luhn check digit computed here."""
    digits = f"{birth:%y%m%d}{serial:03d}"
    total = sum(
        sum(int(d) for d in str(int(c) * (2 if i % 2 == 0 else 1))) for i, c in enumerate(digits)
    )
    return f"{birth:%Y%m%d}-{serial:03d}{(10 - total % 10) % 10}"


def step_links(page: str, pk: int) -> set[str]:
    """Targets of the enabled next-step buttons (links to the transition page)."""
    return set(re.findall(rf'<a class="button[^"]*" href="/arenden/{pk}/steg/([a-z_]+)/"', page))


def disabled_steps(page: str) -> list[tuple[str, str]]:
    """(label, reason) of each disabled next-step button."""
    return re.findall(
        r'<span class="button button--disabled">([^<]+)</span>\s*'
        r'<span class="muted">([^<]*)</span>',
        page,
    )


def full_name(user) -> str:
    return user.get_full_name()


# --- the case page ----------------------------------------------------------------------------


def test_the_case_page_shows_alias_state_and_timeline(unit_a, login):
    case = unit_a.case(age=16)
    services.case_transition(
        case=case,
        to_state=State.INVESTIGATION,
        by=unit_a.investigator,
        reason="Polisens underlag räcker för att inleda utredning.",
    )
    response = login(unit_a.coordinator).get(f"/arenden/{case.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{case.alias}</h1>" in page
    assert re.search(r'class="tag tag--investigation">Utredning<', page)
    timeline = page.split("Tidslinje", 1)[1]
    assert "Aktualisering registrerad." in timeline
    assert "Aktualisering → Utredning" in timeline
    assert "Polisens underlag räcker för att inleda utredning." in timeline
    assert full_name(unit_a.investigator) in timeline
    assert timeline.index("Aktualisering registrerad.") < timeline.index("Polisens underlag")
    assert "Inte identifierad" in page
    assert f'href="/arenden/{case.pk}/identifiera/"' in page


def test_the_case_page_shows_the_person_of_an_identified_case(unit_a, login):
    person = unit_a.person(first="Robin", last="Provsson", birth=date(2010, 1, 20))
    case = unit_a.case(person=person)
    page = login(unit_a.investigator).get(f"/arenden/{case.pk}/").content.decode()
    assert "Robin Provsson" in page
    assert person.formatted_number in page
    assert f'href="/personer/{person.pk}/"' in page
    assert "Inte identifierad" not in page


def test_the_case_page_offers_the_steps_the_user_may_take(unit_a, login):
    case = unit_a.case()
    page = login(unit_a.coordinator).get(f"/arenden/{case.pk}/").content.decode()
    assert step_links(page, case.pk) == {"investigation", "withdrawn"}
    assert "Inled utredning" in page
    assert "Avsluta aktualiseringen" in page
    assert disabled_steps(page) == []


def test_a_supervisor_without_delegation_sees_decisions_disabled_with_the_reason(
    unit_a, case_in, login
):
    case = case_in(State.DECISION)
    page = login(unit_a.supervisor_without_delegation).get(f"/arenden/{case.pk}/").content.decode()
    assert step_links(page, case.pk) == {"investigation"}
    assert sorted(disabled_steps(page)) == [
        ("Besluta om avslag", "Du har inte delegation att besluta."),
        ("Besluta om insats", "Du har inte delegation att besluta."),
    ]


def test_a_supervisor_with_delegation_may_take_every_decision(unit_a, case_in, login):
    case = case_in(State.DECISION)
    page = login(unit_a.supervisor).get(f"/arenden/{case.pk}/").content.decode()
    assert step_links(page, case.pk) == {"investigation", "assignment", "declined"}


def test_a_coordinator_sees_supervisor_steps_disabled_with_the_reason(unit_a, case_in, login):
    case = case_in(State.DECISION)
    page = login(unit_a.coordinator).get(f"/arenden/{case.pk}/").content.decode()
    assert step_links(page, case.pk) == set()
    reasons = disabled_steps(page)
    assert len(reasons) == 3
    assert {reason for _label, reason in reasons} == {"Din roll får inte göra detta steg."}


def test_a_deciding_supervisor_who_investigates_the_case_sees_the_separation_reason(
    unit_a, case_in, login
):
    boss = unit_a.supervisor
    Membership.objects.create(user=boss, organisation=unit_a.social, role=Role.INVESTIGATOR)
    policy.forget_roles(boss)
    case = case_in(State.DECISION)
    services.case_assign_staff(
        case=case, by=boss, coordinator=unit_a.coordinator, investigator=boss
    )
    page = login(boss).get(f"/arenden/{case.pk}/").content.decode()
    assert step_links(page, case.pk) == {"investigation"}
    assert {reason for _label, reason in disabled_steps(page)} == {
        "Den som beslutar får inte vara ärendets utredare eller lots (åtskillnad av uppgifter)."
    }


def test_a_closed_case_offers_no_steps_and_shows_the_discharge_reason(unit_a, case_in, login):
    case = case_in(State.DISCHARGED)
    page = login(unit_a.coordinator).get(f"/arenden/{case.pk}/").content.decode()
    assert "Ärendet är avslutat." in page
    assert step_links(page, case.pk) == set()
    assert str(case.discharge_reason) in page
    assert "Skäl för utskrivning" in page


def test_the_case_page_shows_the_age_warning_for_an_age_outside_the_target_group(unit_a, login):
    case = unit_a.case(age=13)
    page = login(unit_a.coordinator).get(f"/arenden/{case.pk}/").content.decode()
    assert "Åldern 13 år ligger utanför enhetens målgrupp (15–25 år)." in page


# --- the transition page ----------------------------------------------------------------------


def test_the_transition_page_shows_a_reason_form(unit_a, login, form_values):
    case = unit_a.case()
    response = login(unit_a.coordinator).get(f"/arenden/{case.pk}/steg/investigation/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Inled utredning</h1>" in page
    assert '<textarea name="reason"' in page
    assert "discharge_reason" not in form_values(response)


def test_posting_an_empty_reason_keeps_the_page_with_a_swedish_error(unit_a, login):
    case = unit_a.case()
    response = login(unit_a.coordinator).post(
        f"/arenden/{case.pk}/steg/investigation/", {"reason": "   "}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Skriv en motivering." in page
    assert "Det finns fel i formuläret" in page
    case.refresh_from_db()
    assert case.state == State.INTAKE
    assert case.transitions.count() == 1


def test_posting_a_reason_moves_the_case_and_returns_to_it(unit_a, login):
    case = unit_a.case()
    client = login(unit_a.coordinator)
    response = client.post(f"/arenden/{case.pk}/steg/investigation/", {"reason": "Samtycke finns."})
    assert response.status_code == 302
    assert response["Location"] == f"/arenden/{case.pk}/"
    case.refresh_from_db()
    assert case.state == State.INVESTIGATION
    last = case.transitions.last()
    assert (last.by, last.reason) == (unit_a.coordinator, "Samtycke finns.")
    page = client.get(response["Location"]).content.decode()
    assert "Ärendet är nu i steget ”Utredning”." in page


def test_a_decision_move_leads_to_the_decision_page_where_grounds_are_recorded(
    unit_a, case_in, login
):
    case = case_in(State.DECISION)
    client = login(unit_a.supervisor)
    for method in (client.get, client.post):
        response = method(f"/arenden/{case.pk}/steg/assignment/", {"reason": "Beviljas."})
        assert response.status_code == 302
        assert response["Location"] == f"/arenden/{case.pk}/beslut/inskrivning/"
    case.refresh_from_db()
    assert case.state == State.DECISION
    assert case.decision_maker is None


def test_a_move_the_role_may_not_make_is_refused_on_the_page(unit_a, case_in, login):
    case = case_in(State.DECISION)  # only a supervisor sends a case back to investigation
    client = login(unit_a.coordinator)
    get = client.get(f"/arenden/{case.pk}/steg/investigation/")
    assert get.status_code == 200
    assert "Din roll får inte göra detta steg." in get.content.decode()
    assert '<textarea name="reason"' not in get.content.decode()

    post = client.post(f"/arenden/{case.pk}/steg/investigation/", {"reason": "Tillbaka."})
    assert post.status_code == 403
    case.refresh_from_db()
    assert case.state == State.DECISION


def test_an_impossible_move_in_the_url_returns_to_the_case_with_a_message(unit_a, login):
    case = unit_a.case()
    client = login(unit_a.supervisor)
    response = client.post(f"/arenden/{case.pk}/steg/discharged/", {"reason": "Skriv ut."})
    assert response.status_code == 302
    assert response["Location"] == f"/arenden/{case.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Det steget är inte möjligt i ärendets nuvarande läge." in page
    case.refresh_from_db()
    assert case.state == State.INTAKE


def test_the_discharge_page_offers_only_the_units_active_reasons(unit_a, unit_b, case_in, login):
    case = case_in(State.IMPLEMENTATION)
    retired = DischargeReason.objects.get(unit=unit_a.unit, code="moved")
    retired.active = False
    retired.save()
    response = login(unit_a.coordinator).get(f"/arenden/{case.pk}/steg/discharged/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<select name="discharge_reason"' in page
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', page)}
    expected = set(
        DischargeReason.objects.filter(unit=unit_a.unit, active=True).values_list("pk", flat=True)
    )
    assert offered == expected
    assert retired.pk not in offered
    assert "Målen uppnådda" in page


def test_discharging_on_the_page_needs_a_reason_from_the_list(unit_a, unit_b, case_in, login):
    case = case_in(State.FOLLOW_UP)
    client = login(unit_a.coordinator)
    url = f"/arenden/{case.pk}/steg/discharged/"

    missing = client.post(url, {"reason": "Målen är nådda."})
    assert missing.status_code == 200
    assert "Välj skäl för utskrivning." in missing.content.decode()

    foreign = DischargeReason.objects.get(unit=unit_b.unit, code="goals_met")
    other_unit = client.post(url, {"reason": "Målen är nådda.", "discharge_reason": foreign.pk})
    assert other_unit.status_code == 200
    case.refresh_from_db()
    assert case.state == State.FOLLOW_UP

    own = DischargeReason.objects.get(unit=unit_a.unit, code="goals_met")
    no_summary = client.post(url, {"reason": "Målen är nådda.", "discharge_reason": own.pk})
    assert no_summary.status_code == 200
    assert "Skriv en avslutande sammanfattning." in no_summary.content.decode()
    case.refresh_from_db()
    assert case.state == State.FOLLOW_UP

    summary = "Har jobb och egen lägenhet; inga nya brott på ett år."
    done = client.post(
        url, {"reason": "Målen är nådda.", "discharge_reason": own.pk, "summary": summary}
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISCHARGED
    assert case.discharge_reason == own
    assert case.transitions.last().discharge_reason == own
    assert case.transitions.last().summary == summary


# --- the staffing page ------------------------------------------------------------------------


def test_a_supervisor_gets_the_staffing_page_with_the_current_staff(unit_a, login, form_values):
    case = unit_a.case()
    response = login(unit_a.supervisor).get(f"/arenden/{case.pk}/personal/")
    assert response.status_code == 200
    values = form_values(response)
    assert values["coordinator"] == str(unit_a.coordinator.pk)
    assert values.get("investigator", "") == ""
    assert (
        f'href="/arenden/{case.pk}/personal/"'
        in login(unit_a.supervisor).get(f"/arenden/{case.pk}/").content.decode()
    )


def test_a_supervisor_assigns_staff_on_the_page(unit_a, login):
    case = unit_a.case()
    client = login(unit_a.supervisor)
    response = client.post(
        f"/arenden/{case.pk}/personal/",
        {"coordinator": unit_a.coordinator2.pk, "investigator": unit_a.investigator.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/arenden/{case.pk}/"
    case.refresh_from_db()
    assert (case.coordinator, case.investigator) == (unit_a.coordinator2, unit_a.investigator)
    assert "Ärendets personal är sparad." in client.get(f"/arenden/{case.pk}/").content.decode()


def test_the_staffing_page_refuses_the_decision_maker_as_investigator(unit_a, case_in, login):
    boss = unit_a.supervisor
    Membership.objects.create(user=boss, organisation=unit_a.social, role=Role.INVESTIGATOR)
    case = case_in(State.ASSIGNMENT)
    response = login(boss).post(
        f"/arenden/{case.pk}/personal/",
        {"coordinator": unit_a.coordinator.pk, "investigator": boss.pk},
    )
    assert response.status_code == 200
    assert "Beslutsfattaren kan inte också vara lots eller utredare i ärendet." in (
        response.content.decode()
    )
    case.refresh_from_db()
    assert case.investigator is None


def test_the_staffing_page_offers_only_users_with_the_role(unit_a, login):
    case = unit_a.case()
    response = login(unit_a.supervisor).post(
        f"/arenden/{case.pk}/personal/", {"coordinator": unit_a.investigator.pk}
    )
    assert response.status_code == 200
    assert "Det finns fel i formuläret" in response.content.decode()
    case.refresh_from_db()
    assert case.coordinator == unit_a.coordinator


@pytest.mark.parametrize("who", ["coordinator", "investigator"])
def test_the_staffing_page_is_not_found_for_other_staff(unit_a, login, who):
    case = unit_a.case()
    client = login(getattr(unit_a, who))
    assert client.get(f"/arenden/{case.pk}/personal/").status_code == 404
    post = client.post(f"/arenden/{case.pk}/personal/", {"coordinator": unit_a.coordinator2.pk})
    assert post.status_code == 404
    case.refresh_from_db()
    assert case.coordinator == unit_a.coordinator
    page = client.get(f"/arenden/{case.pk}/").content.decode()
    assert f'href="/arenden/{case.pk}/personal/"' not in page


# --- identification ---------------------------------------------------------------------------


def identify_post(number: str, **overrides) -> dict:
    data = {
        "first_name": "Alex",
        "last_name": "Exempelsson",
        "number": number,
        "street_address": "Påhittade vägen 3",
        "postal_code": "111 11",
        "city": "Fiktiva",
    }
    data.update(overrides)
    return data


def test_identifying_creates_and_links_a_person(unit_a, login):
    case = unit_a.case()
    client = login(unit_a.coordinator)
    assert client.get(f"/arenden/{case.pk}/identifiera/").status_code == 200

    number = made_up_number(date(2009, 8, 2))
    response = client.post(f"/arenden/{case.pk}/identifiera/", identify_post(number))

    assert response.status_code == 302
    assert response["Location"] == f"/arenden/{case.pk}/"
    case.refresh_from_db()
    person = Person.objects.get()
    assert case.person == person
    assert person.unit == unit_a.unit
    assert person.identity_number == number.replace("-", "")
    assert person.birth_date == date(2009, 8, 2)
    page = client.get(f"/arenden/{case.pk}/").content.decode()
    assert "Ärendet är identifierat." in page
    assert "Alex Exempelsson" in page


def test_identifying_with_an_invalid_number_keeps_the_input(unit_a, login, form_values):
    case = unit_a.case()
    good = made_up_number(date(2009, 8, 2))
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    response = login(unit_a.coordinator).post(
        f"/arenden/{case.pk}/identifiera/", identify_post(bad)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Kontrollsiffran stämmer inte." in page
    assert "Numret tillhör" not in page
    values = form_values(response)
    assert values["number"] == bad
    assert values["street_address"] == "Påhittade vägen 3"
    assert not Person.objects.exists()
    case.refresh_from_db()
    assert case.person is None


def test_identifying_with_a_registered_number_offers_that_person(unit_a, login):
    birth = date(2008, 12, 24)
    existing = unit_a.person(first="Sam", last="Redansson", birth=birth, serial=731)
    case = unit_a.case()
    client = login(unit_a.coordinator)

    response = client.post(
        f"/arenden/{case.pk}/identifiera/",
        identify_post(made_up_number(birth, 731)),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Det finns redan en person med det numret." in page
    assert "Numret tillhör Sam Redansson, som redan är registrerad." in page
    assert f'action="/arenden/{case.pk}/identifiera/befintlig/"' in page
    assert f'name="person" value="{existing.pk}"' in page

    linked = client.post(f"/arenden/{case.pk}/identifiera/befintlig/", {"person": existing.pk})
    assert linked.status_code == 302
    assert linked["Location"] == f"/arenden/{case.pk}/"
    case.refresh_from_db()
    assert case.person == existing
    assert Person.objects.count() == 1


def test_a_number_registered_in_another_unit_is_not_offered(unit_a, unit_b, login):
    birth = date(2008, 12, 24)
    unit_b.person(first="Annan", last="Enhetsson", birth=birth, serial=731)
    case = unit_a.case()
    response = login(unit_a.coordinator).post(
        f"/arenden/{case.pk}/identifiera/", identify_post(made_up_number(birth, 731))
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.person.unit == unit_a.unit
    assert case.person.first_name == "Alex"


def test_an_identified_case_is_not_identified_again(unit_a, login):
    first = unit_a.person(first="Först", serial=111)
    second = unit_a.person(first="Andra", serial=222)
    case = unit_a.case(person=first)
    client = login(unit_a.coordinator)

    page = client.get(f"/arenden/{case.pk}/identifiera/")
    assert page.status_code == 302
    assert page["Location"] == f"/arenden/{case.pk}/"

    response = client.post(
        f"/arenden/{case.pk}/identifiera/befintlig/", {"person": second.pk}, follow=True
    )
    assert "Ärendet är redan identifierat." in response.content.decode()
    case.refresh_from_db()
    assert case.person == first


def test_linking_to_a_person_of_another_unit_is_not_found(unit_a, unit_b, login):
    stranger = unit_b.person()
    case = unit_a.case()
    response = login(unit_a.coordinator).post(
        f"/arenden/{case.pk}/identifiera/befintlig/", {"person": stranger.pk}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.person is None


def test_linking_to_an_existing_person_needs_a_post(unit_a, login):
    person = unit_a.person()
    case = unit_a.case()
    response = login(unit_a.coordinator).get(
        f"/arenden/{case.pk}/identifiera/befintlig/", {"person": person.pk}
    )
    assert response.status_code == 405
    case.refresh_from_db()
    assert case.person is None


@pytest.mark.parametrize("value", ["abc", "", "1.5"])
def test_linking_with_a_malformed_person_id_is_not_found(unit_a, login, value):
    case = unit_a.case()
    response = login(unit_a.coordinator).post(
        f"/arenden/{case.pk}/identifiera/befintlig/", {"person": value}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.person is None


# --- other units ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "steg/investigation/"),
        ("post", "steg/investigation/"),
        ("get", "personal/"),
        ("post", "personal/"),
        ("get", "identifiera/"),
        ("post", "identifiera/"),
        ("post", "identifiera/befintlig/"),
    ],
)
def test_every_case_page_is_not_found_for_another_units_staff(
    unit_a, unit_b, login, method, suffix
):
    person = unit_a.person()
    case = unit_a.case()
    client = login(unit_b.supervisor)
    data = {"reason": "Försök.", "person": person.pk, "coordinator": unit_b.coordinator.pk}
    response = getattr(client, method)(f"/arenden/{case.pk}/{suffix}", data)
    assert response.status_code == 404
    case.refresh_from_db()
    assert (case.state, case.person, case.coordinator) == (
        State.INTAKE,
        None,
        unit_a.coordinator,
    )
    assert Case.objects.count() == 1


@pytest.mark.parametrize("who", ["partner", "leadership", "analyst", "administrator"])
def test_the_case_page_is_not_found_for_users_without_a_staff_role(unit_a, login, who):
    case = unit_a.case()
    assert login(getattr(unit_a, who)).get(f"/arenden/{case.pk}/").status_code == 404
