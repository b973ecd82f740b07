"""The de-identified figures, computed against hand-built data around the edges of a period.

The period is tertial 2 of 2025 (1 May – 31 August). Timestamps are placed just inside and
just outside it in Stockholm local time, where the UTC date differs (00:30 local on 1 September
is still 31 August in UTC), so a figure cut at the wrong midnight shows up.
"""

import itertools
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insats.cases import services as case_services
from insats.cases.lifecycle import CLOSED_STATES, State
from insats.cases.models import Case, CaseMember, CaseTransition, Source
from insats.casework import services_economy
from insats.casework.models import Placement
from insats.consent.models import Consent
from insats.decisions.models import CaseDecision, FollowUpAssessment, FollowUpRating
from insats.meetings.models import Deviation
from insats.organisations.models import DischargeReason, LifeArea, Organisation
from insats.plans.models import ActionPlan, PlanGoal, PlanMeasure
from insats.reporting import periods, statistics
from tests.builders import school_user

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PERIOD = periods.fixed("tertial", 2025, 2)  # 2025-05-01 – 2025-08-31
K = CaseDecision.Kind
FU = FollowUpAssessment


def local(y, m, d, hh=12, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=STOCKHOLM)


def reason(world, code) -> DischargeReason:
    return DischargeReason.objects.get(unit=world.unit, code=code)


def make_case(world, source, intake: datetime, moves=(), *, keep_intake_move=True) -> Case:
    """An intake through the real service, then moved back in time.

    `moves`: (timestamp, target state[, discharge reason code]) in order. The stored state
    is the last target, as the lifecycle service leaves it.
    """
    case = case_services.case_create_intake(
        unit=world.unit,
        created_by=world.coordinator,
        source=source,
        age=17,
        today=intake.date(),
    )
    Case.objects.filter(pk=case.pk).update(created_at=intake)
    intake_move = CaseTransition.objects.filter(case=case)
    if keep_intake_move:
        intake_move.update(at=intake)
    else:
        intake_move.delete()
    state = State.INTAKE
    for when, target, *code in moves:
        move = CaseTransition.objects.create(
            case=case,
            from_state=state,
            to_state=target,
            by=world.coordinator,
            reason="Test.",
            discharge_reason=reason(world, code[0]) if code and code[0] else None,
        )
        CaseTransition.objects.filter(pk=move.pk).update(at=when)
        state = target
    Case.objects.filter(pk=case.pk).update(state=state)
    case.refresh_from_db()
    return case


def to_implementation(start: date):
    """Moves through investigation, decision and assignment to implementation, a day apart."""
    y, m, d = start.year, start.month, start.day
    return [
        (local(y, m, d), State.INVESTIGATION),
        (local(y, m, d + 1), State.DECISION),
        (local(y, m, d + 2), State.ASSIGNMENT),
        (local(y, m, d + 3), State.IMPLEMENTATION),
    ]


def decide(world, case, kind, day: date) -> CaseDecision:
    return CaseDecision.objects.create(
        case=case,
        kind=kind,
        outcome=kind != K.DECLINE,
        decided_on=day,
        reasons="Beslut i testet.",
        decided_by=world.supervisor,
    )


def consent(world, case, recorded: datetime, revoked_on=None) -> Consent:
    item = Consent.objects.create(
        case=case,
        place="Testköping",
        signed_on=recorded.date(),
        valid_from=recorded.date(),
        valid_until=date(2026, 12, 31),
        person_signed=True,
        officer_name="Lotta Lotsdotter",
        officer_phone="08-123 456 00",
        officer_organisation=world.social,
        recorded_by=world.coordinator,
        revoked_on=revoked_on,
    )
    Consent.objects.filter(pk=item.pk).update(recorded_at=recorded)
    return item


INDICATOR_DEFAULTS = {
    "occupation": FU.Occupation.NONE,
    "housing": FU.Housing.FAMILY,
    "substance_use": FU.Frequency.NONE,
    "criminal_network": FU.Frequency.OCCASIONAL,
    "income": FU.Income.FAMILY,
    "offences_last_six_months": None,
}


def follow_up(world, case, kind, day, ratings: dict, previous=None, **indicators):
    """An assessment with ratings by life-area code; `previous` is superseded by it."""
    fields = INDICATOR_DEFAULTS | indicators
    assessment = FollowUpAssessment.objects.create(
        case=case, kind=kind, assessed_on=day, recorded_by=world.coordinator, **fields
    )
    if previous is not None:
        FollowUpAssessment.objects.filter(pk=previous.pk).update(superseded_at=local(2025, 5, 1))
        FollowUpAssessment.objects.filter(pk=assessment.pk).update(
            series=previous.series, version=previous.version + 1
        )
    areas = {a.code: a for a in LifeArea.objects.filter(unit=world.unit)}
    FollowUpRating.objects.bulk_create(
        FollowUpRating(assessment=assessment, life_area=areas[code], rating=rating)
        for code, rating in ratings.items()
    )
    return assessment


def plan_for(world, case) -> tuple[ActionPlan, PlanGoal]:
    plan = ActionPlan.objects.create(case=case, main_goal="Ett mål.", updated_by=world.coordinator)
    goal = PlanGoal.objects.create(
        plan=plan,
        life_area=LifeArea.objects.filter(unit=world.unit).first(),
        goal="Mål",
        target="När det är klart",
        measured_by="Samtal",
    )
    return plan, goal


