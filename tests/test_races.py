"""Races end in a message, never a 500 or a duplicate (issue 22).

Every "only one" rule — a case or a returnee once on a meeting's agenda, a user once in a case's
group or a meeting group, one district checklist per unit and year — is checked by the service
and kept by a database constraint. Two requests that pass the check together are simulated by
making the check answer "not there yet" for a row that is there; on PostgreSQL real threads on
their own connections post the same thing at once.
"""

import threading
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases.models import Case, CaseMember
from insats.casework.models import Returnee
from insats.consent import services as consent_services
from insats.core.integrity import only_one
from insats.meetings import services_agenda, services_groups
from insats.meetings.models import AgendaItem, DistrictChecklist, Group, GroupMember, Meeting
from insats.organisations.models import Membership
from tests import builders

ON_AGENDA = "Ärendet finns redan på dagordningen."
RETURNEE_ON_AGENDA = "Återvändaren finns redan på dagordningen."
IN_GROUP = "Användaren är redan med i gruppen."


def make_meeting(world) -> Meeting:
    starts = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    return Meeting.objects.create(
        unit=world.unit,
        kind=Meeting.Kind.OPERATIONAL,
        title="Operativ ledningsgrupp",
        starts_at=starts + timedelta(hours=9),
        ends_at=starts + timedelta(hours=11),
        place="Kvarnbyns polisstation",
        convener=world.coordinator,
        created_by=world.coordinator,
    )


def add_case(meeting, world, case) -> AgendaItem:
    return services_agenda.item_create(
        meeting=meeting, by=world.coordinator, part="individual", case=case
    )


def make_group(world) -> Group:
    return services_groups.group_save(
        unit=world.unit, by=world.coordinator, kind="operational", name="OLG", rhythm_days=30
    )


@pytest.fixture
def check_passes(monkeypatch):
    """Make a service's "already there?" check answer no, as for the second of two requests
    that both ran it before either inserted."""

    def bypass(module, name):
        monkeypatch.setattr(module, name, lambda *args, **kwargs: False)

    return bypass


