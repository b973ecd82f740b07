"""The supervisor's page (/arbetsledning/): cases waiting for decision with what they lack,
re-examinations coming due, high threats and open threat measures, and the lead time from
intake to decision. Supervisors only, own unit only, a fixed number of queries."""

import re
from datetime import datetime, time, timedelta
from html import unescape

import pytest
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.cases.models import Case
from insats.decisions import services
from insats.investigation import services as inv
from insats.investigation.models import ThreatLevel
from insats.organisations.models import DischargeReason, LegalReference
from tests import builders

URL = "/arbetsledning/"
CONSENT_MISSING = "Det finns inget giltigt samtycke som omfattar polisen."
POLICE_MISSING = "Polisens lämplighetsbedömning saknas."
INVENTORY_MISSING = "Ingen behovs- och resursinventering är markerad som klar."
THREAT_MISSING = "Hotbildsbedömningen är inte klar (arbetsledaren ska vara informerad)."


def text_of(response) -> str:
    return unescape(response.content.decode())


def section(response, title_id: str) -> str:
    """The HTML of one <section> of the page, found by its heading id."""
    html = text_of(response)
    match = re.search(rf'<section aria-labelledby="{title_id}">(.*?)</section>', html, re.S)
    assert match, title_id
    return match.group(1)


def row_of(html: str, case) -> str:
    """The table row (or list item) that names the case."""
    for row in re.findall(r"<tr[^>]*>.*?</tr>|<li>.*?</li>", html, re.S):
        if case.alias in row:
            return row
    raise AssertionError(f"{case.alias} not in the section")


def created_days_ago(case, days: int, *, at=time(0, 30)) -> None:
    """Back-date the intake, by default just after local midnight (the UTC date differs)."""
    day = timezone.localdate() - timedelta(days=days)
    moment = timezone.make_aware(datetime.combine(day, at))
    Case.objects.filter(pk=case.pk).update(created_at=moment)
    case.refresh_from_db()


def enrol(world, case, *, decided_on=None):
    return services.decide_enrolment(
        case=case,
        by=world.supervisor,
        outcome=True,
        decided_on=decided_on or timezone.localdate(),
        reasons="Beviljas.",
        risk_of_reoffending="Hög.",
        motivation="God.",
        needs="Sysselsättning.",
        resources="Familj.",
        criminality="Narkotikabrott.",
        legal_reference=LegalReference.objects.get(unit=world.unit, code="support_sol"),
    )


def decline(world, case, *, decided_on=None):
    return services.decide_enrolment(
        case=case,
        by=world.supervisor,
        outcome=False,
        decided_on=decided_on or timezone.localdate(),
        reasons="Personen vill inte delta.",
    )


# --- Who sees it ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor", "supervisor_without_delegation"])
def test_supervisors_see_the_page(unit_a, login, who):
    response = login(getattr(unit_a, who)).get(URL)
    assert response.status_code == 200
    html = text_of(response)
    assert "<h1>Arbetsledning</h1>" in html
    assert "Inga ärenden väntar på beslut." in html
    assert "Inga omprövningar närmar sig." in html
    assert "Inga ärenden har hög hotbild." in html
    assert "Inga öppna åtgärder." in html
    assert "Inga beslut om inskrivning är fattade ännu." in html


@pytest.mark.parametrize(
    "who", ["coordinator", "investigator", "partner", "leadership", "analyst", "administrator"]
)
def test_others_get_404(unit_a, login, who):
    builders.identified_case(unit_a, state=State.DECISION)
    assert login(getattr(unit_a, who)).get(URL).status_code == 404


def test_signed_out_users_are_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith("/logga-in/")


# --- What it shows --------------------------------------------------------------------------


def test_waiting_cases_with_their_missing_conditions(unit_a, login):
    ready = builders.enrollable_case(unit_a)
    incomplete = builders.identified_case(unit_a, state=State.DECISION)
    created_days_ago(incomplete, 12, at=time(12, 0))
    builders.identified_case(unit_a)  # still under investigation: not waiting

    response = login(unit_a.supervisor).get(URL)
    waiting = section(response, "waiting-title")
    assert "Väntar på beslut (2)" in text_of(response)
    ready_row = row_of(waiting, ready)
    assert "Alla villkor uppfyllda" in ready_row
    assert f'href="/arenden/{ready.pk}/beslut/inskrivning/"' in ready_row
    incomplete_row = row_of(waiting, incomplete)
    for message in (CONSENT_MISSING, POLICE_MISSING, INVENTORY_MISSING, THREAT_MISSING):
        assert message in incomplete_row
    assert "Alla villkor uppfyllda" not in incomplete_row
    assert "<td>12</td>" in incomplete_row  # days since intake
    assert unit_a.coordinator.get_full_name() in incomplete_row


