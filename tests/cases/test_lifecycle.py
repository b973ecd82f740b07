"""The case lifecycle through `services.case_transition` and staffing through
`services.case_assign_staff`: the table of moves, who may make them, separation of duties,
discharge reasons and the timeline (SPEC §3: every transition records who, when and why).
"""

from itertools import product

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from insats.access import policy
from insats.cases import services
from insats.cases.lifecycle import CLOSED_STATES, STAFF, TRANSITIONS, State, find_transition
from insats.cases.models import Case, CaseTransition
from insats.organisations.models import DischargeReason, Membership, Role
from tests import builders

ALLOWED = {(t.source, t.target) for t in TRANSITIONS}
DISALLOWED = [
    (source, target) for source, target in product(State, State) if (source, target) not in ALLOWED
]
DECISIONS = [t for t in TRANSITIONS if t.is_decision]
# Decisions on an open case (reopening a discharged one is tested in test_reopen.py).
OPEN_DECISIONS = [t for t in DECISIONS if t.source not in CLOSED_STATES]
DISCHARGES = [t for t in TRANSITIONS if t.needs_discharge_reason]
NON_STAFF_ROLES = ["partner", "leadership", "analyst", "administrator"]

SEPARATION_MESSAGE = (
    "Den som beslutar får inte vara ärendets utredare eller lots (åtskillnad av uppgifter)."
)


def staff_user(world, role: str):
    return {
        Role.COORDINATOR: world.coordinator,
        Role.INVESTIGATOR: world.investigator,
        Role.SUPERVISOR: world.supervisor,
    }[role]


def give_role(world, user, role: str, **membership) -> None:
    Membership.objects.create(user=user, organisation=world.social, role=role, **membership)
    policy.forget_roles(user)


def reason_for(world, transition):
    if not transition.needs_discharge_reason:
        return None
    return DischargeReason.objects.filter(unit=world.unit, active=True).first()


def tid(transition) -> str:
    return f"{transition.source}->{transition.target}"


def messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def assert_unchanged(case: Case, state: str, transitions_before: int) -> None:
    case.refresh_from_db()
    assert case.state == state
    assert case.transitions.count() == transitions_before


# --- the table itself ------------------------------------------------------------------------


def test_every_state_is_reachable_from_intake_and_the_table_has_no_duplicates():
    assert len(ALLOWED) == len(TRANSITIONS)
    reachable = {State.INTAKE} | {t.target for t in TRANSITIONS}
    assert reachable == set(State)
    assert DECISIONS and DISCHARGES


# --- every allowed move works, for every role that may make it -------------------------------


@pytest.mark.parametrize(
    ("transition", "role"),
    [(t, role) for t in TRANSITIONS for role in sorted(t.roles)],
    ids=[f"{tid(t)}-by-{role}" for t in TRANSITIONS for role in sorted(t.roles)],
)
def test_it_makes_every_allowed_move_for_a_role_that_may(unit_a, case_in, transition, role):
    case = case_in(transition.source)
    if transition.target == State.ASSIGNMENT:
        builders.complete_investigation(unit_a, case)
    user = staff_user(unit_a, role)
    if transition.is_decision:
        builders.record_decision(case, user, transition)
    before = case.transitions.count()
    started = timezone.now()

    record = services.case_transition(
        case=case,
        to_state=transition.target,
        by=user,
        reason="  Motivering för steget.  ",
        discharge_reason=reason_for(unit_a, transition),
        summary="Sammanfattning av insatsen.",
    )

    case.refresh_from_db()
    assert case.state == transition.target
    assert case.transitions.count() == before + 1
    stored = CaseTransition.objects.get(pk=record.pk)
    assert stored.case_id == case.pk
    assert (stored.from_state, stored.to_state) == (transition.source, transition.target)
    assert stored.by_id == user.pk
    assert stored.reason == "Motivering för steget."
    assert started <= stored.at <= timezone.now()


