"""Enrolment conditions (SPEC §3): every combination of the five conditions, checked against an
oracle written here, through the real enrolment service and the lifecycle guard.

Enrolment needs a valid consent towards the police, a police assessment that is not "not
suitable", a completed inventory, a completed threat assessment and a decider with delegation
who is neither the case's investigator nor its coordinator. A refusal names every unmet
condition once, and saves nothing.
"""

import itertools
from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from insats.cases import services as case_services
from insats.cases.lifecycle import State, find_transition
from insats.cases.models import Case, CaseTransition
from insats.consent import services as consent_services
from insats.core.records import save_version
from insats.decisions import enrolment, services
from insats.decisions.models import CaseDecision
from insats.investigation import services as inv
from insats.investigation.models import Inventory, PoliceAssessment, ThreatLevel
from insats.organisations.models import LegalReference, Membership, Role
from tests import builders
from tests.conftest import make_user

# --- The oracle: what each unmet condition must say (written out, not read from the code) ----

CONSENT_MISSING = "Det finns inget giltigt samtycke som omfattar polisen."
POLICE_MISSING = "Polisens lämplighetsbedömning saknas."
POLICE_NOT_SUITABLE = "Polisen har bedömt personen som inte lämplig."
INVENTORY_MISSING = "Ingen behovs- och resursinventering är markerad som klar."
THREAT_MISSING = "Hotbildsbedömningen är inte klar (arbetsledaren ska vara informerad)."
NO_DECISION = "Beslutet registreras på beslutssidan, med motivering."
DUTIES_COORDINATOR = (
    "Beslutsfattaren får inte vara ärendets utredare eller lots (åtskillnad av uppgifter)."
)
NO_DELEGATION_SUFFIX = "har inte delegation att besluta om inskrivning."
# What the lifecycle policy says when it refuses the decider (before the guard runs).
POLICY_NO_DELEGATION = "Du har inte delegation att besluta."
POLICY_SEPARATION = (
    "Den som beslutar får inte vara ärendets utredare eller lots (åtskillnad av uppgifter)."
)

# The first value of each is the one that meets the condition: Hypothesis starts from there.
CONSENTS = ("valid", "none", "expired", "revoked", "school_only")
POLICE = ("suitable", "more_information", "none", "not_suitable")
DRAFTS = ("complete", "draft", "none")
DECIDERS = ("delegated", "coordinator", "no_delegation")


def case_condition_messages(consent, police, inventory, threat) -> list[str]:
    """The oracle for the conditions that are about the case itself."""
    expected = []
    if consent != "valid":
        expected.append(CONSENT_MISSING)
    if police == "none":
        expected.append(POLICE_MISSING)
    elif police == "not_suitable":
        expected.append(POLICE_NOT_SUITABLE)
    if inventory != "complete":
        expected.append(INVENTORY_MISSING)
    if threat != "complete":
        expected.append(THREAT_MISSING)
    return expected


def duties_message(decider_kind, decider) -> str | None:
    if decider_kind == "no_delegation":
        return f"{decider} {NO_DELEGATION_SUFFIX}"
    if decider_kind == "coordinator":
        return DUTIES_COORDINATOR
    return None


# --- Building a case in any combination -------------------------------------------------------

_people = itertools.count()


