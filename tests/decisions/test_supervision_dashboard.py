"""The supervisor's dashboard per unit (/arbetsledning/): caseload per coordinator, cases with
fewer than two staff, consents expiring within 30 days, open deviations and open tasks, the
summary strip and the unit picker. Each row links to its case; another unit's rows never
show; the access log names every case on the page; the query count does not grow with data."""

import itertools
import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.cases.models import Case
from insats.consent.models import Consent
from insats.decisions import selectors
from insats.decisions.models import CaseDecision
from insats.meetings import services_deviations
from insats.meetings.models import AgendaItem, Deviation, Meeting, Task
from insats.organisations.models import Membership, Role
from tests import builders

URL = "/arbetsledning/"


# --- Reading the page -----------------------------------------------------------------------


def text_of(response) -> str:
    assert response.status_code == 200
    return unescape(response.content.decode())


def section(response, title_id: str) -> str:
    html = text_of(response)
    match = re.search(rf'<section aria-labelledby="{title_id}">(.*?)</section>', html, re.S)
    assert match, title_id
    return match.group(1)


def rows(html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)[1:]  # without the header row


def row_with(html: str, text: str) -> str:
    found = [row for row in rows(html) if text in row]
    assert len(found) == 1, (text, found)
    return found[0]


def cells(row: str) -> list[str]:
    """The visible text of each cell of a row, tags and screen-reader-only text stripped."""
    row = re.sub(r'<span class="visually-hidden">.*?</span>', "", row, flags=re.S)
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
    ]


def case_links(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/arenden/(\d+)/', html)}


def name(user) -> str:
    return user.get_full_name()


# --- Building data --------------------------------------------------------------------------


def set_state(case, state) -> Case:
    """Hand-set a state (the lifecycle itself is tested elsewhere)."""
    Case.objects.filter(pk=case.pk).update(state=state)
    case.refresh_from_db()
    return case


def withdraw(world, case) -> Case:
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=world.coordinator, reason="Avstår."
    )
    case.refresh_from_db()
    return case


def staff(case, **fields) -> Case:
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def also_investigator(world, user):
    Membership.objects.create(user=user, organisation=world.social, role=Role.INVESTIGATOR)
    return user


def consent_until(world, case, days: int, **fields) -> Consent:
    consent = builders.consent(world, case)
    Consent.objects.filter(pk=consent.pk).update(
        valid_until=timezone.localdate() + timedelta(days=days), **fields
    )
    consent.refresh_from_db()
    return consent


def deviation(world, *, case=None, days_ago: int = 0, status=None) -> Deviation:
    found = services_deviations.deviation_report(
        by=world.coordinator,
        unit=world.unit,
        organisation=world.school,
        occurred_on=timezone.localdate() - timedelta(days=days_ago),
        what_happened="Skolan kom inte till mötet.",
        case=case,
    )
    reported = timezone.now() - timedelta(days=days_ago)
    Deviation.objects.filter(pk=found.pk).update(
        reported_at=reported, status=status or Deviation.Status.REPORTED
    )
    found.refresh_from_db()
    return found


def meeting(world, **fields) -> Meeting:
    starts = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    starts += timedelta(hours=13)
    fields.setdefault("kind", Meeting.Kind.PREPARATION)
    fields.setdefault("title", "Beredningsgrupp")
    return Meeting.objects.create(
        unit=world.unit,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="Kvarnbyns fritidsgård",
        convener=world.coordinator,
        created_by=world.coordinator,
        **fields,
    )


def agenda_item(world, meet, *, case=None) -> AgendaItem:
    part = AgendaItem.Part.INDIVIDUAL if case else AgendaItem.Part.GENERAL
    return AgendaItem.objects.create(
        meeting=meet, part=part, title="Punkt", registered_by=world.coordinator, case=case
    )


def task(world, meet, description, *, item=None, due_in: int = 7, done=False) -> Task:
    today = timezone.localdate()
    return Task.objects.create(
        meeting=meet,
        item=item,
        description=description,
        responsible=world.coordinator2,
        due_on=today + timedelta(days=due_in),
        done_on=today if done else None,
        created_by=world.coordinator,
    )


def decision(world, case, decided_on, kind=CaseDecision.Kind.ENROL) -> CaseDecision:
    return CaseDecision.objects.create(
        case=case,
        kind=kind,
        outcome=kind == CaseDecision.Kind.ENROL,
        decided_on=decided_on,
        reasons="Beslut i testet.",
        decided_by=world.supervisor,
    )