def messages_of(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


# --- The check is passed, the constraint answers (both databases) -----------------------------


def test_a_case_put_on_the_agenda_twice_is_one_item_and_a_message(unit_a, check_passes):
    meeting, case = make_meeting(unit_a), builders.identified_case(unit_a)
    first = services_agenda.item_create(
        meeting=meeting, by=unit_a.coordinator, part="individual", case=case
    )
    check_passes(services_agenda, "_on_agenda")
    with pytest.raises(ValidationError) as exc:
        services_agenda.item_create(
            meeting=meeting, by=unit_a.coordinator, part="individual", case=case
        )
    assert messages_of(exc) == {"case": [ON_AGENDA]}
    assert list(AgendaItem.objects.filter(meeting=meeting)) == [first]
    assert AccessLogEntry.objects.filter(object_type="agenda_item", action="create").count() == 1


def test_the_agenda_page_answers_the_race_with_the_message_and_keeps_the_input(
    unit_a, login, check_passes
):
    meeting, case = make_meeting(unit_a), builders.identified_case(unit_a)
    add_case(meeting, unit_a, case)
    check_passes(services_agenda, "_on_agenda")
    url = reverse("agenda_item_create", args=[meeting.pk]) + "?del=individual"
    response = login(unit_a.coordinator).post(
        url, {"case": case.pk, "title": "", "preparation": "Underlag skrivet under racet"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert ON_AGENDA in html
    assert "Underlag skrivet under racet" in html
    assert AgendaItem.objects.filter(meeting=meeting, case=case).count() == 1


def test_moving_an_item_onto_a_case_already_on_the_agenda_is_a_message(unit_a, check_passes):
    meeting = make_meeting(unit_a)
    case, other = builders.identified_case(unit_a), builders.identified_case(unit_a, age=20)
    add_case(meeting, unit_a, case)
    item = services_agenda.item_create(
        meeting=meeting, by=unit_a.coordinator, part="individual", case=other
    )
    check_passes(services_agenda, "_on_agenda")
    with pytest.raises(ValidationError) as exc:
        services_agenda.item_update(item=item, by=unit_a.coordinator, case=case)
    assert messages_of(exc) == {"case": [ON_AGENDA]}
    item.refresh_from_db()
    assert item.case == other


def test_a_returnee_put_on_the_agenda_twice_is_one_item_and_a_message(unit_a, check_passes):
    meeting = make_meeting(unit_a)
    returnee = Returnee.objects.create(
        unit=unit_a.unit,
        kind=Returnee.Kind.PROBATION,
        name="Rut Vinterek",
        age=20,
        institution="Anstalten Kvarnby",
        expected_on=timezone.localdate(),
        recorded_by=unit_a.coordinator,
    )
    services_agenda.item_create(
        meeting=meeting, by=unit_a.coordinator, part="returnees", returnee=returnee
    )
    check_passes(services_agenda, "_on_agenda")
    with pytest.raises(ValidationError) as exc:
        services_agenda.item_create(
            meeting=meeting, by=unit_a.coordinator, part="returnees", returnee=returnee
        )
    assert messages_of(exc) == {"returnee": [RETURNEE_ON_AGENDA]}
    assert AgendaItem.objects.filter(meeting=meeting, returnee=returnee).count() == 1


def test_a_user_added_twice_to_a_case_group_is_one_member_and_a_message(
    unit_a, login, check_passes
):
    case = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    check_passes(consent_services, "_is_member")
    with pytest.raises(ValidationError) as exc:
        builders.police_member(unit_a, case)
    assert messages_of(exc) == {"user": [IN_GROUP]}

    membership = Membership.objects.get(user=unit_a.partner)
    response = login(unit_a.coordinator).post(
        f"/arenden/{case.pk}/grupp/",
        {"add_user": "1", "user-membership": membership.pk, "user-function": "Närpolis i racet"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert IN_GROUP in html
    assert "Närpolis i racet" in html
    assert CaseMember.objects.filter(case=case, user=unit_a.partner).count() == 1
    assert AccessLogEntry.objects.filter(object_type="case_member", action="create").count() == 1


def test_a_user_added_twice_to_a_meeting_group_is_one_member_and_a_message(
    unit_a, login, check_passes
):
    group = make_group(unit_a)
    add = {"group": group, "by": unit_a.coordinator, "organisation": unit_a.police}
    services_groups.member_add(user=unit_a.partner, **add)
    check_passes(services_groups, "_is_member")
    with pytest.raises(ValidationError) as exc:
        services_groups.member_add(user=unit_a.partner, **add)
    assert messages_of(exc) == {"user": [IN_GROUP]}

    membership = Membership.objects.get(user=unit_a.partner)
    response = login(unit_a.coordinator).post(
        f"/samverkan/grupper/{group.pk}/medlemmar/ny/",
        {"add_user": "1", "anvandare-membership": membership.pk, "anvandare-function": "Polis X"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert IN_GROUP in html
    assert "Polis X" in html
    assert GroupMember.objects.filter(group=group, user=unit_a.partner).count() == 1


def test_two_first_saves_of_the_district_checklist_are_one_row_and_a_message(
    unit_a, login, monkeypatch
):
    codes = [code for code, _question in DistrictChecklist.QUESTIONS]
    answers = {code: {"yes": True, "note": ""} for code in codes}
    year = timezone.localdate().year
    services_groups.checklist_save(
        unit=unit_a.unit, by=unit_a.coordinator2, year=year, answers=answers
    )
    monkeypatch.setattr(services_groups, "_locked_checklist", lambda unit, year: None)
    body = {code: "no" for code in codes} | {f"{code}_note": "" for code in codes}
    body["forum_note"] = "Skrivet samtidigt"
    response = login(unit_a.coordinator).post("/samverkan/checklista/", body)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Någon annan sparade checklistan samtidigt." in html
    assert "Skrivet samtidigt" in html
    row = DistrictChecklist.objects.get()
    assert row.answered_by == unit_a.coordinator2
    assert row.answers["forum"]["yes"] is True


def test_only_the_named_constraint_becomes_a_message(unit_a):
    """Any other IntegrityError is a bug and must not pass for "already there"."""
    case = builders.identified_case(unit_a)
    # Neither a user nor a name: the check constraint fails, not the unique one.
    with (
        pytest.raises(IntegrityError),
        only_one(CaseMember, "casemember_unique_active_user", "Redan med."),
    ):
        CaseMember.objects.create(case=case, added_by=unit_a.coordinator)
    assert not CaseMember.objects.exists()


# --- Real concurrency (PostgreSQL) -------------------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers, so the race needs PostgreSQL's concurrent transactions",
)
CLIENTS = 3


def hold_after_check(monkeypatch, module, name: str) -> None:
    """Let every client run the real check before any of them inserts: all see "not there"."""
    real = getattr(module, name)
    barrier = threading.Barrier(CLIENTS, timeout=5)

    def held(*args, **kwargs):
        answer = real(*args, **kwargs)
        barrier.wait()
        return answer

    monkeypatch.setattr(module, name, held)


def race(attempt) -> list:
    """Run attempt() in CLIENTS threads, each on its own connection; their results or errors."""
    results: list = [None] * CLIENTS

    def run(index: int) -> None:
        try:
            results[index] = attempt()
        except Exception as exc:  # collected and asserted on by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    close_old_connections()
    return results


def assert_one_row_and_messages(results, message: str) -> None:
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == CLIENTS - 1, results
    for error in errors:
        assert isinstance(error, ValidationError), repr(error)
        assert message in error.messages


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_three_clients_put_one_case_on_the_agenda_at_once(unit_a, monkeypatch):
    meeting, case = make_meeting(unit_a), builders.identified_case(unit_a)
    hold_after_check(monkeypatch, services_agenda, "_on_agenda")
    by_pk = unit_a.coordinator.pk

    def attempt():
        return services_agenda.item_create(
            meeting=Meeting.objects.get(pk=meeting.pk),
            by=type(unit_a.coordinator).objects.get(pk=by_pk),
            part="individual",
            case=Case.objects.get(pk=case.pk),
        )

    assert_one_row_and_messages(race(attempt), ON_AGENDA)
    assert AgendaItem.objects.filter(meeting=meeting, case=case).count() == 1
    assert AccessLogEntry.objects.filter(object_type="agenda_item", action="create").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_three_clients_add_one_member_to_a_case_group_at_once(unit_a, monkeypatch):
    case = builders.identified_case(unit_a)
    hold_after_check(monkeypatch, consent_services, "_is_member")
    User = type(unit_a.coordinator)

    def attempt():
        return consent_services.member_add_user(
            case=Case.objects.get(pk=case.pk),
            by=User.objects.get(pk=unit_a.coordinator.pk),
            user=User.objects.get(pk=unit_a.partner.pk),
            organisation=unit_a.police,
        )

    assert_one_row_and_messages(race(attempt), IN_GROUP)
    assert CaseMember.objects.filter(case=case, user=unit_a.partner).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_three_clients_add_one_member_to_a_meeting_group_at_once(unit_a, monkeypatch):
    group = make_group(unit_a)
    hold_after_check(monkeypatch, services_groups, "_is_member")
    User = type(unit_a.coordinator)

    def attempt():
        return services_groups.member_add(
            group=Group.objects.get(pk=group.pk),
            by=User.objects.get(pk=unit_a.coordinator.pk),
            user=User.objects.get(pk=unit_a.partner.pk),
            organisation=unit_a.police,
        )

    assert_one_row_and_messages(race(attempt), IN_GROUP)
    assert GroupMember.objects.filter(group=group, user=unit_a.partner).count() == 1
