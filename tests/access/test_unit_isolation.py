"""Nothing leaks across units (SPEC §1, §5): a user of unit A never sees a case of unit B.

Also: roles without case work (leadership, analyst, administrator, partner without membership or
consent) see no cases at all, and search never matches a case through data the user may not see.
"""

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, quote_plus

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from insats.access import policy
from insats.cases import selectors
from insats.cases.lifecycle import State
from insats.cases.models import Case, CaseTransition
from insats.organisations.models import Membership, Role, User
from insats.people.models import Guardian, Person

B_PREFIX = "BX"


@dataclass
class BData:
    """Unit B's cases and the strings that must never reach an outsider."""

    person: Person
    guardian: Guardian
    identified: Case
    deidentified: Case

    @property
    def cases(self) -> list[Case]:
        return [self.identified, self.deidentified]

    def search_terms(self) -> dict[str, str]:
        digits = self.person.identity_number
        return {
            "first_name": self.person.first_name,
            "last_name": self.person.last_name,
            "full_name": self.person.full_name,
            "number_12_raw": digits,
            "number_12_formatted": f"{digits[:8]}-{digits[8:]}",
            "number_10_raw": digits[2:],
            "number_10_formatted": f"{digits[2:8]}-{digits[8:]}",
            "alias": self.identified.alias,
            "case_number": self.identified.number,
            "deidentified_alias": self.deidentified.alias,
            "deidentified_number": self.deidentified.number,
        }

    def secrets(self) -> set[str]:
        return {*self.search_terms().values(), self.guardian.name}


def assert_no_secrets(body: str, secrets, *, echoed: str = "") -> None:
    """No secret in the body, apart from the user's own search text echoed in the form."""
    if echoed:  # in the search box and in the language form's `next` path
        for form in (quote_plus(echoed), quote(echoed), escape(echoed), echoed):
            body = body.replace(form, "")
    leaked = sorted(secret for secret in secrets if secret in body)
    assert not leaked, f"unit B data in the response: {leaked}"


@pytest.fixture
def b_data(unit_b) -> BData:
    unit_b.unit.case_prefix = B_PREFIX
    unit_b.unit.save()
    person = unit_b.person(first="Hjalmar", last="Östergyllen", birth=date(2008, 7, 21), serial=456)
    guardian = Guardian.objects.create(person=person, name="Greta Vinterlund")
    identified = unit_b.case(person=person)
    deidentified = unit_b.case(age=17)
    return BData(person, guardian, identified, deidentified)


@pytest.fixture
def a_cases(unit_a) -> list[Case]:
    """Unit A has cases of its own, numbered like B's apart from the prefix."""
    person = unit_a.person(first="Astrid", last="Alfasson", birth=date(2007, 2, 3), serial=234)
    return [unit_a.case(person=person), unit_a.case(age=19)]


def page_cases(response) -> list[Case]:
    return list(response.context["page"].paginator.object_list)


# --- The case list and its search -----------------------------------------------------------


def test_case_list_shows_only_own_units_cases(unit_a, a_cases, b_data, login):
    response = login(unit_a.coordinator).get(reverse("case_list"))

    assert response.status_code == 200
    assert {case.pk for case in page_cases(response)} == {case.pk for case in a_cases}
    assert_no_secrets(response.content.decode(), b_data.secrets())


SEARCH_KEYS = [
    "first_name",
    "last_name",
    "full_name",
    "number_12_raw",
    "number_12_formatted",
    "number_10_raw",
    "number_10_formatted",
    "alias",
    "case_number",
    "deidentified_alias",
    "deidentified_number",
]


def test_search_by_b_data_finds_it_in_b(unit_b, b_data, login):
    """Positive control: B's own coordinator finds the case by each term."""
    client = login(unit_b.coordinator)
    for key, term in b_data.search_terms().items():
        response = client.get(reverse("case_list"), {"q": term})
        wanted = b_data.deidentified if key.startswith("deidentified") else b_data.identified
        assert wanted.pk in {case.pk for case in page_cases(response)}, key