def intake_days_ago(case, days: int) -> Case:
    moment = timezone.make_aware(
        datetime.combine(timezone.localdate() - timedelta(days=days), datetime.min.time())
    ) + timedelta(hours=12)
    Case.objects.filter(pk=case.pk).update(created_at=moment)
    case.refresh_from_db()
    return case


# --- Who sees it ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "partner", "leadership"])
def test_non_supervisors_get_404(unit_a, login, who):
    unit_a.case()
    assert login(getattr(unit_a, who)).get(URL).status_code == 404


def test_empty_unit_shows_every_empty_state_and_is_logged(unit_a, login):
    response = login(unit_a.supervisor).get(URL)
    html = text_of(response)
    for empty in (
        "Inga samtycken går ut inom 30 dagar.",
        "Alla pågående ärenden har minst två i personalen.",
        "Inga öppna avvikelser.",
        "Inga öppna uppgifter.",
        "0 pågående ärenden i enheten.",
    ):
        assert empty in html
    # Both coordinators are listed, with nothing.
    caseload = section(response, "caseload-title")
    for coordinator in (unit_a.coordinator, unit_a.coordinator2):
        assert cells(row_with(caseload, name(coordinator)))[1:] == ["0", "0", "0", "0"]
    entry = AccessLogEntry.objects.get(user=unit_a.supervisor, object_type="supervision")
    assert entry.unit_id == unit_a.unit.pk
    assert entry.detail.endswith("cases=")


# --- Caseload per coordinator ---------------------------------------------------------------


def test_caseload_per_coordinator_by_phase_and_as_investigator(unit_a, unit_b, login):
    also_investigator(unit_a, unit_a.coordinator2)
    unit_a.case()  # intake
    builders.identified_case(unit_a)  # investigation, investigator = world.investigator
    builders.identified_case(unit_a, state=State.DECISION)
    set_state(builders.identified_case(unit_a), State.IMPLEMENTATION)
    set_state(builders.identified_case(unit_a), State.FOLLOW_UP)
    staff(unit_a.case(), investigator=unit_a.coordinator2)  # coordinator2 investigates
    withdraw(unit_a, unit_a.case())  # closed: not counted
    set_state(builders.identified_case(unit_a), State.DISCHARGED)
    unit_a.case(coordinator=None)  # no coordinator at all
    unit_b.case()  # another unit's

    response = login(unit_a.supervisor).get(URL)
    caseload = section(response, "caseload-title")
    first = cells(row_with(caseload, name(unit_a.coordinator)))
    # Early phases: intake x2 (one with coordinator2 investigating), investigation, decision.
    assert first == [name(unit_a.coordinator), "4", "2", "6", "0"]
    assert cells(row_with(caseload, name(unit_a.coordinator2)))[1:] == ["0", "0", "0", "1"]
    assert cells(row_with(caseload, "Utan aktiv lots"))[1:] == ["1", "0", "1", "–"]
    assert "7 pågående ärenden i enheten." in caseload
    link = f'href="/arenden/?coordinator={unit_a.coordinator.pk}"'
    assert link in row_with(caseload, name(unit_a.coordinator))
    assert name(unit_b.coordinator) not in caseload


def test_a_departed_coordinators_cases_count_as_without_active_coordinator(unit_a, login):
    unit_a.case(coordinator=unit_a.coordinator2)
    Membership.objects.filter(user=unit_a.coordinator2).update(active=False)
    caseload = section(login(unit_a.supervisor).get(URL), "caseload-title")
    assert name(unit_a.coordinator2) not in caseload
    assert cells(row_with(caseload, "Utan aktiv lots"))[1:4] == ["1", "0", "1"]


# --- Fewer than two staff -------------------------------------------------------------------