# --- every other pair is refused --------------------------------------------------------------


@pytest.mark.parametrize("source", list(State), ids=str)
def test_it_refuses_every_move_not_in_the_table(unit_a, case_in, source):
    """One case per source state; every target the table lacks is tried on it."""
    case = case_in(source)
    before = case.transitions.count()
    targets = [target for s, target in DISALLOWED if s == source]
    assert targets, "every state has at least itself as a disallowed target"

    wrong = {}
    for target in targets:
        expected = f"Ärendet kan inte gå från ”{State(source).label}” till ”{State(target).label}”."
        try:
            services.case_transition(
                case=case,
                to_state=target,
                by=unit_a.supervisor,  # may decide, is neither investigator nor coordinator
                reason="Försök till ett otillåtet steg.",
                discharge_reason=(
                    DischargeReason.objects.filter(unit=unit_a.unit).first()
                    if target == State.DISCHARGED
                    else None
                ),
            )
        except ValidationError as exc:
            if messages_of(exc) != expected:
                wrong[target] = messages_of(exc)
        else:
            wrong[target] = "allowed"
            break  # the case has moved; later targets would test another state
        assert_unchanged(case, source, before)

    assert wrong == {}


def test_it_refuses_a_state_that_does_not_exist(unit_a):
    case = unit_a.case()
    with pytest.raises(ValidationError) as exc:
        services.case_transition(
            case=case, to_state="paused", by=unit_a.supervisor, reason="Pausa."
        )
    assert "kan inte gå från ”Aktualisering” till ”paused”" in messages_of(exc.value)
    assert_unchanged(case, State.INTAKE, 1)


# --- who may make a move ----------------------------------------------------------------------

ROLE_REFUSALS = [(t, role) for t in TRANSITIONS for role in sorted(STAFF - t.roles)]


@pytest.mark.parametrize(
    ("transition", "role"),
    ROLE_REFUSALS,
    ids=[f"{tid(t)}-by-{role}" for t, role in ROLE_REFUSALS],
)
def test_it_refuses_a_staff_role_not_in_the_transitions_roles(unit_a, case_in, transition, role):
    case = case_in(transition.source)
    before = case.transitions.count()
    with pytest.raises(ValidationError) as exc:
        services.case_transition(
            case=case,
            to_state=transition.target,
            by=staff_user(unit_a, role),
            reason="Jag försöker ändå.",
            discharge_reason=reason_for(unit_a, transition),
            summary="Sammanfattning av insatsen.",
        )
    assert messages_of(exc.value) == "Din roll får inte göra detta steg."
    assert_unchanged(case, transition.source, before)


@pytest.mark.parametrize("role", NON_STAFF_ROLES)
def test_it_refuses_users_outside_social_services_staff(unit_a, role):
    case = unit_a.case()
    user = {
        "partner": unit_a.partner,
        "leadership": unit_a.leadership,
        "analyst": unit_a.analyst,
        "administrator": unit_a.administrator,
    }[role]
    with pytest.raises(ValidationError) as exc:
        services.case_transition(case=case, to_state=State.INVESTIGATION, by=user, reason="Inled.")
    assert messages_of(exc.value) == "Du får inte göra detta steg."
    assert_unchanged(case, State.INTAKE, 1)


def test_it_refuses_staff_of_another_unit(unit_a, unit_b):
    case = unit_a.case()
    with pytest.raises(ValidationError):
        services.case_transition(
            case=case, to_state=State.INVESTIGATION, by=unit_b.supervisor, reason="Inled."
        )
    assert_unchanged(case, State.INTAKE, 1)


# --- separation of duties and delegation ------------------------------------------------------


