"""The supervisor's overview: every operative staff member with their last talk, next due date
and status (overdue, soon, on time), the coordinators' competence, in a fixed number of
queries; and the checklists a unit gets from the templates."""

import re
from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from insats.organisations.models import Role, Unit
from insats.organisations.services import unit_create
from insats.staffsafety import selectors, services
from insats.staffsafety.models import CompetenceItem, SafetyChecklistItem, next_due
from insats.staffsafety.selectors import Status, talk_status
from tests.conftest import make_user
from tests.staffsafety.conftest import make_talk

DAY = date(2031, 5, 20)


def row_of(body: str, name: str) -> str:
    pattern = rf'<tr class="staff-row[^"]*">\s*<th scope="row">{name}</th>.*?</tr>'
    match = re.search(pattern, body, re.S)
    assert match, name
    return match.group(0)


def test_overdue_soon_and_on_time_with_a_frozen_date(unit_a, login, frozen_today):
    with frozen_today(DAY):
        # coordinator: a year and a day ago -> overdue; coordinator2: due in 20 days -> soon;
        # investigator: 100 days ago, signed and shared -> on time.
        make_talk(unit_a, employee=unit_a.coordinator, held_on=DAY - timedelta(days=366), sign=True)
        make_talk(unit_a, employee=unit_a.coordinator2, held_on=date(2030, 6, 9), sign=True)
        recent = make_talk(
            unit_a, employee=unit_a.investigator, held_on=DAY - timedelta(days=100), sign=True
        )
        services.talk_share(
            talk=recent, by=unit_a.supervisor, name="Säkerhetsstrateg", email="s@exempel.invalid"
        )
        extra = make_user("alfa-lots3", unit_a.social, Role.COORDINATOR)  # never had a talk

        body = login(unit_a.supervisor).get(reverse("staff_safety")).content.decode()

    overdue = row_of(body, "Alfa-lots Testsson")
    assert "Försenad" in overdue and "2030-05-19" in overdue and "2031-05-19" in overdue
    soon = row_of(body, "Alfa-lots2 Testsson")
    assert "Snart" in soon and "2031-06-09" in soon and "Ej delgivet" in soon
    on_time = row_of(body, "Alfa-utredare Testsson")
    assert "I tid" in on_time and "2031-05-20" in on_time  # shared on
    never = row_of(body, extra.get_full_name())
    assert "Försenad" in never and "Inget samtal dokumenterat" in never
    assert "2 medarbetare saknar ett säkerhetssamtal det senaste året." in body
    assert "1 medarbetare ska ha nästa samtal inom 30 dagar." in body
    # The overdue come first.
    assert body.index("Alfa-lots Testsson") < body.index("Alfa-lots2 Testsson")
    assert body.index(extra.get_full_name()) < body.index("Alfa-utredare Testsson")
    # Supervisors, leadership and partners are not operative staff.
    assert "Alfa-chef Testsson</th>" not in body
    assert "Alfa-polis" not in body


def test_the_latest_talk_counts(unit_a, frozen_today):
    with frozen_today(DAY):
        for days in (500, 10):
            make_talk(
                unit_a, employee=unit_a.coordinator, held_on=DAY - timedelta(days=days), sign=True
            )
        rows = {row.user.pk: row for row in selectors.staff_overview(unit_a.unit, DAY)}
    row = rows[unit_a.coordinator.pk]
    assert row.last_talk.held_on == DAY - timedelta(days=10)
    assert row.status == Status.OK


def test_an_unsigned_talk_does_not_count_as_held(unit_a, login, frozen_today):
    with frozen_today(DAY):
        signed = make_talk(
            unit_a, employee=unit_a.coordinator, held_on=DAY - timedelta(days=400), sign=True
        )
        draft = make_talk(unit_a, employee=unit_a.coordinator, held_on=DAY - timedelta(days=3))
        make_talk(unit_a, employee=unit_a.investigator, held_on=DAY - timedelta(days=3))
        rows = {row.user.pk: row for row in selectors.staff_overview(unit_a.unit, DAY)}
        body = login(unit_a.supervisor).get(reverse("staff_safety")).content.decode()
        evidence = selectors.district_evidence(unit_a.unit, DAY.year)

    row = rows[unit_a.coordinator.pk]
    assert (row.last_talk, row.draft, row.status) == (signed, draft, Status.OVERDUE)
    only_draft = rows[unit_a.investigator.pk]
    assert only_draft.last_talk is None and only_draft.status == Status.OVERDUE
    coordinator = row_of(body, "Alfa-lots Testsson")
    assert "Försenad" in coordinator
    assert f"Samtal {draft.held_on.isoformat()} ej undertecknat" in coordinator
    assert reverse("safety_talk_detail", args=[draft.pk]) in coordinator
    investigator = row_of(body, "Alfa-utredare Testsson")
    assert "Inget undertecknat samtal" in investigator and "Snarast" in investigator
    assert evidence.talked == 0  # the year's only talks are drafts


def test_a_draft_overtaken_by_a_signed_talk_is_not_pending(unit_a, frozen_today):
    with frozen_today(DAY):
        make_talk(unit_a, employee=unit_a.coordinator, held_on=DAY - timedelta(days=60))
        signed = make_talk(
            unit_a, employee=unit_a.coordinator, held_on=DAY - timedelta(days=30), sign=True
        )
        rows = {row.user.pk: row for row in selectors.staff_overview(unit_a.unit, DAY)}
    row = rows[unit_a.coordinator.pk]
    assert (row.last_talk, row.draft, row.status) == (signed, None, Status.OK)