def test_days_since_intake_count_in_local_time(unit_a, login):
    """An intake registered at 00:30 Swedish time is that day's, not the day before (UTC)."""
    case = builders.identified_case(unit_a, state=State.DECISION)
    created_days_ago(case, 5)
    row = row_of(section(login(unit_a.supervisor).get(URL), "waiting-title"), case)
    assert "<td>5</td>" in row


def test_the_decider_without_delegation_is_told_in_the_list(unit_a, login):
    ready = builders.enrollable_case(unit_a)
    response = login(unit_a.supervisor_without_delegation).get(URL)
    row = row_of(section(response, "waiting-title"), ready)
    assert "har inte delegation att besluta om inskrivning." in row


def test_reexaminations_due_within_30_days_overdue_marked(unit_a, login):
    today = timezone.localdate()
    overdue = builders.enrollable_case(unit_a)
    enrol(unit_a, overdue, decided_on=today - timedelta(days=200))  # review ~ 17 days ago
    soon = builders.enrollable_case(unit_a)
    enrol(unit_a, soon, decided_on=today - timedelta(days=170))  # review in ~ 13 days
    later = builders.enrollable_case(unit_a)
    enrol(unit_a, later)  # review in six months
    reexamined = builders.enrollable_case(unit_a)
    enrol(unit_a, reexamined, decided_on=today - timedelta(days=200))
    services.reexamine_support(
        case=reexamined, by=unit_a.supervisor, decided_on=today, reasons="Fortsatt behov."
    )

    response = login(unit_a.supervisor).get(URL)
    reviews = section(response, "reviews-title")
    overdue_row, soon_row = row_of(reviews, overdue), row_of(reviews, soon)
    overdue_review = services.current_review([overdue.pk])[overdue.pk].review_on
    assert overdue_review < today
    assert 'class="overdue"' in overdue_row and "Försenad" in overdue_row
    assert overdue_review.isoformat() in overdue_row
    assert f'href="/arenden/{overdue.pk}/beslut/omprovning/"' in overdue_row
    assert 'class="overdue"' not in soon_row and "Försenad" not in soon_row
    assert later.alias not in reviews
    assert reexamined.alias not in reviews  # the re-examination moved the date on
    assert reviews.index(overdue.alias) < reviews.index(soon.alias)  # soonest first
    assert "Omprövningar inom 30 dagar (2)" in text_of(response)


def test_reviews_of_closed_cases_are_not_listed(unit_a, login):
    today = timezone.localdate()
    case = builders.enrollable_case(unit_a)
    enrol(unit_a, case, decided_on=today - timedelta(days=200))
    case_services.case_transition(
        case=case,
        to_state=State.DISCHARGED,
        by=unit_a.coordinator,
        reason="Avslutad.",
        discharge_reason=DischargeReason.objects.filter(unit=unit_a.unit, active=True)[0],
        summary="Sammanfattning av insatsen.",
    )
    response = login(unit_a.supervisor).get(URL)
    assert case.alias not in section(response, "reviews-title")


def test_high_threats_and_open_measures(unit_a, login):
    high = builders.identified_case(unit_a)
    builders.complete_threat(unit_a, high, level=ThreatLevel.HIGH)
    low = builders.identified_case(unit_a)
    low_threat = builders.complete_threat(unit_a, low, level=ThreatLevel.LOW)
    late = builders.identified_case(unit_a)
    inv.threat_save(
        case=late,
        by=unit_a.coordinator,
        assessed_on=timezone.localdate(),
        level=ThreatLevel.MODERATE,
        description="Hot via sociala medier.",
        source_person=True,
        measures=[
            {
                "description": "Skyddat boende",
                "responsible": "Socialtjänsten",
                "due_on": timezone.localdate() - timedelta(days=2),
            },
            {
                "description": "Samtal med skolan",
                "responsible": "Lotsen",
                "due_on": timezone.localdate() + timedelta(days=5),
                "done_on": timezone.localdate(),
            },
        ],
    )
    # A high threat replaced by a low one (new version) is no longer high.
    was_high = builders.identified_case(unit_a)
    first = builders.complete_threat(unit_a, was_high, level=ThreatLevel.HIGH)
    inv.threat_save(
        case=was_high,
        by=unit_a.coordinator,
        assessed_on=timezone.localdate(),
        level=ThreatLevel.LOW,
        description="Hotet har upphört.",
        source_police=True,
        measures=[],
        supervisor_informed=unit_a.supervisor,
        supervisor_informed_on=timezone.localdate(),
        completed=True,
        previous=first,
    )

    response = login(unit_a.supervisor).get(URL)
    threats = section(response, "threat-title")
    assert high.alias in threats
    assert low.alias not in threats and was_high.alias not in threats
    assert "Hög hotbild (1)" in text_of(response)

    measures = section(response, "measures-title")
    assert "Ny telefon och hemligt nummer" in row_of(measures, low)
    assert f'href="/arenden/{low.pk}/hotbild/{low_threat.pk}/"' in row_of(measures, low)
    late_row = row_of(measures, late)
    assert "Skyddat boende" in late_row and "Försenad" in late_row
    assert "Samtal med skolan" not in measures  # done
    assert was_high.alias not in measures  # the superseded version's measure is gone
    # high, low and late: one open measure each.
    assert "Öppna hotåtgärder (3)" in text_of(response)