@pytest.mark.parametrize("key", SEARCH_KEYS)
def test_search_by_b_data_finds_nothing_of_b_in_a(unit_a, a_cases, b_data, login, key):
    term = b_data.search_terms()[key]
    response = login(unit_a.coordinator).get(reverse("case_list"), {"q": term})

    assert response.status_code == 200
    found = page_cases(response)
    assert all(case.unit_id == unit_a.unit.pk for case in found)
    assert_no_secrets(response.content.decode(), b_data.secrets(), echoed=term)
    # The selector itself, for a supervisor (who sees the most in A).
    assert not selectors.case_list(unit_a.supervisor, q=term).exclude(unit=unit_a.unit).exists()


def test_search_by_name_does_not_match_cases_the_user_cannot_see(unit_a, unit_b, b_data):
    # Same name in both units: each unit's staff finds only their own.
    twin = unit_a.person(first="Hjalmar", last="Östergyllen", birth=date(2008, 7, 21), serial=457)
    a_case = unit_a.case(person=twin)

    assert list(selectors.case_list(unit_a.coordinator, q="Östergyllen")) == [a_case]
    assert list(selectors.case_list(unit_b.coordinator, q="Östergyllen")) == [b_data.identified]
    for outsider in (unit_a.leadership, unit_a.partner, unit_b.analyst, unit_b.administrator):
        assert not selectors.case_list(outsider, q="Östergyllen").exists()


def test_deidentified_case_is_found_by_alias_and_by_number(unit_b, b_data):
    case = b_data.deidentified
    assert case.person_id is None
    for term in (case.alias, case.number, case.number.lower(), f"{case.year}-{case.sequence}"):
        found = list(selectors.case_list(unit_b.coordinator, q=term))
        assert case in found, term


def test_search_by_prefixed_number_matches_only_that_units_case(unit_a, unit_b, b_data):
    # A supervisor working in both units (memberships in both social services).
    both = unit_a.supervisor
    Membership.objects.create(user=both, organisation=unit_b.social, role=Role.SUPERVISOR)
    a_case = unit_a.case(age=16)
    assert (a_case.year, a_case.sequence) == (b_data.identified.year, b_data.identified.sequence)

    found = list(selectors.case_list(both, q=b_data.identified.number))

    assert found == [b_data.identified]


def test_search_by_name_ignores_case_of_swedish_letters(unit_b, b_data):
    found = list(selectors.case_list(unit_b.coordinator, q="östergyllen"))
    assert found == [b_data.identified]


# --- Pages of one case or person ------------------------------------------------------------


def b_get_urls(b: BData) -> list[str]:
    urls = []
    for case in b.cases:
        urls += [
            reverse("case_detail", args=[case.pk]),
            reverse("case_assign", args=[case.pk]),
            reverse("case_identify", args=[case.pk]),
            *(reverse("case_transition", args=[case.pk, state]) for state in State.values),
        ]
    person = b.person.pk
    urls += [
        reverse("person_detail", args=[person]),
        reverse("person_edit", args=[person]),
        reverse("guardian_add", args=[person]),
        reverse("guardian_remove", args=[person, b.guardian.pk]),
    ]
    return urls


@pytest.mark.parametrize("role", ["coordinator", "investigator", "supervisor"])
def test_every_b_page_is_404_for_a_staff(unit_a, a_cases, b_data, login, role):
    client = login(getattr(unit_a, role))
    for url in b_get_urls(b_data):
        response = client.get(url)
        assert response.status_code == 404, url
        assert_no_secrets(response.content.decode(), b_data.secrets())


def test_b_pages_are_reachable_for_b_staff(unit_b, b_data, login):
    """Positive control for the 404s above: the same URLs work inside unit B."""
    client = login(unit_b.supervisor)
    for url in b_get_urls(b_data):
        # Impossible moves and identifying an identified case redirect to the case page.
        assert client.get(url).status_code in (200, 302), url
    assert client.get(reverse("case_detail", args=[b_data.identified.pk])).status_code == 200
    assert client.get(reverse("person_detail", args=[b_data.person.pk])).status_code == 200