def fresh_person(world):
    """An adult with an identity number unique in this test's database."""
    k = next(_people)
    birth = builders.birth_for_age(19, days_past_birthday=40 + k % 200)
    return world.person(first="Villkor", birth=birth, serial=100 + k // 200)


def supervising_coordinator(world):
    """A supervisor with delegation who also works as a coordinator (two memberships)."""
    user = make_user(
        f"{world.unit.name.lower()}-chef-och-lots", world.social, Role.SUPERVISOR, may_decide=True
    )
    Membership.objects.create(user=user, organisation=world.social, role=Role.COORDINATOR)
    return user


def support_reference(world) -> LegalReference:
    return LegalReference.objects.get(
        unit=world.unit, kind=LegalReference.Kind.SUPPORT, code="support_sol"
    )


def give_consent(world, case, kind):
    today = timezone.localdate()
    if kind == "none":
        return
    if kind == "school_only":
        builders.consent(world, case, organisations=[world.school])
    elif kind == "expired":
        long_ago = today - timedelta(days=400)
        consent_services.consent_create(
            case=case,
            by=world.coordinator,
            organisations=[world.police],
            categories=builders.categories(world, "criminality"),
            place="Testköping",
            signed_on=long_ago,
            valid_from=long_ago,
            valid_until=today - timedelta(days=1),
            officer_name="Lotta Lotsdotter",
            officer_phone="08-123 456 00",
            officer_organisation=world.social,
            person_signed=True,
        )
    else:
        given_consent = builders.consent(world, case)
        if kind == "revoked":
            consent_services.consent_revoke(
                consent=given_consent, by=world.coordinator, revoked_on=today, how="Muntligt."
            )


def record_police_assessment(world, case, outcome, *, through_service: bool):
    if outcome == "none":
        return
    if through_service:
        builders.police_assessment(world, case, outcome)
        return
    # Without a consent covering the police the partner cannot reach the case any more; the
    # assessment was recorded while one still held. The condition reads the record as it is.
    save_version(
        PoliceAssessment(
            case=case,
            outcome=outcome,
            reasoning="Bedömd medan samtycket gällde.",
            assessed_on=timezone.localdate(),
            organisation=world.police,
        ),
        by=world.partner,
        previous=None,
    )


def make_inventory(world, case, kind):
    if kind == "complete":
        builders.complete_inventory(world, case)
    elif kind == "draft":
        areas = list(inv.unit_life_areas(case))
        inv.inventory_save(
            case=case,
            by=world.investigator,
            assessed_on=timezone.localdate(),
            ratings=[{"life_area": areas[0], "own_rating": 3, "staff_rating": None}],
            completed=False,
        )


def make_threat(world, case, kind):
    if kind == "complete":
        builders.complete_threat(world, case)
    elif kind == "draft":
        inv.threat_save(
            case=case,
            by=world.coordinator,
            assessed_on=timezone.localdate(),
            level=ThreatLevel.MODERATE,
            description="Uppgifter om hot från tidigare umgänge, inte bekräftade.",
            measures=[],
            source_person=True,
            completed=False,
        )


def build_case(world, *, consent, police, inventory, threat, coordinator) -> Case:
    """An identified case in the decision step with exactly the given investigation state."""
    case = world.case(person=fresh_person(world), coordinator=coordinator)
    case_services.case_assign_staff(
        case=case, by=world.supervisor, coordinator=coordinator, investigator=world.investigator
    )
    case_services.case_transition(
        case=case, to_state=State.INVESTIGATION, by=world.investigator, reason="Utreds."
    )
    consent_services.member_add_user(
        case=case, by=world.supervisor, user=world.partner, organisation=world.police
    )
    give_consent(world, case, consent)
    record_police_assessment(world, case, police, through_service=consent == "valid")
    make_inventory(world, case, inventory)
    make_threat(world, case, threat)
    case_services.case_transition(
        case=case, to_state=State.DECISION, by=world.investigator, reason="Klart för beslut."
    )
    case.refresh_from_db()
    return case


def enrol(world, case, by):
    today = timezone.localdate()
    return services.decide_enrolment(
        case=case,
        by=by,
        outcome=True,
        decided_on=today,
        reasons="Personen vill lämna den kriminella miljön.",
        risk_of_reoffending="Hög risk utan insats.",
        motivation="Uttalad vilja till förändring.",
        needs="Sysselsättning och boende.",
        resources="Stöttande moster.",
        criminality="Debut vid 14 år, narkotikabrott senaste halvåret.",
        legal_reference=support_reference(world),
    )


@pytest.fixture
def deciders(unit_a):
    return {
        "delegated": unit_a.supervisor,
        "coordinator": supervising_coordinator(unit_a),
        "no_delegation": unit_a.supervisor_without_delegation,
    }


# --- The property ---------------------------------------------------------------------------


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    consent=st.sampled_from(CONSENTS),
    police=st.sampled_from(POLICE),
    inventory=st.sampled_from(DRAFTS),
    threat=st.sampled_from(DRAFTS),
    decider_kind=st.sampled_from(DECIDERS),
)
# Both outcomes always run, whatever Hypothesis draws.
@example(
    consent="valid",
    police="suitable",
    inventory="complete",
    threat="complete",
    decider_kind="delegated",
)
@example(
    consent="valid",
    police="more_information",
    inventory="complete",
    threat="complete",
    decider_kind="delegated",
)
@example(
    consent="school_only",
    police="not_suitable",
    inventory="draft",
    threat="draft",
    decider_kind="delegated",
)
@example(
    consent="revoked", police="none", inventory="none", threat="none", decider_kind="coordinator"
)
def test_enrolment_succeeds_exactly_when_every_condition_holds(
    unit_a, deciders, consent, police, inventory, threat, decider_kind
):
    decider = deciders[decider_kind]
    coordinator = decider if decider_kind == "coordinator" else unit_a.coordinator
    case = build_case(
        unit_a,
        consent=consent,
        police=police,
        inventory=inventory,
        threat=threat,
        coordinator=coordinator,
    )
    about_case = case_condition_messages(consent, police, inventory, threat)
    duties = duties_message(decider_kind, decider)
    every_unmet = about_case + ([duties] if duties else [])

    # The computed checklist agrees with the oracle, one message per unmet condition.
    assert Counter(enrolment.blockers(case, decider)) == Counter(every_unmet)
    conditions = enrolment.conditions_for([case], decider)[case.pk]
    assert [c.code for c in conditions] == list(enrolment.CODES)
    assert Counter(c.message for c in conditions if not c.met) == Counter(every_unmet)

    if not every_unmet:
        decision = enrol(unit_a, case, decider)
        case.refresh_from_db()
        assert case.state == State.ASSIGNMENT
        assert case.decision_maker == decider
        assert decision.kind == CaseDecision.Kind.ENROL and decision.outcome
        assert CaseTransition.objects.filter(case=case, to_state=State.ASSIGNMENT).count() == 1
        return

    with pytest.raises(ValidationError) as refused:
        enrol(unit_a, case, decider)
    messages = refused.value.messages
    if decider_kind == "no_delegation":
        # The lifecycle policy refuses the decider before the conditions are looked at.
        assert messages == [POLICY_NO_DELEGATION]
        assert "delegation" in messages[0]
    elif decider_kind == "coordinator":
        assert messages == [POLICY_SEPARATION]
        assert "åtskillnad" in messages[0]
    else:
        assert Counter(messages) == Counter(about_case)
        assert len(messages) == len(set(messages)) == len(about_case)

    # Nothing is saved: no decision, no move, the case still waits for decision.
    case.refresh_from_db()
    assert case.state == State.DECISION
    assert case.decision_maker_id is None
    assert not CaseDecision.objects.filter(case=case).exists()
    assert not CaseTransition.objects.filter(case=case, to_state=State.ASSIGNMENT).exists()