def test_cases_with_fewer_than_two_staff(unit_a, unit_b, login):
    also_investigator(unit_a, unit_a.coordinator2)
    coordinator_only = unit_a.case()
    well_staffed = builders.identified_case(unit_a)
    same_person = staff(
        unit_a.case(coordinator=unit_a.coordinator2), investigator=unit_a.coordinator2
    )
    nobody = unit_a.case(coordinator=None)
    # No coordinator, but investigator and decision maker are two people: enough.
    two_without_coordinator = staff(
        unit_a.case(coordinator=None),
        investigator=unit_a.investigator,
        decision_maker=unit_a.supervisor,
    )
    closed = withdraw(unit_a, unit_a.case())
    theirs = unit_b.case()

    response = login(unit_a.supervisor).get(URL)
    listed = section(response, "understaffed-title")
    assert case_links(listed) == {coordinator_only.pk, same_person.pk, nobody.pk}
    assert "Ärenden med färre än två i personalen (3)" in text_of(response)

    row = row_with(listed, coordinator_only.alias)
    assert f'href="/arenden/{coordinator_only.pk}/"' in row
    assert f'href="/arenden/{coordinator_only.pk}/personal/"' in row
    assert "Utredare saknas." in row and "Lots saknas." not in row
    assert f"{name(unit_a.coordinator2)} är både lots och utredare." in row_with(
        listed, same_person.alias
    )
    nobody_row = row_with(listed, nobody.alias)
    assert "Lots saknas." in nobody_row and "Utredare saknas." in nobody_row
    for case in (well_staffed, two_without_coordinator, closed, theirs):
        assert f"/arenden/{case.pk}/" not in listed


def test_the_staff_count_rule_for_every_combination(unit_a):
    """Two staff means two different people among coordinator, investigator, decision maker;
    every combination of three people or none, against a plain count in Python."""
    people = [None, unit_a.coordinator, unit_a.investigator, unit_a.supervisor]
    expected = set()
    for coordinator, investigator, decision_maker in itertools.product(people, repeat=3):
        case = staff(
            unit_a.case(coordinator=None),
            coordinator=coordinator,
            investigator=investigator,
            decision_maker=decision_maker,
        )
        if len({coordinator, investigator, decision_maker} - {None}) < 2:
            expected.add(case.pk)
    found = selectors.understaffed_cases(unit_a.unit)
    assert {case.pk for case, _gaps in found} == expected
    assert all(gaps for _case, gaps in found)  # each says what is missing


# --- Consents expiring ----------------------------------------------------------------------


def test_consents_expiring_within_30_days(unit_a, unit_b, login):
    day_30 = consent_until(unit_a, builders.identified_case(unit_a), 30)
    today = consent_until(unit_a, builders.identified_case(unit_a), 0)
    day_31 = consent_until(unit_a, builders.identified_case(unit_a), 31)
    revoked = consent_until(
        unit_a, builders.identified_case(unit_a), 10, revoked_on=timezone.localdate()
    )
    renewed_case = builders.identified_case(unit_a)
    renewed = consent_until(unit_a, renewed_case, 10)
    builders.consent(unit_a, renewed_case)  # the new one, a year long
    closed_case = builders.identified_case(unit_a)
    consent_until(unit_a, closed_case, 10)
    withdraw(unit_a, closed_case)
    theirs = consent_until(unit_b, builders.identified_case(unit_b), 10)

    response = login(unit_a.supervisor).get(URL)
    listed = section(response, "consents-title")
    assert case_links(listed) == {day_30.case_id, today.case_id}
    row = row_with(listed, day_30.case.alias)
    assert f'href="/arenden/{day_30.case_id}/samtycken/{day_30.pk}/"' in row
    assert day_30.valid_until.isoformat() in row
    assert cells(row)[3] == "30"
    assert listed.index(today.case.alias) < listed.index(day_30.case.alias)  # soonest first
    for consent in (day_31, revoked, renewed, theirs):
        assert f"/samtycken/{consent.pk}/" not in listed
    assert "Samtycken som går ut inom 30 dagar (2)" in text_of(response)


# --- Deviations and tasks -------------------------------------------------------------------


def test_open_deviations_with_status_and_age(unit_a, unit_b, login):
    case = builders.identified_case(unit_a)
    old = deviation(unit_a, case=case, days_ago=12, status=Deviation.Status.ANALYSED)
    new = deviation(unit_a)
    closed = deviation(unit_a, status=Deviation.Status.CLOSED)
    theirs = deviation(unit_b)

    response = login(unit_a.supervisor).get(URL)
    listed = section(response, "deviations-title")
    old_row = row_with(listed, f'href="/avvikelser/{old.pk}/"')
    assert f'href="/arenden/{case.pk}/"' in old_row and case.alias in old_row
    assert "Analyserad" in old_row
    assert cells(old_row)[-1] == "12"
    new_row = row_with(listed, f'href="/avvikelser/{new.pk}/"')
    assert "Rapporterad" in new_row and cells(new_row)[-1] == "0"
    assert cells(new_row)[2] == "–"  # no case
    assert listed.index(f"/avvikelser/{old.pk}/") < listed.index(f"/avvikelser/{new.pk}/")
    for hidden in (closed, theirs):
        assert f"/avvikelser/{hidden.pk}/" not in listed
    assert "Öppna avvikelser i samverkan (2)" in text_of(response)


