"""The load-data command: a small run must already be a consistent, fictional, isolated data
set that passes the access-log check, and a second run is refused."""

import io
from collections import Counter
from datetime import date
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F

from insats.access.models import AccessLogEntry
from insats.cases.lifecycle import CLOSED_STATES, State, find_transition
from insats.cases.models import Case, CaseMember, CaseTransition
from insats.casework.models import Placement
from insats.consent.models import Consent
from insats.decisions.models import CaseDecision, FollowUpAssessment, FollowUpRating
from insats.demo import loadgen
from insats.investigation.models import ThreatAssessment
from insats.meetings.models import AgendaItem, Deviation, Group, Meeting, Task
from insats.organisations.models import Membership, Role, Unit, User
from insats.people.models import Person
from insats.people.personnummer import parse
from insats.plans.models import ActionPlan, PlanGoal, PlanMeasure

TODAY = date(2026, 3, 16)
pytestmark = pytest.mark.django_db


def generate(seed: int = 3) -> str:
    out = io.StringIO()
    call_command(
        "generate_load_data",
        units=2,
        cases=60,
        seed=seed,
        today=TODAY,
        not_production=True,
        stdout=out,
        skip_checks=True,
    )
    return out.getvalue()


def test_it_refuses_without_confirmation_when_debug_is_off():
    with pytest.raises(CommandError, match="not-production"):
        call_command("generate_load_data", units=1, cases=1, skip_checks=True)
    assert not User.objects.filter(username__startswith="last-").exists()


@pytest.fixture
def data():
    return generate()


def test_it_creates_units_staff_and_cases(data):
    units = Unit.objects.filter(name__startswith=loadgen.UNIT_PREFIX)
    assert units.count() == 2
    assert Case.objects.count() == 60
    assert "Load data generated" in data
    for unit in units:
        assert Case.objects.filter(unit=unit).count() > 10
        roles = Counter(
            Membership.objects.filter(organisation__unit=unit).values_list("role", flat=True)
        )
        for role in Role.COORDINATOR, Role.INVESTIGATOR, Role.SUPERVISOR, Role.PARTNER:
            assert roles[role] >= 1
        # A unit's own leadership and analyst, plus the two who see every unit.
        assert roles[Role.LEADERSHIP] == roles[Role.ANALYST] == 2
        assert Group.objects.filter(unit=unit).count() == 3
    assert User.objects.filter(username="last-u0001-lots1").exists()
    user = User.objects.get(username="last-u0002-chef1")
    assert user.check_password(loadgen.LOAD_PASSWORD)
    decider = Membership.objects.get(user=user)
    assert decider.may_decide and decider.role == Role.SUPERVISOR


def test_it_spreads_cases_over_the_lifecycle(data):
    states = Counter(Case.objects.values_list("state", flat=True))
    assert len(states) >= 6, states
    assert sum(n for s, n in states.items() if s in CLOSED_STATES) > 0
    assert sum(n for s, n in states.items() if s not in CLOSED_STATES) > 0
    assert len(set(Case.objects.values_list("source", flat=True))) >= 4
    assert {c.age_at_intake for c in Case.objects.all()} <= set(range(12, 30))
    years = set(Case.objects.values_list("year", flat=True))
    assert len(years) >= 3 and max(years) <= TODAY.year
    # Every kind of related row exists at this small size already.
    for model in (
        Consent,
        CaseDecision,
        FollowUpAssessment,
        FollowUpRating,
        ActionPlan,
        PlanGoal,
        PlanMeasure,
        ThreatAssessment,
        Meeting,
        AgendaItem,
        Task,
        Deviation,
        CaseMember,
    ):
        assert model.objects.exists(), model
    assert Task.objects.filter(done_on__isnull=True).exists()
    assert PlanMeasure.objects.filter(status__in=PlanMeasure.OPEN, due_on__lt=TODAY).exists()
    assert FollowUpAssessment.objects.filter(kind=FollowUpAssessment.Kind.SECOND).exists()


def test_every_case_is_a_walk_through_the_lifecycle_table(data):
    moves = {}
    for t in CaseTransition.objects.order_by("at", "pk"):
        moves.setdefault(t.case_id, []).append(t)
    for case in Case.objects.all():
        walk = moves[case.pk]
        assert (walk[0].from_state, walk[0].to_state) == ("", State.INTAKE)
        for before, after in pairwise(walk):
            assert after.from_state == before.to_state
            assert after.at > before.at
            assert find_transition(after.from_state, after.to_state) is not None
        assert walk[-1].to_state == case.state
        assert case.created_at == walk[0].at
        if case.state == State.DISCHARGED:
            assert case.discharge_reason is not None
            assert walk[-1].discharge_reason_id == case.discharge_reason_id