def test_a_staff_cannot_change_anything_in_b(unit_a, b_data, login):
    client = login(unit_a.supervisor)
    case, person = b_data.identified, b_data.person
    posts = [
        (reverse("case_transition", args=[case.pk, "investigation"]), {"reason": "x"}),
        (reverse("case_transition", args=[case.pk, "withdrawn"]), {"reason": "x"}),
        (
            reverse("case_assign", args=[case.pk]),
            {"coordinator": unit_a.coordinator.pk, "investigator": unit_a.investigator.pk},
        ),
        (
            reverse("case_identify", args=[b_data.deidentified.pk]),
            {"first_name": "Ny", "last_name": "Person", "birth_date": "2009-01-01"},
        ),
        (
            reverse("case_identify_existing", args=[b_data.deidentified.pk]),
            {"person": person.pk},
        ),
        (
            reverse("person_edit", args=[person.pk]),
            {"first_name": "Ändrad", "last_name": "Namn", "birth_date": "2008-07-21"},
        ),
        (reverse("guardian_add", args=[person.pk]), {"name": "Inkräktare"}),
        (reverse("guardian_remove", args=[person.pk, b_data.guardian.pk]), {}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 404, url

    case.refresh_from_db()
    person.refresh_from_db()
    b_data.deidentified.refresh_from_db()
    assert case.state == State.INTAKE
    assert case.coordinator == b_data.identified.coordinator
    assert case.investigator is None
    assert b_data.deidentified.person is None
    assert person.first_name == "Hjalmar"
    assert list(person.guardians.values_list("name", flat=True)) == ["Greta Vinterlund"]
    assert CaseTransition.objects.filter(case__unit=case.unit).count() == 2


def test_a_case_cannot_be_identified_with_a_b_person(unit_a, b_data, login):
    a_case = unit_a.case(age=16)
    response = login(unit_a.coordinator).post(
        reverse("case_identify_existing", args=[a_case.pk]), {"person": b_data.person.pk}
    )
    assert response.status_code == 404
    a_case.refresh_from_db()
    assert a_case.person is None


def test_identifying_with_b_persons_number_does_not_reveal_b(unit_a, b_data, login):
    """The duplicate check is per unit: B's person is neither offered nor mentioned."""
    a_case = unit_a.case(age=16)
    number = b_data.search_terms()["number_12_formatted"]
    response = login(unit_a.coordinator).post(
        reverse("case_identify", args=[a_case.pk]),
        {"first_name": "Annan", "last_name": "Person", "number": number},
    )
    assert response.status_code == 302
    a_case.refresh_from_db()
    assert a_case.person.unit_id == unit_a.unit.pk
    assert a_case.person.identity_number == b_data.person.identity_number
    assert b_data.person.cases.get() == b_data.identified


def test_intake_cannot_be_registered_in_another_unit(unit_a, unit_b, login):
    response = login(unit_a.coordinator).post(
        reverse("case_create"),
        {"unit": unit_b.unit.pk, "identification": "deidentified", "age": 16, "source": "police"},
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not Case.objects.filter(unit=unit_b.unit).exists()


# --- Start page and selectors ---------------------------------------------------------------


def test_start_page_counts_only_own_unit(unit_a, unit_b, a_cases, b_data, login):
    unit_b.case(age=18)  # B has three intakes, A two
    response = login(unit_a.coordinator).get(reverse("start"))

    counts = dict(response.context["state_counts"])
    assert counts[State.INTAKE] == 2
    assert sum(counts.values()) == 2
    assert_no_secrets(response.content.decode(), b_data.secrets())


def test_start_page_lists_no_b_case_even_for_a_user_named_coordinator_there(
    unit_a, unit_b, b_data, login
):
    # B's case has A's coordinator recorded (stale data): still invisible to A's coordinator.
    Case.objects.filter(pk=b_data.identified.pk).update(coordinator=unit_a.coordinator)
    response = login(unit_a.coordinator).get(reverse("start"))
    assert list(response.context["mine"]) == []
    assert_no_secrets(response.content.decode(), b_data.secrets())


def test_policy_querysets_exclude_b(unit_a, a_cases, b_data):
    for user in (unit_a.coordinator, unit_a.investigator, unit_a.supervisor):
        assert set(policy.cases_visible_to(user)) == set(a_cases)
        assert set(policy.people_visible_to(user)) == {a_cases[0].person}
        assert selectors.state_counts(user) == {State.INTAKE.value: 2}
        assert policy.staff_units(user) == {unit_a.unit.pk}


NON_CASEWORK = ["leadership", "analyst", "administrator", "partner"]


@pytest.mark.parametrize("role", NON_CASEWORK)
@pytest.mark.parametrize("unit_name", ["a", "b"])
def test_roles_without_casework_see_no_cases(request, a_cases, b_data, login, role, unit_name):
    world = request.getfixturevalue(f"unit_{unit_name}")
    user = getattr(world, role)
    assert not policy.cases_visible_to(user).exists()
    assert not policy.people_visible_to(user).exists()
    assert selectors.state_counts(user) == {}

    client = login(user)
    response = client.get(reverse("case_list"))
    assert response.status_code == 200
    assert page_cases(response) == []
    for case in [*a_cases, *b_data.cases]:
        assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
    for person in (a_cases[0].person, b_data.person):
        assert client.get(reverse("person_detail", args=[person.pk])).status_code == 404
    assert client.get(reverse("case_create")).status_code == 404


def test_inactive_membership_gives_no_access(unit_a, a_cases, login):
    Membership.objects.filter(user=unit_a.coordinator).update(active=False)
    client = login(unit_a.coordinator)
    assert page_cases(client.get(reverse("case_list"))) == []
    assert client.get(reverse("case_detail", args=[a_cases[0].pk])).status_code == 404


def test_deactivated_user_sees_nothing(unit_a, a_cases):
    unit_a.coordinator.is_active = False
    unit_a.coordinator.save()
    assert not policy.cases_visible_to(unit_a.coordinator).exists()


# --- Property: visible set == cases of units where the user holds a staff role --------------

ROLES = [choice.value for choice in Role]
STAFF_ROLES = {Role.COORDINATOR, Role.INVESTIGATOR, Role.SUPERVISOR}

memberships_strategy = st.lists(
    st.tuples(st.sampled_from([0, 1]), st.sampled_from(ROLES), st.booleans()),
    max_size=5,
    unique_by=lambda m: (m[0], m[1]),
)
cases_strategy = st.lists(st.tuples(st.sampled_from([0, 1]), st.booleans()), max_size=6)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(memberships=memberships_strategy, placements=cases_strategy, data=st.data())
def test_visible_cases_are_exactly_those_of_staff_units(
    unit_a, unit_b, memberships, placements, data
):
    worlds = [unit_a, unit_b]
    with transaction.atomic():
        user = User.objects.create_user(username="hypothesis-user", first_name="Hypo")
        for unit_index, role, active in memberships:
            world = worlds[unit_index]
            organisation = world.police if role == Role.PARTNER else world.social
            Membership.objects.create(
                user=user, organisation=organisation, role=role, active=active
            )
        created = []
        for serial, (unit_index, identified) in enumerate(placements, start=500):
            world = worlds[unit_index]
            person = None
            if identified:
                # Names are searched only when the text has no digits: spell the serial.
                last = "Prov" + str(serial).translate(str.maketrans("0123456789", "abcdefghij"))
                person = world.person(
                    first="Egenskap", last=last, birth=date(2008, 1, 2), serial=serial
                )
            created.append(world.case(person=person, age=16))

        staff_units = {
            worlds[unit_index].unit.pk
            for unit_index, role, active in memberships
            if active and role in STAFF_ROLES
        }
        expected = {case.pk for case in created if case.unit_id in staff_units}
        expected_people = {
            case.person_id for case in created if case.person_id and case.unit_id in staff_units
        }

        assert set(policy.cases_visible_to(user).values_list("pk", flat=True)) == expected
        visible_people = set(policy.people_visible_to(user).values_list("pk", flat=True))
        assert visible_people == expected_people
        assert sum(selectors.state_counts(user).values()) == len(expected)

        listed = selectors.case_list(user, state=State.INTAKE).values_list("pk", flat=True)
        assert set(listed) == expected  # every case here is in intake

        if created:
            # Search by name (or alias) finds a case only where its unit is visible, and its
            # page answers 200 or 404 accordingly.
            case = data.draw(st.sampled_from(created), label="searched case")
            term = case.person.last_name if case.person_id else case.alias
            found = set(selectors.case_list(user, q=term).values_list("pk", flat=True))
            assert (case.pk in found) == (case.pk in expected)
            assert found <= expected
            client = Client()
            client.force_login(user)
            status = client.get(reverse("case_detail", args=[case.pk])).status_code
            assert status == (200 if case.pk in expected else 404)

        transaction.set_rollback(True)