def measure(plan_goal, status, due_on, starts_on=None, **responsible) -> PlanMeasure:
    plan, goal = plan_goal
    return PlanMeasure.objects.create(
        plan=plan,
        goal=goal,
        what="Åtgärd",
        status=status,
        due_on=due_on,
        starts_on=starts_on,
        **responsible,
    )


def deviation(world, organisation, status, reported: datetime, occurred_on=None) -> Deviation:
    item = Deviation.objects.create(
        unit=world.unit,
        organisation=organisation,
        occurred_on=occurred_on or reported.date(),
        what_happened="Information kom inte fram.",
        status=status,
        reported_by=world.coordinator,
    )
    Deviation.objects.filter(pk=item.pk).update(reported_at=reported)
    return item


def placement(world, case, kind, starts_on, ends_on, daily_cost) -> Placement:
    return Placement.objects.create(
        case=case,
        kind=kind,
        provider="Utförare AB",
        starts_on=starts_on,
        ends_on=ends_on,
        daily_cost=Decimal(daily_cost),
        recorded_by=world.coordinator,
    )


def build_unit_a(a) -> dict:
    """The main scenario; comments say where each case lands in the figures."""
    DischargeReason.objects.filter(unit=a.unit, code__in=["moved", "other"]).update(active=False)
    LifeArea.objects.filter(unit=a.unit, code__in=["leisure", "other"]).update(active=False)
    P, S, M, OA, R = (
        Source.POLICE,
        Source.SELF,
        Source.MUNICIPAL,
        Source.OTHER_ACTOR,
        Source.RETURNEE,
    )
    c = {}
    # Intake T3 2023, closed long before the period: only in the trend.
    c[0] = make_case(a, OA, local(2023, 9, 1, 0, 0), [(local(2023, 10, 1), State.WITHDRAWN)])
    # Intake on the period's first day, 00:30 (still 30 April in UTC).
    c[1] = make_case(a, P, local(2025, 5, 1, 0, 30))
    # Closed the day before the period starts: not open in the period.
    c[2] = make_case(
        a,
        S,
        local(2025, 2, 1),
        [(local(2025, 2, 5), State.INVESTIGATION), (local(2025, 4, 30, 23, 59), State.WITHDRAWN)],
    )
    # Closed ten minutes into the period: open in it, withdrawn at its end.
    c[3] = make_case(
        a,
        M,
        local(2025, 2, 1),
        [(local(2025, 2, 3), State.INVESTIGATION), (local(2025, 5, 1, 0, 10), State.WITHDRAWN)],
    )
    # Intake at 23:30 on the last day.
    c[4] = make_case(a, R, local(2025, 8, 31, 23, 30))
    # Intake 00:30 on the day after (31 August in UTC): outside.
    c[5] = make_case(a, P, local(2025, 9, 1, 0, 30))
    # Enrolled at 23:30 on the last day, implementation 00:30 the day after: assignment.
    c[6] = make_case(
        a,
        P,
        local(2025, 4, 1, 9, 0),
        [
            (local(2025, 4, 2), State.INVESTIGATION),
            (local(2025, 5, 15), State.DECISION),
            (local(2025, 8, 31, 23, 30), State.ASSIGNMENT),
            (local(2025, 9, 1, 0, 30), State.IMPLEMENTATION),
        ],
    )
    # Discharged 23:30 on the day before the period, reopened in it: implementation.
    c[7] = make_case(
        a,
        OA,
        local(2024, 1, 10),
        [
            *to_implementation(date(2024, 1, 11)),
            (local(2025, 4, 30, 23, 30), State.DISCHARGED, "moved"),
            (local(2025, 6, 15), State.IMPLEMENTATION),
        ],
    )
    # Discharged in the period (goals met).
    c[8] = make_case(
        a,
        P,
        local(2024, 10, 1),
        [*to_implementation(date(2024, 10, 2)), (local(2025, 7, 1), State.DISCHARGED, "goals_met")],
    )
    # Discharged 00:30 on the day after: still in implementation at the end.
    c[9] = make_case(
        a,
        P,
        local(2024, 10, 1),
        [
            *to_implementation(date(2024, 10, 2)),
            (local(2025, 9, 1, 0, 30), State.DISCHARGED, "goals_met"),
        ],
    )
    # No move recorded at all (the stored state says otherwise): the initial state.
    c[10] = make_case(a, S, local(2025, 6, 10), keep_intake_move=False)
    Case.objects.filter(pk=c[10].pk).update(state=State.INVESTIGATION)
    # Intake 00:30 local on 20 May (19 May in UTC), declined 30 May: 10 days.
    c[11] = make_case(
        a,
        P,
        local(2025, 5, 20, 0, 30),
        [
            (local(2025, 5, 21), State.INVESTIGATION),
            (local(2025, 5, 25), State.DECISION),
            (local(2025, 5, 30), State.DECLINED),
        ],
    )
    # Discharged in the period without a reason.
    c[12] = make_case(
        a,
        M,
        local(2024, 5, 5),
        [*to_implementation(date(2024, 5, 6)), (local(2025, 8, 1), State.DISCHARGED, None)],
    )
    # Discharged at the very first moment of the period, for a reason no longer in use.
    c[13] = make_case(
        a,
        S,
        local(2024, 6, 1),
        [
            *to_implementation(date(2024, 6, 2)),
            (local(2025, 5, 1, 0, 0), State.DISCHARGED, "other"),
        ],
    )
    # Declined on the first day, 4 days after intake.
    c[14] = make_case(
        a,
        P,
        local(2025, 4, 27, 15, 0),
        [
            (local(2025, 4, 28), State.INVESTIGATION),
            (local(2025, 4, 29), State.DECISION),
            (local(2025, 5, 1), State.DECLINED),
        ],
    )
    # Enrolled on the last day, 30 days after intake.
    c[15] = make_case(
        a,
        S,
        local(2025, 8, 1, 8, 0),
        [
            (local(2025, 8, 2), State.INVESTIGATION),
            (local(2025, 8, 10), State.DECISION),
            (local(2025, 8, 31, 10, 0), State.ASSIGNMENT),
        ],
    )
    # First decision before the period: not in the lead time, though enrolled again in it.
    c[16] = make_case(
        a,
        R,
        local(2025, 1, 10),
        [
            (local(2025, 1, 11), State.INVESTIGATION),
            (local(2025, 1, 12), State.DECISION),
            (local(2025, 4, 30), State.ASSIGNMENT),
        ],
    )

    # Decisions.
    decide(a, c[6], K.ENROL, date(2025, 5, 31))
    decide(a, c[15], K.ENROL, date(2025, 8, 31))
    decide(a, c[16], K.ENROL, date(2025, 4, 30))
    decide(a, c[16], K.ENROL, date(2025, 6, 1))
    decide(a, c[11], K.DECLINE, date(2025, 5, 30))
    decide(a, c[14], K.DECLINE, date(2025, 5, 1))
    decide(a, c[12], K.REEXAMINE, date(2025, 5, 1))
    decide(a, c[13], K.REEXAMINE, date(2025, 8, 31))
    decide(a, c[7], K.REOPEN, date(2025, 6, 15))
    decide(a, c[7], K.ENROL, date(2024, 2, 1))
    decide(a, c[8], K.ENROL, date(2025, 1, 1))
    decide(a, c[9], K.ENROL, date(2025, 1, 1))
    decide(a, c[12], K.ENROL, date(2024, 6, 1))
    decide(a, c[13], K.ENROL, date(2024, 7, 1))
    decide(a, c[3], K.CONTINUE_INVESTIGATION, date(2025, 4, 30))
    decide(a, c[4], K.CONTINUE_INVESTIGATION, date(2025, 9, 1))

    # Consents (intakes in the period: 1, 4, 10, 11, 15).
    consent(a, c[1], local(2025, 5, 2))
    consent(a, c[4], local(2025, 9, 1, 0, 30))  # registered after the period: without
    consent(a, c[11], local(2025, 5, 21), revoked_on=date(2025, 6, 1))  # revoked: still given
    consent(a, c[6], local(2025, 4, 5))  # intake before the period: not counted

    # Follow-up assessments.
    first7 = follow_up(
        a, c[7], FU.Kind.FIRST, date(2025, 1, 10), {"housing": 2, "occupation": 3, "economy": None}
    )
    first7_again = follow_up(
        a,
        c[7],
        FU.Kind.FIRST,
        date(2025, 1, 10),
        {"housing": 2, "occupation": 3, "economy": None, "leisure": 2},
        previous=first7,
    )
    assert first7_again.superseded_at is None
    follow_up(
        a,
        c[7],
        FU.Kind.SECOND,
        date(2025, 5, 1),
        {"housing": 3, "occupation": 3, "economy": 4, "leisure": 2},
        occupation=FU.Occupation.WORK,
        offences_last_six_months=2,
    )
    old_first8 = follow_up(a, c[8], FU.Kind.FIRST, date(2025, 1, 5), {"housing": 1})
    follow_up(
        a,
        c[8],
        FU.Kind.FIRST,
        date(2025, 1, 6),
        {"housing": 2, "occupation": 3},
        previous=old_first8,
        offences_last_six_months=3,
    )
    old_second8 = follow_up(a, c[8], FU.Kind.SECOND, date(2025, 6, 1), {"housing": 5})
    follow_up(
        a,
        c[8],
        FU.Kind.SECOND,
        date(2025, 8, 31),
        {"housing": 1, "occupation": 4},
        previous=old_second8,
        offences_last_six_months=3,
        income=FU.Income.SALARY,
    )
    follow_up(a, c[9], FU.Kind.FIRST, date(2025, 1, 6), {"housing": 2})
    follow_up(a, c[9], FU.Kind.SECOND, date(2025, 9, 1), {"housing": 4})  # after the period
    follow_up(a, c[12], FU.Kind.SECOND, date(2025, 6, 1), {"housing": 4})  # no first one

    # Action-plan measures.
    plan6, plan8 = plan_for(a, c[6]), plan_for(a, c[8])
    Status = PlanMeasure.Status
    measure(
        plan6,
        Status.ONGOING,
        date(2025, 5, 1),
        date(2025, 4, 1),
        responsible_staff=a.coordinator,
        responsible_organisation=a.police,
    )
    measure(plan6, Status.PLANNED, date(2025, 12, 1), responsible_staff=a.coordinator)
    measure(plan6, Status.PLANNED, date(2025, 4, 30), responsible_organisation=a.police)  # out
    school = CaseMember.objects.create(
        case=c[8], user=school_user(a), organisation=a.school, added_by=a.coordinator
    )
    coach = CaseMember.objects.create(case=c[8], name="Coach Testsson", added_by=a.coordinator)
    measure(plan8, Status.DONE, date(2025, 6, 30), date(2025, 6, 1), responsible_member=school)
    measure(plan8, Status.CANCELLED, date(2025, 7, 2), date(2025, 7, 1), responsible_member=coach)
    measure(
        plan8,
        Status.PLANNED,
        date(2025, 10, 1),
        date(2025, 9, 1),
        responsible_organisation=a.school,
    )  # starts after the period: out
    measure(
        plan8,
        Status.DONE,
        date(2025, 10, 1),
        date(2025, 8, 31),
        responsible_organisation=a.police,
    )
    measure(plan8, Status.ONGOING, date(2025, 8, 31), responsible_organisation=a.police)

    # Deviations.
    D = Deviation.Status
    deviation(a, a.police, D.REPORTED, local(2025, 5, 1, 0, 10))
    deviation(a, a.school, D.CLOSED, local(2025, 8, 31, 23, 30))
    deviation(a, a.police, D.REPORTED, local(2025, 9, 1, 0, 30))  # out
    deviation(a, a.police, D.REPORTED, local(2025, 4, 30, 23, 50))  # out
    deviation(a, a.social, D.ANALYSED, local(2025, 6, 1), occurred_on=date(2025, 4, 1))

    # Placements.
    PK = Placement.Kind
    placement(a, c[8], PK.HVB, date(2025, 4, 1), None, "1000.50")  # 123 days
    placement(a, c[8], PK.HVB, date(2025, 6, 1), date(2025, 6, 10), "2000")  # 10 days
    placement(a, c[6], PK.SIS, date(2025, 8, 30), date(2025, 9, 30), "5000")  # 2 days
    placement(a, c[7], PK.SIS, date(2025, 1, 1), date(2025, 5, 1), "100.25")  # 1 day
    placement(a, c[9], PK.FAMILY_HOME, date(2025, 1, 1), date(2025, 4, 30), "900")  # out
    placement(a, c[9], PK.FAMILY_HOME, date(2025, 9, 1), None, "900")  # out
    return c