def test_median_lead_time_from_intake_to_decision(unit_a, login):
    today = timezone.localdate()
    cases = []
    for days, decide in ((10, enrol), (20, decline), (60, enrol)):
        case = builders.enrollable_case(unit_a)
        created_days_ago(case, days)
        decide(unit_a, case, decided_on=today)
        cases.append(case)
    response = login(unit_a.supervisor).get(URL)
    lead = section(response, "lead-title")
    assert "Median 20 dagar för 3 beslutade ärenden." in lead
    for case, days in zip(cases, (10, 20, 60), strict=True):
        assert f"<td>{days}</td>" in row_of(lead, case)
    assert "Avslag" in row_of(lead, cases[1])


def test_only_the_own_units_cases(unit_a, unit_b, login):
    mine = builders.enrollable_case(unit_a)
    theirs = builders.enrollable_case(unit_b)
    their_threat = builders.identified_case(unit_b)
    builders.complete_threat(unit_b, their_threat, level=ThreatLevel.HIGH)
    their_enrolled = builders.enrollable_case(unit_b)
    enrol(unit_b, their_enrolled, decided_on=timezone.localdate() - timedelta(days=200))

    html = text_of(login(unit_a.supervisor).get(URL))
    assert mine.alias in html
    for case in (theirs, their_threat, their_enrolled):
        assert f"/arenden/{case.pk}/" not in html
    # Aliases carry the unit's own numbering; check by link, and the count.
    assert "Väntar på beslut (1)" in html
    assert "Hög hotbild (0)" in html
    assert "Omprövningar inom 30 dagar (0)" in html


def test_the_page_is_logged_with_the_cases_it_names(unit_a, login):
    waiting = builders.enrollable_case(unit_a)
    threat = builders.identified_case(unit_a)
    builders.complete_threat(unit_a, threat, level=ThreatLevel.HIGH)
    login(unit_a.supervisor).get(URL)
    entry = AccessLogEntry.objects.get(user=unit_a.supervisor, object_type="supervision")
    assert entry.action == "search"
    named = set(entry.detail.split("cases=")[1].split(","))
    assert {str(waiting.pk), str(threat.pk)} <= named


# --- Cost -----------------------------------------------------------------------------------


def a_busy_case(world, index: int):
    """A waiting case with a high threat and an open measure, every other one incomplete."""
    if index % 2:
        return builders.identified_case(world, state=State.DECISION)
    case = builders.enrollable_case(world)
    builders.complete_threat(world, case, level=ThreatLevel.HIGH)
    return case


def test_constant_query_count_for_one_or_six_waiting_cases(
    unit_a, login, django_assert_max_num_queries
):
    today = timezone.localdate()
    client = login(unit_a.supervisor)
    a_busy_case(unit_a, 0)
    enrolled = builders.enrollable_case(unit_a)
    enrol(unit_a, enrolled, decided_on=today - timedelta(days=170))
    with django_assert_max_num_queries(40) as one:
        assert client.get(URL).status_code == 200
    with_one = len(one.captured_queries)  # read now: the next request resets the log

    for index in range(1, 6):
        a_busy_case(unit_a, index)
        more = builders.enrollable_case(unit_a)
        enrol(unit_a, more, decided_on=today - timedelta(days=160 + index))
    with django_assert_max_num_queries(with_one):
        response = client.get(URL)
    assert "Väntar på beslut (6)" in text_of(response)
    assert "Omprövningar inom 30 dagar (6)" in text_of(response)