@pytest.mark.parametrize("duty", ["investigator", "coordinator"])
@pytest.mark.parametrize("transition", OPEN_DECISIONS, ids=tid)
def test_it_refuses_a_decision_by_the_cases_own_investigator_or_coordinator(
    unit_a, case_in, transition, duty
):
    boss = unit_a.supervisor
    give_role(unit_a, boss, duty)
    case = case_in(transition.source)
    services.case_assign_staff(
        case=case,
        by=boss,
        coordinator=boss if duty == "coordinator" else unit_a.coordinator,
        investigator=boss if duty == "investigator" else unit_a.investigator,
    )
    before = case.transitions.count()

    with pytest.raises(ValidationError) as exc:
        services.case_transition(
            case=case, to_state=transition.target, by=boss, reason="Jag beslutar själv."
        )

    assert messages_of(exc.value) == SEPARATION_MESSAGE
    assert_unchanged(case, transition.source, before)
    assert case.decision_maker is None


@pytest.mark.parametrize("transition", DECISIONS, ids=tid)
def test_it_refuses_a_decision_by_a_supervisor_without_delegation(unit_a, case_in, transition):
    case = case_in(transition.source)
    before = case.transitions.count()
    with pytest.raises(ValidationError) as exc:
        services.case_transition(
            case=case,
            to_state=transition.target,
            by=unit_a.supervisor_without_delegation,
            reason="Beslut utan delegation.",
        )
    assert messages_of(exc.value) == "Du har inte delegation att besluta."
    assert_unchanged(case, transition.source, before)


def test_it_refuses_a_decision_when_the_delegation_is_in_another_unit(unit_a, unit_b, case_in):
    boss = unit_a.supervisor_without_delegation
    Membership.objects.create(
        user=boss, organisation=unit_b.social, role=Role.SUPERVISOR, may_decide=True
    )
    policy.forget_roles(boss)
    case = case_in(State.DECISION)
    with pytest.raises(ValidationError) as exc:
        services.case_transition(case=case, to_state=State.ASSIGNMENT, by=boss, reason="Beslut.")
    assert messages_of(exc.value) == "Du har inte delegation att besluta."
    assert_unchanged(case, State.DECISION, 3)


def test_a_supervisor_without_delegation_may_still_make_a_supervisor_move_that_is_no_decision(
    unit_a, case_in
):
    case = case_in(State.DECISION)
    services.case_transition(
        case=case,
        to_state=State.INVESTIGATION,
        by=unit_a.supervisor_without_delegation,
        reason="Underlaget räcker inte.",
    )
    case.refresh_from_db()
    assert case.state == State.INVESTIGATION
    assert case.decision_maker is None


@pytest.mark.parametrize("transition", OPEN_DECISIONS, ids=tid)
def test_it_records_the_decision_maker_on_a_decision(unit_a, case_in, transition):
    case = case_in(transition.source)
    if transition.target == State.ASSIGNMENT:
        builders.complete_investigation(unit_a, case)
    builders.record_decision(case, unit_a.supervisor, transition)
    assert case.decision_maker is None
    services.case_transition(
        case=case, to_state=transition.target, by=unit_a.supervisor, reason="Beslut fattat."
    )
    case.refresh_from_db()
    assert case.decision_maker == unit_a.supervisor


def test_it_does_not_record_a_decision_maker_for_moves_that_are_no_decision(unit_a, case_in):
    case = case_in(State.DECISION)
    assert case.decision_maker is None
    services.case_transition(
        case=case, to_state=State.INVESTIGATION, by=unit_a.supervisor, reason="Komplettera."
    )
    case.refresh_from_db()
    assert case.decision_maker is None


# --- discharge reasons ------------------------------------------------------------------------


@pytest.mark.parametrize("transition", DISCHARGES, ids=tid)
def test_it_stores_a_valid_discharge_reason_on_case_and_transition(unit_a, case_in, transition):
    case = case_in(transition.source)
    reason = DischargeReason.objects.get(unit=unit_a.unit, code="goals_met")
    record = services.case_transition(
        case=case,
        to_state=State.DISCHARGED,
        by=unit_a.coordinator,
        reason="Målen i planen är nådda.",
        discharge_reason=reason,
        summary="Sammanfattning av insatsen.",
    )
    case.refresh_from_db()
    assert case.state == State.DISCHARGED
    assert case.is_closed
    assert case.discharge_reason == reason
    assert CaseTransition.objects.get(pk=record.pk).discharge_reason == reason