def build_unit_b(b) -> dict:
    """A small second unit, with the same discharge reason worded differently."""
    DischargeReason.objects.filter(unit=b.unit, code="goals_met").update(label="Mål nådda")
    c = {}
    c[1] = make_case(
        b,
        Source.POLICE,
        local(2025, 6, 1),
        [
            (local(2025, 6, 2), State.INVESTIGATION),
            (local(2025, 6, 3), State.DECISION),
            (local(2025, 6, 4), State.ASSIGNMENT),
            (local(2025, 6, 5), State.IMPLEMENTATION),
            (local(2025, 7, 1), State.DISCHARGED, "goals_met"),
        ],
    )
    c[2] = make_case(b, Source.SELF, local(2025, 6, 1))
    decide(b, c[1], K.ENROL, date(2025, 6, 4))  # 3 days
    consent(b, c[1], local(2025, 6, 2))
    follow_up(b, c[1], FU.Kind.FIRST, date(2025, 6, 4), {"housing": 2})
    follow_up(b, c[1], FU.Kind.SECOND, date(2025, 6, 30), {"housing": 4}, income="salary")
    measure(
        plan_for(b, c[1]),
        PlanMeasure.Status.PLANNED,
        date(2025, 7, 1),
        **{"responsible_organisation": b.police},
    )
    deviation(b, b.police, Deviation.Status.REPORTED, local(2025, 7, 1))
    placement(b, c[1], Placement.Kind.HVB, date(2025, 8, 1), date(2025, 8, 10), "500")
    return c


