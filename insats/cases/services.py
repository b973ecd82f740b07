"""Write use cases for cases: intake, identification, staffing and lifecycle moves.

Each takes keyword arguments, runs in one transaction, asks the access policy and raises
ValidationError with Swedish messages when a rule says no.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.gate.consent import require
from insats.organisations.models import DischargeReason, Role, Unit
from insats.people.models import Person

from .lifecycle import State, find_transition, guard_messages, on_enter_effects
from .models import Case, CaseTransition


def format_alias(number: str, age: int) -> str:
    """The stored alias is always Swedish: it is an identifier people search for and cite."""
    with translation.override("sv"):
        return _("Ärende %(number)s, %(age)s år") % {"number": number, "age": age}


def age_warning(unit: Unit, age: int) -> str | None:
    """Outside the unit's target group warns but never blocks (SPEC §2)."""
    if unit.target_age_min <= age <= unit.target_age_max:
        return None
    return _(
        "Åldern %(age)s år ligger utanför enhetens målgrupp (%(min)s–%(max)s år). "
        "Ärendet registreras ändå."
    ) % {"age": age, "min": unit.target_age_min, "max": unit.target_age_max}


@transaction.atomic
def case_create_intake(
    *,
    unit: Unit,
    created_by,
    source: str,
    person: Person | None = None,
    age: int | None = None,
    source_detail: str = "",
    intake_basis: str = "",
    age_at_first_offence: int | None = None,
    coordinator=None,
    reason: str = "",
    today: date | None = None,
) -> Case:
    """Register an intake (aktualisering), identified or de-identified."""
    require(policy.may_create_case(created_by, unit))
    today = today or timezone.localdate()
    if person is not None:
        if person.unit_id != unit.pk:
            raise ValidationError(_("Personen hör till en annan enhet."))
        age = person.age(today)
    if age is None:
        raise ValidationError({"age": _("Ange ålder när personen inte är identifierad.")})
    if coordinator is not None:
        _check_staff(unit, coordinator, Role.COORDINATOR, "coordinator")

    # Lock the unit row so two intakes never get the same number (PostgreSQL); SQLite's
    # IMMEDIATE transactions already serialise writers.
    Unit.objects.select_for_update().filter(pk=unit.pk).first()
    year = today.year
    last = (
        Case.objects.filter(unit=unit, year=year)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
        or 0
    )
    case = Case(
        unit=unit,
        year=year,
        sequence=last + 1,
        person=person,
        age_at_intake=age,
        source=source,
        source_detail=source_detail,
        intake_basis=intake_basis,
        age_at_first_offence=age_at_first_offence,
        received_by=created_by,
        coordinator=coordinator,
    )
    case.alias = format_alias(case.number, age)
    case.save()
    CaseTransition.objects.create(
        case=case,
        from_state="",
        to_state=case.state,
        by=created_by,
        reason=reason or _("Aktualisering registrerad."),
    )
    return case


def _check_staff(unit: Unit, user, role: str, field: str) -> None:
    if role not in policy.roles_of(user).in_unit(unit.pk):
        raise ValidationError(
            {field: _("%(user)s har inte den rollen i enheten.") % {"user": user}}
        )


@transaction.atomic
def case_identify(*, case: Case, person: Person, by) -> Case:
    """Connect a de-identified case to its person."""
    decision = require(policy.decide_case(by, policy.Action.IDENTIFY_CASE, case))
    if case.person_id is not None:
        raise ValidationError(_("Ärendet är redan identifierat."))
    if person.unit_id != case.unit_id:
        raise ValidationError(_("Personen hör till en annan enhet."))
    case.person = person
    case.save(update_fields=["person", "updated_at"])
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="case",
        case=case,
        object_id=case.pk,
        grounds=decision.grounds,
        detail="identified",
    )
    return case


@transaction.atomic
def case_assign_staff(*, case: Case, by, coordinator=None, investigator=None) -> Case:
    """Give the case its coordinator and investigator (arbetsledaren fördelar)."""
    decision = require(policy.decide_case(by, policy.Action.ASSIGN_STAFF, case))
    errors = {}
    for field, user, role in (
        ("coordinator", coordinator, Role.COORDINATOR),
        ("investigator", investigator, Role.INVESTIGATOR),
    ):
        if user is None:
            continue
        try:
            _check_staff(case.unit, user, role, field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if case.decision_maker_id is not None and user.pk == case.decision_maker_id:
            errors[field] = [
                _("Beslutsfattaren kan inte också vara lots eller utredare i ärendet.")
            ]
    if errors:
        raise ValidationError(errors)
    case.coordinator = coordinator
    case.investigator = investigator
    case.save(update_fields=["coordinator", "investigator", "updated_at"])
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="case",
        case=case,
        object_id=case.pk,
        grounds=decision.grounds,
        detail="staff assigned",
    )
    return case


@transaction.atomic
def case_transition(
    *,
    case: Case,
    to_state: str,
    by,
    reason: str,
    discharge_reason: DischargeReason | None = None,
    summary: str = "",
) -> CaseTransition:
    """Move the case one step, if the table allows it and the user may; record who and why."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    transition = find_transition(case.state, to_state)
    if transition is None:
        raise ValidationError(
            _("Ärendet kan inte gå från ”%(from)s” till ”%(to)s”.")
            % {"from": case.get_state_display(), "to": _label(to_state)}
        )
    decision = policy.decide_transition(by, case, transition)
    if not decision:
        raise ValidationError(decision.reason or _("Du får inte göra detta steg."))
    missing = guard_messages(case, by, transition)
    if missing:
        raise ValidationError(missing)
    errors = {}
    if not reason.strip():
        errors["reason"] = _("Skriv en motivering.")
    if transition.needs_discharge_reason:
        if not summary.strip():
            errors["summary"] = _("Skriv en avslutande sammanfattning.")
        if discharge_reason is None:
            errors["discharge_reason"] = _("Välj skäl för utskrivning.")
        elif discharge_reason.unit_id != case.unit_id or not discharge_reason.active:
            errors["discharge_reason"] = _("Skälet finns inte i enhetens lista.")
    elif discharge_reason is not None:
        errors["discharge_reason"] = _("Skäl för utskrivning anges bara vid utskrivning.")
    if errors:
        raise ValidationError(errors)

    case.state = to_state
    fields = ["state", "updated_at"]
    if transition.is_decision:
        case.decision_maker = by
        fields.append("decision_maker")
    if transition.needs_discharge_reason:
        case.discharge_reason = discharge_reason
        fields.append("discharge_reason")
    case.save(update_fields=fields)
    move = CaseTransition.objects.create(
        case=case,
        from_state=transition.source,
        to_state=to_state,
        by=by,
        reason=reason.strip(),
        discharge_reason=discharge_reason,
        summary=summary.strip() if transition.needs_discharge_reason else "",
    )
    for effect in on_enter_effects(to_state):
        effect(case=case, by=by, transition=transition, decision=decision)
    return move


def _label(state: str) -> str:
    return str(State(state).label) if state in State.values else state