@settings(max_examples=200, deadline=None)
@given(
    held_on=st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2040, 12, 31))),
    today=st.dates(date(2001, 1, 1), date(2040, 12, 31)),
)
def test_the_status_rule(held_on, today):
    status = talk_status(held_on, today)
    if held_on is None:
        assert status == Status.OVERDUE
        return
    try:
        due = held_on.replace(year=held_on.year + 1)
    except ValueError:  # 29 February
        due = held_on.replace(year=held_on.year + 1, day=28)
    assert next_due(held_on) == due
    if due < today:
        assert status == Status.OVERDUE
    elif (due - today).days <= 30:
        assert status == Status.DUE_SOON
    else:
        assert status == Status.OK
    # A talk held today is never overdue nor due soon.
    assert talk_status(today, today) == Status.OK


def test_a_talk_on_leap_day_is_due_on_28_february():
    assert next_due(date(2028, 2, 29)) == date(2029, 2, 28)


def test_competence_overview_shows_met_and_missing(unit_a, login):
    services.unit_copy_template_items(unit=unit_a.unit)
    items = list(selectors.unit_competence_items(unit_a.unit.pk))
    services.competence_save(
        unit=unit_a.unit,
        coordinator=unit_a.coordinator,
        by=unit_a.supervisor,
        rows=[{"item": item, "met_on": date(2024, 1, 1), "note": ""} for item in items[:-1]],
    )
    body = login(unit_a.supervisor).get(reverse("staff_safety")).content.decode()
    table = re.search(r'id="competence-table".*?</table>', body, re.S).group(0)
    first = re.search(r"Alfa-lots Testsson</a></th>.*?</tr>", table, re.S).group(0)
    assert f"{len(items) - 1} av {len(items)}" in first
    assert items[-1].label in first
    second = re.search(r"Alfa-lots2 Testsson</a></th>.*?</tr>", table, re.S).group(0)
    assert f"0 av {len(items)}" in second
    assert "Alfa-utredare" not in table  # investigators have no competence checklist


def test_empty_unit_shows_empty_states(db, login):
    from insats.organisations.models import Organisation

    unit = unit_create(name="Tomma enheten", municipality="Testkommun")
    social = Organisation.objects.create(unit=unit, name="Soc", kind="social_services")
    boss = make_user("tom-chef", social, Role.SUPERVISOR)
    body = login(boss).get(reverse("staff_safety")).content.decode()
    assert "Enheten har ingen aktiv lots eller utredare." in body
    assert "Enheten har ingen aktiv lots/samordnare." in body
    assert "Mina säkerhetssamtal" not in body


def test_overview_runs_a_fixed_number_of_queries(unit_a, login):
    client = login(unit_a.supervisor)
    url = reverse("staff_safety")
    for user in (unit_a.coordinator, unit_a.investigator):
        make_talk(unit_a, employee=user, sign=True)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.get(url)  # first visit copies the templates
    small = count()
    items = list(selectors.unit_competence_items(unit_a.unit.pk))
    for number in range(10):
        user = make_user(f"alfa-extra{number}", unit_a.social, Role.COORDINATOR)
        make_talk(unit_a, employee=user, held_on=timezone.localdate() - timedelta(days=number * 40))
        make_talk(unit_a, employee=user, sign=number % 2 == 0)
        services.competence_save(
            unit=unit_a.unit,
            coordinator=user,
            by=unit_a.supervisor,
            rows=[{"item": item, "met_on": date(2024, 1, 1), "note": "x"} for item in items],
        )
    large = count()
    assert large == small
    assert large <= 26  # measured 24; ten of them write the two access-log entries


def test_a_new_unit_gets_the_templates_on_first_use(db, login):
    from insats.organisations.models import Organisation

    unit = unit_create(name="Nya enheten", municipality="Testkommun")
    assert not SafetyChecklistItem.objects.filter(unit=unit).exists()
    social = Organisation.objects.create(unit=unit, name="Soc", kind="social_services")
    boss = make_user("ny-chef", social, Role.SUPERVISOR)
    make_user("ny-lots", social, Role.COORDINATOR)

    login(boss).get(reverse("safety_talk_create"))

    templates = SafetyChecklistItem.objects.filter(unit__isnull=True)
    copies = SafetyChecklistItem.objects.filter(unit=unit)
    assert sorted(copies.values_list("code", flat=True)) == sorted(
        templates.values_list("code", flat=True)
    )
    assert set(copies.values_list("checklist", flat=True)) == {"general", "social_media"}
    assert CompetenceItem.objects.filter(unit=unit).count() == 7
    # Copying again adds nothing, and a unit's own choices stay.
    copies.filter(code="geotagging_off").update(active=False)
    services.unit_copy_template_items(unit=unit)
    assert SafetyChecklistItem.objects.filter(unit=unit).count() == templates.count()
    codes = {item.code for item in selectors.checklist_items(unit.pk)}
    assert "geotagging_off" not in codes
    assert Unit.objects.filter(pk=unit.pk).exists()