@pytest.fixture
def scenario(unit_a, unit_b):
    return build_unit_a(unit_a), build_unit_b(unit_b)


def table(figures, key) -> statistics.CountTable:
    return next(t for t in figures.tables if t.key == key)


def cells(tab) -> dict:
    """The non-zero cells by (row label, column label)."""
    return {
        (row, column): value
        for row, counts in zip(tab.row_labels, tab.counts, strict=True)
        for column, value in zip(tab.column_labels, counts, strict=True)
        if value
    }


def labels(choices) -> list[str]:
    return [str(label) for label in choices.labels]


def area_label(world, code):
    return LifeArea.objects.get(unit=world.unit, code=code).label


# --- The tables ------------------------------------------------------------------------------


def test_the_tables_come_in_the_agreed_order_with_swedish_titles(scenario, unit_a):
    figures = statistics.compute([unit_a.unit.pk], PERIOD)
    assert [t.key for t in figures.tables] == [
        "cases_by_source_state",
        "decisions",
        "consent",
        "discharges_by_reason",
        "follow_up_change",
        "follow_up_indicators",
        "measures_by_organisation_status",
        "deviations_by_organisation_status",
    ]
    assert figures.period == PERIOD
    for tab in [*figures.tables, figures.trend]:
        assert tab.title and tab.note
        assert len(tab.counts) == len(tab.row_labels)
        assert all(len(row) == len(tab.column_labels) for row in tab.counts)