# --- A few fixed cases, so that the extremes always run ------------------------------------


def test_a_complete_case_is_enrolled_by_the_delegated_supervisor(unit_a):
    case = build_case(
        unit_a,
        consent="valid",
        police="more_information",
        inventory="complete",
        threat="complete",
        coordinator=unit_a.coordinator,
    )
    assert enrolment.blockers(case, unit_a.supervisor) == []
    # "More information" does not block, but the decider is told.
    assert enrolment.police_needs_more_information(case)
    decision = enrol(unit_a, case, unit_a.supervisor)
    assert decision.review_on == services.default_review_on(timezone.localdate())
    case.refresh_from_db()
    assert case.state == State.ASSIGNMENT


def test_an_empty_case_is_refused_with_every_condition_named(unit_a):
    case = build_case(
        unit_a,
        consent="none",
        police="none",
        inventory="none",
        threat="none",
        coordinator=unit_a.coordinator,
    )
    with pytest.raises(ValidationError) as refused:
        enrol(unit_a, case, unit_a.supervisor)
    assert refused.value.messages == [
        CONSENT_MISSING,
        POLICE_MISSING,
        INVENTORY_MISSING,
        THREAT_MISSING,
    ]
    assert not CaseDecision.objects.filter(case=case).exists()


def test_the_newest_police_assessment_counts(unit_a):
    """A "suitable" replaced by "not suitable" (a new version) blocks; a third version that
    says "suitable" again lifts the block. Superseded versions never count."""
    case = builders.enrollable_case(unit_a)
    current = PoliceAssessment.objects.get(case=case, superseded_at__isnull=True)
    not_suitable = inv.police_assessment_save(
        case=case,
        by=unit_a.partner,
        outcome=PoliceAssessment.Outcome.NOT_SUITABLE,
        reasoning="Ny information från underrättelse.",
        assessed_on=timezone.localdate(),
        previous=current,
    )
    assert enrolment.blockers(case, unit_a.supervisor) == [POLICE_NOT_SUITABLE]
    inv.police_assessment_save(
        case=case,
        by=unit_a.partner,
        outcome=PoliceAssessment.Outcome.SUITABLE,
        reasoning="Uppgiften från underrättelse var fel.",
        assessed_on=timezone.localdate(),
        previous=not_suitable,
    )
    assert enrolment.blockers(case, unit_a.supervisor) == []