def test_it_refuses_a_discharge_without_a_reason(unit_a, case_in):
    case = case_in(State.FOLLOW_UP)
    before = case.transitions.count()
    with pytest.raises(ValidationError) as exc:
        services.case_transition(
            case=case, to_state=State.DISCHARGED, by=unit_a.coordinator, reason="Klart."
        )
    assert exc.value.message_dict == {
        "discharge_reason": ["Välj skäl för utskrivning."],
        "summary": ["Skriv en avslutande sammanfattning."],
    }
    assert_unchanged(case, State.FOLLOW_UP, before)
    assert case.discharge_reason is None


def test_it_refuses_a_discharge_reason_of_another_unit(unit_a, unit_b, case_in):
    case = case_in(State.IMPLEMENTATION)
    before = case.transitions.count()
    foreign = DischargeReason.objects.get(unit=unit_b.unit, code="goals_met")
    with pytest.raises(ValidationError) as exc:
        services.case_transition(
            case=case,
            to_state=State.DISCHARGED,
            by=unit_a.coordinator,
            reason="Klart.",
            discharge_reason=foreign,
            summary="Sammanfattning av insatsen.",
        )
    assert exc.value.message_dict == {"discharge_reason": ["Skälet finns inte i enhetens lista."]}
    assert_unchanged(case, State.IMPLEMENTATION, before)


def test_it_refuses_an_inactive_discharge_reason(unit_a, case_in):
    case = case_in(State.IMPLEMENTATION)
    before = case.transitions.count()
    retired = DischargeReason.objects.get(unit=unit_a.unit, code="moved")
    retired.active = False
    retired.save()
    with pytest.raises(ValidationError) as exc:
        services.case_transition(
            case=case,
            to_state=State.DISCHARGED,
            by=unit_a.coordinator,
            reason="Flyttat.",
            discharge_reason=retired,
            summary="Sammanfattning av insatsen.",
        )
    assert exc.value.message_dict == {"discharge_reason": ["Skälet finns inte i enhetens lista."]}
    assert_unchanged(case, State.IMPLEMENTATION, before)


def test_it_refuses_a_discharge_reason_on_a_move_that_is_no_discharge(unit_a, case_in):
    case = case_in(State.IMPLEMENTATION)
    before = case.transitions.count()
    with pytest.raises(ValidationError) as exc:
        services.case_transition(
            case=case,
            to_state=State.FOLLOW_UP,
            by=unit_a.coordinator,
            reason="Uppföljning.",
            discharge_reason=DischargeReason.objects.filter(unit=unit_a.unit).first(),
            summary="Sammanfattning av insatsen.",
        )
    assert "Skäl för utskrivning anges bara vid utskrivning." in messages_of(exc.value)
    assert_unchanged(case, State.IMPLEMENTATION, before)


# --- reasons and the timeline -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_it_refuses_an_empty_reason(unit_a, text):
    case = unit_a.case()
    with pytest.raises(ValidationError) as exc:
        services.case_transition(
            case=case, to_state=State.INVESTIGATION, by=unit_a.coordinator, reason=text
        )
    assert exc.value.message_dict == {"reason": ["Skriv en motivering."]}
    assert_unchanged(case, State.INTAKE, 1)