def test_cases_by_source_and_state_at_the_periods_end(scenario, unit_a):
    tab = table(statistics.compute([unit_a.unit.pk], PERIOD), "cases_by_source_state")
    assert tab.row_labels == labels(Source)
    assert tab.column_labels == labels(State)
    S = {value: str(label) for value, label in State.choices}
    Src = {value: str(label) for value, label in Source.choices}
    assert cells(tab) == {
        (Src["police"], S["intake"]): 1,  # 1
        (Src["municipal"], S["withdrawn"]): 1,  # 3
        (Src["returnee"], S["intake"]): 1,  # 4
        (Src["police"], S["assignment"]): 1,  # 6
        (Src["other_actor"], S["implementation"]): 1,  # 7, reopened
        (Src["police"], S["discharged"]): 1,  # 8
        (Src["police"], S["implementation"]): 1,  # 9
        (Src["self"], S["intake"]): 1,  # 10, no move recorded
        (Src["police"], S["declined"]): 2,  # 11, 14
        (Src["municipal"], S["discharged"]): 1,  # 12
        (Src["self"], S["discharged"]): 1,  # 13
        (Src["self"], S["assignment"]): 1,  # 15
        (Src["returnee"], S["assignment"]): 1,  # 16
    }
    assert tab.row_totals and tab.column_totals


def test_decisions_by_kind(scenario, unit_a):
    tab = table(statistics.compute([unit_a.unit.pk], PERIOD), "decisions")
    assert tab.row_labels == labels(K)
    assert tab.counts == [[0], [3], [2], [2], [1]]  # continue, enrol, decline, re-exam., reopen
    assert tab.column_labels == ["Antal"]
    assert not tab.row_totals and tab.column_totals


def test_consent_among_the_periods_intakes(scenario, unit_a):
    tab = table(statistics.compute([unit_a.unit.pk], PERIOD), "consent")
    assert tab.row_labels == ["Med samtycke", "Utan samtycke"]
    assert tab.counts == [[2], [3]]  # with: 1, 11 (revoked later); without: 4, 10, 15


def test_discharges_by_reason(scenario, unit_a):
    tab = table(statistics.compute([unit_a.unit.pk], PERIOD), "discharges_by_reason")
    active = list(
        DischargeReason.objects.filter(unit=unit_a.unit, active=True)
        .order_by("position", "pk")
        .values_list("label", flat=True)
    )
    # "moved" is inactive and unused in the period: left out; "other" is inactive but used.
    other = reason(unit_a, "other")
    expected_rows = [
        r.label
        for r in DischargeReason.objects.filter(unit=unit_a.unit).order_by("position", "pk")
        if r.active or r == other
    ] + ["Skäl saknas"]
    assert set(active) < set(expected_rows)
    assert tab.row_labels == expected_rows
    assert cells(tab) == {
        ("Målen uppnådda", "Antal"): 1,  # 8 (9 is discharged the day after)
        (other.label, "Antal"): 1,  # 13, at 00:00 on the first day
        ("Skäl saknas", "Antal"): 1,  # 12
    }
    assert "Flyttat" not in tab.row_labels


def test_change_per_life_area_between_the_follow_ups(scenario, unit_a):
    tab = table(statistics.compute([unit_a.unit.pk], PERIOD), "follow_up_change")
    areas = LifeArea.objects.filter(unit=unit_a.unit).order_by("position", "pk")
    # "other" is inactive and never rated: left out; "leisure" is inactive but rated.
    assert tab.row_labels == [a.label for a in areas if a.code != "other"]
    assert tab.column_labels == ["Förbättrad", "Oförändrad", "Försämrad", "Ej skattad"]
    rows = dict(zip(tab.row_labels, tab.counts, strict=True))
    # Cases 7 and 8 (9: second after the period; 12: no first one).
    assert rows[area_label(unit_a, "housing")] == [1, 0, 1, 0]  # 7: 2→3; 8: 2→1 (current)
    assert rows[area_label(unit_a, "occupation")] == [1, 1, 0, 0]  # 7: 3→3; 8: 3→4
    assert rows[area_label(unit_a, "economy")] == [0, 0, 0, 2]  # 7: none→4; 8: not rated
    assert rows[area_label(unit_a, "leisure")] == [0, 1, 0, 1]
    assert rows[area_label(unit_a, "family")] == [0, 0, 0, 2]
    assert all(sum(counts) == 2 for counts in tab.counts)
    assert tab.row_totals and not tab.column_totals


def test_every_follow_up_row_adds_up_to_the_cases_compared(unit_a, unit_b):
    """The structure a reader knows and suppression must treat as known (issue #7, item 7):
    each row of both follow-up tables counts each compared case once, so all add up to the
    one shared number. An area only one unit rates counts the other unit's cases as not
    rated, rather than giving its row a total of its own."""
    LifeArea.objects.create(unit=unit_b.unit, code="custom", label="Eget område", position=99)
    for world, first, second in (
        (unit_a, {"housing": 2}, {"housing": 3}),
        (unit_b, {"housing": 2, "custom": 3}, {"housing": 2, "custom": 4}),
    ):
        case = make_case(world, Source.SELF, local(2025, 1, 1))
        follow_up(world, case, FU.Kind.FIRST, date(2025, 1, 5), first)
        follow_up(world, case, FU.Kind.SECOND, date(2025, 6, 1), second)
    both = statistics.compute([unit_a.unit.pk, unit_b.unit.pk], PERIOD)
    change, indicators = table(both, "follow_up_change"), table(both, "follow_up_indicators")
    rows = dict(zip(change.row_labels, change.counts, strict=True))
    assert rows[area_label(unit_a, "housing")] == [1, 1, 0, 0]
    assert rows["Eget område"] == [1, 0, 0, 1]  # unit A's case: not rated
    assert {sum(row) for row in change.counts + indicators.counts} == {2}
    assert change.shared_row_total == indicators.shared_row_total == statistics.COMPARED_CASES
    assert not change.column_totals and not indicators.column_totals
    alone = statistics.compute([unit_a.unit.pk], PERIOD)
    assert "Eget område" not in table(alone, "follow_up_change").row_labels