def test_open_tasks_link_to_their_case_or_meeting(unit_a, unit_b, login):
    case = builders.identified_case(unit_a)
    individual_case = builders.identified_case(unit_a)
    prep = meeting(unit_a)
    about_case = task(unit_a, prep, "Kontakta skolan", item=agenda_item(unit_a, prep, case=case))
    general = task(
        unit_a, prep, "Affischer till Valborg", item=agenda_item(unit_a, prep), due_in=-3
    )
    individual = meeting(unit_a, kind=Meeting.Kind.INDIVIDUAL, case=individual_case)
    task(unit_a, individual, "Boka tid hos BUP")
    task(unit_a, prep, "Redan gjord", done=True)
    their_meeting = meeting(unit_b)
    task(unit_b, their_meeting, "Beta-uppgift")

    response = login(unit_a.supervisor).get(URL)
    listed = section(response, "tasks-title")
    assert "Öppna uppgifter från möten (3)" in text_of(response)
    case_row = row_with(listed, about_case.description)
    assert f'href="/arenden/{case.pk}/"' in case_row
    assert name(unit_a.coordinator2) in case_row
    assert 'class="overdue"' not in case_row and "Försenad" not in case_row
    general_row = row_with(listed, general.description)
    assert f'href="/moten/{prep.pk}/"' in general_row
    assert 'class="overdue"' in general_row and "Försenad" in general_row
    assert general.due_on.isoformat() in general_row
    assert f'href="/arenden/{individual_case.pk}/"' in row_with(listed, "Boka tid hos BUP")
    assert "Redan gjord" not in listed and "Beta-uppgift" not in listed
    assert listed.index(general.description) < listed.index(about_case.description)  # due first


# --- Time from intake to decision -----------------------------------------------------------


def test_lead_times_list_the_latest_20_but_the_median_covers_all(unit_a, login):
    today = timezone.localdate()
    cases = []
    for index in range(23):  # all taken in 32 days ago, decided 22..0 days ago
        case = intake_days_ago(unit_a.case(), 32)
        decision(unit_a, case, today - timedelta(days=22 - index))
        cases.append(case)
    decision(unit_a, cases[0], today, kind=CaseDecision.Kind.REEXAMINE)  # not a first decision
    decision(unit_a, cases[1], today, kind=CaseDecision.Kind.DECLINE)  # not the first one
    lead = section(login(unit_a.supervisor).get(URL), "lead-title")
    # Lead times 10..32 days, one per case: the median of all 23 is 21.
    assert "Median 21 dagar för 23 beslutade ärenden." in lead
    assert "Tabellen visar de 20 senaste besluten." in lead
    assert len(rows(lead)) == 20
    assert case_links(lead) == {case.pk for case in cases[3:]}
    assert cells(row_with(lead, f'href="/arenden/{cases[22].pk}/"'))[-1] == "32"
    assert cells(row_with(lead, f'href="/arenden/{cases[3].pk}/"'))[-1] == "13"
    assert rows(lead)[0].find(f"/arenden/{cases[22].pk}/") > 0  # newest first


# --- The strip, the unit picker, the log ----------------------------------------------------


def test_summary_strip_counts_link_to_their_sections(unit_a, login):
    unit_a.case()  # one case with a coordinator only
    deviation(unit_a)
    response = login(unit_a.supervisor).get(URL)
    html = text_of(response)
    strip = re.search(r'<nav aria-labelledby="summary-title">(.*?)</nav>', html, re.S).group(1)
    items = dict(
        (anchor, count)
        for anchor, count in re.findall(r'href="#([\w-]+)"><span class="count">(\d+)</span>', strip)
    )
    assert items["understaffed-title"] == "1"
    assert items["deviations-title"] == "1"
    assert items["caseload-title"] == "1"
    assert items["waiting-title"] == "0"
    targets = [html.find(f'id="{anchor}"') for anchor in items]
    assert -1 not in targets  # every link has its target on the page,
    assert targets == sorted(targets)  # in the order of the page


