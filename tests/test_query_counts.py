"""The busy pages run a fixed number of queries, whether a unit has 10 cases or 200.

Each test measures a page with 10 cases, adds 190 more (and history, group members, consents
and disclosures on the case shown),
measures again, and asserts the same count both times and a fixed upper bound. An N+1 (a query
per row of a table) shows up as a higher count at 200.
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from insats.cases import services
from insats.cases.lifecycle import State
from insats.cases.models import Case, CaseTransition
from insats.consent import services as consent_services
from insats.organisations.models import InformationCategory, LegalReference
from insats.people.models import Person
from tests.conftest import make_number

# Upper bounds, measured with some headroom for a new constant query or two. If a change
# needs more, raise the number deliberately - but never let it grow with the data.
MAX_LIST = 14  # measured 12, five of them the access-log entry for the listing
MAX_DETAIL = 21  # measured 19: the section summary and enrolment conditions add four
MAX_START = 17  # measured 15: open tasks and the plan attention lists add three

STATES = list(State.values)


def add_cases(world, count: int, *, serial_start: int) -> None:
    """`count` cases in one go: every other one identified, states spread over the lifecycle."""
    year = timezone.localdate().year
    last = (
        Case.objects.filter(unit=world.unit, year=year)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
        or 0
    )
    people = Person.objects.bulk_create(
        Person(
            unit=world.unit,
            first_name="Bulk",
            last_name=f"Person{serial_start + i}",
            identity_number=make_number(date(2009, 5, 6), serial_start + i),
            number_kind=Person.NumberKind.PERSONNUMMER,
            birth_date=date(2009, 5, 6),
        )
        for i in range(0, count, 2)
    )
    cases = []
    for i in range(count):
        sequence = last + 1 + i
        case = Case(
            unit=world.unit,
            year=year,
            sequence=sequence,
            person=people[i // 2] if i % 2 == 0 else None,
            age_at_intake=16,
            state=STATES[i % len(STATES)],
            source="police",
            received_by=world.coordinator,
            # Every third: with 10 cases the start page's own lists are not yet full.
            coordinator=world.coordinator if i % 3 == 0 else None,
            investigator=world.investigator if i % 3 == 0 else None,
        )
        case.alias = services.format_alias(f"{year}-{sequence:03d}", 16)
        cases.append(case)
    Case.objects.bulk_create(cases)


@pytest.fixture
def detail_case(unit_a):
    """A case made through the services, with a real history of moves."""
    person = unit_a.person(first="Detalj", last="Fallsson", birth=date(2008, 4, 5), serial=901)
    case = unit_a.case(person=person)
    services.case_assign_staff(
        case=case,
        by=unit_a.supervisor,
        coordinator=unit_a.coordinator,
        investigator=unit_a.investigator,
    )
    services.case_transition(
        case=case, to_state="investigation", by=unit_a.investigator, reason="Utreds."
    )
    services.case_transition(
        case=case, to_state="decision", by=unit_a.investigator, reason="Klart för beslut."
    )
    # One of each from the start, so that a prefetch that only runs for a non-empty table
    # counts in both measurements; an N+1 then still shows as a difference.
    add_group_consents_and_disclosures(unit_a, case, count=1, first=True)
    case.refresh_from_db()
    return case


@pytest.fixture
def ten_cases(unit_a, detail_case):
    """Ten cases in all: a handful through the services, the rest in bulk."""
    for age in (15, 17, 19):
        unit_a.case(age=age)
    add_cases(unit_a, 10 - Case.objects.filter(unit=unit_a.unit).count(), serial_start=100)
    assert Case.objects.filter(unit=unit_a.unit).count() == 10
    return detail_case


def grow_to_200(unit_a, detail_case):
    add_cases(unit_a, 190, serial_start=300)
    add_group_consents_and_disclosures(unit_a, detail_case, count=3)
    CaseTransition.objects.bulk_create(
        CaseTransition(
            case=detail_case,
            from_state="investigation",
            to_state="decision",
            by=unit_a.investigator,
            reason=f"Händelse {i}",
        )
        for i in range(60)
    )
    assert Case.objects.filter(unit=unit_a.unit).count() == 200


def add_group_consents_and_disclosures(world, case, *, count: int, first: bool = False):
    """Rows in the case page's other tables: group members, consents, disclosures."""
    boss, today = world.supervisor, timezone.localdate()
    if first:
        consent_services.member_add_user(
            case=case, by=boss, user=world.partner, organisation=world.police
        )
    categories = InformationCategory.objects.filter(unit=world.unit)
    for i in range(count):
        consent_services.member_add_external(
            case=case, by=boss, name=f"Nätverksperson {i}", function="Tränare"
        )
        consent_services.consent_create(
            case=case,
            by=boss,
            organisations=[world.police, world.school],
            categories=categories,
            place="Alfaby",
            signed_on=today - timedelta(days=i),
            valid_from=today - timedelta(days=i),
            valid_until=today + timedelta(days=90),
            officer_name="Handläggare Alfa",
            officer_phone="08-111111",
            officer_organisation=world.social,
            person_signed=True,
        )
        consent_services.disclosure_record(
            case=case,
            by=boss,
            information=f"Uppgift {i}",
            to_organisation=world.police,
            disclosed_on=today,
            legal_basis=LegalReference.objects.get(unit=world.unit, kind="disclosure"),
        )