def test_change_in_the_outcome_indicators(scenario, unit_a):
    tab = table(statistics.compute([unit_a.unit.pk], PERIOD), "follow_up_indicators")
    assert tab.row_labels == [
        "Sysselsättning/skola",
        "Boende",
        "Missbruk",
        "Brott de senaste sex månaderna",
        "Kontakt med kriminellt nätverk",
        "Försörjning",
    ]
    assert tab.column_labels == ["Förändrad", "Oförändrad"]
    assert tab.counts == [
        [1, 1],  # 7: none → work
        [0, 2],
        [0, 2],
        [1, 1],  # 7: unknown → 2; 8: 3 → 3
        [0, 2],
        [1, 1],  # 8: family → salary
    ]


def test_measures_by_responsible_organisation_and_status(scenario, unit_a):
    tab = table(statistics.compute([unit_a.unit.pk], PERIOD), "measures_by_organisation_status")
    assert tab.row_labels == labels(Organisation.Kind)
    assert tab.column_labels == labels(PlanMeasure.Status)
    assert cells(tab) == {
        ("Polis", "Pågår"): 2,  # due on the first day; no start and due on the last day
        ("Polis", "Klar"): 1,  # starts on the last day
        ("Socialtjänst", "Planerad"): 1,  # staff responsible, no organisation, no start
        ("Skola", "Klar"): 1,  # a school member of the group
        ("Annan", "Inställd"): 1,  # an external member without organisation
    }


def test_deviations_by_organisation_and_status(scenario, unit_a):
    tab = table(statistics.compute([unit_a.unit.pk], PERIOD), "deviations_by_organisation_status")
    assert tab.row_labels == labels(Organisation.Kind)
    assert tab.column_labels == labels(Deviation.Status)
    assert cells(tab) == {
        ("Polis", "Rapporterad"): 1,
        ("Skola", "Avslutad"): 1,
        ("Socialtjänst", "Analyserad"): 1,  # reported in the period, happened before it
    }


# --- Lead time, costs, trend -----------------------------------------------------------------


def test_lead_time_from_intake_to_first_decision(scenario, unit_a):
    lead = statistics.compute([unit_a.unit.pk], PERIOD).lead_time
    # 14: 4 days, 11: 10 (local intake date, not UTC), 15: 30, 6: 60; 16 decided before.
    assert lead == statistics.LeadTime(n=4, median=20.0, q1=8.5, q3=37.5)


def test_lead_time_of_one_and_of_no_decision(unit_a):
    assert statistics.compute([unit_a.unit.pk], PERIOD).lead_time == statistics.LeadTime(
        0, None, None, None
    )
    case = make_case(unit_a, Source.SELF, local(2025, 5, 1, 0, 30))
    decide(unit_a, case, K.DECLINE, date(2025, 5, 8))
    assert statistics.compute([unit_a.unit.pk], PERIOD).lead_time == statistics.LeadTime(
        1, 7.0, None, None
    )


def test_placement_costs_cut_at_both_ends_of_the_period(scenario, unit_a):
    costs = statistics.compute([unit_a.unit.pk], PERIOD).costs
    assert [row.label for row in costs] == labels(Placement.Kind)
    by_label = {row.label: row for row in costs}
    assert by_label["SiS särskilt ungdomshem"] == statistics.CostRow(
        "SiS särskilt ungdomshem", cases=2, days=3, cost=Decimal("10100.25")
    )
    assert by_label["HVB"] == statistics.CostRow(
        "HVB", cases=1, days=133, cost=Decimal("143061.50")
    )
    for kind in ("Familjehem", "Skyddat boende", "Stödboende", "Annan placering"):
        assert by_label[kind] == statistics.CostRow(kind, 0, 0, Decimal("0.00"))
    # The same figures as the case's own economy page computes them.
    _rows, total = services_economy.placement_costs(
        Placement.objects.filter(case__unit=unit_a.unit), PERIOD.start, PERIOD.end
    )
    assert sum((row.cost for row in costs), Decimal(0)) == total


def test_placement_kinds_per_person(scenario, unit_a):
    """Who was placed in which kinds, as counts per combination (for the cost total)."""
    kinds = list(Placement.Kind.values)
    sis, hvb = kinds.index(Placement.Kind.SIS), kinds.index(Placement.Kind.HVB)
    overlaps = statistics.compute([unit_a.unit.pk], PERIOD).cost_overlaps
    assert overlaps == sorted([((sis,), 2), ((hvb,), 1)])
    # One more case placed in both kinds is one person, not two.
    cases_a, _cases_b = scenario
    placement(unit_a, cases_a[6], Placement.Kind.HVB, date(2025, 7, 1), None, "1500")
    overlaps = dict(statistics.compute([unit_a.unit.pk], PERIOD).cost_overlaps)
    assert overlaps == {(sis,): 1, (hvb,): 1, tuple(sorted((sis, hvb))): 1}