def test_a_completed_inventory_replaced_by_a_draft_no_longer_counts(unit_a):
    case = builders.enrollable_case(unit_a)

    complete = Inventory.objects.get(case=case, superseded_at__isnull=True)
    areas = list(inv.unit_life_areas(case))
    inv.inventory_save(
        case=case,
        by=unit_a.investigator,
        assessed_on=timezone.localdate(),
        ratings=[{"life_area": areas[0], "own_rating": 2, "staff_rating": None}],
        previous=complete,
    )
    assert enrolment.blockers(case, unit_a.supervisor) == [INVENTORY_MISSING]


def test_the_investigator_may_not_decide(unit_a):
    """The investigator holds no delegation here; give the deciding supervisor the
    investigator's place instead: separation of duties refuses."""
    case = builders.enrollable_case(unit_a)
    Case.objects.filter(pk=case.pk).update(investigator=unit_a.supervisor)
    case.refresh_from_db()
    assert enrolment.blockers(case, unit_a.supervisor) == [DUTIES_COORDINATOR]
    with pytest.raises(ValidationError) as refused:
        enrol(unit_a, case, unit_a.supervisor)
    assert refused.value.messages == [POLICY_SEPARATION]
    assert not CaseDecision.objects.filter(case=case).exists()


# --- No bypass through the lifecycle --------------------------------------------------------


def test_a_direct_move_to_assignment_without_conditions_is_refused(unit_a):
    case = builders.identified_case(unit_a, state=State.DECISION)
    with pytest.raises(ValidationError) as refused:
        case_services.case_transition(
            case=case, to_state=State.ASSIGNMENT, by=unit_a.supervisor, reason="Genväg."
        )
    assert refused.value.messages == [
        CONSENT_MISSING,
        POLICE_MISSING,
        INVENTORY_MISSING,
        THREAT_MISSING,
        NO_DECISION,
    ]
    case.refresh_from_db()
    assert case.state == State.DECISION
    assert case.decision_maker_id is None
    assert not CaseTransition.objects.filter(case=case, to_state=State.ASSIGNMENT).exists()


def test_a_direct_move_names_only_what_is_still_missing(unit_a):
    case = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case)
    builders.police_assessment(unit_a, case, PoliceAssessment.Outcome.NOT_SUITABLE)
    builders.complete_inventory(unit_a, case)
    case_services.case_transition(
        case=case, to_state=State.DECISION, by=unit_a.coordinator, reason="Klart."
    )
    with pytest.raises(ValidationError) as refused:
        case_services.case_transition(
            case=case, to_state=State.ASSIGNMENT, by=unit_a.supervisor, reason="Genväg."
        )
    assert refused.value.messages == [POLICE_NOT_SUITABLE, THREAT_MISSING, NO_DECISION]
    case.refresh_from_db()
    assert case.state == State.DECISION


def test_a_complete_case_is_not_enrolled_without_a_recorded_decision(unit_a):
    """Every enrolment has its grounds on file: the move alone is refused."""
    case = builders.enrollable_case(unit_a)
    with pytest.raises(ValidationError) as refused:
        case_services.case_transition(
            case=case, to_state=State.ASSIGNMENT, by=unit_a.supervisor, reason="Genväg."
        )
    assert refused.value.messages == [NO_DECISION]
    case.refresh_from_db()
    assert case.state == State.DECISION


def test_a_decision_recorded_before_the_last_move_does_not_count(unit_a):
    case = builders.enrollable_case(unit_a)
    transition = find_transition(State.DECISION, State.ASSIGNMENT)
    builders.record_decision(case, unit_a.supervisor, transition)
    case_services.case_transition(
        case=case, to_state=State.INVESTIGATION, by=unit_a.supervisor, reason="Komplettera."
    )
    case_services.case_transition(
        case=case, to_state=State.DECISION, by=unit_a.coordinator, reason="Klart igen."
    )
    with pytest.raises(ValidationError) as refused:
        case_services.case_transition(
            case=case, to_state=State.ASSIGNMENT, by=unit_a.supervisor, reason="Genväg."
        )
    assert refused.value.messages == [NO_DECISION]


def test_decline_needs_no_conditions(unit_a):
    case = builders.identified_case(unit_a, state=State.DECISION)
    decision = services.decide_enrolment(
        case=case,
        by=unit_a.supervisor,
        outcome=False,
        decided_on=timezone.localdate(),
        reasons="Personen vill inte delta.",
    )
    case.refresh_from_db()
    assert case.state == State.DECLINED
    assert decision.kind == CaseDecision.Kind.DECLINE and not decision.outcome
    assert decision.review_on is None and decision.legal_reference is None
