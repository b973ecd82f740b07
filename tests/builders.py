"""Building blocks for tests beyond intake: identified cases with a police group member and a
consent, and each piece of the investigation that enrolment needs.

Everything goes through the real services, so a builder breaks when a rule changes.
"""

import itertools
from datetime import timedelta

from django.utils import timezone

from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.cases.models import Case, CaseMember
from insats.consent import services as consent_services
from insats.decisions import services as decisions
from insats.decisions.guards import DECISION_MOVES
from insats.decisions.models import CaseDecision
from insats.investigation import services as inv
from insats.investigation.models import PoliceAssessment, ThreatLevel
from insats.organisations.models import (
    InformationCategory,
    LegalReference,
    Membership,
    Role,
    User,
)
from insats.people.models import Guardian
from tests.conftest import PASSWORD

_serial = itertools.cycle(range(500, 1000))  # unique within one test, reused across tests


def birth_for_age(age: int, *, days_past_birthday: int = 40):
    day = timezone.localdate() - timedelta(days=days_past_birthday)
    try:
        return day.replace(year=day.year - age)
    except ValueError:  # 29 February
        return day.replace(year=day.year - age, day=28)


def school_user(world) -> User:
    """A partner from the world's school (created once per world)."""
    user = User.objects.filter(username=f"{world.unit.name.lower()}-skola").first()
    if user is None:
        user = User.objects.create_user(
            username=f"{world.unit.name.lower()}-skola",
            password=PASSWORD,
            first_name="Skol",
            last_name="Testsson",
        )
        Membership.objects.create(user=user, organisation=world.school, role=Role.PARTNER)
    return user


def categories(world, *codes):
    qs = InformationCategory.objects.filter(unit=world.unit, active=True)
    if codes:
        qs = qs.filter(code__in=codes)
    return list(qs.order_by("position"))


def identified_case(world, *, age: int = 19, state: str = State.INVESTIGATION, **fields) -> Case:
    """An identified case of an adult (own consent suffices), staffed so that the world's
    deciding supervisor is neither investigator nor coordinator, moved to `state`."""
    person = world.person(birth=birth_for_age(age), serial=next(_serial))
    case = world.case(person=person, **fields)
    case_services.case_assign_staff(
        case=case,
        by=world.supervisor,
        coordinator=world.coordinator,
        investigator=world.investigator,
    )
    moves = {
        State.INTAKE: [],
        State.INVESTIGATION: [State.INVESTIGATION],
        State.DECISION: [State.INVESTIGATION, State.DECISION],
    }[state]
    for target in moves:
        case_services.case_transition(
            case=case, to_state=target, by=world.coordinator, reason="Ok."
        )
    case.refresh_from_db()
    return case


def police_member(world, case: Case, user=None) -> CaseMember:
    return consent_services.member_add_user(
        case=case, by=world.coordinator, user=user or world.partner, organisation=world.police
    )


def school_member(world, case: Case) -> CaseMember:
    return consent_services.member_add_user(
        case=case, by=world.coordinator, user=school_user(world), organisation=world.school
    )


def consent(world, case: Case, *, organisations=None, codes=("criminality", "family", "health")):
    today = timezone.localdate()
    guardians = []
    if case.person.age(today) < 18:  # a minor's consent needs the guardians too
        if not case.person.guardians.exists():
            Guardian.objects.create(person=case.person, name="Vårdnadshavare Testsson")
        guardians = list(case.person.guardians.all())
    return consent_services.consent_create(
        case=case,
        by=world.coordinator,
        organisations=organisations if organisations is not None else [world.police],
        categories=categories(world, *codes),
        place="Testköping",
        signed_on=today,
        valid_from=today,
        valid_until=today + timedelta(days=365),
        officer_name="Lotta Lotsdotter",
        officer_phone="08-123 456 00",
        officer_organisation=world.social,
        person_signed=True,
        guardians_signed=guardians,
    )


def complete_inventory(world, case: Case, *, by=None):
    areas = list(inv.unit_life_areas(case))
    return inv.inventory_save(
        case=case,
        by=by or world.investigator,
        assessed_on=timezone.localdate(),
        ratings=[
            {"life_area": a, "own_rating": 3, "staff_rating": 2, "wants_change": True, "note": ""}
            for a in areas
        ],
        motivation=4,
        priorities=areas[:2],
        completed=True,
    )


def police_assessment(world, case: Case, outcome=PoliceAssessment.Outcome.SUITABLE, *, by=None):
    return inv.police_assessment_save(
        case=case,
        by=by or world.partner,
        outcome=outcome,
        reasoning="Bedömd utifrån belastningsregistret och samtal.",
        assessed_on=timezone.localdate(),
    )


def complete_threat(world, case: Case, *, level=ThreatLevel.LOW, by=None):
    return inv.threat_save(
        case=case,
        by=by or world.coordinator,
        assessed_on=timezone.localdate(),
        level=level,
        description="Inga kända hot mot personen.",
        source_person=True,
        source_police=True,
        measures=[
            {
                "description": "Ny telefon och hemligt nummer",
                "responsible": "Polisen",
                "organisation": world.police,
                "due_on": timezone.localdate() + timedelta(days=14),
            }
        ],
        supervisor_informed=world.supervisor,
        supervisor_informed_on=timezone.localdate(),
        completed=True,
    )


def complete_investigation(world, case: Case) -> Case:
    """Meet every enrolment condition that is about the case (identifying it if needed)."""
    if case.person_id is None:
        person = world.person(birth=birth_for_age(case.age_at_intake), serial=next(_serial))
        case_services.case_identify(case=case, person=person, by=world.coordinator)
    police_member(world, case)
    consent(world, case)
    complete_inventory(world, case)
    police_assessment(world, case)
    complete_threat(world, case)
    return case


def enrollable_case(world, **fields) -> Case:
    """A case in the decision step with every enrolment condition met for world.supervisor."""
    case = complete_investigation(world, identified_case(world, **fields))
    case_services.case_transition(
        case=case, to_state=State.DECISION, by=world.coordinator, reason="Klart för beslut."
    )
    case.refresh_from_db()
    return case


def decide(world, case: Case, target: str, *, by=None):
    """Make a decision move through the decision services (grounds and all)."""
    by = by or world.supervisor
    today = timezone.localdate()
    case.refresh_from_db()
    if case.state == State.INVESTIGATION:
        return decisions.decide_continued_investigation(
            case=case, by=by, outcome=False, reasons="Ingen fortsatt utredning.", decided_on=today
        )
    if target == State.ASSIGNMENT:
        return decisions.decide_enrolment(
            case=case,
            by=by,
            outcome=True,
            decided_on=today,
            reasons="Uppfyller kriterierna.",
            risk_of_reoffending="Hög utan stöd.",
            motivation="Vill förändra.",
            needs="Sysselsättning.",
            resources="Familjen.",
            criminality="Flera brott.",
            legal_reference=LegalReference.objects.get(unit=world.unit, kind="support"),
        )
    return decisions.decide_enrolment(
        case=case, by=by, outcome=False, decided_on=today, reasons="Avslag."
    )


def record_decision(case: Case, by, transition) -> CaseDecision:
    """Only the decision record a decision move needs, for tests of the move itself."""
    kind, outcome = DECISION_MOVES[(transition.source, transition.target)]
    return CaseDecision.objects.create(
        case=case,
        kind=kind,
        outcome=outcome,
        decided_on=timezone.localdate(),
        reasons="Beslut i testet.",
        decided_by=by,
    )