def test_trend_over_the_last_six_periods(scenario, unit_a):
    trend = statistics.compute([unit_a.unit.pk], PERIOD).trend
    assert trend.key == "trend"
    assert trend.row_labels == [
        "Tertial 3 2023",
        "Tertial 1 2024",
        "Tertial 2 2024",
        "Tertial 3 2024",
        "Tertial 1 2025",
        "Tertial 2 2025",
    ]
    assert trend.column_labels == ["Aktualiseringar", "Inskrivningar", "Utskrivningar"]
    assert trend.counts == [
        [1, 0, 0],  # 0
        [1, 1, 0],  # 7; enrolled 7
        [2, 2, 0],  # 12, 13; enrolled 12, 13
        [2, 0, 0],  # 8, 9
        [5, 3, 1],  # 2, 3, 6, 14, 16; enrolled 8, 9, 16; 7 discharged 30 April 23:30
        [5, 3, 3],  # 1, 4, 10, 11, 15; enrolled 6, 15, 16; discharged 8, 12, 13
    ]
    assert not trend.row_totals and not trend.column_totals


def test_each_trend_row_comes_from_its_periods_own_tables(scenario, unit_a):
    figures = statistics.compute([unit_a.unit.pk], PERIOD)
    assert len(figures.trend_sources) == 6
    for period, source in zip(periods.preceding(PERIOD, 6), figures.trend_sources, strict=True):
        own = statistics.compute([unit_a.unit.pk], period)
        assert source.decisions.counts == table(own, "decisions").counts
        assert source.consent.counts == table(own, "consent").counts
        assert source.discharges.counts == table(own, "discharges_by_reason").counts


def test_the_last_trend_row_agrees_with_the_tables(scenario, unit_a):
    figures = statistics.compute([unit_a.unit.pk], PERIOD)
    intakes, enrolments, discharges = figures.trend.counts[-1]
    assert intakes == sum(row[0] for row in table(figures, "consent").counts)
    assert enrolments == table(figures, "decisions").counts[1][0]
    assert discharges == sum(row[0] for row in table(figures, "discharges_by_reason").counts)


# --- Units -----------------------------------------------------------------------------------


def test_the_other_units_data_is_never_counted(scenario, unit_a, unit_b):
    only_b = statistics.compute([unit_b.unit.pk], PERIOD)
    assert cells(table(only_b, "cases_by_source_state")) == {
        ("Polisen", "Utskriven"): 1,
        ("Den enskilde själv", "Aktualisering"): 1,
    }
    assert table(only_b, "decisions").counts == [[0], [1], [0], [0], [0]]
    assert table(only_b, "consent").counts == [[1], [1]]
    assert cells(table(only_b, "discharges_by_reason")) == {("Mål nådda", "Antal"): 1}
    assert only_b.lead_time == statistics.LeadTime(1, 3.0, None, None)
    assert only_b.trend.counts[-1] == [2, 1, 1]
    assert cells(table(only_b, "deviations_by_organisation_status")) == {
        ("Polis", "Rapporterad"): 1
    }
    # No unit at all: nothing.
    empty = statistics.compute([], PERIOD)
    assert all(not any(map(any, t.counts)) for t in [*empty.tables, empty.trend])
    assert empty.lead_time.n == 0 and all(row.cost == 0 for row in empty.costs)


def test_two_units_are_summed(scenario, unit_a, unit_b):
    a = statistics.compute([unit_a.unit.pk], PERIOD)
    b = statistics.compute([unit_b.unit.pk], PERIOD)
    both = statistics.compute([unit_a.unit.pk, unit_b.unit.pk], PERIOD)
    fixed_shape = {
        "cases_by_source_state",
        "decisions",
        "consent",
        "follow_up_indicators",
        "measures_by_organisation_status",
        "deviations_by_organisation_status",
    }
    for key in fixed_shape:
        summed = [
            [x + y for x, y in zip(ra, rb, strict=True)]
            for ra, rb in zip(table(a, key).counts, table(b, key).counts, strict=True)
        ]
        assert table(both, key).counts == summed, key
    assert both.trend.counts == [
        [x + y for x, y in zip(ra, rb, strict=True)]
        for ra, rb in zip(a.trend.counts, b.trend.counts, strict=True)
    ]
    # Discharge reasons by code: the first unit's wording names a shared code; a reason
    # active in one unit only still has its row.
    discharges = cells(table(both, "discharges_by_reason"))
    assert discharges[("Målen uppnådda", "Antal")] == 2
    assert "Flyttat" in table(both, "discharges_by_reason").row_labels
    # Life areas by code: "other" is active in unit B, so it has a row, and applies to the
    # compared cases of both units (retired in A, it was not rated there).
    change_table = table(both, "follow_up_change")
    change = dict(zip(change_table.row_labels, change_table.counts, strict=True))
    assert change[area_label(unit_a, "housing")] == [2, 0, 1, 0]
    assert change[area_label(unit_a, "other")] == [0, 0, 0, 3]
    assert change[area_label(unit_a, "leisure")] == [0, 1, 0, 2]
    # 3, 4, 10, 30, 60 days.
    assert both.lead_time == statistics.LeadTime(5, 10.0, 4.0, 30.0)
    hvb = next(row for row in both.costs if row.label == "HVB")
    assert (hvb.cases, hvb.days, hvb.cost) == (2, 143, Decimal("148061.50"))