def test_a_supervisor_of_two_units_picks_one(unit_a, unit_b, login):
    Membership.objects.create(
        user=unit_a.supervisor, organisation=unit_b.social, role=Role.SUPERVISOR
    )
    mine, theirs = unit_a.case(), unit_b.case()
    client = login(unit_a.supervisor)

    first = text_of(client.get(URL))  # Alfa comes first by name
    assert 'name="enhet"' in first
    assert f'<option value="{unit_b.unit.pk}">Beta</option>' in first
    assert f'href="/arenden/{mine.pk}/"' in first and f"/arenden/{theirs.pk}/" not in first

    second = text_of(client.get(URL, {"enhet": unit_b.unit.pk}))
    assert f'<option value="{unit_b.unit.pk}" selected>Beta</option>' in second
    assert f'href="/arenden/{theirs.pk}/"' in second and f"/arenden/{mine.pk}/" not in second
    entry = AccessLogEntry.objects.filter(user=unit_a.supervisor, object_type="supervision").latest(
        "pk"
    )
    assert entry.unit_id == unit_b.unit.pk

    # An unknown unit, or nonsense, shows the first unit.
    for wanted in (unit_b.unit.pk + 1000, "x"):
        fallback = text_of(client.get(URL, {"enhet": wanted}))
        assert f'href="/arenden/{mine.pk}/"' in fallback
        assert f"/arenden/{theirs.pk}/" not in fallback


def test_a_supervisor_of_one_unit_gets_no_picker_nor_another_unit(unit_a, unit_b, login):
    theirs = unit_b.case()
    html = text_of(login(unit_a.supervisor).get(URL, {"enhet": unit_b.unit.pk}))
    assert 'name="enhet"' not in html
    assert "för Alfa." in html
    assert f"/arenden/{theirs.pk}/" not in html
    assert name(unit_b.coordinator) not in html


def test_the_log_names_every_case_shown(unit_a, login):
    understaffed = unit_a.case()
    consent_case = builders.identified_case(unit_a)
    consent_until(unit_a, consent_case, 5)
    deviation_case = builders.identified_case(unit_a)
    deviation(unit_a, case=deviation_case)
    task_case = builders.identified_case(unit_a)
    prep = meeting(unit_a)
    task(unit_a, prep, "Ring mentorn", item=agenda_item(unit_a, prep, case=task_case))

    response = login(unit_a.supervisor).get(URL)
    shown = case_links(text_of(response))
    entry = AccessLogEntry.objects.get(user=unit_a.supervisor, object_type="supervision")
    named = {int(pk) for pk in entry.detail.split("cases=")[1].split(",")}
    assert {understaffed.pk, consent_case.pk, deviation_case.pk, task_case.pk} <= shown
    assert shown <= named


# --- Cost -----------------------------------------------------------------------------------


def a_bit_of_everything(world, index: int) -> None:
    """One row in each new section: a short-staffed case, an expiring consent, a deviation
    about a case, a task on a case item and one in the general part, a decided case."""
    world.case()
    case = builders.identified_case(world)
    consent_until(world, case, 5 + index)
    deviation(world, case=case, days_ago=index)
    prep = meeting(world, title=f"Beredningsgrupp {index}")
    task(world, prep, f"Uppgift om ärendet {index}", item=agenda_item(world, prep, case=case))
    task(world, prep, f"Allmän uppgift {index}", due_in=index - 3)
    decision(world, case, timezone.localdate() - timedelta(days=index))


def test_constant_query_count_for_one_or_many(unit_a, login, django_assert_max_num_queries):
    client = login(unit_a.supervisor)
    a_bit_of_everything(unit_a, 0)
    with django_assert_max_num_queries(32) as one:  # measured 26 (five for the log entry)
        assert client.get(URL).status_code == 200
    with_one = len(one.captured_queries)

    for index in range(1, 8):
        a_bit_of_everything(unit_a, index)
    with django_assert_max_num_queries(with_one):
        response = client.get(URL)
    html = text_of(response)
    assert "Samtycken som går ut inom 30 dagar (8)" in html
    assert "Öppna avvikelser i samverkan (8)" in html
    assert "Öppna uppgifter från möten (16)" in html
    assert "Ärenden med färre än två i personalen (8)" in html