def count_queries(client, url, django_assert_max_num_queries, bound: int) -> int:
    client.get(url)  # warm-up: per-process caches (content types, translations)
    with django_assert_max_num_queries(bound) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


PAGES = [
    ("list", lambda case: reverse("case_list"), MAX_LIST),
    ("list-search", lambda case: reverse("case_list") + "?q=Person", MAX_LIST),
    ("list-filtered", lambda case: reverse("case_list") + "?state=intake&sort=alias", MAX_LIST),
    ("list-page-2", lambda case: reverse("case_list") + "?sida=2", MAX_LIST),
    ("detail", lambda case: reverse("case_detail", args=[case.pk]), MAX_DETAIL),
    ("start", lambda case: reverse("start"), MAX_START),
]


@pytest.mark.parametrize(("name", "url_of", "bound"), PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("role", ["coordinator", "investigator", "supervisor"])
def test_page_query_count_does_not_grow_with_cases(
    unit_a, ten_cases, login, django_assert_max_num_queries, name, url_of, bound, role
):
    client = login(getattr(unit_a, role))
    url = url_of(ten_cases)

    with_10 = count_queries(client, url, django_assert_max_num_queries, bound)
    grow_to_200(unit_a, ten_cases)
    with_200 = count_queries(client, url, django_assert_max_num_queries, bound)

    assert with_200 == with_10, f"{name}: {with_10} queries with 10 cases, {with_200} with 200"


def test_pages_really_show_more_rows_at_200(unit_a, ten_cases, login):
    """Guard for the test above: more rows are rendered at 200, so an N+1 would show."""
    client = login(unit_a.coordinator)
    small_mine = len(client.get(reverse("start")).context["mine"])
    small_investigating = len(
        login(unit_a.investigator).get(reverse("start")).context["investigating"]
    )
    client = login(unit_a.coordinator)
    assert len(client.get(reverse("case_list")).context["page"].object_list) == 10

    grow_to_200(unit_a, ten_cases)

    response = client.get(reverse("case_list"))
    page = response.context["page"]
    assert page.paginator.count == 200
    assert len(page.object_list) == 25
    assert "Bulk Person" in response.content.decode()
    assert small_mine < len(client.get(reverse("start")).context["mine"]) == 10

    investigating = login(unit_a.investigator).get(reverse("start")).context["investigating"]
    assert small_investigating < len(investigating) == 10
    detail = client.get(reverse("case_detail", args=[ten_cases.pk])).context
    assert len(detail["history"]) > 60
    assert len(detail["members"]) == 5
    assert len(detail["consents"]) == 4
    assert len(detail["disclosures"]) == 4