def test_it_records_who_when_and_why_for_every_move_as_a_timeline(unit_a):
    started = timezone.now()
    case = unit_a.case()
    reason = DischargeReason.objects.get(unit=unit_a.unit, code="no_longer_wants")
    moves = [
        (State.INVESTIGATION, unit_a.investigator, "Polisens underlag räcker för utredning."),
        (State.DECISION, unit_a.investigator, "Utredningen är klar."),
        (State.ASSIGNMENT, unit_a.supervisor, "Beviljas insats."),
        (State.IMPLEMENTATION, unit_a.coordinator, "Planen är klar."),
        (State.FOLLOW_UP, unit_a.coordinator, "Första uppföljningen."),
        (State.DISCHARGED, unit_a.supervisor_without_delegation, "Vill inte längre."),
    ]
    for target, user, text in moves:
        if target == State.ASSIGNMENT:
            builders.complete_investigation(unit_a, case)
            builders.record_decision(case, user, find_transition(State.DECISION, target))
        services.case_transition(
            case=case,
            to_state=target,
            by=user,
            reason=text,
            discharge_reason=reason if target == State.DISCHARGED else None,
            summary="Sammanfattning av insatsen.",
        )

    timeline = list(case.transitions.all())
    assert [(t.from_state, t.to_state, t.by_id, t.reason) for t in timeline] == [
        ("", State.INTAKE, unit_a.coordinator.pk, "Aktualisering registrerad."),
        (State.INTAKE, State.INVESTIGATION, unit_a.investigator.pk, moves[0][2]),
        (State.INVESTIGATION, State.DECISION, unit_a.investigator.pk, moves[1][2]),
        (State.DECISION, State.ASSIGNMENT, unit_a.supervisor.pk, moves[2][2]),
        (State.ASSIGNMENT, State.IMPLEMENTATION, unit_a.coordinator.pk, moves[3][2]),
        (State.IMPLEMENTATION, State.FOLLOW_UP, unit_a.coordinator.pk, moves[4][2]),
        (
            State.FOLLOW_UP,
            State.DISCHARGED,
            unit_a.supervisor_without_delegation.pk,
            moves[5][2],
        ),
    ]
    times = [t.at for t in timeline]
    assert times == sorted(times)
    assert started <= times[0] and times[-1] <= timezone.now()
    assert [t.discharge_reason for t in timeline] == [None] * 6 + [reason]


def test_a_closed_case_cannot_be_reopened(unit_a, case_in):
    case = case_in(State.WITHDRAWN)
    for target in State:
        with pytest.raises(ValidationError):
            services.case_transition(
                case=case, to_state=target, by=unit_a.supervisor, reason="Öppna igen."
            )
    assert_unchanged(case, State.WITHDRAWN, 2)


# --- staffing ---------------------------------------------------------------------------------


def test_a_supervisor_assigns_coordinator_and_investigator(unit_a):
    case = unit_a.case()
    services.case_assign_staff(
        case=case,
        by=unit_a.supervisor_without_delegation,
        coordinator=unit_a.coordinator2,
        investigator=unit_a.investigator,
    )
    case.refresh_from_db()
    assert case.coordinator == unit_a.coordinator2
    assert case.investigator == unit_a.investigator


@pytest.mark.parametrize("who", ["coordinator", "investigator", "partner", "administrator"])
def test_it_refuses_staffing_by_anyone_but_a_supervisor(unit_a, who):
    case = unit_a.case()
    with pytest.raises(PermissionDenied):
        services.case_assign_staff(
            case=case,
            by=getattr(unit_a, who),
            coordinator=unit_a.coordinator2,
            investigator=unit_a.investigator,
        )
    case.refresh_from_db()
    assert case.coordinator == unit_a.coordinator
    assert case.investigator is None


def test_it_refuses_staffing_by_a_supervisor_of_another_unit(unit_a, unit_b):
    case = unit_a.case()
    with pytest.raises(PermissionDenied):
        services.case_assign_staff(case=case, by=unit_b.supervisor, coordinator=unit_a.coordinator2)
    case.refresh_from_db()
    assert case.coordinator == unit_a.coordinator