# --- Queries ---------------------------------------------------------------------------------


def full_case(world, number: int) -> None:
    """A case with something in every figure, placed in the period."""
    case = make_case(
        world,
        Source.POLICE,
        local(2025, 5, 2),
        [
            *to_implementation(date(2025, 5, 3)),
            (local(2025, 6, 1), State.DISCHARGED, "goals_met"),
        ],
    )
    decide(world, case, K.ENROL, date(2025, 5, 5))
    consent(world, case, local(2025, 5, 3))
    follow_up(world, case, FU.Kind.FIRST, date(2025, 5, 5), {"housing": 2, "economy": 3})
    follow_up(world, case, FU.Kind.SECOND, date(2025, 5, 30), {"housing": 3, "economy": 3})
    measure(
        plan_for(world, case),
        PlanMeasure.Status.ONGOING,
        date(2025, 6, 30),
        responsible_organisation=world.police,
    )
    deviation(world, world.police, Deviation.Status.REPORTED, local(2025, 6, 1), None)
    placement(world, case, Placement.Kind.HVB, date(2025, 5, 10), None, f"{1000 + number}")


MAX_QUERIES = 30  # measured 29: one to three per table and three per earlier trend period


def test_a_fixed_number_of_queries_whatever_the_data(unit_a, django_assert_max_num_queries):
    full_case(unit_a, 0)
    with CaptureQueriesContext(connection) as one:
        figures = statistics.compute([unit_a.unit.pk], PERIOD)
    assert figures.trend.counts[-1] == [1, 1, 1]
    for number in range(1, 30):
        full_case(unit_a, number)
    with (
        django_assert_max_num_queries(MAX_QUERIES),
        CaptureQueriesContext(connection) as thirty,
    ):
        figures = statistics.compute([unit_a.unit.pk], PERIOD)
    assert figures.trend.counts[-1] == [30, 30, 30]
    assert table(figures, "follow_up_indicators").counts[0] == [0, 30]
    assert len(thirty) == len(one)


# --- The state at the period's end, against a plain reimplementation --------------------------

EDGE_TIMES = [
    local(2025, 4, 30, 23, 59),
    local(2025, 5, 1, 0, 0),
    local(2025, 5, 1, 0, 30),
    local(2025, 6, 15),
    local(2025, 8, 31, 23, 30),
    local(2025, 9, 1, 0, 0),
    local(2025, 9, 1, 0, 30),
]
_sequence = itertools.count(1)


def expected_row(intake: datetime, moves: list[tuple[datetime, str]]) -> tuple | None:
    """(None or state at the end): open in the period, as the module's docstring defines it."""
    start, end = local(2025, 5, 1, 0, 0), local(2025, 9, 1, 0, 0)
    if intake >= end:
        return None

    def state_before(moment):
        earlier = [state for at, state in moves if at < moment]
        return earlier[-1] if earlier else State.INTAKE

    reopened = any(start <= at < end and s not in CLOSED_STATES for at, s in moves)
    if state_before(start) in CLOSED_STATES and not reopened:
        return None
    return state_before(end)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(EDGE_TIMES),
            st.lists(
                st.tuples(st.sampled_from(EDGE_TIMES), st.sampled_from(list(State.values))),
                max_size=4,
            ),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_open_cases_and_their_state_match_a_plain_reimplementation(unit_a, cases):
    expected: dict[str, int] = {}
    with transaction.atomic():
        for intake, moves in cases:
            moves = sorted(moves, key=lambda m: m[0])  # ties keep their order, as pk does
            case = Case.objects.create(
                unit=unit_a.unit,
                year=2099,
                sequence=next(_sequence),
                alias="X",
                age_at_intake=17,
                source=Source.POLICE,
                received_by=unit_a.coordinator,
            )
            Case.objects.filter(pk=case.pk).update(created_at=intake)
            for at, state in moves:
                move = CaseTransition.objects.create(
                    case=case, to_state=state, by=unit_a.coordinator, reason="Test."
                )
                CaseTransition.objects.filter(pk=move.pk).update(at=at)
            state = expected_row(intake, moves)
            if state is not None:
                expected[str(State(state).label)] = expected.get(str(State(state).label), 0) + 1
        tab = table(statistics.compute([unit_a.unit.pk], PERIOD), "cases_by_source_state")
        transaction.set_rollback(True)
    assert {column: n for (_row, column), n in cells(tab).items()} == expected


def test_a_case_with_two_current_second_assessments_counts_once(unit_a):
    """Two saves racing past the service's check leave two current versions: the newer one
    is the case's second assessment."""
    case = make_case(unit_a, Source.SELF, local(2025, 1, 1))
    follow_up(unit_a, case, FU.Kind.FIRST, date(2025, 1, 5), {"housing": 2})
    follow_up(unit_a, case, FU.Kind.SECOND, date(2025, 6, 1), {"housing": 1})
    follow_up(unit_a, case, FU.Kind.SECOND, date(2025, 6, 2), {"housing": 3})
    figures = statistics.compute([unit_a.unit.pk], PERIOD)
    change = table(figures, "follow_up_change")
    assert change.counts[change.row_labels.index(area_label(unit_a, "housing"))] == [1, 0, 0, 0]
    assert table(figures, "follow_up_indicators").counts[0] == [0, 1]