def test_decisions_respect_separation_of_duties(data):
    deciding = set(
        Membership.objects.filter(role=Role.SUPERVISOR, may_decide=True).values_list(
            "user_id", "organisation__unit_id"
        )
    )
    for decision in CaseDecision.objects.select_related("case"):
        case = decision.case
        assert (decision.decided_by_id, case.unit_id) in deciding
        assert decision.decided_by_id not in (case.coordinator_id, case.investigator_id)
        assert decision.decided_on >= case.created_at.date()
    enrolled = Case.objects.filter(decisions__kind=CaseDecision.Kind.ENROL).distinct()
    assert enrolled.exists()
    assert not enrolled.filter(state__in=(State.INTAKE, State.INVESTIGATION, State.DECISION))


def test_related_rows_stay_in_the_case_unit(data):
    assert not Case.objects.exclude(person=None).exclude(person__unit=F("unit")).exists()
    assert not Person.objects.exclude(cases__unit=F("unit")).exists()
    through = Consent.organisations.through.objects
    assert not through.exclude(organisation__unit=F("consent__case__unit")).exists()
    categories = Consent.categories.through.objects
    assert not categories.exclude(informationcategory__unit=F("consent__case__unit")).exists()
    assert not PlanGoal.objects.exclude(life_area__unit=F("plan__case__unit")).exists()
    assert not PlanMeasure.objects.exclude(
        responsible_organisation__unit=F("plan__case__unit")
    ).exists()
    assert not FollowUpRating.objects.exclude(life_area__unit=F("assessment__case__unit")).exists()
    assert not Meeting.objects.exclude(case=None).exclude(case__unit=F("unit")).exists()
    assert not Meeting.objects.exclude(group=None).exclude(group__unit=F("unit")).exists()
    assert not AgendaItem.objects.exclude(case=None).exclude(case__unit=F("meeting__unit")).exists()
    assert not Deviation.objects.exclude(case=None).exclude(case__unit=F("unit")).exists()
    assert not Deviation.objects.exclude(organisation__unit=F("unit")).exists()
    assert not Placement.objects.exclude(case__unit__name__startswith="Lastenhet").exists()
    assert (
        not CaseMember.objects.exclude(organisation=None)
        .exclude(organisation__unit=F("case__unit"))
        .exists()
    )
    # Staff on a case hold that role in the case's own unit.
    roles = set(Membership.objects.values_list("user_id", "organisation__unit_id", "role"))
    for case in Case.objects.exclude(coordinator=None):
        assert (case.coordinator_id, case.unit_id, Role.COORDINATOR) in roles


def test_people_are_fictional_with_valid_numbers(data):
    people = list(Person.objects.all())
    assert people
    for person in people:
        if person.identity_number:
            number = parse(person.identity_number, today=TODAY)
            assert number.birth_date == person.birth_date
            assert number.kind == person.number_kind
        assert person.phone.startswith("070-174 06 ")  # the range reserved for fiction
    assert any(p.identity_number for p in people)


def test_the_access_log_chain_holds(data):
    entries = AccessLogEntry.objects.count()
    assert entries >= 3 * 60
    out = io.StringIO()
    call_command("verify_access_log", stdout=out, skip_checks=True)
    assert f"{entries} entries" in out.getvalue()
    units = set(Unit.objects.values_list("pk", flat=True))
    assert set(AccessLogEntry.objects.values_list("unit_id", flat=True)) <= units
    case_ids = set(Case.objects.values_list("pk", flat=True))
    assert set(AccessLogEntry.objects.exclude(case_id=None).values_list("case_id", flat=True)) == (
        case_ids
    )


def test_it_refuses_to_run_twice(data):
    before = (Case.objects.count(), AccessLogEntry.objects.count(), User.objects.count())
    with pytest.raises(CommandError, match="already exists"):
        generate(seed=4)
    assert (Case.objects.count(), AccessLogEntry.objects.count(), User.objects.count()) == before


def fingerprint() -> list[tuple]:
    return list(
        Case.objects.order_by("unit__name", "year", "sequence").values_list(
            "unit__name",
            "year",
            "sequence",
            "state",
            "source",
            "age_at_intake",
            "person__first_name",
            "person__identity_number",
            "coordinator__username",
            "created_at",
        )
    )


def test_it_is_deterministic_for_a_seed():
    runs = []
    for _ in range(2):
        with transaction.atomic():
            generate(seed=5)
            runs.append((fingerprint(), AccessLogEntry.objects.count()))
            transaction.set_rollback(True)
    assert runs[0] == runs[1]
    assert len(runs[0][0]) == 60