@pytest.mark.parametrize(
    "candidate", ["investigator", "supervisor", "partner", "other_unit_coordinator"]
)
def test_it_refuses_a_coordinator_without_the_coordinator_role_in_the_unit(
    unit_a, unit_b, candidate
):
    case = unit_a.case()
    user = (
        unit_b.coordinator if candidate == "other_unit_coordinator" else getattr(unit_a, candidate)
    )
    with pytest.raises(ValidationError) as exc:
        services.case_assign_staff(case=case, by=unit_a.supervisor, coordinator=user)
    assert exc.value.message_dict == {"coordinator": [f"{user} har inte den rollen i enheten."]}
    case.refresh_from_db()
    assert case.coordinator == unit_a.coordinator


def test_it_refuses_an_investigator_without_the_investigator_role(unit_a):
    case = unit_a.case()
    with pytest.raises(ValidationError) as exc:
        services.case_assign_staff(
            case=case, by=unit_a.supervisor, investigator=unit_a.coordinator2
        )
    assert list(exc.value.message_dict) == ["investigator"]
    case.refresh_from_db()
    assert case.investigator is None


def test_it_refuses_a_coordinator_whose_membership_is_inactive(unit_a):
    Membership.objects.filter(user=unit_a.coordinator2).update(active=False)
    case = unit_a.case()
    with pytest.raises(ValidationError) as exc:
        services.case_assign_staff(case=case, by=unit_a.supervisor, coordinator=unit_a.coordinator2)
    assert "coordinator" in exc.value.message_dict
    case.refresh_from_db()
    assert case.coordinator == unit_a.coordinator


@pytest.mark.parametrize("field", ["coordinator", "investigator"])
def test_it_refuses_to_make_the_decision_maker_coordinator_or_investigator(unit_a, case_in, field):
    boss = unit_a.supervisor
    give_role(unit_a, boss, field)
    case = case_in(State.ASSIGNMENT)  # decided by boss
    assert case.decision_maker == boss

    with pytest.raises(ValidationError) as exc:
        services.case_assign_staff(case=case, by=boss, **{field: boss})

    assert exc.value.message_dict == {
        field: ["Beslutsfattaren kan inte också vara lots eller utredare i ärendet."]
    }
    case.refresh_from_db()
    assert case.coordinator == unit_a.coordinator
    assert case.investigator is None


# --- one person in every role -----------------------------------------------------------------


@pytest.fixture
def solo(unit_a):
    """A coordinator who is also an investigator in unit A."""
    user = unit_a.coordinator2
    give_role(unit_a, user, Role.INVESTIGATOR)
    return user


def solo_case(unit_a, solo, investigator):
    case = services.case_create_intake(
        unit=unit_a.unit, created_by=solo, age=17, source="self", coordinator=solo
    )
    services.case_assign_staff(
        case=case, by=unit_a.supervisor, coordinator=solo, investigator=investigator
    )
    case.refresh_from_db()
    return case


WARNING = "Samma person har tagit emot, utreder och är lots i ärendet."


def test_it_warns_when_one_person_received_investigates_and_coordinates(unit_a, solo, login):
    case = solo_case(unit_a, solo, investigator=solo)
    assert case.one_person_holds_every_role is True

    response = login(unit_a.supervisor).get(f"/arenden/{case.pk}/")
    assert response.status_code == 200
    assert WARNING in response.content.decode()


@pytest.mark.parametrize("investigator", ["other", "nobody"])
def test_it_does_not_warn_when_the_roles_are_shared(unit_a, solo, login, investigator):
    case = solo_case(
        unit_a, solo, investigator=unit_a.investigator if investigator == "other" else None
    )
    assert case.one_person_holds_every_role is False

    response = login(unit_a.supervisor).get(f"/arenden/{case.pk}/")
    assert response.status_code == 200
    assert WARNING not in response.content.decode()


def test_it_does_not_warn_when_someone_else_received_the_case(unit_a, solo):
    case = unit_a.case()  # received by unit_a.coordinator
    services.case_assign_staff(case=case, by=unit_a.supervisor, coordinator=solo, investigator=solo)
    case.refresh_from_db()
    assert case.one_person_holds_every_role is False
